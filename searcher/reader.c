/*
** reader.c -- opening an index and reading a segment's dictionary,
** document table and stored text (layout: docs/FORMAT.md).
**
** Every byte comes through gg_pfr_get(), which checks page CRCs, and every
** offset read from the file is bounds-checked before use, so a damaged
** file yields GG_ECORRUPT naming the file, never a crash.
*/
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../core/manifest.h"
#include "../core/segment.h"
#include "searcher.h"

static int corrupt(gg_seg *s, gg_error *err, const char *what) {
  return gg_fail(err, GG_ECORRUPT, "%s: damaged %s", gg_pfr_path(s->f), what);
}

static int seg_open(gg_seg *s, const char *path, const gg_manifest_seg *ms, gg_error *err) {
  int rc = gg_pfr_open(path, GG_MAGIC_SEGMENT, &s->f, err);
  if (rc == GG_ENOINDEX) gg_fail(err, GG_ENOINDEX, "%s: segment file missing", path);
  if (rc) return rc;
  uint64_t off, len, x;
  const uint8_t *st;
  if ((rc = gg_pfr_section(s->f, GG_SEC_STATS, &off, &len, err))) return rc;
  if (len != GG_STATS_SIZE) return corrupt(s, err, "statistics");
  if (!(st = gg_pfr_get(s->f, off, len, err))) return GG_ECORRUPT;
  uint64_t ndocs = gg_get_u64(st);
  s->tokens = gg_get_u64(st + 8);
  s->nstore_blocks = gg_get_u64(st + 32);
  s->ndict_blocks = gg_get_u64(st + 40);
  if (ndocs >= UINT32_MAX || ndocs != ms->docs || s->tokens != ms->tokens)
    return gg_fail(err, GG_ECORRUPT, "%s: statistics disagree with MANIFEST", path);
  s->ndocs = (uint32_t)ndocs;
  struct { uint32_t kind; uint64_t *off; uint64_t *len; uint64_t want; } need[] = {
      {GG_SEC_DOCLEN, &s->doclen_off, &x, ndocs * 4},
      {GG_SEC_IDOFF, &s->idoff_off, &x, ((ndocs + GG_ID_GROUP - 1) / GG_ID_GROUP + 1) * 8},
      {GG_SEC_IDS, &s->ids_off, &s->ids_len, UINT64_MAX},
      {GG_SEC_STORE, &s->store_off, &s->store_len, UINT64_MAX},
      {GG_SEC_STOREIDX, &s->storeidx_off, &x, s->nstore_blocks * GG_STORE_ENTRY},
      {GG_SEC_POSTINGS, &s->post_off, &s->post_len, UINT64_MAX},
      {GG_SEC_POSITIONS, &s->pos_off, &s->pos_len, UINT64_MAX},
      {GG_SEC_DICT, &s->dict_off, &s->dict_len, UINT64_MAX},
      {GG_SEC_DICTIDX, &s->dictidx_off, &x, s->ndict_blocks * 8},
      {GG_SEC_DICTTOP, &s->dicttop_off, &s->dicttop_len, UINT64_MAX},
  };
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
    if ((rc = gg_pfr_section(s->f, need[i].kind, need[i].off, need[i].len, err))) return rc;
    if (need[i].want != UINT64_MAX && *need[i].len != need[i].want)
      return gg_fail(err, GG_ECORRUPT, "%s: section %u has the wrong size", path, need[i].kind);
  }
  return GG_OK;
}

static void index_free(gg_index *ix) {
  for (uint32_t i = 0; ix->segs && i < ix->nsegs; i++) gg_pfr_close(ix->segs[i].f);
  free(ix->segs);
  gg_analyzer_free(ix->an);
  free(ix->dir);
  free(ix);
}

void gg_index_close(gg_index *ix) {
  if (ix) index_free(ix);
}

static int index_open_once(const char *dir, gg_index **out, int *seg_missing, gg_error *err);

