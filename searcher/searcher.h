/*
** searcher.h -- internal interfaces of the read path.  One section per
** source file; the public entry points are in include/gg/gg.h.
*/
#ifndef GG_SEARCHER_H
#define GG_SEARCHER_H
#include <stddef.h>
#include <stdint.h>

#include "../core/analyze.h"
#include "../core/codec.h"
#include "../core/pagefile.h"
#include "gg/gg.h"

#define GG_DOC_END UINT32_MAX  /* cursor position after the last document */

/* ---- reader.c: one segment file ------------------------------------ */
typedef struct gg_seg {
  gg_pfr *f;
  uint32_t ndocs;
  uint64_t tokens;
  uint64_t ndict_blocks;
  uint64_t doclen_off, idoff_off, ids_off, ids_len;
  uint64_t store_off, store_len, storeidx_off, nstore_blocks;
  uint64_t post_off, post_len, pos_off, pos_len;
  uint64_t dict_off, dict_len, dictidx_off, dicttop_off, dicttop_len;
  const uint8_t *doclens;  /* the whole verified DOCLEN section once a dense query has
                           ** asked for it (gg_seg_load_doclens), else NULL */
  uint64_t doclen_reads;   /* single lengths read before that */
} gg_seg;

typedef struct gg_term_info {
  uint32_t df;
  uint64_t post_off, post_len;   /* absolute file offsets */
  uint64_t pos_off, pos_len;
} gg_term_info;

struct gg_index {
  char *dir;
  uint32_t nsegs;
  gg_seg *segs;
  uint64_t docs, tokens;
  double avgdl;
  char stemmer[32];
  gg_analyzer *an;
};

/* 1 and *info when found, 0 when absent, < 0 on error. */
int gg_seg_lookup(gg_seg *s, const char *term, size_t len, gg_term_info *info, gg_error *err);
int gg_seg_doclen_checked(gg_seg *s, uint32_t doc, uint32_t *len, gg_error *err);
static inline int gg_seg_doclen(gg_seg *s, uint32_t doc, uint32_t *len, gg_error *err) {
  if (s->doclens && doc < s->ndocs) {
    *len = gg_get_u32(s->doclens + (size_t)doc * 4);
    return GG_OK;
  }
  return gg_seg_doclen_checked(s, doc, len, err);
}
/* For a query expected to score about as many documents as the section has
** pages (or once that many have been read one by one): read the document
** lengths ahead (gg_pfr_willneed), verify them all at once and serve
** gg_seg_doclen from them without per-call checks. */
int gg_seg_load_doclens(gg_seg *s, gg_error *err);
/* Only read them ahead (gg_pfr_willneed). */
void gg_seg_prefetch_doclens(gg_seg *s);
/* Reading ids ahead on a cold cache, in two rounds so that k ids cost
** two waits for the disk, not 2k: stage 0 (for every document first)
** asks for the id table entry when its page is not in the page cache and
** returns 1 then; stage 1, for the documents stage 0 returned 1 for, reads
** the entry and asks for the id.  Hot, stage 0 costs one mincore call.
** Errors are left to gg_seg_docid. */
int gg_seg_prefetch_docid(gg_seg *s, uint32_t doc, int stage);
/* External id (not NUL-terminated) of doc. */
int gg_seg_docid(gg_seg *s, uint32_t doc, const char **id, size_t *len, gg_error *err);
int gg_seg_doc(gg_seg *s, uint32_t doc, char **title, char **text, gg_error *err);

/* BM25's tf part with k1, b and avgdl folded into constants:
**   norm(dl) = k1 * (1 - b) + (k1 * b / avgdl) * dl      (avgdl 0: k1)
**   tf part  = tf * (k1 + 1) / (tf + norm(dl))
** so a document costs one multiply-add for its length and one division per
** matching clause (divisions were most of the time of a long OR query).
** Every evaluation strategy and every bound goes through these, so equal
** inputs give bit-identical scores; both are monotone (norm in dl, tf part
** in tf and -norm), which the bounds rely on. */
typedef struct gg_bm25 {
  double k1p1, k_base, k_per_len;
} gg_bm25;
gg_bm25 gg_bm25_params(double avgdl, double k1, double b);
static inline double gg_bm25_norm(const gg_bm25 *m, double dl) { return m->k_base + m->k_per_len * dl; }
static inline double gg_bm25_tf_part(const gg_bm25 *m, double tf, double norm) {
  return tf * m->k1p1 / (tf + norm);
}

