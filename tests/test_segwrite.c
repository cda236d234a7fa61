/*
** test_segwrite.c -- the segment writer's term phase divided between term
** writers (indexer/segwrite.c: gg_segw_terms, gg_segw_part_open,
** gg_segw_append_part) writes the same file, byte for byte, as one writer
** given every term.
**
** Oracle: the segment written with every term through the segment's own
** writer.  Each other file divides the same terms, in order, between the
** own writer and one or two parts appended after it.  The division points
** cover no terms for the own writer, no terms for a part, every position
** around dictionary block boundaries (GG_DICT_BLOCK_TERMS) and a DICTTOP
** stride boundary, the middle of a term with several blocks of postings,
** and random points.  The term set is generated: 5000 terms over 400
** documents, df from 1 to 400 (so terms with one short block, several
** full blocks and a tail), tf up to 6 with random positions.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "core/codec.h"
#include "core/segment.h"
#include "indexer/indexer.h"
#include "testutil.h"

#define NDOCS 400
#define NTERMS 5000

typedef struct gen_term {
  char text[16];
  uint32_t df;
  uint32_t *docs, *tfs, *gaps;  /* gaps: every document's position gaps in turn */
} gen_term;

static gen_term terms[NTERMS];
static uint32_t doclen[NDOCS];

static void generate(void) {
  rng_seed(4242);
  for (uint32_t d = 0; d < NDOCS; d++) doclen[d] = 20 + (uint32_t)rng_below(400);
  for (uint32_t t = 0; t < NTERMS; t++) {
    gen_term *g = &terms[t];
    snprintf(g->text, sizeof g->text, "t%05u", t);  /* increasing byte order */
    uint32_t df = rng_below(4) == 0 ? 1 + (uint32_t)rng_below(NDOCS) : 1 + (uint32_t)rng_below(8);
    g->docs = malloc(NDOCS * sizeof *g->docs);
    g->tfs = malloc(NDOCS * sizeof *g->tfs);
    g->gaps = malloc(NDOCS * 6 * sizeof *g->gaps);
    REQUIRE(g->docs && g->tfs && g->gaps, "out of memory");
    uint32_t np = 0;
    for (uint32_t d = 0; d < NDOCS && g->df < df; d++) {
      if (rng_below(NDOCS - d) >= df - g->df) continue;  /* df of the remaining documents, uniformly */
      uint32_t tf = 1 + (uint32_t)rng_below(6);
      g->docs[g->df] = d;
      g->tfs[g->df] = tf;
      g->df++;
      for (uint32_t k = 0; k < tf; k++) g->gaps[np++] = (uint32_t)rng_below(k ? 5 : 50);
    }
  }
}

/* A segment at path with the generated documents and terms; the terms go
** to the own writer up to cut[0], to a part up to cut[1], to a second part
** up to NTERMS (cut[1] == NTERMS: one part; cut[0] == NTERMS: none). */
static void write_segment(const char *dir, const char *path, const uint32_t cut[2]) {
  gg_segw *s;
  gg_error err;
  REQUIRE(gg_segw_open(path, dir, 0, &s, &err) == GG_OK, "open %s: %s", path, err.msg);
  for (uint32_t d = 0; d < NDOCS; d++) {
    char id[16], text[32];
    snprintf(id, sizeof id, "d%u", d);
    snprintf(text, sizeof text, "document %u", d);
    gg_doc doc = {id, strlen(id), "", 0, text, strlen(text)};
    REQUIRE(gg_segw_add_doc(s, &doc, &err) == GG_OK, "add_doc: %s", err.msg);
  }
  for (uint32_t d = 0; d < NDOCS; d++) gg_segw_set_doclen(s, d, doclen[d]);
  gg_termw *own, *part[2] = {NULL, NULL};
  REQUIRE(gg_segw_terms(s, &own, &err) == GG_OK, "terms: %s", err.msg);
  for (int k = 0; k < 2; k++)
    if (cut[k] < NTERMS) REQUIRE(gg_segw_part_open(s, &part[k], &err) == GG_OK, "part: %s", err.msg);
  for (uint32_t t = 0; t < NTERMS; t++) {
    gg_termw *w = t < cut[0] ? own : t < cut[1] ? part[0] : part[1];
    const gen_term *g = &terms[t];
    REQUIRE(gg_termw_begin(w, g->text, strlen(g->text), &err) == GG_OK, "begin: %s", err.msg);
    /* Documents handed over in pieces of varying size, as the merge does. */
    uint32_t i = 0, at = 0;
    while (i < g->df) {
      uint32_t n = 1 + (uint32_t)rng_below(200);
      if (n > g->df - i) n = g->df - i;
      REQUIRE(gg_termw_docs(w, g->docs + i, g->tfs + i, g->gaps + at, n, &err) == GG_OK, "docs: %s", err.msg);
      for (uint32_t k = i; k < i + n; k++) at += g->tfs[k];
      i += n;
    }
    REQUIRE(gg_termw_end(w, &err) == GG_OK, "end: %s", err.msg);
  }
  for (int k = 0; k < 2; k++)
    if (part[k]) REQUIRE(gg_segw_append_part(s, part[k], &err) == GG_OK, "append: %s", err.msg);
  uint64_t size;
  REQUIRE(gg_segw_finish(s, NULL, &size, &err) == GG_OK, "finish: %s", err.msg);
}

