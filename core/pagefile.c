/*
** pagefile.c -- page-checksummed file container (see pagefile.h and
** docs/FORMAT.md).
*/
#define _GNU_SOURCE
#include "pagefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"

/* xxHash is used header-only: XXH3 inlined here, nothing to link or to
** resolve at start-up. */
#define XXH_INLINE_ALL
#include <xxhash.h>

const char GG_MAGIC_SEGMENT[8] = {'G', 'G', 'S', 'E', 'G', '\r', '\n', 0x1a};
const char GG_MAGIC_MANIFEST[8] = {'G', 'G', 'M', 'A', 'N', '\r', '\n', 0x1a};
static const char MAGIC_END[8] = {'G', 'G', 'E', 'N', 'D', '\r', '\n', 0x1a};

#define WRITE_CHUNK (1u << 20)
/* Written bytes are handed to the disk in steps of this (sync_file_range,
** which only starts the writes), so that the fsync that publishes the file
** waits for the last step's worth, not for the whole file, which the
** kernel's own write-back would otherwise mostly leave until then.  One
** write buffer: reuters' 13.5 MB segment's fsync took 3.9 ms with 8 MiB
** steps, 0.75 ms with 1 MiB. */
#define WRITEBACK_STEP ((uint64_t)WRITE_CHUNK)

struct gg_pfw {
  int fd;
  char *path;
  uint64_t off;           /* bytes appended so far == file offset of the next byte */
  uint64_t written;       /* bytes passed to write() */
  uint64_t writeback;     /* bytes whose write-back was started */
  gg_buf page_checks;     /* u32 per completed page */
  gg_buf sections;        /* section table entries */
  uint8_t *out;           /* write-behind buffer of WRITE_CHUNK bytes; it is flushed only
                          ** when full, and WRITE_CHUNK is a multiple of GG_PAGE_SIZE, so
                          ** the current page's bytes are always contiguous in it */
  size_t out_n;
  int rc;                 /* sticky: first error */
  gg_error err;
};

static void flush_out(gg_pfw *w) {
  size_t done = 0;
  while (w->rc == GG_OK && done < w->out_n) {
    ssize_t k = write(w->fd, w->out + done, w->out_n - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      w->rc = gg_fail(&w->err, GG_EIO, "%s: write failed: %s", w->path, strerror(errno));
      break;
    }
    done += (size_t)k;
  }
  w->written += done;
  w->out_n = 0;
#if defined(SYNC_FILE_RANGE_WRITE)
  if (w->rc == GG_OK && w->written - w->writeback >= WRITEBACK_STEP) {
    /* Advisory: a failure here is met again, and reported, by fsync. */
    (void)sync_file_range(w->fd, (off_t)w->writeback, (off_t)(w->written - w->writeback),
                          SYNC_FILE_RANGE_WRITE);
    w->writeback = w->written;
  }
#endif
}

#if defined(GG_HAVE_AVX2_CHECK)
uint32_t gg_page_check_avx2(const void *p, size_t n);
#if defined(GG_HAVE_PLATFORM_X86_H)
#include <sys/platform/x86.h>
/* glibc's cached CPU features: no cpuid (slow under virtual machines). */
static int have_avx2(void) { return CPU_FEATURE_ACTIVE(AVX2); }
#else
#include <cpuid.h>
#include <stdatomic.h>
/* Other C libraries (musl) keep no feature table: ask the CPU once, on the
** first check, with two cpuid instructions (each a trap to the hypervisor
** under virtualisation, ~6 us here) and xgetbv (is the AVX state enabled by
** the OS?).  A race only repeats the question. */
static int have_avx2(void) {
  static atomic_int known = -1;
  int v = atomic_load_explicit(&known, memory_order_relaxed);
  if (v >= 0) return v;
  unsigned a, b, c, d;
  v = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
    unsigned xcr0_lo, xcr0_hi;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6) == 6 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) v = (b & bit_AVX2) != 0;
  }
  atomic_store_explicit(&known, v, memory_order_relaxed);
  return v;
}
#endif
#endif

