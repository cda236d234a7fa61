/*
** segwrite.c -- write one segment file (layout: docs/FORMAT.md).
**
** The file is produced in one sequential pass.  Sections whose content is
** produced at the same time as another section's (ids beside stored text,
** postings and dictionary beside positions) are staged in spools and
** appended when their turn comes, so memory stays bounded: what is kept in
** memory is one block of each kind, the skip table of the current term, the
** document lengths (4 bytes per document) and the small index tables.
** Positions, the largest section after the stored text, go straight to the
** file, and postings (about half their size) through a spool: a spooled
** byte is written twice and read once more.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/igzip_lib.h>

#include "chan.h"

#include "../core/codec.h"
#include "../core/err.h"
#include "../core/segment.h"
#include "indexer.h"

#define SPOOL_MEM (1u << 20)  /* write buffer of each staged section */

/* A term writer encodes terms' postings and positions (phase 2).  The
** segment's own (gg_segw_terms) writes positions straight to the file,
** postings to the segment's spool and dictionary entries to the
** dictionary.  A part (gg_segw_part_open) stages all three, to be appended
** after the segment's own terms by gg_segw_append_part: so threads can
** encode disjoint ranges of terms at once and the file does not depend on
** how the terms were divided.  Offsets in a part's dictionary entries are
** relative to its own first bytes; the append rebases them. */
struct gg_termw {
  gg_segw *seg;           /* document lengths (read only in phase 2) */
  gg_spool *post;         /* postings: the segment's spool, or the part's */
  gg_spool *pos;          /* a part's positions; NULL: straight to seg->f */
  uint64_t post_n, pos_n; /* bytes written to each */
  gg_buf entries;         /* a part's dictionary entries: varint len, term,
                          ** varint df, post start, post bytes, pos start, pos bytes */
  uint64_t npostings;     /* (the segment counts terms as its dictionary gets them) */
  int rc;
  gg_error err;

  /* the current term */
  gg_buf term;
  uint64_t t_post_start, t_pos_start; /* its offsets in this writer's bytes */
  uint64_t t_post_n, t_pos_n;         /* bytes written so far */
  uint32_t t_df;
  int64_t t_last_doc;                 /* last document of the previous block, -1 */
  gg_buf t_skip;                      /* GG_SKIP_ENTRY per finished block */
  uint32_t b_n;                       /* documents in the open block */
  uint32_t b_doc[GG_BLOCK], b_tf[GG_BLOCK];
  gg_buf b_pos;                       /* u32 position gaps of the open block */
  uint8_t packed[GG_PFOR_MAX];
  gg_buf tail;                        /* a tail block's varints */
};

struct gg_segw {
  char *tmp_dir;          /* for the parts' spools */
  gg_pfw *f;
  int rc;
  gg_error err;

  /* phase 1: documents */
  uint32_t ndocs;
  uint64_t tokens;
  gg_buf doclen;          /* u32 per document */
  gg_spool *idoff;        /* u64 per GG_ID_GROUP documents (+1 at the end) */
  gg_spool *ids;
  uint64_t ids_n;
  gg_buf store_block;     /* uncompressed block being filled */
  uint32_t store_first;   /* first document of store_block */
  uint64_t store_off;     /* file offset of the STORE section */
  /* Stored-text blocks are deflated and written by a compressor thread,
  ** in order; during phase 1 only that thread writes to f. */
  gg_chan zq;             /* store_job pointers */
  pthread_t zthread;
  int zrunning;
  int zrc;                /* compressor's error, valid after join */
  gg_error zerr;
  gg_buf store_idx;       /* GG_STORE_ENTRY per written block (compressor thread) */
  uint8_t *zlevel_buf;    /* ISA-L's working memory for GG_STORE_ZLEVEL (one thread at a time) */
  uint8_t *zbuf;          /* compression output (compressor thread) */
  size_t zcap;

  /* phase 2: terms */
  int in_terms;
  uint64_t pos_off;       /* file offset of the POSITIONS section */
  gg_spool *post;         /* the POSTINGS section */
  gg_spool *dict;         /* the DICT section */
  gg_buf dict_idx;        /* u64 per dictionary block */
  gg_buf dict_top;        /* u8 len, term: first term of every GG_DICT_TOP_STRIDE-th block */
  uint64_t dict_top_n;    /* entries in dict_top */
  uint64_t nterms, npostings;
  gg_buf prev_term;       /* previous term (front coding, order check) */
  gg_buf dict_block;      /* entries of the dictionary block being filled */
  uint32_t dict_block_terms;
  uint64_t dict_block_post, dict_block_pos; /* offsets of its first term */
  gg_termw *own;          /* the term writer of gg_segw_terms */
};