int main(void) {
  char *dir = tu_mkdtemp("segwrite");
  generate();
  char *ref = tu_path(dir, "ref.gg");
  const uint32_t whole[2] = {NTERMS, NTERMS};
  write_segment(dir, ref, whole);

  /* Division points: the own writer's share, then the first part's end. */
  uint32_t cuts[64][2];
  size_t n = 0;
  const uint32_t block = GG_DICT_BLOCK_TERMS, stride = GG_DICT_BLOCK_TERMS * GG_DICT_TOP_STRIDE;
  const uint32_t singles[] = {0, 1, block - 1, block, block + 1, 3 * block, stride - 1, stride,
                              stride + 1, NTERMS - 1, NTERMS};
  for (size_t k = 0; k < sizeof singles / sizeof *singles; k++) {
    cuts[n][0] = singles[k];
    cuts[n++][1] = NTERMS;
  }
  uint32_t big = 0;  /* a term with several blocks: the cut falls just before and after it */
  for (uint32_t t = 1; t < NTERMS && !big; t++)
    if (terms[t].df > 3 * GG_BLOCK) big = t;
  REQUIRE(big, "no term with several blocks was generated");
  cuts[n][0] = big;
  cuts[n++][1] = NTERMS;
  cuts[n][0] = big + 1;
  cuts[n++][1] = NTERMS;
  const uint32_t pairs[][2] = {{0, 0}, {0, NTERMS - 1}, {block, 2 * block}, {stride - 1, stride + 1},
                               {1000, 1000}, {NTERMS, NTERMS}};
  for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
    cuts[n][0] = pairs[k][0];
    cuts[n++][1] = pairs[k][1];
  }
  while (n < 40) {
    uint32_t a = (uint32_t)rng_below(NTERMS + 1), b = (uint32_t)rng_below(NTERMS + 1);
    cuts[n][0] = a < b ? a : b;
    cuts[n++][1] = a < b ? b : a;
  }

  for (size_t k = 0; k < n; k++) {
    char name[32];
    snprintf(name, sizeof name, "cut%zu.gg", k);
    char *path = tu_path(dir, name);
    write_segment(dir, path, cuts[k]);
    CHECK(tu_same_file(ref, path), "terms divided at %u and %u: the file differs from one writer's",
          cuts[k][0], cuts[k][1]);
    free(path);
  }
  /* The reference itself is a readable segment with every term. */
  size_t len;
  unsigned char *bytes = tu_read(ref, &len);
  CHECK(bytes && len > 0 && memcmp(bytes, GG_MAGIC_SEGMENT, 8) == 0, "reference segment magic");
  free(bytes);
  for (uint32_t t = 0; t < NTERMS; t++) {
    free(terms[t].docs);
    free(terms[t].tfs);
    free(terms[t].gaps);
  }
  free(ref);
  tu_rm_rf(dir);
  free(dir);
  CHECK_EXIT();
}
