/*
** gzin.c -- read an input file, gunzipping it if it is gzip (see gzin.h).
**
** Decompression is ISA-L's inflate, about twice as fast as zlib's on the
** inputs gg reads (it matters: the thread that reads and parses the input
** shares a core with the stored-text compressor).  Like zlib's gzread, a
** file that does not start with the gzip magic is passed through as is,
** members written one after another are read one after another, and bytes
** after the last member that are not another member are ignored.
*/
#define _GNU_SOURCE
#include "gzin.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GZIN_BUF (1u << 17)

struct gg_gzin {
  int fd;
  int gzip;              /* content is gzip members */
  int eof;               /* the file has no more bytes */
  int done;              /* all the content has been returned */
  uint64_t file_read;    /* bytes read from the file */
  const char *error;     /* set once reading failed; static text */
  int sys_errno;         /* errno of a failed read, else 0 */
  struct inflate_state st;
  uint8_t *next;         /* unconsumed input in buf (plain files) */
  size_t avail;
  uint8_t buf[GZIN_BUF];
};

static int is_magic(const uint8_t *p) { return p[0] == 0x1f && p[1] == 0x8b; }
static int begin_member(gg_gzin *z, uint8_t *next, size_t avail);

/* Move the unconsumed input to the front of buf and read until at least
** want bytes are there or the file ends.  -1 on a read error. */
static int fill(gg_gzin *z, uint8_t **next, size_t *avail, size_t want) {
  memmove(z->buf, *next, *avail);
  *next = z->buf;
  while (*avail < want && !z->eof) {
    ssize_t n = read(z->fd, z->buf + *avail, GZIN_BUF - *avail);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      z->sys_errno = errno;
      z->error = "read error";
      return -1;
    }
    if (n == 0) z->eof = 1;
    *avail += (size_t)n;
    z->file_read += (uint64_t)n;
  }
  return 0;
}

gg_gzin *gg_gzin_open(const char *path) {
  gg_gzin *z = malloc(sizeof *z);
  if (!z) {
    errno = ENOMEM;
    return NULL;
  }
  memset(z, 0, offsetof(gg_gzin, buf));
  z->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (z->fd < 0) {
    int e = errno;
    free(z);
    errno = e;
    return NULL;
  }
  z->next = z->buf;
  if (fill(z, &z->next, &z->avail, 2) != 0) return z;  /* reported by the first read */
  if (z->avail >= 2 && is_magic(z->buf)) {
    z->gzip = 1;
    isal_inflate_init(&z->st);
    begin_member(z, z->buf, z->avail);  /* an error is reported by the first read */
  }
  return z;
}

/* Consume k input bytes, reading more as needed; -1 (error set) if the file
** ends first. */
static int skip_in(gg_gzin *z, uint8_t **next, size_t *avail, size_t k) {
  while (k > 0) {
    if (*avail == 0 && fill(z, next, avail, 1) != 0) return -1;
    if (*avail == 0) {
      z->error = "unexpected end of file";
      return -1;
    }
    size_t m = *avail < k ? *avail : k;
    *next += m;
    *avail -= m;
    k -= m;
  }
  return 0;
}

/* Consume a zero-terminated header field. */
static int skip_cstring(gg_gzin *z, uint8_t **next, size_t *avail) {
  for (;;) {
    if (*avail == 0 && fill(z, next, avail, 1) != 0) return -1;
    if (*avail == 0) {
      z->error = "unexpected end of file";
      return -1;
    }
    uint8_t *nul = memchr(*next, 0, *avail);
    size_t m = nul ? (size_t)(nul - *next) + 1 : *avail;
    *next += m;
    *avail -= m;
    if (nul) return 0;
  }
}