uint32_t gg_page_check(const void *p, size_t n) {
#if defined(GG_HAVE_AVX2_CHECK)
  if (have_avx2()) return gg_page_check_avx2(p, n);
#endif
  return (uint32_t)XXH3_64bits(p, n);
}

/* Append unchecked bytes (the check table and the footer). */
static void put_raw(gg_pfw *w, const uint8_t *p, size_t n) {
  while (n > 0 && w->rc == GG_OK) {
    size_t k = WRITE_CHUNK - w->out_n;
    if (k > n) k = n;
    memcpy(w->out + w->out_n, p, k);
    w->out_n += k;
    p += k;
    n -= k;
    if (w->out_n == WRITE_CHUNK) flush_out(w);
  }
}

/* Record the check of the page that ends at w->off (a partial last page
** when w->off is not a page boundary).  Its bytes are the tail of w->out. */
static void close_page(gg_pfw *w) {
  size_t in_page = (size_t)(w->off % GG_PAGE_SIZE);
  if (in_page == 0) in_page = GG_PAGE_SIZE;
  gg_buf_put_u32(&w->page_checks, gg_page_check(w->out + w->out_n - in_page, in_page));
}

/* Append checked bytes, closing each page as it fills. */
void gg_pfw_write(gg_pfw *w, const void *src, size_t n) {
  const uint8_t *p = src;
  while (n > 0 && w->rc == GG_OK) {
    size_t k = GG_PAGE_SIZE - (size_t)(w->off % GG_PAGE_SIZE);
    if (k > n) k = n;
    memcpy(w->out + w->out_n, p, k);
    w->out_n += k;
    w->off += k;
    p += k;
    n -= k;
    if (w->off % GG_PAGE_SIZE == 0) {
      close_page(w);
      if (w->out_n == WRITE_CHUNK) flush_out(w);
    }
  }
}

int gg_pfw_create(const char *path, const char magic[8], gg_pfw **out, gg_error *err) {
  *out = NULL;
  gg_pfw *w = calloc(1, sizeof *w);
  if (!w) return gg_nomem(err);
  w->path = strdup(path);
  w->out = malloc(WRITE_CHUNK);
  if (!w->path || !w->out) {
    free(w->path);
    free(w->out);
    free(w);
    return gg_nomem(err);
  }
  w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (w->fd < 0) {
    int rc = gg_fail(err, GG_EIO, "%s: cannot create: %s", path, strerror(errno));
    free(w->path);
    free(w->out);
    free(w);
    return rc;
  }
  uint8_t h[GG_HEADER_SIZE] = {0};
  memcpy(h, magic, 8);
  gg_set_u32(h + 8, GG_FORMAT_VERSION);
  gg_set_u32(h + 12, GG_PAGE_SIZE);
  gg_pfw_write(w, h, sizeof h);
  *out = w;
  return GG_OK;
}

uint64_t gg_pfw_offset(const gg_pfw *w) { return w->off; }

void gg_pfw_section(gg_pfw *w, uint32_t kind, uint64_t off, uint64_t len) {
  gg_buf_put_u32(&w->sections, kind);
  gg_buf_put_u32(&w->sections, 0);
  gg_buf_put_u64(&w->sections, off);
  gg_buf_put_u64(&w->sections, len);
}

static void pfw_free(gg_pfw *w) {
  if (w->fd >= 0) close(w->fd);
  gg_buf_free(&w->page_checks);
  gg_buf_free(&w->sections);
  free(w->out);
  free(w->path);
  free(w);
}

void gg_pfw_abort(gg_pfw *w) {
  if (!w) return;
  unlink(w->path);
  pfw_free(w);
}

