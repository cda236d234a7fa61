/*
** decode-speed.c -- micro-benchmark of gg's postings integer codecs.
**
**   decode-speed [--blocks N] [--min-ms MS] [--reps R]
**
** For every bit width b = 1..32 it packs N blocks of 128 random values
** below 2^b with gg_pack and times gg_unpack over all of them (the
** width-specialised full-block path), then the same values with n = 127
** (the generic path a postings list's last block takes), and the same
** values as LEB128 varints decoded with gg_varint_get.  Each measurement
** repeats the whole pass until at least MS milliseconds have gone by and
** keeps the best of R such runs.  The default N = 256 blocks (32768
** integers, at most 128 KiB packed) stays in L2 cache: this is the decode
** loop's own speed, not memory bandwidth.  Every decode is checked against
** the input once.  For comparison it also times gg_pfor_decode (the
** patched format full postings blocks use) on the same blocks: uniform
** values, so PFor picks width b and has no exceptions -- header overhead only.
**
** Output: a markdown table, millions of integers per second.
*/
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/codec.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd32(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static volatile uint32_t sink;

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) {
    fputs("decode-speed: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

typedef struct bench_data {
  unsigned nblocks, bits;
  uint32_t *vals;      /* nblocks * GG_BLOCK */
  uint8_t *packed;     /* block i at packed + i * stride */
  size_t stride;
  uint8_t *vbytes;     /* varints of all values, then padding */
  size_t vlen;
  uint8_t *pfor;       /* gg_pfor_encode of every block, back to back */
  size_t *pfor_off;    /* nblocks + 1 offsets into pfor */
} bench_data;

/* Decode every block with n values; returns seconds per pass (best of reps). */
static double time_unpack(const bench_data *d, unsigned n, double min_s, int reps) {
  uint32_t out[GG_BLOCK];
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    long passes = 0;
    double t0 = now_s(), t;
    uint32_t acc = 0;
    do {
      for (unsigned b = 0; b < d->nblocks; b++) {
        gg_unpack(out, d->packed + (size_t)b * d->stride, n, d->bits);
        acc += out[b % n];
      }
      passes++;
    } while ((t = now_s()) - t0 < min_s);
    sink += acc;
    double per = (t - t0) / (double)passes;
    if (per < best) best = per;
  }
  return best;
}

static double time_varint(const bench_data *d, double min_s, int reps) {
  uint32_t out[GG_BLOCK];
  double best = 1e30;
  const uint8_t *end = d->vbytes + d->vlen;
  for (int r = 0; r < reps; r++) {
    long passes = 0;
    double t0 = now_s(), t;
    uint32_t acc = 0;
    do {
      const uint8_t *p = d->vbytes;
      for (unsigned b = 0; b < d->nblocks; b++) {
        for (unsigned i = 0; i < GG_BLOCK; i++) {
          uint64_t v;
          if (gg_varint_get(&p, end, &v)) abort();
          out[i] = (uint32_t)v;
        }
        acc += out[b & 127];
      }
      passes++;
    } while ((t = now_s()) - t0 < min_s);
    sink += acc;
    double per = (t - t0) / (double)passes;
    if (per < best) best = per;
  }
  return best;
}

static double time_pfor(const bench_data *d, double min_s, int reps) {
  uint32_t out[GG_BLOCK];
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    long passes = 0;
    double t0 = now_s(), t;
    uint32_t acc = 0;
    do {
      for (unsigned b = 0; b < d->nblocks; b++) {
        size_t used = gg_pfor_decode(out, d->pfor + d->pfor_off[b],
                                     d->pfor_off[b + 1] - d->pfor_off[b], GG_BLOCK);
        acc += out[b & 127] + (uint32_t)used;
      }
      passes++;
    } while ((t = now_s()) - t0 < min_s);
    sink += acc;
    double per = (t - t0) / (double)passes;
    if (per < best) best = per;
  }
  return best;
}

static void check(const bench_data *d) {
  uint32_t out[GG_BLOCK];
  for (unsigned b = 0; b < d->nblocks; b++) {
    const uint32_t *in = d->vals + (size_t)b * GG_BLOCK;
    for (unsigned n = GG_BLOCK - 1; n <= GG_BLOCK; n++) {
      memset(out, 0xAB, sizeof out);
      gg_unpack(out, d->packed + (size_t)b * d->stride, n, d->bits);
      if (memcmp(out, in, n * sizeof *out) != 0) {
        fprintf(stderr, "decode-speed: gg_unpack mismatch at width %u, block %u, n %u\n", d->bits,
                b, n);
        exit(1);
      }
    }
  }
  for (unsigned b = 0; b < d->nblocks; b++) {
    size_t len = d->pfor_off[b + 1] - d->pfor_off[b];
    if (gg_pfor_decode(out, d->pfor + d->pfor_off[b], len, GG_BLOCK) != len ||
        memcmp(out, d->vals + (size_t)b * GG_BLOCK, sizeof out) != 0) {
      fprintf(stderr, "decode-speed: gg_pfor_decode mismatch at width %u, block %u\n", d->bits, b);
      exit(1);
    }
  }
  const uint8_t *p = d->vbytes, *end = d->vbytes + d->vlen;
  for (size_t i = 0; i < (size_t)d->nblocks * GG_BLOCK; i++) {
    uint64_t v;
    if (gg_varint_get(&p, end, &v) || v != d->vals[i]) {
      fprintf(stderr, "decode-speed: varint mismatch at width %u, value %zu\n", d->bits, i);
      exit(1);
    }
  }
}

