/*
** test_codec.c -- core/codec: bit-packing, PFor and varints against
** reference encoders written here from the layouts described in codec.h.
**
** Every buffer handed to the codec is malloc'd with exactly the size the
** contract promises (packed bytes + GG_PACK_PAD), so a sanitizer build
** catches any read or write beyond it.
*/
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/codec.h"

/* Reference layout: value i occupies bits [i*b, i*b+b) of the byte string,
** value bit j at string bit i*b+j; string bit k is bit k%8 of byte k/8. */
static void ref_pack(uint8_t *out, size_t nbytes, const uint32_t *in, unsigned n, unsigned b) {
  memset(out, 0, nbytes);
  for (unsigned i = 0; i < n; i++)
    for (unsigned j = 0; j < b; j++)
      if ((in[i] >> j) & 1u) {
        size_t k = (size_t)i * b + j;
        out[k / 8] |= (uint8_t)(1u << (k % 8));
      }
}

static uint32_t mask_of(unsigned b) { return b == 32 ? UINT32_MAX : b == 0 ? 0 : ((1u << b) - 1); }

static const char *pattern_name[] = {"random", "zeros", "all-ones", "alternating",
                                     "single-max", "ramp", "random-small"};
enum { NPATTERNS = 7 };

static void fill(uint32_t *v, unsigned n, unsigned b, int pattern) {
  uint32_t m = mask_of(b);
  for (unsigned i = 0; i < n; i++) {
    switch (pattern) {
      case 0: v[i] = (uint32_t)rng64() & m; break;
      case 1: v[i] = 0; break;
      case 2: v[i] = m; break;
      case 3: v[i] = (i & 1) ? m : 0; break;
      case 4: v[i] = (i == n / 2) ? m : 0; break;
      case 5: v[i] = (uint32_t)i & m; break;
      default: v[i] = (uint32_t)rng_below(3) & m; break;
    }
  }
}

static void test_pack_roundtrip(void) {
  static const unsigned ns[] = {0, 1, 2, 3, 7, 8, 9, 31, 32, 33, 64, 127, 128};
  for (unsigned b = 0; b <= 32; b++) {
    for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
      unsigned n = ns[ni];
      for (int pat = 0; pat < NPATTERNS; pat++) {
        uint32_t in[GG_BLOCK], out[GG_BLOCK + 1];
        fill(in, n, b, pat);
        size_t nbytes = ((size_t)n * b + 7) / 8;
        CHECK(gg_packed_bytes(n, b) == nbytes, "gg_packed_bytes(%u,%u)=%zu want %zu", n, b,
              gg_packed_bytes(n, b), nbytes);

        /* Pack into a buffer of exactly the promised size, pre-filled with
        ** garbage: the packer must not depend on its prior content. */
        uint8_t *buf = malloc(nbytes + GG_PACK_PAD);
        memset(buf, 0xA5, nbytes + GG_PACK_PAD);
        size_t used = gg_pack(buf, in, n, b);
        CHECK(used == nbytes, "gg_pack(n=%u,b=%u) returned %zu, want %zu", n, b, used, nbytes);

        /* The packed bytes follow the documented layout exactly. */
        uint8_t *ref = malloc(nbytes + GG_PACK_PAD);
        ref_pack(ref, nbytes, in, n, b);
        CHECK(memcmp(buf, ref, nbytes) == 0, "gg_pack(n=%u,b=%u,%s) differs from the reference layout",
              n, b, pattern_name[pat]);
        int pad_zero = 1;
        for (size_t k = 0; k < GG_PACK_PAD; k++) pad_zero &= buf[nbytes + k] == 0;
        CHECK(pad_zero, "gg_pack(n=%u,b=%u) leaves the pad bytes non-zero", n, b);
        /* Bits above the width are not stored: the same bytes with every
        ** value's high bits set. */
        if (b < 32) {
          uint32_t high[GG_BLOCK];
          for (unsigned i = 0; i < n; i++) high[i] = in[i] | ~(uint32_t)0 << b;
          memset(buf, 0x5A, nbytes + GG_PACK_PAD);
          gg_pack(buf, high, n, b);
          CHECK(memcmp(buf, ref, nbytes) == 0, "gg_pack(n=%u,b=%u,%s) stores bits above the width", n, b,
                pattern_name[pat]);
        }

        /* Unpack the reference bytes with random junk in the pad: values
        ** must not depend on bytes past the packed ones. */
        for (size_t k = 0; k < GG_PACK_PAD; k++) ref[nbytes + k] = (uint8_t)rng64();
        out[n] = 0xDEADBEEF; /* sentinel: nothing written past n values */
        gg_unpack(out, ref, n, b);
        int same = 1;
        for (unsigned i = 0; i < n; i++) same &= out[i] == in[i];
        CHECK(same, "gg_unpack(n=%u,b=%u,%s) does not give back the packed values", n, b,
              pattern_name[pat]);
        CHECK(out[n] == 0xDEADBEEF, "gg_unpack(n=%u,b=%u) wrote past n values", n, b);

        /* And the codec's own output round-trips too. */
        for (size_t k = 0; k < GG_PACK_PAD; k++) buf[nbytes + k] = 0xFF;
        gg_unpack(out, buf, n, b);
        same = 1;
        for (unsigned i = 0; i < n; i++) same &= out[i] == in[i];
        CHECK(same, "pack/unpack round trip fails for n=%u b=%u %s", n, b, pattern_name[pat]);
        free(buf);
        free(ref);
      }
    }
  }
  /* UINT32_MAX at width 32 in every slot of a full block and of a partial one. */
  for (unsigned n = 127; n <= 128; n++) {
    uint32_t in[GG_BLOCK], out[GG_BLOCK];
    for (unsigned i = 0; i < n; i++) in[i] = UINT32_MAX - (i % 2);
    uint8_t *buf = malloc(gg_packed_bytes(n, 32) + GG_PACK_PAD);
    gg_pack(buf, in, n, 32);
    gg_unpack(out, buf, n, 32);
    CHECK(memcmp(in, out, n * sizeof *in) == 0, "UINT32_MAX at width 32, n=%u", n);
    CHECK(gg_bits_needed(in, n) == 32, "bits_needed of UINT32_MAX = %u", gg_bits_needed(in, n));
    free(buf);
  }
}