int gg_pfw_finish(gg_pfw *w, uint64_t *size, gg_error *err) {
  if (w->sections.oom && w->rc == GG_OK) w->rc = gg_nomem(&w->err);
  uint64_t table_off = w->off;
  uint32_t nsections = (uint32_t)(w->sections.n / GG_SECTION_ENTRY);
  gg_pfw_write(w, w->sections.p, w->sections.n);
  uint64_t check_off = w->off;
  if (w->rc == GG_OK && w->off % GG_PAGE_SIZE) close_page(w);
  if (w->page_checks.oom && w->rc == GG_OK) w->rc = gg_nomem(&w->err);
  put_raw(w, w->page_checks.p, w->page_checks.n);
  uint64_t file_size = check_off + w->page_checks.n + GG_FOOTER_SIZE;
  uint8_t f[GG_FOOTER_SIZE];
  gg_set_u64(f, table_off);
  gg_set_u32(f + 8, nsections);
  gg_set_u32(f + 12, GG_PAGE_SIZE);
  gg_set_u64(f + 16, check_off);
  gg_set_u64(f + 24, file_size);
  memcpy(f + 32, MAGIC_END, 8);
  gg_set_u32(f + 40, (uint32_t)crc32_z(0, w->page_checks.p, w->page_checks.n));
  gg_set_u32(f + 44, (uint32_t)crc32(0, f, 44));  /* the file ends with a CRC-32 */
  put_raw(w, f, sizeof f);
  flush_out(w);
  if (w->rc == GG_OK && fsync(w->fd) != 0)
    w->rc = gg_fail(&w->err, GG_EIO, "%s: fsync failed: %s", w->path, strerror(errno));
  if (w->rc == GG_OK && close(w->fd) != 0)
    w->rc = gg_fail(&w->err, GG_EIO, "%s: close failed: %s", w->path, strerror(errno));
  w->fd = -1;
  int rc = w->rc;
  if (rc != GG_OK) {
    if (err) *err = w->err;
    gg_pfw_abort(w);
    return rc;
  }
  if (size) *size = file_size;
  pfw_free(w);
  return GG_OK;
}