static int usage(void) {
  fputs("usage: decode-speed [--blocks N] [--min-ms MS] [--reps R]\n", stderr);
  return 2;
}

int main(int argc, char **argv) {
  unsigned nblocks = 256;
  double min_ms = 50;
  int reps = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--blocks") == 0 && i + 1 < argc) nblocks = (unsigned)atoi(argv[++i]);
    else if (strcmp(argv[i], "--min-ms") == 0 && i + 1 < argc) min_ms = atof(argv[++i]);
    else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
    else return usage();
  }
  if (nblocks < 1 || min_ms <= 0 || reps < 1) return usage();
  double min_s = min_ms / 1000.0;
  size_t nvals = (size_t)nblocks * GG_BLOCK;

  printf("gg_unpack / gg_varint_get decode speed: %u blocks x %d values, best of %d runs of >= %.0f ms\n\n",
         nblocks, GG_BLOCK, reps, min_ms);
  printf("| bits | bytes/block | unpack n=128 Mint/s | unpack n=127 Mint/s | pfor n=128 Mint/s | varint Mint/s | varint B/int | n=128 / varint |\n");
  printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  double sum128 = 0, sumv = 0;
  for (unsigned bits = 1; bits <= 32; bits++) {
    bench_data d = {0};
    d.nblocks = nblocks;
    d.bits = bits;
    d.vals = xmalloc(nvals * sizeof *d.vals);
    d.stride = gg_packed_bytes(GG_BLOCK, bits) + GG_PACK_PAD;
    d.packed = xmalloc((size_t)nblocks * d.stride + GG_PACK_PAD);
    d.vbytes = xmalloc(nvals * GG_VARINT_MAX + GG_PACK_PAD);
    uint32_t mask = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    for (size_t i = 0; i < nvals; i++) d.vals[i] = rnd32() & mask;
    /* make sure every block really needs the full width */
    for (unsigned b = 0; b < nblocks; b++) d.vals[(size_t)b * GG_BLOCK + b % GG_BLOCK] |= 1u << (bits - 1);
    for (unsigned b = 0; b < nblocks; b++)
      gg_pack(d.packed + (size_t)b * d.stride, d.vals + (size_t)b * GG_BLOCK, GG_BLOCK, bits);
    for (size_t i = 0; i < nvals; i++) d.vlen += gg_varint_put(d.vbytes + d.vlen, d.vals[i]);
    d.pfor = xmalloc((size_t)nblocks * GG_PFOR_MAX + GG_PACK_PAD);
    d.pfor_off = xmalloc(((size_t)nblocks + 1) * sizeof *d.pfor_off);
    d.pfor_off[0] = 0;
    for (unsigned b = 0; b < nblocks; b++)
      d.pfor_off[b + 1] = d.pfor_off[b] + gg_pfor_encode(d.pfor + d.pfor_off[b],
                                                         d.vals + (size_t)b * GG_BLOCK, GG_BLOCK);
    check(&d);

    double t128 = time_unpack(&d, GG_BLOCK, min_s, reps);
    double t127 = time_unpack(&d, GG_BLOCK - 1, min_s, reps);
    double tv = time_varint(&d, min_s, reps);
    double tp = time_pfor(&d, min_s, reps);
    double m128 = nvals / t128 / 1e6, m127 = (double)nblocks * (GG_BLOCK - 1) / t127 / 1e6;
    double mv = nvals / tv / 1e6, mp = nvals / tp / 1e6;
    sum128 += m128;
    sumv += mv;
    printf("| %u | %zu | %.0f | %.0f | %.0f | %.0f | %.2f | %.1fx |\n", bits,
           gg_packed_bytes(GG_BLOCK, bits), m128, m127, mp, mv, (double)d.vlen / nvals, m128 / mv);
    fflush(stdout);
    free(d.vals);
    free(d.packed);
    free(d.vbytes);
    free(d.pfor);
    free(d.pfor_off);
  }
  printf("\nmean over widths: unpack n=128 %.0f Mint/s, varint %.0f Mint/s\n", sum128 / 32,
         sumv / 32);
  return 0;
}
