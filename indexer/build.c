/*
** build.c -- gg_build(): walk inputs, invert, write a segment, publish.
**
** Publishing is atomic.  The segment is written as seg-<G>.gg.tmp, fsync'd
** and renamed to seg-<G>.gg, where G is the previous generation + 1; only
** then is MANIFEST replaced (write MANIFEST.tmp, fsync, rename, fsync the
** folder).  A build that dies at any point leaves the old MANIFEST naming
** old, intact segment files; its leftovers (*.tmp) are removed by the next
** build.  Temporary run files are unlinked as soon as they are created.
** A lock file (flock) keeps two builds from racing on one index.
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/manifest.h"
#include "../core/segment.h"
#include "chan.h"
#include "indexer.h"

/* The build is a pipeline of three sequential stages, so the output does not
** depend on thread timing: the main thread walks and parses the inputs and
** hands stored text to the segment writer (whose compressor thread deflates
** it); batches of documents go to the inverter thread, which analyses and
** inverts them in document order and sends each batch back with the
** documents' lengths.  At the end the terms are divided in two ranges:
** the calling thread merges the sorted runs of the first and encodes their
** postings, a second thread does the same for the second, whose bytes are
** then appended (gg_inverter_finish).  With opts.threads == 1 the same
** stages run one after the other in the calling thread (same bytes out). */
/* Batches are small because the inverter, the slower stage, still has the
** batches in flight to invert when parsing ends, with the other core idle:
** 256 KiB rather than 1 MiB made reuters' build 5 % faster, gcide's 3 %. */
#define BATCH_BYTES (1u << 18)
#define BATCH_DOCS 4096
#define NBATCHES 4             /* batches in flight; bounds the memory of the pipeline */

typedef struct batch {
  uint32_t first_doc;
  uint32_t n;
  gg_buf text;                 /* title and text bytes of the documents */
  size_t (*spans)[2];          /* per document: title length, text length */
  uint32_t *ntokens;           /* OUT of the inverter: positions per document */
  uint32_t cap;
} batch;

#define DEFAULT_BUDGET ((size_t)512 << 20)
#define DEFAULT_MAX_DOC ((size_t)64 << 20)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct build_ctx {
  const gg_build_opts *opts;
  gg_analyzer *an;
  gg_inverter *inv;
  gg_segw *seg;
  int threaded;                /* inverter and compressor threads (opts->threads != 1) */
  gg_chan work, done;          /* batches to invert / inverted (and free ones) */
  pthread_t inverter;
  int inverter_running;
  int inv_rc;                  /* the inverter's error, read after join */
  gg_error inv_err;
  batch *filling;              /* the batch the main thread is filling */
  uint32_t nbatches;           /* batches allocated so far (<= NBATCHES) */
  gg_walk walk;
  gg_build_stats *stats;
  gg_error *err;
  uint64_t raw_total;
  double t0, last_progress;
} build_ctx;

static void batch_free(batch *b) {
  if (!b) return;
  gg_buf_free(&b->text);
  free(b->spans);
  free(b->ntokens);
  free(b);
}

/* Analyse and invert the documents of b, in order; the first error stays
** in c->inv_rc / c->inv_err. */
static void invert_batch(build_ctx *c, batch *b) {
  const char *p = (const char *)b->text.p;
  for (uint32_t i = 0; i < b->n && c->inv_rc == GG_OK; i++) {
    gg_doc d = {NULL, 0, p, b->spans[i][0], p + b->spans[i][0], b->spans[i][1]};
    c->inv_rc = gg_inverter_add(c->inv, c->an, b->first_doc + i, &d, &b->ntokens[i], &c->inv_err);
    p += b->spans[i][0] + b->spans[i][1];
  }
}

static void *inverter_main(void *arg) {
  build_ctx *c = arg;
  pthread_setname_np(pthread_self(), "gg-invert");
  batch *b;
  while ((b = gg_chan_get(&c->work)) != NULL) {
    invert_batch(c, b);
    if (c->inv_rc != GG_OK) gg_chan_close(&c->work);  /* unblock the main thread */
    gg_chan_put(&c->done, b);  /* never blocks: done holds every batch */
  }
  return NULL;
}

/* Record the lengths an inverted batch brings back; the batch is reusable. */
static void collect(build_ctx *c, batch *b) {
  for (uint32_t i = 0; i < b->n; i++) gg_segw_set_doclen(c->seg, b->first_doc + i, b->ntokens[i]);
  b->n = 0;
  b->text.n = 0;
}