/* A build publishing a new generation deletes the old segments right after
** replacing MANIFEST; an open that read the old MANIFEST just before may
** find a segment gone.  Reading MANIFEST again then names the new files;
** a segment still missing after that is a damaged index. */
int gg_index_open(const char *dir, gg_index **out, gg_error *err) {
  int rc = GG_OK, seg_missing = 0;
  for (int attempt = 0; attempt < 3; attempt++) {
    seg_missing = 0;
    rc = index_open_once(dir, out, &seg_missing, err);
    if (!seg_missing) break;
  }
  if (seg_missing && err) err->code = GG_ECORRUPT;
  return seg_missing ? GG_ECORRUPT : rc;
}

static int index_open_once(const char *dir, gg_index **out, int *seg_missing, gg_error *err) {
  *out = NULL;
  if (!dir) dir = gg_default_index_dir();
  gg_manifest m;
  int rc = gg_manifest_read(dir, &m, err);
  if (rc) return rc;
  gg_index *ix = calloc(1, sizeof *ix);
  if (!ix || !(ix->dir = strdup(dir)) || !(ix->segs = calloc(m.nsegs + 1, sizeof *ix->segs))) {
    if (ix) free(ix->dir);
    free(ix);
    gg_manifest_clear(&m);
    return gg_nomem(err);
  }
  snprintf(ix->stemmer, sizeof ix->stemmer, "%s", m.stemmer);
  rc = gg_analyzer_new(m.stemmer, &ix->an, err);
  for (uint32_t i = 0; rc == GG_OK && i < m.nsegs; i++) {
    char *path;
    if (asprintf(&path, "%s/%s", dir, m.segs[i].name) < 0) {
      rc = gg_nomem(err);
      break;
    }
    ix->nsegs = i + 1;
    rc = seg_open(&ix->segs[i], path, &m.segs[i], err);
    if (rc == GG_ENOINDEX) *seg_missing = 1;
    free(path);
    ix->docs += m.segs[i].docs;
    ix->tokens += m.segs[i].tokens;
  }
  gg_manifest_clear(&m);
  if (rc) {
    index_free(ix);
    return rc;
  }
  ix->avgdl = ix->docs ? (double)ix->tokens / (double)ix->docs : 0;
  *out = ix;
  return GG_OK;
}

void gg_index_info_get(const gg_index *ix, gg_index_info *info) {
  info->docs = ix->docs;
  info->tokens = ix->tokens;
  info->segments = ix->nsegs;
  info->stemmer = ix->stemmer;
}

int gg_index_check(const char *dir, gg_error *err) {
  gg_index *ix;
  int rc = gg_index_open(dir, &ix, err);
  if (rc) return rc;
  for (uint32_t i = 0; rc == GG_OK && i < ix->nsegs; i++) rc = gg_pfr_verify_all(ix->segs[i].f, err);
  gg_index_close(ix);
  return rc;
}

/* ---- dictionary -------------------------------------------------------- */

/* Bytes of dictionary block b. */
static const uint8_t *dict_block(gg_seg *s, uint64_t b, const uint8_t **end, gg_error *err) {
  const uint8_t *ix = gg_pfr_get(s->f, s->dictidx_off + b * 8, b + 1 < s->ndict_blocks ? 16 : 8, err);
  if (!ix) return NULL;
  uint64_t start = gg_get_u64(ix);
  uint64_t stop = b + 1 < s->ndict_blocks ? gg_get_u64(ix + 8) : s->dict_len;
  if (start >= stop || stop > s->dict_len) {
    corrupt(s, err, "dictionary index");
    return NULL;
  }
  const uint8_t *p = gg_pfr_get(s->f, s->dict_off + start, stop - start, err);
  if (p) *end = p + (stop - start);
  return p;
}

typedef struct dict_iter {
  const uint8_t *p, *end;
  uint64_t left;          /* entries not yet read */
  uint64_t post, pos;     /* offsets of the next entry inside POSTINGS / POSITIONS */
  uint8_t term[256];
  size_t len;
  uint64_t df, post_len, pos_len;
} dict_iter;

