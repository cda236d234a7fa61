/*
** fuzz_index.c -- hostile-but-checksummed index files: the decoders must
** never crash, hang, read out of bounds or allocate absurdly.
**
** tests/corruption.py proves that random damage is *detected* by the page
** CRCs.  Here every mutated file carries *valid* checksums (every page check,
** the check-table CRC and the footer CRC are recomputed as docs/FORMAT.md
** specifies), so the bytes reach the decoders: section table, STATS,
** dictionary, skip tables, PFor headers, varint blocks, IDOFF/IDS,
** STOREIDX/STORE (recompressed with valid zlib), DOCLEN, MANIFEST.
**
** Each iteration builds a mutated copy of a small index (the bundled corpus
** plus generated documents, so that long postings lists have skip tables and
** PFor blocks), opens it, runs queries (OR/AND, words and phrases, k = 1, 10,
** 1000, exhaustive on and off), fetches documents and snippets of the hits,
** and runs gg_index_check.  Every call must return GG_OK or a clean error
** code with a message; any crash, sanitizer report or hang (alarm) fails.
** A single allocation of more than GG_FUZZ_ALLOC_LIMIT bytes (the index is a
** few hundred KB) is reported as an absurd allocation.
**
**   fuzz_index [--seed S] [--iters N] [--first I] [--keep DIR] [-v]
**     --first I --iters 1 --keep DIR   replay iteration I and keep its files
**
** Each iteration's random stream depends only on (seed, iteration), so a
** failure is reproduced by replaying that single iteration.
**
** Built with -DGG_LIBFUZZER (clang -fsanitize=fuzzer,...; see the note at
** the end of this file) it is a libFuzzer target instead: the input is a
** segment body whose checks and footer are fixed up before opening; with
** -DGG_LIBFUZZER_QUERY the input is a query string.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <execinfo.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/pagefile.h"
#include "core/segment.h"
#include "gg/gg.h"
#include "searcher/searcher.h"
#include "testutil.h"

#ifndef GG_CORPUS_DIR
#define GG_CORPUS_DIR "corpus"
#endif
#define GG_FUZZ_ALLOC_LIMIT ((size_t)64 << 20)

/* ---- allocation guard (linked with --wrap=malloc,calloc,realloc) -------- */

static volatile size_t g_alloc_limit;   /* 0: no limit (during the build) */
static size_t g_alloc_worst;            /* largest refused request */
static int g_alloc_refused;

#ifdef GG_FUZZ_WRAP_MALLOC
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
static int too_big(size_t n) {
  if (g_alloc_limit && n > g_alloc_limit) {
    g_alloc_refused++;
    if (n > g_alloc_worst) g_alloc_worst = n;
    return 1;
  }
  return 0;
}
void *__wrap_malloc(size_t n) { return too_big(n) ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) {
  if (m && n > SIZE_MAX / m) return NULL;
  return too_big(n * m) ? NULL : __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n) { return too_big(n) ? NULL : __real_realloc(p, n); }
#endif

/* ---- random numbers: splitmix64, one stream per (seed, iteration) ------- */

