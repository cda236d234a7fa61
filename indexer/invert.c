/*
** invert.c -- in-memory inversion with a memory budget, sorted runs and
** their merge.
**
** Documents arrive in increasing id order.  Each term accumulates its
** postings in a "run record": for each document, varint(doc gap - 1),
** varint(tf) and tf varints of position gaps (gap - 1, the first relative to
** -1).  When the accounted memory passes the budget, all terms are sorted
** bytewise and written as one run to a temporary file, and the table starts
** empty.  A run covers a contiguous range of documents, so the postings of a
** term over the whole collection are its run records concatenated in run
** order; the final merge is a k-way merge on the term only, of the runs in
** the file and the table itself (sorted, never written out) as the last run.
** With threads it is two merges of two ranges of terms at once: a range's
** start in a run file is found from marks kept every RUN_MARK_EVERY terms.
** The run file is read back through a window per reader, so the merge's
** memory is bounded by the budget, not by the file or the number of runs.
**
** Run file: repeated { varint term_len, term bytes, varint df,
** varint record_len, record bytes }, terms strictly increasing.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../core/codec.h"
#include "../core/err.h"
#include "indexer.h"

#define CHUNK_MIN ((size_t)64 << 10)        /* a table's first chunk of each kind; each next */
#define CHUNK_MAX ((size_t)1 << 20)         /* one is twice the last, up to this */
#define TABLE_FIRST 1024                    /* first size of the table's arrays (all grow by doubling) */
#define RUN_SPOOL_MEM (4u << 20)
#define HUGE_PAGE ((size_t)2 << 20)
#define WINDOW_MAX ((size_t)1 << 20)        /* a run file reader's window, at most */
#define WINDOW_MIN ((size_t)4 << 10)        /* ... and at least (see window_size) */
#define RUN_HEADER_MAX (2 * GG_VARINT_MAX + 2 + 255) /* a run entry before its record */
#define EMIT_DOCS 512                       /* run record documents decoded at a time */
#define EMIT_POSITIONS 16384                /* ... or fewer, past this many positions */
#define MERGE_AHEAD 8                       /* terms prefetched ahead in byte order (PREFETCH_AHEAD) */
#define RUN_MARK_EVERY 256                  /* run terms between marks (where a merge range may start) */

/* A run record: bytes grown by doubling from 64.  Records of up to
** SLAB_MAX bytes are blocks of the table's slab: power-of-two sizes carved
** from the table's chunks, a free list per size, all returned at once when
** the table is reset.  Larger ones are malloc'd.  So the final merge frees
** nothing record by record: glibc's free of a few hundred thousand chunks,
** from two merging threads into the one arena that allocated them, was a
** third of the merge's time. */
#define SLAB_MIN_SHIFT 6
#define SLAB_MAX_SHIFT 15
#define SLAB_MAX ((size_t)1 << SLAB_MAX_SHIFT)
typedef struct rec_buf {
  uint8_t *p;
  size_t n, cap;
} rec_buf;

typedef struct term_acc {
  char *term;         /* in the arena */
  uint32_t len;
  uint32_t hash;
  uint32_t df;
  int64_t last_doc;   /* -1 before the first document of this run */
  rec_buf rec;        /* run record */
  int64_t cur_doc;    /* document being added when this term was last seen */
  uint32_t cur_tf;    /* occurrences in cur_doc */
  uint32_t cur_at;    /* where its positions go in the document's position array */
} term_acc;

/* The word table maps a normalised word (before stemming) to its term in
** the current run, so that the words of the text, most of which repeat,
** cost one lookup in a compact table: a 32-byte slot holds the word itself,
** its hash and its term.  Longer words (rare) bypass it. */
#define WORD_KEY 22
typedef struct word_slot {
  uint32_t hash;
  uint32_t term1;      /* term index + 1; 0: empty slot */
  uint8_t len;
  char key[WORD_KEY];
  uint8_t pad;
} word_slot;

typedef struct tok {
  uint32_t term;      /* index in terms[] */
  uint32_t pos;
} tok;

/* Words wait in a small queue between the prefetch of their word-table slot
** and their lookup, so the slot's cache miss overlaps the work on the words
** before them. */
#define WORDS_AHEAD 8
/* Likewise, looked-up terms wait behind a prefetch of their accumulator. */
#define TOKENS_AHEAD 8
/* At a document's end, its terms' records are written in turn; each is
** prefetched this many terms ahead. */
#define RECORDS_AHEAD 4
typedef struct queued_word {
  uint32_t hash;
  uint32_t pos;
  uint8_t len;
  char w[WORD_KEY];
} queued_word;

/* Chunks grow from CHUNK_MIN to CHUNK_MAX, and so do the table's arrays
** from TABLE_FIRST entries, so that a table under a small budget holds
** many documents before it is flushed, not one. */
typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  char data[];
} arena_chunk;

struct gg_inverter {
  char *tmp_dir;
  size_t budget;
  size_t used;               /* accounted bytes of the current run */
  term_acc *terms;
  uint32_t nterms, terms_cap;
  uint64_t *slots;           /* open addressing: 0 empty, else hash << 32 | (term index + 1);
                             ** the hash in the slot spares a cache miss per probe */
  uint32_t nslots;           /* power of two */
  word_slot *words;          /* word table, nwslots (a power of two) slots */
  uint32_t nwords, nwslots;
  gg_analyzer *an;           /* analyser of the document being added */
  arena_chunk *arena;
  arena_chunk *slab;         /* chunks of record blocks */
  uint8_t *slab_free[SLAB_MAX_SHIFT + 1]; /* free blocks of each size, linked through their first bytes */
  tok *toks;
  size_t ntoks, toks_cap;
  uint32_t *doc_terms;       /* distinct terms of the current document, first-seen order */
  size_t ndoc_terms, doc_terms_cap;
  uint32_t *doc_pos;         /* its positions grouped by term */
  size_t doc_pos_cap;
  gg_spool *runs;            /* every flushed run, back to back, in one temp file */
  uint32_t *final_order;     /* the last run: the table's terms in order (gg_inverter_finish) */
  uint64_t *run_off;         /* nruns + 1 offsets of the runs in their spool */
  gg_buf run_marks;          /* u64 spool offsets of every RUN_MARK_EVERY-th term of
                             ** every run, the runs' in run order */
  uint64_t *run_mark0;       /* nruns + 1: index in run_marks of each run's first */
  size_t nruns;
  int64_t adding;            /* document being added */
  queued_word queue[WORDS_AHEAD]; /* words of the document not yet looked up */
  unsigned queue_head, queue_n;
  tok tok_queue[TOKENS_AHEAD];    /* looked up, not yet recorded */
  unsigned tok_head, tok_n;
};

