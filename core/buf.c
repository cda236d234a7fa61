/*
** buf.c -- growable byte buffer (see buf.h).
*/
#include "buf.h"
#include "codec.h"

#include <stdlib.h>
#include <string.h>

int gg_buf_reserve(gg_buf *b, size_t extra) {
  if (b->oom) return -1;
  if (b->cap - b->n >= extra) return 0;
  size_t want = b->n + extra;
  if (want < b->n) { b->oom = 1; return -1; }
  size_t cap = b->cap ? b->cap : 64;
  while (cap < want) {
    if (cap > SIZE_MAX / 2) { cap = want; break; }
    cap *= 2;
  }
  uint8_t *p = realloc(b->p, cap);
  if (!p) { b->oom = 1; return -1; }
  b->p = p;
  b->cap = cap;
  return 0;
}

void gg_buf_put(gg_buf *b, const void *src, size_t n) {
  if (n == 0 || gg_buf_reserve(b, n)) return;
  memcpy(b->p + b->n, src, n);
  b->n += n;
}

void gg_buf_put_u8(gg_buf *b, uint8_t v) { gg_buf_put(b, &v, 1); }

void gg_buf_put_u32(gg_buf *b, uint32_t v) {
  uint8_t t[4];
  gg_set_u32(t, v);
  gg_buf_put(b, t, 4);
}

void gg_buf_put_u64(gg_buf *b, uint64_t v) {
  uint8_t t[8];
  gg_set_u64(t, v);
  gg_buf_put(b, t, 8);
}

void gg_buf_put_varint(gg_buf *b, uint64_t v) {
  if (gg_buf_reserve(b, GG_VARINT_MAX)) return;
  b->n += gg_varint_put(b->p + b->n, v);
}

void gg_buf_free(gg_buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
  b->oom = 0;
}
