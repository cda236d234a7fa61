/*
** test_analyze.c -- core/analyze: a table of inputs and the terms the
** contract in analyze.h says they give, worked out by hand (Unicode
** categories, NFKC, case folding, Snowball rules), plus positions, byte
** offsets, truncation and hostile bytes.
*/
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/analyze.h"

#define MAXTOK 512

typedef struct tok {
  char term[GG_TERM_MAX * 2 + 1];
  size_t len;
  uint32_t pos;
  size_t start, end;
} tok;

typedef struct toks {
  tok t[MAXTOK];
  size_t n;
  int overflow;
} toks;

static int collect(void *ctx, const char *term, size_t len, uint32_t pos, size_t start, size_t end) {
  toks *ts = ctx;
  if (ts->n == MAXTOK || len > GG_TERM_MAX * 2) {
    ts->overflow = 1;
    return 0;
  }
  tok *t = &ts->t[ts->n++];
  memcpy(t->term, term, len);
  t->term[len] = 0;
  t->len = len;
  t->pos = pos;
  t->start = start;
  t->end = end;
  return 0;
}

static gg_analyzer *an_none, *an_en;

static int analyze(gg_analyzer *a, const char *text, size_t len, toks *out, uint32_t pos0,
                   uint32_t *pos_after) {
  memset(out, 0, sizeof *out);
  uint32_t pos = pos0;
  int rc = gg_analyze(a, text, len, &pos, collect, out);
  if (pos_after) *pos_after = pos;
  return rc;
}

/* Render terms as "a|b|c" for messages and comparison. */
static void join(const toks *ts, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
  for (size_t i = 0; i < ts->n && n + ts->t[i].len + 2 < cap; i++) {
    if (i) buf[n++] = '|';
    memcpy(buf + n, ts->t[i].term, ts->t[i].len);
    n += ts->t[i].len;
    buf[n] = 0;
  }
}

typedef struct row {
  const char *input;
  const char *none;     /* expected terms with stemmer "none", '|'-separated */
  const char *english;  /* expected with "english"; NULL: same as none */
} row;

/* Expected results reasoned from the rules in analyze.h:
**  - word = maximal run of letters (L*), digits/numbers (N*), marks (M*);
**  - apostrophe (U+0027, U+2019, U+FF07) inside a word stays (as U+0027);
**  - NFKC + case folding + mark stripping per word;
**  - Snowball english: Step 0 strips 's, Step 1c turns a final y after a
**    consonant into i, Step 5 drops a final e in R1 not after a short syllable. */
static const row table[] = {
    {"", "", NULL},
    {"   \t\n ", "", NULL},
    {".,;:!?-*/()[]{}<>\"", "", NULL},
    {"Hello World", "hello|world", NULL},
    {"HELLO wOrLd", "hello|world", NULL},
    {"hello,world;again", "hello|world|again", NULL},
    {"you're", "you're", "you'r"},
    {"Rory's", "rory's", "rori"},
    {"Rory\xE2\x80\x99s", "rory's", "rori"},            /* U+2019 right single quote */
    {"you\xE2\x80\x99re", "you're", "you'r"},
    {"Rory\xEF\xBC\x87s", "rory's", "rori"},            /* U+FF07 fullwidth apostrophe */
    {"'quoted'", "quoted", "quot"},
    {"dogs'", "dogs", "dog"},
    {"it''s", "it|s", NULL},
    {"rock'n'roll", "rock'n'roll", "rock'n'rol"},   /* Step 5: ll in R2 -> l */
    {"'", "", NULL},
    {"a'", "a", NULL},
    {"a**es", "a|es", "a|es"},
    {"e-mail", "e|mail", NULL},
    {"Caf\xC3\xA9", "cafe", "cafe"},                   /* precomposed e-acute */
    {"Cafe\xCC\x81", "cafe", "cafe"},                  /* e + combining acute */
    {"na\xC3\xAFve r\xC3\xA9sum\xC3\xA9", "naive|resume", "naiv|resum"},
    {"\xEF\xAC\x81sh", "fish", "fish"},                /* U+FB01 fi ligature */
    {"\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3", "abc", "abc"}, /* fullwidth ABC */
    {"Stra\xC3\x9F" "e", "strasse", "strass"},             /* sharp s case-folds to ss */
    {"\xC3\x86on", "\xC3\xA6on", NULL},                /* AE ligature lower-cases, no split */
    {"\xE4\xB8\xAD\xE6\x96\x87", "\xE4\xB8\xAD\xE6\x96\x87", NULL}, /* CJK: one word */
    {"3.14", "3|14", NULL},
    {"1,000,000", "1|000|000", NULL},
    {"x2 2x", "x2|2x", NULL},
    {"\xC2\xBD", "1|2", NULL},                         /* U+00BD: NFKC 1/2 with fraction slash */
    {"running runs ran", "running|runs|ran", "run|run|ran"},
    {"caresses ponies", "caresses|ponies", "caress|poni"},
    {"happiness", "happiness", "happi"},
    {"generously generous", "generously|generous", "generous|generous"},
    /* Invalid UTF-8: each bad byte separates, never crashes. */
    {"ab\xFF" "cd", "ab|cd", NULL},
    {"caf\xC3", "caf", NULL},                          /* truncated sequence at the end */
    {"\xC3" "abc", "abc", NULL},                       /* lead byte then ASCII */
    {"a\xC0\xAF" "b", "a|b", NULL},                    /* overlong '/' */
    {"a\xED\xA0\x80" "b", "a|b", NULL},                /* UTF-16 surrogate */
    {"a\xF4\x90\x80\x80" "b", "a|b", NULL},            /* beyond U+10FFFF */
    {"\x80\x80\x80", "", NULL},                        /* lone continuation bytes */
    {"a\xE2\x80" "b", "a|b", NULL},                    /* truncated 3-byte sequence */
    {"\xEF\xBF\xBD" "x", "x", NULL},                   /* U+FFFD itself is a separator */
};