int gg_inverter_new(const char *tmp_dir, size_t budget, gg_inverter **out, gg_error *err) {
  *out = NULL;
  gg_inverter *v = calloc(1, sizeof *v);
  if (!v || !(v->tmp_dir = strdup(tmp_dir))) {
    free(v);
    return gg_nomem(err);
  }
  v->budget = budget;
  *out = v;
  return GG_OK;
}

/* A zeroed table of n * size bytes that lookups hit at random.  From 2 MiB
** up it is mapped on its own, 2 MiB-aligned and on transparent huge pages
** where the system grants them on request (far fewer TLB misses), and goes
** back to the system when freed (malloc would keep the freed tables of a
** doubling in its heap).  It is zeroed by writing: fresh pages that a lookup
** reads first map the shared zero page, and the first insert then takes a
** copy-on-write fault that, in a threaded process, flushes the TLB of every
** core.  NULL on overflow or OOM; free with table_free(p, n, size). */
static size_t table_bytes(size_t n, size_t size) {
  size_t bytes = n * size;
  return bytes < HUGE_PAGE ? bytes : (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static void *table_zalloc(size_t n, size_t size) {
  if (n > (SIZE_MAX - HUGE_PAGE) / size / 2) return NULL;
  size_t bytes = table_bytes(n, size);
  if (bytes < HUGE_PAGE) {
    void *p = malloc(bytes);
    if (p) explicit_bzero(p, bytes);  /* not memset: compilers make that calloc */
    return p;
  }
  uint8_t *m = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  size_t lead = (HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE;
  if (lead) munmap(m, lead);
  munmap(m + lead + bytes, HUGE_PAGE - lead);
  madvise(m + lead, bytes, MADV_HUGEPAGE);
  explicit_bzero(m + lead, bytes);
  return m + lead;
}

static void table_free(void *p, size_t n, size_t size) {
  if (!p) return;
  size_t bytes = table_bytes(n, size);
  if (bytes < HUGE_PAGE) free(p);
  else munmap(p, bytes);
}

static void rec_free(rec_buf *r) {
  if (r->cap > SLAB_MAX) free(r->p);  /* slab blocks go with their chunks */
  r->p = NULL;
  r->n = r->cap = 0;
}

static void chunks_free(arena_chunk **list) {
  while (*list) {
    arena_chunk *n = (*list)->next;
    free(*list);
    *list = n;
  }
}

static void table_reset(gg_inverter *v) {
  for (uint32_t i = 0; i < v->nterms; i++) rec_free(&v->terms[i].rec);
  chunks_free(&v->slab);
  memset(v->slab_free, 0, sizeof v->slab_free);
  free(v->terms);
  table_free(v->slots, v->nslots, sizeof *v->slots);
  chunks_free(&v->arena);
  table_free(v->words, v->nwslots, sizeof *v->words);
  v->words = NULL;
  v->nwords = v->nwslots = 0;
  v->terms = NULL;
  v->slots = NULL;
  v->nterms = v->terms_cap = v->nslots = 0;
  v->used = 0;
}

void gg_inverter_free(gg_inverter *v) {
  if (!v) return;
  table_reset(v);
  gg_spool_close(v->runs);
  free(v->final_order);
  free(v->run_off);
  free(v->toks);
  free(v->doc_terms);
  free(v->doc_pos);
  gg_buf_free(&v->run_marks);
  free(v->run_mark0);
  free(v->tmp_dir);
  free(v);
}

uint64_t gg_inverter_runs(const gg_inverter *v) {
  return v->nruns + (v->final_order && v->nterms > 0);  /* the table is the last run */
}

/* n (<= CHUNK_MIN) bytes from the newest chunk of list, a new chunk if
** they do not fit (the old one's tail goes unused); NULL on OOM.  Chunks
** count in the budget whole. */
static void *chunk_take(gg_inverter *v, arena_chunk **list, size_t n) {
  if (!*list || (*list)->used + n > (*list)->size) {
    size_t size = !*list ? CHUNK_MIN : (*list)->size < CHUNK_MAX ? 2 * (*list)->size : CHUNK_MAX;
    arena_chunk *c = malloc(sizeof *c + size);
    if (!c) return NULL;
    c->next = *list;
    c->used = 0;
    c->size = size;
    *list = c;
    v->used += size;
  }
  void *p = (*list)->data + (*list)->used;
  (*list)->used += n;
  return p;
}

/* A block of 1 << shift bytes (shift <= SLAB_MAX_SHIFT) from the slab; NULL on OOM. */
static uint8_t *slab_alloc(gg_inverter *v, unsigned shift) {
  uint8_t *b = v->slab_free[shift];
  if (b) {
    memcpy(&v->slab_free[shift], b, sizeof b);
    return b;
  }
  return chunk_take(v, &v->slab, (size_t)1 << shift);
}

/* Room for extra more bytes in r; -1 on OOM (r unchanged).  The budget
** counts slab chunks and malloc'd records (so blocks waiting on a free
** list count too). */
static int rec_reserve(gg_inverter *v, rec_buf *r, size_t extra) {
  if (r->cap - r->n >= extra) return 0;
  size_t want = r->n + extra, cap = r->cap ? r->cap : (size_t)1 << SLAB_MIN_SHIFT;
  while (cap < want) cap *= 2;
  uint8_t *p;
  if (cap > SLAB_MAX) {
    p = r->cap > SLAB_MAX ? realloc(r->p, cap) : malloc(cap);
    if (!p) return -1;
    if (r->cap <= SLAB_MAX && r->n) memcpy(p, r->p, r->n);
    v->used += cap - (r->cap > SLAB_MAX ? r->cap : 0);
  } else {
    unsigned shift = SLAB_MIN_SHIFT;
    while (((size_t)1 << shift) < cap) shift++;
    if (!(p = slab_alloc(v, shift))) return -1;
    if (r->n) memcpy(p, r->p, r->n);
  }
  if (r->p && r->cap <= SLAB_MAX) {  /* the old block to its size's free list */
    unsigned old = SLAB_MIN_SHIFT;
    while (((size_t)1 << old) < r->cap) old++;
    memcpy(r->p, &v->slab_free[old], sizeof r->p);
    v->slab_free[old] = r->p;
  }
  r->p = p;
  r->cap = cap;
  return 0;
}

static char *arena_copy(gg_inverter *v, const char *s, size_t n) {
  char *p = chunk_take(v, &v->arena, n);
  if (p) memcpy(p, s, n);
  return p;
}

/* Hash of a term for the term table (the word table hashes its fixed-size
** keys with word_hash): eight bytes per multiply (a byte-at-a-time hash
** chains a multiply per byte), the last partial word gathered with
** independent shifts, the high bits folded into the low ones that index
** the table. */
static uint32_t hash_term(const char *s, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15u ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    memcpy(&x, s + i, 8);
    h = (h ^ x) * 0xbf58476d1ce4e5b9u;
    h ^= h >> 31;
  }
  uint64_t x = 0;
  for (unsigned shift = 0; i < n; i++, shift += 8) x |= (uint64_t)(uint8_t)s[i] << shift;
  h = (h ^ x) * 0x94d049bb133111ebu;
  h ^= h >> 32;
  return (uint32_t)h;
}

static int grow_slots(gg_inverter *v) {
  uint32_t n = v->nslots ? v->nslots * 2 : TABLE_FIRST;
  uint64_t *s = table_zalloc(n, sizeof *s);
  if (!s) return GG_ENOMEM;
  for (uint32_t i = 0; i < v->nterms; i++) {
    uint32_t j = v->terms[i].hash & (n - 1);
    while (s[j]) j = (j + 1) & (n - 1);
    s[j] = (uint64_t)v->terms[i].hash << 32 | (i + 1);
  }
  v->used += (size_t)(n - v->nslots) * sizeof *s;
  table_free(v->slots, v->nslots, sizeof *v->slots);
  v->slots = s;
  v->nslots = n;
  return GG_OK;
}

/* Index of term in the table, inserted if new; UINT32_MAX on OOM. */
static uint32_t intern(gg_inverter *v, const char *s, size_t n) {
  if ((uint64_t)(v->nterms + 1) * 2 > v->nslots && grow_slots(v)) return UINT32_MAX;
  uint32_t h = hash_term(s, n);
  uint32_t j = h & (v->nslots - 1);
  for (;;) {
    uint64_t slot = v->slots[j];
    if (!slot) break;
    if ((uint32_t)(slot >> 32) == h) {
      term_acc *t = &v->terms[(uint32_t)slot - 1];
      if (t->len == n && memcmp(t->term, s, n) == 0) return (uint32_t)slot - 1;
    }
    j = (j + 1) & (v->nslots - 1);
  }
  if (v->nterms == v->terms_cap) {
    uint32_t cap = v->terms_cap ? v->terms_cap * 2 : TABLE_FIRST;
    term_acc *t = realloc(v->terms, cap * sizeof *t);
    if (!t) return UINT32_MAX;
    v->used += (size_t)(cap - v->terms_cap) * sizeof *t;
    v->terms = t;
    v->terms_cap = cap;
  }
  term_acc *t = &v->terms[v->nterms];
  memset(t, 0, sizeof *t);
  if (!(t->term = arena_copy(v, s, n))) return UINT32_MAX;
  t->len = (uint32_t)n;
  t->hash = h;
  t->last_doc = -1;
  t->cur_doc = -1;
  v->slots[j] = (uint64_t)h << 32 | (v->nterms + 1);
  return v->nterms++;
}

/* Make room for one more element in *arr (cap elements of size each). */
static int grow1(void **arr, size_t n, size_t *cap, size_t size, size_t first) {
  if (n < *cap) return 0;
  size_t c = *cap ? *cap * 2 : first;
  void *p = realloc(*arr, c * size);
  if (!p) return -1;
  *arr = p;
  *cap = c;
  return 0;
}

/* Term index of a word's stem, interned if new; UINT32_MAX on OOM. */
static uint32_t stem_term(gg_inverter *v, const char *w, size_t n) {
  const char *s;
  size_t sn;
  if (gg_analyzer_stem(v->an, w, n, &s, &sn)) return UINT32_MAX;
  return intern(v, s, sn);
}

static int grow_words(gg_inverter *v) {
  uint32_t n = v->nwslots ? v->nwslots * 2 : TABLE_FIRST;
  word_slot *ws = table_zalloc(n, sizeof *ws);
  if (!ws) return GG_ENOMEM;
  for (uint32_t i = 0; i < v->nwslots; i++) {
    if (!v->words[i].term1) continue;
    uint32_t j = v->words[i].hash & (n - 1);
    while (ws[j].term1) j = (j + 1) & (n - 1);
    ws[j] = v->words[i];
  }
  v->used += (size_t)(n - v->nwslots) * sizeof *ws;
  table_free(v->words, v->nwslots, sizeof *v->words);
  v->words = ws;
  v->nwslots = n;
  return GG_OK;
}

/* Term index of the queued word q; UINT32_MAX on OOM.  Keys compare as
** WORD_KEY bytes, zero-padded in the queue and in the slots (empty slots are
** zeroed and a slot's key never changes), a compare the compiler inlines.
** The word table is a cache: it stops growing at a sixteenth of the budget
** (so its doubling, when the old and new tables briefly coexist, stays
** within the budget's margin); once full, words not in it go to the stemmer
** every time. */
static uint32_t word_term(gg_inverter *v, const queued_word *q) {
  uint32_t h = q->hash;
  int full = (uint64_t)(v->nwords + 1) * 2 > v->nwslots;
  if (full && (v->nwslots == 0 || (size_t)v->nwslots * 2 * sizeof(word_slot) <= v->budget / 16)) {
    if (grow_words(v)) return UINT32_MAX;
    full = 0;
  }
  uint32_t j = h & (v->nwslots - 1);
  for (;; j = (j + 1) & (v->nwslots - 1)) {
    word_slot *ws = &v->words[j];
    if (!ws->term1) break;
    if (ws->hash == h && ws->len == q->len && memcmp(ws->key, q->w, WORD_KEY) == 0)
      return ws->term1 - 1;
  }
  uint32_t id = stem_term(v, q->w, q->len);
  if (id == UINT32_MAX || full) return id;
  word_slot *ws = &v->words[j];
  ws->hash = h;
  ws->term1 = id + 1;
  ws->len = q->len;
  memcpy(ws->key, q->w, WORD_KEY);
  v->nwords++;
  return id;
}

/* Record an occurrence of term id at pos in the document being added. */
static int record_token(gg_inverter *v, uint32_t id, uint32_t pos) {
  if (grow1((void **)&v->toks, v->ntoks, &v->toks_cap, sizeof *v->toks, 4096)) return GG_ENOMEM;
  v->toks[v->ntoks].term = id;
  v->toks[v->ntoks].pos = pos;
  v->ntoks++;
  term_acc *t = &v->terms[id];
  if (t->cur_doc != v->adding) {
    if (grow1((void **)&v->doc_terms, v->ndoc_terms, &v->doc_terms_cap, sizeof *v->doc_terms, 1024))
      return GG_ENOMEM;
    v->doc_terms[v->ndoc_terms++] = id;
    t->cur_doc = v->adding;
    t->cur_tf = 0;
  }
  t->cur_tf++;
  return 0;
}

/* Record the oldest queued token. */
static int dequeue_token(gg_inverter *v) {
  tok *t = &v->tok_queue[v->tok_head];
  v->tok_head = (v->tok_head + 1) % TOKENS_AHEAD;
  v->tok_n--;
  return record_token(v, t->term, t->pos);
}

/* Queue an occurrence of term id (UINT32_MAX: out of memory) at pos. */
static int add_token(gg_inverter *v, uint32_t id, uint32_t pos) {
  if (id == UINT32_MAX) return GG_ENOMEM;
  /* Recording the token and, at the document's end, its record use the
  ** accumulator's bytes from df to cur_at: 64 bytes on at most two cache
  ** lines, both fetched by prefetching the two ends. */
  __builtin_prefetch(&v->terms[id].df, 1);
  __builtin_prefetch(&v->terms[id].cur_at, 1);
  if (v->tok_n == TOKENS_AHEAD) {
    int rc = dequeue_token(v);
    if (rc) return rc;
  }
  tok *t = &v->tok_queue[(v->tok_head + v->tok_n++) % TOKENS_AHEAD];
  t->term = id;
  t->pos = pos;
  return 0;
}

/* Look up the oldest queued word and record it. */
static int dequeue_word(gg_inverter *v) {
  queued_word *q = &v->queue[v->queue_head];
  v->queue_head = (v->queue_head + 1) % WORDS_AHEAD;
  v->queue_n--;
  return add_token(v, word_term(v, q), q->pos);
}

/* Record every queued word, then every queued token, in order. */
static int drain_queues(gg_inverter *v) {
  int rc = 0;
  while (v->queue_n && rc == 0) rc = dequeue_word(v);
  while (v->tok_n && rc == 0) rc = dequeue_token(v);
  v->queue_n = v->tok_n = 0;
  return rc;
}

/* dst[0..n) = src[0..n), n <= WORD_KEY: a few fixed-size, overlapping
** moves chosen by n's range, not a call to memcpy and a loop over bytes. */
static inline void copy_short(char *dst, const char *src, size_t n) {
  if (n >= 8) {
    uint64_t a, b, c;
    memcpy(&a, src, 8);
    memcpy(&b, src + n - 8, 8);
    if (n > 16) {
      memcpy(&c, src + 8, 8);
      memcpy(dst + 8, &c, 8);
    }
    memcpy(dst, &a, 8);
    memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, src, 4);
    memcpy(&b, src + n - 4, 4);
    memcpy(dst, &a, 4);
    memcpy(dst + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
  }
}

/* The word table's hash of a word (1 <= n <= WORD_KEY): its first and
** last 8 bytes (4, or three single bytes, for shorter words) and its
** length, read from the word itself rather than from its queued copy (a
** load spanning the copy's fresh overlapping stores would wait for them to
** retire).  Any function of the word will do: the table is a cache, keys
** are compared whole, and the terms it leads to do not depend on it. */
static inline uint32_t word_hash(const char *w, size_t n) {
  uint64_t a, b;
  if (n >= 8) {
    memcpy(&a, w, 8);
    memcpy(&b, w + n - 8, 8);
  } else if (n >= 4) {
    uint32_t x, y;
    memcpy(&x, w, 4);
    memcpy(&y, w + n - 4, 4);
    a = x;
    b = y;
  } else {
    a = (uint8_t)w[0] | (uint64_t)(uint8_t)w[n / 2] << 8 | (uint64_t)(uint8_t)w[n - 1] << 16;
    b = 0;
  }
  uint64_t h = (a * 0x9e3779b97f4a7c15u) ^ (b * 0xbf58476d1ce4e5b9u) ^ n;
  h ^= h >> 29;
  h *= 0x94d049bb133111ebu;
  h ^= h >> 32;
  return (uint32_t)h;
}

/* Words are recorded in the order the analyser gives them; the queue only
** delays them.  Long words (rare) bypass the word table and the queue. */
static int on_word(void *ctx, const char *word, size_t len, uint32_t pos, size_t start,
                   size_t end) {
  (void)start;
  (void)end;
  gg_inverter *v = ctx;
  if (len > WORD_KEY) {
    int rc = drain_queues(v);
    return rc ? rc : add_token(v, stem_term(v, word, len), pos);
  }
  if (v->queue_n == WORDS_AHEAD) {
    int rc = dequeue_word(v);
    if (rc) return rc;
  }
  queued_word *q = &v->queue[(v->queue_head + v->queue_n++) % WORDS_AHEAD];
  q->pos = pos;
  q->len = (uint8_t)len;
  memset(q->w, 0, WORD_KEY);
  copy_short(q->w, word, len);
  q->hash = word_hash(word, len);
  if (v->nwslots) __builtin_prefetch(&v->words[q->hash & (v->nwslots - 1)]);
  return 0;
}

/* qsort_r comparator: term indices by their bytes (ctx: the term array).
** No global state, so two builds may run in one process. */
static int cmp_term_idx(const void *a, const void *b, void *ctx) {
  const term_acc *terms = ctx;
  const term_acc *x = &terms[*(const uint32_t *)a];
  const term_acc *y = &terms[*(const uint32_t *)b];
  size_t m = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->term, y->term, m);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Big-endian first eight bytes of a term, zero-padded.  Where two terms'
** prefixes differ, their integer order is cmp_term_idx's (a term's prefix
** never exceeds its extensions'); equal prefixes are left to cmp_term_idx. */
static uint64_t term_prefix(const term_acc *t) {
  uint8_t b[8] = {0};
  memcpy(b, t->term, t->len < 8 ? t->len : 8);
  uint64_t k = 0;
  for (int i = 0; i < 8; i++) k = k << 8 | b[i];
  return k;
}

/* The table's term indices in term order (a new array), NULL on OOM.  A
** comparison sort would chase two pointers into the arena per compare (at
** a 300 MB corpus's 263k terms, 80 ms of the build's serial end): instead
** the terms are sorted by prefix with an LSD radix sort (a byte per pass,
** passes where every key has the same byte skipped), then each run of
** equal prefixes by the rest with cmp_term_idx. */
static uint32_t *sorted_terms(gg_inverter *v) {
  size_t n = v->nterms;
  uint32_t *order = malloc((n ? n : 1) * sizeof *order);
  uint32_t *order2 = malloc((n ? n : 1) * sizeof *order2);
  uint64_t *key = malloc((n ? n : 1) * sizeof *key);
  uint64_t *key2 = malloc((n ? n : 1) * sizeof *key2);
  size_t(*count)[256] = calloc(8, sizeof *count);
  if (!order || !order2 || !key || !key2 || !count) {
    free(order);
    order = NULL;
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    order[i] = (uint32_t)i;
    key[i] = term_prefix(&v->terms[i]);
    for (int d = 0; d < 8; d++) count[d][key[i] >> (8 * d) & 0xff]++;
  }
  for (int d = 0; d < 8; d++) {
    if (n == 0 || count[d][key[0] >> (8 * d) & 0xff] == n) continue;  /* one value: a no-op pass */
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
      size_t c = count[d][b];
      count[d][b] = at;
      at += c;
    }
    for (size_t i = 0; i < n; i++) {
      size_t j = count[d][key[i] >> (8 * d) & 0xff]++;
      key2[j] = key[i];
      order2[j] = order[i];
    }
    uint64_t *tk = key;
    key = key2;
    key2 = tk;
    uint32_t *to = order;
    order = order2;
    order2 = to;
  }
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && key[j] == key[i]) j++;
    if (j - i > 1) qsort_r(order + i, j - i, sizeof *order, cmp_term_idx, v->terms);
    i = j;
  }