static void compressor_join(gg_segw *s);
static void *compressor_main(void *arg);

uint32_t gg_segw_docs(const gg_segw *s) { return s->ndocs; }

int gg_segw_open(const char *path, const char *tmp_dir, int threaded, gg_segw **out, gg_error *err) {
  *out = NULL;
  gg_segw *s = calloc(1, sizeof *s);
  if (!s) return gg_nomem(err);
  int rc = gg_pfw_create(path, GG_MAGIC_SEGMENT, &s->f, err);
  if (rc == GG_OK && !(s->tmp_dir = strdup(tmp_dir))) rc = gg_nomem(err);
  if (rc == GG_OK) rc = gg_spool_open(tmp_dir, SPOOL_MEM, &s->idoff, err);
  if (rc == GG_OK) rc = gg_spool_open(tmp_dir, SPOOL_MEM, &s->ids, err);
  if (rc == GG_OK) rc = gg_spool_open(tmp_dir, SPOOL_MEM, &s->post, err);
  if (rc == GG_OK) rc = gg_spool_open(tmp_dir, SPOOL_MEM, &s->dict, err);
  if (rc != GG_OK) {
    gg_segw_abort(s);
    return rc;
  }
  s->store_off = gg_pfw_offset(s->f);
  s->zlevel_buf = malloc(GG_STORE_ZLEVEL_BUF);
  if (!s->zlevel_buf) {
    gg_segw_abort(s);
    return gg_nomem(err);
  }
  if (!threaded) {
    *out = s;
    return GG_OK;
  }
  if (gg_chan_init(&s->zq, 8) != 0) {
    gg_segw_abort(s);
    return gg_nomem(err);
  }
  if (pthread_create(&s->zthread, NULL, compressor_main, s) != 0) {
    gg_segw_abort(s);
    return gg_fail(err, GG_ENOMEM, "cannot start a compressor thread");
  }
  s->zrunning = 1;
  *out = s;
  return GG_OK;
}

static void segw_free(gg_segw *s) {
  compressor_join(s);
  gg_termw_free(s->own);
  free(s->tmp_dir);
  gg_chan_destroy(&s->zq);
  gg_spool_close(s->idoff);
  gg_spool_close(s->ids);
  gg_spool_close(s->post);
  gg_spool_close(s->dict);
  gg_buf_free(&s->doclen);
  gg_buf_free(&s->store_block);
  gg_buf_free(&s->store_idx);
  gg_buf_free(&s->dict_idx);
  gg_buf_free(&s->dict_top);
  gg_buf_free(&s->prev_term);
  gg_buf_free(&s->dict_block);
  free(s->zlevel_buf);
  free(s->zbuf);
  free(s);
}

void gg_segw_abort(gg_segw *s) {
  if (!s) return;
  compressor_join(s);  /* it may still be writing to f */
  gg_pfw_abort(s->f);
  segw_free(s);
}

typedef struct store_job {
  gg_buf data;            /* uncompressed block */
  uint32_t first, ndocs;
} store_job;

/* A stored-text block is one zlib stream (RFC 1950), written by ISA-L's
** igzip (level and block size in core/segment.h, chosen by measurement)
** and read by gg-search with libdeflate's zlib decompressor (zlib's
** uncompress reads it too).  The output holds at most the input in stored
** blocks plus their headers; a larger buffer is asked for if not.  ISA-L's
** lengths are u32, as are STOREIDX's, and stored blocks add 5 bytes per
** 64 KiB: a block must leave that much room below 4 GiB. */
#define STORE_BLOCK_MAX ((size_t)UINT32_MAX - UINT32_MAX / 4096)

