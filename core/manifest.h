/*
** manifest.h -- the MANIFEST file: which segments make up the index, and
** the settings every segment shares.  Replacing MANIFEST (write a new file,
** fsync, rename) is the single atomic step that publishes a new index.
*/
#ifndef GG_MANIFEST_H
#define GG_MANIFEST_H
#include <stdint.h>

#include "gg/gg.h"

typedef struct gg_manifest_seg {
  char name[64];        /* file name inside the index folder */
  uint64_t docs;
  uint64_t tokens;
} gg_manifest_seg;

typedef struct gg_manifest {
  uint64_t generation;  /* increases with every published build */
  char stemmer[32];     /* analyser setting of every segment */
  uint32_t nsegs;
  gg_manifest_seg *segs;
} gg_manifest;

/* Read dir/MANIFEST into m (m->segs malloc'd; free with gg_manifest_clear).
** GG_ENOINDEX when the file does not exist. */
int gg_manifest_read(const char *dir, gg_manifest *m, gg_error *err);
/* Write dir/MANIFEST.tmp, fsync, rename over dir/MANIFEST, fsync dir. */
int gg_manifest_write(const char *dir, const gg_manifest *m, gg_error *err);
void gg_manifest_clear(gg_manifest *m);

#endif
