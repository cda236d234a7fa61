/*
** analyze.c -- the text analyser (contract in analyze.h).
**
** Most text is ASCII, so scanning classifies bytes with a 256-entry table
** and only decodes a code point (utf8proc_iterate) at a non-ASCII byte.  A
** word made only of ASCII is lower-cased in place of the full utf8proc
** pipeline, which gives the same result for ASCII.  Stemming goes through a
** small direct-mapped cache because Snowball costs far more than a lookup
** and word frequencies are Zipfian.
*/
#include "analyze.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "err.h"

enum { C_SEP = 0, C_WORD = 1, C_APOS = 2, C_HIGH = 3 };

static unsigned char ascii_class[256];

static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

static void init_classes(void) {
  for (int c = 0; c < 256; c++) {
    unsigned char k = C_SEP;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) k = C_WORD;
    else if (c == '\'') k = C_APOS;
    else if (c >= 0x80) k = C_HIGH;
    ascii_class[c] = k;
  }
}

#define STEM_CACHE_SLOTS 65536
#define STEM_CACHE_KEY 24  /* words longer than this bypass the cache */

typedef struct stem_slot {
  uint8_t key_len;             /* 0: empty */
  uint8_t stem_len;
  char key[STEM_CACHE_KEY];
  char stem[STEM_CACHE_KEY];
} stem_slot;

struct gg_analyzer {
  struct sb_stemmer *stemmer;  /* NULL for "none" */
  char name[32];               /* stemmer name as given */
  int32_t *cps;                /* scratch code points for normalisation */
  size_t ncps_cap;
  stem_slot *cache;            /* STEM_CACHE_SLOTS entries, NULL without stemmer */
};

int gg_analyzer_new(const char *stemmer, gg_analyzer **out, gg_error *err) {
  *out = NULL;
  if (!stemmer) stemmer = "english";
  if (strlen(stemmer) >= sizeof(((gg_analyzer *)0)->name))
    return gg_fail(err, GG_EINVAL, "unknown stemmer '%s'", stemmer);
  pthread_once(&classes_once, init_classes);
  gg_analyzer *a = calloc(1, sizeof *a);
  if (!a) return gg_nomem(err);
  strcpy(a->name, stemmer);
  if (strcmp(stemmer, "none") != 0) {
    a->stemmer = sb_stemmer_new(stemmer, "UTF_8");
    if (!a->stemmer) {
      free(a);
      return gg_fail(err, GG_EINVAL, "unknown stemmer '%s' (try english, porter or none)", stemmer);
    }
    a->cache = calloc(STEM_CACHE_SLOTS, sizeof *a->cache);
    if (!a->cache) {
      gg_analyzer_free(a);
      return gg_nomem(err);
    }
  }
  *out = a;
  return GG_OK;
}

void gg_analyzer_free(gg_analyzer *a) {
  if (!a) return;
  if (a->stemmer) sb_stemmer_delete(a->stemmer);
  free(a->cps);
  free(a->cache);
  free(a);
}

const char *gg_analyzer_stemmer(const gg_analyzer *a) { return a->name; }

static int is_word_cp(int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return 1;
    default:
      return 0;
  }
}

static int is_apos_cp(int32_t cp) { return cp == 0x27 || cp == 0x2019 || cp == 0xFF07; }

/* Classify the code point at text[i]: returns its byte length and sets
** *kind to C_WORD, C_APOS or C_SEP.  Invalid UTF-8 takes one byte, C_SEP. */
static size_t classify_at(const uint8_t *text, size_t len, size_t i, int *kind) {
  unsigned char k = ascii_class[text[i]];
  if (k != C_HIGH) {
    *kind = k;
    return 1;
  }
  int32_t cp;
  utf8proc_ssize_t n = utf8proc_iterate(text + i, (utf8proc_ssize_t)(len - i), &cp);
  if (n <= 0) {
    *kind = C_SEP;
    return 1;
  }
  *kind = is_apos_cp(cp) ? C_APOS : is_word_cp(cp) ? C_WORD : C_SEP;
  return (size_t)n;
}

static unsigned stem_hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h % STEM_CACHE_SLOTS;
}