static void test_table(void) {
  char got[4096];
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const row *r = &table[i];
    for (int which = 0; which < 2; which++) {
      const char *want = which == 0 ? r->none : (r->english ? r->english : r->none);
      toks ts;
      int rc = analyze(which == 0 ? an_none : an_en, r->input, strlen(r->input), &ts, 0, NULL);
      join(&ts, got, sizeof got);
      CHECK(rc == 0 && !ts.overflow && strcmp(got, want) == 0,
            "analyze(%s, \"%s\") = \"%s\" (rc %d), want \"%s\"", which ? "english" : "none",
            r->input, got, rc, want);
      /* positions are consecutive from 0 */
      for (size_t k = 0; k < ts.n; k++)
        CHECK(ts.t[k].pos == k, "\"%s\": term %zu has position %u", r->input, k, ts.t[k].pos);
    }
  }
}

static void test_positions_offsets(void) {
  toks ts;
  uint32_t after = 0;
  const char *s = "  Hello, wOrld!  x";
  int rc = analyze(an_none, s, strlen(s), &ts, 5, &after);
  CHECK(rc == 0 && ts.n == 3, "3 terms, got %zu", ts.n);
  if (ts.n == 3) {
    CHECK(ts.t[0].pos == 5 && ts.t[0].start == 2 && ts.t[0].end == 7, "hello at 5 [2,7): %u [%zu,%zu)",
          ts.t[0].pos, ts.t[0].start, ts.t[0].end);
    CHECK(ts.t[1].pos == 6 && ts.t[1].start == 9 && ts.t[1].end == 14, "world at 6 [9,14): %u [%zu,%zu)",
          ts.t[1].pos, ts.t[1].start, ts.t[1].end);
    CHECK(ts.t[2].pos == 7 && ts.t[2].start == 17 && ts.t[2].end == 18, "x at 7 [17,18): %u [%zu,%zu)",
          ts.t[2].pos, ts.t[2].start, ts.t[2].end);
  }
  CHECK(after == 8, "*pos after = %u, want 8", after);

  /* Offsets are bytes of the source, also for multi-byte words. */
  s = "\xC3\xBC" "ber cool Caf\xC3\xA9!";  /* "über cool Café!" */
  rc = analyze(an_none, s, strlen(s), &ts, 0, &after);
  CHECK(rc == 0 && ts.n == 3, "3 terms, got %zu", ts.n);
  if (ts.n == 3) {
    CHECK(strcmp(ts.t[0].term, "uber") == 0 && ts.t[0].start == 0 && ts.t[0].end == 5,
          "uber [0,5): %s [%zu,%zu)", ts.t[0].term, ts.t[0].start, ts.t[0].end);
    CHECK(ts.t[1].start == 6 && ts.t[1].end == 10, "cool [6,10): [%zu,%zu)", ts.t[1].start, ts.t[1].end);
    CHECK(strcmp(ts.t[2].term, "cafe") == 0 && ts.t[2].start == 11 && ts.t[2].end == 16,
          "cafe [11,16): %s [%zu,%zu)", ts.t[2].term, ts.t[2].start, ts.t[2].end);
  }

  /* A word that normalisation splits: both pieces name the whole word. */
  s = "x \xC2\xBD y";
  rc = analyze(an_none, s, strlen(s), &ts, 0, &after);
  CHECK(rc == 0 && ts.n == 4 && after == 4, "x 1 2 y: %zu terms, pos after %u", ts.n, after);
  if (ts.n == 4) {
    CHECK(ts.t[1].start == 2 && ts.t[1].end == 4 && ts.t[2].start == 2 && ts.t[2].end == 4 &&
              ts.t[1].pos == 1 && ts.t[2].pos == 2 && ts.t[3].pos == 3,
          "split word offsets [%zu,%zu) [%zu,%zu)", ts.t[1].start, ts.t[1].end, ts.t[2].start,
          ts.t[2].end);
  }

  /* "3.14": two words with their own offsets. */
  rc = analyze(an_none, "3.14", 4, &ts, 0, &after);
  CHECK(ts.n == 2 && ts.t[0].start == 0 && ts.t[0].end == 1 && ts.t[1].start == 2 &&
            ts.t[1].end == 4,
        "3.14 offsets");

  /* Apostrophe words: the apostrophe is inside the offsets. */
  rc = analyze(an_en, "I'm Rory\xE2\x80\x99s", strlen("I'm Rory\xE2\x80\x99s"), &ts, 0, &after);
  CHECK(ts.n == 2 && ts.t[0].start == 0 && ts.t[0].end == 3 && ts.t[1].start == 4 &&
            ts.t[1].end == 12 && strcmp(ts.t[1].term, "rori") == 0,
        "I'm Rory's offsets/terms");

  /* Empty input gives nothing and leaves *pos alone. */
  rc = analyze(an_en, "", 0, &ts, 42, &after);
  CHECK(rc == 0 && ts.n == 0 && after == 42, "empty input: %zu terms, pos %u", ts.n, after);

  /* Length is honoured: bytes after len are not read. */
  rc = analyze(an_none, "abc def", 3, &ts, 0, &after);
  CHECK(ts.n == 1 && strcmp(ts.t[0].term, "abc") == 0, "len-limited input");

  /* NUL bytes inside the given length separate words. */
  rc = analyze(an_none, "ab\0cd", 5, &ts, 0, &after);
  CHECK(ts.n == 2 && strcmp(ts.t[0].term, "ab") == 0 && strcmp(ts.t[1].term, "cd") == 0,
        "NUL separates");
}

