/*
** query.c -- parse a query string into clauses (grammar: docs/QUERY.md).
**
**   query  := { space | word | phrase }
**   phrase := '"' any text without '"' '"'
**   word   := a run of characters other than space and '"'
**
** Words and phrases go through the index's own analyser, so a query matches
** exactly what indexing produced.  A word that analyses to several terms
** ("e-mail", "3.14") becomes a phrase; one that analyses to none ("***") is
** dropped.  Identical clauses are kept once.
*/
#include <stdlib.h>
#include <string.h>

#include "../core/err.h"
#include "searcher.h"

#define MAX_CLAUSES 256
#define MAX_PHRASE_TERMS 64

typedef struct collect {
  char *terms[MAX_PHRASE_TERMS];
  size_t lens[MAX_PHRASE_TERMS];
  uint32_t n;
  int too_long;
  int oom;
} collect;

static int on_term(void *ctx, const char *term, size_t len, uint32_t pos, size_t start,
                   size_t end) {
  (void)pos;
  (void)start;
  (void)end;
  collect *c = ctx;
  if (c->n == MAX_PHRASE_TERMS) {
    c->too_long = 1;
    return 1;
  }
  char *t = malloc(len + 1);
  if (!t) {
    c->oom = 1;
    return 1;
  }
  memcpy(t, term, len);
  t[len] = 0;
  c->terms[c->n] = t;
  c->lens[c->n++] = len;
  return 0;
}

void gg_query_free(gg_query *q) {
  if (!q) return;
  for (uint32_t i = 0; i < q->nclauses; i++) {
    for (uint32_t k = 0; k < q->clauses[i].nterms; k++) free(q->clauses[i].terms[k]);
    free(q->clauses[i].terms);
    free(q->clauses[i].lens);
  }
  free(q->clauses);
  free(q);
}

static int same_clause(const gg_clause *a, const collect *c) {
  if (a->nterms != c->n) return 0;
  for (uint32_t k = 0; k < c->n; k++)
    if (a->lens[k] != c->lens[k] || memcmp(a->terms[k], c->terms[k], c->lens[k]) != 0) return 0;
  return 1;
}

/* Move the terms collected in c into a new clause of q (or drop them if an
** identical clause exists). */
static int add_clause(gg_query *q, collect *c, gg_error *err) {
  int dup = c->n == 0;
  for (uint32_t i = 0; !dup && i < q->nclauses; i++) dup = same_clause(&q->clauses[i], c);
  if (dup) {
    for (uint32_t k = 0; k < c->n; k++) free(c->terms[k]);
    c->n = 0;
    return GG_OK;
  }
  if (q->nclauses == MAX_CLAUSES) {
    for (uint32_t k = 0; k < c->n; k++) free(c->terms[k]);
    c->n = 0;
    return gg_fail(err, GG_EQUERY, "query has more than %d words and phrases", MAX_CLAUSES);
  }
  gg_clause *cl = &q->clauses[q->nclauses];
  cl->terms = malloc(c->n * sizeof *cl->terms);
  cl->lens = malloc(c->n * sizeof *cl->lens);
  if (!cl->terms || !cl->lens) {
    free(cl->terms);
    free(cl->lens);
    for (uint32_t k = 0; k < c->n; k++) free(c->terms[k]);
    c->n = 0;
    return gg_nomem(err);
  }
  memcpy(cl->terms, c->terms, c->n * sizeof *cl->terms);
  memcpy(cl->lens, c->lens, c->n * sizeof *cl->lens);
  cl->nterms = c->n;
  q->nclauses++;
  c->n = 0;
  return GG_OK;
}

int gg_query_parse(gg_index *ix, const char *s, gg_query **out, gg_error *err) {
  *out = NULL;
  gg_query *q = calloc(1, sizeof *q);
  if (!q || !(q->clauses = calloc(MAX_CLAUSES, sizeof *q->clauses))) {
    free(q);
    return gg_nomem(err);
  }
  int rc = GG_OK;
  size_t i = 0, n = strlen(s);
  collect c = {0};
  while (rc == GG_OK && i < n) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
      i++;
      continue;
    }
    size_t start, end;
    if (ch == '"') {
      const char *close = memchr(s + i + 1, '"', n - i - 1);
      if (!close) {
        rc = gg_fail(err, GG_EQUERY, "unterminated quote at column %zu of the query", i + 1);
        break;
      }
      start = i + 1;
      end = (size_t)(close - s);
      i = end + 1;
    } else {
      start = i;
      while (i < n && s[i] != '"' && !strchr(" \t\n\r\f\v", s[i])) i++;
      end = i;
    }
    uint32_t pos = 0;
    int arc = gg_analyze(ix->an, s + start, end - start, &pos, on_term, &c);
    if (c.oom || arc == GG_ENOMEM) rc = gg_nomem(err);
    else if (c.too_long)
      rc = gg_fail(err, GG_EQUERY, "phrase at column %zu has more than %d words", start,
                   MAX_PHRASE_TERMS);
    if (rc == GG_OK) rc = add_clause(q, &c, err);
  }
  for (uint32_t k = 0; k < c.n; k++) free(c.terms[k]);
  if (rc == GG_OK && q->nclauses == 0)
    rc = gg_fail(err, GG_EQUERY, "empty query: no searchable words");
  if (rc) {
    gg_query_free(q);
    return rc;
  }
  *out = q;
  return GG_OK;
}