static uint64_t rs;
static uint64_t rnd(void) {
  uint64_t z = (rs += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static uint64_t rn(uint64_t n) { return n ? rnd() % n : 0; }
static int chance(unsigned pct) { return rn(100) < pct; }

/* ---- mutation log ------------------------------------------------------- */

static char g_log[8192];
static size_t g_logn;
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
  if (g_logn >= sizeof g_log - 2) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(g_log + g_logn, sizeof g_log - g_logn, fmt, ap);
  va_end(ap);
  if (k > 0) g_logn += (size_t)k < sizeof g_log - g_logn ? (size_t)k : sizeof g_log - g_logn - 1;
  if (g_logn < sizeof g_log - 1) g_log[g_logn++] = ';';
  g_log[g_logn] = 0;
}

/* ---- interesting values ------------------------------------------------- */

static uint64_t interesting(uint64_t orig, int bytes) {
  static const uint64_t v[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
                               0x10000, 0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu,
                               0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                               0xffffffffffffffffull, 0x2000000000000001ull,
                               0x1555555555555556ull, 0x0aaaaaaaaaaaaaabull};
  uint64_t x;
  switch (rn(5)) {
    case 0: x = orig + 1; break;
    case 1: x = orig - 1; break;
    case 2: x = orig * 2 + rn(3); break;
    case 3: x = orig / 2; break;
    default: x = v[rn(sizeof v / sizeof v[0])]; break;
  }
  if (bytes == 1) return x & 0xff;
  if (bytes == 4) return x & 0xffffffffu;
  return x;
}

static uint8_t interesting_byte(void) {
  static const uint8_t v[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x20, 0x21, 0x1f, 0x40};
  return chance(70) ? v[rn(sizeof v)] : (uint8_t)rnd();
}

/* ---- in-memory page file ------------------------------------------------ */

typedef struct sect {
  uint32_t kind, pad;
  uint64_t off, len;
} sect;

typedef struct pfile {
  uint8_t *d;       /* header + sections: the bytes [0, table_off) */
  size_t n, cap;
  sect s[64];
  uint32_t ns;
  int footer_mutated;  /* check-table CRC or footer deliberately inconsistent */
} pfile;

static void pf_free(pfile *f) {
  free(f->d);
  memset(f, 0, sizeof *f);
}

static void pf_reserve(pfile *f, size_t n) {
  if (n <= f->cap) return;
  size_t cap = f->cap ? f->cap : 4096;
  while (cap < n) cap *= 2;
  f->d = realloc(f->d, cap);
  if (!f->d) abort();
  f->cap = cap;
}

static void pf_clone(pfile *dst, const pfile *src) {
  *dst = *src;
  dst->d = NULL;
  dst->cap = 0;
  pf_reserve(dst, src->n + 1);
  memcpy(dst->d, src->d, src->n);
}

/* Parse a well-formed file (the freshly built base index). */
static int pf_parse(pfile *f, const uint8_t *m, size_t size) {
  memset(f, 0, sizeof *f);
  if (size < 80) return -1;
  const uint8_t *ft = m + size - 48;
  uint64_t table_off = gg_get_u64(ft);
  uint32_t ns = gg_get_u32(ft + 8);
  if (table_off > size || ns > 64 || table_off + (uint64_t)ns * 24 > size) return -1;
  pf_reserve(f, table_off + 1);
  memcpy(f->d, m, table_off);
  f->n = table_off;
  f->ns = ns;
  for (uint32_t i = 0; i < ns; i++) {
    const uint8_t *e = m + table_off + (size_t)i * 24;
    f->s[i].kind = gg_get_u32(e);
    f->s[i].pad = gg_get_u32(e + 4);
    f->s[i].off = gg_get_u64(e + 8);
    f->s[i].len = gg_get_u64(e + 16);
  }
  return 0;
}

/* Data + section table + page checks + footer, as gg_pfw_finish writes. */
static uint8_t *pf_serialize(const pfile *f, size_t *outn) {
  size_t body = f->n + (size_t)f->ns * 24;
  size_t npages = (body + GG_PAGE_SIZE - 1) / GG_PAGE_SIZE;
  size_t size = body + npages * 4 + 48;
  uint8_t *o = malloc(size);
  if (!o) abort();
  memcpy(o, f->d, f->n);
  for (uint32_t i = 0; i < f->ns; i++) {
    uint8_t *e = o + f->n + (size_t)i * 24;
    gg_set_u32(e, f->s[i].kind);
    gg_set_u32(e + 4, f->s[i].pad);
    gg_set_u64(e + 8, f->s[i].off);
    gg_set_u64(e + 16, f->s[i].len);
  }
  for (size_t pg = 0; pg < npages; pg++) {
    size_t start = pg * GG_PAGE_SIZE, end = start + GG_PAGE_SIZE < body ? start + GG_PAGE_SIZE : body;
    gg_set_u32(o + body + pg * 4, (uint32_t)XXH3_64bits(o + start, end - start));
  }
  uint8_t *ft = o + body + npages * 4;
  gg_set_u64(ft, f->n);
  gg_set_u32(ft + 8, f->ns);
  gg_set_u32(ft + 12, GG_PAGE_SIZE);
  gg_set_u64(ft + 16, body);
  gg_set_u64(ft + 24, size);
  memcpy(ft + 32, "GGEND\r\n\x1a", 8);
  gg_set_u32(ft + 40, (uint32_t)crc32_z(0, o + body, npages * 4));
  gg_set_u32(ft + 44, (uint32_t)crc32(0, ft, 44));
  *outn = size;
  return o;
}

static int pf_find(const pfile *f, uint32_t kind) {
  for (uint32_t i = 0; i < f->ns; i++)
    if (f->s[i].kind == kind) return (int)i;
  return -1;
}

/* Section si if its range lies inside the data, else NULL. */
static uint8_t *pf_sec(pfile *f, int si, uint64_t *len) {
  if (si < 0) return NULL;
  sect *s = &f->s[si];
  if (s->off > f->n || s->len > f->n - s->off) return NULL;
  *len = s->len;
  return f->d + s->off;
}

static uint8_t *pf_kind(pfile *f, uint32_t kind, uint64_t *len) {
  return pf_sec(f, pf_find(f, kind), len);
}

/* Replace [rel, rel+del) of section si by ins[0..insn): the section grows or
** shrinks and the sections after it move, so the table stays consistent. */
static int pf_splice(pfile *f, int si, uint64_t rel, uint64_t del, const uint8_t *ins, size_t insn) {
  uint64_t slen;
  if (!pf_sec(f, si, &slen) || rel > slen || del > slen - rel) return -1;
  size_t at = (size_t)(f->s[si].off + rel);
  pf_reserve(f, f->n - del + insn + 1);
  memmove(f->d + at + insn, f->d + at + del, f->n - at - del);
  if (insn) memcpy(f->d + at, ins, insn);
  f->n = f->n - del + insn;
  int64_t diff = (int64_t)insn - (int64_t)del;
  for (uint32_t j = 0; j < f->ns; j++)
    if ((int)j != si && f->s[j].off >= at + del && f->s[j].off > f->s[si].off)
      f->s[j].off = (uint64_t)((int64_t)f->s[j].off + diff);
  f->s[si].len = (uint64_t)((int64_t)f->s[si].len + diff);
  return 0;
}

/* ---- the test corpus ---------------------------------------------------- */

static const char *SYL[16] = {"ka", "lo", "mi", "ne", "su", "ra", "to", "vi",
                              "be", "do", "fu", "ga", "hi", "ju", "pe", "zo"};
#define NVOCAB 400
static char g_vocab[NVOCAB][16];

static void make_vocab(void) {
  for (int i = 0; i < NVOCAB; i++)
    snprintf(g_vocab[i], sizeof g_vocab[i], "%s%s%s", SYL[i % 16], SYL[(i / 16) % 16],
             i >= 256 ? SYL[(i / 256) % 16] : "x");
}

/* Zipf-ish word number. */
static int zipf(void) {
  double u = (double)(rnd() >> 11) / 9007199254740992.0;
  int w = (int)(pow((double)NVOCAB + 1, u)) - 1;
  return w < 0 ? 0 : w >= NVOCAB ? NVOCAB - 1 : w;
}

/* 420 documents: enough for postings lists of several 128-document blocks
** (skip tables, PFor), several stored-text blocks and ID groups. */
static void make_docs(const char *dir) {
  rs = 12345;
  for (int d = 0; d < 420; d++) {
    char name[4096];
    snprintf(name, sizeof name, "%s/gen-%04d.txt", dir, d);
    FILE *f = fopen(name, "w");
    if (!f) {
      perror(name);
      exit(1);
    }
    fprintf(f, "Title %s %s\n\n", g_vocab[zipf()], g_vocab[d % NVOCAB]);
    int words = 10 + (int)rn(d % 17 == 0 ? 900 : 150);
    for (int w = 0; w < words; w++) {
      if (rn(40) == 0) fputs("zeta omega theta ", f);
      fputs(g_vocab[zipf()], f);
      fputc(w % 13 == 12 ? '\n' : ' ', f);
    }
    if (d % 5 == 0) fputs("revival of right reason\n", f);
    fclose(f);
  }
}

/* ---- mutations of a segment --------------------------------------------- */

typedef struct dterm {
  uint64_t post, plen, pos, qlen, df;   /* offsets relative to POSTINGS / POSITIONS */
} dterm;

static size_t put_varint(uint8_t *p, uint64_t v) { return gg_varint_put(p, v); }

/* Every dictionary term as the reader would compute its ranges (best
** effort: stops at the first malformed block). */
static size_t list_terms(pfile *f, dterm *out, size_t cap) {
  uint64_t dl = 0, il = 0;
  uint8_t *dict = pf_kind(f, GG_SEC_DICT, &dl), *idx = pf_kind(f, GG_SEC_DICTIDX, &il);
  if (!dict || !idx) return 0;
  size_t n = 0;
  uint64_t nb = il / 8;
  for (uint64_t b = 0; b < nb; b++) {
    uint64_t start = gg_get_u64(idx + b * 8), stop = b + 1 < nb ? gg_get_u64(idx + b * 8 + 8) : dl;
    if (start >= stop || stop > dl) break;
    const uint8_t *p = dict + start, *end = dict + stop;
    uint64_t nt, post, pos;
    if (gg_varint_get(&p, end, &nt) || gg_varint_get(&p, end, &post) || gg_varint_get(&p, end, &pos))
      break;
    for (uint64_t k = 0; k < nt && k < 64 && n < cap; k++) {
      uint64_t pre, sfx, df, pl, ql;
      if (gg_varint_get(&p, end, &pre) || gg_varint_get(&p, end, &sfx) || sfx > (uint64_t)(end - p))
        return n;
      p += sfx;
      if (gg_varint_get(&p, end, &df) || gg_varint_get(&p, end, &pl) || gg_varint_get(&p, end, &ql))
        return n;
      out[n].post = post;
      out[n].plen = pl;
      out[n].pos = pos;
      out[n].qlen = ql;
      out[n].df = df;
      n++;
      post += pl;
      pos += ql;
    }
  }
  return n;
}

/* A term, preferably one with several blocks, whose ranges lie inside the
** sections. */
static int pick_term(pfile *f, dterm *t) {
  static dterm all[8192];
  size_t n = list_terms(f, all, 8192);
  uint64_t pl, ql;
  if (!n || !pf_kind(f, GG_SEC_POSTINGS, &pl) || !pf_kind(f, GG_SEC_POSITIONS, &ql)) return -1;
  size_t big[8192], nbig = 0;
  for (size_t i = 0; i < n; i++)
    if (all[i].df > GG_BLOCK && all[i].post + all[i].plen <= pl && all[i].pos + all[i].qlen <= ql)
      big[nbig++] = i;
  for (int tries = 0; tries < 20; tries++) {
    size_t i = nbig && chance(75) ? big[rn(nbig)] : rn(n);
    if (all[i].plen && all[i].post + all[i].plen <= pl && all[i].pos + all[i].qlen <= ql) {
      *t = all[i];
      return 0;
    }
  }
  return -1;
}

/* Raw damage inside a section (or the header). */
static void mut_raw(pfile *f) {
  uint64_t len = 0;
  uint8_t *p;
  int si = (int)rn(f->ns + 1) - 1;
  if (si < 0) {
    p = f->d;
    len = GG_HEADER_SIZE;
  } else if (!(p = pf_sec(f, si, &len)) || len == 0) {
    return;
  }
  uint64_t at = rn(len);
  switch (rn(4)) {
    case 0: {
      int bits = 1 + (int)rn(8);
      for (int i = 0; i < bits; i++) {
        uint64_t a = chance(50) ? at : rn(len);
        p[a] ^= (uint8_t)(1u << rn(8));
      }
      note("bitflip sec%d+%llu x%d", si, (unsigned long long)at, bits);
      break;
    }
    case 1: {
      int k = 1 + (int)rn(4);
      for (int i = 0; i < k && at + i < len; i++) p[at + i] = interesting_byte();
      note("bytes sec%d+%llu x%d", si, (unsigned long long)at, k);
      break;
    }
    case 2:
      if (len >= 4) {
        at = rn(len - 3);
        if (chance(50)) at &= ~(uint64_t)3;
        gg_set_u32(p + at, (uint32_t)interesting(gg_get_u32(p + at), 4));
        note("u32 sec%d+%llu=%u", si, (unsigned long long)at, gg_get_u32(p + at));
      }
      break;
    default:
      if (len >= 8) {
        at = rn(len - 7);
        if (chance(50)) at &= ~(uint64_t)7;
        gg_set_u64(p + at, interesting(gg_get_u64(p + at), 8));
        note("u64 sec%d+%llu=%llu", si, (unsigned long long)at, (unsigned long long)gg_get_u64(p + at));
      }
      break;
  }
}

/* Delete, duplicate or insert a range inside one section (lengths and
** later offsets in the table follow). */
static void mut_resize(pfile *f) {
  if (!f->ns) return;
  int si = (int)rn(f->ns);
  uint64_t len;
  uint8_t *p = pf_sec(f, si, &len);
  if (!p) return;
  uint64_t at = rn(len + 1), k = 1 + rn(chance(70) ? 16 : 512);
  switch (rn(3)) {
    case 0:
      if (k > len - at) k = len - at;
      pf_splice(f, si, at, k, NULL, 0);
      note("delete sec%d(kind %u)+%llu len %llu", si, f->s[si].kind, (unsigned long long)at,
           (unsigned long long)k);
      break;
    case 1: {
      if (k > len - at) k = len - at;
      uint8_t *c = malloc(k + 1);
      memcpy(c, p + at, k);
      pf_splice(f, si, at, 0, c, k);
      free(c);
      note("duplicate sec%d(kind %u)+%llu len %llu", si, f->s[si].kind, (unsigned long long)at,
           (unsigned long long)k);
      break;
    }
    default: {
      uint8_t ins[16];
      size_t n;
      if (chance(50)) {
        n = put_varint(ins, interesting(rnd(), 8));
      } else {
        n = 1 + rn(8);
        for (size_t i = 0; i < n; i++) ins[i] = interesting_byte();
      }
      pf_splice(f, si, at, 0, ins, n);
      note("insert sec%d(kind %u)+%llu %zu bytes", si, f->s[si].kind, (unsigned long long)at, n);
    }
  }
}

static void mut_table(pfile *f) {
  if (!f->ns) return;
  uint32_t i = (uint32_t)rn(f->ns), j = (uint32_t)rn(f->ns);
  switch (rn(6)) {
    case 0: {
      sect t = f->s[i];
      f->s[i] = f->s[j];
      f->s[j] = t;
      note("swap table entries %u %u", i, j);
      break;
    }
    case 1: {
      uint32_t k = f->s[i].kind;
      f->s[i].kind = f->s[j].kind;
      f->s[j].kind = k;
      note("swap kinds of entries %u %u", i, j);
      break;
    }
    case 2:
      f->s[i].off = chance(30) ? f->s[j].off : interesting(f->s[i].off, 8);
      note("table[%u].off=%llu", i, (unsigned long long)f->s[i].off);
      break;
    case 3:
      f->s[i].len = chance(30) ? f->s[j].len : interesting(f->s[i].len, 8);
      note("table[%u].len=%llu", i, (unsigned long long)f->s[i].len);
      break;
    case 4:
      if (chance(50) && f->ns < 64) {
        f->s[f->ns++] = f->s[i];
        note("duplicate table entry %u", i);
      } else {
        memmove(&f->s[i], &f->s[i + 1], (f->ns - i - 1) * sizeof f->s[0]);
        f->ns--;
        note("drop table entry %u", i);
      }
      break;
    default:
      f->s[i].kind = chance(50) ? (uint32_t)interesting(f->s[i].kind, 4) : (uint32_t)rn(12);
      note("table[%u].kind=%u", i, f->s[i].kind);
  }
}

/* STATS fields (documents, tokens, terms, postings, store blocks, dict
** blocks); with "lie", shrink a count and the sections it sizes so that the
** size checks still pass. */
static void mut_stats(pfile *f) {
  uint64_t len;
  uint8_t *st = pf_kind(f, GG_SEC_STATS, &len);
  if (!st || len < 48) return;
  if (chance(50)) {
    int k = (int)rn(6);
    gg_set_u64(st + 8 * k, interesting(gg_get_u64(st + 8 * k), chance(50) ? 4 : 8));
    note("stats[%d]=%llu", k, (unsigned long long)gg_get_u64(st + 8 * k));
    return;
  }
  int which = (int)rn(3);
  if (which == 0) { /* documents */
    uint64_t n = gg_get_u64(st), m = chance(30) ? rn(3) : rn(n + 40);
    int a = pf_find(f, GG_SEC_DOCLEN), b = pf_find(f, GG_SEC_IDOFF);
    if (a < 0 || b < 0) return;
    gg_set_u64(st, m);
    f->s[a].len = m * 4;
    f->s[b].len = ((m + GG_ID_GROUP - 1) / GG_ID_GROUP + 1) * 8;
    note("lie: docs %llu -> %llu", (unsigned long long)n, (unsigned long long)m);
  } else {
    int k = which == 1 ? 4 : 5;
    uint32_t kind = which == 1 ? GG_SEC_STOREIDX : GG_SEC_DICTIDX;
    uint64_t unit = which == 1 ? GG_STORE_ENTRY : 8;
    int a = pf_find(f, kind);
    if (a < 0) return;
    uint64_t n = gg_get_u64(st + 8 * k), m = rn(n + 2);
    gg_set_u64(st + 8 * k, m);
    f->s[a].len = m * unit;
    note("lie: %s blocks %llu -> %llu", which == 1 ? "store" : "dict", (unsigned long long)n,
         (unsigned long long)m);
  }
}

/* Re-encode one dictionary block with one field changed. */
typedef struct dent {
  uint64_t pre, sfx, df, pl, ql;
  uint8_t s[256];
  size_t slen;
} dent;

static void mut_dict(pfile *f) {
  uint64_t dl = 0, il = 0;
  int di = pf_find(f, GG_SEC_DICT);
  uint8_t *dict = pf_sec(f, di, &dl), *idx = pf_kind(f, GG_SEC_DICTIDX, &il);
  if (!dict || !idx || il < 8) return;
  uint64_t nb = il / 8, b = rn(nb);
  uint64_t start = gg_get_u64(idx + b * 8), stop = b + 1 < nb ? gg_get_u64(idx + b * 8 + 8) : dl;
  if (start >= stop || stop > dl) return;
  const uint8_t *p = dict + start, *end = dict + stop;
  uint64_t hdr[3];
  static dent e[64];
  size_t ne = 0;
  if (gg_varint_get(&p, end, &hdr[0]) || gg_varint_get(&p, end, &hdr[1]) ||
      gg_varint_get(&p, end, &hdr[2]))
    return;
  for (uint64_t k = 0; k < hdr[0] && ne < 64; k++, ne++) {
    dent *x = &e[ne];
    if (gg_varint_get(&p, end, &x->pre) || gg_varint_get(&p, end, &x->sfx) || x->sfx > 255 ||
        x->sfx > (uint64_t)(end - p))
      return;
    memcpy(x->s, p, x->sfx);
    x->slen = x->sfx;
    p += x->sfx;
    if (gg_varint_get(&p, end, &x->df) || gg_varint_get(&p, end, &x->pl) ||
        gg_varint_get(&p, end, &x->ql))
      return;
  }
  if (!ne) return;
  size_t k = rn(ne);
  int field = (int)rn(10);
  static const uint64_t dfs[] = {1, 127, 128, 129, 255, 256, 257, 384, 0, 0xffffffffu, 0xfffffffeu};
  switch (field) {
    case 0: hdr[0] = chance(50) ? interesting(hdr[0], 8) : rn(70); break;
    case 1: hdr[1] = interesting(hdr[1], 8); break;
    case 2: hdr[2] = interesting(hdr[2], 8); break;
    case 3: e[k].pre = chance(50) ? interesting(e[k].pre, 8) : rn(260); break;
    case 4: e[k].sfx = chance(50) ? interesting(e[k].sfx, 8) : rn(260); break;  /* lie about the bytes */
    case 5: e[k].df = chance(50) ? dfs[rn(sizeof dfs / sizeof dfs[0])] : interesting(e[k].df, 8); break;
    case 6: e[k].pl = chance(30) ? e[rn(ne)].pl : interesting(e[k].pl, 8); break;
    case 7: e[k].ql = chance(30) ? e[rn(ne)].ql : interesting(e[k].ql, 8); break;
    case 8: { /* swap two entries: terms out of order */
      size_t j = rn(ne);
      dent t = e[k];
      e[k] = e[j];
      e[j] = t;
      break;
    }
    default: /* term bytes */
      if (e[k].slen) e[k].s[rn(e[k].slen)] = chance(50) ? 0 : (uint8_t)rnd();
  }
  note("dict block %llu entry %zu field %d", (unsigned long long)b, k, field);
  uint8_t *o = malloc(30 + ne * (50 + 256));
  size_t n = 0;
  for (int h = 0; h < 3; h++) n += put_varint(o + n, hdr[h]);
  for (size_t j = 0; j < ne; j++) {
    n += put_varint(o + n, e[j].pre);
    n += put_varint(o + n, e[j].sfx);
    memcpy(o + n, e[j].s, e[j].slen);
    n += e[j].slen;
    n += put_varint(o + n, e[j].df);
    n += put_varint(o + n, e[j].pl);
    n += put_varint(o + n, e[j].ql);
  }
  int64_t diff = (int64_t)n - (int64_t)(stop - start);
  pf_splice(f, di, start, stop - start, o, n);
  free(o);
  if ((idx = pf_kind(f, GG_SEC_DICTIDX, &il)))
    for (uint64_t j = b + 1; j < il / 8; j++)
      gg_set_u64(idx + j * 8, (uint64_t)((int64_t)gg_get_u64(idx + j * 8) + diff));
}

static void mut_u_entries(pfile *f, uint32_t kind, uint64_t entry, const int *fields, int nfields,
                          const char *name) {
  uint64_t len;
  uint8_t *p = pf_kind(f, kind, &len);
  if (!p || len < entry) return;
  uint64_t i = rn(len / entry);
  int fi = (int)rn((uint64_t)nfields);
  int off = fields[2 * fi], w = fields[2 * fi + 1];
  uint8_t *q = p + i * entry + off;
  uint64_t other = len / entry > 1 ? rn(len / entry) : i;
  if (w == 8) {
    uint64_t v = chance(25) ? gg_get_u64(p + other * entry + off) : interesting(gg_get_u64(q), 8);
    gg_set_u64(q, v);
    note("%s[%llu]+%d=%llu", name, (unsigned long long)i, off, (unsigned long long)v);
  } else {
    uint32_t v = chance(25) ? gg_get_u32(p + other * entry + off) : (uint32_t)interesting(gg_get_u32(q), 4);
    gg_set_u32(q, v);
    note("%s[%llu]+%d=%u", name, (unsigned long long)i, off, v);
  }
}

static void mut_idoff(pfile *f) {
  static const int fl[] = {0, 8};
  mut_u_entries(f, GG_SEC_IDOFF, 8, fl, 1, "IDOFF");
}
static void mut_storeidx(pfile *f) {
  static const int fl[] = {0, 8, 8, 4, 12, 4, 16, 4, 20, 4};
  mut_u_entries(f, GG_SEC_STOREIDX, GG_STORE_ENTRY, fl, 5, "STOREIDX");
}
static void mut_doclen(pfile *f) {
  static const int fl[] = {0, 4};
  mut_u_entries(f, GG_SEC_DOCLEN, 4, fl, 1, "DOCLEN");
}
static void mut_dictidx(pfile *f) {
  static const int fl[] = {0, 8};
  mut_u_entries(f, GG_SEC_DICTIDX, 8, fl, 1, "DICTIDX");
}

/* IDS: the varint length prefixes. */
static void mut_ids(pfile *f) {
  uint64_t len;
  uint8_t *p = pf_kind(f, GG_SEC_IDS, &len);
  if (!p || !len) return;
  const uint8_t *q = p, *end = p + len;
  uint64_t target = rn(64), i = 0;
  while (q < end) {
    const uint8_t *at = q;
    uint64_t n;
    if (gg_varint_get(&q, end, &n) || n > (uint64_t)(end - q)) return;
    if (i++ == target || q + n == end) {
      *(uint8_t *)at = interesting_byte();
      note("IDS length byte at %lld=%u", (long long)(at - p), *at);
      return;
    }
    q += n;
  }
}

/* Skip-table entries, PFor headers and exceptions, varint blocks. */
static void mut_postings(pfile *f) {
  dterm t;
  if (pick_term(f, &t)) return;
  uint64_t pl, ql;
  uint8_t *post = pf_kind(f, GG_SEC_POSTINGS, &pl) + t.post;
  uint8_t *pos = pf_kind(f, GG_SEC_POSITIONS, &ql) + t.pos;
  uint64_t nb = (t.df + GG_BLOCK - 1) / GG_BLOCK;
  uint8_t *skip = nb > 1 && nb * 20 <= t.plen ? post + t.plen - nb * 20 : NULL;
  uint64_t k = rn(nb);
  int what = (int)rn(skip ? 6 : 4);
  if (what >= 4) { /* a skip entry field */
    int fld = (int)rn(5);
    uint8_t *e = skip + k * 20 + fld * 4;
    uint32_t v;
    switch (rn(4)) {
      case 0: v = gg_get_u32(skip + rn(nb) * 20 + fld * 4); break;
      case 1: v = (uint32_t)(fld == 2 ? t.qlen : fld == 1 ? t.plen : t.df) + (uint32_t)rn(3) - 1; break;
      default: v = (uint32_t)interesting(gg_get_u32(e), 4);
    }
    gg_set_u32(e, v);
    note("skip[%llu].%d=%u (df %llu)", (unsigned long long)k, fld, v, (unsigned long long)t.df);
    return;
  }
  uint64_t pstart = k && skip ? gg_get_u32(skip + (k - 1) * 20 + 4) : 0;
  uint64_t pend = skip ? gg_get_u32(skip + k * 20 + 4) : t.plen - (skip ? nb * 20 : 0);
  uint64_t qstart = k && skip ? gg_get_u32(skip + (k - 1) * 20 + 8) : 0;
  uint64_t qend = skip ? gg_get_u32(skip + k * 20 + 8) : t.qlen;
  if (pstart >= pend || pend > t.plen || qstart >= qend || qend > t.qlen) return;
  int full = k + 1 < nb || t.df % GG_BLOCK == 0;
  uint8_t *b = what < 2 ? post + pstart : pos + qstart;
  uint64_t blen = what < 2 ? pend - pstart : qend - qstart;
  if (!full) { /* varints: continuation bits and values */
    uint64_t at = rn(blen);
    b[at] = interesting_byte();
    note("%s varint block byte %llu=%u (df %llu)", what < 2 ? "postings" : "positions",
         (unsigned long long)at, b[at], (unsigned long long)t.df);
    return;
  }
  /* Walk to a PFor chunk: postings have 2 (gaps, tf-1), positions as many as needed. */
  unsigned chunk = (unsigned)rn(what < 2 ? 2 : 4);
  uint64_t off = 0;
  for (unsigned c = 0; c < chunk; c++) {
    size_t used = gg_pfor_skip(b + off, blen - off, GG_BLOCK);
    if (!used || off + used >= blen) break;
    off += used;
  }
  uint8_t *h = b + off;
  unsigned bw = h[0], nexc = h[1];
  switch (rn(what & 1 ? 4 : 3)) {
    case 0: {
      static const uint8_t bv[] = {0, 1, 7, 8, 16, 31, 32, 33, 64, 127, 128, 255};
      h[0] = chance(30) ? (uint8_t)(bw + rn(3) - 1) : bv[rn(sizeof bv)];
      note("pfor b %u->%u", bw, h[0]);
      break;
    }
    case 1: {
      static const uint8_t nv[] = {0, 1, 2, 127, 128, 129, 255};
      h[1] = chance(30) ? (uint8_t)(nexc + rn(3) - 1) : nv[rn(sizeof nv)];
      note("pfor nexc %u->%u", nexc, h[1]);
      break;
    }
    case 2: { /* an exception: index byte or value */
      uint64_t eo = off + 2 + gg_packed_bytes(GG_BLOCK, bw);
      if (!nexc || eo + 1 >= blen) return;
      if (chance(50)) {
        static const uint8_t iv[] = {0, 126, 127, 128, 129, 255};
        b[eo] = iv[rn(sizeof iv)];
        note("pfor exception index=%u", b[eo]);
      } else {
        b[eo + 1] = interesting_byte();
        note("pfor exception value byte=%u", b[eo + 1]);
      }
      break;
    }
    default: { /* packed bits all ones: huge gaps / tf */
      size_t pb = gg_packed_bytes(GG_BLOCK, bw);
      if (off + 2 + pb > blen) return;
      memset(h + 2, 0xff, pb);
      note("pfor packed bits all ones (b %u)", bw);
    }
  }
  note("in %s block %llu of a term with df %llu", what < 2 ? "postings" : "positions",
       (unsigned long long)k, (unsigned long long)t.df);
}

/* Inflate a stored-text block, damage its content, deflate it again (valid
** zlib), and fix STOREIDX. */
static void mut_store(pfile *f) {
  uint64_t il = 0, sl = 0;
  int si = pf_find(f, GG_SEC_STORE);
  uint8_t *idx = pf_kind(f, GG_SEC_STOREIDX, &il), *store = pf_sec(f, si, &sl);
  if (!idx || !store || il < GG_STORE_ENTRY) return;
  uint64_t nb = il / GG_STORE_ENTRY, b = rn(nb);
  uint8_t *e = idx + b * GG_STORE_ENTRY;
  uint64_t off = gg_get_u64(e);
  uint32_t clen = gg_get_u32(e + 8), ulen = gg_get_u32(e + 12);
  if (off > sl || clen > sl - off || ulen > (64u << 20)) return;
  uint8_t *u = malloc((size_t)ulen + 64);
  uLongf got = ulen;
  if (uncompress(u, &got, store + off, clen) != Z_OK || got != ulen) {
    free(u);
    return;
  }
  size_t n = ulen;
  /* The length varints of the documents. */
  size_t vs[1024], nv = 0;
  const uint8_t *q = u, *end = u + n;
  while (q < end && nv + 2 < 1024) {
    uint64_t l;
    vs[nv++] = (size_t)(q - u);
    if (gg_varint_get(&q, end, &l) || l > (uint64_t)(end - q)) break;
    q += l;
  }
  switch (rn(4)) {
    case 0: {
      size_t at = vs[rn(nv)];
      uint8_t tmp[16];
      size_t k = put_varint(tmp, interesting(u[at], 8));
      if (at + k <= n) memcpy(u + at, tmp, k);
      else u[at] = 0xff;
      note("store block %llu length varint at %zu", (unsigned long long)b, at);
      break;
    }
    case 1:
      n = rn(n + 1);
      note("store block %llu truncated to %zu", (unsigned long long)b, n);
      break;
    case 2:
      for (int i = 0; i < 8; i++) u[n + i] = 0x80 | (uint8_t)rnd();
      n += 1 + rn(8);
      note("store block %llu junk appended", (unsigned long long)b);
      break;
    default:
      if (n) u[rn(n)] ^= (uint8_t)(1u << rn(8));
      note("store block %llu bit flipped", (unsigned long long)b);
  }
  uLongf zn = compressBound(n);
  uint8_t *z = malloc(zn);
  if (compress2(z, &zn, u, n, 6) != Z_OK) {
    free(u);
    free(z);
    return;
  }
  pf_splice(f, si, off, clen, z, zn);
  int64_t diff = (int64_t)zn - (int64_t)clen;
  if ((idx = pf_kind(f, GG_SEC_STOREIDX, &il)) && il >= (b + 1) * GG_STORE_ENTRY) {
    e = idx + b * GG_STORE_ENTRY;
    gg_set_u32(e + 8, (uint32_t)zn);
    if (chance(85)) gg_set_u32(e + 12, (uint32_t)n);
    for (uint64_t j = 0; j < il / GG_STORE_ENTRY; j++)
      if (gg_get_u64(idx + j * GG_STORE_ENTRY) > off)
        gg_set_u64(idx + j * GG_STORE_ENTRY, (uint64_t)((int64_t)gg_get_u64(idx + j * GG_STORE_ENTRY) + diff));
  }
  free(u);
  free(z);
}

static void mut_header(pfile *f) {
  switch (rn(3)) {
    case 0: gg_set_u32(f->d + 8, (uint32_t)interesting(1, 4)); note("header version"); break;
    case 1: gg_set_u32(f->d + 12, (uint32_t)interesting(4096, 4)); note("header page"); break;
    default: f->d[16 + rn(16)] = (uint8_t)rnd(); note("header reserved");
  }
}


/* ---- "writer bug" mutations: a term's postings decoded, changed in
** meaning (documents beyond the count, tf 0 or huge, positions that wrap or
** do not add up, df disagreeing with the blocks, lying skip bounds) and
** re-encoded exactly as the format says, with the dictionary's lengths and
** bases, the skip table and DICTIDX all consistent. ----------------------- */

#define RE_MAXDF 4096
#define RE_MAXPOS 200000

typedef struct dblock {
  uint64_t hdr[3];
  dent e[64];
  size_t ne;
} dblock;

static dblock g_blocks[512];
static int g_reencode_noop;
static unsigned long g_reencoded;

static int parse_dict(pfile *f, size_t *nblocks) {
  uint64_t dl = 0, il = 0;
  uint8_t *dict = pf_kind(f, GG_SEC_DICT, &dl), *idx = pf_kind(f, GG_SEC_DICTIDX, &il);
  if (!dict || !idx || il / 8 > 512) return -1;
  uint64_t nb = il / 8;
  for (uint64_t b = 0; b < nb; b++) {
    uint64_t start = gg_get_u64(idx + b * 8), stop = b + 1 < nb ? gg_get_u64(idx + b * 8 + 8) : dl;
    if (start >= stop || stop > dl) return -1;
    const uint8_t *p = dict + start, *end = dict + stop;
    dblock *B = &g_blocks[b];
    B->ne = 0;
    for (int h = 0; h < 3; h++)
      if (gg_varint_get(&p, end, &B->hdr[h])) return -1;
    if (B->hdr[0] > 64) return -1;
    for (uint64_t k = 0; k < B->hdr[0]; k++, B->ne++) {
      dent *x = &B->e[B->ne];
      if (gg_varint_get(&p, end, &x->pre) || gg_varint_get(&p, end, &x->sfx) || x->sfx > 255 ||
          x->sfx > (uint64_t)(end - p))
        return -1;
      memcpy(x->s, p, x->sfx);
      x->slen = x->sfx;
      p += x->sfx;
      if (gg_varint_get(&p, end, &x->df) || gg_varint_get(&p, end, &x->pl) ||
          gg_varint_get(&p, end, &x->ql))
        return -1;
    }
  }
  *nblocks = nb;
  return 0;
}

/* Write the dictionary back with post_base/pos_base recomputed. */
static void write_dict(pfile *f, size_t nb) {
  size_t cap = 64, n = 0;
  for (size_t b = 0; b < nb; b++) cap += 40 + g_blocks[b].ne * 320;
  uint8_t *o = malloc(cap);
  uint64_t *offs = malloc((nb + 1) * sizeof *offs);
  uint64_t post = 0, pos = 0;
  for (size_t b = 0; b < nb; b++) {
    dblock *B = &g_blocks[b];
    offs[b] = n;
    B->hdr[1] = post;
    B->hdr[2] = pos;
    for (int h = 0; h < 3; h++) n += put_varint(o + n, B->hdr[h]);
    for (size_t j = 0; j < B->ne; j++) {
      dent *x = &B->e[j];
      n += put_varint(o + n, x->pre);
      n += put_varint(o + n, x->sfx);
      memcpy(o + n, x->s, x->slen);
      n += x->slen;
      n += put_varint(o + n, x->df);
      n += put_varint(o + n, x->pl);
      n += put_varint(o + n, x->ql);
      post += x->pl;
      pos += x->ql;
    }
  }
  uint64_t dl;
  int di = pf_find(f, GG_SEC_DICT);
  if (pf_sec(f, di, &dl)) pf_splice(f, di, 0, dl, o, n);
  uint64_t il;
  uint8_t *idx = pf_kind(f, GG_SEC_DICTIDX, &il);
  for (size_t b = 0; idx && b < nb && b < il / 8; b++) gg_set_u64(idx + b * 8, offs[b]);
  free(o);
  free(offs);
}

static uint32_t re_docs[RE_MAXDF], re_tfs[RE_MAXDF], re_pos[RE_MAXPOS];

/* Decode a well-formed term; returns the number of positions or -1. */
static long decode_term(const uint8_t *post, uint64_t plen, const uint8_t *pos, uint64_t qlen, uint64_t df) {
  uint64_t nb = (df + GG_BLOCK - 1) / GG_BLOCK;
  if (!df || df > RE_MAXDF || (nb > 1 && nb * 20 > plen)) return -1;
  const uint8_t *skip = nb > 1 ? post + plen - nb * 20 : NULL;
  uint64_t doc = 0, np = 0;
  for (uint64_t k = 0; k < nb; k++) {
    uint64_t n = k + 1 < nb ? GG_BLOCK : df - GG_BLOCK * (nb - 1);
    uint64_t ps = k ? gg_get_u32(skip + (k - 1) * 20 + 4) : 0, pe = skip ? gg_get_u32(skip + k * 20 + 4) : plen;
    uint64_t qs = k ? gg_get_u32(skip + (k - 1) * 20 + 8) : 0, qe = skip ? gg_get_u32(skip + k * 20 + 8) : qlen;
    if (ps > pe || pe > plen || qs > qe || qe > qlen) return -1;
    uint32_t *D = re_docs + k * GG_BLOCK, *T = re_tfs + k * GG_BLOCK;
    uint64_t tot = 0;
    if (n == GG_BLOCK) {
      size_t a = gg_pfor_decode(D, post + ps, pe - ps, GG_BLOCK);
      size_t b = a ? gg_pfor_decode(T, post + ps + a, pe - ps - a, GG_BLOCK) : 0;
      if (!b) return -1;
      for (int i = 0; i < GG_BLOCK; i++) {
        doc += D[i];
        D[i] = (uint32_t)doc++;
        T[i] += 1;
        tot += T[i];
      }
    } else {
      const uint8_t *q = post + ps, *e = post + pe;
      for (uint64_t i = 0; i < n; i++) {
        uint64_t g, tf = 1;
        if (gg_varint_get(&q, e, &g) || (!(g & 1) && gg_varint_get(&q, e, &tf))) return -1;
        doc += g >> 1;
        D[i] = (uint32_t)doc++;
        T[i] = (uint32_t)tf;
        tot += tf;
      }
    }
    if (np + tot > RE_MAXPOS) return -1;
    const uint8_t *q = pos + qs, *e = pos + qe;
    if (n == GG_BLOCK) {
      for (uint64_t got = 0; got < tot;) {
        unsigned cn = tot - got < GG_BLOCK ? (unsigned)(tot - got) : GG_BLOCK;
        size_t u = gg_pfor_decode(re_pos + np + got, q, (size_t)(e - q), cn);
        if (!u) return -1;
        q += u;
        got += cn;
      }
    } else {
      for (uint64_t i = 0; i < tot; i++) {
        uint64_t g;
        if (gg_varint_get(&q, e, &g)) return -1;
        re_pos[np + i] = (uint32_t)g;
      }
    }
    np += tot;
  }
  return (long)np;
}

/* Encode n documents (re_docs/re_tfs) and np position gaps as the writer
** does.  Returns malloc'd postings (with skip table) and positions. */
static void encode_term(uint64_t n, uint64_t np, uint8_t **po, size_t *pn, uint8_t **qo, size_t *qn,
                        int lie_skip, const uint8_t *doclen, uint64_t ndl) {
  uint64_t nb = (n + GG_BLOCK - 1) / GG_BLOCK;
  uint8_t *P = malloc(n * 12 + nb * (2 * GG_PFOR_MAX + 20) + 64);
  uint8_t *Q = malloc(np * 6 + (np / GG_BLOCK + nb + 1) * GG_PFOR_MAX + 64);
  uint8_t *S = malloc(nb * 20 + 1);
  size_t p = 0, q = 0, pi = 0;
  int64_t prev = -1;
  for (uint64_t k = 0; k < nb; k++) {
    uint64_t cnt = k + 1 < nb ? GG_BLOCK : n - GG_BLOCK * (nb - 1);
    uint32_t *D = re_docs + k * GG_BLOCK, *T = re_tfs + k * GG_BLOCK;
    uint64_t tot = 0;
    uint32_t maxtf = 0, mindl = 0xffffffffu;
    for (uint64_t i = 0; i < cnt; i++) {
      tot += T[i];
      if (T[i] > maxtf) maxtf = T[i];
      uint32_t dl = D[i] < ndl ? gg_get_u32(doclen + (uint64_t)D[i] * 4) : 0;
      if (dl < mindl) mindl = dl;
    }
    if (pi + tot > np) tot = np - pi;
    if (cnt == GG_BLOCK) {
      uint32_t g[GG_BLOCK], t[GG_BLOCK];
      for (int i = 0; i < GG_BLOCK; i++) {
        g[i] = (uint32_t)((int64_t)D[i] - prev - 1);
        prev = D[i];
        t[i] = T[i] - 1;
      }
      p += gg_pfor_encode(P + p, g, GG_BLOCK);
      p += gg_pfor_encode(P + p, t, GG_BLOCK);
      for (uint64_t done = 0; done < tot;) {
        unsigned cn = tot - done < GG_BLOCK ? (unsigned)(tot - done) : GG_BLOCK;
        q += gg_pfor_encode(Q + q, re_pos + pi + done, cn);
        done += cn;
      }
    } else {
      for (uint64_t i = 0; i < cnt; i++) {
        uint64_t g = (uint64_t)(uint32_t)((int64_t)D[i] - prev - 1);
        prev = D[i];
        p += put_varint(P + p, g * 2 + (T[i] == 1));
        if (T[i] != 1) p += put_varint(P + p, T[i]);
      }
      for (uint64_t i = 0; i < tot; i++) q += put_varint(Q + q, re_pos[pi + i]);
    }
    pi += tot;
    uint8_t *e = S + k * 20;
    gg_set_u32(e, D[cnt - 1]);
    gg_set_u32(e + 4, (uint32_t)p);
    gg_set_u32(e + 8, (uint32_t)q);
    gg_set_u32(e + 12, lie_skip ? 1 : maxtf);
    gg_set_u32(e + 16, lie_skip ? 0xffffffffu : mindl);
  }
  if (nb > 1) {
    memcpy(P + p, S, nb * 20);
    p += nb * 20;
  }
  free(S);
  *po = P;
  *pn = p;
  *qo = Q;
  *qn = q;
}

static void mut_reencode(pfile *f) {
  size_t nb;
  if (parse_dict(f, &nb) || !nb) return;
  /* Pick a term: 60% with several blocks. */
  size_t cand[4096], nc = 0, all[4096], na = 0;
  for (size_t b = 0; b < nb; b++)
    for (size_t j = 0; j < g_blocks[b].ne && na < 4096; j++) {
      all[na++] = b << 8 | j;
      if (g_blocks[b].e[j].df > GG_BLOCK && nc < 4096) cand[nc++] = b << 8 | j;
    }
  if (!na) return;
  size_t pick = nc && chance(60) ? cand[rn(nc)] : all[rn(na)];
  size_t B = pick >> 8, J = pick & 0xff;
  uint64_t post = g_blocks[B].hdr[1], pos = g_blocks[B].hdr[2];
  for (size_t j = 0; j < J; j++) {
    post += g_blocks[B].e[j].pl;
    pos += g_blocks[B].e[j].ql;
  }
  dent *t = &g_blocks[B].e[J];
  uint64_t pl = 0, ql = 0, sl = 0;
  int pi = pf_find(f, GG_SEC_POSTINGS), qi = pf_find(f, GG_SEC_POSITIONS);
  uint8_t *P = pf_sec(f, pi, &pl), *Q = pf_sec(f, qi, &ql), *st = pf_kind(f, GG_SEC_STATS, &sl);
  if (!P || !Q || !st || post + t->pl > pl || pos + t->ql > ql) return;
  uint64_t ndocs = gg_get_u64(st);
  long np = decode_term(P + post, t->pl, Q + pos, t->ql, t->df);
  if (np < 0) return;
  uint64_t n = t->df, k = rn(n);
  int lie = 0;
  g_reencoded++;
  switch (g_reencode_noop ? 99 : rn(10)) {
    case 99: break;
    case 0: /* a document beyond the segment */
      re_docs[n - 1] = (uint32_t)(ndocs + rn(3) - (chance(50) ? 1 : 0));
      if (n > 1 && chance(50)) for (uint64_t i = k; i < n; i++) re_docs[i] = (uint32_t)(ndocs + i);
      note("reencode: documents up to %u (of %llu)", re_docs[n - 1], (unsigned long long)ndocs);
      break;
    case 1: /* a repeated or decreasing document */
      if (n > 1) {
        if (!k) k = 1;
        re_docs[k] = chance(50) ? re_docs[k - 1] : re_docs[k - 1] - 1 - (uint32_t)rn(3);
        note("reencode: document %llu not increasing", (unsigned long long)k);
      }
      break;
    case 2: /* tf 0 (a full block stores tf-1 = 2^32-1) */
      re_tfs[k] = 0;
      note("reencode: tf 0 at %llu", (unsigned long long)k);
      break;
    case 3: { /* huge tf, positions not following */
      static const uint32_t big[] = {2, 129, 1000, 65536, 0x7fffffffu, 0xffffffffu};
      re_tfs[k] = big[rn(6)];
      note("reencode: tf %u at %llu", re_tfs[k], (unsigned long long)k);
      break;
    }
    case 4: /* position gaps that overflow 32 bits */
      for (int i = 0; i < 3 && np; i++) re_pos[rn((uint64_t)np)] = chance(50) ? 0xffffffffu : 0x80000000u;
      note("reencode: position gaps near 2^32");
      break;
    case 5: /* fewer positions than the tfs add up to */
      if (np) np -= 1 + (long)rn((uint64_t)np);
      note("reencode: %ld positions only", np);
      break;
    case 6: /* more positions than needed */
      for (int i = 0; i < 5 && np < RE_MAXPOS; i++) re_pos[np++] = (uint32_t)rn(50);
      note("reencode: extra positions");
      break;
    case 7: { /* the blocks hold a different number of documents than df */
      uint64_t m = chance(50) ? n + 1 + rn(130) : (n > 1 ? 1 + rn(n - 1) : 1);
      if (m > RE_MAXDF) m = RE_MAXDF;
      for (uint64_t i = n; i < m; i++) {
        re_docs[i] = re_docs[i - 1] + 1;
        re_tfs[i] = 1;
      }
      note("reencode: %llu documents written for df %llu", (unsigned long long)m, (unsigned long long)n);
      n = m;
      break;
    }
    case 8: /* df claims otherwise but the blocks are right */
      t->df = chance(50) ? t->df + 128 : (t->df > 128 ? t->df - 128 : t->df + 1);
      note("reencode: df %llu for %llu documents", (unsigned long long)t->df, (unsigned long long)n);
      break;
    default: /* skip bounds that lie (max_tf too low, min_dl too high) */
      lie = 1;
      note("reencode: lying skip bounds (df %llu)", (unsigned long long)n);
  }
  uint8_t *np_, *nq_;
  size_t pn, qn;
  uint64_t dll = 0;
  const uint8_t *dlp = pf_kind(f, GG_SEC_DOCLEN, &dll);
  encode_term(n, (uint64_t)np, &np_, &pn, &nq_, &qn, lie, dlp, dlp ? dll / 4 : 0);
  pf_splice(f, pi, post, t->pl, np_, pn);
  pf_splice(f, qi, pos, t->ql, nq_, qn);
  t->pl = pn;
  t->ql = qn;
  free(np_);
  free(nq_);
  write_dict(f, nb);
}

static void mutate_segment(pfile *f) {
  int n = 1 + (int)rn(chance(20) ? 6 : 3);
  if (chance(30)) { /* on the intact file: structure stays consistent */
    mut_reencode(f);
    n = chance(70) ? 0 : 1;
  }
  for (int i = 0; i < n; i++) {
    switch (rn(20)) {
      case 0: case 1: case 2: mut_raw(f); break;
      case 3: case 4: mut_resize(f); break;
      case 5: mut_table(f); break;
      case 6: case 7: mut_stats(f); break;
      case 8: case 9: case 10: mut_dict(f); break;
      case 11: case 12: case 13: case 14: mut_postings(f); break;
      case 15: mut_idoff(f); mut_ids(f); break;
      case 16: mut_storeidx(f); break;
      case 17: mut_store(f); break;
      case 18: mut_doclen(f); mut_dictidx(f); break;
      default: if (chance(30)) mut_header(f); else mut_raw(f);
    }
  }
}

/* ---- MANIFEST ----------------------------------------------------------- */

typedef struct man {
  uint64_t gen;
  char stem[300];
  size_t stemlen;
  uint64_t nsegs;   /* as written */
  uint32_t nlist;   /* entries written */
  struct {
    char name[300];
    size_t len;
    uint64_t docs, tokens;
  } seg[4];
} man;

static void man_parse(const pfile *f, man *m) {
  const uint8_t *p = f->d + f->s[0].off;
  memset(m, 0, sizeof *m);
  m->gen = gg_get_u64(p);
  p += 8;
  m->stemlen = *p++;
  memcpy(m->stem, p, m->stemlen);
  p += m->stemlen;
  m->nsegs = m->nlist = gg_get_u32(p);
  if (m->nlist > 4) m->nlist = 4;
  p += 4;
  for (uint32_t i = 0; i < m->nlist && i < 4; i++) {
    m->seg[i].len = *p++;
    memcpy(m->seg[i].name, p, m->seg[i].len);
    p += m->seg[i].len;
    m->seg[i].docs = gg_get_u64(p);
    m->seg[i].tokens = gg_get_u64(p + 8);
    p += 16;
  }
}

static void man_write(pfile *f, const man *m) {
  uint8_t o[4096];
  size_t n = 0;
  gg_set_u64(o, m->gen);
  n = 8;
  o[n++] = (uint8_t)m->stemlen;
  memcpy(o + n, m->stem, m->stemlen & 0xff);
  n += m->stemlen & 0xff;
  gg_set_u32(o + n, (uint32_t)m->nsegs);
  n += 4;
  for (uint32_t i = 0; i < m->nlist; i++) {
    o[n++] = (uint8_t)m->seg[i].len;
    memcpy(o + n, m->seg[i].name, m->seg[i].len & 0xff);
    n += m->seg[i].len & 0xff;
    gg_set_u64(o + n, m->seg[i].docs);
    gg_set_u64(o + n + 8, m->seg[i].tokens);
    n += 16;
  }
  uint64_t len;
  if (pf_sec(f, 0, &len)) pf_splice(f, 0, 0, len, o, n);
}

static void mutate_manifest(pfile *f, man *m) {
  int n = 1 + (int)rn(2);
  for (int i = 0; i < n; i++) {
    switch (rn(7)) {
      case 0: {
        static const char *st[] = {"none", "english", "porter", "french", "", "xx", "russian",
                                   "a-very-long-stemmer-name-exceeding-thirty-two-bytes"};
        const char *s = st[rn(sizeof st / sizeof st[0])];
        m->stemlen = strlen(s);
        memcpy(m->stem, s, m->stemlen);
        if (chance(20)) m->stemlen = interesting(m->stemlen, 1);
        note("manifest stemmer %.*s", (int)m->stemlen, m->stem);
        break;
      }
      case 1: {
        uint32_t k = (uint32_t)rn(m->nlist ? m->nlist : 1);
        if (chance(50)) m->seg[k].docs = interesting(m->seg[k].docs, chance(50) ? 4 : 8);
        else m->seg[k].tokens = interesting(m->seg[k].tokens, chance(50) ? 4 : 8);
        note("manifest seg %u counts", k);
        break;
      }
      case 2: /* the same segment twice: a two-segment index */
        if (m->nlist < 4) {
          m->seg[m->nlist] = m->seg[0];
          m->nlist++;
          m->nsegs = m->nlist;
          note("manifest segment listed %u times", m->nlist);
        }
        break;
      case 3:
        m->nsegs = interesting(m->nsegs, 4);
        note("manifest nsegs=%llu (listed %u)", (unsigned long long)m->nsegs, m->nlist);
        break;
      case 4: {
        static const char *nm[] = {"MANIFEST", "LOCK", "", ".", "..", "../x", "seg-000002.gg",
                                   "seg-000001.gg\0x"};
        uint32_t k = (uint32_t)rn(m->nlist ? m->nlist : 1);
        size_t which = rn(sizeof nm / sizeof nm[0]);
        const char *s = nm[which];
        m->seg[k].len = strlen(s) + (which == 7 ? 2 : 0);  /* an embedded NUL */
        memcpy(m->seg[k].name, s, m->seg[k].len);
        note("manifest seg %u name %s", k, s);
        break;
      }
      case 5:
        m->seg[0].len = interesting(m->seg[0].len, 1);
        note("manifest name length %zu", m->seg[0].len);
        break;
      default:
        man_write(f, m);
        mut_raw(f);
        return;  /* raw damage stays as is */
    }
  }
  man_write(f, m);
}

/* ---- running one index -------------------------------------------------- */

static int g_fail;
static uint64_t g_seed, g_iter;
static const char *g_dir;
static char g_queries[24][256];
static int g_nq;
static unsigned long g_stat_open_ok, g_stat_search_ok, g_stat_search_err, g_stat_nonfinite;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static uint64_t g_last_fail_iter = UINT64_MAX;
static void fail(const char *fmt, ...) {
  va_list ap;
  if (g_last_fail_iter == g_iter) {  /* one report per iteration */
    g_fail++;
    return;
  }
  g_last_fail_iter = g_iter;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL seed %llu iteration %llu: ", (unsigned long long)g_seed,
          (unsigned long long)g_iter);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n  mutations: %s\n  replay: fuzz_index --seed %llu --first %llu --iters 1 --keep DIR\n",
          g_log, (unsigned long long)g_seed, (unsigned long long)g_iter);
  g_fail++;
}

