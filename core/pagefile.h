/*
** pagefile.h -- the container every gg index file uses (docs/FORMAT.md, "Files").
**
**   [header 32 B][data ...][section table][page check table][footer 48 B]
** (the footer holds the CRC-32 of the check table and ends with its own
** CRC-32, so every file ends with a CRC-32)
**
** The data and the section table are covered by one 32-bit check per
** 4096-byte page (the low half of XXH3-64, several times faster than
** CRC-32 here, which matters because a query checks every page it touches),
** checked lazily: a reader asks for a byte range and gets it only after
** every page the range touches has matched its check (once per page per
** open).  So a damaged part is reported exactly when a query reads
** it, while opening a file reads only the header, the footer and the
** section table.
*/
#ifndef GG_PAGEFILE_H
#define GG_PAGEFILE_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "gg/gg.h"

#define GG_PAGE_SIZE 4096u
#define GG_FORMAT_VERSION 3u
#define GG_HEADER_SIZE 32u
#define GG_FOOTER_SIZE 48u
#define GG_SECTION_ENTRY 24u

/* Magic numbers: 8 bytes, "GGxxx\r\n\x1a" in the style of PNG, so that a
** text-mode transfer that mangles line ends is caught. */
extern const char GG_MAGIC_SEGMENT[8];
extern const char GG_MAGIC_MANIFEST[8];

/* The check of one page's bytes: the low 32 bits of XXH3_64bits (seed 0). */
uint32_t gg_page_check(const void *p, size_t n);

/* ---- writing -------------------------------------------------------- */
typedef struct gg_pfw gg_pfw;

/* Create path (which must not exist) and write its header. */
int gg_pfw_create(const char *path, const char magic[8], gg_pfw **out, gg_error *err);
/* Append bytes; errors are sticky and reported by gg_pfw_finish. */
void gg_pfw_write(gg_pfw *w, const void *p, size_t n);
uint64_t gg_pfw_offset(const gg_pfw *w);
/* Record that [off, off+len) is section `kind` (GG_SEC_*). */
void gg_pfw_section(gg_pfw *w, uint32_t kind, uint64_t off, uint64_t len);
/* Write section table, CRC table and footer, fsync and close.  Frees w
** whatever the outcome; on failure the file is removed.  *size receives the
** final file size (may be NULL). */
int gg_pfw_finish(gg_pfw *w, uint64_t *size, gg_error *err);
/* Close and remove the file; frees w. */
void gg_pfw_abort(gg_pfw *w);

/* ---- reading -------------------------------------------------------- */
typedef struct gg_pfr gg_pfr;

int gg_pfr_open(const char *path, const char magic[8], gg_pfr **out, gg_error *err);
void gg_pfr_close(gg_pfr *r);
const char *gg_pfr_path(const gg_pfr *r);

/* The verified bytes [off, off+len) of the file, or NULL with a
** GG_ECORRUPT error naming the file and offset.  The returned pointer stays
** valid until gg_pfr_close; GG_PACK_PAD further bytes are always mapped. */
const uint8_t *gg_pfr_get(gg_pfr *r, uint64_t off, uint64_t len, gg_error *err);
/* Tell the OS that [off, off+len) will be read soon (an asynchronous
** read-ahead; nothing is verified or returned).  The file is mapped for
** random access, which suits scattered reads of a hot index; a reader that
** knows it will go through most of a range calls this, so that a cold
** start reads the range in a few large I/Os instead of a fault per page. */
void gg_pfr_willneed(gg_pfr *r, uint64_t off, uint64_t len);
/* 0 when the page holding byte off is not in the page cache (reading it
** will wait for the disk), else 1 (also when that cannot be told).  One
** system call (mincore), far cheaper than a wait for the disk: a reader
** asks before reading ahead what may well be cached already. */
int gg_pfr_resident(const gg_pfr *r, uint64_t off);

/* Offset and length of section kind; GG_ECORRUPT if it is missing. */
int gg_pfr_section(gg_pfr *r, uint32_t kind, uint64_t *off, uint64_t *len, gg_error *err);

/* Check every page CRC and the whole-file CRC (gg-index check). */
int gg_pfr_verify_all(gg_pfr *r, gg_error *err);

/* Durability helpers shared by writers. */
int gg_fsync_dir(const char *dir, gg_error *err);

#endif