/* Consume a member's header (RFC 1952 2.3) and start inflating its data.
** The header is read here, not by ISA-L, which (2.30) miscomputes the
** optional header CRC when the header arrives in two parts; that CRC is
** not checked (zlib's would be); the data's CRC-32 and length are. */
static int begin_member(gg_gzin *z, uint8_t *next, size_t avail) {
  if (avail < 10 && fill(z, &next, &avail, 10) != 0) return -1;
  if (avail < 10 || !is_magic(next) || next[2] != 8 || (next[3] & 0xE0)) {
    z->error = avail < 10 ? "unexpected end of file" : "invalid gzip header";
    return -1;
  }
  unsigned flags = next[3];
  next += 10;
  avail -= 10;
  if (flags & 4) {  /* FEXTRA: 2-byte length, then that many bytes */
    if (avail < 2 && fill(z, &next, &avail, 2) != 0) return -1;
    if (avail < 2) {
      z->error = "unexpected end of file";
      return -1;
    }
    size_t xlen = (size_t)next[0] | (size_t)next[1] << 8;
    next += 2;
    avail -= 2;
    if (skip_in(z, &next, &avail, xlen) != 0) return -1;
  }
  if ((flags & 8) && skip_cstring(z, &next, &avail) != 0) return -1;   /* FNAME */
  if ((flags & 16) && skip_cstring(z, &next, &avail) != 0) return -1;  /* FCOMMENT */
  if ((flags & 2) && skip_in(z, &next, &avail, 2) != 0) return -1;    /* FHCRC */
  isal_inflate_reset(&z->st);
  z->st.crc_flag = ISAL_GZIP_NO_HDR_VER;  /* raw deflate, then CRC-32 and size checked */
  z->st.next_in = next;
  z->st.avail_in = (uint32_t)avail;
  return 0;
}

static long read_plain(gg_gzin *z, uint8_t *out, size_t n) {
  if (z->avail == 0 && !z->eof && fill(z, &z->next, &z->avail, 1) != 0) return -1;
  size_t k = z->avail < n ? z->avail : n;
  memcpy(out, z->next, k);
  z->next += k;
  z->avail -= k;
  return (long)k;
}

/* After a member: another one follows, or the content is done. */
static int next_member(gg_gzin *z) {
  uint8_t *next = z->st.next_in;
  size_t avail = z->st.avail_in;
  if (avail < 2 && fill(z, &next, &avail, 2) != 0) return -1;
  if (avail >= 2 && is_magic(next)) return begin_member(z, next, avail);
  z->done = 1;
  z->st.next_in = next;
  z->st.avail_in = (uint32_t)avail;
  return 0;
}

static long read_gzip(gg_gzin *z, uint8_t *out, size_t n) {
  if (n > UINT32_MAX) n = UINT32_MAX;
  while (!z->done) {
    if (z->st.avail_in == 0 && !z->eof) {
      uint8_t *next = z->st.next_in;
      size_t avail = 0;
      if (fill(z, &next, &avail, 1) != 0) return -1;
      z->st.next_in = next;
      z->st.avail_in = (uint32_t)avail;
    }
    z->st.next_out = out;
    z->st.avail_out = (uint32_t)n;
    uint32_t avail_before = z->st.avail_in;
    int r = isal_inflate(&z->st);
    size_t got = n - z->st.avail_out;
    int stuck = got == 0 && z->st.avail_in == avail_before && avail_before > 0 &&
                z->st.block_state != ISAL_BLOCK_FINISH;  /* never loop without progress */
    if (r < 0 || stuck) {
      /* What this call produced is returned; the error on the next call. */
      z->error = r == ISAL_INCORRECT_CHECKSUM ? "gzip checksum mismatch" : "invalid gzip data";
      return got ? (long)got : -1;
    }
    if (z->st.block_state == ISAL_BLOCK_FINISH && next_member(z) != 0) return got ? (long)got : -1;
    if (got) return (long)got;
    if (!z->done && z->st.avail_in == 0 && z->eof) {
      z->error = "unexpected end of file";
      return -1;
    }
  }
  return 0;
}

long gg_gzin_read(gg_gzin *z, void *out, size_t n) {
  if (z->error) return -1;  /* set by an earlier call, after its bytes */
  if (n == 0) return 0;
  return z->gzip ? read_gzip(z, out, n) : read_plain(z, out, n);
}

uint64_t gg_gzin_offset(const gg_gzin *z) {
  return z->file_read - (z->gzip ? z->st.avail_in : z->avail);
}

const char *gg_gzin_error(const gg_gzin *z) {
  if (!z->error) return "no error";
  return z->sys_errno ? strerror(z->sys_errno) : z->error;
}

void gg_gzin_close(gg_gzin *z) {
  if (!z) return;
  close(z->fd);
  free(z);
}