/* A clean status: GG_OK, or an error code other than ENOMEM (the index is
** tiny: running out of memory means an absurd allocation) with a message. */
static int clean(const char *call, int rc, const gg_error *err) {
  if (g_alloc_refused) {
    fail("%s: absurd allocation of %zu bytes requested (rc %d: %s)", call, g_alloc_worst, rc,
         err->msg);
    g_alloc_refused = 0;
    g_alloc_worst = 0;
    return rc;
  }
  if (rc == GG_OK) return rc;
  if (rc < GG_EBUSY || rc > GG_ENOMEM) fail("%s: unknown status %d", call, rc);
  else if (rc == GG_ENOMEM) fail("%s: GG_ENOMEM on a tiny index: %s", call, err->msg);
  else if (err->code != rc) fail("%s: returned %d but err.code %d (%s)", call, rc, err->code, err->msg);
  else if (!memchr(err->msg, 0, sizeof err->msg) || !err->msg[0]) fail("%s: empty error message", call);
  return rc;
}

static void run_queries(gg_index *ix) {
  static const uint32_t ks[] = {1, 10, 1000};
  for (int qi = 0; qi < g_nq; qi++) {
    gg_query *q;
    gg_error err = {0};
    int rc = clean("gg_query_parse", gg_query_parse(ix, g_queries[qi], &q, &err), &err);
    if (rc) continue;
    for (int combo = 0; combo < 12; combo++) {
      gg_search_opts o = GG_SEARCH_DEFAULTS;
      o.k = ks[combo % 3];
      o.conjunctive = (combo / 3) & 1;
      o.exhaustive = (combo / 6) & 1;
      gg_hits *h = NULL;
      memset(&err, 0, sizeof err);
      rc = clean("gg_search", gg_search(ix, q, &o, &h, &err), &err);
      if (rc) {
        g_stat_search_err++;
        if (h) fail("gg_search failed but returned hits");
        continue;
      }
      g_stat_search_ok++;
      if (!h) {
        fail("gg_search OK without hits object");
        continue;
      }
      if (h->n > o.k) fail("gg_search returned %zu hits for k %u", h->n, o.k);
      for (size_t i = 0; i < h->n; i++) {
        gg_hit *x = &h->hit[i];
        if (x->segment >= ix->nsegs || x->doc >= ix->segs[x->segment].ndocs) {
          fail("hit %zu: document (%u, %u) out of range", i, x->segment, x->doc);
          continue;
        }
        if (!x->id) fail("hit %zu without id", i);
        if (!isfinite(x->score)) g_stat_nonfinite++;
        else if (i && isfinite(h->hit[i - 1].score) && h->hit[i - 1].score < x->score)
          fail("hits not best first at %zu", i);
        /* Documents and snippets of the first hits of one run per query. */
        if (combo == 1 && i < 3) {
          char *title = NULL, *text = NULL;
          memset(&err, 0, sizeof err);
          rc = clean("gg_doc_get", gg_doc_get(ix, x->segment, x->doc, &title, &text, &err), &err);
          if (rc == GG_OK) {
            char *snip = NULL;
            memset(&err, 0, sizeof err);
            if (!title || !text) fail("gg_doc_get OK without strings");
            else if (clean("gg_snippet", gg_snippet(ix, q, text, 30, "[", "]", &snip, &err), &err) == GG_OK && !snip)
              fail("gg_snippet OK without a result");
            free(snip);
          } else if (title || text) {
            fail("gg_doc_get failed but returned strings");
          }
          free(title);
          free(text);
        }
      }
      gg_hits_free(h);
    }
    gg_query_free(q);
  }
  /* Stored documents whatever the postings say. */
  for (uint32_t s = 0; s < ix->nsegs; s++) {
    uint32_t nd = ix->segs[s].ndocs;
    uint32_t docs[4] = {0, nd ? nd - 1 : 0, nd, (uint32_t)rn(nd + 1)};
    for (int i = 0; i < 4; i++) {
      char *title = NULL, *text = NULL;
      gg_error err = {0};
      if (clean("gg_doc_get", gg_doc_get(ix, s, docs[i], &title, &text, &err), &err) == GG_OK &&
          docs[i] >= nd)
        fail("gg_doc_get of document %u of %u succeeded", docs[i], nd);
      free(title);
      free(text);
    }
  }
}