/* Without an inverter thread: invert the filling batch here and reuse it. */
static int run_batch(build_ctx *c) {
  batch *b = c->filling;
  if (!b) {
    if (!(b = c->filling = calloc(1, sizeof *b))) return gg_nomem(c->err);
    return GG_OK;
  }
  invert_batch(c, b);
  if (c->inv_rc != GG_OK) {
    if (c->err) *c->err = c->inv_err;
    return c->inv_rc;
  }
  collect(c, b);
  return GG_OK;
}

/* Send the filling batch to the inverter and get an empty one. */
static int submit(build_ctx *c) {
  if (!c->threaded) return run_batch(c);
  batch *b = c->filling;
  c->filling = NULL;
  if (b && b->n && gg_chan_put(&c->work, b) != 0) {
    batch_free(b);
    return GG_EIO;  /* the inverter failed; its error is reported */
  }
  if (b && !b->n) {
    c->filling = b;
    return GG_OK;
  }
  batch *next;
  if (c->nbatches < NBATCHES) {
    next = calloc(1, sizeof *next);
    if (!next) return gg_nomem(c->err);
    c->nbatches++;
  } else {
    next = gg_chan_get(&c->done);  /* wait for the inverter to return one */
    if (!next) return GG_EIO;
    collect(c, next);
  }
  c->filling = next;
  return GG_OK;
}

static int on_doc(void *vctx, const gg_doc *d) {
  build_ctx *c = vctx;
  uint32_t doc = gg_segw_docs(c->seg);
  int rc = gg_segw_add_doc(c->seg, d, c->err);
  if (rc) return rc;
  if (!c->filling && (rc = submit(c))) return rc;
  batch *b = c->filling;
  if (b->n == b->cap) {
    uint32_t cap = b->cap ? b->cap * 2 : 256;
    size_t(*sp)[2] = realloc(b->spans, cap * sizeof *sp);
    if (sp) b->spans = sp;
    uint32_t *nt = sp ? realloc(b->ntokens, cap * sizeof *nt) : NULL;
    if (nt) b->ntokens = nt;
    if (!sp || !nt) return gg_nomem(c->err);
    b->cap = cap;
  }
  if (b->n == 0) b->first_doc = doc;
  gg_buf_put(&b->text, d->title, d->title_len);
  gg_buf_put(&b->text, d->text, d->text_len);
  if (b->text.oom) return gg_nomem(c->err);
  b->spans[b->n][0] = d->title_len;
  b->spans[b->n][1] = d->text_len;
  b->n++;
  if ((b->text.n >= BATCH_BYTES || b->n >= BATCH_DOCS) && (rc = submit(c))) return rc;
  c->stats->docs++;
  c->stats->text_bytes += d->title_len + d->text_len;
  if (c->opts->progress) {
    double t = now_s();
    if (t - c->last_progress >= 0.25) {
      c->last_progress = t;
      c->stats->input_bytes = c->walk.input_bytes;
      c->stats->skipped = c->walk.skipped;
      c->stats->seconds = t - c->t0;
      double frac = c->raw_total ? (double)(c->walk.raw_done + c->walk.raw_cur) / (double)c->raw_total : 0;
      c->opts->progress(c->opts->ctx, c->stats, frac > 1 ? 1 : frac);
    }
  }
  return GG_OK;
}

/* Finish the pipeline: submit the last batch, stop the inverter, collect
** every batch.  Returns the first error of either thread. */
static int pipeline_finish(build_ctx *c, int rc) {
  if (!c->threaded) {
    if (rc == GG_OK && c->filling && c->filling->n) rc = run_batch(c);
    batch_free(c->filling);
    c->filling = NULL;
    return rc;
  }
  if (!c->inverter_running) return rc;
  if (rc == GG_OK && c->filling && c->filling->n) {
    if (gg_chan_put(&c->work, c->filling) == 0) c->filling = NULL;
    else rc = GG_EIO;
  }
  gg_chan_close(&c->work);
  pthread_join(c->inverter, NULL);
  c->inverter_running = 0;
  batch *b;
  while ((b = gg_chan_try_get(&c->work)) != NULL) batch_free(b);
  while ((b = gg_chan_try_get(&c->done)) != NULL) {
    if (rc == GG_OK && c->inv_rc == GG_OK) collect(c, b);
    batch_free(b);
  }
  batch_free(c->filling);
  c->filling = NULL;
  if (c->inv_rc != GG_OK) {
    if (c->err) *c->err = c->inv_err;
    return c->inv_rc;
  }
  return rc;
}