out:
  free(order2);
  free(key);
  free(key2);
  free(count);
  return order;
}

/* Before the table's terms are visited in byte order (order_[0..n_), now
** at i_): in that order they are scattered in memory, three dependent
** cache misses per term, so their accumulators are fetched MERGE_AHEAD
** terms ahead and their records and bytes half as far (reuters' final
** merge went from 43 to 39 ms, over 15 interleaved builds).  A macro:
** GCC 12 dropped these prefetches from the same code as an inline
** function (seen in the assembly). */
#define PREFETCH_AHEAD(inv_, order_, i_, n_)                                \
  do {                                                                      \
    if ((i_) + MERGE_AHEAD < (n_)) {                                        \
      const term_acc *u_ = &(inv_)->terms[(order_)[(i_) + MERGE_AHEAD]];    \
      __builtin_prefetch(&u_->term);                                        \
      __builtin_prefetch(&u_->rec.n);                                       \
    }                                                                       \
    if ((i_) + MERGE_AHEAD / 2 < (n_)) {                                    \
      const term_acc *u_ = &(inv_)->terms[(order_)[(i_) + MERGE_AHEAD / 2]]; \
      __builtin_prefetch(u_->term);                                         \
      __builtin_prefetch(u_->rec.p);                                        \
    }                                                                       \
  } while (0)

