/*
** test_pagefile.c -- core/pagefile: the checksummed container.
**   - sections written are read back byte for byte, at the layout
**     pagefile.h describes (header, pages, section table, page checks, footer);
**   - a flipped byte in one page makes exactly the ranges touching that
**     page fail with GG_ECORRUPT (naming the file); others still read;
**   - truncated, foreign or future-version files fail to open.
*/
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "check.h"
#include "core/buf.h"
#include "core/pagefile.h"
#include "testutil.h"

typedef struct sec {
  uint32_t kind;
  uint64_t off, len;
} sec;

/* Section contents: byte i of section kind k is a fixed function of (k, i). */
static uint8_t content(uint32_t kind, uint64_t i) {
  uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)kind * 0xC2B2AE3D27D4EB4Full;
  return (uint8_t)(x >> 29);
}

/* Write a file with sections of the given lengths; returns its size. */
static uint64_t write_file(const char *path, const char magic[8], const uint64_t *lens, size_t n,
                           sec *out) {
  gg_pfw *w;
  gg_error err;
  REQUIRE(gg_pfw_create(path, magic, &w, &err) == GG_OK, "create %s: %s", path, err.msg);
  CHECK(gg_pfw_offset(w) == GG_HEADER_SIZE, "first offset after the header: %llu",
        (unsigned long long)gg_pfw_offset(w));
  uint8_t *buf = malloc(1 << 16);
  for (size_t s = 0; s < n; s++) {
    out[s].kind = (uint32_t)(s + 1);
    out[s].off = gg_pfw_offset(w);
    out[s].len = lens[s];
    /* write in uneven pieces so page splitting inside gg_pfw_write is used */
    uint64_t done = 0;
    while (done < lens[s]) {
      uint64_t k = 1 + rng_below(9000);
      if (k > lens[s] - done) k = lens[s] - done;
      for (uint64_t i = 0; i < k; i++) buf[i] = content(out[s].kind, done + i);
      gg_pfw_write(w, buf, (size_t)k);
      done += k;
    }
    gg_pfw_section(w, out[s].kind, out[s].off, out[s].len);
  }
  free(buf);
  uint64_t size = 0;
  REQUIRE(gg_pfw_finish(w, &size, &err) == GG_OK, "finish %s: %s", path, err.msg);
  struct stat st;
  REQUIRE(stat(path, &st) == 0, "stat %s", path);
  CHECK((uint64_t)st.st_size == size, "reported size %llu, on disk %lld", (unsigned long long)size,
        (long long)st.st_size);
  return size;
}

static int section_ok(gg_pfr *r, const sec *s) {
  gg_error err;
  const uint8_t *p = gg_pfr_get(r, s->off, s->len, &err);
  if (!p) return 0;
  for (uint64_t i = 0; i < s->len; i++)
    if (p[i] != content(s->kind, i)) return 0;
  return 1;
}

static void patch_byte(const char *path, uint64_t off, uint8_t x) {
  int fd = open(path, O_RDWR);
  uint8_t c;
  REQUIRE(fd >= 0 && pread(fd, &c, 1, (off_t)off) == 1, "read %s@%llu", path, (unsigned long long)off);
  c ^= x;
  REQUIRE(pwrite(fd, &c, 1, (off_t)off) == 1, "write");
  close(fd);
}

static void copy_file(const char *from, const char *to) {
  size_t n;
  unsigned char *b = tu_read(from, &n);
  REQUIRE(b, "read %s", from);
  tu_write(to, b, n);
  free(b);
}

