/*
** buf.h -- a growable byte buffer with a sticky out-of-memory flag.
**
** Appends never fail visibly: after an allocation failure the buffer sets
** `oom` and ignores further appends, so a writer can emit a whole record
** and check once at the end (the FTS5 "no-op after error" pattern).
*/
#ifndef GG_BUF_H
#define GG_BUF_H
#include <stddef.h>
#include <stdint.h>

typedef struct gg_buf {
  uint8_t *p;     /* bytes, NULL while empty */
  size_t n;       /* bytes in use */
  size_t cap;     /* bytes allocated */
  int oom;        /* set once an allocation failed; sticky until reset */
} gg_buf;

#define GG_BUF_INIT {NULL, 0, 0, 0}

/* Make room for extra more bytes; 0 on success, -1 (and oom) on failure. */
int gg_buf_reserve(gg_buf *b, size_t extra);
void gg_buf_put(gg_buf *b, const void *src, size_t n);
void gg_buf_put_u8(gg_buf *b, uint8_t v);
void gg_buf_put_u32(gg_buf *b, uint32_t v);   /* little-endian */
void gg_buf_put_u64(gg_buf *b, uint64_t v);   /* little-endian */
void gg_buf_put_varint(gg_buf *b, uint64_t v);
void gg_buf_free(gg_buf *b);

/* Little-endian loads and stores on raw bytes (no alignment needed). */
static inline uint32_t gg_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t gg_get_u64(const uint8_t *p) {
  return (uint64_t)gg_get_u32(p) | (uint64_t)gg_get_u32(p + 4) << 32;
}
static inline void gg_set_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void gg_set_u64(uint8_t *p, uint64_t v) {
  gg_set_u32(p, (uint32_t)v); gg_set_u32(p + 4, (uint32_t)(v >> 32));
}
#endif
