/*
** config.c -- settings both tools read the same way: where the index is by
** default, and sizes given on a command line.
*/
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "gg/gg.h"

const char *gg_default_index_dir(void) {
  const char *e = getenv("GG_INDEX");
  return e && *e ? e : GG_DEFAULT_INDEX;
}

int gg_parse_size(const char *s, size_t *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || !(v > 0)) return -1;
  double mul = 1 << 20;
  if (*end) {
    switch (*end) {
      case 'k': case 'K': mul = 1 << 10; break;
      case 'm': case 'M': mul = 1 << 20; break;
      case 'g': case 'G': mul = 1 << 30; break;
      case 'b': case 'B': mul = 1; break;
      default: return -1;
    }
    end++;
    if (mul != 1 && *end == 'i') end++;           /* KiB, MiB, GiB */
    if (mul != 1 && (*end == 'b' || *end == 'B')) end++;
    if (*end) return -1;
  }
  double bytes = v * mul;
  if (bytes >= (double)(SIZE_MAX / 2)) return -1;  /* also keeps the cast defined */
  *out = (size_t)bytes;
  return 0;
}