/* Write the table as one sorted run to the run file and empty it. */
static int flush_run(gg_inverter *v, gg_error *err) {
  if (v->nterms == 0) return GG_OK;
  uint32_t *order = sorted_terms(v);
  uint64_t *offs = realloc(v->run_off, (v->nruns + 2) * sizeof *offs);
  if (offs) v->run_off = offs;
  uint64_t *mark0 = offs ? realloc(v->run_mark0, (v->nruns + 2) * sizeof *mark0) : NULL;
  if (mark0) v->run_mark0 = mark0;
  if (!order || !offs || !mark0) {
    free(order);
    return gg_nomem(err);
  }
  int rc = GG_OK;
  if (!v->runs) rc = gg_spool_open(v->tmp_dir, RUN_SPOOL_MEM, &v->runs, err);
  if (rc != GG_OK) {
    free(order);
    return rc;
  }
  gg_spool *sp = v->runs;
  v->run_off[v->nruns] = gg_spool_size(sp);
  v->run_mark0[v->nruns] = v->run_marks.n / 8;
  uint8_t hdr[3 * GG_VARINT_MAX + 256];
  for (uint32_t i = 0; i < v->nterms; i++) {
    PREFETCH_AHEAD(v, order, i, v->nterms);
    term_acc *t = &v->terms[order[i]];
    if (i % RUN_MARK_EVERY == 0) gg_buf_put_u64(&v->run_marks, gg_spool_size(sp));
    size_t n = gg_varint_put(hdr, t->len);
    memcpy(hdr + n, t->term, t->len);
    n += t->len;
    n += gg_varint_put(hdr + n, t->df);
    n += gg_varint_put(hdr + n, t->rec.n);
    gg_spool_write(sp, hdr, n);
    gg_spool_write(sp, t->rec.p, t->rec.n);
  }
  v->nruns++;
  v->run_off[v->nruns] = gg_spool_size(sp);
  v->run_mark0[v->nruns] = v->run_marks.n / 8;
  free(order);
  table_reset(v);
  if (v->run_marks.oom) return gg_nomem(err);
  return gg_spool_status(sp, err);
}

