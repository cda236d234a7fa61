/*
** test_oracle.c -- gg_search against a brute-force evaluator written here.
**
**   test_oracle generated                 a generated corpus (stemmer none)
**   test_oracle collection FILE [STEMMER] a real collection (.jsonl or .jsonl.gz)
**
** The evaluator shares nothing with the engine but the analyser, used only
** to turn each document's title and contents into its term sequence (title
** first, positions continuing into the contents).  From those sequences it
** builds its own occurrence lists, matches phrases by comparing token
** sequences, and scores with BM25 as documented:
**   idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))
**   s(c,d)  = idf(c) * f (k1+1) / (f + k1 (1 - b + b dl/avgdl)),  k1 1.2, b 0.75
** where a phrase is one clause with f = its occurrences (overlapping ones
** included) and idf = the sum of its terms' idfs; identical clauses count
** once; OR keeps documents matching any clause, AND those matching all;
** ties go to the earlier document.
**
** Hundreds of keyword, AND, phrase and mixed queries are compared with
** k = 1000 (and a few small k): same documents, same order, scores within
** 1e-9 relative.  The corpus is then rebuilt with a 1 MiB memory budget
** (many sorted runs merged) into a fresh folder: the index files must be
** byte-identical and every query must give identical hits.
*/
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "check.h"
#include "core/analyze.h"
#include "gg/gg.h"
#include "testutil.h"

/* ---- documents and their term sequences ------------------------------- */

typedef struct odoc {
  char *id;
  char *field[2];     /* title, contents */
  size_t flen[2];
  uint32_t tok0, ntok;
} odoc;

static odoc *docs;
static uint32_t ndocs, docs_cap;

/* per token: term id, field, byte range of the source word in the field */
static uint32_t *tok_term, *tok_start, *tok_end;
static uint8_t *tok_field;
static size_t ntoks, toks_cap;

/* term dictionary (open addressing) */
typedef struct oterm {
  char *s;
  size_t len;
  uint32_t df;
  uint32_t first_tok;     /* first occurrence, for a surface form */
  uint32_t *occ;          /* (doc, pos) pairs, 2 per occurrence */
  uint32_t nocc, occ_cap;
  uint32_t last_doc;
} oterm;

static oterm *terms;
static uint32_t nterms, terms_cap;
static uint32_t *slots;
static uint32_t nslots;

