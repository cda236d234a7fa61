/*
** segment.h -- constants of the segment and manifest layouts, shared by
** the writer (indexer/) and the reader (searcher/).  docs/FORMAT.md is the
** specification; this header only names its numbers.
*/
#ifndef GG_SEGMENT_H
#define GG_SEGMENT_H

/* Section kinds of a segment file (section table entry "kind"). */
enum {
  GG_SEC_STATS = 1,      /* collection statistics of the segment, GG_STATS_SIZE bytes */
  GG_SEC_DOCLEN = 2,     /* u32 per document: number of word positions */
  GG_SEC_IDOFF = 3,      /* u64 per GG_ID_GROUP documents, + 1: offsets into GG_SEC_IDS */
  GG_SEC_IDS = 4,        /* per document: varint length, external id */
  GG_SEC_STORE = 5,      /* zlib streams of stored-text blocks */
  GG_SEC_STOREIDX = 6,   /* GG_STORE_ENTRY bytes per stored-text block */
  GG_SEC_POSTINGS = 7,   /* per term: doc/tf blocks, then the skip table */
  GG_SEC_POSITIONS = 8,  /* per term: position blocks */
  GG_SEC_DICT = 9,       /* front-coded term blocks */
  GG_SEC_DICTIDX = 10,   /* u64 per dictionary block: its offset in GG_SEC_DICT */
  GG_SEC_MANIFEST = 100  /* the only section of a MANIFEST file */
};

#define GG_ID_GROUP 16         /* documents per IDOFF entry */
#define GG_STATS_SIZE 48       /* u64 docs, tokens, terms, postings, store blocks, dict blocks */
#define GG_SKIP_ENTRY 20       /* u32 last_doc, doc_end, pos_end, max_tf, min_dl */
#define GG_STORE_ENTRY 24      /* u64 offset, u32 clen, u32 ulen, u32 first_doc, u32 ndocs */
#define GG_DICT_BLOCK_TERMS 32 /* terms per dictionary block */
#define GG_STORE_BLOCK_BYTES 32768 /* target uncompressed bytes per stored-text block */
/* Compression level for stored text (libdeflate's scale, writing zlib
** streams), chosen by measurement on 32 KB blocks (bench notes in
** bench/RESULTS.md): level 4 compresses the scale corpus to 0.457 of the text
** at ~106 MB/s and gcide to 0.411 (zlib's own level 4: 0.466 / 0.416 at
** ~60 MB/s); level 6 saves another 1.5 % at 0.7x the speed.  The compressor
** thread shares two cores with parsing and inversion. */
#define GG_STORE_ZLEVEL 4
#define GG_MANIFEST_NAME "MANIFEST"
#define GG_MAX_SEGMENTS 4096

#endif
