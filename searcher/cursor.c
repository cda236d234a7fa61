/*
** cursor.c -- iterate one term's postings in one segment (layout:
** docs/FORMAT.md, "Postings" and "Positions").
**
** Blocks are decoded one at a time, positions only when asked for, so a
** seek over a long list touches the skip table and the target block only.
** Each decoded block is checked against its skip entry and the segment's
** document count, so damage that passes the page CRCs (or a bug) still
** cannot make the cursor read out of bounds or return a document twice.
*/
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/segment.h"
#include "searcher.h"

static int bad(gg_cursor *c, gg_error *err, const char *what) {
  return gg_fail(err, GG_ECORRUPT, "%s: damaged %s at offset %llu", gg_pfr_path(c->seg->f), what,
                 (unsigned long long)c->t.post_off);
}

static inline const uint8_t *skip_entry(const gg_cursor *c, uint32_t b) {
  return c->skip + (size_t)b * GG_SKIP_ENTRY;
}

static int load_block(gg_cursor *c, uint32_t b, gg_error *err) {
  c->blk = b;
  c->pos_ready = 0;
  c->doc = GG_DOC_END;  /* until the block is decoded and checked */
  c->n = c->i = 0;
  if (b >= c->nblocks) {
    c->doc = GG_DOC_END;
    c->n = c->i = 0;
    return GG_OK;
  }
  uint32_t n = b + 1 < c->nblocks ? GG_BLOCK : c->t.df - GG_BLOCK * (c->nblocks - 1);
  uint64_t start = b ? gg_get_u32(skip_entry(c, b - 1) + 4) : 0;
  uint64_t end = c->skip ? gg_get_u32(skip_entry(c, b) + 4) : c->t.post_len;
  if (start > end || end > c->t.post_len || end == start) return bad(c, err, "postings block");
  const uint8_t *p = gg_pfr_get(c->seg->f, c->t.post_off + start, end - start, err);
  if (!p) return GG_ECORRUPT;
  uint64_t doc = b ? (uint64_t)gg_get_u32(skip_entry(c, b - 1)) + 1 : 0;
  if (n == GG_BLOCK) {
    uint32_t gaps[GG_BLOCK];
    size_t k = gg_pfor_decode(gaps, p, end - start, n);
    size_t k2 = k ? gg_pfor_decode(c->tfs, p + k, end - start - k, n) : 0;
    if (!k || !k2 || k + k2 != end - start) return bad(c, err, "postings block");
    for (uint32_t i = 0; i < n; i++) {
      doc += gaps[i];
      c->docs[i] = (uint32_t)doc;
      c->tfs[i] += 1;
      doc++;
    }
  } else {
    const uint8_t *q = p, *qend = p + (end - start);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t g, tf = 1;
      if (gg_varint_get(&q, qend, &g) || (!(g & 1) && (gg_varint_get(&q, qend, &tf) || tf < 2 ||
                                                          tf > UINT32_MAX)))
        return bad(c, err, "postings block");
      doc += g >> 1;
      if (doc >= c->seg->ndocs) return bad(c, err, "postings block");
      c->docs[i] = (uint32_t)doc;
      c->tfs[i] = (uint32_t)tf;
      doc++;
    }
    if (q != qend) return bad(c, err, "postings block");
  }
  uint64_t last = doc - 1;
  if (last >= c->seg->ndocs || (c->skip && last != gg_get_u32(skip_entry(c, b))) ||
      c->tfs[n - 1] == 0 /* tf-1 was UINT32_MAX */)
    return bad(c, err, "postings block");
  c->n = n;
  c->i = 0;
  c->doc = c->docs[0];
  return GG_OK;
}