static void test_long_words(void) {
  toks ts;
  char w[1024];
  /* 200 ASCII letters: one term cut to GG_TERM_MAX bytes, offsets cover all 200. */
  memset(w, 'a', 200);
  w[200] = 0;
  analyze(an_none, w, 200, &ts, 0, NULL);
  CHECK(ts.n == 1 && ts.t[0].len == GG_TERM_MAX && ts.t[0].start == 0 && ts.t[0].end == 200,
        "200-letter word: %zu terms, len %zu", ts.n, ts.n ? ts.t[0].len : 0);
  /* Upper case: cut and lower-cased. */
  memset(w, 'Q', 200);
  analyze(an_none, w, 200, &ts, 0, NULL);
  int lower = ts.n == 1;
  for (size_t i = 0; lower && i < ts.t[0].len; i++) lower &= ts.t[0].term[i] == 'q';
  CHECK(lower && ts.t[0].len == GG_TERM_MAX, "200 'Q's -> 64 'q's");
  /* Stemmed long word: still at most GG_TERM_MAX bytes. */
  analyze(an_en, w, 200, &ts, 0, NULL);
  CHECK(ts.n == 1 && ts.t[0].len <= GG_TERM_MAX, "stemmed long word length %zu", ts.n ? ts.t[0].len : 0);

  /* Multi-byte: 'a' then 100 Cyrillic zhe (2 bytes each): cut at a character
  ** boundary, i.e. 'a' + 31 zhe = 63 bytes (a 32nd would make 65). */
  size_t n = 0;
  w[n++] = 'a';
  for (int i = 0; i < 100; i++) {
    w[n++] = (char)0xD0;
    w[n++] = (char)0xB6;
  }
  analyze(an_none, w, n, &ts, 0, NULL);
  int ok = ts.n == 1 && ts.t[0].len == 63 && ts.t[0].term[0] == 'a';
  for (size_t i = 1; ok && i < 63; i += 2)
    ok = (uint8_t)ts.t[0].term[i] == 0xD0 && (uint8_t)ts.t[0].term[i + 1] == 0xB6;
  CHECK(ok, "a+100 zhe: %zu terms, len %zu (want 63 bytes)", ts.n, ts.n ? ts.t[0].len : 0);
  CHECK(ts.n == 1 && ts.t[0].start == 0 && ts.t[0].end == n, "offsets of the cut word");

  /* 3-byte characters: 64/3 -> 21 characters = 63 bytes. */
  n = 0;
  for (int i = 0; i < 40; i++) {
    w[n++] = (char)0xE4;
    w[n++] = (char)0xB8;
    w[n++] = (char)0xAD;
  }
  analyze(an_none, w, n, &ts, 0, NULL);
  CHECK(ts.n == 1 && ts.t[0].len == 63, "40 CJK chars cut to %zu bytes, want 63",
        ts.n ? ts.t[0].len : 0);

  /* A long word followed by another: the second is intact. */
  memset(w, 'b', 100);
  memcpy(w + 100, " next", 5);
  analyze(an_none, w, 105, &ts, 0, NULL);
  CHECK(ts.n == 2 && strcmp(ts.t[1].term, "next") == 0 && ts.t[1].pos == 1, "word after a long word");
}