int gg_inverter_add(gg_inverter *v, gg_analyzer *an, uint32_t doc, const gg_doc *d,
                    uint32_t *ntokens, gg_error *err) {
  v->ntoks = 0;
  v->ndoc_terms = 0;
  v->adding = doc;
  uint32_t pos = 0;
  v->an = an;
  v->queue_n = v->tok_n = 0;
  int rc = gg_analyze_words(an, d->title, d->title_len, &pos, on_word, v);
  if (rc == 0) rc = gg_analyze_words(an, d->text, d->text_len, &pos, on_word, v);
  if (rc == 0) rc = drain_queues(v);
  if (rc) return rc == GG_ENOMEM ? gg_nomem(err) : gg_fail(err, rc, "analysis failed");
  *ntokens = pos;
  /* Group positions by term without sorting: offsets from the counts,
  ** then one scatter pass (positions arrive in increasing order). */
  if (v->ntoks > v->doc_pos_cap) {
    uint32_t *p = realloc(v->doc_pos, v->ntoks * sizeof *p);
    if (!p) return gg_nomem(err);
    v->doc_pos = p;
    v->doc_pos_cap = v->ntoks;
  }
  uint32_t at = 0;
  for (size_t i = 0; i < v->ndoc_terms; i++) {
    term_acc *t = &v->terms[v->doc_terms[i]];
    t->cur_at = at;
    at += t->cur_tf;
  }
  for (size_t i = 0; i < v->ntoks; i++) v->doc_pos[v->terms[v->toks[i].term].cur_at++] = v->toks[i].pos;
  at = 0;
  for (size_t i = 0; i < v->ndoc_terms; i++) {
    /* Each term's record ends somewhere cold: fetch a few terms ahead. */
    if (i + RECORDS_AHEAD < v->ndoc_terms) {
      const term_acc *u = &v->terms[v->doc_terms[i + RECORDS_AHEAD]];
      if (u->rec.p) __builtin_prefetch(u->rec.p + u->rec.n, 1);
    }
    term_acc *t = &v->terms[v->doc_terms[i]];
    uint32_t tf = t->cur_tf;
    /* Room for the worst case, then varints written in place. */
    if (rec_reserve(v, &t->rec, (2 + (size_t)tf) * GG_VARINT_MAX)) return gg_nomem(err);
    uint8_t *w = t->rec.p + t->rec.n;
    w += gg_varint_put(w, (uint64_t)((int64_t)doc - t->last_doc - 1));
    w += gg_varint_put(w, tf);
    int64_t prev = -1;
    for (uint32_t k = at; k < at + tf; k++) {
      w += gg_varint_put(w, (uint64_t)((int64_t)v->doc_pos[k] - prev - 1));
      prev = v->doc_pos[k];
    }
    t->rec.n = (size_t)(w - t->rec.p);
    at += tf;
    t->last_doc = doc;
    t->df++;
  }
  if (v->used > v->budget) return flush_run(v, err);
  return GG_OK;
}