static int dict_begin(dict_iter *it, const uint8_t *p, const uint8_t *end) {
  it->p = p;
  it->end = end;
  it->len = 0;
  if (gg_varint_get(&it->p, end, &it->left) || gg_varint_get(&it->p, end, &it->post) ||
      gg_varint_get(&it->p, end, &it->pos) || it->left == 0 || it->left > GG_DICT_BLOCK_TERMS)
    return -1;
  return 0;
}

/* Read the next entry; its offsets are it->post - it->post_len etc. */
static int dict_next(dict_iter *it, int first) {
  uint64_t prefix, sfx;
  if (it->left == 0) return -1;
  if (gg_varint_get(&it->p, it->end, &prefix) || gg_varint_get(&it->p, it->end, &sfx) ||
      prefix > it->len || (first && prefix) || prefix + sfx > 255 || prefix + sfx == 0 ||
      sfx > (uint64_t)(it->end - it->p))
    return -1;
  memcpy(it->term + prefix, it->p, sfx);
  it->p += sfx;
  it->len = (size_t)(prefix + sfx);
  if (gg_varint_get(&it->p, it->end, &it->df) || gg_varint_get(&it->p, it->end, &it->post_len) ||
      gg_varint_get(&it->p, it->end, &it->pos_len) || it->df == 0 || it->df >= UINT32_MAX)
    return -1;
  it->post += it->post_len;
  it->pos += it->pos_len;
  it->left--;
  return 0;
}

static int cmp_bytes(const uint8_t *a, size_t an, const char *b, size_t bn) {
  size_t m = an < bn ? an : bn;
  int c = memcmp(a, b, m);
  return c ? c : (an > bn) - (an < bn);
}

/* The blocks [*lo, *hi) whose stride of DICTTOP holds term: 1, or 0 when
** term sorts before every term, or < 0 on error.  The sampled terms are
** scanned whole (at most GG_DICT_TOP_MAX), so that their count and
** bounds are checked on every lookup. */
static int dict_top_range(gg_seg *s, const char *term, size_t len, uint64_t *lo, uint64_t *hi,
                          gg_error *err) {
  const uint8_t *p = gg_pfr_get(s->f, s->dicttop_off, s->dicttop_len, err);
  if (!p) return GG_ECORRUPT;
  const uint8_t *end = p + s->dicttop_len;
  if (s->dicttop_len < 4) return corrupt(s, err, "dictionary top index");
  uint64_t stride = gg_get_u32(p), n = 0, at = 0;
  int found = 0;
  if (stride == 0 || (s->ndict_blocks + stride - 1) / stride > GG_DICT_TOP_MAX)
    return corrupt(s, err, "dictionary top index");
  for (p += 4; p < end; n++) {
    size_t l = p[0];
    if (l == 0 || l > (size_t)(end - p - 1)) return corrupt(s, err, "dictionary top index");
    if (cmp_bytes(p + 1, l, term, len) <= 0) {
      at = n;
      found = 1;
    }
    p += 1 + l;
  }
  if (n != (s->ndict_blocks + stride - 1) / stride) return corrupt(s, err, "dictionary top index");
  *lo = at * stride;
  *hi = *lo + stride < s->ndict_blocks ? *lo + stride : s->ndict_blocks;
  return found;
}

int gg_seg_lookup(gg_seg *s, const char *term, size_t len, gg_term_info *info, gg_error *err) {
  if (s->ndict_blocks == 0) return 0;
  /* Last block whose first term is <= term: its stride from DICTTOP, then
  ** a binary search over the stride's blocks. */
  uint64_t lo = 0, hi = 0;
  int in = dict_top_range(s, term, len, &lo, &hi, err);
  if (in <= 0) return in;
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    const uint8_t *end, *p = dict_block(s, mid, &end, err);
    if (!p) return GG_ECORRUPT;
    dict_iter it;
    if (dict_begin(&it, p, end) || dict_next(&it, 1)) return corrupt(s, err, "dictionary block");
    if (cmp_bytes(it.term, it.len, term, len) <= 0) lo = mid;
    else hi = mid;
  }
  const uint8_t *end, *p = dict_block(s, lo, &end, err);
  if (!p) return GG_ECORRUPT;
  dict_iter it;
  if (dict_begin(&it, p, end)) return corrupt(s, err, "dictionary block");
  for (int first = 1; it.left > 0; first = 0) {
    if (dict_next(&it, first)) return corrupt(s, err, "dictionary block");
    int c = cmp_bytes(it.term, it.len, term, len);
    if (c > 0) return 0;
    if (c == 0) {
      uint64_t po = it.post - it.post_len, qo = it.pos - it.pos_len;
      if (it.post > s->post_len || it.post < it.post_len || it.pos > s->pos_len ||
          it.pos < it.pos_len || it.df > s->ndocs)
        return corrupt(s, err, "dictionary entry");
      info->df = (uint32_t)it.df;
      info->post_off = s->post_off + po;
      info->post_len = it.post_len;
      info->pos_off = s->pos_off + qo;
      info->pos_len = it.pos_len;
      return 1;
    }
  }
  return 0;
}