static int compress_block(gg_segw *s, store_job *j) {
  if (j->data.n > STORE_BLOCK_MAX)
    return gg_fail(&s->zerr, GG_EINPUT, "a stored document exceeds 4 GiB");
  size_t want = j->data.n + j->data.n / 16 + 1024;
  if (want > UINT32_MAX) want = UINT32_MAX;
  for (;;) {
    if (want > s->zcap) {
      uint8_t *z = realloc(s->zbuf, want);
      if (!z) return gg_nomem(&s->zerr);
      s->zbuf = z;
      s->zcap = want;
    }
    struct isal_zstream zs;
    isal_deflate_stateless_init(&zs);
    zs.level = GG_STORE_ZLEVEL;
    zs.level_buf = s->zlevel_buf;
    zs.level_buf_size = GG_STORE_ZLEVEL_BUF;
    zs.gzip_flag = IGZIP_ZLIB;
    zs.next_in = j->data.p;
    zs.avail_in = (uint32_t)j->data.n;
    zs.next_out = s->zbuf;
    zs.avail_out = (uint32_t)s->zcap;
    zs.end_of_stream = 1;
    zs.flush = NO_FLUSH;
    int zrc = isal_deflate_stateless(&zs);
    if (zrc == STATELESS_OVERFLOW && want < UINT32_MAX) {
      want = want > UINT32_MAX / 2 ? UINT32_MAX : want * 2;
      continue;
    }
    if (zrc != COMP_OK) return gg_fail(&s->zerr, GG_ENOMEM, "stored-text compression failed (ISA-L %d)", zrc);
    gg_buf_put_u64(&s->store_idx, gg_pfw_offset(s->f) - s->store_off);
    gg_buf_put_u32(&s->store_idx, zs.total_out);
    gg_buf_put_u32(&s->store_idx, (uint32_t)j->data.n);
    gg_buf_put_u32(&s->store_idx, j->first);
    gg_buf_put_u32(&s->store_idx, j->ndocs);
    gg_pfw_write(s->f, s->zbuf, zs.total_out);
    return s->store_idx.oom ? gg_nomem(&s->zerr) : GG_OK;
  }
}

static void *compressor_main(void *arg) {
  gg_segw *s = arg;
  pthread_setname_np(pthread_self(), "gg-deflate");
  store_job *j;
  while ((j = gg_chan_get(&s->zq)) != NULL) {
    if (s->zrc == GG_OK) s->zrc = compress_block(s, j);
    if (s->zrc != GG_OK) gg_chan_close(&s->zq);  /* unblock the producer */
    gg_buf_free(&j->data);
    free(j);
  }
  return NULL;
}

/* Hand the filled block to the compressor. */
static int store_flush(gg_segw *s) {
  if (s->store_block.n == 0 || s->rc) return s->rc;
  store_job *j = calloc(1, sizeof *j);
  if (!j) return s->rc = gg_nomem(&s->err);
  j->data = s->store_block;
  j->first = s->store_first;
  j->ndocs = s->ndocs - s->store_first;
  memset(&s->store_block, 0, sizeof s->store_block);
  /* Room for a block and the document that completes it (gg_buf rounds
  ** capacities up to powers of two: 128 KiB, most of it touched). */
  gg_buf_reserve(&s->store_block, GG_STORE_BLOCK_BYTES + 4096);
  if (!s->zrunning) {  /* no compressor thread: compress here */
    s->zrc = compress_block(s, j);
    gg_buf_free(&j->data);
    free(j);
    if (s->zrc != GG_OK) {
      s->rc = s->zrc;
      s->err = s->zerr;
    }
  } else if (gg_chan_put(&s->zq, j) != 0) {
    /* The compressor stopped on an error; it is reported at join. */
    gg_buf_free(&j->data);
    free(j);
    s->rc = GG_EIO;
  }
  s->store_first = s->ndocs;
  return s->rc;
}

/* Wait for the compressor; its error becomes the writer's. */
static void compressor_join(gg_segw *s) {
  if (!s->zrunning) return;
  gg_chan_close(&s->zq);
  pthread_join(s->zthread, NULL);
  s->zrunning = 0;
  store_job *j;
  while ((j = gg_chan_try_get(&s->zq)) != NULL) {
    gg_buf_free(&j->data);
    free(j);
  }
  if (s->zrc != GG_OK) {
    s->rc = s->zrc;
    s->err = s->zerr;
  }
}

void gg_segw_set_doclen(gg_segw *s, uint32_t doc, uint32_t ntokens) {
  uint32_t *dl = (uint32_t *)(void *)s->doclen.p;
  if (doc < s->ndocs) {
    dl[doc] = ntokens;
    s->tokens += ntokens;
  }
}