/* A sorted run being merged: a range of the run file, read through a
** window of its bytes (so that the merge's memory is its readers' windows,
** whatever the number of runs), or the table itself (order != NULL), whose
** last run is never written out.  Either way the current record is
** consumed from [p, lim), rec_left bytes of it not yet consumed; a table
** record is in memory whole. */
typedef struct run_reader {
  gg_spool *sp;              /* file runs: the run file, */
  uint64_t next, end;        /* the offsets of the byte after the window and of the range's end, */
  uint8_t *buf;              /* the window (cap bytes; grown to hold a long document's positions) */
  size_t cap, base_cap;
  gg_inverter *v;            /* table runs: the table, */
  const uint32_t *order;     /* its terms in order, */
  uint32_t at, count;        /* the next one and the range's end */
  const uint8_t *p, *lim;    /* bytes at hand */
  uint64_t rec_left;         /* bytes of the current record from p on */
  uint8_t term_buf[255];     /* file runs: the current term */
  const uint8_t *term;
  size_t len;
  uint64_t df;
  int done;
} run_reader;

static int run_damaged(gg_error *err) { return gg_fail(err, GG_EIO, "temporary run file damaged"); }

/* Make need bytes, or as many as the range has left, available at r->p,
** reading the file from r->next (as much as the window holds).  A table
** reader has everything at hand already. */
static int window_fill(run_reader *r, size_t need, gg_error *err) {
  size_t have = (size_t)(r->lim - r->p);
  uint64_t left = r->order ? 0 : r->end - r->next;
  if (have >= need || left == 0) return GG_OK;
  if (need > r->cap || (r->cap > r->base_cap && need <= r->base_cap && have <= r->base_cap)) {
    /* Grow for a long document; back to the usual size after it. */
    size_t cap = need > r->base_cap ? need : r->base_cap;
    uint8_t *b = malloc(cap);
    if (!b) return gg_nomem(err);
    if (have) memcpy(b, r->p, have);
    free(r->buf);
    r->buf = b;
    r->cap = cap;
  } else if (have) {
    memmove(r->buf, r->p, have);
  }
  size_t want = r->cap - have < left ? r->cap - have : (size_t)left;
  int rc = gg_spool_read(r->sp, r->next, r->buf + have, want, err);
  if (rc) return rc;
  r->next += want;
  r->p = r->buf;
  r->lim = r->buf + have + want;
  return GG_OK;
}

/* Pass over what is left of the current record without reading it. */
static void skip_record(run_reader *r) {
  size_t have = (size_t)(r->lim - r->p);
  if (r->rec_left <= have) {
    r->p += r->rec_left;
  } else {
    r->next += r->rec_left - have;
    r->p = r->lim;
  }
  r->rec_left = 0;
}

/* Advance to the run's next term.  (A table run's records stay until the
** table is reset: see rec_buf.) */
static int run_next(run_reader *r, gg_error *err) {
  if (r->order) {
    if (r->at == r->count) {
      r->done = 1;
      return GG_OK;
    }
    PREFETCH_AHEAD(r->v, r->order, r->at, r->count);
    const term_acc *t = &r->v->terms[r->order[r->at++]];
    r->term = (const uint8_t *)t->term;
    r->len = t->len;
    r->df = t->df;
    r->p = t->rec.p;
    r->lim = t->rec.p + t->rec.n;
    r->rec_left = t->rec.n;
    return GG_OK;
  }
  skip_record(r);
  if (r->p == r->lim && r->next >= r->end) {
    r->done = 1;
    return GG_OK;
  }
  int rc = window_fill(r, RUN_HEADER_MAX, err);
  if (rc) return rc;
  const uint8_t *p = r->p;
  uint64_t len, df, n;
  if (gg_varint_get(&p, r->lim, &len) || len == 0 || len > sizeof r->term_buf ||
      len > (uint64_t)(r->lim - p))
    return run_damaged(err);
  memcpy(r->term_buf, p, (size_t)len);
  p += len;
  if (gg_varint_get(&p, r->lim, &df) || gg_varint_get(&p, r->lim, &n) || df == 0 ||
      n > (uint64_t)(r->lim - p) + (r->end - r->next))
    return run_damaged(err);
  r->term = r->term_buf;
  r->len = (size_t)len;
  r->df = df;
  r->p = p;
  r->rec_left = n;
  return GG_OK;
}

/* Move r to the entry at offset off, its window emptied. */
static void reader_seek(run_reader *r, uint64_t off) {
  r->next = off;
  r->p = r->lim = r->buf;
  r->rec_left = 0;
}

/* A reader of [off, end) of the run file, its window cap bytes. */
static int reader_open(run_reader *r, gg_spool *sp, uint64_t off, uint64_t end, size_t cap,
                       gg_error *err) {
  memset(r, 0, sizeof *r);
  r->sp = sp;
  r->end = end;
  r->cap = r->base_cap = cap;
  if (!(r->buf = malloc(cap))) return gg_nomem(err);
  reader_seek(r, off);
  return GG_OK;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  size_t m = an < bn ? an : bn;
  int c = memcmp(a, b, m);
  return c ? c : (an > bn) - (an < bn);
}

static int cmp_run_term(const run_reader *a, const run_reader *b) {
  return cmp_bytes(a->term, a->len, b->term, b->len);
}

