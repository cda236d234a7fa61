/*
** test_topk.c -- top-k pruning is exact.
**
** gg_search prunes disjunctive queries (MaxScore with block-max bounds),
** conjunctive ones (block-max skipping) and the candidates of phrases
** (bounded by their terms' tfs before positions are read).
** Its contract is that pruning changes nothing but speed: for every query
** and every k, the hits (documents and scores, bit for bit) equal those of
** exhaustive evaluation (gg_search_opts.exhaustive = 1), which scores every
** matching document.  The corpus is generated with a Zipfian vocabulary and
** skewed document lengths, so common terms span many 128-document blocks
** with very different block bounds, and queries mix rare and common terms
** and phrases.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gg/gg.h"
#include "testutil.h"

#define NDOCS 12000
#define VOCAB 5000

static unsigned zipf_word(const double *cdf) {
  double u = (double)(rng64() >> 11) / 9007199254740992.0;
  unsigned lo = 0, hi = VOCAB - 1;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void word(unsigned w, char *out) { sprintf(out, "w%u", w); }

static gg_error err;

/* Appends a quoted phrase of 2-4 words copied from a random document, so
** that it matches somewhere; with max_rank > 0, only words of rank below
** it (common ones). */
static void add_phrase(char *q, unsigned *const *docs, const unsigned *lens, unsigned max_rank) {
  for (int tries = 0; tries < 1000; tries++) {
    unsigned d = (unsigned)rng_below(NDOCS);
    unsigned n = 2 + (unsigned)rng_below(max_rank ? 3 : 2);
    if (lens[d] < n) continue;
    unsigned at = (unsigned)rng_below(lens[d] - n + 1);
    int common = 1;
    for (unsigned i = 0; i < n; i++) common &= !max_rank || docs[d][at + i] < max_rank;
    if (!common) continue;
    strcat(q, " \"");
    for (unsigned i = 0; i < n; i++) {
      char w[16];
      word(docs[d][at + i], w);
      strcat(q, i ? " " : "");
      strcat(q, w);
    }
    strcat(q, "\"");
    return;
  }
}

/* Runs query q pruned and exhaustively, as OR and as AND, for several k,
** with BM25 parameters k1 and bm25_b; checks they agree bit for bit and returns
** the number of comparisons. */
static long compare(gg_index *ix, const char *q, double k1, double bm25_b) {
  static const unsigned ks[] = {1, 3, 10, 50};
  long compared = 0;
  gg_query *pq;
  if (gg_query_parse(ix, q, &pq, &err) != GG_OK) return 0;
  for (size_t ki = 0; ki < 2 * sizeof ks / sizeof ks[0]; ki++) {
    gg_search_opts fast = GG_SEARCH_DEFAULTS, slow = GG_SEARCH_DEFAULTS;
    fast.k = slow.k = ks[ki / 2];
    fast.k1 = slow.k1 = k1;
    fast.b = slow.b = bm25_b;
    fast.conjunctive = slow.conjunctive = (int)(ki % 2);  /* OR and AND */
    slow.exhaustive = 1;
    gg_hits *a, *b;
    REQUIRE(gg_search(ix, pq, &fast, &a, &err) == GG_OK, "search: %s", err.msg);
    REQUIRE(gg_search(ix, pq, &slow, &b, &err) == GG_OK, "search: %s", err.msg);
    CHECK(a->n == b->n, "query [%s] k=%u: %zu hits pruned, %zu exhaustive", q, fast.k, a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
      CHECK(a->hit[i].doc == b->hit[i].doc && a->hit[i].segment == b->hit[i].segment &&
                a->hit[i].score == b->hit[i].score,
            "query [%s] k=%u and=%d rank %zu: pruned %s %.17g, exhaustive %s %.17g", q, fast.k,
            fast.conjunctive, i + 1,
            a->hit[i].id, a->hit[i].score, b->hit[i].id, b->hit[i].score);
    }
    compared++;
    gg_hits_free(a);
    gg_hits_free(b);
  }
  gg_query_free(pq);
  return compared;
}