/* Remove files of this index that MANIFEST m does not name: old segments
** and leftovers of interrupted builds.  With m NULL, only the leftovers
** (*.tmp) go.  Only gg's own names are touched. */
static void remove_unreferenced(const char *dir, const gg_manifest *m) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    size_t len = strlen(n);
    int ours = (strncmp(n, "seg-", 4) == 0 &&
                ((len > 3 && strcmp(n + len - 3, ".gg") == 0) ||
                 (len > 7 && strcmp(n + len - 7, ".gg.tmp") == 0))) ||
               strcmp(n, GG_MANIFEST_NAME ".tmp") == 0;
    if (!ours || (!m && strcmp(n + len - 4, ".tmp") != 0)) continue;
    int keep = 0;
    for (uint32_t i = 0; m && i < m->nsegs; i++)
      if (strcmp(m->segs[i].name, n) == 0) keep = 1;
    if (!keep) unlinkat(dirfd(d), n, 0);
  }
  closedir(d);
}

/* Highest N of the seg-N.gg files in dir (0 if none), so that a build
** over an index it cannot read never reuses one of its file names. */
static uint64_t highest_segment(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  uint64_t hi = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    unsigned long long n;
    if (sscanf(e->d_name, "seg-%llu.gg", &n) == 1 && n > hi) hi = n;
  }
  closedir(d);
  return hi;
}

static int mkdir_p(const char *dir, gg_error *err) {
  char *p = strdup(dir);
  if (!p) return gg_nomem(err);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    mkdir(p, 0755);
    *s = '/';
  }
  int rc = GG_OK;
  if (mkdir(p, 0755) != 0 && errno != EEXIST)
    rc = gg_fail(err, GG_EIO, "%s: cannot create index folder: %s", dir, strerror(errno));
  free(p);
  return rc;
}