static void run_index(const char *dir, int expect_check_ok) {
  gg_index *ix = NULL;
  gg_error err = {0};
  g_alloc_limit = GG_FUZZ_ALLOC_LIMIT;
  int rc = clean("gg_index_open", gg_index_open(dir, &ix, &err), &err);
  if (rc == GG_OK) {
    g_stat_open_ok++;
    if (!ix) fail("gg_index_open OK without an index");
    else run_queries(ix);
    gg_index_close(ix);
  } else if (ix) {
    fail("gg_index_open failed but returned an index");
  }
  memset(&err, 0, sizeof err);
  int crc = clean("gg_index_check", gg_index_check(dir, &err), &err);
  /* Checksums are valid: check can fail only where open fails. */
  if (expect_check_ok && rc == GG_OK && crc != GG_OK)
    fail("gg_index_check failed (%s) on a file with valid checksums", err.msg);
  g_alloc_limit = 0;
}

/* ---- hang and crash reporting ------------------------------------------- */

static void on_signal(int sig) {
  char b[512];
  int n = snprintf(b, sizeof b, "\n%s at seed %llu iteration %llu (index %s)\n  mutations: %s\n",
                   sig == SIGALRM ? "HANG (alarm)" : strsignal(sig), (unsigned long long)g_seed,
                   (unsigned long long)g_iter, g_dir ? g_dir : "?", g_log);
  if (n > 0) write(2, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
  void *bt[64];
  int k = backtrace(bt, 64);
  backtrace_symbols_fd(bt, k, 2);
  if (sig == SIGALRM) _exit(124);
  signal(sig, SIG_DFL);
  raise(sig);
}

#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>) && \
    (defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__))