int gg_cursor_open(gg_cursor *c, gg_seg *seg, const gg_term_info *t, gg_error *err) {
  memset(c, 0, offsetof(gg_cursor, docs));
  c->pos = c->dpos = NULL;
  c->pos_cap = c->dpos_cap = 0;
  c->shallow = c->bound_blk = c->bound_tf = c->one_block_max_tf = 0;
  c->bound_val = 0;
  c->seg = seg;
  c->t = *t;
  c->nblocks = (uint32_t)(((uint64_t)t->df + GG_BLOCK - 1) / GG_BLOCK);
  if (t->df == 0) return bad(c, err, "dictionary entry");
  if (c->nblocks > 1) {
    uint64_t sz = (uint64_t)c->nblocks * GG_SKIP_ENTRY;
    if (sz > t->post_len) return bad(c, err, "skip table");
    c->skip = gg_pfr_get(seg->f, t->post_off + t->post_len - sz, sz, err);
    if (!c->skip) return GG_ECORRUPT;
    if (gg_get_u32(skip_entry(c, c->nblocks - 1) + 4) != t->post_len - sz ||
        gg_get_u32(skip_entry(c, c->nblocks - 1) + 8) != t->pos_len)
      return bad(c, err, "skip table");
  }
  int rc = load_block(c, 0, err);
  if (rc == GG_OK && !c->skip)
    for (uint32_t i = 0; i < c->n; i++)
      if (c->tfs[i] > c->one_block_max_tf) c->one_block_max_tf = c->tfs[i];
  return rc;
}

void gg_cursor_prefetch(gg_cursor *c) { gg_pfr_willneed(c->seg->f, c->t.post_off, c->t.post_len); }

void gg_cursor_prefetch_positions(gg_cursor *c) {
  gg_pfr_willneed(c->seg->f, c->t.pos_off, c->t.pos_len);
}

void gg_cursor_close(gg_cursor *c) {
  free(c->pos);
  free(c->dpos);
  c->pos = c->dpos = NULL;
  c->pos_cap = c->dpos_cap = 0;
}

int gg_cursor_next_block(gg_cursor *c, gg_error *err) {
  if (c->doc == GG_DOC_END || c->n == 0) return GG_OK;
  if (++c->i < c->n) {
    c->doc = c->docs[c->i];
    return GG_OK;
  }
  return load_block(c, c->blk + 1, err);
}

int gg_cursor_seek(gg_cursor *c, uint32_t target, gg_error *err) {
  if (c->doc >= target) return GG_OK;
  if (c->n == 0 || c->docs[c->n - 1] < target) {
    uint32_t b = c->blk + 1;
    if (c->skip)
      while (b < c->nblocks && gg_get_u32(skip_entry(c, b)) < target) b++;
    int rc = load_block(c, b, err);
    if (rc || c->doc == GG_DOC_END) return rc;
  }
  while (c->docs[c->i] < target) c->i++;  /* the block's last doc is >= target */
  c->doc = c->docs[c->i];
  return GG_OK;
}

/* Set up the block's position reader; varint (short) blocks are decoded
** whole, they are small. */
static int positions_begin(gg_cursor *c, gg_error *err) {
  uint32_t b = c->blk;
  uint64_t start = b ? gg_get_u32(skip_entry(c, b - 1) + 8) : 0;
  uint64_t end = c->skip ? gg_get_u32(skip_entry(c, b) + 8) : c->t.pos_len;
  uint64_t total = 0;
  c->pos_start[0] = 0;
  for (uint32_t i = 0; i < c->n; i++) {
    total += c->tfs[i];
    if (total > UINT32_MAX) return bad(c, err, "term frequencies");
    c->pos_start[i + 1] = (uint32_t)total;
  }
  /* Each chunk of 128 values costs at least two bytes, each varint one;
  ** and no term has more positions than the segment has tokens. */
  if (start > end || end > c->t.pos_len || total > c->seg->tokens ||
      (c->n == GG_BLOCK ? total / GG_BLOCK : total) > end - start)
    return bad(c, err, "positions block");
  if (total > c->pos_cap) {
    uint32_t *p = realloc(c->pos, (size_t)total * sizeof *p);
    if (!p) return gg_nomem(err);
    c->pos = p;
    c->pos_cap = (size_t)total;
  }
  const uint8_t *p = gg_pfr_get(c->seg->f, c->t.pos_off + start, end - start, err);
  if (!p) return GG_ECORRUPT;
  c->pq = p;
  c->pq_end = p + (end - start);
  c->pk = 0;
  if (c->n < GG_BLOCK) {
    for (uint64_t k = 0; k < total; k++) {
      uint64_t g;
      if (gg_varint_get(&c->pq, c->pq_end, &g) || g > UINT32_MAX) return bad(c, err, "positions block");
      c->pos[k] = (uint32_t)g;
    }
    if (c->pq != c->pq_end) return bad(c, err, "positions block");
    c->pk = (uint32_t)total;
  }
  c->pos_ready = 1;
  return GG_OK;
}