int gg_analyzer_stem(gg_analyzer *a, const char *w, size_t n, const char **out, size_t *outn) {
  if (!a->stemmer) {
    *out = w;
    *outn = n;
    return 0;
  }
  const sb_symbol *s = sb_stemmer_stem(a->stemmer, (const sb_symbol *)w, (int)n);
  if (!s) return GG_ENOMEM;
  *out = (const char *)s;
  *outn = (size_t)sb_stemmer_length(a->stemmer);
  return 0;
}

/* Stem word (already normalised) if asked, and hand the result to the
** callback. */
static int emit(gg_analyzer *a, int stem, const char *w, size_t n, uint32_t pos, size_t start,
                size_t end, gg_token_fn fn, void *ctx) {
  if (n == 0) return 0;
  if (!a->stemmer || !stem) return fn(ctx, w, n, pos, start, end);
  stem_slot *slot = NULL;
  if (n <= STEM_CACHE_KEY) {
    slot = &a->cache[stem_hash(w, n)];
    if (slot->key_len == n && memcmp(slot->key, w, n) == 0)
      return fn(ctx, slot->stem, slot->stem_len, pos, start, end);
  }
  const sb_symbol *s = sb_stemmer_stem(a->stemmer, (const sb_symbol *)w, (int)n);
  if (!s) return GG_ENOMEM;
  size_t sn = (size_t)sb_stemmer_length(a->stemmer);
  if (slot && sn <= STEM_CACHE_KEY) {
    slot->key_len = (uint8_t)n;
    memcpy(slot->key, w, n);
    slot->stem_len = (uint8_t)sn;
    memcpy(slot->stem, s, sn);
  }
  return fn(ctx, (const char *)s, sn, pos, start, end);
}

/* Normalise a word containing non-ASCII characters and emit the one or
** more terms it yields. */
static int emit_unicode(gg_analyzer *a, int stem, const uint8_t *w, size_t n, uint32_t *pos,
                        size_t start, gg_token_fn fn, void *ctx) {
  const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
                                 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE;
  utf8proc_ssize_t m;
  for (;;) {
    m = utf8proc_decompose(w, (utf8proc_ssize_t)n, a->cps, (utf8proc_ssize_t)a->ncps_cap, opts);
    if (m < 0) return 0;  /* cannot happen on valid UTF-8; drop the word */
    if ((size_t)m <= a->ncps_cap) break;
    int32_t *p = realloc(a->cps, (size_t)m * sizeof *p);
    if (!p) return GG_ENOMEM;
    a->cps = p;
    a->ncps_cap = (size_t)m;
  }
  m = utf8proc_normalize_utf32(a->cps, m, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  if (m < 0) return 0;
  /* Re-split on what normalisation turned into separators, keeping
  ** apostrophes only between word characters, and encode each piece. */
  char out[GG_TERM_MAX + 8];
  size_t on = 0;
  int full = 0;
  for (utf8proc_ssize_t i = 0; i <= m; i++) {
    int32_t cp = i < m ? a->cps[i] : -1;
    int word = cp >= 0 && is_word_cp(cp);
    int keep_apos = cp >= 0 && is_apos_cp(cp) && on > 0 && i + 1 < m && is_word_cp(a->cps[i + 1]);
    if (word || keep_apos) {
      if (keep_apos) cp = '\'';
      uint8_t enc[4];
      utf8proc_ssize_t el = utf8proc_encode_char(cp, enc);
      if (!full && on + (size_t)el <= GG_TERM_MAX) {
        memcpy(out + on, enc, (size_t)el);
        on += (size_t)el;
      } else {
        full = 1;
      }
      continue;
    }
    if (on > 0) {
      int rc = emit(a, stem, out, on, (*pos)++, start, start + n, fn, ctx);
      if (rc) return rc;
    }
    on = 0;
    full = 0;
  }
  return 0;
}

static inline char ascii_lower(uint8_t c) { return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

/* Scan the run of ASCII letters and digits at t[i..len), lower-casing its
** first GG_TERM_MAX bytes into w (which has room for GG_TERM_MAX + 16):
** returns the run's end; *n gets min(run length, GG_TERM_MAX).  With SSE2
** (every x86-64) sixteen bytes are classified at once, so a word costs one
** predictable branch rather than one per byte and a mispredicted one at its
** end. */
static size_t ascii_word(const uint8_t *t, size_t len, size_t i, char *w, size_t *n) {
  size_t end = i, k = 0;
#if defined(__SSE2__)
  const __m128i case_bit = _mm_set1_epi8(0x20);
  while (end + 16 <= len) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + end));
    /* x - lo < span, unsigned, as a signed compare after flipping the top bit */
    __m128i letter = _mm_cmplt_epi8(_mm_sub_epi8(_mm_or_si128(v, case_bit), _mm_set1_epi8((char)('a' + 128))),
                                    _mm_set1_epi8((char)(26 - 128)));
    __m128i digit = _mm_cmplt_epi8(_mm_sub_epi8(v, _mm_set1_epi8((char)('0' + 128))),
                                   _mm_set1_epi8((char)(10 - 128)));
    unsigned stop = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(letter, digit)) & 0xffff;
    unsigned run = stop ? (unsigned)__builtin_ctz(stop) : 16;
    if (k < GG_TERM_MAX) {
      _mm_storeu_si128((__m128i *)(void *)(w + k), _mm_or_si128(v, _mm_and_si128(letter, case_bit)));
      k = k + run < GG_TERM_MAX ? k + run : GG_TERM_MAX;
    }
    end += run;
    if (stop) {
      *n = k;
      return end;
    }
  }