/* ---- cursor.c: iteration over one term's postings in one segment ---- */
typedef struct gg_cursor {
  gg_seg *seg;
  gg_term_info t;
  uint32_t nblocks;
  const uint8_t *skip;          /* verified skip table, NULL for one block */
  uint32_t blk;                 /* current block; nblocks when exhausted */
  uint32_t n, i;                /* documents in the block, index of the current one */
  uint32_t doc;                 /* current document or GG_DOC_END */
  uint32_t docs[GG_BLOCK], tfs[GG_BLOCK];
  /* Positions of the current block are decoded lazily: only the PFor
  ** chunks that hold a requested document's positions are unpacked; the
  ** others are skipped by their headers. */
  int pos_ready;                /* pos_start and the chunk reader are set up */
  uint32_t pos_start[GG_BLOCK + 1]; /* offsets of each document's gaps in pos */
  uint32_t *pos;                /* position gaps of the block (where decoded) */
  size_t pos_cap;
  const uint8_t *pq, *pq_end;   /* next undecoded chunk, end of the block's positions */
  uint32_t pk;                  /* index of the first value of chunk pq */
  uint32_t *dpos;               /* absolute positions of the document asked for */
  size_t dpos_cap;
  uint32_t shallow;             /* block gg_cursor_bound_at last looked at */
  uint32_t bound_blk;           /* block whose bound is cached in bound_val */
  double bound_val;
  uint32_t bound_tf;            /* max tf of the block gg_cursor_bound_at last bounded */
  uint32_t one_block_max_tf;    /* max tf of a one-block term (no skip table) */
} gg_cursor;

/* Position the cursor on the term's first document. */
int gg_cursor_open(gg_cursor *c, gg_seg *seg, const gg_term_info *t, gg_error *err);
/* Start reading the term's postings ahead: for a list the query will walk. */
void gg_cursor_prefetch(gg_cursor *c);
/* The same for its positions. */
void gg_cursor_prefetch_positions(gg_cursor *c);
void gg_cursor_close(gg_cursor *c);
int gg_cursor_next_block(gg_cursor *c, gg_error *err);
/* Advance to document j of the current block (c->i < j <= c->n; c->n:
** the first document of the next block, or GG_DOC_END). */
static inline int gg_cursor_skip_in_block(gg_cursor *c, uint32_t j, gg_error *err) {
  if (j < c->n) {
    c->i = j;
    c->doc = c->docs[j];
    return GG_OK;
  }
  c->i = c->n - 1;
  return gg_cursor_next_block(c, err);
}
/* Advance to the next document (GG_DOC_END after the last). */
static inline int gg_cursor_next(gg_cursor *c, gg_error *err) {
  if (c->doc != GG_DOC_END && c->i + 1 < c->n) {
    c->doc = c->docs[++c->i];
    return GG_OK;
  }
  return gg_cursor_next_block(c, err);
}
/* Advance to the first document >= target (no move if already there). */
int gg_cursor_seek(gg_cursor *c, uint32_t target, gg_error *err);
static inline uint32_t gg_cursor_tf(const gg_cursor *c) { return c->tfs[c->i]; }
/* Upper bound of the BM25 tf part (gg_bm25_tf_part) over every document of
** the term, from the skip table (or the single block's max tf with dl 0). */
double gg_cursor_max_tf_part(const gg_cursor *c, const gg_bm25 *m);
/* Upper bound of the tf part for document d, from the skip entry of the
** block that would hold d (without decoding it); 0 when no block can hold
** d; the whole-term bound `term_bound` for a one-block term.  *last (if
** not NULL) receives the last document the bound is valid for.  d must
** not decrease between calls. */
double gg_cursor_bound_at(gg_cursor *c, uint32_t d, double term_bound, const gg_bm25 *m,
                          uint32_t *last);
/* The largest tf in the block of the last gg_cursor_bound_at (0 when that
** returned 0): with d's own length it bounds d's tf part more tightly
** than the block's bound, which assumes the block's shortest document. */
static inline uint32_t gg_cursor_bound_tf(const gg_cursor *c) { return c->bound_tf; }
/* Positions of the current document, ascending; *n == gg_cursor_tf. */
int gg_cursor_positions(gg_cursor *c, const uint32_t **pos, uint32_t *n, gg_error *err);

/* ---- query.c: parsed queries ---------------------------------------- */
typedef struct gg_clause {
  uint32_t nterms;     /* 1: a term; > 1: a phrase of consecutive terms */
  char **terms;        /* analysed terms, NUL-terminated */
  size_t *lens;
} gg_clause;

struct gg_query {
  uint32_t nclauses;
  gg_clause *clauses;
};

/* ---- eval.c: BM25 ---------------------------------------------------- */
/* BM25 of one clause in one document = idf * tf part (docs/SEARCH.md). */
double gg_bm25_idf(uint64_t ndocs, uint64_t df);
/* The tf part, convenience form of the two steps below. */
double gg_bm25_tf(double tf, double dl, double avgdl, double k1, double b);

#endif
