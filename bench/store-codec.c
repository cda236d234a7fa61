/*
** store-codec.c -- the stored-text trade-off: block size and compression
** level against size, compression speed and the cost of fetching a hit.
**
**   store-codec [--mb N] [--reps R] DOCS.jsonl[.gz]
**
** Reads the first N MB (default 64) of a collection ({"id","title",
** "contents"} per line, gzip or plain; lines that are not JSON objects are
** skipped), lays the documents out as the segment writer does (per
** document: varint title length, title, varint text length, text;
** FORMAT.md "Stored text") and cuts blocks the same way:
** a document is appended until the block holds at least B bytes.  For each
** block size B and each compressor and level (libdeflate 1, 2, 4, 6; ISA-L
** igzip 1, 2, 3, which the indexer uses at level 3) it compresses every
** block into a zlib stream and reports the ratio
** compressed / laid-out bytes and the compression speed; for each B it then
** times inflating single blocks, as fetching one hit does, with libdeflate
** (gg-search) and with zlib's uncompress (for comparison).  Times are the
** best of R passes (default 3), on one core.
**
** Output: a markdown table.  Exit: 0 ok, 1 failure, 2 usage.
*/
#define _GNU_SOURCE
#include <isa-l/igzip_lib.h>
#include <json-c/json.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "../core/buf.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The compressors compared: libdeflate (levels 1-12) and ISA-L's igzip
** (levels 0-3), both writing zlib streams. */
typedef struct codec {
  const char *name;
  int isal;
  int level;
} codec;

static const codec codecs[] = {{"libdeflate", 0, 1}, {"libdeflate", 0, 2}, {"libdeflate", 0, 4},
                               {"libdeflate", 0, 6}, {"isa-l", 1, 1},      {"isa-l", 1, 2},
                               {"isa-l", 1, 3}};

static uint32_t isal_level_buf_size(int level) {
  return level == 1 ? ISAL_DEF_LVL1_DEFAULT : level == 2 ? ISAL_DEF_LVL2_DEFAULT : ISAL_DEF_LVL3_DEFAULT;
}

/* One zlib stream of in[0..n) into out[0..cap); 0 on failure. */
static size_t compress_one(const codec *k, struct libdeflate_compressor *c, uint8_t *level_buf,
                           const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  if (!k->isal) return libdeflate_zlib_compress(c, in, n, out, cap);
  struct isal_zstream zs;
  isal_deflate_stateless_init(&zs);
  zs.level = (uint32_t)k->level;
  zs.level_buf = level_buf;
  zs.level_buf_size = isal_level_buf_size(k->level);
  zs.gzip_flag = IGZIP_ZLIB;
  zs.next_in = (uint8_t *)in;
  zs.avail_in = (uint32_t)n;
  zs.next_out = out;
  zs.avail_out = (uint32_t)cap;
  zs.end_of_stream = 1;
  zs.flush = NO_FLUSH;
  return isal_deflate_stateless(&zs) == COMP_OK ? zs.total_out : 0;
}

static const char *field(json_object *o, const char *key, size_t *n) {
  json_object *v;
  if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
    *n = 0;
    return "";
  }
  *n = (size_t)json_object_get_string_len(v);
  return json_object_get_string(v);
}

/* Documents laid out as in a stored-text block, back to back; *ends gets
** the end offset of every document. */
static int load(const char *path, size_t max_bytes, gg_buf *out, gg_buf *ends) {
  gzFile f = gzopen(path, "rb");
  if (!f) return -1;
  char *line = NULL;
  size_t cap = 0, len = 0;
  int c, rc = 0;
  for (;;) {
    c = gzgetc(f);
    if (c != '\n' && c != -1) {
      if (len + 1 >= cap) {
        char *p = realloc(line, cap = cap ? cap * 2 : 1 << 16);
        if (!p) { rc = -1; break; }
        line = p;
      }
      line[len++] = (char)c;
      continue;
    }
    if (len > 0) {
      line[len] = 0;
      json_object *o = json_tokener_parse(line);
      if (o && !json_object_is_type(o, json_type_object)) {  /* not a document: skipped */
        json_object_put(o);
        o = NULL;
      }
      if (o) {
        size_t tn, xn;
        const char *t = field(o, "title", &tn), *x = field(o, "contents", &xn);
        gg_buf_put_varint(out, tn);
        gg_buf_put(out, t, tn);
        gg_buf_put_varint(out, xn);
        gg_buf_put(out, x, xn);
        uint64_t e = out->n;
        gg_buf_put(ends, &e, sizeof e);
        json_object_put(o);
      }
    }
    len = 0;
    if (c == -1 || out->n >= max_bytes || out->oom || ends->oom) break;
  }
  int errnum;
  gzerror(f, &errnum);
  if (errnum != Z_OK && errnum != Z_STREAM_END) rc = -1;  /* a read error is not the end */
  free(line);
  gzclose(f);
  return rc || out->oom || ends->oom ? -1 : 0;
}

