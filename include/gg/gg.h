/*
** gg.h -- the public interface of libgg, the library behind gg-index and
** gg-search.  Another C program can build and query an index with it.
**
** Conventions (the same everywhere in this header):
**   - Every function that can fail returns an int status: GG_OK (0) or a
**     negative GG_E* code.  When a gg_error pointer is passed (it may be
**     NULL), it receives the code and a one-line message naming the file,
**     query position or input that caused the failure.  The library never
**     prints and never exits; the caller decides what to show.
**   - Objects returned through a `**out` parameter are owned by the caller
**     and released with the matching *_free / *_close function.  On failure
**     *out is set to NULL and nothing needs releasing.
**   - Strings are UTF-8.  A pointer travels with its length where the bytes
**     may contain NUL.
**
** Typical use:
**
**   gg_index *ix; gg_error err;
**   if (gg_index_open("gg.index", &ix, &err) != GG_OK) { puts(err.msg); ... }
**   gg_query *q;
**   if (gg_query_parse(ix, "revival \"right reason\"", &q, &err) == GG_OK) {
**     gg_search_opts o = GG_SEARCH_DEFAULTS;  gg_hits *h;
**     if (gg_search(ix, q, &o, &h, &err) == GG_OK) {
**       for (size_t i = 0; i < h->n; i++) printf("%s %f\n", h->hit[i].id, h->hit[i].score);
**       gg_hits_free(h);
**     }
**     gg_query_free(q);
**   }
**   gg_index_close(ix);
*/
#ifndef GG_H
#define GG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GG_VERSION_STRING "0.1.0"

/* Status codes.  Negative values are errors; the set only grows. */
enum {
  GG_OK = 0,
  GG_ENOMEM = -1,      /* an allocation failed */
  GG_EIO = -2,         /* a read, write, fsync or rename failed (errno text in msg) */
  GG_ECORRUPT = -3,    /* an index file is damaged: checksum, bounds or structure */
  GG_EVERSION = -4,    /* an index file written by another format version */
  GG_ENOINDEX = -5,    /* no index at the given location */
  GG_EQUERY = -6,      /* the query is malformed or empty */
  GG_EINPUT = -7,      /* an input path or document cannot be indexed */
  GG_EINVAL = -8,      /* a bad argument (unknown stemmer, k < 1, ...) */
  GG_EBUSY = -9        /* another build holds the index lock */
};

#define GG_ERRMSG_MAX 512
typedef struct gg_error {
  int code;                  /* GG_OK or a GG_E* code */
  char msg[GG_ERRMSG_MAX];   /* one line, no trailing newline */
} gg_error;

/* Static name of a status code, e.g. "index corrupt". Never NULL. */
const char *gg_strerror(int code);

/* ------------------------------------------------------------------ */
/* Building                                                            */
/* ------------------------------------------------------------------ */

/* Where an index lives when no location is given: $GG_INDEX if set and
** non-empty, else GG_DEFAULT_INDEX relative to the working directory. */
#define GG_DEFAULT_INDEX "gg.index"
const char *gg_default_index_dir(void);

/* Parse a size such as "512M", "1G", "64k", "300MB", "4096B"; a plain
** number means MiB.  0 on success; -1 for anything else, including sizes
** that do not fit in size_t. */
int gg_parse_size(const char *s, size_t *out);

typedef struct gg_build_stats {
  uint64_t docs;          /* documents indexed */
  uint64_t skipped;       /* inputs or lines skipped with a warning */
  uint64_t terms;         /* distinct terms in the dictionary */
  uint64_t postings;      /* (term, document) pairs */
  uint64_t tokens;        /* word positions */
  uint64_t input_bytes;   /* bytes of input read (after gunzip) */
  uint64_t text_bytes;    /* bytes of title + text of the indexed documents */
  uint64_t index_bytes;   /* bytes of the published index files */
  uint64_t runs;          /* sorted runs flushed to disk during inversion */
  double seconds;         /* wall clock of the whole build */
} gg_build_stats;

