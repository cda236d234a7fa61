/*
** codec.h -- integer codecs for postings: LEB128 varints and bit-packed
** blocks of up to GG_BLOCK values.
**
** Bit-packing layout: value i of a block occupies bits [i*b, i*b+b) of the
** byte string, little-endian bit order (bit k of the string is bit k%8 of
** byte k/8).  A block of n values of width b takes gg_packed_bytes(n, b) =
** ceil(n*b/8) bytes.  b is 0..32; b = 0 encodes n zeros in no bytes.
**
** Decoders read whole 64-bit words, so the input must stay readable for
** GG_PACK_PAD bytes past the packed bytes.  Index files guarantee this (a
** footer always follows the data); in-memory callers must pad.
*/
#ifndef GG_CODEC_H
#define GG_CODEC_H
#include <stddef.h>
#include <stdint.h>

#define GG_BLOCK 128        /* values per full block */
#define GG_PACK_PAD 8       /* readable slack needed after packed bytes */
#define GG_VARINT_MAX 10    /* bytes of the longest uint64 varint */

static inline size_t gg_packed_bytes(unsigned n, unsigned bits) {
  return ((size_t)n * bits + 7) / 8;
}

/* Smallest width that holds every value in in[0..n). */
unsigned gg_bits_needed(const uint32_t *in, unsigned n);

/* Pack n (<= GG_BLOCK) values of width bits into out, which must have
** gg_packed_bytes(n,bits) + GG_PACK_PAD writable bytes (the GG_PACK_PAD
** bytes after the packed ones are zeroed).  Returns the bytes used.  Only
** the low `bits` bits of each value are stored. */
size_t gg_pack(uint8_t *out, const uint32_t *in, unsigned n, unsigned bits);

/* Unpack n (<= GG_BLOCK) values of width bits (<= 32).  Reads
** gg_packed_bytes(n,bits) + GG_PACK_PAD bytes of in. */
void gg_unpack(uint32_t *out, const uint8_t *in, unsigned n, unsigned bits);

/* Patched bit-packing ("PFor"): n (<= GG_BLOCK) values as
**   u8 b, u8 nexc, gg_packed_bytes(n, b) bytes of the low b bits of every
**   value, then nexc exceptions { u8 index, varint (value >> b) }.
** b is chosen to minimise the size, so a few large values (the first
** position of a document, a rare high tf) do not widen the whole block.
** Encoding needs GG_PFOR_MAX bytes of room; returns the bytes used. */
#define GG_PFOR_MAX (2 + GG_BLOCK * 4 + GG_PACK_PAD)
size_t gg_pfor_encode(uint8_t *out, const uint32_t *in, unsigned n);
/* Decode n values from in[0..avail) (GG_PACK_PAD readable bytes beyond);
** returns the bytes consumed, or 0 if the encoding is malformed or longer
** than avail. */
size_t gg_pfor_decode(uint32_t *out, const uint8_t *in, size_t avail, unsigned n);

/* Length of a PFor encoding of n values at in[0..avail) without decoding
** it; 0 if malformed (same checks as gg_pfor_decode except value ranges). */
size_t gg_pfor_skip(const uint8_t *in, size_t avail, unsigned n);

/* Write v as a LEB128 varint into p (GG_VARINT_MAX bytes room); returns length.
** Inline: the indexer writes several per word of text. */
static inline size_t gg_varint_put(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

/* Read a varint from [*pp, end).  Returns 0 and advances *pp, or -1 when the
** varint is truncated or longer than 10 bytes (corrupt input).  The
** one-byte case inline, any other in gg_varint_get_slow (same contract). */
int gg_varint_get_slow(const uint8_t **pp, const uint8_t *end, uint64_t *v);
static inline int gg_varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
  const uint8_t *p = *pp;
  if (p < end && *p < 0x80) {  /* one byte: most varints the indexer reads */
    *v = *p;
    *pp = p + 1;
    return 0;
  }
  return gg_varint_get_slow(pp, end, v);
}

#endif