int gg_build(const char *const *paths, size_t npaths, const gg_build_opts *opts_in,
             gg_build_stats *stats_out, gg_error *err) {
  gg_build_opts opts = {0};
  if (opts_in) opts = *opts_in;
  const char *dir = opts.index_dir ? opts.index_dir : gg_default_index_dir();
  if (!opts.memory_budget) opts.memory_budget = DEFAULT_BUDGET;
  if (!opts.max_doc_bytes) opts.max_doc_bytes = DEFAULT_MAX_DOC;
  if (!opts.stemmer) opts.stemmer = "english";
  static const char *const default_paths[] = {"corpus"};
  if (npaths == 0) {
    paths = default_paths;
    npaths = 1;
  }
  gg_build_stats stats = {0};
  build_ctx c = {0};
  c.opts = &opts;
  c.threaded = opts.threads != 1;
  c.stats = &stats;
  c.err = err;
  c.t0 = c.last_progress = now_s();
  gg_manifest old = {0}, m = {0};
  char *lock_path = NULL, *tmp_path = NULL, *seg_path = NULL;
  int lock_fd = -1;

  /* Check the inputs before touching the index. */
  for (size_t i = 0; i < npaths; i++) {
    struct stat st;
    if (stat(paths[i], &st) != 0)
      return gg_fail(err, GG_EINPUT, "%s: cannot read: %s", paths[i], strerror(errno));
  }
  int rc = gg_analyzer_new(opts.stemmer, &c.an, err);
  if (rc == GG_OK) rc = mkdir_p(dir, err);
  if (rc == GG_OK) {
    if (asprintf(&lock_path, "%s/LOCK", dir) < 0) lock_path = NULL;
    if (!lock_path) rc = gg_nomem(err);
  }
  if (rc == GG_OK) {
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0)
      rc = gg_fail(err, GG_EIO, "%s: cannot create lock file: %s", lock_path, strerror(errno));
    else if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
      rc = gg_fail(err, GG_EBUSY, "%s: another gg-index build is running on this index", dir);
  }
  if (rc == GG_OK) {
    gg_error ignore;
    int mrc = gg_manifest_read(dir, &old, &ignore);
    if (mrc != GG_OK) old.generation = highest_segment(dir);  /* none or unreadable */
    /* Leftovers of interrupted builds go now; segments of an index this
    ** build cannot read (another format version) stay until it succeeds. */
    remove_unreferenced(dir, mrc == GG_OK ? &old : NULL);
    m.generation = old.generation + 1;
    snprintf(m.stemmer, sizeof m.stemmer, "%s", opts.stemmer);
    m.nsegs = 1;
    if (!(m.segs = calloc(1, sizeof *m.segs))) rc = gg_nomem(err);
  }
  if (rc == GG_OK) {
    snprintf(m.segs[0].name, sizeof m.segs[0].name, "seg-%06llu.gg",
             (unsigned long long)m.generation);
    if (asprintf(&seg_path, "%s/%s", dir, m.segs[0].name) < 0) seg_path = NULL;
    if (asprintf(&tmp_path, "%s/%s.tmp", dir, m.segs[0].name) < 0) tmp_path = NULL;
    if (!seg_path || !tmp_path) rc = gg_nomem(err);
  }
  if (rc == GG_OK) {
    unlink(tmp_path);
    rc = gg_segw_open(tmp_path, dir, c.threaded, &c.seg, err);
  }
  /* The budget covers the whole build: the term table gets what the
  ** pipeline's fixed buffers (batches, staging spools, store blocks, about
  ** 16 MiB) and the document lengths leave, and never less than 1 MiB. */
  size_t fixed = ((size_t)16 << 20) + opts.memory_budget / 8;
  size_t table_budget = opts.memory_budget > fixed + (1u << 20) ? opts.memory_budget - fixed : 1u << 20;
  if (rc == GG_OK) rc = gg_inverter_new(dir, table_budget, &c.inv, err);
  if (rc == GG_OK && c.threaded) {
    if (gg_chan_init(&c.work, NBATCHES + 1) || gg_chan_init(&c.done, NBATCHES + 1)) rc = gg_nomem(err);
    else if (pthread_create(&c.inverter, NULL, inverter_main, &c) != 0)
      rc = gg_fail(err, GG_ENOMEM, "cannot start the inverter thread");
    else c.inverter_running = 1;
  }
  if (rc == GG_OK) {
    c.walk.max_doc_bytes = opts.max_doc_bytes;
    c.walk.warn = opts.warn;
    c.walk.warn_ctx = opts.ctx;
    if (opts.progress) c.raw_total = gg_walk_raw_total(paths, npaths);
    rc = gg_walk_run(&c.walk, paths, npaths, on_doc, &c, err);
  }
  rc = pipeline_finish(&c, rc);
  stats.input_bytes = c.walk.input_bytes;
  stats.skipped = c.walk.skipped;
  if (rc == GG_OK && stats.docs == 0)
    rc = gg_fail(err, GG_EINPUT, "no documents found in the given inputs (accepted: .txt .md .jsonl, optionally .gz)");
  if (rc == GG_OK) rc = gg_inverter_finish(c.inv, c.seg, c.threaded, err);
  if (rc == GG_OK) {
    stats.runs = gg_inverter_runs(c.inv);
    gg_inverter_free(c.inv);
    c.inv = NULL;
    m.segs[0].docs = stats.docs;
    rc = gg_segw_finish(c.seg, &stats, &stats.index_bytes, err);
    c.seg = NULL;
    m.segs[0].tokens = stats.tokens;
  }
  int renamed = 0;
  if (rc == GG_OK) {
    if (rename(tmp_path, seg_path) != 0)
      rc = gg_fail(err, GG_EIO, "%s: cannot rename: %s", tmp_path, strerror(errno));
    else
      renamed = 1;
  }
  if (rc == GG_OK) rc = gg_manifest_write(dir, &m, err);
  if (rc == GG_OK) {
    remove_unreferenced(dir, &m);
    /* Old segments are gone from the folder; readers that mapped them keep
    ** their pages until they close. */
  } else {
    gg_segw_abort(c.seg);
    if (tmp_path) unlink(tmp_path);
    /* A renamed segment is a leftover unless MANIFEST on disk names it
    ** (the rename of MANIFEST may have happened before a later failure). */
    if (renamed) {
      gg_manifest now = {0};
      gg_error ignore;
      int referenced = 0;
      if (gg_manifest_read(dir, &now, &ignore) == GG_OK)
        for (uint32_t i = 0; i < now.nsegs; i++)
          if (strcmp(now.segs[i].name, m.segs[0].name) == 0) referenced = 1;
      gg_manifest_clear(&now);
      if (!referenced) unlink(seg_path);
    }
  }
  rc = pipeline_finish(&c, rc);
  gg_chan_destroy(&c.work);
  gg_chan_destroy(&c.done);
  gg_inverter_free(c.inv);
  gg_analyzer_free(c.an);
  if (lock_fd >= 0) close(lock_fd);
  gg_manifest_clear(&old);
  gg_manifest_clear(&m);
  free(lock_path);
  free(tmp_path);
  free(seg_path);
  stats.seconds = now_s() - c.t0;
  if (stats_out) *stats_out = stats;
  return rc;
}