#include <sanitizer/common_interface_defs.h>
#define GG_HAVE_SAN_CB 1
static void on_death(void) {
  fprintf(stderr, "\nsanitizer report at seed %llu iteration %llu (index %s)\n  mutations: %s\n",
          (unsigned long long)g_seed, (unsigned long long)g_iter, g_dir ? g_dir : "?", g_log);
}
#endif
#endif

/* ---- the base index ----------------------------------------------------- */

static pfile g_seg0, g_man0;
static char g_segname[300];

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n) {
  char *path = tu_path(dir, name);
  unlink(path);
  tu_write(path, p, n);
  free(path);
}

static void build_warn(void *ctx, const char *msg) {
  (void)ctx;
  fprintf(stderr, "gg_build: %s\n", msg);
}

static void build_base(const char *work) {
  make_vocab();
  char *gen = tu_path(work, "docs");
  char *base = tu_path(work, "base");
  mkdir(gen, 0755);
  make_docs(gen);
  const char *paths[2] = {GG_CORPUS_DIR, gen};
  gg_build_opts o = {0};
  o.index_dir = base;
  o.warn = build_warn;
  gg_error err = {0};
  gg_build_stats st;
  if (gg_build(paths, 2, &o, &st, &err) != GG_OK || st.docs < 400) {
    fprintf(stderr, "gg_build: %s (%llu documents)\n", err.msg, (unsigned long long)st.docs);
    exit(1);
  }
  char *mp = tu_path(base, "MANIFEST");
  size_t n;
  uint8_t *m = tu_read(mp, &n);
  if (!m || pf_parse(&g_man0, m, n) || g_man0.ns != 1) {
    fprintf(stderr, "cannot parse %s\n", mp);
    exit(1);
  }
  man mm;
  man_parse(&g_man0, &mm);
  snprintf(g_segname, sizeof g_segname, "%.*s", (int)mm.seg[0].len, mm.seg[0].name);
  /* Self-test of the serializer: an unmutated copy is byte-identical. */
  size_t k;
  uint8_t *again = pf_serialize(&g_man0, &k);
  if (k != n || memcmp(again, m, n)) {
    fprintf(stderr, "serializer self-test failed on MANIFEST\n");
    exit(1);
  }
  free(again);
  free(m);
  free(mp);
  char *sp = tu_path(base, g_segname);
  m = tu_read(sp, &n);
  if (!m || pf_parse(&g_seg0, m, n)) {
    fprintf(stderr, "cannot parse %s\n", sp);
    exit(1);
  }
  again = pf_serialize(&g_seg0, &k);
  if (k != n || memcmp(again, m, n)) {
    fprintf(stderr, "serializer self-test failed on the segment\n");
    exit(1);
  }
  free(again);
  /* Self-test of the postings re-encoder: decoding and re-encoding terms
  ** unchanged gives the same file. */
  {
    pfile c;
    pf_clone(&c, &g_seg0);
    g_reencode_noop = 1;
    rs = 99;
    for (int i = 0; i < 200; i++) mut_reencode(&c);
    g_reencode_noop = 0;
    again = pf_serialize(&c, &k);
    if (g_reencoded < 200 || k != n || memcmp(again, m, n)) {
      fprintf(stderr, "re-encoder self-test failed (%lu terms re-encoded)\n", g_reencoded);
      exit(1);
    }
    g_reencoded = 0;
    free(again);
    pf_free(&c);
  }
  free(m);
  free(sp);
  fprintf(stderr, "base index: %llu documents, %llu terms, segment %zu bytes\n",
          (unsigned long long)st.docs, (unsigned long long)st.terms, n);
  free(gen);
  free(base);

  int nq = 0;
#define Q(...) snprintf(g_queries[nq++], sizeof g_queries[0], __VA_ARGS__)
  Q("%s", g_vocab[0]);
  Q("%s %s %s", g_vocab[0], g_vocab[1], g_vocab[2]);
  Q("%s %s", g_vocab[3], g_vocab[40]);
  Q("\"zeta omega theta\"");
  Q("\"%s %s\"", g_vocab[0], g_vocab[1]);
  Q("\"%s %s %s\" %s", g_vocab[1], g_vocab[0], g_vocab[2], g_vocab[7]);
  Q("revival right reason");
  Q("\"right reason\" %s", g_vocab[0]);
  Q("%s %s %s", g_vocab[300], g_vocab[399], g_vocab[150]);
  Q("zeta %s \"omega theta\" title", g_vocab[5]);
  Q("nonexistentword %s", g_vocab[12]);
#undef Q
  g_nq = nq;
}