int gg_segw_add_doc(gg_segw *s, const gg_doc *d, gg_error *err) {
  if (s->rc == GG_OK && s->ndocs == UINT32_MAX - 1)
    s->rc = gg_fail(&s->err, GG_EINPUT, "too many documents for one segment");
  if (s->rc == GG_OK) {
    uint8_t t[GG_VARINT_MAX];
    if (s->ndocs % GG_ID_GROUP == 0) {
      gg_set_u64(t, s->ids_n);
      gg_spool_write(s->idoff, t, 8);
    }
    size_t n = gg_varint_put(t, d->id_len);
    gg_spool_write(s->ids, t, n);
    gg_spool_write(s->ids, d->id, d->id_len);
    s->ids_n += n + d->id_len;
    gg_buf_put_u32(&s->doclen, 0);
    gg_buf_put_varint(&s->store_block, d->title_len);
    gg_buf_put(&s->store_block, d->title, d->title_len);
    gg_buf_put_varint(&s->store_block, d->text_len);
    gg_buf_put(&s->store_block, d->text, d->text_len);
    if (s->doclen.oom || s->store_block.oom) s->rc = gg_nomem(&s->err);
    s->ndocs++;
    if (s->store_block.n >= GG_STORE_BLOCK_BYTES) store_flush(s);
  }
  if (s->rc != GG_OK && err) *err = s->err;
  return s->rc;
}

/* End of phase 1: write the document sections, start POSTINGS. */
static int docs_finish(gg_segw *s) {
  store_flush(s);
  compressor_join(s);
  if (s->rc) return s->rc;
  uint64_t off = gg_pfw_offset(s->f);
  gg_pfw_section(s->f, GG_SEC_STORE, s->store_off, off - s->store_off);
  gg_pfw_write(s->f, s->store_idx.p, s->store_idx.n);
  gg_pfw_section(s->f, GG_SEC_STOREIDX, off, s->store_idx.n);
  off = gg_pfw_offset(s->f);
  gg_pfw_write(s->f, s->doclen.p, s->doclen.n);
  gg_pfw_section(s->f, GG_SEC_DOCLEN, off, s->doclen.n);
  uint8_t t[8];
  gg_set_u64(t, s->ids_n);
  gg_spool_write(s->idoff, t, 8);
  off = gg_pfw_offset(s->f);
  if ((s->rc = gg_spool_copy_to(s->idoff, s->f, &s->err))) return s->rc;
  gg_pfw_section(s->f, GG_SEC_IDOFF, off, gg_pfw_offset(s->f) - off);
  off = gg_pfw_offset(s->f);
  if ((s->rc = gg_spool_copy_to(s->ids, s->f, &s->err))) return s->rc;
  gg_pfw_section(s->f, GG_SEC_IDS, off, gg_pfw_offset(s->f) - off);
  s->pos_off = gg_pfw_offset(s->f);
  s->in_terms = 1;
  return GG_OK;
}

static void dict_flush_block(gg_segw *s) {
  if (s->dict_block_terms == 0) return;
  uint8_t t[8];
  gg_set_u64(t, gg_spool_size(s->dict));
  gg_buf_put(&s->dict_idx, t, 8);
  gg_buf hdr = GG_BUF_INIT;
  gg_buf_put_varint(&hdr, s->dict_block_terms);
  gg_buf_put_varint(&hdr, s->dict_block_post);
  gg_buf_put_varint(&hdr, s->dict_block_pos);
  if (hdr.oom || s->dict_idx.oom) s->rc = gg_nomem(&s->err);
  gg_spool_write(s->dict, hdr.p, hdr.n);
  gg_spool_write(s->dict, s->dict_block.p, s->dict_block.n);
  gg_buf_free(&hdr);
  s->dict_block.n = 0;
  s->dict_block_terms = 0;
}