int gg_cursor_positions(gg_cursor *c, const uint32_t **pos, uint32_t *n, gg_error *err) {
  if (c->doc == GG_DOC_END) return gg_fail(err, GG_EINVAL, "cursor exhausted");
  int rc;
  if (!c->pos_ready && (rc = positions_begin(c, err))) return rc;
  uint32_t lo = c->pos_start[c->i], hi = c->pos_start[c->i + 1];
  uint32_t total = c->pos_start[c->n];
  /* Chunks wholly before this document: skip.  Then decode up to hi. */
  while (c->pk < hi) {
    unsigned cn = total - c->pk < GG_BLOCK ? total - c->pk : GG_BLOCK;
    size_t avail = (size_t)(c->pq_end - c->pq), used;
    if (c->pk + cn <= lo) used = gg_pfor_skip(c->pq, avail, cn);
    else used = gg_pfor_decode(c->pos + c->pk, c->pq, avail, cn);
    if (!used) return bad(c, err, "positions block");
    c->pq += used;
    c->pk += cn;
  }
  uint32_t tf = hi - lo;
  if (tf > c->dpos_cap) {
    uint32_t *d = realloc(c->dpos, (size_t)tf * sizeof *d);
    if (!d) return gg_nomem(err);
    c->dpos = d;
    c->dpos_cap = tf;
  }
  uint32_t prev = UINT32_MAX;  /* so that the first gap g gives position g */
  for (uint32_t k = 0; k < tf; k++) prev = c->dpos[k] = prev + c->pos[lo + k] + 1;
  *pos = c->dpos;
  *n = tf;
  return GG_OK;
}

double gg_cursor_max_tf_part(const gg_cursor *c, const gg_bm25 *m) {
  double best = 0;
  if (c->skip) {
    for (uint32_t k = 0; k < c->nblocks; k++) {
      const uint8_t *e = skip_entry(c, k);
      double v = gg_bm25_tf_part(m, gg_get_u32(e + 12), gg_bm25_norm(m, gg_get_u32(e + 16)));
      if (v > best) best = v;
    }
    return best;
  }
  /* One block, decoded at open: its max tf with the smallest possible dl. */
  return gg_bm25_tf_part(m, c->one_block_max_tf, gg_bm25_norm(m, 0));
}

double gg_cursor_bound_at(gg_cursor *c, uint32_t d, double term_bound, const gg_bm25 *m,
                          uint32_t *last) {
  if (last) *last = GG_DOC_END - 1;
  if (!c->skip) {
    c->bound_tf = c->doc == GG_DOC_END ? 0 : c->one_block_max_tf;
    return c->doc == GG_DOC_END ? 0.0 : term_bound;
  }
  uint32_t k = c->shallow > c->blk ? c->shallow : c->blk;
  while (k < c->nblocks && gg_get_u32(skip_entry(c, k)) < d) k++;
  c->shallow = k;
  if (k >= c->nblocks) {
    c->bound_tf = 0;
    return 0.0;
  }
  if (last) *last = gg_get_u32(skip_entry(c, k));
  if (c->bound_blk != k + 1) {  /* cache key is k + 1 so that 0 means none */
    const uint8_t *e = skip_entry(c, k);
    c->bound_tf = gg_get_u32(e + 12);
    c->bound_val = gg_bm25_tf_part(m, c->bound_tf, gg_bm25_norm(m, gg_get_u32(e + 16)));
    c->bound_blk = k + 1;
  }
  return c->bound_val;
}
