/*
** codec.c -- varints and bit-packing (see codec.h for the layout).
**
** The unpacker is specialised per width for full blocks: with a constant
** width the shift and mask of every value are compile-time constants, the
** loop has no branches, and GCC unrolls it.  Partial blocks (the tail of a
** postings list) take the same code with a variable width.
*/
#include "codec.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gg's codecs assume a little-endian machine"
#endif

static inline uint64_t load64(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, sizeof w);
  return w;
}

unsigned gg_bits_needed(const uint32_t *in, unsigned n) {
  uint32_t all = 0;
  for (unsigned i = 0; i < n; i++) all |= in[i];
  return all ? 32u - (unsigned)__builtin_clz(all) : 0u;
}

/* Values go into a 64-bit accumulator and leave it 32 bits at a time: no
** read-modify-write of output bytes, whose store-to-load dependency from
** one value to the next made packing ~6x slower. */
size_t gg_pack(uint8_t *out, const uint32_t *in, unsigned n, unsigned bits) {
  size_t nbytes = gg_packed_bytes(n, bits);
  memset(out + nbytes, 0, GG_PACK_PAD);
  if (bits == 0) return 0;
  const uint64_t mask = bits == 32 ? 0xffffffffu : ((uint64_t)1 << bits) - 1;
  uint64_t acc = 0;
  unsigned have = 0;  /* bits in acc, < 32 between values */
  uint8_t *o = out;
  for (unsigned i = 0; i < n; i++) {
    acc |= (in[i] & mask) << have;
    have += bits;
    if (have >= 32) {
      uint32_t w = (uint32_t)acc;
      memcpy(o, &w, 4);
      o += 4;
      acc >>= 32;
      have -= 32;
    }
  }
  for (; have > 0; have = have > 8 ? have - 8 : 0, acc >>= 8) *o++ = (uint8_t)acc;
  return nbytes;
}

static inline __attribute__((always_inline)) void unpack_width(uint32_t *out, const uint8_t *in,
                                                                unsigned n, unsigned bits) {
  const uint64_t mask = bits == 32 ? 0xffffffffu : ((uint64_t)1 << bits) - 1;
  for (unsigned i = 0; i < n; i++) {
    size_t bit = (size_t)i * bits;
    out[i] = (uint32_t)((load64(in + (bit >> 3)) >> (bit & 7)) & mask);
  }
}

/* Eight values of width B start on a byte boundary and take B bytes, so
** with B a constant every load offset and shift below is a constant and
** the groups need no per-value arithmetic. */
#define GG_GET(j, B) \
  out[j] = (uint32_t)((load64(in + ((j) * (B)) / 8) >> (((j) * (B)) & 7)) & mask)
#define GG_UNPACK_FULL(B)                                                 \
  case B: {                                                               \
    const uint64_t mask = B == 32 ? 0xffffffffu : ((uint64_t)1 << B) - 1; \
    for (unsigned g = 0; g < GG_BLOCK / 8; g++, in += B, out += 8) {      \
      GG_GET(0, B); GG_GET(1, B); GG_GET(2, B); GG_GET(3, B);             \
      GG_GET(4, B); GG_GET(5, B); GG_GET(6, B); GG_GET(7, B);             \
    }                                                                     \
    return;                                                               \
  }

void gg_unpack(uint32_t *out, const uint8_t *in, unsigned n, unsigned bits) {
  if (bits == 0) {
    memset(out, 0, n * sizeof *out);
    return;
  }
  if (n == GG_BLOCK) {
    switch (bits) {
      GG_UNPACK_FULL(1) GG_UNPACK_FULL(2) GG_UNPACK_FULL(3) GG_UNPACK_FULL(4)
      GG_UNPACK_FULL(5) GG_UNPACK_FULL(6) GG_UNPACK_FULL(7) GG_UNPACK_FULL(8)
      GG_UNPACK_FULL(9) GG_UNPACK_FULL(10) GG_UNPACK_FULL(11) GG_UNPACK_FULL(12)
      GG_UNPACK_FULL(13) GG_UNPACK_FULL(14) GG_UNPACK_FULL(15) GG_UNPACK_FULL(16)
      GG_UNPACK_FULL(17) GG_UNPACK_FULL(18) GG_UNPACK_FULL(19) GG_UNPACK_FULL(20)
      GG_UNPACK_FULL(21) GG_UNPACK_FULL(22) GG_UNPACK_FULL(23) GG_UNPACK_FULL(24)
      GG_UNPACK_FULL(25) GG_UNPACK_FULL(26) GG_UNPACK_FULL(27) GG_UNPACK_FULL(28)
      GG_UNPACK_FULL(29) GG_UNPACK_FULL(30) GG_UNPACK_FULL(31) GG_UNPACK_FULL(32)
      default: break;
    }
  }
  unpack_width(out, in, n, bits);
}