/* One term's dictionary entry, terms in strictly increasing order; post and
** pos: where its bytes start inside POSTINGS and POSITIONS. */
static void dict_add(gg_segw *s, const uint8_t *term, size_t len, uint64_t df, uint64_t post,
                     uint64_t post_n, uint64_t pos, uint64_t pos_n) {
  if (s->rc != GG_OK) return;
  size_t m = len < s->prev_term.n ? len : s->prev_term.n;
  int c = memcmp(term, s->prev_term.p ? s->prev_term.p : (const uint8_t *)"", m);
  if (s->nterms > 0 && (c < 0 || (c == 0 && len <= s->prev_term.n))) {
    s->rc = gg_fail(&s->err, GG_EINVAL, "internal: terms out of order");
    return;
  }
  /* Entry prefix: shared bytes with the previous term of the block. */
  if (s->dict_block_terms == GG_DICT_BLOCK_TERMS) dict_flush_block(s);
  size_t prefix = 0;
  if (s->dict_block_terms > 0)
    while (prefix < m && s->prev_term.p[prefix] == term[prefix]) prefix++;
  if (s->dict_block_terms == 0) {
    s->dict_block_post = post;
    s->dict_block_pos = pos;
    if ((s->dict_idx.n / 8) % GG_DICT_TOP_STRIDE == 0) {
      uint8_t l = (uint8_t)len;
      gg_buf_put(&s->dict_top, &l, 1);
      gg_buf_put(&s->dict_top, term, len);
      s->dict_top_n++;
    }
  }
  gg_buf_put_varint(&s->dict_block, prefix);
  gg_buf_put_varint(&s->dict_block, len - prefix);
  gg_buf_put(&s->dict_block, term + prefix, len - prefix);
  gg_buf_put_varint(&s->dict_block, df);
  gg_buf_put_varint(&s->dict_block, post_n);
  gg_buf_put_varint(&s->dict_block, pos_n);
  if (s->dict_block.oom) s->rc = gg_nomem(&s->err);
  s->prev_term.n = 0;
  gg_buf_put(&s->prev_term, term, len);
  s->dict_block_terms++;
  s->nterms++;
}

static int termw_new(gg_segw *s, gg_termw **out, gg_error *err) {
  gg_termw *w = calloc(1, sizeof *w);
  if (!w) return gg_nomem(err);
  w->seg = s;
  *out = w;
  return GG_OK;
}

int gg_segw_terms(gg_segw *s, gg_termw **out, gg_error *err) {
  *out = NULL;
  if (s->rc == GG_OK && !s->in_terms) docs_finish(s);
  if (s->rc == GG_OK && !s->own) {
    s->rc = termw_new(s, &s->own, &s->err);
    if (s->rc == GG_OK) s->own->post = s->post;
  }
  if (s->rc != GG_OK) {
    if (err) *err = s->err;
    return s->rc;
  }
  *out = s->own;
  return GG_OK;
}

int gg_segw_part_open(gg_segw *s, gg_termw **out, gg_error *err) {
  *out = NULL;
  if (s->rc == GG_OK && !s->in_terms) docs_finish(s);
  if (s->rc != GG_OK) {
    if (err) *err = s->err;
    return s->rc;
  }
  gg_termw *w = NULL;
  int rc = termw_new(s, &w, err);
  if (rc == GG_OK) rc = gg_spool_open(s->tmp_dir, SPOOL_MEM, &w->post, err);
  if (rc == GG_OK) rc = gg_spool_open(s->tmp_dir, SPOOL_MEM, &w->pos, err);
  if (rc != GG_OK) {
    gg_termw_free(w);
    return rc;
  }
  *out = w;
  return GG_OK;
}

static void termw_release(gg_termw *w) {
  gg_buf_free(&w->entries);
  gg_buf_free(&w->term);
  gg_buf_free(&w->t_skip);
  gg_buf_free(&w->b_pos);
  gg_buf_free(&w->tail);
}

void gg_termw_free(gg_termw *w) {
  if (!w) return;
  if (w->seg->own != w) gg_spool_close(w->post);  /* the segment's own is the segment's */
  else w->seg->own = NULL;
  gg_spool_close(w->pos);
  termw_release(w);
  free(w);
}

static int termw_status(gg_termw *w, gg_error *err) {
  if (w->rc != GG_OK && err) *err = w->err;
  return w->rc;
}

static void put_post(gg_termw *w, const void *p, size_t n) {
  gg_spool_write(w->post, p, n);
  w->post_n += n;
  w->t_post_n += n;
}

static void put_pos(gg_termw *w, const void *p, size_t n) {
  if (w->pos) gg_spool_write(w->pos, p, n);
  else gg_pfw_write(w->seg->f, p, n);
  w->pos_n += n;
  w->t_pos_n += n;
}