static void test_layout_and_roundtrip(const char *dir) {
  /* 100 B, 10000 B (crosses pages), 0 B, 5000 B, 1 B */
  const uint64_t lens[] = {100, 10000, 0, 5000, 1};
  const size_t n = sizeof lens / sizeof lens[0];
  sec secs[8];
  char *path = tu_path(dir, "a.gg");
  uint64_t size = write_file(path, GG_MAGIC_SEGMENT, lens, n, secs);

  /* Layout per pagefile.h. */
  size_t fn;
  unsigned char *f = tu_read(path, &fn);
  REQUIRE(f && fn == size, "read back");
  CHECK(memcmp(f, GG_MAGIC_SEGMENT, 8) == 0, "magic at 0");
  CHECK(gg_get_u32(f + 8) == GG_FORMAT_VERSION, "version at 8");
  CHECK(gg_get_u32(f + 12) == GG_PAGE_SIZE, "page size at 12");
  const uint8_t *foot = f + fn - GG_FOOTER_SIZE;
  uint64_t table_off = gg_get_u64(foot), crc_off = gg_get_u64(foot + 16);
  uint32_t nsec = gg_get_u32(foot + 8);
  uint64_t data_bytes = GG_HEADER_SIZE + 100 + 10000 + 5000 + 1;
  CHECK(table_off == data_bytes, "section table at %llu, want %llu", (unsigned long long)table_off,
        (unsigned long long)data_bytes);
  CHECK(nsec == n, "%u sections", nsec);
  CHECK(crc_off == table_off + n * GG_SECTION_ENTRY, "check table offset");
  CHECK(gg_get_u64(foot + 24) == fn, "file size in footer");
  CHECK(memcmp(foot + 32, "GGEND\r\n\x1a", 8) == 0, "end magic");
  CHECK(gg_get_u32(foot + 44) == (uint32_t)crc32(0, foot, 44), "the file ends with the footer's CRC");
  uint64_t npages = (crc_off + GG_PAGE_SIZE - 1) / GG_PAGE_SIZE;
  CHECK(fn == crc_off + npages * 4 + GG_FOOTER_SIZE, "check table holds one u32 per page");
  CHECK(gg_get_u32(foot + 40) == (uint32_t)crc32(0, f + crc_off, (uInt)(npages * 4)),
        "footer holds the CRC-32 of the check table");
  for (uint64_t pg = 0; pg < npages; pg++) {
    uint64_t s = pg * GG_PAGE_SIZE, e = s + GG_PAGE_SIZE < crc_off ? s + GG_PAGE_SIZE : crc_off;
    CHECK(gg_get_u32(f + crc_off + pg * 4) == (uint32_t)XXH3_64bits(f + s, (size_t)(e - s)),
          "check of page %llu is the low half of its XXH3-64", (unsigned long long)pg);
  }
  for (size_t s = 0; s < n; s++) {
    const uint8_t *e = f + table_off + s * GG_SECTION_ENTRY;
    CHECK(gg_get_u32(e) == secs[s].kind && gg_get_u64(e + 8) == secs[s].off &&
              gg_get_u64(e + 16) == secs[s].len,
          "section entry %zu", s);
  }
  free(f);

  /* Read back through the API. */
  gg_pfr *r;
  gg_error err;
  REQUIRE(gg_pfr_open(path, GG_MAGIC_SEGMENT, &r, &err) == GG_OK, "open: %s", err.msg);
  CHECK(strcmp(gg_pfr_path(r), path) == 0, "path");
  for (size_t s = 0; s < n; s++) {
    uint64_t off, len;
    CHECK(gg_pfr_section(r, secs[s].kind, &off, &len, &err) == GG_OK && off == secs[s].off &&
              len == secs[s].len,
          "section %u lookup", secs[s].kind);
    CHECK(section_ok(r, &secs[s]), "section %u content", secs[s].kind);
  }
  uint64_t off, len;
  CHECK(gg_pfr_section(r, 99, &off, &len, &err) == GG_ECORRUPT, "missing section is GG_ECORRUPT");
  /* ranges beyond the data are refused */
  CHECK(gg_pfr_get(r, table_off + n * GG_SECTION_ENTRY, 1, &err) == NULL && err.code == GG_ECORRUPT,
        "range past the data refused");
  CHECK(gg_pfr_get(r, 10, UINT64_MAX - 5, &err) == NULL && err.code == GG_ECORRUPT,
        "overflowing range refused");
  CHECK(gg_pfr_get(r, 5, 0, &err) != NULL, "empty range");
  CHECK(gg_pfr_verify_all(r, &err) == GG_OK, "verify_all: %s", err.msg);
  gg_pfr_close(r);

  /* A segment file is not a manifest. */
  CHECK(gg_pfr_open(path, GG_MAGIC_MANIFEST, &r, &err) == GG_ECORRUPT && r == NULL,
        "wrong magic refused");

  /* Existing path: create refuses (O_EXCL). */
  gg_pfw *w;
  CHECK(gg_pfw_create(path, GG_MAGIC_SEGMENT, &w, &err) == GG_EIO && w == NULL, "create over existing");

  /* Missing file. */
  char *missing = tu_path(dir, "nope.gg");
  CHECK(gg_pfr_open(missing, GG_MAGIC_SEGMENT, &r, &err) == GG_ENOINDEX, "missing file");
  free(missing);
  free(path);
}