int main(void) {
  rng_seed(20261122);
  double *cdf = malloc(VOCAB * sizeof *cdf), sum = 0;
  for (unsigned i = 0; i < VOCAB; i++) sum += 1.0 / pow(i + 1, 1.07);
  double acc = 0;
  for (unsigned i = 0; i < VOCAB; i++) cdf[i] = (acc += 1.0 / pow(i + 1, 1.07) / sum);

  char *dir = tu_mkdtemp("topk");
  char *corpus = tu_path(dir, "docs.jsonl"), *index = tu_path(dir, "index");
  FILE *f = fopen(corpus, "w");
  REQUIRE(f, "cannot write %s", corpus);
  unsigned **docs = malloc(NDOCS * sizeof *docs), *lens = malloc(NDOCS * sizeof *lens);
  for (unsigned d = 0; d < NDOCS; d++) {
    /* Lengths from 3 to ~600 words, most short. */
    unsigned len = 3 + (unsigned)(rng_below(8) == 0 ? rng_below(600) : rng_below(60));
    lens[d] = len;
    docs[d] = malloc(len * sizeof **docs);
    fprintf(f, "{\"id\":\"d%u\",\"title\":\"\",\"contents\":\"", d);
    for (unsigned i = 0; i < len; i++) {
      char w[16];
      docs[d][i] = zipf_word(cdf);
      word(docs[d][i], w);
      fprintf(f, "%s%s", i ? " " : "", w);
    }
    fputs("\"}\n", f);
  }
  fclose(f);

  gg_index *ix = tu_build_open(corpus, index, "none");

  long compared = 0;
  for (int qi = 0; qi < 600; qi++) {
    char q[512] = "";
    int nclauses = 1 + (int)rng_below(5);
    for (int c = 0; c < nclauses; c++) {
      if (rng_below(5) == 0) {
        /* A phrase taken from a document, so that it matches somewhere. */
        add_phrase(q, docs, lens, 0);
      } else {
        /* Mostly common words (long lists), some rare ones. */
        char w[16];
        unsigned wv = rng_below(3) ? (unsigned)rng_below(60) : zipf_word(cdf);
        word(wv, w);
        strcat(q, " ");
        strcat(q, w);
      }
    }
    compared += compare(ix, q, 1.2, 0.75);
  }
  CHECK(compared > 4000, "only %ld comparisons ran", compared);

  /* Phrases of common words, alone, two together, with words, or of a
  ** repeated word: many documents hold all their terms, a few the phrase,
  ** so a phrase's candidates are passed over by their bounds (eval.c,
  ** phrase_seek).  Under several BM25 parameter pairs, as the bounds
  ** depend on them. */
  static const double params[][2] = {{1.2, 0.75}, {0.5, 0.3}, {2.0, 1.0}, {1.2, 0.0}, {0.0, 0.75}};
  long phrase_compared = 0, crowded = 0;  /* crowded: more matches than any k tried */
  for (int qi = 0; qi < 400; qi++) {
    char q[512] = "", w[16];
    if (qi % 4 == 3) {  /* "wA wA" or "wA wB wA" */
      unsigned a = (unsigned)rng_below(6), b = (unsigned)rng_below(40);
      word(a, w);
      strcat(q, " \"");
      strcat(q, w);
      if (rng_below(2)) {
        char wb[16];
        word(b, wb);
        strcat(q, " ");
        strcat(q, wb);
      }
      strcat(q, " ");
      strcat(q, w);
      strcat(q, "\"");
    } else {
      add_phrase(q, docs, lens, 40);
    }
    if (qi % 4 == 1) add_phrase(q, docs, lens, 40);
    for (unsigned n = qi % 4 == 2 ? 1 + (unsigned)rng_below(3) : qi % 4 == 3; n > 0; n--) {
      word((unsigned)rng_below(60), w);
      strcat(q, " ");
      strcat(q, w);
    }
    gg_query *pq;
    if (gg_query_parse(ix, q, &pq, &err) != GG_OK) continue;
    gg_search_opts all = GG_SEARCH_DEFAULTS;
    all.k = NDOCS;
    all.conjunctive = 1;
    gg_hits *h;
    REQUIRE(gg_search(ix, pq, &all, &h, &err) == GG_OK, "search: %s", err.msg);
    crowded += h->n > 50;
    gg_hits_free(h);
    gg_query_free(pq);
    const double *p = params[qi % 5];
    phrase_compared += compare(ix, q, p[0], p[1]);
  }
  CHECK(phrase_compared > 3000, "only %ld phrase comparisons ran", phrase_compared);
  CHECK(crowded > 120, "only %ld phrase queries match more documents than the largest k", crowded);
  gg_index_close(ix);
  for (unsigned d = 0; d < NDOCS; d++) free(docs[d]);
  free(docs);
  free(lens);
  free(cdf);
  tu_rm_rf(dir);
  free(dir);
  free(corpus);
  free(index);
  CHECK_EXIT();
}
