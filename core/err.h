/*
** err.h -- filling a gg_error.  Every failing function calls gg_fail()
** exactly once at the point where it knows the most (file name, offset,
** query column) and returns its code; callers pass the code up unchanged.
*/
#ifndef GG_ERR_H
#define GG_ERR_H
#include "gg/gg.h"

#if defined(__GNUC__)
#define GG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GG_PRINTF(a, b)
#endif

/* Record code and a printf-formatted message in err (may be NULL).
** Returns code, so that `return gg_fail(err, GG_EIO, ...)` reads naturally. */
int gg_fail(gg_error *err, int code, const char *fmt, ...) GG_PRINTF(3, 4);

/* gg_fail() with GG_ENOMEM and a fixed message. */
int gg_nomem(gg_error *err);

#endif