static unsigned ref_bits(const uint32_t *v, unsigned n) {
  unsigned b = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned w = 0;
    for (uint32_t x = v[i]; x; x >>= 1) w++;
    if (w > b) b = w;
  }
  return b;
}

static void test_bits_needed(void) {
  uint32_t v[GG_BLOCK] = {0};
  CHECK(gg_bits_needed(v, 0) == 0, "bits_needed of no values = %u", gg_bits_needed(v, 0));
  v[0] = 0;
  CHECK(gg_bits_needed(v, 1) == 0, "bits_needed({0}) = %u", gg_bits_needed(v, 1));
  for (unsigned k = 0; k < 32; k++) {
    v[0] = 1u << k;
    CHECK(gg_bits_needed(v, 1) == k + 1, "bits_needed({2^%u}) = %u", k, gg_bits_needed(v, 1));
    v[0] = (uint32_t)(((uint64_t)1 << k) - 1);
    CHECK(gg_bits_needed(v, 1) == k, "bits_needed({2^%u-1}) = %u", k, gg_bits_needed(v, 1));
  }
  v[0] = UINT32_MAX;
  CHECK(gg_bits_needed(v, 1) == 32, "bits_needed({UINT32_MAX}) = %u", gg_bits_needed(v, 1));
  for (int round = 0; round < 2000; round++) {
    unsigned n = 1 + (unsigned)rng_below(GG_BLOCK);
    unsigned b = (unsigned)rng_below(33);
    for (unsigned i = 0; i < n; i++) v[i] = (uint32_t)rng64() & mask_of((unsigned)rng_below(b + 1));
    /* the maximum may sit anywhere, including the last slot */
    if (round % 3 == 0) v[n - 1] = mask_of(b);
    CHECK(gg_bits_needed(v, n) == ref_bits(v, n), "bits_needed mismatch: got %u want %u (n=%u)",
          gg_bits_needed(v, n), ref_bits(v, n), n);
  }
}

/* Reference LEB128. */
static size_t ref_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    p[n++] = byte;
  } while (v);
  return n;
}

