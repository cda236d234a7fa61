/*
** eval.c -- rank documents for a parsed query: BM25 over clauses,
** document-at-a-time, with a top-k heap.
**
** BM25 (docs/RANKING.md), per clause c matching document d:
**   idf(c)  = ln(1 + (N - n + 0.5) / (n + 0.5))      (Lucene's, always > 0)
**   s(c, d) = idf(c) * f * (k1 + 1) / (f + k1 * (1 - b + b * dl / avgdl))
** N, avgdl: over all segments; n: documents containing the term (summed
** over segments); f: term frequency in d; dl: word positions in d.
** A phrase is one clause: f = its occurrences in d, idf = the sum of its
** terms' idfs (as Lucene does; it needs no extra pass over the index).
** score(d) = sum of s(c, d) over the clauses matching d.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/err.h"
#include "searcher.h"

double gg_bm25_idf(uint64_t ndocs, uint64_t df) {
  return log(1.0 + ((double)ndocs - (double)df + 0.5) / ((double)df + 0.5));
}

gg_bm25 gg_bm25_params(double avgdl, double k1, double b) {
  gg_bm25 m = {k1 + 1.0, avgdl > 0 ? k1 * (1.0 - b) : k1, avgdl > 0 ? k1 * b / avgdl : 0.0};
  return m;
}

double gg_bm25_tf(double tf, double dl, double avgdl, double k1, double b) {
  gg_bm25 m = gg_bm25_params(avgdl, k1, b);
  return gg_bm25_tf_part(&m, tf, gg_bm25_norm(&m, dl));
}

/* ---- top-k heap ---------------------------------------------------------- */

typedef struct cand {
  double score;
  uint32_t seg, doc;
} cand;

/* a ranks below b: lower score, or equal score and later in index order. */
static inline int worse(const cand *a, const cand *b) {
  if (a->score != b->score) return a->score < b->score;
  if (a->seg != b->seg) return a->seg > b->seg;
  return a->doc > b->doc;
}

typedef struct topk {
  cand *h;     /* min-heap by worse(): h[0] is the worst kept */
  uint32_t n, k;
} topk;

static void heap_down(topk *t, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < t->n && worse(&t->h[l], &t->h[m])) m = l;
    if (r < t->n && worse(&t->h[r], &t->h[m])) m = r;
    if (m == i) return;
    cand x = t->h[i];
    t->h[i] = t->h[m];
    t->h[m] = x;
    i = m;
  }
}

static void topk_add(topk *t, const cand *c) {
  if (t->n < t->k) {
    uint32_t i = t->n++;
    t->h[i] = *c;
    while (i > 0) {
      uint32_t p = (i - 1) / 2;
      if (!worse(&t->h[i], &t->h[p])) break;
      cand x = t->h[i];
      t->h[i] = t->h[p];
      t->h[p] = x;
      i = p;
    }
  } else if (worse(&t->h[0], c)) {
    t->h[0] = *c;
    heap_down(t, 0);
  }
}

