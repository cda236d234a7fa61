/*
** glibc_fortify.c -- the _FORTIFY_SOURCE entry points that Debian's
** libjson-c.a (compiled against glibc) calls, for the musl build of
** gg-search (searcher/musl/CMakeLists.txt).
**
** Contract, as glibc's: each does what the plain function does, after
** checking the destination's size the compiler passed (slen, dlen); a call
** that would overflow it aborts.  flag (glibc: whether %n may write to
** writable memory) is ignored: musl's printf family handles %n as C says.
*/
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int __vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap);
int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...);
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
int __vasprintf_chk(char **out, int flag, const char *fmt, va_list ap);
char *__strcat_chk(char *dst, const char *src, size_t dlen);

int __vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap) {
  (void)flag;
  if (n > slen) abort();
  return vsnprintf(s, n, fmt, ap);
}

int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = __vsnprintf_chk(s, n, flag, slen, fmt, ap);
  va_end(ap);
  return r;
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap) {
  (void)flag;
  return vfprintf(f, fmt, ap);
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = __vfprintf_chk(f, flag, fmt, ap);
  va_end(ap);
  return r;
}

int __vasprintf_chk(char **out, int flag, const char *fmt, va_list ap) {
  (void)flag;
  return vasprintf(out, fmt, ap);
}

char *__strcat_chk(char *dst, const char *src, size_t dlen) {
  size_t d = strlen(dst), s = strlen(src);
  if (d + s >= dlen) abort();
  return memcpy(dst + d, src, s + 1), dst;
}