static void test_varint_value(uint64_t v) {
  uint8_t ref[16];
  size_t rn = ref_varint(ref, v);
  uint8_t *buf = malloc(GG_VARINT_MAX);
  size_t n = gg_varint_put(buf, v);
  CHECK(n == rn && memcmp(buf, ref, rn) == 0, "varint_put(%llu): %zu bytes, want %zu",
        (unsigned long long)v, n, rn);
  CHECK(n <= GG_VARINT_MAX, "varint_put(%llu) used %zu bytes", (unsigned long long)v, n);
  /* decode from a buffer that ends exactly after the varint */
  uint8_t *exact = malloc(rn);
  memcpy(exact, ref, rn);
  const uint8_t *p = exact;
  uint64_t got = 0;
  int rc = gg_varint_get(&p, exact + rn, &got);
  CHECK(rc == 0 && got == v && p == exact + rn, "varint_get(%llu): rc=%d got=%llu consumed=%td",
        (unsigned long long)v, rc, (unsigned long long)got, p - exact);
  /* every proper prefix is truncated */
  for (size_t cut = 0; cut < rn; cut++) {
    p = exact;
    rc = gg_varint_get(&p, exact + cut, &got);
    CHECK(rc == -1, "varint_get of %llu cut to %zu of %zu bytes returned %d",
          (unsigned long long)v, cut, rn, rc);
  }
  free(exact);
  free(buf);
}

static void test_varint(void) {
  static const uint64_t edge[] = {0, 1, 126, 127, 128, 129, 255, 256, 16383, 16384,
                                  (1ull << 21) - 1, 1ull << 21, UINT32_MAX - 1ull, UINT32_MAX,
                                  1ull << 32, (1ull << 56) - 1, 1ull << 56, (1ull << 63) - 1,
                                  1ull << 63, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) test_varint_value(edge[i]);
  for (int i = 0; i < 3000; i++) test_varint_value(rng64() >> rng_below(64));

  /* Lengths: 0 takes 1 byte, 2^63 and UINT64_MAX take 10. */
  uint8_t b[16];
  CHECK(gg_varint_put(b, 0) == 1, "length of varint 0");
  CHECK(gg_varint_put(b, 127) == 1, "length of varint 127");
  CHECK(gg_varint_put(b, 128) == 2, "length of varint 128");
  CHECK(gg_varint_put(b, UINT32_MAX) == 5, "length of varint 2^32-1");
  CHECK(gg_varint_put(b, 1ull << 63) == 10, "length of varint 2^63");
  CHECK(gg_varint_put(b, UINT64_MAX) == 10, "length of varint UINT64_MAX");

  /* A sequence of varints decodes in order. */
  uint8_t seq[64];
  size_t n = 0;
  n += gg_varint_put(seq + n, 5);
  n += gg_varint_put(seq + n, 300);
  n += gg_varint_put(seq + n, UINT64_MAX);
  n += gg_varint_put(seq + n, 0);
  const uint8_t *p = seq;
  uint64_t v[4] = {9, 9, 9, 9};
  int rc = 0;
  for (int i = 0; i < 4; i++) rc |= gg_varint_get(&p, seq + n, &v[i]);
  CHECK(rc == 0 && v[0] == 5 && v[1] == 300 && v[2] == UINT64_MAX && v[3] == 0 && p == seq + n,
        "sequence decode");
  CHECK(gg_varint_get(&p, seq + n, &v[0]) == -1, "decode past the end must fail");

  /* Empty input. */
  p = seq;
  CHECK(gg_varint_get(&p, seq, &v[0]) == -1, "empty input must fail");

  /* Overlong: 11 bytes with the continuation bit on the first ten. */
  uint8_t over[11];
  memset(over, 0x80, 10);
  over[10] = 0x00;
  p = over;
  CHECK(gg_varint_get(&p, over + 11, &v[0]) == -1, "11-byte varint must be rejected");
  /* 10 bytes all with continuation: truncated/overlong */
  p = over;
  CHECK(gg_varint_get(&p, over + 10, &v[0]) == -1, "10 continuation bytes must be rejected");
  /* 10th byte carrying bits beyond 64 */
  uint8_t big[10];
  memset(big, 0xFF, 9);
  big[9] = 0x02;
  p = big;
  CHECK(gg_varint_get(&p, big + 10, &v[0]) == -1, "varint overflowing 64 bits must be rejected");
  big[9] = 0x7F;
  p = big;
  CHECK(gg_varint_get(&p, big + 10, &v[0]) == -1, "varint overflowing 64 bits (0x7f) must be rejected");
  big[9] = 0x01;
  p = big;
  CHECK(gg_varint_get(&p, big + 10, &v[0]) == 0 && v[0] == UINT64_MAX, "max 10-byte varint");
}