/* Offset in the run file of run i's first term >= key (the run's end if
** none): a binary search of its marks, then a scan of at most
** RUN_MARK_EVERY entries, reading their headers only. */
static int run_seek(const gg_inverter *v, size_t i, const uint8_t *key, size_t key_len,
                    uint64_t *off, gg_error *err) {
  const uint64_t *marks = (const uint64_t *)(const void *)v->run_marks.p + v->run_mark0[i];
  size_t lo = 0, hi = v->run_mark0[i + 1] - v->run_mark0[i];  /* marks[lo..hi) may hold it */
  uint64_t end = v->run_off[i + 1];
  run_reader r;
  int rc = reader_open(&r, v->runs, end, end, 4 * RUN_HEADER_MAX, err);
  while (rc == GG_OK && hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    reader_seek(&r, marks[mid]);
    if ((rc = run_next(&r, err)) == GG_OK && r.done) rc = run_damaged(err);
    if (rc == GG_OK && cmp_bytes(r.term, r.len, key, key_len) < 0) lo = mid;
    else hi = mid;
  }
  uint64_t at = hi > lo ? marks[lo] : end;
  reader_seek(&r, at);
  while (rc == GG_OK && at < end) {
    if ((rc = run_next(&r, err)) || r.done || cmp_bytes(r.term, r.len, key, key_len) >= 0) break;
    skip_record(&r);
    at = r.next - (uint64_t)(r.lim - r.p);
  }
  free(r.buf);
  *off = at;
  return rc;
}

/* One range of the final merge, for one thread: its readers (one per run,
** each bounded to the range) and the term writer its terms go to. */
typedef struct merge_part {
  gg_inverter *v;
  run_reader *rr;            /* v->nruns + 1 readers, the table last */
  gg_termw *w;
  uint8_t key[255];          /* the term being merged */
  uint32_t docs[EMIT_DOCS], tfs[EMIT_DOCS]; /* a chunk of a record (emit_record) */
  uint32_t *scratch;         /* its positions */
  size_t scratch_cap;
  int rc;                    /* the range's outcome (a thread's) */
  gg_error err;
} merge_part;

/* Feed one run record to the term writer, decoded EMIT_DOCS documents at
** a time (and fewer when their positions pass EMIT_POSITIONS), so that the
** writer is called per chunk, not per document. */
static int emit_record(merge_part *mp, run_reader *r, gg_error *err) {
  int64_t doc = -1;
  uint64_t i = 0;
  int rc;
  /* The record is decoded from [p, end); r->p and r->rec_left catch up
  ** (sync) only when the window must move.  Once the rest of the record is
  ** at hand (a table's always is), end is the record's end and the window
  ** needs no more checks. */
  const uint8_t *p = r->p;
  int whole = (uint64_t)(r->lim - p) >= r->rec_left;
  const uint8_t *end = whole ? p + r->rec_left : r->lim;
#define SYNC() (r->rec_left -= (uint64_t)(p - r->p), r->p = p)
#define REFILL(need)                                              \
  do {                                                            \
    if ((rc = window_fill(r, (need), err))) return rc;            \
    p = r->p;                                                     \
    whole = (uint64_t)(r->lim - p) >= r->rec_left;                \
    end = whole ? p + r->rec_left : r->lim;                       \
  } while (0)
  while (i < r->df) {
    size_t nd = 0, np = 0;
    while (i < r->df && nd < EMIT_DOCS && np < EMIT_POSITIONS) {
      /* A document: two varints, then tf varints of at most 5 bytes each. */
      if (!whole && (size_t)(end - p) < 2 * GG_VARINT_MAX) {
        SYNC();
        REFILL(2 * GG_VARINT_MAX);
      }
      uint64_t gap, tf;
      if (gg_varint_get(&p, end, &gap) || gg_varint_get(&p, end, &tf) || tf == 0 ||
          tf > (whole ? (uint64_t)(end - p) : r->rec_left - (uint64_t)(p - r->p)))
        return run_damaged(err);
      doc += (int64_t)gap + 1;
      if (doc > UINT32_MAX) return run_damaged(err);
      if (!whole && (uint64_t)(end - p) < tf * 5) {
        SYNC();
        REFILL(tf * 5 < r->rec_left ? (size_t)tf * 5 : (size_t)r->rec_left);
      }
      if (np + tf > mp->scratch_cap) {
        size_t cap = np + tf > 2 * mp->scratch_cap ? np + tf : 2 * mp->scratch_cap;
        uint32_t *sc = realloc(mp->scratch, cap * sizeof *sc);
        if (!sc) return gg_nomem(err);
        mp->scratch = sc;
        mp->scratch_cap = cap;
      }
      /* Position gaps are stored as the segment stores them; the positions
      ** they add up to must fit 32 bits. */
      uint64_t pos_end = 0;
      uint32_t *out = mp->scratch + np;
      for (uint64_t k = 0; k < tf; k++) {
        uint64_t g;
        if (gg_varint_get(&p, end, &g) || g > UINT32_MAX || (pos_end += g + 1) > UINT32_MAX)
          return run_damaged(err);
        out[k] = (uint32_t)g;
      }
      mp->docs[nd] = (uint32_t)doc;
      mp->tfs[nd] = (uint32_t)tf;
      nd++;
      np += tf;
      i++;
    }
    if ((rc = gg_termw_docs(mp->w, mp->docs, mp->tfs, mp->scratch, nd, err))) return rc;
  }
  SYNC();
#undef SYNC
#undef REFILL
  return r->rec_left ? run_damaged(err) : GG_OK;
}

/* Min-heap of run readers by current term; ties by run number, so a
** term's records come out in run (= document) order. */
typedef struct run_heap {
  run_reader **h;
  size_t n;
} run_heap;

static int heap_less(run_reader *a, run_reader *b) {
  int c = cmp_run_term(a, b);
  return c ? c < 0 : a < b;  /* readers live in one array in run order */
}

static void heap_sift_down(run_heap *hp, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < hp->n && heap_less(hp->h[l], hp->h[m])) m = l;
    if (r < hp->n && heap_less(hp->h[r], hp->h[m])) m = r;
    if (m == i) return;
    run_reader *x = hp->h[i];
    hp->h[i] = hp->h[m];
    hp->h[m] = x;
    i = m;
  }
}

/* Merge the part's range of every run into its term writer: every term
** once, in byte order, with its records in run (= document) order. */
static int merge_range(merge_part *mp, gg_error *err) {
  size_t nr = mp->v->nruns + 1;
  run_heap hp = {calloc(nr, sizeof(run_reader *)), 0};
  if (!hp.h) return gg_nomem(err);
  int rc = GG_OK;
  for (size_t i = 0; i < nr && rc == GG_OK; i++) {
    rc = run_next(&mp->rr[i], err);
    if (rc == GG_OK && !mp->rr[i].done) hp.h[hp.n++] = &mp->rr[i];
  }
  for (size_t i = hp.n / 2; i-- > 0;) heap_sift_down(&hp, i);
  while (rc == GG_OK && hp.n > 0) {
    /* The term, copied: its reader's next term replaces it. */
    size_t key_len = hp.h[0]->len;
    if (key_len > sizeof mp->key) {  /* the segment refuses such terms too */
      rc = gg_fail(err, GG_EINVAL, "internal: bad term length");
      break;
    }
    memcpy(mp->key, hp.h[0]->term, key_len);
    rc = gg_termw_begin(mp->w, (const char *)mp->key, key_len, err);
    /* Pop every run holding this term, in run order (the heap's tie rule). */
    while (rc == GG_OK && hp.n > 0 && cmp_bytes(hp.h[0]->term, hp.h[0]->len, mp->key, key_len) == 0) {
      run_reader *r = hp.h[0];
      rc = emit_record(mp, r, err);
      if (rc == GG_OK) rc = run_next(r, err);
      if (rc) break;
      if (r->done) hp.h[0] = hp.h[--hp.n];
      heap_sift_down(&hp, 0);
    }
    if (rc == GG_OK) rc = gg_termw_end(mp->w, err);
  }
  free(hp.h);
  return rc;
}