/* Random bytes: never crashes, terms are valid, non-empty, bounded, and
** offsets are ordered and inside the input. */
static void test_random_bytes(void) {
  static const char *pieces[] = {"a", "Z", "'", "\xE2\x80\x99", "\xC3\xA9", "\xCC\x81", "\xFF",
                                 "\xC3", "\xEF\xAC\x81", " ", "9", "\xC2\xBD", "\xE4\xB8\xAD",
                                 "\xF0\x9F\x98\x80", "\xED\xA0\x80", "-", "\x00", "\xEF\xBC\x87"};
  const size_t np = sizeof pieces / sizeof pieces[0];
  char buf[2048];
  for (int round = 0; round < 3000; round++) {
    size_t n = 0;
    size_t want = 1 + rng_below(300);
    while (n < want) {
      if (rng_below(4) == 0) {
        buf[n++] = (char)rng64();
      } else {
        size_t k = rng_below(np);
        size_t l = k == 16 ? 1 : strlen(pieces[k]);
        memcpy(buf + n, pieces[k], l);
        n += l;
      }
    }
    for (int which = 0; which < 2; which++) {
      toks ts;
      uint32_t after;
      int rc = analyze(which ? an_en : an_none, buf, n, &ts, 0, &after);
      CHECK(rc == 0, "random input: rc %d", rc);
      CHECK(after == ts.n, "positions used %u != terms %zu", after, ts.n);
      size_t last_start = 0;
      for (size_t k = 0; k < ts.n; k++) {
        const tok *t = &ts.t[k];
        CHECK(t->len > 0 && t->len <= GG_TERM_MAX, "term length %zu", t->len);
        CHECK(t->start < t->end && t->end <= n && t->start >= last_start,
              "offsets [%zu,%zu) of %zu", t->start, t->end, n);
        last_start = t->start;
        CHECK(memchr(t->term, ' ', t->len) == NULL, "term contains a space");
      }
    }
  }
}

static int stop_after_two(void *ctx, const char *term, size_t len, uint32_t pos, size_t s, size_t e) {
  int *n = ctx;
  return ++*n == 2 ? 77 : 0;
}

