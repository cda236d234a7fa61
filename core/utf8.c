/*
** utf8.c -- UTF-8 repair (validation by utf8proc).
*/
#include "utf8.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

static size_t valid_prefix(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint64_t w;
    if (i + 8 <= n && (memcpy(&w, s + i, 8), (w & 0x8080808080808080u) == 0)) {
      i += 8;  /* eight ASCII bytes */
      continue;
    }
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
    if (k <= 0) return i;
    i += (size_t)k;
  }
  return n;
}

int gg_utf8_repair(const char *str, size_t n, gg_buf *out) {
  const unsigned char *s = (const unsigned char *)str;
  size_t ok = valid_prefix(s, n);
  if (ok == n) return 0;
  out->n = 0;
  size_t i = 0;
  while (i < n) {
    size_t run = valid_prefix(s + i, n - i);
    gg_buf_put(out, s + i, run);
    i += run;
    if (i < n) {
      gg_buf_put(out, "\xEF\xBF\xBD", 3);
      i++;
    }
  }
  return out->oom ? -1 : 1;
}