/* Where a range of the final merge begins: a term of the table and its
** index in v->final_order. */
typedef struct range_bound {
  const uint8_t *term;
  size_t len;
  uint32_t at;
} range_bound;

/* Readers for the terms in [lo, hi) of every run (NULL bounds: open),
** each with a window of `window` bytes; the table's order being
** v->final_order. */
static int part_init(merge_part *mp, gg_inverter *v, const range_bound *lo, const range_bound *hi,
                     size_t window, gg_error *err) {
  mp->v = v;
  if (!(mp->rr = calloc(v->nruns + 1, sizeof *mp->rr))) return gg_nomem(err);
  for (size_t i = 0; i < v->nruns; i++) {
    uint64_t a = v->run_off[i], b = v->run_off[i + 1];
    int rc = GG_OK;
    if (lo) rc = run_seek(v, i, lo->term, lo->len, &a, err);
    if (rc == GG_OK && hi) rc = run_seek(v, i, hi->term, hi->len, &b, err);
    if (rc == GG_OK) rc = reader_open(&mp->rr[i], v->runs, a, b, window, err);
    if (rc) return rc;
  }
  run_reader *table = &mp->rr[v->nruns];  /* the newest documents: last in run order */
  table->v = v;
  table->order = v->final_order;
  table->at = lo ? lo->at : 0;
  table->count = hi ? hi->at : v->nterms;
  return GG_OK;
}

static void part_clear(merge_part *mp) {
  if (mp->rr)
    for (size_t i = 0; i < mp->v->nruns; i++) free(mp->rr[i].buf);
  free(mp->rr);
  free(mp->scratch);
}

/* The window of each of `readers` run file readers: together at most a
** sixteenth of the table's budget (the table, the last run, is still in
** memory), within [WINDOW_MIN, WINDOW_MAX]. */
static size_t window_size(const gg_inverter *v, size_t readers) {
  size_t w = v->budget / 16 / (readers ? readers : 1);
  return w < WINDOW_MIN ? WINDOW_MIN : w > WINDOW_MAX ? WINDOW_MAX : w;
}

static void *part_main(void *arg) {
  merge_part *mp = arg;
  pthread_setname_np(pthread_self(), "gg-merge");
  mp->rc = merge_range(mp, &mp->err);
  return NULL;
}

/* Where the second thread's range starts: the table's term at which 52.5 %
** of its record bytes lie before it (the runs written before hold the same
** kinds of documents, so their bytes divide about the same).  The ranges
** should end together: the append of the second comes after both either
** way.  The calling thread takes a little more than half because the
** second thread starts later and stages its bytes (47.5 % left the caller
** waiting 5 ms of reuters' 40 ms merge; merge phase at 52.5 %: reuters
** 41 -> 40 ms unstemmed, 36 -> 34 stemmed, gcide 82 -> 79).  The bound is
** the table's term there; returns 0 when the table is too small to divide. */
static int split_point(const gg_inverter *v, range_bound *bound) {
  if (v->nterms < 2) return 0;
  uint64_t total = 0, sum = 0;
  for (uint32_t i = 0; i < v->nterms; i++) total += v->terms[i].rec.n;
  uint32_t i = 0;
  while (i + 1 < v->nterms && sum < total / 200 * 105) sum += v->terms[v->final_order[i++]].rec.n;
  if (i == 0) return 0;
  const term_acc *t = &v->terms[v->final_order[i]];
  bound->term = (const uint8_t *)t->term;
  bound->len = t->len;
  bound->at = i;
  return 1;
}

int gg_inverter_finish(gg_inverter *v, gg_segw *s, int threaded, gg_error *err) {
  /* The last run is merged straight from the table: sorted, not written
  ** out and read back (the table is within the budget already). */
  free(v->final_order);
  if (!(v->final_order = sorted_terms(v))) return gg_nomem(err);
  /* The merge needs the terms and their records, not the lookup tables. */
  table_free(v->slots, v->nslots, sizeof *v->slots);
  table_free(v->words, v->nwslots, sizeof *v->words);
  v->slots = NULL;
  v->words = NULL;
  v->nslots = v->nwslots = v->nwords = 0;
  int rc = GG_OK;
  /* With threads, the terms are divided in two ranges merged and encoded at
  ** once: the first into the segment's own writer here, the second into a
  ** part in a thread, appended after (the file is the same). */
  range_bound bound;
  int split = threaded && split_point(v, &bound);
  merge_part own = {0}, part = {0};
  size_t window = window_size(v, v->nruns * (split ? 2 : 1));
  pthread_t t;
  int started = 0;
  rc = gg_segw_terms(s, &own.w, err);
  if (rc == GG_OK) rc = part_init(&own, v, NULL, split ? &bound : NULL, window, err);
  if (rc == GG_OK && split) {
    rc = gg_segw_part_open(s, &part.w, err);
    if (rc == GG_OK) rc = part_init(&part, v, &bound, NULL, window, err);
    if (rc == GG_OK) {
      if (pthread_create(&t, NULL, part_main, &part) != 0)
        rc = gg_fail(err, GG_ENOMEM, "cannot start the merge thread");
      else started = 1;
    }
  }
  if (rc == GG_OK) rc = merge_range(&own, err);
  if (started) {
    pthread_join(t, NULL);
    if (rc == GG_OK && part.rc != GG_OK) {
      *err = part.err;
      rc = part.rc;
    }
  }
  /* The runs are merged: their memory goes before the part's bytes
  ** are appended (the terms stay, for gg_inverter_runs). */
  for (uint32_t i = 0; i < v->nterms; i++) rec_free(&v->terms[i].rec);
  chunks_free(&v->slab);
  memset(v->slab_free, 0, sizeof v->slab_free);
  gg_spool_close(v->runs);
  v->runs = NULL;
  if (rc == GG_OK && part.w) {
    rc = gg_segw_append_part(s, part.w, err);
    part.w = NULL;
  }
  gg_termw_free(part.w);
  part_clear(&own);
  part_clear(&part);
  return rc;
}