int gg_termw_begin(gg_termw *w, const char *term, size_t len, gg_error *err) {
  if (w->rc == GG_OK && (len == 0 || len > 255))
    w->rc = gg_fail(&w->err, GG_EINVAL, "internal: bad term length");
  if (w->rc != GG_OK) return termw_status(w, err);
  w->term.n = 0;
  gg_buf_put(&w->term, term, len);
  w->t_post_start = w->post_n;
  w->t_pos_start = w->pos_n;
  w->t_post_n = w->t_pos_n = 0;
  w->t_df = 0;
  w->t_last_doc = -1;
  w->t_skip.n = 0;
  w->b_n = 0;
  w->b_pos.n = 0;
  if (w->term.oom) w->rc = gg_nomem(&w->err);
  return termw_status(w, err);
}

/* Encode the open block: doc gaps and tf-1 to the postings, positions to
** the positions, and its skip entry. */
static void block_flush(gg_termw *w) {
  uint32_t gaps[GG_BLOCK], tfm1[GG_BLOCK];
  uint32_t max_tf = 0, min_dl = UINT32_MAX;
  const uint32_t *dl = (const uint32_t *)(const void *)w->seg->doclen.p;
  int64_t prev = w->t_last_doc;
  for (uint32_t i = 0; i < w->b_n; i++) {
    gaps[i] = (uint32_t)((int64_t)w->b_doc[i] - prev - 1);
    prev = w->b_doc[i];
    tfm1[i] = w->b_tf[i] - 1;
    if (w->b_tf[i] > max_tf) max_tf = w->b_tf[i];
    uint32_t len;
    memcpy(&len, dl + w->b_doc[i], 4);
    if (len < min_dl) min_dl = len;
  }
  const uint32_t *pv = (const uint32_t *)(const void *)w->b_pos.p;
  size_t np = w->b_pos.n / 4;
  if (w->b_n == GG_BLOCK) {
    /* Full block: doc gaps and tf-1 as PFor blocks, positions as PFor
    ** chunks of up to 128 gaps. */
    put_post(w, w->packed, gg_pfor_encode(w->packed, gaps, w->b_n));
    put_post(w, w->packed, gg_pfor_encode(w->packed, tfm1, w->b_n));
    for (size_t i = 0; i < np; i += GG_BLOCK) {
      unsigned n = np - i < GG_BLOCK ? (unsigned)(np - i) : GG_BLOCK;
      put_pos(w, w->packed, gg_pfor_encode(w->packed, pv + i, n));
    }
  } else {
    /* Tail block (fewer than 128 documents): varints, gap*2+1 when tf==1,
    ** else gap*2 followed by tf; positions as varint gaps.  Written in
    ** place into the writer's scratch, reserved for the worst case: every
    ** value is below 2^33, five varint bytes. */
    gg_buf *v = &w->tail;
    if (gg_buf_reserve(v, (2 * (size_t)w->b_n + np) * 5)) {
      w->rc = gg_nomem(&w->err);
      return;
    }
    uint8_t *o = v->p;
    for (uint32_t i = 0; i < w->b_n; i++) {
      o += gg_varint_put(o, (uint64_t)gaps[i] * 2 + (tfm1[i] == 0));
      if (tfm1[i]) o += gg_varint_put(o, (uint64_t)tfm1[i] + 1);
    }
    put_post(w, v->p, (size_t)(o - v->p));
    o = v->p;
    for (size_t i = 0; i < np; i++) o += gg_varint_put(o, pv[i]);
    put_pos(w, v->p, (size_t)(o - v->p));
  }
  if (w->t_post_n > UINT32_MAX || w->t_pos_n > UINT32_MAX)
    w->rc = gg_fail(&w->err, GG_EINPUT, "a term's postings exceed 4 GiB in one segment");
  uint8_t e[GG_SKIP_ENTRY];
  gg_set_u32(e, w->b_doc[w->b_n - 1]);
  gg_set_u32(e + 4, (uint32_t)w->t_post_n);
  gg_set_u32(e + 8, (uint32_t)w->t_pos_n);
  gg_set_u32(e + 12, max_tf);
  gg_set_u32(e + 16, min_dl);
  gg_buf_put(&w->t_skip, e, sizeof e);
  w->t_last_doc = w->b_doc[w->b_n - 1];
  w->b_n = 0;
  w->b_pos.n = 0;
}

