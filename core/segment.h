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
  GG_SEC_DICTTOP = 11,   /* u32 stride, then the first term of every stride-th dictionary block */
  GG_SEC_MANIFEST = 100  /* the only section of a MANIFEST file */
};

#define GG_ID_GROUP 16         /* documents per IDOFF entry */
#define GG_STATS_SIZE 48       /* u64 docs, tokens, terms, postings, store blocks, dict blocks */
#define GG_SKIP_ENTRY 20       /* u32 last_doc, doc_end, pos_end, max_tf, min_dl */
#define GG_STORE_ENTRY 24      /* u64 offset, u32 clen, u32 ulen, u32 first_doc, u32 ndocs */
#define GG_DICT_BLOCK_TERMS 32 /* terms per dictionary block */
/* DICTTOP samples every GG_DICT_TOP_STRIDE-th dictionary block, and every
** 2x, 4x, ... such block when that keeps it to at most GG_DICT_TOP_MAX
** terms: a lookup scans it, then binary-searches one stride of blocks. */
#define GG_DICT_TOP_STRIDE 64
#define GG_DICT_TOP_MAX 1024
/* Stored text: target uncompressed bytes per block, and the compressor:
** ISA-L's igzip at level 3 writing zlib streams, with its working memory.
** Chosen by measurement (`bench/store-codec`, bench/RESULTS.md "Stored
** text"; 64 MB of the 100 MB scale corpus, one core).  In 64 KB blocks
** igzip level 3 gives 0.463 of the text at ~330 MB/s; libdeflate level 1
** (used before) 0.460 at ~180 MB/s, level 4 0.443 at ~110 MB/s.  The
** compressor shares two busy cores with parsing and inversion, so its
** speed is build time: 300 MB built in 3.8 s instead of 4.0 s.  Larger
** blocks shrink the store (igzip 3: 0.458 in 128 KB) but every hit printed
** with its title or snippet inflates its document's whole block
** (libdeflate: ~0.12 ms for 64 KB, ~0.22 ms for 128 KB): 200 queries of
** top 10 with snippets on the 1 GB index took 2.0-2.2 ms each with 64 KB
** blocks, 3.0-3.5 with 128 KB.  igzip's output depends on the CPU features
** it dispatches on, so the STORE bytes of two machines may differ; the
** text they inflate to does not, nor does any other section. */
#define GG_STORE_BLOCK_BYTES 65536
#define GG_STORE_ZLEVEL 3
#define GG_STORE_ZLEVEL_BUF ISAL_DEF_LVL3_DEFAULT
#define GG_MANIFEST_NAME "MANIFEST"
#define GG_MAX_SEGMENTS 4096

#endif
