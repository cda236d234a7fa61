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
#include "indexer.h"

#define DEFAULT_BUDGET ((size_t)512 << 20)
#define DEFAULT_MAX_DOC ((size_t)256 << 20)

const char *gg_default_index_dir(void) {
  const char *e = getenv("GG_INDEX");
  return e && *e ? e : GG_DEFAULT_INDEX;
}

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
  gg_walk walk;
  gg_build_stats *stats;
  gg_error *err;
  uint64_t raw_total;
  double t0, last_progress;
} build_ctx;

static int on_doc(void *vctx, const gg_doc *d) {
  build_ctx *c = vctx;
  uint32_t ntokens;
  uint32_t doc = gg_segw_docs(c->seg);
  int rc = gg_inverter_add(c->inv, c->an, doc, d, &ntokens, c->err);
  if (rc == GG_OK) rc = gg_segw_add_doc(c->seg, d, ntokens, c->err);
  c->stats->docs++;
  c->stats->text_bytes += d->title_len + d->text_len;
  if (c->opts->progress) {
    double t = now_s();
    if (t - c->last_progress >= 0.25) {
      c->last_progress = t;
      c->stats->input_bytes = c->walk.input_bytes;
      c->stats->skipped = c->walk.skipped;
      c->stats->seconds = t - c->t0;
      c->opts->progress(c->opts->ctx, c->stats, c->raw_total ? c->raw_total : 1);
    }
  }
  return rc;
}

/* Remove files of this index that MANIFEST m does not name: old segments
** and leftovers of interrupted builds.  Only gg's own names are touched. */
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
    if (!ours) continue;
    int keep = 0;
    for (uint32_t i = 0; m && i < m->nsegs; i++)
      if (strcmp(m->segs[i].name, n) == 0) keep = 1;
    if (!keep) unlinkat(dirfd(d), n, 0);
  }
  closedir(d);
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
    if (mrc != GG_OK) old.generation = 0;  /* none or unreadable: start afresh */
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
    rc = gg_segw_open(tmp_path, dir, &c.seg, err);
  }
  if (rc == GG_OK) rc = gg_inverter_new(dir, opts.memory_budget, &c.inv, err);
  if (rc == GG_OK) {
    c.walk.max_doc_bytes = opts.max_doc_bytes;
    c.walk.warn = opts.warn;
    c.walk.warn_ctx = opts.ctx;
    if (opts.progress) c.raw_total = gg_walk_raw_total(paths, npaths);
    rc = gg_walk_run(&c.walk, paths, npaths, on_doc, &c, err);
  }
  stats.input_bytes = c.walk.input_bytes;
  stats.skipped = c.walk.skipped;
  if (rc == GG_OK && stats.docs == 0)
    rc = gg_fail(err, GG_EINPUT, "no documents found in the given inputs (accepted: .txt .md .jsonl, optionally .gz)");
  if (rc == GG_OK) rc = gg_inverter_finish(c.inv, c.seg, err);
  if (rc == GG_OK) {
    stats.runs = gg_inverter_runs(c.inv);
    gg_inverter_free(c.inv);
    c.inv = NULL;
    m.segs[0].docs = stats.docs;
    rc = gg_segw_finish(c.seg, &stats, &stats.index_bytes, err);
    c.seg = NULL;
    m.segs[0].tokens = stats.tokens;
  }
  if (rc == GG_OK && rename(tmp_path, seg_path) != 0)
    rc = gg_fail(err, GG_EIO, "%s: cannot rename: %s", tmp_path, strerror(errno));
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
    if (seg_path) {
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