static uint32_t hash_bytes(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

/* Term id of s, or UINT32_MAX if absent (insert when add). */
static uint32_t term_find(const char *s, size_t n, int add) {
  if (add && (nterms + 1) * 2 > nslots) {
    uint32_t ns = nslots ? nslots * 2 : 1 << 16;
    uint32_t *sl = calloc(ns, sizeof *sl);
    for (uint32_t i = 0; i < nterms; i++) {
      uint32_t j = hash_bytes(terms[i].s, terms[i].len) & (ns - 1);
      while (sl[j]) j = (j + 1) & (ns - 1);
      sl[j] = i + 1;
    }
    free(slots);
    slots = sl;
    nslots = ns;
  }
  if (!nslots) return UINT32_MAX;
  uint32_t j = hash_bytes(s, n) & (nslots - 1);
  for (; slots[j]; j = (j + 1) & (nslots - 1)) {
    oterm *t = &terms[slots[j] - 1];
    if (t->len == n && memcmp(t->s, s, n) == 0) return slots[j] - 1;
  }
  if (!add) return UINT32_MAX;
  if (nterms == terms_cap) {
    terms_cap = terms_cap ? terms_cap * 2 : 4096;
    terms = realloc(terms, terms_cap * sizeof *terms);
  }
  oterm *t = &terms[nterms];
  memset(t, 0, sizeof *t);
  t->s = malloc(n + 1);
  memcpy(t->s, s, n);
  t->s[n] = 0;
  t->len = n;
  t->first_tok = (uint32_t)ntoks;
  t->last_doc = UINT32_MAX;
  slots[j] = nterms + 1;
  return nterms++;
}

static gg_analyzer *an;
static int cur_field;

static int on_doc_token(void *ctx, const char *term, size_t len, uint32_t pos, size_t start,
                        size_t end) {
  (void)ctx;
  if (ntoks == toks_cap) {
    toks_cap = toks_cap ? toks_cap * 2 : 1 << 20;
    tok_term = realloc(tok_term, toks_cap * sizeof *tok_term);
    tok_start = realloc(tok_start, toks_cap * sizeof *tok_start);
    tok_end = realloc(tok_end, toks_cap * sizeof *tok_end);
    tok_field = realloc(tok_field, toks_cap);
  }
  odoc *d = &docs[ndocs - 1];
  REQUIRE(pos == d->ntok, "analyser positions are not consecutive (%u vs %u)", pos, d->ntok);
  uint32_t id = term_find(term, len, 1);
  tok_term[ntoks] = id;
  tok_start[ntoks] = (uint32_t)start;
  tok_end[ntoks] = (uint32_t)end;
  tok_field[ntoks] = (uint8_t)cur_field;
  ntoks++;
  d->ntok++;
  return 0;
}

static void add_doc(const char *id, const char *title, size_t tl, const char *text, size_t xl) {
  if (ndocs == docs_cap) {
    docs_cap = docs_cap ? docs_cap * 2 : 1024;
    docs = realloc(docs, docs_cap * sizeof *docs);
  }
  odoc *d = &docs[ndocs++];
  d->id = strdup(id);
  d->field[0] = malloc(tl + 1);
  memcpy(d->field[0], title, tl);
  d->field[0][tl] = 0;
  d->flen[0] = tl;
  d->field[1] = malloc(xl + 1);
  memcpy(d->field[1], text, xl);
  d->field[1][xl] = 0;
  d->flen[1] = xl;
  d->tok0 = (uint32_t)ntoks;
  d->ntok = 0;
  uint32_t pos = 0;
  cur_field = 0;
  REQUIRE(gg_analyze(an, title, tl, &pos, on_doc_token, NULL) == 0, "analyse");
  cur_field = 1;
  REQUIRE(gg_analyze(an, text, xl, &pos, on_doc_token, NULL) == 0, "analyse");
}

/* Read a JSONL (optionally gzip) file the way the format is documented:
** {"id","title","contents"} per line; id a string or an integer. */
static void load_jsonl(const char *path) {
  gzFile f = gzopen(path, "rb");
  REQUIRE(f, "cannot open %s", path);
  size_t cap = 1 << 16, n = 0;
  char *line = malloc(cap);
  for (;;) {
    n = 0;
    int eof = 1;
    while (gzgets(f, line + n, (int)(cap - n))) {
      eof = 0;
      n += strlen(line + n);
      if (n > 0 && line[n - 1] == '\n') break;
      if (cap - n < 2) line = realloc(line, cap *= 2);
    }
    if (eof && n == 0) break;
    size_t k = n;
    while (k && (line[k - 1] == '\n' || line[k - 1] == '\r' || line[k - 1] == ' ')) k--;
    if (k == 0) continue;
    json_object *o = json_tokener_parse(line), *jid = NULL, *jt = NULL, *jc = NULL;
    REQUIRE(o && json_object_is_type(o, json_type_object), "%s: bad JSON line", path);
    json_object_object_get_ex(o, "id", &jid);
    json_object_object_get_ex(o, "title", &jt);
    json_object_object_get_ex(o, "contents", &jc);
    REQUIRE(json_object_is_type(jid, json_type_string) || json_object_is_type(jid, json_type_int),
            "%s: id not a string", path);
    int jt_ok = json_object_is_type(jt, json_type_string), jc_ok = json_object_is_type(jc, json_type_string);
    add_doc(json_object_get_string(jid), jt_ok ? json_object_get_string(jt) : "",
            jt_ok ? (size_t)json_object_get_string_len(jt) : 0, jc_ok ? json_object_get_string(jc) : "",
            jc_ok ? (size_t)json_object_get_string_len(jc) : 0);
    json_object_put(o);
  }
  free(line);
  gzclose(f);
}

/* Occurrence lists and document frequencies, from the token sequences. */
static void invert(void) {
  for (uint32_t d = 0; d < ndocs; d++) {
    for (uint32_t p = 0; p < docs[d].ntok; p++) {
      oterm *t = &terms[tok_term[docs[d].tok0 + p]];
      if (t->nocc == t->occ_cap) {
        t->occ_cap = t->occ_cap ? t->occ_cap * 2 : 4;
        t->occ = realloc(t->occ, 2 * (size_t)t->occ_cap * sizeof *t->occ);
      }
      t->occ[2 * t->nocc] = d;
      t->occ[2 * t->nocc + 1] = p;
      t->nocc++;
      if (t->last_doc != d) {
        t->df++;
        t->last_doc = d;
      }
    }
  }
}

/* ---- queries ------------------------------------------------------------ */

#define MAXC 16
#define MAXW 8
#define WLEN 160

typedef struct qclause {
  int nw;
  char w[MAXW][WLEN];  /* surface words */
} qclause;

typedef struct oquery {
  int nc;
  qclause c[MAXC];
  int conj;
  uint32_t k;
  char kind[16];
  char text[MAXC * MAXW * (WLEN + 1) + 64];
} oquery;

static void render(oquery *q) {
  size_t n = 0;
  q->text[0] = 0;
  for (int c = 0; c < q->nc; c++) {
    if (c) q->text[n++] = ' ';
    int quote = q->c[c].nw > 1 || (q->c[c].nw == 1 && rng_below(8) == 0);
    if (quote) q->text[n++] = '"';
    for (int w = 0; w < q->c[c].nw; w++) {
      if (w) q->text[n++] = ' ';
      size_t l = strlen(q->c[c].w[w]);
      memcpy(q->text + n, q->c[c].w[w], l);
      n += l;
    }
    if (quote) q->text[n++] = '"';
    q->text[n] = 0;
  }
}

/* The source text of token t (0 if it does not fit). */
static int surface(size_t t, char *out) {
  uint32_t d = 0;
  /* find the document: binary search on tok0 */
  uint32_t lo = 0, hi = ndocs;
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (docs[mid].tok0 <= t) lo = mid;
    else hi = mid;
  }
  d = lo;
  while (d + 1 < ndocs && docs[d].ntok == 0 && docs[d + 1].tok0 <= t) d++;
  size_t s = tok_start[t], e = tok_end[t];
  if (e - s >= WLEN) return 0;
  memcpy(out, docs[d].field[tok_field[t]] + s, e - s);
  out[e - s] = 0;
  return 1;
}

static uint32_t *by_df;  /* term ids, most frequent first */

