/*
** err.c -- status names and gg_error filling.
*/
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gg_strerror(int code) {
  switch (code) {
    case GG_OK: return "ok";
    case GG_ENOMEM: return "out of memory";
    case GG_EIO: return "I/O error";
    case GG_ECORRUPT: return "index corrupt";
    case GG_EVERSION: return "unsupported index format version";
    case GG_ENOINDEX: return "no index";
    case GG_EQUERY: return "malformed query";
    case GG_EINPUT: return "bad input";
    case GG_EINVAL: return "invalid argument";
    case GG_EBUSY: return "index busy";
  }
  return "unknown error";
}

int gg_fail(gg_error *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* Messages are one line: a newline smuggled in by a file name would
    ** break the contract with scripts that read stderr line by line. */
    for (char *p = err->msg; *p; p++)
      if (*p == '\n' || *p == '\r') *p = ' ';
  }
  return code;
}

int gg_nomem(gg_error *err) { return gg_fail(err, GG_ENOMEM, "out of memory"); }
