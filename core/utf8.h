/*
** utf8.h -- UTF-8 validation and repair of input text.
*/
#ifndef GG_UTF8_H
#define GG_UTF8_H
#include <stddef.h>

#include "buf.h"

/* If s[0..n) is valid UTF-8 return 0 and leave out alone.  Otherwise write
** a copy to out (reset first) with each invalid byte replaced by U+FFFD and
** return 1.  Returns -1 if out ran out of memory. */
int gg_utf8_repair(const char *s, size_t n, gg_buf *out);

#endif