static int cmp_df(const void *a, const void *b) {
  const oterm *x = &terms[*(const uint32_t *)a], *y = &terms[*(const uint32_t *)b];
  if (x->df != y->df) return x->df > y->df ? -1 : 1;
  return strcmp(x->s, y->s);
}

/* A surface word: by token frequency, uniformly over terms, among the most
** frequent terms, or absent from the collection. */
static void pick_word(char *out, int how) {
  for (int tries = 0; tries < 100; tries++) {
    switch (how) {
      case 0:
        if (surface(rng_below(ntoks), out)) return;
        break;
      case 1:
        if (surface(terms[rng_below(nterms)].first_tok, out)) return;
        break;
      case 2: {
        uint32_t top = nterms < 40 ? nterms : 40;
        if (surface(terms[by_df[rng_below(top)]].first_tok, out)) return;
        break;
      }
      default:
        snprintf(out, WLEN, "zqxj%llu", (unsigned long long)rng_below(1000));
        return;
    }
  }
  snprintf(out, WLEN, "zqxj");
}

static int pick_how(void) {
  unsigned r = (unsigned)rng_below(20);
  return r < 9 ? 0 : r < 14 ? 1 : r < 19 ? 2 : 3;
}

/* A phrase of m tokens taken from a document (so that it matches). */
static int pick_doc_phrase(qclause *c, int m) {
  for (int tries = 0; tries < 50; tries++) {
    uint32_t d = (uint32_t)rng_below(ndocs);
    if (docs[d].ntok < (uint32_t)m) continue;
    uint32_t p = (uint32_t)rng_below(docs[d].ntok - m + 1);
    c->nw = 0;
    int ok = 1;
    for (int i = 0; i < m && ok; i++) {
      size_t t = docs[d].tok0 + p + i;
      if (i > 0 && tok_start[t] == tok_start[t - 1] && tok_field[t] == tok_field[t - 1])
        continue;  /* several terms from one source word */
      ok = surface(t, c->w[c->nw]);
      c->nw++;
    }
    if (ok && c->nw > 0) return 1;
  }
  return 0;
}

static void gen_query(oquery *q, int kind) {
  memset(q, 0, offsetof(oquery, text));
  q->k = 1000;
  switch (kind) {
    case 0: /* keywords, OR */
      strcpy(q->kind, "or");
      q->nc = 1 + (int)rng_below(rng_below(4) == 0 ? 12 : 5);
      for (int c = 0; c < q->nc; c++) {
        q->c[c].nw = 1;
        pick_word(q->c[c].w[0], pick_how());
      }
      if (q->nc > 1 && rng_below(6) == 0) q->c[q->nc - 1] = q->c[0]; /* duplicate */
      break;
    case 1: /* keywords, AND: mostly frequent words so that something matches */
      strcpy(q->kind, "and");
      q->conj = 1;
      q->nc = 2 + (int)rng_below(3);
      for (int c = 0; c < q->nc; c++) {
        q->c[c].nw = 1;
        pick_word(q->c[c].w[0], rng_below(3) ? 2 : pick_how());
      }
      break;
    case 2: /* a phrase from a document */
      strcpy(q->kind, "phrase");
      q->nc = 1;
      if (!pick_doc_phrase(&q->c[0], 2 + (int)rng_below(4))) {
        q->c[0].nw = 1;
        pick_word(q->c[0].w[0], 0);
      }
      q->conj = (int)rng_below(2);
      break;
    case 3: /* a random phrase of frequent words */
      strcpy(q->kind, "rphrase");
      q->nc = 1;
      q->c[0].nw = 2 + (int)rng_below(2);
      for (int w = 0; w < q->c[0].nw; w++) pick_word(q->c[0].w[w], rng_below(4) ? 2 : 0);
      break;
    default: /* phrases and words, OR or AND */
      strcpy(q->kind, "mixed");
      q->conj = (int)rng_below(2);
      q->nc = 2 + (int)rng_below(3);
      for (int c = 0; c < q->nc; c++) {
        if (rng_below(2) == 0 && pick_doc_phrase(&q->c[c], 2 + (int)rng_below(2))) continue;
        q->c[c].nw = 1;
        pick_word(q->c[c].w[0], q->conj ? 2 : pick_how());
      }
      break;
  }
  render(q);
}

/* ---- brute-force evaluation ------------------------------------------ */

typedef struct ohit {
  uint32_t doc;
  double score;
} ohit;

static double *o_score, *o_hitscore;
static uint32_t *o_hitstamp, o_stamp;  /* o_hitscore[d] valid when o_hitstamp[d] == o_stamp */
static uint32_t *o_nmatch, *o_freq, *o_touched, *o_ctouched;
static uint32_t o_ntouched;

typedef struct qterms {
  uint32_t n;
  char t[64][GG_TERM_MAX + 1];
} qterms;

static int on_query_token(void *ctx, const char *term, size_t len, uint32_t pos, size_t s, size_t e) {
  qterms *q = ctx;
  if (q->n == 64) return 1;
  memcpy(q->t[q->n], term, len);
  q->t[q->n][len] = 0;
  q->n++;
  return 0;
}

static double o_idf(uint64_t df) {
  return log(1.0 + ((double)ndocs - (double)df + 0.5) / ((double)df + 0.5));
}

