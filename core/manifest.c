/*
** manifest.c -- read and write MANIFEST (docs/FORMAT.md, "MANIFEST").
*/
#define _GNU_SOURCE
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "err.h"
#include "pagefile.h"
#include "segment.h"

void gg_manifest_clear(gg_manifest *m) {
  free(m->segs);
  memset(m, 0, sizeof *m);
}

static int get_str(const uint8_t **p, const uint8_t *end, char *out, size_t cap) {
  if (*p >= end) return -1;
  size_t n = **p;
  (*p)++;
  if (n >= cap || n > (size_t)(end - *p)) return -1;
  memcpy(out, *p, n);
  out[n] = 0;
  *p += n;
  return memchr(out, 0, n) ? -1 : 0;
}

int gg_manifest_read(const char *dir, gg_manifest *m, gg_error *err) {
  memset(m, 0, sizeof *m);
  char *path;
  if (asprintf(&path, "%s/%s", dir, GG_MANIFEST_NAME) < 0) return gg_nomem(err);
  gg_pfr *r;
  int rc = gg_pfr_open(path, GG_MAGIC_MANIFEST, &r, err);
  if (rc == GG_ENOINDEX) rc = gg_fail(err, GG_ENOINDEX, "%s: no index here (build one with gg-index build)", dir);
  free(path);
  if (rc) return rc;
  uint64_t off, len;
  const uint8_t *p = NULL;
  if ((rc = gg_pfr_section(r, GG_SEC_MANIFEST, &off, &len, err)) == GG_OK &&
      !(p = gg_pfr_get(r, off, len, err)))
    rc = GG_ECORRUPT;
  if (rc == GG_OK) {
    const uint8_t *end = p + len;
    rc = gg_fail(err, GG_ECORRUPT, "%s: malformed manifest", gg_pfr_path(r));
    if (len >= 12) {
      m->generation = gg_get_u64(p);
      p += 8;
      if (get_str(&p, end, m->stemmer, sizeof m->stemmer) == 0 && end - p >= 4) {
        m->nsegs = gg_get_u32(p);
        p += 4;
        if (m->nsegs <= GG_MAX_SEGMENTS && (m->segs = calloc(m->nsegs + 1, sizeof *m->segs))) {
          uint32_t i = 0;
          for (; i < m->nsegs; i++) {
            gg_manifest_seg *s = &m->segs[i];
            if (get_str(&p, end, s->name, sizeof s->name) || end - p < 16 ||
                strchr(s->name, '/') || s->name[0] == '.' || !s->name[0])
              break;
            s->docs = gg_get_u64(p);
            s->tokens = gg_get_u64(p + 8);
            p += 16;
          }
          if (i == m->nsegs && p == end) rc = GG_OK;
        }
      }
    }
    if (rc != GG_OK) gg_manifest_clear(m);
    else if (err) err->code = GG_OK;
  }
  gg_pfr_close(r);
  return rc;
}

int gg_manifest_write(const char *dir, const gg_manifest *m, gg_error *err) {
  gg_buf b = GG_BUF_INIT;
  gg_buf_put_u64(&b, m->generation);
  gg_buf_put_u8(&b, (uint8_t)strlen(m->stemmer));
  gg_buf_put(&b, m->stemmer, strlen(m->stemmer));
  gg_buf_put_u32(&b, m->nsegs);
  for (uint32_t i = 0; i < m->nsegs; i++) {
    gg_buf_put_u8(&b, (uint8_t)strlen(m->segs[i].name));
    gg_buf_put(&b, m->segs[i].name, strlen(m->segs[i].name));
    gg_buf_put_u64(&b, m->segs[i].docs);
    gg_buf_put_u64(&b, m->segs[i].tokens);
  }
  if (b.oom) {
    gg_buf_free(&b);
    return gg_nomem(err);
  }
  char *tmp = NULL, *final = NULL;
  if (asprintf(&tmp, "%s/%s.tmp", dir, GG_MANIFEST_NAME) < 0) tmp = NULL;
  if (asprintf(&final, "%s/%s", dir, GG_MANIFEST_NAME) < 0) final = NULL;
  int rc = tmp && final ? GG_OK : gg_nomem(err);
  if (rc == GG_OK) {
    unlink(tmp);
    gg_pfw *w;
    rc = gg_pfw_create(tmp, GG_MAGIC_MANIFEST, &w, err);
    if (rc == GG_OK) {
      uint64_t off = gg_pfw_offset(w);
      gg_pfw_write(w, b.p, b.n);
      gg_pfw_section(w, GG_SEC_MANIFEST, off, b.n);
      rc = gg_pfw_finish(w, NULL, err);
    }
  }
  if (rc == GG_OK && rename(tmp, final) != 0) {
    rc = gg_fail(err, GG_EIO, "%s: cannot rename to %s: %s", tmp, final, strerror(errno));
    unlink(tmp);
  }
  if (rc == GG_OK) rc = gg_fsync_dir(dir, err);
  free(tmp);
  free(final);
  gg_buf_free(&b);
  return rc;
}