/* One iteration: mutate, write, run.  Returns nothing; failures counted. */
static void iteration(const char *idx, uint64_t it) {
  g_iter = it;
  g_logn = 0;
  g_log[0] = 0;
  rs = g_seed * 0xD1B54A32D192ED03ull ^ (it + 1) * 0x9E3779B97F4A7C15ull;
  rnd();
  pfile seg, mf;
  pf_clone(&seg, &g_seg0);
  pf_clone(&mf, &g_man0);
  man m;
  man_parse(&mf, &m);
  unsigned r = (unsigned)rn(100);
  if (r < 88) mutate_segment(&seg);
  /* Keep MANIFEST's counts in step with STATS so the checks past it run. */
  uint64_t sl;
  uint8_t *st = pf_kind(&seg, GG_SEC_STATS, &sl);
  if (st && sl >= 16 && chance(85)) {
    for (uint32_t i = 0; i < m.nlist && i < 4; i++) {
      m.seg[i].docs = gg_get_u64(st);
      m.seg[i].tokens = gg_get_u64(st + 8);
    }
    man_write(&mf, &m);
  }
  if (r >= 75) mutate_manifest(&mf, &m);
  size_t sn, mn;
  uint8_t *sb = pf_serialize(&seg, &sn), *mb = pf_serialize(&mf, &mn);
  int check_ok = 1;
  if (chance(3)) { /* a footer that passes its own CRC but lies */
    uint8_t *b = chance(50) ? sb : mb;
    size_t n = b == sb ? sn : mn;
    uint8_t *ft = b + n - 48;
    static const int fo[] = {0, 8, 8, 4, 12, 4, 16, 8, 24, 8, 40, 4};
    int k = (int)rn(6);
    if (fo[2 * k + 1] == 8) gg_set_u64(ft + fo[2 * k], interesting(gg_get_u64(ft + fo[2 * k]), 8));
    else gg_set_u32(ft + fo[2 * k], (uint32_t)interesting(gg_get_u32(ft + fo[2 * k]), 4));
    gg_set_u32(ft + 44, (uint32_t)crc32(0, ft, 44));
    check_ok = 0;
    note("footer field at %d of %s", fo[2 * k], b == sb ? "segment" : "MANIFEST");
  }
  write_file(idx, g_segname, sb, sn);
  write_file(idx, "MANIFEST", mb, mn);
  free(sb);
  free(mb);
  pf_free(&seg);
  pf_free(&mf);
  alarm(10);
  run_index(idx, check_ok);
  alarm(0);
}