static void test_damage(const char *dir) {
  /* 5 data pages: sections of 4000, 9000, 4000, 3000 bytes. */
  const uint64_t lens[] = {4000, 9000, 4000, 3000};
  sec secs[4];
  char *clean = tu_path(dir, "clean.gg");
  uint64_t size = write_file(clean, GG_MAGIC_SEGMENT, lens, 4, secs);
  char *bad = tu_path(dir, "bad.gg");
  gg_error err;
  gg_pfr *r;

  /* Flip a byte in page 2 (bytes 8192..12287), inside section 2. */
  copy_file(clean, bad);
  patch_byte(bad, 9000, 0x10);
  REQUIRE(gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err) == GG_OK, "open must succeed (page 2 not read): %s",
          err.msg);
  /* ranges inside page 0, 1, 3 still read */
  CHECK(section_ok(r, &secs[0]), "section 1 (pages 0) still reads");
  CHECK(gg_pfr_get(r, 4096, 4096, &err) != NULL, "page 1 reads");
  CHECK(gg_pfr_get(r, 12288, 1000, &err) != NULL, "page 3 reads");
  /* any range touching page 2 fails, every time */
  for (int i = 0; i < 2; i++) {
    err.code = 0;
    err.msg[0] = 0;
    CHECK(gg_pfr_get(r, 9000, 1, &err) == NULL && err.code == GG_ECORRUPT, "flipped byte detected");
    CHECK(strstr(err.msg, bad) != NULL, "message names the file: %s", err.msg);
  }
  CHECK(gg_pfr_get(r, 8191, 2, &err) == NULL, "range straddling into page 2 fails");
  CHECK(gg_pfr_get(r, 12287, 1, &err) == NULL, "last byte of page 2 fails");
  CHECK(!section_ok(r, &secs[1]), "section 2 fails");
  CHECK(gg_pfr_get(r, 12288, 10, &err) != NULL, "page 3 after the failure still reads");
  CHECK(gg_pfr_verify_all(r, &err) == GG_ECORRUPT, "verify_all detects the flip");
  gg_pfr_close(r);

  /* A byte of the check table: the page it covers fails, the others read. */
  copy_file(clean, bad);
  size_t fn;
  unsigned char *f = tu_read(clean, &fn);
  uint64_t crc_off = gg_get_u64(f + fn - GG_FOOTER_SIZE + 16);
  free(f);
  patch_byte(bad, crc_off + 1 * 4 + 2, 0x01);  /* check of page 1 */
  if (gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err) == GG_OK) {
    CHECK(gg_pfr_get(r, 5000, 10, &err) == NULL && err.code == GG_ECORRUPT, "page 1 with a bad check fails");
    CHECK(gg_pfr_get(r, 100, 10, &err) != NULL, "page 0 reads");
    CHECK(gg_pfr_verify_all(r, &err) == GG_ECORRUPT, "verify_all");
    gg_pfr_close(r);
  } else {
    CHECK(0, "open failed on a check-table flip of a page not read at open: %s", err.msg);
  }

  /* The header page is checked at open. */
  copy_file(clean, bad);
  patch_byte(bad, 20, 0x01);  /* reserved header byte */
  CHECK(gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err) == GG_ECORRUPT, "header damage at open");
  CHECK(strstr(err.msg, bad) != NULL, "message names the file: %s", err.msg);

  /* Version from the future: GG_EVERSION naming the file. */
  copy_file(clean, bad);
  patch_byte(bad, 8, 0x03);
  CHECK(gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err) == GG_EVERSION, "version patch: %s", err.msg);
  CHECK(strstr(err.msg, bad) != NULL, "message names the file: %s", err.msg);

  /* Bad magic. */
  copy_file(clean, bad);
  patch_byte(bad, 0, 0x20);
  CHECK(gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err) == GG_ECORRUPT, "bad magic");

  /* Every footer byte matters. */
  for (uint64_t k = 0; k < GG_FOOTER_SIZE; k++) {
    copy_file(clean, bad);
    patch_byte(bad, size - GG_FOOTER_SIZE + k, 0x40);
    int rc = gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err);
    CHECK(rc == GG_ECORRUPT, "footer byte %llu: rc %d", (unsigned long long)k, rc);
    if (rc == GG_OK) gg_pfr_close(r);
  }

  /* Section table damage is found at open. */
  copy_file(clean, bad);
  patch_byte(bad, GG_HEADER_SIZE + 20000 + 9, 0x01);
  CHECK(gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err) == GG_ECORRUPT, "section table damage");

  /* Truncations. */
  uint64_t cuts[] = {0, 1, 31, 32, 79, 80, 4096, size / 2, size - GG_FOOTER_SIZE - 1,
                     size - GG_FOOTER_SIZE, size - 4, size - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    copy_file(clean, bad);
    REQUIRE(truncate(bad, (off_t)cuts[i]) == 0, "truncate");
    int rc = gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err);
    CHECK(rc == GG_ECORRUPT, "truncated to %llu of %llu: rc %d", (unsigned long long)cuts[i],
          (unsigned long long)size, rc);
    if (rc == GG_OK) gg_pfr_close(r);
    else CHECK(strstr(err.msg, bad) != NULL, "message names the file: %s", err.msg);
  }
  /* Appended bytes are damage too. */
  copy_file(clean, bad);
  FILE *fa = fopen(bad, "ab");
  fputc('x', fa);
  fclose(fa);
  CHECK(gg_pfr_open(bad, GG_MAGIC_SEGMENT, &r, &err) == GG_ECORRUPT, "appended byte");
  free(clean);
  free(bad);
}