#endif
  for (; end < len && ascii_class[t[end]] == C_WORD; end++)
    if (k < GG_TERM_MAX) w[k++] = ascii_lower(t[end]);
  *n = k;
  return end;
}

/* Steps 1-4, and 5 when stem is set (analyze.h). */
static int analyze(gg_analyzer *a, int stem, const char *text, size_t len, uint32_t *pos,
                   gg_token_fn fn, void *ctx) {
  const uint8_t *t = (const uint8_t *)text;
  size_t i = 0;
  while (i < len) {
    int kind;
    size_t cl = classify_at(t, len, i, &kind);
    if (kind != C_WORD) {
      i += cl;
      continue;
    }
    int rc;
    if (cl == 1) {
      /* Fast path for the common case, a word of ASCII letters and digits
      ** ended by an ASCII separator or the text's end: scanned and
      ** lower-cased in one pass.  Otherwise the general scan below redoes
      ** it. */
      char w[GG_TERM_MAX + 16];
      size_t n;
      size_t end = ascii_word(t, len, i, w, &n);
      if (end == len || ascii_class[t[end]] == C_SEP) {
        if ((rc = emit(a, stem, w, n, (*pos)++, i, end, fn, ctx))) return rc;
        i = end;
        continue;
      }
    }
    /* A word starts at i; find its end, admitting inner apostrophes. */
    size_t start = i, end = i + cl;
    int ascii = cl == 1;
    for (;;) {
      if (end >= len) break;
      size_t nl = classify_at(t, len, end, &kind);
      if (kind == C_WORD) {
        ascii &= nl == 1;
        end += nl;
        continue;
      }
      if (kind == C_APOS && end + nl < len) {
        int k2;
        size_t nl2 = classify_at(t, len, end + nl, &k2);
        if (k2 == C_WORD) {
          ascii &= nl == 1 && nl2 == 1;
          end += nl + nl2;
          continue;
        }
      }
      break;
    }
    if (ascii) {
      char w[GG_TERM_MAX];
      size_t n = end - start < GG_TERM_MAX ? end - start : GG_TERM_MAX;
      for (size_t j = 0; j < n; j++) {
        uint8_t c = t[start + j];
        w[j] = ascii_lower(c);
      }
      rc = emit(a, stem, w, n, (*pos)++, start, end, fn, ctx);
    } else {
      rc = emit_unicode(a, stem, t + start, end - start, pos, start, fn, ctx);
    }
    if (rc) return rc;
    i = end;
  }
  return 0;
}

int gg_analyze(gg_analyzer *a, const char *text, size_t len, uint32_t *pos, gg_token_fn fn,
               void *ctx) {
  return analyze(a, 1, text, len, pos, fn, ctx);
}

int gg_analyze_words(gg_analyzer *a, const char *text, size_t len, uint32_t *pos, gg_token_fn fn,
                     void *ctx) {
  return analyze(a, 0, text, len, pos, fn, ctx);
}
