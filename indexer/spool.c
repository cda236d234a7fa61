/*
** spool.c -- append-only byte store that spills to an unlinked temp file
** (see indexer.h).
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include "../core/err.h"
#include "indexer.h"

struct gg_spool {
  char *dir;
  size_t threshold;   /* bytes kept in memory before spilling */
  gg_buf mem;         /* pending bytes (all of them while not spilled) */
  int fd;             /* -1 until spilled */
  uint64_t file_n;    /* bytes already in the file */
  int rc;
  gg_error err;
};

int gg_spool_open(const char *dir, size_t threshold, gg_spool **out, gg_error *err) {
  gg_spool *s = calloc(1, sizeof *s);
  if (!s || !(s->dir = strdup(dir))) {
    free(s);
    return gg_nomem(err);
  }
  s->threshold = threshold;
  s->fd = -1;
  *out = s;
  return GG_OK;
}

static void spill(gg_spool *s) {
  if (s->fd < 0) {
    s->fd = open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (s->fd < 0) {
      /* Filesystems without O_TMPFILE: create and unlink at once. */
      size_t n = strlen(s->dir) + 32;
      char *path = malloc(n);
      if (!path) {
        s->rc = gg_nomem(&s->err);
        return;
      }
      snprintf(path, n, "%s/spool-XXXXXX.tmp", s->dir);
      s->fd = mkstemps(path, 4);
      if (s->fd >= 0) unlink(path);
      free(path);
    }
    if (s->fd < 0) {
      s->rc = gg_fail(&s->err, GG_EIO, "%s: cannot create a temporary file: %s", s->dir,
                      strerror(errno));
      return;
    }
  }
  size_t done = 0;
  while (done < s->mem.n) {
    ssize_t k = write(s->fd, s->mem.p + done, s->mem.n - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      s->rc = gg_fail(&s->err, GG_EIO, "%s: cannot write a temporary file: %s", s->dir,
                      strerror(errno));
      return;
    }
    done += (size_t)k;
  }
  s->file_n += s->mem.n;
  s->mem.n = 0;
}

void gg_spool_write(gg_spool *s, const void *p, size_t n) {
  if (s->rc != GG_OK) return;
  gg_buf_put(&s->mem, p, n);
  if (s->mem.oom) s->rc = gg_nomem(&s->err);
  else if (s->mem.n >= s->threshold) spill(s);
}

uint64_t gg_spool_size(const gg_spool *s) { return s->file_n + s->mem.n; }

int gg_spool_status(gg_spool *s, gg_error *err) {
  if (s->rc != GG_OK && err) *err = s->err;
  return s->rc;
}

int gg_spool_read(gg_spool *s, uint64_t off, void *dst, size_t n, gg_error *err) {
  if (s->rc != GG_OK) return gg_spool_status(s, err);
  if (off > gg_spool_size(s) || n > gg_spool_size(s) - off)
    return gg_fail(err, GG_EIO, "%s: read past the end of a temporary file", s->dir);
  uint8_t *d = dst;
  while (n > 0 && off < s->file_n) {
    size_t want = s->file_n - off < n ? (size_t)(s->file_n - off) : n;
    ssize_t k = pread(s->fd, d, want, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0)
      return gg_fail(err, GG_EIO, "%s: cannot read a temporary file: %s", s->dir,
                     k < 0 ? strerror(errno) : "short read");
    d += k;
    off += (uint64_t)k;
    n -= (size_t)k;
  }
  if (n > 0) memcpy(d, s->mem.p + (off - s->file_n), n);
  return GG_OK;
}

/* Hand the whole content to put(ctx, bytes, n) in order, 1 MiB at a time. */
static int spool_each(gg_spool *s, void (*put)(void *ctx, const void *p, size_t n), void *ctx,
                      gg_error *err) {
  if (s->rc != GG_OK) return gg_spool_status(s, err);
  if (s->fd >= 0) {
    enum { CHUNK = 1 << 20 };
    uint8_t *b = malloc(CHUNK);
    if (!b) return gg_nomem(err);
    for (uint64_t off = 0; off < s->file_n;) {
      size_t want = s->file_n - off < CHUNK ? (size_t)(s->file_n - off) : CHUNK;
      int rc = gg_spool_read(s, off, b, want, err);
      if (rc) {
        free(b);
        return rc;
      }
      put(ctx, b, want);
      off += want;
    }
    free(b);
  }
  put(ctx, s->mem.p, s->mem.n);
  return GG_OK;
}

static void put_pfw(void *w, const void *p, size_t n) { gg_pfw_write(w, p, n); }
static void put_spool(void *dst, const void *p, size_t n) { gg_spool_write(dst, p, n); }

int gg_spool_copy_to(gg_spool *s, gg_pfw *w, gg_error *err) { return spool_each(s, put_pfw, w, err); }

int gg_spool_append(gg_spool *dst, gg_spool *src, gg_error *err) {
  int rc = spool_each(src, put_spool, dst, err);
  return rc ? rc : gg_spool_status(dst, err);
}

void gg_spool_close(gg_spool *s) {
  if (!s) return;
  if (s->fd >= 0) close(s->fd);
  gg_buf_free(&s->mem);
  free(s->dir);
  free(s);
}