static int cmp_ohit(const void *a, const void *b) {
  const ohit *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* Evaluate q; fills hits (all matches, best first) and returns their count,
** or -1 when the query has no searchable clause. */
static long oracle(const oquery *q, ohit **hits, double avgdl) {
  const double k1 = 1.2, b = 0.75;
  static qterms cl[MAXC];
  int ncl = 0;
  for (int c = 0; c < q->nc; c++) {
    /* the clause text as the parser sees it */
    char buf[MAXW * (WLEN + 1)];
    size_t n = 0;
    for (int w = 0; w < q->c[c].nw; w++) {
      if (w) buf[n++] = ' ';
      size_t l = strlen(q->c[c].w[w]);
      memcpy(buf + n, q->c[c].w[w], l);
      n += l;
    }
    memset(&cl[ncl], 0, sizeof cl[ncl]);
    uint32_t pos = 0;
    gg_analyze(an, buf, n, &pos, on_query_token, &cl[ncl]);
    if (cl[ncl].n == 0) continue;
    int dup = 0;
    for (int j = 0; j < ncl && !dup; j++) {
      if (cl[j].n != cl[ncl].n) continue;
      dup = 1;
      for (uint32_t k = 0; k < cl[j].n && dup; k++) dup = strcmp(cl[j].t[k], cl[ncl].t[k]) == 0;
    }
    if (!dup) ncl++;
  }
  if (ncl == 0) return -1;

  o_ntouched = 0;
  for (int c = 0; c < ncl; c++) {
    uint32_t ids[64];
    int known = 1;
    double idf = 0;
    for (uint32_t k = 0; k < cl[c].n; k++) {
      ids[k] = term_find(cl[c].t[k], strlen(cl[c].t[k]), 0);
      idf += o_idf(ids[k] == UINT32_MAX ? 0 : terms[ids[k]].df);
      if (ids[k] == UINT32_MAX) known = 0;
    }
    if (!known) continue;
    /* frequency of the clause in each document: scan occurrences of its
    ** first term and compare the following tokens */
    uint32_t nct = 0;
    const oterm *t0 = &terms[ids[0]];
    for (uint32_t i = 0; i < t0->nocc; i++) {
      uint32_t d = t0->occ[2 * i], p = t0->occ[2 * i + 1];
      if (p + cl[c].n > docs[d].ntok) continue;
      uint32_t k = 1;
      for (; k < cl[c].n; k++)
        if (tok_term[docs[d].tok0 + p + k] != ids[k]) break;
      if (k < cl[c].n) continue;
      if (o_freq[d]++ == 0) o_ctouched[nct++] = d;
    }
    for (uint32_t i = 0; i < nct; i++) {
      uint32_t d = o_ctouched[i];
      double f = o_freq[d], dl = docs[d].ntok;
      if (o_nmatch[d] == 0) {
        o_touched[o_ntouched++] = d;
        o_score[d] = 0;
      }
      o_score[d] += idf * (f * (k1 + 1) / (f + k1 * (1 - b + b * dl / avgdl)));
      o_nmatch[d]++;
      o_freq[d] = 0;
    }
  }
  ohit *h = malloc((o_ntouched + 1) * sizeof *h);
  long n = 0;
  for (uint32_t i = 0; i < o_ntouched; i++) {
    uint32_t d = o_touched[i];
    if (!q->conj || o_nmatch[d] == (uint32_t)ncl) h[n++] = (ohit){d, o_score[d]};
  }
  for (uint32_t i = 0; i < o_ntouched; i++) o_nmatch[o_touched[i]] = 0;
  /* the score of every matching document, for the near-tie check */
  o_stamp++;
  for (long i = 0; i < n; i++) {
    o_hitstamp[h[i].doc] = o_stamp;
    o_hitscore[h[i].doc] = h[i].score;
  }
  qsort(h, (size_t)n, sizeof *h, cmp_ohit);
  *hits = h;
  return n;
}

/* ---- comparison --------------------------------------------------------- */

static void check_snippet(gg_index *ix, const oquery *q, uint32_t d);
static long n_queries, n_hits_compared, n_near_ties, n_nonempty;

static int rel_close(double a, double b, double tol) {
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= tol * (m > 1e-300 ? m : 1);
}

static gg_hits *engine(gg_index *ix, const oquery *q, int *rc_out) {
  gg_query *gq;
  gg_error err;
  int rc = gg_query_parse(ix, q->text, &gq, &err);
  gg_hits *h = NULL;
  if (rc == GG_OK) {
    gg_search_opts o = GG_SEARCH_DEFAULTS;
    o.k = q->k;
    o.conjunctive = q->conj;
    rc = gg_search(ix, gq, &o, &h, &err);
    gg_query_free(gq);
  }
  if (rc != GG_OK && rc != GG_EQUERY) fprintf(stderr, "engine error on [%s]: %s\n", q->text, err.msg);
  *rc_out = rc;
  return h;
}

static void compare(gg_index *ix, const oquery *q, double avgdl, const char *label) {
  ohit *oh = NULL;
  long on = oracle(q, &oh, avgdl);
  int rc;
  gg_hits *h = engine(ix, q, &rc);
  n_queries++;
  if (on < 0) {
    CHECK(rc == GG_EQUERY, "%s [%s]: no searchable words, engine rc %d", label, q->text, rc);
    gg_hits_free(h);
    free(oh);
    return;
  }
  CHECK(rc == GG_OK, "%s [%s] %s: engine rc %d", label, q->text, q->kind, rc);
  if (rc != GG_OK) {
    free(oh);
    return;
  }
  size_t want = (size_t)on < q->k ? (size_t)on : q->k;
  if (want) n_nonempty++;
  CHECK(h->n == want, "%s [%s]%s: %zu hits, oracle %zu (of %ld matches)", label, q->text,
        q->conj ? " AND" : "", h->n, want, on);
  size_t n = h->n < want ? h->n : want;
  int reported = 0;
  for (size_t i = 0; i < n; i++) {
    const gg_hit *g = &h->hit[i];
    n_hits_compared++;
    int ok_score = rel_close(g->score, oh[i].score, 1e-9);
    int ok_doc = g->doc == oh[i].doc && g->segment == 0 && g->doc < ndocs &&
                 strcmp(g->id, docs[g->doc].id) == 0;
    if (!ok_doc && g->doc < ndocs && g->doc != oh[i].doc) {
      /* only a near-tie (scores equal up to rounding, not bit-equal) may swap */
      double other = o_hitstamp[g->doc] == o_stamp ? o_hitscore[g->doc] : -1.0;
      if (other >= 0 && other != oh[i].score && rel_close(other, oh[i].score, 1e-12) &&
          strcmp(g->id, docs[g->doc].id) == 0) {
        ok_doc = 1;
        n_near_ties++;
      }
    }
    CHECK(ok_doc && ok_score,
          "%s [%s]%s k=%u rank %zu: engine %s (doc %u) %.17g, oracle %s (doc %u) %.17g", label,
          q->text, q->conj ? " AND" : "", q->k, i + 1, g->id, g->doc, g->score, docs[oh[i].doc].id,
          oh[i].doc, oh[i].score);
    if (!(ok_doc && ok_score) && ++reported >= 3) break;
  }
  if (n_queries % 4 == 0)
    for (size_t i = 0; i < h->n && i < 3; i++) check_snippet(ix, q, h->hit[i].doc);
  gg_hits_free(h);
  free(oh);
}


/* ---- stored text and snippets ------------------------------------------- */

/* Every document's stored title and contents are the input's, byte for byte. */
static void check_stored(gg_index *ix) {
  long bad = 0;
  for (uint32_t d = 0; d < ndocs; d++) {
    char *title = NULL, *text = NULL;
    gg_error err;
    int rc = gg_doc_get(ix, 0, d, &title, &text, &err);
    int ok = rc == GG_OK && strlen(title) == docs[d].flen[0] && strlen(text) == docs[d].flen[1] &&
             memcmp(title, docs[d].field[0], docs[d].flen[0]) == 0 &&
             memcmp(text, docs[d].field[1], docs[d].flen[1]) == 0;
    if (!ok && bad++ < 5)
      CHECK(0, "stored fields of document %u (%s) differ from the input (rc %d)", d, docs[d].id, rc);
    free(title);
    free(text);
  }
  CHECK(bad == 0, "%ld documents with wrong stored fields", bad);
  char *title, *text;
  gg_error err;
  CHECK(gg_doc_get(ix, 0, ndocs, &title, &text, &err) != GG_OK, "gg_doc_get past the last document");
}

static int is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

static int on_term_collect(void *ctx, const char *term, size_t len, uint32_t pos, size_t s, size_t e) {
  qterms *q = ctx;
  if (q->n == 64) return 0;
  memcpy(q->t[q->n], term, len);
  q->t[q->n][len] = 0;
  q->n++;
  return 0;
}

/* Snippet properties for a hit: with the markers removed it is a piece of
** the contents (whitespace runs as one space, "…" at cut ends); each marked
** word analyses to a term of the query; if a query term occurs in the
** contents, something is marked. */
static void check_snippet(gg_index *ix, const oquery *q, uint32_t d) {
  gg_query *gq;
  gg_error err;
  if (gg_query_parse(ix, q->text, &gq, &err) != GG_OK) return;
  char *snip = NULL;
  int rc = gg_snippet(ix, gq, docs[d].field[1], 24, "\x01", "\x02", &snip, &err);
  gg_query_free(gq);
  CHECK(rc == GG_OK && snip, "snippet of %s for [%s]: %s", docs[d].id, q->text, err.msg);
  if (rc != GG_OK) return;
  /* query terms */
  qterms qt = {0};
  for (int c = 0; c < q->nc; c++)
    for (int w = 0; w < q->c[c].nw; w++) {
      uint32_t pos = 0;
      gg_analyze(an, q->c[c].w[w], strlen(q->c[c].w[w]), &pos, on_term_collect, &qt);
    }
  /* strip markers, check marked words */
  size_t n = strlen(snip), m = 0;
  char *plain = malloc(n + 1);
  int marks = 0;
  for (size_t i = 0; i < n; i++) {
    if (snip[i] == '\x01') {
      const char *end = strchr(snip + i, '\x02');
      CHECK(end != NULL, "unbalanced snippet markers");
      if (!end) break;
      qterms got = {0};
      uint32_t pos = 0;
      gg_analyze(an, snip + i + 1, (size_t)(end - snip - i - 1), &pos, on_term_collect, &got);
      int hit = 0;
      for (uint32_t a = 0; a < got.n; a++)
        for (uint32_t b = 0; b < qt.n; b++) hit |= strcmp(got.t[a], qt.t[b]) == 0;
      CHECK(hit, "snippet of %s for [%s] marks a word that is no query term: %.*s", docs[d].id, q->text,
            (int)(end - snip - i - 1), snip + i + 1);
      marks++;
      continue;
    }
    if (snip[i] == '\x02') continue;
    plain[m++] = snip[i];
  }
  plain[m] = 0;
  /* cut ends */
  char *p = plain;
  size_t pl = m;
  if (pl >= 3 && memcmp(p, "\xE2\x80\xA6", 3) == 0) p += 3, pl -= 3;
  if (pl >= 3 && memcmp(p + pl - 3, "\xE2\x80\xA6", 3) == 0) pl -= 3;
  while (pl && is_ws(*p)) p++, pl--;
  while (pl && is_ws(p[pl - 1])) pl--;
  /* the contents with whitespace runs collapsed */
  size_t tl = docs[d].flen[1], cn = 0;
  char *coll = malloc(tl + 1);
  for (size_t i = 0; i < tl; i++) {
    char c = docs[d].field[1][i];
    if (is_ws(c)) {
      if (cn == 0 || coll[cn - 1] != ' ') coll[cn++] = ' ';
    } else {
      coll[cn++] = c;
    }
  }
  coll[cn] = 0;
  p[pl] = 0;
  CHECK(strstr(coll, p) != NULL, "snippet of %s for [%s] is not a piece of the text: [%s]", docs[d].id,
        q->text, p);
  /* a query term in the contents must be marked */
  int in_text = 0;
  for (uint32_t t = docs[d].tok0; t < docs[d].tok0 + docs[d].ntok && !in_text; t++) {
    if (tok_field[t] != 1) continue;
    for (uint32_t b = 0; b < qt.n && !in_text; b++) in_text = strcmp(terms[tok_term[t]].s, qt.t[b]) == 0;
  }
  CHECK(!in_text || marks > 0, "snippet of %s for [%s] marks nothing though a query term is in the text",
        docs[d].id, q->text);
  free(coll);
  free(plain);
  free(snip);
}

/* ---- generated corpus ------------------------------------------------------ */

static void word_of(uint32_t i, char *out) {
  static const char *syl[] = {"ka", "lo", "mi", "ru", "te", "sa", "no", "vi", "de", "pu",
                              "zo", "ba", "fe", "gi", "ho", "ju", "ly", "we", "xi", "co"};
  size_t n = 0;
  do {
    const char *s = syl[i % 20];
    out[n++] = s[0];
    out[n++] = s[1];
    i /= 20;
  } while (i);
  out[n++] = 'r';  /* no vocabulary word equals a special word below */
  out[n] = 0;
}

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s) {
  size_t l = strlen(s);
  if (b->n + l + 1 > b->cap) {
    b->cap = (b->n + l + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, l + 1);
  b->n += l;
}

static void sb_word(sbuf *b, const char *w) {
  if (b->n && b->p[b->n - 1] != '"') sb_put(b, " ");
  sb_put(b, w);
}

/* Writes NGEN documents as JSONL.  Vocabulary: Zipf over 3000 words, plus
** words with controlled document frequencies (block boundaries 127..257,
** > 1000 documents), long repeated runs (tf > 128 in one document), a
** 100000-token document, empty documents, and a few recurring phrases. */
#define NGEN 4000
static void generate(const char *path) {
  const uint32_t V = 3000;
  double *cdf = malloc(V * sizeof *cdf), sum = 0;
  for (uint32_t i = 0; i < V; i++) cdf[i] = (sum += 1.0 / pow(i + 1, 1.05));
  FILE *f = fopen(path, "w");
  REQUIRE(f, "create %s", path);
  sbuf b = {0};
  char w[64];
  static const struct { const char *w; uint32_t mod, count; } controlled[] = {
      {"blkone", 1, 1}, {"blktwo", 1, 2}, {"blkodd", 1, 127}, {"blkfull", 1, 128},
      {"blkover", 1, 129}, {"blkdouble", 1, 256}, {"blkdoubleover", 1, 257}, {"blkbig", 1, 1100}};
  for (uint32_t d = 0; d < NGEN; d++) {
    b.n = 0;
    sb_put(&b, "");
    /* contents */
    uint32_t len;
    unsigned r = (unsigned)rng_below(100);
    len = r < 70 ? 5 + (uint32_t)rng_below(55) : r < 95 ? 60 + (uint32_t)rng_below(340)
                                                        : 400 + (uint32_t)rng_below(1600);
    if (d == 1234) len = 100000;
    if (d == 17 || d == 2500) len = 0;
    for (uint32_t i = 0; i < len; i++) {
      double u = (double)rng64() / 18446744073709551616.0 * sum;
      uint32_t lo = 0, hi = V - 1;
      while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      word_of(lo, w);
      sb_word(&b, w);
      /* recurring phrases and terms with chosen frequencies */
      if (rng_below(400) == 0) sb_word(&b, "quick brown fox");
      if (rng_below(900) == 0) sb_word(&b, "brown quick");
    }
    if (rng_below(10) < 9) sb_word(&b, "alpha");        /* ~3600 documents */
    if (rng_below(100) < 35) sb_word(&b, "beta alpha"); /* ~1400 */
    if (rng_below(100) < 5) sb_word(&b, "gamma");       /* ~200 */
    if (d % 5 == 0 && d / 5 < 300) {                    /* runs: tf up to 400 in one doc */
      uint32_t reps = 1 + (d * 7) % 400;
      for (uint32_t i = 0; i < reps; i++) sb_word(&b, "rep");
    }
    for (size_t c = 0; c < sizeof controlled / sizeof controlled[0]; c++) {
      /* spread the count over the whole collection */
      uint32_t n = controlled[c].count, step = NGEN / n;
      if (d % step == 0 && d / step < n) sb_word(&b, controlled[c].w);
    }
    if (d == 0 || d == NGEN - 1) sb_word(&b, "edges");
    if (d == 17) { b.n = 0; sb_put(&b, "!!! ... ---"); }
    /* title: some documents */
    sbuf t = {0};
    sb_put(&t, "");
    if (rng_below(10) < 3) {
      uint32_t tl = 1 + (uint32_t)rng_below(6);
      for (uint32_t i = 0; i < tl; i++) {
        word_of((uint32_t)rng_below(200), w);
        sb_word(&t, w);
      }
    }
    if (d == 2500) { /* a document without any word */
      b.n = 0;
      sb_put(&b, "");
      t.n = 0;
      sb_put(&t, "");
    }
    fprintf(f, "{\"id\":\"g%05u\",\"title\":\"%s\",\"contents\":\"%s\"}\n", d, t.p, b.p);
    free(t.p);
  }
  free(b.p);
  free(cdf);
  REQUIRE(fclose(f) == 0, "write %s", path);
}

/* ---- main ------------------------------------------------------------------ */

static int build(const char *input, const char *index, const char *stemmer, size_t budget,
                 gg_build_stats *st) {
  gg_build_opts o = {0};
  o.index_dir = index;
  o.stemmer = stemmer;
  o.memory_budget = budget;
  gg_error err;
  const char *paths[] = {input};
  int rc = gg_build(paths, 1, &o, st, &err);
  if (rc) fprintf(stderr, "build %s: %s\n", index, err.msg);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_oracle generated | collection FILE [STEMMER]\n");
    return 2;
  }
  const char *stemmer = "none";
  const char *input;
  char *dir = tu_mkdtemp("oracle");
  char *genpath = tu_path(dir, "gen.jsonl");
  rng_seed(0x5eed1234);
  if (strcmp(argv[1], "generated") == 0) {
    generate(genpath);
    input = genpath;
  } else if (strcmp(argv[1], "collection") == 0 && argc >= 3) {
    input = argv[2];
    if (argc >= 4) stemmer = argv[3];
    if (access(input, R_OK) != 0) {
      fprintf(stderr, "SKIPPED: collection %s is not there\n", input);
      tu_rm_rf(dir);
      free(dir);
      free(genpath);
      return 77;
    }
  } else {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  gg_error err;
  REQUIRE(gg_analyzer_new(stemmer, &an, &err) == GG_OK, "%s", err.msg);
  clock_t t0 = clock();
  load_jsonl(input);
  invert();
  by_df = malloc(nterms * sizeof *by_df);
  for (uint32_t i = 0; i < nterms; i++) by_df[i] = i;
  qsort(by_df, nterms, sizeof *by_df, cmp_df);
  o_score = calloc(ndocs, sizeof *o_score);
  o_hitscore = calloc(ndocs, sizeof *o_hitscore);
  o_hitstamp = calloc(ndocs, sizeof *o_hitstamp);
  o_nmatch = calloc(ndocs, sizeof *o_nmatch);
  o_freq = calloc(ndocs, sizeof *o_freq);
  o_touched = calloc(ndocs, sizeof *o_touched);
  o_ctouched = calloc(ndocs, sizeof *o_ctouched);
  fprintf(stderr, "oracle: %u documents, %zu tokens, %u terms, top df %u (%s)\n", ndocs, ntoks,
          nterms, terms[by_df[0]].df, terms[by_df[0]].s);

  /* The generated corpus must really exercise multi-block postings. */
  if (strcmp(argv[1], "generated") == 0) {
    static const struct { const char *t; uint32_t df; } want[] = {
        {"blkodd", 127}, {"blkfull", 128}, {"blkover", 129}, {"blkdouble", 256},
        {"blkdoubleover", 257}, {"blkbig", 1100}, {"edges", 2}, {"blkone", 1}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
      uint32_t id = term_find(want[i].t, strlen(want[i].t), 0);
      CHECK(id != UINT32_MAX && terms[id].df == want[i].df, "generated df of %s: %u, want %u",
            want[i].t, id == UINT32_MAX ? 0 : terms[id].df, want[i].df);
    }
    uint32_t alpha = term_find("alpha", 5, 0);
    CHECK(alpha != UINT32_MAX && terms[alpha].df > 1000, "alpha in > 1000 documents");
  }

  /* Build with the default budget, and with 1 MiB into a fresh folder. */
  char *ix1 = tu_path(dir, "ix1"), *ix2 = tu_path(dir, "ix2");
  gg_build_stats st1, st2;
  REQUIRE(build(input, ix1, stemmer, 0, &st1) == GG_OK, "build 1");
  REQUIRE(build(input, ix2, stemmer, 1 << 20, &st2) == GG_OK, "build 2");
  CHECK(st1.docs == ndocs && st1.tokens == ntoks && st1.terms == nterms,
        "build stats: docs %llu/%u tokens %llu/%zu terms %llu/%u", (unsigned long long)st1.docs,
        ndocs, (unsigned long long)st1.tokens, ntoks, (unsigned long long)st1.terms, nterms);
  uint64_t postings = 0;
  for (uint32_t i = 0; i < nterms; i++) postings += terms[i].df;
  CHECK(st1.postings == postings, "postings %llu, oracle %llu", (unsigned long long)st1.postings,
        (unsigned long long)postings);
  CHECK(st2.runs > 1, "a 1 MiB budget must merge several runs (got %llu)", (unsigned long long)st2.runs);
  fprintf(stderr, "oracle: runs with default budget %llu, with 1 MiB %llu\n",
          (unsigned long long)st1.runs, (unsigned long long)st2.runs);
  char *seg1 = tu_path(ix1, "seg-000001.gg"), *seg2 = tu_path(ix2, "seg-000001.gg");
  char *man1 = tu_path(ix1, "MANIFEST"), *man2 = tu_path(ix2, "MANIFEST");
  CHECK(tu_same_file(seg1, seg2), "segment files of the two builds differ");
  CHECK(tu_same_file(man1, man2), "MANIFEST files of the two builds differ");

  gg_index *g1, *g2;
  REQUIRE(gg_index_open(ix1, &g1, &err) == GG_OK, "open: %s", err.msg);
  REQUIRE(gg_index_open(ix2, &g2, &err) == GG_OK, "open: %s", err.msg);
  gg_index_info info;
  gg_index_info_get(g1, &info);
  CHECK(info.docs == ndocs && info.tokens == ntoks, "index info");
  double avgdl = (double)ntoks / (double)ndocs;
  check_stored(g1);

  /* Queries: 150 of each kind, a fifth of them also with small k. */
  static oquery q;
  static const char *kinds[] = {"or", "and", "phrase", "rphrase", "mixed"};
  for (int kind = 0; kind < 5; kind++) {
    for (int i = 0; i < 150; i++) {
      gen_query(&q, kind);
      compare(g1, &q, avgdl, kinds[kind]);
      if (i % 5 == 0) {
        uint32_t ks[] = {1, 3, 10};
        q.k = ks[i % 3];
        compare(g1, &q, avgdl, kinds[kind]);
        q.k = 1000;
      }
      /* the merged-runs index answers identically */
      if (i % 3 == 0) {
        int rc1, rc2;
        gg_hits *h1 = engine(g1, &q, &rc1), *h2 = engine(g2, &q, &rc2);
        int same = rc1 == rc2 && (!h1) == (!h2);
        for (size_t j = 0; same && h1 && j < h1->n; j++)
          same = h1->n == h2->n && h1->hit[j].doc == h2->hit[j].doc &&
                 h1->hit[j].score == h2->hit[j].score && strcmp(h1->hit[j].id, h2->hit[j].id) == 0;
        CHECK(same, "1 MiB-budget index answers [%s] differently", q.text);
        gg_hits_free(h1);
        gg_hits_free(h2);
      }
    }
  }
  /* Hand-picked queries over the special words. */
  if (strcmp(argv[1], "generated") == 0) {
    static const char *fixed[] = {"alpha",        "beta alpha", "\"beta alpha\"", "gamma",
                                  "rep",          "\"rep rep\"", "\"rep rep rep rep\"",
                                  "edges",        "blkover blkfull", "blkbig alpha",
                                  "\"quick brown fox\"", "\"brown quick\"", "\"fox brown\"",
                                  "blkone",        "blkdoubleover rep", "\"alpha edges\""};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
      for (int conj = 0; conj < 2; conj++) {
        memset(&q, 0, offsetof(oquery, text));
        q.k = 1000;
        q.conj = conj;
        strcpy(q.kind, "fixed");
        /* split into clauses the way render() writes them */
        const char *s = fixed[i];
        while (*s) {
          while (*s == ' ') s++;
          if (!*s) break;
          qclause *c = &q.c[q.nc++];
          if (*s == '"') {
            s++;
            while (*s && *s != '"') {
              while (*s == ' ') s++;
              size_t l = strcspn(s, " \"");
              memcpy(c->w[c->nw], s, l);
              c->w[c->nw++][l] = 0;
              s += l;
            }
            if (*s == '"') s++;
          } else {
            size_t l = strcspn(s, " ");
            memcpy(c->w[0], s, l);
            c->w[0][l] = 0;
            c->nw = 1;
            s += l;
          }
        }
        strcpy(q.text, fixed[i]);
        compare(g1, &q, avgdl, "fixed");
        q.k = 7;
        compare(g1, &q, avgdl, "fixed");
      }
    }
  }
  gg_index_close(g1);
  gg_index_close(g2);
  fprintf(stderr,
          "oracle: %ld queries (%ld with hits), %ld hits compared, %ld near-tie swaps, %.1f s\n",
          n_queries, n_nonempty, n_hits_compared, n_near_ties,
          (double)(clock() - t0) / CLOCKS_PER_SEC);
  CHECK(n_nonempty * 2 > n_queries, "most queries should match something (%ld of %ld)", n_nonempty,
        n_queries);
  if (!check_failed) tu_rm_rf(dir);
  else fprintf(stderr, "scratch folder kept: %s\n", dir);
  free(seg1);
  free(seg2);
  free(man1);
  free(man2);
  free(ix1);
  free(ix2);
  free(genpath);
  free(dir);
  gg_analyzer_free(an);
  CHECK_EXIT();
}