#ifndef GG_LIBFUZZER
int main(int argc, char **argv) {
  uint64_t iters = 300, first = 0;
  const char *keep = NULL;
  int verbose = 0;
  g_seed = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) g_seed = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--first") && i + 1 < argc) first = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--keep") && i + 1 < argc) keep = argv[++i];
    else if (!strcmp(argv[i], "-v")) verbose = 1;
    else {
      fprintf(stderr, "usage: %s [--seed S] [--iters N] [--first I] [--keep DIR] [-v]\n", argv[0]);
      return 2;
    }
  }
  const char *env = getenv("GG_FUZZ_ITERS");
  if (env && *env) iters = strtoull(env, NULL, 0);
  signal(SIGALRM, on_signal);
#ifdef GG_HAVE_SAN_CB
  __sanitizer_set_death_callback(on_death);
#else
  signal(SIGSEGV, on_signal);
  signal(SIGBUS, on_signal);
  signal(SIGFPE, on_signal);
  signal(SIGILL, on_signal);
  signal(SIGABRT, on_signal);
#endif
  char *work = tu_mkdtemp("fuzz_index");
  build_base(work);
  char *idx;
  if (keep) {
    mkdir(keep, 0755);
    idx = strdup(keep);
  } else {
    idx = tu_path(work, "idx");
    mkdir(idx, 0755);
  }
  g_dir = idx;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (uint64_t it = first; it < first + iters; it++) {
    iteration(idx, it);
    if (verbose || keep) fprintf(stderr, "iteration %llu: %s\n", (unsigned long long)it, g_log);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  fprintf(stderr,
          "%llu iterations (seed %llu) in %.1f s: %lu opened, %lu searches OK, %lu search errors, "
          "%lu non-finite scores, %lu postings re-encoded; %d failures\n",
          (unsigned long long)iters, (unsigned long long)g_seed, secs, g_stat_open_ok,
          g_stat_search_ok, g_stat_search_err, g_stat_nonfinite, g_reencoded, g_fail);
  if (!keep && !g_fail) tu_rm_rf(work);
  else fprintf(stderr, "files kept in %s\n", keep ? keep : work);
  free(idx);
  free(work);
  return g_fail ? 1 : 0;
}
#endif