/* ---- documents ---------------------------------------------------------- */

int gg_seg_doclen_checked(gg_seg *s, uint32_t doc, uint32_t *len, gg_error *err) {
  if (doc >= s->ndocs) return corrupt(s, err, "document number");
  /* After as many single reads as the section has pages, most pages are
  ** probably touched anyway: check them all once and read directly. */
  if (++s->doclen_reads > (uint64_t)s->ndocs * 4 / GG_PAGE_SIZE) {
    int rc = gg_seg_load_doclens(s, err);
    if (rc) return rc;
    *len = gg_get_u32(s->doclens + (size_t)doc * 4);
    return GG_OK;
  }
  const uint8_t *p = gg_pfr_get(s->f, s->doclen_off + (uint64_t)doc * 4, 4, err);
  if (!p) return GG_ECORRUPT;
  *len = gg_get_u32(p);
  return GG_OK;
}

void gg_seg_prefetch_doclens(gg_seg *s) { gg_pfr_willneed(s->f, s->doclen_off, (uint64_t)s->ndocs * 4); }

int gg_seg_load_doclens(gg_seg *s, gg_error *err) {
  if (s->doclens) return GG_OK;
  gg_seg_prefetch_doclens(s);
  s->doclens = gg_pfr_get(s->f, s->doclen_off, (uint64_t)s->ndocs * 4, err);
  return s->doclens ? GG_OK : GG_ECORRUPT;
}

int gg_seg_prefetch_docid(gg_seg *s, uint32_t doc, int stage) {
  if (doc >= s->ndocs) return 0;
  uint64_t at = s->idoff_off + (uint64_t)(doc / GG_ID_GROUP) * 8;
  if (stage == 0) {
    if (gg_pfr_resident(s->f, at)) return 0;
    gg_pfr_willneed(s->f, at, 16);
    return 1;
  }
  /* Damage is left to gg_seg_docid, which reads the same bytes next. */
  const uint8_t *p = gg_pfr_get(s->f, at, 16, NULL);
  if (!p) return 0;
  uint64_t a = gg_get_u64(p), b = gg_get_u64(p + 8);
  if (a < b && b <= s->ids_len) gg_pfr_willneed(s->f, s->ids_off + a, b - a);
  return 0;
}

int gg_seg_docid(gg_seg *s, uint32_t doc, const char **id, size_t *len, gg_error *err) {
  if (doc >= s->ndocs) return corrupt(s, err, "document number");
  const uint8_t *p = gg_pfr_get(s->f, s->idoff_off + (uint64_t)(doc / GG_ID_GROUP) * 8, 16, err);
  if (!p) return GG_ECORRUPT;
  uint64_t a = gg_get_u64(p), b = gg_get_u64(p + 8);
  if (a > b || b > s->ids_len) return corrupt(s, err, "document id table");
  const uint8_t *q = gg_pfr_get(s->f, s->ids_off + a, b - a, err);
  if (!q) return GG_ECORRUPT;
  /* Walk the group to the document: varint length, id bytes. */
  const uint8_t *end = q + (b - a);
  for (uint32_t i = doc - doc % GG_ID_GROUP;; i++) {
    uint64_t n;
    if (gg_varint_get(&q, end, &n) || n > (uint64_t)(end - q)) return corrupt(s, err, "document id table");
    if (i == doc) {
      *id = (const char *)q;
      *len = (size_t)n;
      return GG_OK;
    }
    q += n;
  }
}