static void test_edges(const char *dir) {
  gg_error err;
  gg_pfr *r;
  /* No sections at all. */
  char *p0 = tu_path(dir, "empty.gg");
  sec s[4];
  write_file(p0, GG_MAGIC_MANIFEST, NULL, 0, s);
  CHECK(gg_pfr_open(p0, GG_MAGIC_MANIFEST, &r, &err) == GG_OK, "empty file opens: %s", err.msg);
  if (r) {
    CHECK(gg_pfr_verify_all(r, &err) == GG_OK, "verify empty");
    gg_pfr_close(r);
  }
  /* Data ending exactly on a page boundary, and one byte either side. */
  for (int d = -1; d <= 1; d++) {
    char name[32];
    snprintf(name, sizeof name, "edge%d.gg", d + 1);
    char *p = tu_path(dir, name);
    /* header+first = one page; second + the 2-entry section table end at 8192+d */
    uint64_t lens[2] = {4096 - GG_HEADER_SIZE, (uint64_t)(4096 - 2 * GG_SECTION_ENTRY + d)};
    write_file(p, GG_MAGIC_SEGMENT, lens, 2, s);
    if (gg_pfr_open(p, GG_MAGIC_SEGMENT, &r, &err) == GG_OK) {
      CHECK(section_ok(r, &s[0]) && section_ok(r, &s[1]), "page-boundary sections (%d)", d);
      CHECK(gg_pfr_verify_all(r, &err) == GG_OK, "verify (%d): %s", d, err.msg);
      gg_pfr_close(r);
    } else {
      CHECK(0, "open page-boundary file (%d): %s", d, err.msg);
    }
    free(p);
  }
  /* Aborted writer leaves no file. */
  char *pa = tu_path(dir, "aborted.gg");
  gg_pfw *w;
  REQUIRE(gg_pfw_create(pa, GG_MAGIC_SEGMENT, &w, &err) == GG_OK, "create");
  gg_pfw_write(w, "abc", 3);
  gg_pfw_abort(w);
  CHECK(access(pa, F_OK) != 0, "aborted file removed");
  free(pa);
  free(p0);
}

/* gg_page_check (which picks XXH3's AVX2 kernel when the CPU has it) against
** XXH3 as compiled here (the SSE2 baseline): every length up to a page, at
** alignments that vary with the length, on random bytes and on one byte
** repeated. */
static void test_page_check(void) {
  static uint8_t buf[GG_PAGE_SIZE + 64];
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < sizeof buf; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    buf[i] = (uint8_t)x;
  }
  int bad = 0;
  for (int fill = 0; fill < 2; fill++) {
    if (fill) memset(buf, 0xA5, sizeof buf);
    for (size_t n = 0; n <= GG_PAGE_SIZE; n++) {
      size_t off = (n * 7) % 64;
      if (gg_page_check(buf + off, n) != (uint32_t)XXH3_64bits(buf + off, n)) bad++;
    }
  }
  CHECK(bad == 0, "gg_page_check differs from XXH3_64bits for %d lengths", bad);
}

int main(void) {
  rng_seed(4242);
  char *dir = tu_mkdtemp("pagefile");
  test_page_check();
  test_layout_and_roundtrip(dir);
  test_damage(dir);
  test_edges(dir);
  tu_rm_rf(dir);
  free(dir);
  CHECK_EXIT();
}