typedef struct gg_build_opts {
  const char *index_dir;      /* NULL: gg_default_index_dir() */
  const char *stemmer;        /* "english" (default when NULL), "none", or any
                              ** Snowball algorithm name */
  size_t memory_budget;       /* bytes the whole build may use at its peak; 0: 512 MiB.
                              ** Held from 64 MiB up; below that the build's own
                              ** buffers (about 25 MiB, plus 4 bytes per document)
                              ** come on top, and the budget only sets how much is
                              ** inverted in memory before a run is written. */
  size_t max_doc_bytes;       /* larger documents are skipped; 0: 64 MiB */
  int threads;                /* 1: every stage in the calling thread; 0 (default) or more:
                              ** parsing, inversion, compression of the stored text and
                              ** the final merge each in its own thread.  The index is the
                              ** same bytes. */
  /* Optional callbacks.  warn: a skipped input (one line, no newline).
  ** progress: called about every 0.25 s with the running totals and the
  ** fraction of the input's on-disk bytes consumed (0..1). */
  void (*warn)(void *ctx, const char *msg);
  void (*progress)(void *ctx, const gg_build_stats *so_far, double fraction_done);
  void *ctx;
} gg_build_opts;

/* Index every file under paths[0..npaths) (files or folders walked
** recursively; see README for accepted formats) into a new index that
** atomically replaces the one at opts->index_dir.  On failure the previous
** index is untouched.  stats may be NULL. */
int gg_build(const char *const *paths, size_t npaths, const gg_build_opts *opts,
             gg_build_stats *stats, gg_error *err);

/* ------------------------------------------------------------------ */
/* Searching                                                           */
/* ------------------------------------------------------------------ */

typedef struct gg_index gg_index;
typedef struct gg_query gg_query;

/* Open the index in dir (NULL: gg_default_index_dir()).  Cheap: maps the
** files and reads only their headers and footers. */
int gg_index_open(const char *dir, gg_index **out, gg_error *err);
void gg_index_close(gg_index *ix);

/* Verify every checksum of every file of the index in dir (NULL: default):
** what a query would detect lazily, checked up front. */
int gg_index_check(const char *dir, gg_error *err);

/* Collection statistics summed over the index's segments. */
typedef struct gg_index_info {
  uint64_t docs;
  uint64_t tokens;
  uint32_t segments;
  const char *stemmer;        /* as stored at build time */
} gg_index_info;
void gg_index_info_get(const gg_index *ix, gg_index_info *info);

/* Parse QUERY: words and "quoted phrases", analysed exactly as documents
** were.  A word that analyses to several tokens ("e-mail") is a phrase.
** Errors: GG_EQUERY for an empty query or an unterminated quote (msg names
** the column). */
int gg_query_parse(gg_index *ix, const char *query, gg_query **out, gg_error *err);
void gg_query_free(gg_query *q);

typedef struct gg_search_opts {
  uint32_t k;           /* number of hits wanted, >= 1 */
  int conjunctive;      /* 0: any clause may match (OR); 1: every clause must (AND) */
  double k1, b;         /* BM25 parameters: k1 >= 0, 0 <= b <= 1 (else GG_EINVAL) */
  int exhaustive;       /* 1: score every matching document (no top-k pruning);
                        ** gives the same hits, only slower: for tests */
} gg_search_opts;
#define GG_SEARCH_DEFAULTS {10, 0, 1.2, 0.75, 0}

typedef struct gg_hit {
  double score;
  uint32_t segment;     /* which segment holds the document */
  uint32_t doc;         /* document number inside that segment */
  const char *id;       /* external id, NUL-terminated, owned by the gg_hits */
} gg_hit;

typedef struct gg_hits {
  size_t n;             /* hits in hit[], best first */
  gg_hit *hit;
} gg_hits;

/* Rank the documents matching q by BM25 and return the best opts->k.
** Ties are broken by index order (earlier document first). */
int gg_search(gg_index *ix, const gg_query *q, const gg_search_opts *opts,
              gg_hits **out, gg_error *err);
void gg_hits_free(gg_hits *h);

/* The stored title and text of a hit's document, as two malloc'd
** NUL-terminated strings owned by the caller. */
int gg_doc_get(gg_index *ix, uint32_t segment, uint32_t doc, char **title,
               char **text, gg_error *err);

/* A short extract of text (about max_words words) around the densest
** cluster of query terms, with each matching word wrapped in open/close.
** Result is malloc'd, owned by the caller. */
int gg_snippet(gg_index *ix, const gg_query *q, const char *text, size_t max_words,
               const char *open, const char *close, char **out, gg_error *err);

#ifdef __cplusplus
}
#endif
#endif /* GG_H */