/* Any failure exits at once with 1; the process's memory goes with it. */
int main(int argc, char **argv) {
  size_t mb = 64;
  int reps = 3;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc) mb = (size_t)atol(argv[++i]);
    else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
    else if (argv[i][0] != '-' && !path) path = argv[i];
    else {
      fprintf(stderr, "usage: store-codec [--mb N] [--reps R] DOCS.jsonl[.gz]\n");
      return 2;
    }
  }
  if (!path || mb == 0 || mb > 4096 || reps < 1) {
    fprintf(stderr, "usage: store-codec [--mb N] [--reps R] DOCS.jsonl[.gz]\n");
    return 2;
  }
  gg_buf text = GG_BUF_INIT, ends_buf = GG_BUF_INIT;
  if (load(path, mb << 20, &text, &ends_buf) != 0 || ends_buf.n == 0) {
    fprintf(stderr, "store-codec: %s: cannot read documents\n", path);
    return 1;
  }
  const uint64_t *ends = (const uint64_t *)(const void *)ends_buf.p;
  size_t ndocs = ends_buf.n / sizeof *ends;
  printf("%s: %zu documents, %.1f MB laid out\n\n", path, ndocs, text.n / 1e6);
  printf("| block | compressor | level | compressed / text | compress MB/s | inflate one block, libdeflate µs | zlib uncompress µs |\n");
  printf("|---|---|---|---|---|---|---|\n");
  static const size_t sizes[] = {32768, 65536, 131072, 262144};
  uint8_t *z = NULL, *u = NULL;
  for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
    /* Block boundaries: the segment writer's rule. */
    size_t *cut = malloc((ndocs + 1) * sizeof *cut), nb = 0, start = 0;
    if (!cut) return 1;
    cut[0] = 0;
    for (size_t d = 0; d < ndocs; d++)
      if (ends[d] - start >= sizes[si] || d + 1 == ndocs) cut[++nb] = start = ends[d];
    size_t maxb = 0;
    for (size_t b = 0; b < nb; b++)
      if (cut[b + 1] - cut[b] > maxb) maxb = cut[b + 1] - cut[b];
    for (size_t ki = 0; ki < sizeof codecs / sizeof *codecs; ki++) {
      const codec *k = &codecs[ki];
      /* libdeflate's bound also bounds ISA-L's output (at worst stored blocks). */
      struct libdeflate_compressor *c = libdeflate_alloc_compressor(k->isal ? 1 : k->level);
      uint8_t *level_buf = k->isal ? malloc(isal_level_buf_size(k->level)) : NULL;
      if (!c || (k->isal && !level_buf)) return 1;
      /* Every block's stream is kept, for the inflate timing: block b's at
      ** z + zoff[b], with room for its own compression bound. */
      size_t *zoff = malloc((nb + 1) * sizeof *zoff), *zlen = malloc(nb * sizeof *zlen);
      if (!zoff || !zlen) return 1;
      zoff[0] = 0;
      for (size_t b = 0; b < nb; b++)
        zoff[b + 1] = zoff[b] + libdeflate_zlib_compress_bound(c, cut[b + 1] - cut[b]);
      uint8_t *zz = realloc(z, zoff[nb]);
      uint8_t *uu = realloc(u, maxb);
      if (!zz || !uu) return 1;
      z = zz;
      u = uu;
      double best = 1e30;
      size_t total = 0;
      for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        total = 0;
        for (size_t b = 0; b < nb; b++) {
          zlen[b] = compress_one(k, c, level_buf, text.p + cut[b], cut[b + 1] - cut[b], z + zoff[b],
                                 zoff[b + 1] - zoff[b]);
          if (zlen[b] == 0) return 1;
          total += zlen[b];
        }
        double t = now_s() - t0;
        if (t < best) best = t;
      }
      /* Inflate every block once per pass, as many single fetches. */
      struct libdeflate_decompressor *dz = libdeflate_alloc_decompressor();
      if (!dz) return 1;
      double best_ld = 1e30, best_z = 1e30;
      for (size_t b = 0; b < nb; b++)  /* checked once, untimed */
        if (libdeflate_zlib_decompress(dz, z + zoff[b], zlen[b], u, cut[b + 1] - cut[b], NULL) !=
                LIBDEFLATE_SUCCESS ||
            memcmp(u, text.p + cut[b], cut[b + 1] - cut[b]) != 0) {
          fprintf(stderr, "store-codec: libdeflate round trip failed\n");
          return 1;
        }
      for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        for (size_t b = 0; b < nb; b++)
          if (libdeflate_zlib_decompress(dz, z + zoff[b], zlen[b], u, cut[b + 1] - cut[b], NULL) !=
              LIBDEFLATE_SUCCESS)
            return 1;
        double t1 = now_s();
        for (size_t b = 0; b < nb; b++) {
          uLongf got = cut[b + 1] - cut[b];
          if (uncompress(u, &got, z + zoff[b], zlen[b]) != Z_OK || got != cut[b + 1] - cut[b]) {
            fprintf(stderr, "store-codec: zlib round trip failed\n");
            return 1;
          }
        }
        double t2 = now_s();
        if (t1 - t0 < best_ld) best_ld = t1 - t0;
        if (t2 - t1 < best_z) best_z = t2 - t1;
      }
      printf("| %zu KB | %s | %d | %.4f | %.0f | %.0f | %.0f |\n", sizes[si] >> 10, k->name, k->level,
             (double)total / (double)cut[nb], cut[nb] / 1e6 / best, best_ld / nb * 1e6, best_z / nb * 1e6);
      fflush(stdout);
      libdeflate_free_decompressor(dz);
      libdeflate_free_compressor(c);
      free(level_buf);
      free(zlen);
      free(zoff);
    }
    free(cut);
  }
  free(z);
  free(u);
  gg_buf_free(&text);
  gg_buf_free(&ends_buf);
  return 0;
}