int gg_varint_get_slow(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
  const uint8_t *p = *pp;
  uint64_t r = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (p >= end) return -1;
    uint8_t c = *p++;
    if (shift == 63 && c > 1) return -1;  /* would overflow 64 bits */
    r |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *v = r;
      *pp = p;
      return 0;
    }
  }
  return -1;
}

static unsigned bit_len(uint32_t v) { return v ? 32u - (unsigned)__builtin_clz(v) : 0u; }

size_t gg_pfor_encode(uint8_t *out, const uint32_t *in, unsigned n) {
  /* Choose b from the histogram of bit lengths: an exception of length L
  ** costs its index byte plus a varint of L-b bits. */
  unsigned hist[33] = {0}, maxlen = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned l = bit_len(in[i]);
    hist[l]++;
    if (l > maxlen) maxlen = l;
  }
  /* Only the lengths that occur (a dozen, typically, of 33) enter the sums.
  ** Widths are tried from the widest down: an exception costs at least two
  ** bytes and a narrower width only adds exceptions, so once twice their
  ** number exceeds the best cost no narrower width can win.  The choice is
  ** the one of trying every width: the cheapest, on a tie the widest-bits
  ** width maxlen, else the narrowest. */
  unsigned len_of[33], count_of[33], nlens = 0;
  for (unsigned l = 1; l <= maxlen; l++)
    if (hist[l]) {
      len_of[nlens] = l;
      count_of[nlens++] = hist[l];
    }
  unsigned best_b = maxlen, above = 0;  /* values longer than b */
  size_t best = gg_packed_bytes(n, maxlen);
  for (unsigned b = maxlen; b-- > 0;) {
    above += hist[b + 1];
    if ((size_t)2 * above > best) break;
    size_t cost = gg_packed_bytes(n, b);
    for (unsigned q = 0; q < nlens; q++)
      if (len_of[q] > b) cost += count_of[q] * (1 + (len_of[q] - b + 6) / 7);
    if (cost < best || (cost == best && best_b != maxlen)) {
      best = cost;
      best_b = b;
    }
  }
  unsigned nexc = 0;
  for (unsigned q = 0; q < nlens; q++)
    if (len_of[q] > best_b) nexc += count_of[q];
  out[0] = (uint8_t)best_b;
  out[1] = (uint8_t)nexc;
  size_t k = 2 + gg_pack(out + 2, in, n, best_b);  /* the low best_b bits */
  if (nexc) {
    for (unsigned i = 0; i < n; i++) {
      if (in[i] >> best_b) {
        out[k++] = (uint8_t)i;
        k += gg_varint_put(out + k, in[i] >> best_b);
      }
    }
  }
  return k;
}

size_t gg_pfor_decode(uint32_t *out, const uint8_t *in, size_t avail, unsigned n) {
  if (avail < 2 || n > GG_BLOCK) return 0;
  unsigned b = in[0], nexc = in[1];
  if (b > 32 || nexc > n) return 0;
  size_t k = 2 + gg_packed_bytes(n, b);
  if (k > avail) return 0;
  gg_unpack(out, in + 2, n, b);
  const uint8_t *p = in + k, *end = in + avail;
  for (unsigned e = 0; e < nexc; e++) {
    uint64_t high;
    if (p >= end) return 0;
    unsigned idx = *p++;
    if (idx >= n || gg_varint_get(&p, end, &high) || high == 0 || b >= 32 ||
        high > (0xffffffffu >> b))
      return 0;
    out[idx] |= (uint32_t)high << b;
  }
  return (size_t)(p - in);
}

size_t gg_pfor_skip(const uint8_t *in, size_t avail, unsigned n) {
  if (avail < 2 || n > GG_BLOCK) return 0;
  unsigned b = in[0], nexc = in[1];
  if (b > 32 || nexc > n) return 0;
  size_t k = 2 + gg_packed_bytes(n, b);
  for (unsigned e = 0; e < nexc; e++) {
    k++;  /* index byte */
    unsigned len = 0;
    do {
      if (k >= avail || ++len > 5) return 0;
    } while (in[k++] & 0x80);
  }
  return k <= avail ? k : 0;
}