#ifdef GG_LIBFUZZER
/*
** libFuzzer targets (not built by CMake; CI does not need clang):
**
**   S=/work/main; clang -g -O1 -fsanitize=fuzzer,address,undefined -DGG_LIBFUZZER \
**     -D_GNU_SOURCE -I$S -I$S/include -I$S/tests -DGG_CORPUS_DIR="\"$S/corpus\"" \
**     $S/tests/fuzz_index.c + every .c of core/, indexer/ and searcher/ except the two main.c \
**     -lz -ldeflate -lisal -lstemmer -lutf8proc -ljson-c -lpthread -lm -o fuzz_seg
**   ./fuzz_seg -malloc_limit_mb=128 -timeout=10 CORPUS_DIR   (GG_FUZZ_SEED_OUT=DIR writes a seed)
**
** Segment target: the input is the segment's header, data and section table
** followed by a u32 section count; the fuzzer appends page checks and a
** correct footer, writes a MANIFEST whose counts agree with the input's
** STATS, opens the index and runs the queries.  With -DGG_LIBFUZZER_QUERY
** the input is a query string run against the unmutated index.
*/
static char *g_fz_idx, *g_fz_work;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  g_fz_work = tu_mkdtemp("fuzz_libfuzzer");
  build_base(g_fz_work);
  g_fz_idx = tu_path(g_fz_work, "idx");
  mkdir(g_fz_idx, 0755);
  g_dir = g_fz_idx;
  const char *out = getenv("GG_FUZZ_SEED_OUT");
  if (out) { /* the unmutated segment in the input format */
    size_t n = g_seg0.n + (size_t)g_seg0.ns * 24;
    size_t full;
    uint8_t *b = pf_serialize(&g_seg0, &full);
    b = realloc(b, n + 4);
    gg_set_u32(b + n, g_seg0.ns);
    mkdir(out, 0755);
    write_file(out, "base-segment", b, n + 4);
    free(b);
  }
  /* The unmutated index, for the query target. */
  size_t sn, mn;
  uint8_t *sb = pf_serialize(&g_seg0, &sn), *mb = pf_serialize(&g_man0, &mn);
  write_file(g_fz_idx, g_segname, sb, sn);
  write_file(g_fz_idx, "MANIFEST", mb, mn);
  free(sb);
  free(mb);
  return 0;
}

#ifdef GG_LIBFUZZER_QUERY
static gg_index *g_fz_ix;
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gg_error err = {0};
  if (!g_fz_ix && gg_index_open(g_fz_idx, &g_fz_ix, &err) != GG_OK) abort();
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = 0;
  gg_query *q = NULL;
  int rc = gg_query_parse(g_fz_ix, s, &q, &err);
  if (rc != GG_OK && rc != GG_EQUERY) abort();
  if (rc == GG_OK) {
    for (int combo = 0; combo < 4; combo++) {
      gg_search_opts o = GG_SEARCH_DEFAULTS;
      o.conjunctive = combo & 1;
      o.exhaustive = combo >> 1;
      gg_hits *h = NULL;
      if (gg_search(g_fz_ix, q, &o, &h, &err) != GG_OK) abort();  /* valid index: must succeed */
      for (size_t i = 0; i < h->n && i < 2; i++) {
        char *title, *text, *snip;
        if (gg_doc_get(g_fz_ix, h->hit[i].segment, h->hit[i].doc, &title, &text, &err) != GG_OK) abort();
        if (gg_snippet(g_fz_ix, q, text, 30, "[", "]", &snip, &err) != GG_OK) abort();
        free(snip);
        free(title);
        free(text);
      }
      gg_hits_free(h);
    }
    gg_query_free(q);
  }
  free(s);
  return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  g_logn = 0;
  g_log[0] = 0;
  rs = size;
  if (size < GG_HEADER_SIZE + 4) return 0;
  uint32_t ns = gg_get_u32(data + size - 4);
  size_t body = size - 4;
  if (ns > 64 || (uint64_t)ns * 24 > body - GG_HEADER_SIZE) ns = 0;
  pfile f;
  memset(&f, 0, sizeof f);
  pf_reserve(&f, body + 1);
  f.n = body - (size_t)ns * 24;
  memcpy(f.d, data, f.n);
  f.ns = ns;
  for (uint32_t i = 0; i < ns; i++) {
    const uint8_t *e = data + f.n + (size_t)i * 24;
    f.s[i].kind = gg_get_u32(e);
    f.s[i].pad = gg_get_u32(e + 4);
    f.s[i].off = gg_get_u64(e + 8);
    f.s[i].len = gg_get_u64(e + 16);
  }
  pfile mf;
  pf_clone(&mf, &g_man0);
  man m;
  man_parse(&mf, &m);
  uint64_t sl;
  uint8_t *st = pf_kind(&f, GG_SEC_STATS, &sl);
  if (st && sl >= 16) {
    m.seg[0].docs = gg_get_u64(st);
    m.seg[0].tokens = gg_get_u64(st + 8);
    man_write(&mf, &m);
  }
  size_t sn, mn;
  uint8_t *sb = pf_serialize(&f, &sn), *mb = pf_serialize(&mf, &mn);
  write_file(g_fz_idx, g_segname, sb, sn);
  write_file(g_fz_idx, "MANIFEST", mb, mn);
  free(sb);
  free(mb);
  pf_free(&f);
  pf_free(&mf);
  gg_index *ix = NULL;
  gg_error err = {0};
  int rc = gg_index_open(g_fz_idx, &ix, &err);
  if (rc == GG_OK) {
    run_queries(ix);
    gg_index_close(ix);
  }
  if (g_fail) abort();  /* a contract violation found by clean() */
  return 0;
}
#endif
#endif
