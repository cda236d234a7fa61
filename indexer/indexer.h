/*
** indexer.h -- internal interfaces of the write path.  One section per
** source file; nothing here is public (the public entry is gg_build()).
*/
#ifndef GG_INDEXER_H
#define GG_INDEXER_H
#include <stddef.h>
#include <stdint.h>

#include "../core/analyze.h"
#include "../core/buf.h"
#include "../core/pagefile.h"
#include "gg/gg.h"

/* ---- spool.c: append-only byte store that spills to a temp file ------ */
/* Bytes stay in memory up to a threshold, then move to an unlinked
** temporary file in dir, so a crash leaves nothing behind. */
typedef struct gg_spool gg_spool;
int gg_spool_open(const char *dir, size_t mem_threshold, gg_spool **out, gg_error *err);
void gg_spool_write(gg_spool *s, const void *p, size_t n); /* errors sticky */
uint64_t gg_spool_size(const gg_spool *s);
/* Append the whole content to w, or to another spool. */
int gg_spool_copy_to(gg_spool *s, gg_pfw *w, gg_error *err);
int gg_spool_append(gg_spool *dst, gg_spool *src, gg_error *err);
/* Copy the bytes [off, off+n) of the content to dst: from the file with
** pread, not through a mapping (a mapping's pages, in the large folios the
** page cache now uses, count in the process's memory well past the bytes
** read), so a reader's memory is the buffer it reads into.  Threads may
** read at once while nothing is written. */
int gg_spool_read(gg_spool *s, uint64_t off, void *dst, size_t n, gg_error *err);
int gg_spool_status(gg_spool *s, gg_error *err);
void gg_spool_close(gg_spool *s);

/* ---- walk.c: inputs -> documents ------------------------------------ */
typedef struct gg_doc {
  const char *id;
  size_t id_len;
  const char *title;
  size_t title_len;
  const char *text;
  size_t text_len;
} gg_doc;

/* Called once per document, in a deterministic order (paths in argument
** order, folder entries sorted bytewise, lines in file order).  The
** pointers are valid only during the call.  A non-zero return stops the
** walk and is returned. */
typedef int (*gg_doc_fn)(void *ctx, const gg_doc *doc);

typedef struct gg_walk {
  size_t max_doc_bytes;
  void (*warn)(void *ctx, const char *msg);
  void *warn_ctx;
  uint64_t skipped;       /* OUT: inputs skipped with a warning */
  uint64_t input_bytes;   /* OUT: bytes read after decompression */
  uint64_t raw_done;      /* OUT: on-disk bytes of the files finished (for progress) */
  uint64_t raw_cur;       /* OUT: on-disk bytes consumed of the current file */
} gg_walk;

/* Sum of on-disk sizes of the indexable files under paths (for ETA). */
uint64_t gg_walk_raw_total(const char *const *paths, size_t npaths);
int gg_walk_run(gg_walk *w, const char *const *paths, size_t npaths, gg_doc_fn fn, void *ctx,
                gg_error *err);

/* ---- segwrite.c: one segment file ----------------------------------- */
typedef struct gg_segw gg_segw;
/* threaded: stored text is compressed by a thread of the writer's own;
** otherwise in the caller's thread (same bytes). */
int gg_segw_open(const char *path, const char *tmp_dir, int threaded, gg_segw **out, gg_error *err);
/* Phase 1, every document in order: stored fields and id. */
int gg_segw_add_doc(gg_segw *s, const gg_doc *doc, gg_error *err);
/* The number of word positions of a document added before (any order,
** before phase 2 starts). */
void gg_segw_set_doclen(gg_segw *s, uint32_t doc, uint32_t ntokens);
/* Phase 2: terms, through term writers.  The segment's own writer
** (gg_segw_terms, owned by s) gets the first terms; parts
** (gg_segw_part_open, each used by one thread at a time) get later ranges
** of terms and stage their bytes until gg_segw_append_part, which appends a
** part after everything written before it and frees it.  The file is the
** same however the terms were divided.  Either call starts phase 2: no
** documents are added after it. */
typedef struct gg_termw gg_termw;
int gg_segw_terms(gg_segw *s, gg_termw **own, gg_error *err);
int gg_segw_part_open(gg_segw *s, gg_termw **part, gg_error *err);
int gg_segw_append_part(gg_segw *s, gg_termw *part, gg_error *err);
void gg_termw_free(gg_termw *part); /* a part not appended (error paths) */
/* Through one writer, terms in strictly increasing byte order; within a
** term, documents in increasing order.  A document's position gaps are
** its positions of the term as FORMAT.md stores them: gap = position -
** previous - 1, with previous = -1 for the first (so the first gap is the
** position).  They are copied as given, not checked. */
int gg_termw_begin(gg_termw *w, const char *term, size_t len, gg_error *err);
/* n documents of the current term, docs[] increasing, each with tfs[i]
** position gaps, all in pos_gaps one document after the other. */
int gg_termw_docs(gg_termw *w, const uint32_t *docs, const uint32_t *tfs, const uint32_t *pos_gaps,
                  size_t n, gg_error *err);
int gg_termw_end(gg_termw *w, gg_error *err);
/* Write everything else, fsync, close.  Frees s. */
int gg_segw_finish(gg_segw *s, gg_build_stats *stats, uint64_t *file_size, gg_error *err);
void gg_segw_abort(gg_segw *s);
uint32_t gg_segw_docs(const gg_segw *s);

/* ---- invert.c: bounded-memory inversion into sorted runs ------------ */
typedef struct gg_inverter gg_inverter;
int gg_inverter_new(const char *tmp_dir, size_t memory_budget, gg_inverter **out, gg_error *err);
/* Add one document's terms (analysed by the caller's analyser). */
int gg_inverter_add(gg_inverter *inv, gg_analyzer *an, uint32_t doc, const gg_doc *d,
                    uint32_t *ntokens, gg_error *err);
/* Merge all runs and feed every term's postings to s; threaded: a second
** thread merges and encodes the later terms into a part of s, appended
** when both are done (same bytes). */
int gg_inverter_finish(gg_inverter *inv, gg_segw *s, int threaded, gg_error *err);
uint64_t gg_inverter_runs(const gg_inverter *inv);
void gg_inverter_free(gg_inverter *inv);

#endif