/* ---- PFor: bit-packing with exceptions ---------------------------------- */

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) n++, v >>= 7;
  return n;
}

/* Smallest encoding size over every base width b, by the layout in codec.h:
** 2 header bytes, n values of b bits, then per exception an index byte and a
** varint of value >> b. */
static size_t best_pfor_size(const uint32_t *v, unsigned n) {
  size_t best = SIZE_MAX;
  for (unsigned b = 0; b <= 32; b++) {
    size_t cost = 2 + gg_packed_bytes(n, b);
    for (unsigned i = 0; i < n; i++)
      if (b < 32 && (v[i] >> b)) cost += 1 + varint_len(v[i] >> b);
    if (cost < best) best = cost;
  }
  return best;
}

static void pfor_roundtrip(const uint32_t *in, unsigned n, const char *what) {
  uint8_t *enc = malloc(GG_PFOR_MAX);
  size_t len = gg_pfor_encode(enc, in, n);
  CHECK(len >= 2 && len <= GG_PFOR_MAX - GG_PACK_PAD, "pfor %s n=%u: size %zu", what, n, len);
  CHECK(len == best_pfor_size(in, n), "pfor %s n=%u: size %zu, smallest possible %zu", what, n, len,
        best_pfor_size(in, n));
  /* layout: header, then exceptions with valid indexes */
  unsigned b = enc[0], nexc = enc[1];
  CHECK(b <= 32 && nexc <= n, "pfor %s: header b=%u nexc=%u", what, b, nexc);
  /* decode from a buffer of exactly len + pad bytes, pad filled with junk */
  uint8_t *in2 = malloc(len + GG_PACK_PAD);
  memcpy(in2, enc, len);
  for (size_t k = 0; k < GG_PACK_PAD; k++) in2[len + k] = (uint8_t)rng64();
  uint32_t out[GG_BLOCK + 1];
  out[n] = 0xCAFEF00D;
  size_t used = gg_pfor_decode(out, in2, len, n);
  CHECK(used == len, "pfor %s n=%u: decode consumed %zu of %zu", what, n, used, len);
  CHECK(memcmp(out, in, n * sizeof *in) == 0, "pfor %s n=%u: values differ after the round trip", what, n);
  CHECK(out[n] == 0xCAFEF00D, "pfor %s: wrote past n", what);
  /* more bytes available than needed: consumes only its own */
  uint8_t *in3 = malloc(len + 5 + GG_PACK_PAD);
  memcpy(in3, enc, len);
  memset(in3 + len, 0x55, 5 + GG_PACK_PAD);
  CHECK(gg_pfor_decode(out, in3, len + 5, n) == len, "pfor %s: consumed with slack", what);
  /* skipping without decoding measures the same length */
  CHECK(gg_pfor_skip(in2, len, n) == len, "pfor %s n=%u: skip says %zu, length %zu", what, n,
        gg_pfor_skip(in2, len, n), len);
  CHECK(gg_pfor_skip(in3, len + 5, n) == len, "pfor %s: skip with slack", what);
  /* every shorter availability is refused */
  for (size_t cut = 0; cut < len; cut++) {
    CHECK(gg_pfor_decode(out, in2, cut, n) == 0, "pfor %s n=%u: decoded from %zu of %zu bytes", what, n,
          cut, len);
    CHECK(gg_pfor_skip(in2, cut, n) == 0, "pfor %s n=%u: skipped within %zu of %zu bytes", what, n,
          cut, len);
  }
  free(in3);
  free(in2);
  free(enc);
}

