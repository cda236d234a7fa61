/*
** testutil.h -- scratch folders and small file helpers for the C tests.
** Scratch folders go under $GG_TEST_TMP (set by CTest) or /tmp, and are
** removed at the end unless $GG_TEST_KEEP is set.
*/
#ifndef GG_TEST_UTIL_H
#define GG_TEST_UTIL_H
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gg/gg.h"

static inline char *tu_mkdtemp(const char *tag) {
  const char *base = getenv("GG_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0755);
  size_t n = strlen(base) + strlen(tag) + 32;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s-XXXXXX", base, tag);
  if (!mkdtemp(p)) {
    perror(p);
    exit(1);
  }
  return p;
}

static inline char *tu_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static inline int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static inline void tu_rm_rf(const char *dir) {
  if (getenv("GG_TEST_KEEP")) {
    fprintf(stderr, "kept %s\n", dir);
    return;
  }
  nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void tu_write(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

/* Whole file into a malloc'd buffer; NULL if unreadable. */
static inline unsigned char *tu_read(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  unsigned char *b = malloc(cap);
  size_t k;
  while ((k = fread(b + len, 1, cap - len, f)) > 0) {
    len += k;
    if (len == cap) b = realloc(b, cap *= 2);
  }
  fclose(f);
  *n = len;
  return b;
}

/* 1 if the two files exist and have the same bytes. */
static inline int tu_same_file(const char *a, const char *b) {
  size_t na = 0, nb = 0;
  unsigned char *x = tu_read(a, &na), *y = tu_read(b, &nb);
  int same = x && y && na == nb && memcmp(x, y, na) == 0;
  free(x);
  free(y);
  return same;
}

/* Build an index of one JSON-lines file with the given stemmer and open
** it; exits with a message on failure.  Close with gg_index_close. */
static inline gg_index *tu_build_open(const char *corpus, const char *index, const char *stemmer) {
  gg_build_opts bo = {0};
  bo.index_dir = index;
  bo.stemmer = stemmer;
  const char *paths[] = {corpus};
  gg_error e;
  gg_index *ix;
  if (gg_build(paths, 1, &bo, NULL, &e) != GG_OK || gg_index_open(index, &ix, &e) != GG_OK) {
    fprintf(stderr, "%s: %s\n", index, e.msg);
    exit(1);
  }
  return ix;
}

#endif