int gg_termw_docs(gg_termw *w, const uint32_t *docs, const uint32_t *tfs, const uint32_t *pos_gaps,
                  size_t n, gg_error *err) {
  size_t i = 0;
  while (w->rc == GG_OK && i < n) {
    /* Into the open block: as many documents as it has room for, their
    ** positions in one copy. */
    size_t take = GG_BLOCK - w->b_n < n - i ? GG_BLOCK - w->b_n : n - i, npos = 0;
    int64_t prev = w->b_n ? (int64_t)w->b_doc[w->b_n - 1] : w->t_last_doc;
    for (size_t k = 0; k < take; k++) {
      uint32_t doc = docs[i + k], tf = tfs[i + k];
      if ((int64_t)doc <= prev || doc >= w->seg->ndocs || tf == 0) {
        w->rc = gg_fail(&w->err, GG_EINVAL, "internal: postings out of order");
        return termw_status(w, err);
      }
      prev = doc;
      w->b_doc[w->b_n + k] = doc;
      w->b_tf[w->b_n + k] = tf;
      npos += tf;
    }
    gg_buf_put(&w->b_pos, pos_gaps, npos * sizeof *pos_gaps);
    if (w->b_pos.oom) w->rc = gg_nomem(&w->err);
    pos_gaps += npos;
    w->b_n += (uint32_t)take;
    w->t_df += (uint32_t)take;
    w->npostings += take;
    i += take;
    if (w->b_n == GG_BLOCK) block_flush(w);
  }
  return termw_status(w, err);
}

int gg_termw_end(gg_termw *w, gg_error *err) {
  if (w->rc == GG_OK && w->t_df == 0) w->rc = gg_fail(&w->err, GG_EINVAL, "internal: term without postings");
  if (w->rc != GG_OK) return termw_status(w, err);
  if (w->b_n) block_flush(w);
  /* The skip table follows the blocks; a one-block term has none. */
  if (w->t_skip.n > GG_SKIP_ENTRY) put_post(w, w->t_skip.p, w->t_skip.n);
  if (w->t_skip.oom || w->b_pos.oom) w->rc = gg_nomem(&w->err);
  if (w->rc != GG_OK) return termw_status(w, err);
  if (!w->pos) {
    gg_segw *s = w->seg;
    dict_add(s, w->term.p, w->term.n, w->t_df, w->t_post_start, w->t_post_n, w->t_pos_start, w->t_pos_n);
    if (s->rc != GG_OK) {
      w->rc = s->rc;
      w->err = s->err;
    }
    return termw_status(w, err);
  }
  gg_buf *e = &w->entries;
  gg_buf_put_varint(e, w->term.n);
  gg_buf_put(e, w->term.p, w->term.n);
  gg_buf_put_varint(e, w->t_df);
  gg_buf_put_varint(e, w->t_post_start);
  gg_buf_put_varint(e, w->t_post_n);
  gg_buf_put_varint(e, w->t_pos_start);
  gg_buf_put_varint(e, w->t_pos_n);
  if (e->oom) w->rc = gg_nomem(&w->err);
  return termw_status(w, err);
}

/* A term writer's first error becomes the segment's, if it has none. */
static void adopt_error(gg_segw *s, const gg_termw *w) {
  if (s->rc == GG_OK && w && w->rc != GG_OK) {
    s->rc = w->rc;
    s->err = w->err;
  }
}

int gg_segw_append_part(gg_segw *s, gg_termw *w, gg_error *err) {
  adopt_error(s, s->own);
  adopt_error(s, w);
  uint64_t post_base = gg_spool_size(s->post), pos_base = gg_pfw_offset(s->f) - s->pos_off;
  if (s->rc == GG_OK) s->rc = gg_spool_copy_to(w->pos, s->f, &s->err);
  if (s->rc == GG_OK) s->rc = gg_spool_append(s->post, w->post, &s->err);
  const uint8_t *p = w->entries.p, *end = p + w->entries.n;
  while (s->rc == GG_OK && p < end) {
    uint64_t len, v[5];
    int bad = gg_varint_get(&p, end, &len) || len > (uint64_t)(end - p);
    const uint8_t *term = p;
    if (!bad) p += len;
    for (int i = 0; i < 5 && !bad; i++) bad = gg_varint_get(&p, end, &v[i]);
    if (bad) {
      s->rc = gg_fail(&s->err, GG_EINVAL, "internal: damaged part entries");
      break;
    }
    dict_add(s, term, (size_t)len, v[0], post_base + v[1], v[2], pos_base + v[3], v[4]);
  }
  s->npostings += w->npostings;
  gg_termw_free(w);
  if (s->own) {  /* the segment's own terms, if any more, go after the part's */
    s->own->post_n = gg_spool_size(s->post);
    s->own->pos_n = gg_pfw_offset(s->f) - s->pos_off;
  }
  if (s->rc != GG_OK && err) *err = s->err;
  return s->rc;
}

