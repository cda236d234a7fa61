/*
** gzin.h -- read an input file, gunzipping it if it is gzip.
*/
#ifndef GG_GZIN_H
#define GG_GZIN_H

#include <stddef.h>
#include <stdint.h>

typedef struct gg_gzin gg_gzin;

/* Open path; NULL with errno set when it cannot be opened. */
gg_gzin *gg_gzin_open(const char *path);

/* Up to n bytes of the content (decompressed if the file is gzip); 0 at its
** end, -1 when reading failed (then gg_gzin_error says why, and every
** further read fails). */
long gg_gzin_read(gg_gzin *z, void *out, size_t n);

/* Bytes of the file consumed so far (for progress). */
uint64_t gg_gzin_offset(const gg_gzin *z);

/* Why reading failed: one short phrase. */
const char *gg_gzin_error(const gg_gzin *z);

void gg_gzin_close(gg_gzin *z);

#endif