static void test_pfor(void) {
  static const unsigned ns[] = {1, 2, 3, 17, 64, 127, 128};
  uint32_t v[GG_BLOCK];
  for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
    unsigned n = ns[ni];
    for (int round = 0; round < 60; round++) {
      unsigned base = (unsigned)rng_below(33);
      for (unsigned i = 0; i < n; i++) v[i] = (uint32_t)rng64() & mask_of(base);
      /* a few outliers of any width: the case PFor is for */
      unsigned nout = (unsigned)rng_below(5);
      for (unsigned k = 0; k < nout; k++) v[rng_below(n)] = (uint32_t)rng64() >> rng_below(32);
      pfor_roundtrip(v, n, "random+outliers");
    }
    memset(v, 0, sizeof v);
    pfor_roundtrip(v, n, "zeros");
    for (unsigned i = 0; i < n; i++) v[i] = UINT32_MAX;
    pfor_roundtrip(v, n, "all UINT32_MAX");
    for (unsigned i = 0; i < n; i++) v[i] = i == n - 1 ? UINT32_MAX : 1;
    pfor_roundtrip(v, n, "ones and one UINT32_MAX");
    for (unsigned i = 0; i < n; i++) v[i] = i % 2 ? (1u << 31) : 0;
    pfor_roundtrip(v, n, "alternating 2^31");
    for (unsigned i = 0; i < n; i++) v[i] = i;
    pfor_roundtrip(v, n, "ramp");
  }
  /* Outliers really are exceptions: 127 ones and one 2^30 cost far less
  ** than 128 values of 31 bits. */
  for (unsigned i = 0; i < GG_BLOCK; i++) v[i] = 1;
  v[77] = 1u << 30;
  uint8_t enc[GG_PFOR_MAX];
  size_t len = gg_pfor_encode(enc, v, GG_BLOCK);
  CHECK(enc[0] == 1 && enc[1] == 1 && len < 30, "one outlier: b=%u nexc=%u size %zu", enc[0], enc[1], len);

  /* Malformed encodings are refused, never read out of bounds. */
  uint8_t bad[64 + GG_PACK_PAD];
  uint32_t out[GG_BLOCK];
  memset(bad, 0, sizeof bad);
  bad[0] = 33;
  CHECK(gg_pfor_decode(out, bad, 64, 4) == 0, "b = 33 refused");
  bad[0] = 1;
  bad[1] = 5;
  CHECK(gg_pfor_decode(out, bad, 64, 4) == 0, "more exceptions than values refused");
  /* b=1, n=4: 1 packed byte, then exception {index 4 (>= n), 1} */
  bad[1] = 1;
  bad[2] = 0;
  bad[3] = 4;
  bad[4] = 1;
  CHECK(gg_pfor_decode(out, bad, 5, 4) == 0, "exception index out of range refused");
  bad[3] = 2;
  bad[4] = 0;
  CHECK(gg_pfor_decode(out, bad, 5, 4) == 0, "exception with high part 0 refused");
  bad[4] = 0xFF; /* truncated varint */
  CHECK(gg_pfor_decode(out, bad, 5, 4) == 0, "truncated exception varint refused");
  /* high part overflowing 32 bits: b=1, high = 2^31 */
  size_t k = 4 + gg_varint_put(bad + 4, 1ull << 31);
  CHECK(gg_pfor_decode(out, bad, k, 4) == 0, "exception overflowing 32 bits refused");
  k = 4 + gg_varint_put(bad + 4, (1ull << 31) - 1);
  CHECK(gg_pfor_decode(out, bad, k, 4) == k && out[2] == UINT32_MAX - 1, "largest exception accepted");
  /* b=32 with an exception is malformed */
  memset(bad, 0, sizeof bad);
  bad[0] = 32;
  bad[1] = 1;
  bad[2 + 4] = 0;
  bad[2 + 4 + 1] = 1;
  CHECK(gg_pfor_decode(out, bad, 2 + 4 + 2, 1) == 0, "exception with b = 32 refused");
  CHECK(gg_pfor_decode(out, bad, 1, 1) == 0, "one byte refused");
  /* random bytes: never more than avail consumed */
  for (int round = 0; round < 20000; round++) {
    uint8_t junk[96 + GG_PACK_PAD];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)rng64();
    if (round % 2) junk[0] %= 8;
    if (round % 3) junk[1] %= 4;
    size_t avail = rng_below(97);
    unsigned n = 1 + (unsigned)rng_below(GG_BLOCK);
    size_t used = gg_pfor_decode(out, junk, avail, n);
    CHECK(used <= avail, "random bytes: consumed %zu of %zu", used, avail);
  }
}

int main(void) {
  rng_seed(20240611);
  test_pack_roundtrip();
  test_bits_needed();
  test_varint();
  test_pfor();
  CHECK_EXIT();
}