static char *dup_n(const uint8_t *p, size_t n) {
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = 0;
  }
  return s;
}

int gg_seg_doc(gg_seg *s, uint32_t doc, char **title, char **text, gg_error *err) {
  *title = *text = NULL;
  if (doc >= s->ndocs) return corrupt(s, err, "document number");
  /* Last block whose first document is <= doc. */
  uint64_t lo = 0, hi = s->nstore_blocks;
  const uint8_t *e = NULL;
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (!(e = gg_pfr_get(s->f, s->storeidx_off + mid * GG_STORE_ENTRY, GG_STORE_ENTRY, err)))
      return GG_ECORRUPT;
    if (gg_get_u32(e + 16) <= doc) lo = mid;
    else hi = mid;
  }
  if (s->nstore_blocks == 0 ||
      !(e = gg_pfr_get(s->f, s->storeidx_off + lo * GG_STORE_ENTRY, GG_STORE_ENTRY, err)))
    return s->nstore_blocks == 0 ? corrupt(s, err, "stored-text index") : GG_ECORRUPT;
  uint64_t off = gg_get_u64(e);
  uint32_t clen = gg_get_u32(e + 8), ulen = gg_get_u32(e + 12);
  uint32_t first = gg_get_u32(e + 16), n = gg_get_u32(e + 20);
  /* deflate expands at most ~1032:1, so a larger ulen cannot be genuine:
  ** refuse it before allocating. */
  if (first > doc || doc - first >= n || off > s->store_len || clen > s->store_len - off ||
      (uint64_t)ulen > 1032u * (uint64_t)clen + 64)
    return corrupt(s, err, "stored-text index");
  const uint8_t *z = gg_pfr_get(s->f, s->store_off + off, clen, err);
  if (!z) return GG_ECORRUPT;
  uint8_t *u = malloc((size_t)ulen + 1);
  if (!u) return gg_nomem(err);
  /* libdeflate inflates a zlib stream about 2.7x faster than zlib's
  ** uncompress; it checks the Adler-32 and (no actual-size pointer) that the
  ** stream yields exactly ulen bytes.  A decompressor per fetch (~10 KB,
  ** about a microsecond beside ~100 us of inflating) keeps gg_seg_doc free
  ** of shared state. */
  struct libdeflate_decompressor *dz = libdeflate_alloc_decompressor();
  if (!dz) {
    free(u);
    return gg_nomem(err);
  }
  enum libdeflate_result zr = libdeflate_zlib_decompress(dz, z, clen, u, ulen, NULL);
  libdeflate_free_decompressor(dz);
  if (zr != LIBDEFLATE_SUCCESS) {
    free(u);
    return corrupt(s, err, "stored-text block");
  }
  const uint8_t *p = u, *end = u + ulen;
  int rc = GG_OK;
  for (uint32_t i = first; i <= doc; i++) {
    uint64_t tl, xl;
    if (gg_varint_get(&p, end, &tl) || tl > (uint64_t)(end - p)) { rc = -1; break; }
    const uint8_t *t = p;
    p += tl;
    if (gg_varint_get(&p, end, &xl) || xl > (uint64_t)(end - p)) { rc = -1; break; }
    if (i == doc) {
      *title = dup_n(t, (size_t)tl);
      *text = dup_n(p, (size_t)xl);
      if (!*title || !*text) {
        free(*title);
        free(*text);
        *title = *text = NULL;
        rc = gg_nomem(err);
      }
    }
    p += xl;
  }
  free(u);
  if (rc == -1) return corrupt(s, err, "stored-text block");
  return rc;
}

int gg_doc_get(gg_index *ix, uint32_t segment, uint32_t doc, char **title, char **text,
               gg_error *err) {
  if (segment >= ix->nsegs) return gg_fail(err, GG_EINVAL, "no segment %u", segment);
  return gg_seg_doc(&ix->segs[segment], doc, title, text, err);
}