static int cmp_best_first(const void *a, const void *b) {
  const cand *x = a, *y = b;
  return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

/* Bounds are compared with a little slack so that rounding in the partial
** sums can never prune a document that exhaustive evaluation would keep. */
#define BOUND_SLACK (1.0 + 1e-9)

/* One clause's iterator inside one segment. */
typedef struct clause_it {
  uint32_t nterms;
  gg_cursor *cur;      /* nterms cursors (phrase terms in order) */
  uint32_t doc;        /* current matching document or GG_DOC_END */
  uint32_t freq;       /* occurrences in doc */
  double idf;
  double ub;           /* upper bound of this clause's score in any document */
  double tf_ub;        /* ub / idf: the bound of the tf part */
  uint8_t order[64];   /* phrase cursors by increasing df: the rarest leads the intersection */
  uint32_t *starts;    /* phrase start positions still possible in the current document */
  uint32_t starts_cap;
  uint32_t min_df;     /* df of the rarest term: the clause's cost */
  uint32_t index;      /* position in the query, fixes the summation order */
  /* Pruning of a phrase's candidates (NULL top: none, as in exhaustive
  ** evaluation).  A document whose score is bounded below the k-th best
  ** by this clause's bound there plus every other clause's bound
  ** (others_ub) cannot enter the top k, so the phrase passes it over
  ** before reading the other terms' postings or anyone's positions. */
  const topk *top;
  double others_ub;    /* sum of the ub of the segment's other clauses */
  const gg_bm25 *m;
  int sought;          /* a phrase: doc is the result of a phrase_seek */
} clause_it;

/* First index j >= lo of the ascending a[0..n) with a[j] >= x, or n:
** galloping, so that a rare term walks a frequent term's positions in
** logarithmic steps. */
static uint32_t gallop(const uint32_t *a, uint32_t n, uint32_t lo, uint64_t x) {
  if (lo >= n || a[lo] >= x) return lo;
  uint32_t step = 1, hi = lo + 1;
  while (hi < n && a[hi] < x) {
    lo = hi;
    step *= 2;
    hi = step < n - lo ? lo + step : n;
  }
  while (hi - lo > 1) { /* a[lo] < x, and hi == n or a[hi] >= x */
    uint32_t mid = lo + (hi - lo) / 2;
    if (a[mid] < x) lo = mid;
    else hi = mid;
  }
  return hi;
}

/* Occurrences of the phrase in the cursors' common document.  The term
** with the fewest occurrences proposes start positions; the other terms,
** from the rarest up, each keep the starts they continue, so a frequent
** term's positions are decoded only while some start survives. */
static int phrase_freq(clause_it *it, uint32_t *freq, gg_error *err) {
  uint32_t order[64], nt = it->nterms;
  for (uint32_t i = 0; i < nt; i++) {
    uint32_t at = i, tf = gg_cursor_tf(&it->cur[i]);
    while (at > 0 && gg_cursor_tf(&it->cur[order[at - 1]]) > tf) {
      order[at] = order[at - 1];
      at--;
    }
    order[at] = i;
  }
  const uint32_t *p;
  uint32_t n, drv = order[0];
  int rc = gg_cursor_positions(&it->cur[drv], &p, &n, err);
  if (rc) return rc;
  if (n > it->starts_cap) {
    uint32_t *b = realloc(it->starts, (size_t)n * sizeof *b);
    if (!b) return gg_nomem(err);
    it->starts = b;
    it->starts_cap = n;
  }
  uint32_t ns = 0;
  for (uint32_t a = 0; a < n; a++)
    if (p[a] >= drv) it->starts[ns++] = p[a] - drv;
  for (uint32_t k = 1; k < nt && ns > 0; k++) {
    uint32_t i = order[k];
    if ((rc = gg_cursor_positions(&it->cur[i], &p, &n, err))) return rc;
    uint32_t kept = 0, at = 0;
    for (uint32_t s = 0; s < ns; s++) {
      uint64_t want = (uint64_t)it->starts[s] + i;
      at = gallop(p, n, at, want);
      if (at == n) break;
      if (p[at] == want) it->starts[kept++] = it->starts[s];
    }
    ns = kept;
  }
  *freq = ns;
  return GG_OK;
}

/* While the heap is full (phrase_seek's `pruning`; the callers check
** it): 1 when a document in which this clause's tf part is at most
** tf_part cannot enter the top k (see clause_it.top). */
static inline int phrase_cannot_enter(const clause_it *it, double tf_part) {
  return (it->idf * tf_part + it->others_ub) * BOUND_SLACK < it->top->h[0].score;
}

/* The same test for the tf part of tf at norm, multiplied out by its
** denominator, which is >= 1 (tf >= 1, and norm >= 0 as gg_search checks
** k1 and b), so that no division waits in the loop:
**   (idf * tf * (k1 + 1) + others * (tf + norm)) * SLACK < theta * (tf + norm).
** Its rounding errors, a few units in the last place, are far inside
** BOUND_SLACK. */
static inline int phrase_cannot_enter_at(const clause_it *it, uint32_t tf, double norm) {
  double den = (double)tf + norm;
  return (it->idf * (double)tf * it->m->k1p1 + it->others_ub * den) * BOUND_SLACK <
         it->top->h[0].score * den;
}

/* Move a phrase to its first matching document >= target, passing over
** those that cannot enter the top k: a block of the rarest term whose
** bound is too low, then a document whose rarest term's tf is too low
** (the phrase occurs at most as often as any of its terms), then, once
** every term is there, the smallest tf of them; only then are positions
** read. */
static int phrase_seek(clause_it *it, uint32_t target, gg_error *err) {
  /* Already on the first match >= target (the leapfrog of a conjunction
  ** asks again): its positions are not read twice. */
  if (it->sought && it->doc >= target) return GG_OK;
  it->sought = 1;
  gg_cursor *lead = &it->cur[it->order[0]];
  uint32_t d = target;
  int rc;
  for (;;) {
    if ((rc = gg_cursor_seek(lead, d, err))) return rc;
    d = lead->doc;
    if (d == GG_DOC_END) break;
    double norm = 0;
    int pruning = it->top && it->top->n == it->top->k;
    if (pruning) {
      uint32_t last;
      double b = gg_cursor_bound_at(lead, d, it->tf_ub, it->m, &last);
      if (phrase_cannot_enter(it, b < it->tf_ub ? b : it->tf_ub)) {
        if (last >= GG_DOC_END - 1) break;
        d = last + 1;
        continue;
      }
      uint32_t dl;
      if ((rc = gg_seg_doclen(lead->seg, d, &dl, err))) return rc;
      norm = gg_bm25_norm(it->m, dl);
      if (phrase_cannot_enter_at(it, gg_cursor_tf(lead), norm)) goto next_doc;
    }
    uint32_t i = 1, min_tf = gg_cursor_tf(lead);
    gg_cursor *c = NULL;
    for (; i < it->nterms; i++) {
      c = &it->cur[it->order[i]];
      if ((rc = gg_cursor_seek(c, d, err))) return rc;
      if (c->doc != d) break;
      if (gg_cursor_tf(c) < min_tf) min_tf = gg_cursor_tf(c);
    }
    if (i < it->nterms) {  /* a term is missing from d: go on from where it is */
      d = c->doc;
      if (d == GG_DOC_END) break;
      continue;
    }
    if (!pruning || !phrase_cannot_enter_at(it, min_tf, norm)) {
      uint32_t f;
      if ((rc = phrase_freq(it, &f, err))) return rc;
      if (f > 0) {
        it->doc = d;
        it->freq = f;
        return GG_OK;
      }
    }
  next_doc:
    if (d == GG_DOC_END - 1) break;
    d++;
  }
  it->doc = GG_DOC_END;
  it->freq = 0;
  return GG_OK;
}

/* Move to the first matching document >= target. */
static int clause_seek(clause_it *it, uint32_t target, gg_error *err) {
  if (it->nterms > 1) return phrase_seek(it, target, err);
  int rc = gg_cursor_seek(&it->cur[0], target, err);
  it->doc = it->cur[0].doc;
  it->freq = it->doc == GG_DOC_END ? 0 : gg_cursor_tf(&it->cur[0]);
  return rc;
}

static int clause_next(clause_it *it, gg_error *err) {
  if (it->doc == GG_DOC_END) return GG_OK;
  if (it->nterms == 1) {  /* the common case, without the seek's generality */
    int rc = gg_cursor_next(&it->cur[0], err);
    it->doc = it->cur[0].doc;
    it->freq = it->doc == GG_DOC_END ? 0 : gg_cursor_tf(&it->cur[0]);
    return rc;
  }
  return clause_seek(it, it->doc + 1, err);
}

/* ---- evaluation ---------------------------------------------------------- */

typedef struct term_ref {
  int found;
  gg_term_info info;
} term_ref;

/* Sum of contributions in clause order, so that a document's score is
** the same bit for bit whichever evaluation strategy computed it. */
static double sum_in_order(const double *contrib, uint32_t n) {
  double s = 0;
  for (uint32_t i = 0; i < n; i++) s += contrib[i];
  return s;
}

static int cmp_ub(const void *a, const void *b) {
  const clause_it *x = *(clause_it *const *)a, *y = *(clause_it *const *)b;
  if (x->ub != y->ub) return x->ub < y->ub ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Exact scores of one term clause over its cursor's current block.  An
** essential clause's every document is a candidate, so its scores are
** computed a block at a time in a loop without branches, whose divisions
** overlap, instead of one dependent division per candidate (most of a
** long OR query's time).  Same expressions, same operands: the same bits
** as the per-document path. */
typedef struct block_scores {
  uint32_t blk_plus1;  /* block scored + 1; 0: none */
  double s[GG_BLOCK];
} block_scores;

/* The scores of term clause c's current block, or NULL (a phrase, or the
** document lengths not loaded). */
static const double *block_scores_of(clause_it *c, block_scores *b, const gg_seg *seg,
                                     const gg_bm25 *m) {
  const gg_cursor *cur = &c->cur[0];
  if (c->nterms != 1 || !seg->doclens) return NULL;
  if (b->blk_plus1 != cur->blk + 1) {
    for (uint32_t j = 0; j < cur->n; j++) {  /* docs are < ndocs: checked by load_block */
      double dl = gg_get_u32(seg->doclens + (size_t)cur->docs[j] * 4);
      b->s[j] = c->idf * gg_bm25_tf_part(m, cur->tfs[j], gg_bm25_norm(m, dl));
    }
    b->blk_plus1 = cur->blk + 1;
  }
  return b->s;
}

/* Score of clause c (matching the current document, whose norm is given). */
static double clause_score(clause_it *c, block_scores *b, const gg_seg *seg, const gg_bm25 *m,
                           double norm) {
  const double *s = block_scores_of(c, b, seg, m);
  return s ? s[c->cur[0].i] : c->idf * gg_bm25_tf_part(m, c->freq, norm);
}

/* Move term clause c to document j of its cursor's block (j > the current
** one; j == the block's size: past the block). */
static int clause_skip_in_block(clause_it *c, uint32_t j, gg_error *err) {
  int rc = gg_cursor_skip_in_block(&c->cur[0], j, err);
  c->doc = c->cur[0].doc;
  c->freq = c->doc == GG_DOC_END ? 0 : gg_cursor_tf(&c->cur[0]);
  return rc;
}

/* The non-essential clauses' bounds (ord[0..ess)) for a document of the
** given norm in the blocks their bb[] describe, into bd[]; returns their
** sum.  A term clause's is its block's max tf (bbtf) at the document's own
** length, tighter than bb (the block's shortest document); a phrase keeps
** bb.  Zero when no block of the clause can hold the document. */
static double bounds_for(clause_it *const *ord, uint32_t ess, const double *bb, const uint32_t *bbtf,
                         const gg_bm25 *m, double norm, double *bd) {
  double sum = 0;
  for (uint32_t j = 0; j < ess; j++) {
    bd[j] = ord[j]->nterms == 1 ? ord[j]->idf * gg_bm25_tf_part(m, bbtf[j], norm) : bb[j];
    sum += bd[j];
  }
  return sum;
}

/* The rest of candidate d's score under MaxScore: the non-essential
** clauses ord[0..ess), from the strongest down, each read (sought to d)
** only while partial plus the bounds still to come (bd[], which sum to
** rest) can beat theta.  contrib[] holds the essential clauses' parts and
** receives the others'; d enters the top k unless it was dropped. */
static int complete_candidate(clause_it *const *ord, uint32_t ess, const double *bd, double rest,
                              double partial, double norm, double theta, uint32_t d, uint32_t si,
                              double *contrib, uint32_t nclauses, const gg_bm25 *m, topk *t,
                              gg_error *err) {
  for (uint32_t j = ess; j-- > 0;) {
    if ((partial + rest) * BOUND_SLACK < theta) return GG_OK;
    rest -= bd[j];
    if (bd[j] == 0.0) continue;  /* no block of this clause can hold d */
    clause_it *c = ord[j];
    int rc = clause_seek(c, d, err);
    if (rc) return rc;
    if (c->doc == d) {
      contrib[c->index] = c->idf * gg_bm25_tf_part(m, c->freq, norm);
      partial += contrib[c->index];
    }
  }
  cand cd = {sum_in_order(contrib, nclauses), si, d};
  topk_add(t, &cd);
  return GG_OK;
}

/* Disjunctive top-k by MaxScore (Turtle & Flood): clauses sorted by their
** score bound; while the bounds of the weakest clauses add up to no more
** than the current k-th score, those clauses cannot bring a new document
** into the top k on their own, so only documents of the other ("essential")
** clauses are candidates, and a candidate is dropped as soon as its partial
** score plus the remaining bounds cannot beat the k-th score.  Exact: it
** returns the same hits and scores as exhaustive evaluation. */
static int eval_maxscore(gg_index *ix, uint32_t si, clause_it *its, uint32_t nits, uint32_t nclauses,
                         const gg_bm25 *m, topk *t, gg_error *err) {
  gg_seg *seg = &ix->segs[si];
  clause_it **ord = malloc(nits * sizeof *ord);
  double *cum = malloc(nits * sizeof *cum);
  double *contrib = calloc(nclauses, sizeof *contrib);
  double *bb = malloc(nits * sizeof *bb), *bd = malloc(nits * sizeof *bd);
  uint32_t *bbtf = malloc(nits * sizeof *bbtf);
  block_scores *bs = calloc(nits, sizeof *bs);  /* by clause, as its[] */
  int rc = GG_OK;
  if (!ord || !cum || !contrib || !bb || !bd || !bbtf || !bs) {
    rc = gg_nomem(err);
    goto out;
  }
  for (uint32_t i = 0; i < nits; i++) ord[i] = &its[i];
  qsort(ord, nits, sizeof *ord, cmp_ub);
  for (uint32_t i = 0; i < nits; i++) cum[i] = (i ? cum[i - 1] : 0) + ord[i]->ub;
  uint32_t ess = 0;  /* ord[ess..nits) are essential */
  uint32_t bb_until = 0, bb_ess = UINT32_MAX;  /* bb[0..bb_ess) valid for documents <= bb_until */
  for (;;) {
    double theta = t->n == t->k ? t->h[0].score : -1.0;
    while (ess < nits && cum[ess] * BOUND_SLACK < theta) ess++;
    if (ess == nits) break;
    uint32_t d = GG_DOC_END, next = GG_DOC_END;  /* the two smallest essential documents */
    clause_it *lead = NULL;
    for (uint32_t i = ess; i < nits; i++) {
      if (ord[i]->doc < d) {
        next = d;
        d = ord[i]->doc;
        lead = ord[i];
      } else if (ord[i]->doc < next) {
        next = ord[i]->doc;
      }
    }
    if (d == GG_DOC_END) break;
    if (ess > 0 && next > d) {
      /* Up to the next essential document, the lead clause's documents are
      ** candidates on their own, with the lead's score as their partial
      ** score.  One tight loop through the lead's block passes over those
      ** whose bounds cannot beat the k-th score (the tests of the general
      ** path below, on the same values) and scores the others as that
      ** path would (complete_candidate). */
      const double *s = block_scores_of(lead, &bs[lead - its], seg, m);
      const gg_cursor *cur = &lead->cur[0];
      if (s) {
        /* The block bounds of the non-essential clauses too, while they
        ** hold: the refinement below would drop those documents first. */
        int bb_valid = bb_ess == ess;
        double rest = 0;
        for (uint32_t j = 0; bb_valid && j < ess; j++) rest += bb[j];
        uint32_t j = cur->i;
        while (j < cur->n && cur->docs[j] < next) {
          if ((s[j] + cum[ess - 1]) * BOUND_SLACK < theta) {
            j++;
            continue;
          }
          if (!bb_valid || cur->docs[j] > bb_until) break;
          if ((s[j] + rest) * BOUND_SLACK < theta) {
            j++;
            continue;
          }
          double norm = gg_bm25_norm(m, gg_get_u32(seg->doclens + (size_t)cur->docs[j] * 4));
          double rest_d = bounds_for(ord, ess, bb, bbtf, m, norm, bd);
          if ((s[j] + rest_d) * BOUND_SLACK < theta) {
            j++;
            continue;
          }
          /* A candidate: scored here as the code below would, and the loop
          ** goes on while the essential clauses stay the same. */
          contrib[lead->index] = s[j];
          rc = complete_candidate(ord, ess, bd, rest_d, s[j], norm, theta, cur->docs[j], si,
                                  contrib, nclauses, m, t, err);
          for (uint32_t i = 0; i < nits; i++) contrib[its[i].index] = 0;
          if (rc) break;
          j++;
          theta = t->n == t->k ? t->h[0].score : -1.0;
          if (cum[ess] * BOUND_SLACK < theta) break;  /* ess would grow: back to the loop's top */
        }
        if (rc) break;
        if (j > cur->i) {
          if ((rc = clause_skip_in_block(lead, j, err))) break;
          continue;
        }
      }
    }
    uint32_t dl;
    if ((rc = gg_seg_doclen(seg, d, &dl, err))) break;
    double norm = gg_bm25_norm(m, dl);
    double partial = 0;
    for (uint32_t i = ess; i < nits; i++) {
      clause_it *c = ord[i];
      if (c->doc == d) {
        contrib[c->index] = clause_score(c, &bs[c - its], seg, m, norm);
        partial += contrib[c->index];
      }
    }
    /* Block-max refinement: the non-essential clauses' bounds for the
    ** blocks that would hold d, read from their skip tables. */
    int pruned = ess > 0 && (partial + cum[ess - 1]) * BOUND_SLACK < theta;
    /* The bounds hold up to bb_until, the first end of a block among the
    ** non-essential clauses, so they are recomputed only past it (or when
    ** the set of non-essential clauses has changed). */
    if (!pruned && (d > bb_until || bb_ess != ess)) {
      bb_until = GG_DOC_END;
      bb_ess = ess;
      for (uint32_t j = 0; j < ess; j++) {
        clause_it *c = ord[j];
        uint32_t last = GG_DOC_END;
        bbtf[j] = 0;
        if (c->doc == GG_DOC_END) {
          bb[j] = 0.0;
        } else if (c->nterms == 1) {
          bb[j] = c->idf * gg_cursor_bound_at(&c->cur[0], d, c->tf_ub, m, &last);
          bbtf[j] = gg_cursor_bound_tf(&c->cur[0]);
        } else {
          bb[j] = c->ub;
        }
        if (last < bb_until) bb_until = last;
      }
    }
    if (!pruned)
      rc = complete_candidate(ord, ess, bd, bounds_for(ord, ess, bb, bbtf, m, norm, bd), partial,
                              norm, theta, d, si, contrib, nclauses, m, t, err);
    if (rc) break;
    for (uint32_t i = 0; i < nits; i++) contrib[its[i].index] = 0;
    for (uint32_t i = ess; i < nits && rc == GG_OK; i++)
      if (ord[i]->doc == d) rc = clause_next(ord[i], err);
    if (rc) break;
  }
out:
  free(ord);
  free(bs);
  free(bb);
  free(bd);
  free(bbtf);
  free(cum);
  free(contrib);
  return rc;
}

static int cmp_cost(const void *a, const void *b) {
  const clause_it *x = a, *y = b;
  if (x->min_df != y->min_df) return x->min_df < y->min_df ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Read ahead what the evaluation will walk, so that a query on a cold page
** cache waits for a few large reads rather than a fault per 4 KiB page
** (hot, each call costs a few microseconds).
**
** Walked whole: the lead (rarest term) of every clause of a disjunction
** and of the leading clause of a conjunction.  Sought: the other terms of
** a phrase, at each of its lead's documents, and every clause after the
** first of a conjunction, at each of the first's.  A list sought at least
** as often as it has blocks has most of its blocks touched (a fraction
** 1 - 1/e or more when the documents sought are spread evenly), so it is
** read ahead whole; so are a phrase's positions on the same test, since
** every candidate reads the positions of all its terms.  Reading a list
** whole costs one sequential read where seeking costs a random read per
** block: on a cold cache, a phrase of frequent words takes tens of
** milliseconds instead of hundreds.  A list sought rarely is left to the
** faults of the blocks it touches.
**
** The document lengths are read ahead when the documents walked outnumber
** their pages, i.e. may touch most of them.  They are also checked at once
** (see gg_seg_load_doclens) when every walked document is a candidate,
** which is so for the terms of a disjunction but not for phrases and
** conjunctions (which check them once they have read many). */
static void prefetch_clause(clause_it *it, uint64_t seeks, int walked) {
  for (uint32_t k = 0; k < it->nterms; k++) {
    gg_cursor *c = &it->cur[it->order[k]];
    int whole = seeks >= c->nblocks;
    if ((k == 0 && walked) || whole) gg_cursor_prefetch(c);
    if (it->nterms > 1 && whole) gg_cursor_prefetch_positions(c);
  }
}

static int prefetch(gg_seg *seg, clause_it *its, uint32_t nits, int conjunctive, gg_error *err) {
  uint64_t walked = 0, candidates = 0;
  for (uint32_t i = 0; i < nits; i++) {
    int lead = !conjunctive || i == 0;
    prefetch_clause(&its[i], lead ? its[i].min_df : its[0].min_df, lead);
    if (!lead) continue;
    walked += its[i].min_df;
    if (!conjunctive && its[i].nterms == 1) candidates += its[i].min_df;
  }
  uint64_t pages = (uint64_t)seg->ndocs * 4 / GG_PAGE_SIZE;
  if (candidates >= pages) return gg_seg_load_doclens(seg, err);
  if (walked >= pages) gg_seg_prefetch_doclens(seg);
  return GG_OK;
}

/* Evaluate the query over segment si, adding candidates to t.  refs holds
** the lookups [clause][term] for this segment. */
static int eval_segment(gg_index *ix, uint32_t si, const gg_query *q, const double *idf,
                        term_ref **refs, const gg_search_opts *o, topk *t, gg_error *err) {
  gg_seg *seg = &ix->segs[si];
  const gg_bm25 m = gg_bm25_params(ix->avgdl, o->k1, o->b);
  clause_it *its = calloc(q->nclauses, sizeof *its);
  if (!its) return gg_nomem(err);
  uint32_t nits = 0;
  int rc = GG_OK;
  for (uint32_t c = 0; c < q->nclauses && rc == GG_OK; c++) {
    const gg_clause *cl = &q->clauses[c];
    int present = 1;
    for (uint32_t k = 0; k < cl->nterms; k++) present &= refs[c][k].found;
    if (!present) {
      if (o->conjunctive) goto done;  /* nothing in this segment can match every clause */
      continue;
    }
    clause_it *it = &its[nits];
    it->nterms = cl->nterms;
    it->idf = idf[c];
    it->index = c;
    if (!(it->cur = calloc(cl->nterms, sizeof *it->cur))) {
      rc = gg_nomem(err);
      break;
    }
    nits++;
    it->min_df = UINT32_MAX;
    for (uint32_t k = 0; k < cl->nterms && rc == GG_OK; k++) {
      rc = gg_cursor_open(&it->cur[k], seg, &refs[c][k].info, err);
      /* insertion sort of the phrase's cursors by df */
      uint32_t at = k, df = refs[c][k].info.df;
      while (at > 0 && refs[c][it->order[at - 1]].info.df > df) {
        it->order[at] = it->order[at - 1];
        at--;
      }
      it->order[at] = (uint8_t)k;
      if (df < it->min_df) it->min_df = df;
    }
    if (rc == GG_OK) {
      /* A phrase occurs in a document at most as often as its rarest term. */
      it->tf_ub = gg_cursor_max_tf_part(&it->cur[it->order[0]], &m);
      it->ub = it->idf * it->tf_ub;
    }
  }
  if (rc != GG_OK || nits == 0) goto done;
  for (uint32_t i = 0; i < nits; i++) {
    its[i].top = o->exhaustive ? NULL : t;
    its[i].m = &m;
    its[i].others_ub = 0;
    for (uint32_t j = 0; j < nits; j++)
      if (j != i) its[i].others_ub += its[j].ub;
  }
  if (o->conjunctive) qsort(its, nits, sizeof *its, cmp_cost);  /* rarest clause leads */
  if ((rc = prefetch(seg, its, nits, o->conjunctive, err))) goto done;
  for (uint32_t i = 0; i < nits && rc == GG_OK; i++) rc = clause_seek(&its[i], 0, err);
  if (rc != GG_OK) goto done;
  if (!o->conjunctive && !o->exhaustive) {
    rc = eval_maxscore(ix, si, its, nits, q->nclauses, &m, t, err);
    goto done;
  }
  double *contrib = calloc(q->nclauses, sizeof *contrib);
  if (!contrib) {
    rc = gg_nomem(err);
    goto done;
  }
  while (rc == GG_OK) {
    uint32_t d;
    if (o->conjunctive) {
      /* Leapfrog until every clause sits on the same document. */
      d = 0;
      for (uint32_t i = 0; i < nits; i++)
        if (its[i].doc > d) d = its[i].doc;
      uint32_t i = 0;
      while (rc == GG_OK && d != GG_DOC_END && i < nits) {
        rc = clause_seek(&its[i], d, err);
        if (its[i].doc != d) {
          d = its[i].doc;
          i = 0;
        } else {
          i++;
        }
      }
      if (rc || d == GG_DOC_END) break;
      /* Block-max skip: while every clause stays in the blocks that hold d,
      ** their block bounds bound the score; below the k-th score, the whole
      ** stretch up to the first block end is skipped without scoring. */
      if (!o->exhaustive && t->n == t->k) {
        double bound = 0;
        uint32_t edge = GG_DOC_END - 1;
        int any_term = 0;
        for (uint32_t j = 0; j < nits; j++) {
          clause_it *c = &its[j];
          if (c->nterms > 1) {
            bound += c->ub;
            continue;
          }
          uint32_t last;
          bound += c->idf * gg_cursor_bound_at(&c->cur[0], d, c->tf_ub, &m, &last);
          if (last < edge) edge = last;
          any_term = 1;
        }
        if (any_term && bound * BOUND_SLACK < t->h[0].score) {
          if (edge == GG_DOC_END - 1) break;  /* no document left can enter */
          rc = clause_seek(&its[0], edge + 1, err);
          continue;
        }
      }
    } else {
      d = GG_DOC_END;
      for (uint32_t i = 0; i < nits; i++)
        if (its[i].doc < d) d = its[i].doc;
      if (d == GG_DOC_END) break;
    }
    uint32_t dl;
    if ((rc = gg_seg_doclen(seg, d, &dl, err))) break;
    double norm = gg_bm25_norm(&m, dl);
    for (uint32_t i = 0; i < nits; i++)
      contrib[its[i].index] = its[i].doc == d ? its[i].idf * gg_bm25_tf_part(&m, its[i].freq, norm) : 0.0;
    cand cd = {sum_in_order(contrib, q->nclauses), si, d};
    topk_add(t, &cd);
    for (uint32_t i = 0; i < nits && rc == GG_OK; i++)
      if (its[i].doc == d) rc = clause_next(&its[i], err);
  }
  free(contrib);
done:
  for (uint32_t i = 0; i < nits; i++) {
    for (uint32_t k = 0; k < its[i].nterms; k++) gg_cursor_close(&its[i].cur[k]);
    free(its[i].cur);
    free(its[i].starts);
  }
  free(its);
  return rc;
}

void gg_hits_free(gg_hits *h) {
  if (!h) return;
  free(h->hit);
  free(h);
}

/* On a cold cache each hit's id would cost two waits for the disk in
** turn (id table entry, then id): ask for all the entries, then for all
** the ids (gg_seg_prefetch_docid).  When the first hits' entries are all
** cached the cache is taken as hot and the rest are not asked about, so
** that a hot query for 1000 hits does not make 1000 system calls. */
#define HOT_PROBES 4

static void prefetch_hit_ids(gg_index *ix, const topk *t) {
  uint8_t *cold = t->n ? calloc(t->n, 1) : NULL;
  if (!cold) return;
  uint32_t asked = 0, ncold = 0;
  for (; asked < t->n && (ncold > 0 || asked < HOT_PROBES); asked++) {
    cold[asked] = (uint8_t)gg_seg_prefetch_docid(&ix->segs[t->h[asked].seg], t->h[asked].doc, 0);
    ncold += cold[asked];
  }
  for (uint32_t i = 0; i < asked; i++)
    if (cold[i]) gg_seg_prefetch_docid(&ix->segs[t->h[i].seg], t->h[i].doc, 1);
  free(cold);
}

int gg_search(gg_index *ix, const gg_query *q, const gg_search_opts *o, gg_hits **out,
              gg_error *err) {
  *out = NULL;
  if (!o || o->k < 1) return gg_fail(err, GG_EINVAL, "k must be at least 1");
  if (o->k > 10000000) return gg_fail(err, GG_EINVAL, "k is too large");
  /* Outside these the length normaliser k1 * (1 - b + b * dl / avgdl) can
  ** reach zero or below: scores stop being monotone in tf and the bounds
  ** that pruning relies on no longer hold. */
  if (!(o->k1 >= 0) || !(o->b >= 0 && o->b <= 1))
    return gg_fail(err, GG_EINVAL, "BM25 parameters: k1 must be >= 0 and b between 0 and 1");
  int rc = GG_OK;
  double *idf = calloc(q->nclauses, sizeof *idf);
  /* refs[seg][clause] -> array of nterms lookups, one allocation per segment */
  term_ref ***refs = calloc(ix->nsegs, sizeof *refs);
  uint64_t nrefs = 0;
  for (uint32_t c = 0; c < q->nclauses; c++) nrefs += q->clauses[c].nterms;
  /* No more hits than documents: a script asking for "all" with a huge k
  ** must not pay for a huge heap. */
  uint32_t want = ix->docs < o->k ? (uint32_t)(ix->docs ? ix->docs : 1) : o->k;
  topk t = {calloc(want, sizeof(cand)), 0, want};
  if (!idf || !refs || !t.h) rc = gg_nomem(err);
  for (uint32_t s = 0; rc == GG_OK && s < ix->nsegs; s++) {
    refs[s] = malloc(q->nclauses * sizeof(term_ref *) + nrefs * sizeof(term_ref));
    if (!refs[s]) {
      rc = gg_nomem(err);
      break;
    }
    term_ref *slot = (term_ref *)(void *)(refs[s] + q->nclauses);
    for (uint32_t c = 0; c < q->nclauses && rc == GG_OK; c++) {
      refs[s][c] = slot;
      for (uint32_t k = 0; k < q->clauses[c].nterms && rc == GG_OK; k++, slot++) {
        int f = gg_seg_lookup(&ix->segs[s], q->clauses[c].terms[k], q->clauses[c].lens[k],
                              &slot->info, err);
        if (f < 0) rc = f;
        slot->found = f == 1;
      }
    }
  }
  /* idf from document frequencies summed over segments. */
  for (uint32_t c = 0; rc == GG_OK && c < q->nclauses; c++) {
    for (uint32_t k = 0; k < q->clauses[c].nterms; k++) {
      uint64_t df = 0;
      for (uint32_t s = 0; s < ix->nsegs; s++)
        if (refs[s][c][k].found) df += refs[s][c][k].info.df;
      idf[c] += gg_bm25_idf(ix->docs, df);
    }
  }
  for (uint32_t s = 0; rc == GG_OK && s < ix->nsegs; s++)
    rc = eval_segment(ix, s, q, idf, refs[s], o, &t, err);

  gg_hits *h = NULL;
  if (rc == GG_OK) {
    qsort(t.h, t.n, sizeof *t.h, cmp_best_first);
    prefetch_hit_ids(ix, &t);
    /* One allocation: the hit array followed by the NUL-terminated ids. */
    size_t bytes = (size_t)t.n * sizeof(gg_hit);
    for (uint32_t i = 0; rc == GG_OK && i < t.n; i++) {
      const char *id;
      size_t len;
      rc = gg_seg_docid(&ix->segs[t.h[i].seg], t.h[i].doc, &id, &len, err);
      bytes += len + 1;
    }
    if (rc == GG_OK && (!(h = calloc(1, sizeof *h)) || !(h->hit = malloc(bytes ? bytes : 1)))) {
      free(h);
      h = NULL;
      rc = gg_nomem(err);
    }
    if (rc == GG_OK) {
      char *pool = (char *)(h->hit + t.n);
      h->n = t.n;
      for (uint32_t i = 0; i < t.n; i++) {
        const char *id;
        size_t len;
        gg_seg_docid(&ix->segs[t.h[i].seg], t.h[i].doc, &id, &len, err);
        memcpy(pool, id, len);
        pool[len] = 0;
        h->hit[i].score = t.h[i].score;
        h->hit[i].segment = t.h[i].seg;
        h->hit[i].doc = t.h[i].doc;
        h->hit[i].id = pool;
        pool += len + 1;
      }
    }
  }
  for (uint32_t s = 0; refs && s < ix->nsegs; s++) free(refs[s]);
  free(refs);
  free(idf);
  free(t.h);
  if (rc == GG_OK) *out = h;
  return rc;
}