/* DICTTOP (docs/FORMAT.md, "Dictionary"): the stride doubles until at
** most GG_DICT_TOP_MAX sampled terms remain, so that a lookup's scan of it
** stays short whatever the number of terms. */
static void dict_top_write(gg_segw *s) {
  if (s->dict_top.oom) return;  /* reported with the other buffers' */
  uint64_t stride = GG_DICT_TOP_STRIDE, keep_every = 1;
  while ((s->dict_top_n + keep_every - 1) / keep_every > GG_DICT_TOP_MAX) {
    stride *= 2;
    keep_every *= 2;
  }
  uint8_t hdr[4];
  gg_set_u32(hdr, (uint32_t)stride);
  gg_pfw_write(s->f, hdr, 4);
  const uint8_t *p = s->dict_top.p;
  for (uint64_t i = 0; i < s->dict_top_n; i++) {
    size_t n = 1 + (size_t)p[0];
    if (i % keep_every == 0) gg_pfw_write(s->f, p, n);
    p += n;
  }
}

int gg_segw_finish(gg_segw *s, gg_build_stats *stats, uint64_t *file_size, gg_error *err) {
  if (s->rc == GG_OK && !s->in_terms) docs_finish(s);
  if (s->own) {
    adopt_error(s, s->own);
    s->npostings += s->own->npostings;
    gg_termw_free(s->own);
  }
  if (s->rc == GG_OK) {
    dict_flush_block(s);
    uint64_t off = gg_pfw_offset(s->f);
    gg_pfw_section(s->f, GG_SEC_POSITIONS, s->pos_off, off - s->pos_off);
    if ((s->rc = gg_spool_copy_to(s->post, s->f, &s->err)) == GG_OK) {
      gg_pfw_section(s->f, GG_SEC_POSTINGS, off, gg_pfw_offset(s->f) - off);
      off = gg_pfw_offset(s->f);
      s->rc = gg_spool_copy_to(s->dict, s->f, &s->err);
    }
    if (s->rc == GG_OK) {
      gg_pfw_section(s->f, GG_SEC_DICT, off, gg_pfw_offset(s->f) - off);
      off = gg_pfw_offset(s->f);
      gg_pfw_write(s->f, s->dict_idx.p, s->dict_idx.n);
      gg_pfw_section(s->f, GG_SEC_DICTIDX, off, s->dict_idx.n);
      off = gg_pfw_offset(s->f);
      dict_top_write(s);
      gg_pfw_section(s->f, GG_SEC_DICTTOP, off, gg_pfw_offset(s->f) - off);
      gg_buf st = GG_BUF_INIT;
      gg_buf_put_u64(&st, s->ndocs);
      gg_buf_put_u64(&st, s->tokens);
      gg_buf_put_u64(&st, s->nterms);
      gg_buf_put_u64(&st, s->npostings);
      gg_buf_put_u64(&st, s->store_idx.n / GG_STORE_ENTRY);
      gg_buf_put_u64(&st, s->dict_idx.n / 8);
      off = gg_pfw_offset(s->f);
      gg_pfw_write(s->f, st.p, st.n);
      gg_pfw_section(s->f, GG_SEC_STATS, off, st.n);
      if (st.oom || s->dict_idx.oom || s->dict_top.oom || s->store_idx.oom) s->rc = gg_nomem(&s->err);
      gg_buf_free(&st);
    }
  }
  if (s->rc != GG_OK) {
    if (err) *err = s->err;
    int rc = s->rc;
    gg_segw_abort(s);
    return rc;
  }
  if (stats) {
    stats->terms += s->nterms;
    stats->postings += s->npostings;
    stats->tokens += s->tokens;
  }
  int rc = gg_pfw_finish(s->f, file_size, err);
  s->f = NULL;
  segw_free(s);
  return rc;
}