int gg_fsync_dir(const char *dir, gg_error *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return gg_fail(err, GG_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return gg_fail(err, GG_EIO, "%s: fsync failed: %s", dir, strerror(errno));
  return GG_OK;
}

/* ---- reading -------------------------------------------------------- */

struct gg_pfr {
  char *path;
  const uint8_t *map;     /* the whole file */
  uint64_t size;
  uint64_t data_end;      /* == offset of the check table; pages cover [0, data_end) */
  uint64_t npages;
  const uint8_t *checks;  /* npages little-endian u32, covered by table_crc */
  uint8_t *verified;      /* bit per page: check already matched */
  uint64_t table_off;
  uint32_t nsections;
  uint32_t table_crc;     /* CRC-32 of the check table, from the footer */
};

static int verify_pages(gg_pfr *r, uint64_t first, uint64_t last, gg_error *err) {
  for (uint64_t pg = first; pg <= last; pg++) {
    if (r->verified[pg >> 3] & (1u << (pg & 7))) continue;
    uint64_t start = pg * GG_PAGE_SIZE;
    uint64_t end = start + GG_PAGE_SIZE < r->data_end ? start + GG_PAGE_SIZE : r->data_end;
    if (gg_page_check(r->map + start, (size_t)(end - start)) != gg_get_u32(r->checks + pg * 4))
      return gg_fail(err, GG_ECORRUPT, "%s: checksum mismatch in page %llu (bytes %llu-%llu)",
                     r->path, (unsigned long long)pg, (unsigned long long)start,
                     (unsigned long long)end);
    r->verified[pg >> 3] |= (uint8_t)(1u << (pg & 7));
  }
  return GG_OK;
}

const uint8_t *gg_pfr_get(gg_pfr *r, uint64_t off, uint64_t len, gg_error *err) {
  if (off > r->data_end || len > r->data_end - off) {
    gg_fail(err, GG_ECORRUPT, "%s: reference to bytes %llu+%llu beyond the data (%llu bytes)",
            r->path, (unsigned long long)off, (unsigned long long)len,
            (unsigned long long)r->data_end);
    return NULL;
  }
  if (len > 0) {
    uint64_t first = off / GG_PAGE_SIZE, last = (off + len - 1) / GG_PAGE_SIZE;
    if (verify_pages(r, first, last, err) != GG_OK) return NULL;
  }
  return r->map + off;
}

static void willneed_bytes(const gg_pfr *r, uint64_t off, uint64_t len) {
  uint64_t start = off & ~(uint64_t)(GG_PAGE_SIZE - 1);
  madvise((void *)(r->map + start), (size_t)(off + len - start), MADV_WILLNEED);
}

int gg_pfr_resident(const gg_pfr *r, uint64_t off) {
  unsigned char in_core = 1;
  if (off >= r->size) return 1;
  uint64_t start = off & ~(uint64_t)(GG_PAGE_SIZE - 1);
  if (mincore((void *)(r->map + start), 1, &in_core) != 0) return 1;
  return in_core & 1;
}

/* Ranges of more pages than this whose first, middle and last pages are
** in the page cache are taken as read already: three mincore calls cost
** less than the kernel's walk over such a range for MADV_WILLNEED (about
** 5 us per MB), which a hot query would pay for nothing. */
#define WILLNEED_PROBE_PAGES 16

void gg_pfr_willneed(gg_pfr *r, uint64_t off, uint64_t len) {
  if (off >= r->size || len == 0) return;
  if (len > r->size - off) len = r->size - off;
  if (len > WILLNEED_PROBE_PAGES * GG_PAGE_SIZE && gg_pfr_resident(r, off) &&
      gg_pfr_resident(r, off + len / 2) && gg_pfr_resident(r, off + len - 1))
    return;
  willneed_bytes(r, off, len);
  /* The check entries of those pages, which their first read needs too. */
  if (off < r->data_end) {
    uint64_t last = (off + len - 1 < r->data_end ? off + len - 1 : r->data_end - 1) / GG_PAGE_SIZE;
    uint64_t first = off / GG_PAGE_SIZE;
    willneed_bytes(r, r->data_end + first * 4, (last - first + 1) * 4);
  }
}

void gg_pfr_close(gg_pfr *r) {
  if (!r) return;
  if (r->map) munmap((void *)r->map, (size_t)r->size);
  free(r->verified);
  free(r->path);
  free(r);
}

const char *gg_pfr_path(const gg_pfr *r) { return r->path; }

int gg_pfr_open(const char *path, const char magic[8], gg_pfr **out, gg_error *err) {
  *out = NULL;
  int rc = GG_OK;
  gg_pfr *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path))) {
    free(r);
    return gg_nomem(err);
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    rc = gg_fail(err, errno == ENOENT ? GG_ENOINDEX : GG_EIO, "%s: cannot open: %s", path,
                 strerror(errno));
    goto fail;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = gg_fail(err, GG_EIO, "%s: cannot stat: %s", path, strerror(errno));
    close(fd);
    goto fail;
  }
  r->size = (uint64_t)st.st_size;
  if (r->size < GG_HEADER_SIZE + GG_FOOTER_SIZE) {
    rc = gg_fail(err, GG_ECORRUPT, "%s: truncated (%llu bytes)", path, (unsigned long long)r->size);
    close(fd);
    goto fail;
  }
  void *m = mmap(NULL, (size_t)r->size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    rc = gg_fail(err, GG_EIO, "%s: cannot map: %s", path, strerror(errno));
    goto fail;
  }
  r->map = m;
  madvise(m, (size_t)r->size, MADV_RANDOM);

  const uint8_t *h = r->map;
  if (memcmp(h, magic, 8) != 0) {
    rc = gg_fail(err, GG_ECORRUPT, "%s: not a gg index file (bad magic)", path);
    goto fail;
  }
  uint32_t version = gg_get_u32(h + 8);
  if (version != GG_FORMAT_VERSION) {
    rc = gg_fail(err, GG_EVERSION, "%s: index format version %u, this gg reads version %u; rebuild the index",
                 path, version, GG_FORMAT_VERSION);
    goto fail;
  }
  const uint8_t *f = r->map + r->size - GG_FOOTER_SIZE;
  if (memcmp(f + 32, MAGIC_END, 8) != 0 || gg_get_u32(f + 44) != (uint32_t)crc32(0, f, 44)) {
    rc = gg_fail(err, GG_ECORRUPT, "%s: truncated or damaged footer", path);
    goto fail;
  }
  r->table_off = gg_get_u64(f);
  r->nsections = gg_get_u32(f + 8);
  r->data_end = gg_get_u64(f + 16);
  r->table_crc = gg_get_u32(f + 40);
  if (gg_get_u32(f + 12) != GG_PAGE_SIZE || gg_get_u64(f + 24) != r->size ||
      r->data_end > r->size - GG_FOOTER_SIZE || r->data_end < GG_HEADER_SIZE) {
    rc = gg_fail(err, GG_ECORRUPT, "%s: footer does not match the file size (truncated?)", path);
    goto fail;
  }
  r->npages = (r->data_end + GG_PAGE_SIZE - 1) / GG_PAGE_SIZE;
  if (r->data_end + r->npages * 4 + GG_FOOTER_SIZE != r->size ||
      r->table_off > r->data_end ||
      (uint64_t)r->nsections * GG_SECTION_ENTRY != r->data_end - r->table_off) {
    rc = gg_fail(err, GG_ECORRUPT, "%s: inconsistent footer", path);
    goto fail;
  }
  r->checks = r->map + r->data_end;
  r->verified = calloc((size_t)(r->npages + 7) / 8, 1);
  if (!r->verified) {
    rc = gg_nomem(err);
    goto fail;
  }
  if (!gg_pfr_get(r, 0, GG_HEADER_SIZE, err) ||
      !gg_pfr_get(r, r->table_off, (uint64_t)r->nsections * GG_SECTION_ENTRY, err)) {
    rc = GG_ECORRUPT;
    goto fail;
  }
  for (uint32_t i = 0; i < r->nsections; i++) {
    const uint8_t *e = r->map + r->table_off + (uint64_t)i * GG_SECTION_ENTRY;
    uint64_t off = gg_get_u64(e + 8), len = gg_get_u64(e + 16);
    if (off < GG_HEADER_SIZE || off > r->table_off || len > r->table_off - off) {
      rc = gg_fail(err, GG_ECORRUPT, "%s: section %u out of bounds", path, i);
      goto fail;
    }
  }
  *out = r;
  return GG_OK;
fail:
  gg_pfr_close(r);
  return rc;
}

int gg_pfr_section(gg_pfr *r, uint32_t kind, uint64_t *off, uint64_t *len, gg_error *err) {
  for (uint32_t i = 0; i < r->nsections; i++) {
    const uint8_t *e = r->map + r->table_off + (uint64_t)i * GG_SECTION_ENTRY;
    if (gg_get_u32(e) == kind) {
      *off = gg_get_u64(e + 8);
      *len = gg_get_u64(e + 16);
      return GG_OK;
    }
  }
  return gg_fail(err, GG_ECORRUPT, "%s: section %u missing", r->path, kind);
}

int gg_pfr_verify_all(gg_pfr *r, gg_error *err) {
  if ((uint32_t)crc32_z(0, r->checks, (size_t)r->npages * 4) != r->table_crc)
    return gg_fail(err, GG_ECORRUPT, "%s: page check table damaged (CRC mismatch)", r->path);
  if (r->npages && verify_pages(r, 0, r->npages - 1, err) != GG_OK) return GG_ECORRUPT;
  return GG_OK;
}