static void test_api(void) {
  gg_analyzer *a = NULL;
  gg_error err;
  CHECK(gg_analyzer_new("klingon", &a, &err) == GG_EINVAL && a == NULL, "unknown stemmer rejected");
  CHECK(strstr(err.msg, "klingon") != NULL, "message names the stemmer: %s", err.msg);
  CHECK(gg_analyzer_new("porter", &a, &err) == GG_OK && a, "porter stemmer available");
  if (a) {
    CHECK(strcmp(gg_analyzer_stemmer(a), "porter") == 0, "stemmer name");
    gg_analyzer_free(a);
  }
  CHECK(strcmp(gg_analyzer_stemmer(an_none), "none") == 0, "none name");
  /* The callback's non-zero value stops analysis and is returned. */
  int count = 0;
  uint32_t pos = 0;
  int rc = gg_analyze(an_none, "one two three four", 18, &pos, stop_after_two, &count);
  CHECK(rc == 77 && count == 2, "callback stop: rc %d after %d terms", rc, count);
}

/* ASCII text against a reference written from the contract: a word is a
** run of letters and digits, an apostrophe between two of them stays in
** it, terms are lower-cased and cut to GG_TERM_MAX bytes.  Random texts of
** 0..300 bytes with word runs of every length around the 16-byte chunks
** the scanner classifies at once, and texts ending inside a word. */
static int ref_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void test_ascii_random(void) {
  /* separators, among them each neighbour of the letter and digit ranges */
  static const char other[] = " .,;-'\t\n\"()/:@[`{\x7f";
  static toks got;
  char text[320], want[MAXTOK][GG_TERM_MAX + 1];
  size_t wstart[MAXTOK], wend[MAXTOK];
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = 0, limit = rng_below(300);
    while (n < limit) {
      if (rng_below(3)) {  /* a word run of 1..40 characters */
        size_t k = 1 + rng_below(40);
        for (size_t j = 0; j < k && n < limit; j++) {
          unsigned r = (unsigned)rng_below(62);
          text[n++] = (char)(r < 26 ? 'a' + r : r < 52 ? 'A' + r - 26 : '0' + r - 52);
        }
      } else {
        text[n++] = other[rng_below(sizeof other - 1)];
      }
    }
    size_t nw = 0;
    for (size_t i = 0; i < n;) {
      if (!ref_word(text[i])) {
        i++;
        continue;
      }
      size_t j = i;
      for (;;) {
        while (j < n && ref_word(text[j])) j++;
        if (j + 1 < n && text[j] == '\'' && ref_word(text[j + 1])) {
          j++;
          continue;
        }
        break;
      }
      size_t len = j - i < GG_TERM_MAX ? j - i : GG_TERM_MAX;
      for (size_t k = 0; k < len; k++) {
        char c = text[i + k];
        want[nw][k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
      }
      want[nw][len] = 0;
      wstart[nw] = i;
      wend[nw++] = j;
      i = j;
    }
    memset(&got, 0, sizeof got);
    uint32_t pos = 0;
    CHECK(gg_analyze_words(an_none, text, n, &pos, collect, &got) == 0 && pos == nw && got.n == nw,
          "random ASCII text %d: %zu terms, want %zu", iter, got.n, nw);
    for (size_t k = 0; k < got.n && k < nw; k++)
      CHECK(strcmp(got.t[k].term, want[k]) == 0 && got.t[k].pos == k && got.t[k].start == wstart[k] &&
                got.t[k].end == wend[k],
            "random ASCII text %d, term %zu: '%s' at %zu..%zu, want '%s' at %zu..%zu", iter, k,
            got.t[k].term, got.t[k].start, got.t[k].end, want[k], wstart[k], wend[k]);
  }
}

int main(void) {
  gg_error err;
  REQUIRE(gg_analyzer_new("none", &an_none, &err) == GG_OK, "%s", err.msg);
  REQUIRE(gg_analyzer_new("english", &an_en, &err) == GG_OK, "%s", err.msg);
  rng_seed(777);
  test_table();
  test_positions_offsets();
  test_long_words();
  test_random_bytes();
  test_ascii_random();
  test_api();
  /* The stem cache must not change results: analyse the table twice more. */
  test_table();
  gg_analyzer_free(an_none);
  gg_analyzer_free(an_en);
  CHECK_EXIT();
}
