/*
** snippet.c -- a short extract of a document around the query's words.
**
** The text is analysed with the index's analyser, so "matched" means
** exactly what the search matched (stems included).  The extract is the
** window of max_words words that holds the most distinct query terms (then
** the most matches); whitespace runs become one space.
*/
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "searcher.h"

typedef struct span {
  size_t start, end;
  int term;            /* index in the query's term list, or -1 */
} span;

typedef struct snip_ctx {
  const gg_query *q;
  span *s;
  size_t n, cap;
  int oom;
} snip_ctx;

static int term_index(const gg_query *q, const char *t, size_t len) {
  int idx = 0;
  for (uint32_t c = 0; c < q->nclauses; c++)
    for (uint32_t k = 0; k < q->clauses[c].nterms; k++, idx++)
      if (q->clauses[c].lens[k] == len && memcmp(q->clauses[c].terms[k], t, len) == 0) return idx;
  return -1;
}

static int on_token(void *vctx, const char *term, size_t len, uint32_t pos, size_t start,
                    size_t end) {
  (void)pos;
  snip_ctx *c = vctx;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 256;
    span *s = realloc(c->s, cap * sizeof *s);
    if (!s) {
      c->oom = 1;
      return 1;
    }
    c->s = s;
    c->cap = cap;
  }
  c->s[c->n].start = start;
  c->s[c->n].end = end;
  c->s[c->n].term = term_index(c->q, term, len);
  c->n++;
  return 0;
}

static void put_text(gg_buf *b, const char *s, size_t n) {
  int in_space = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
      if (!in_space) gg_buf_put_u8(b, ' ');
      in_space = 1;
    } else {
      gg_buf_put_u8(b, (uint8_t)ch);
      in_space = 0;
    }
  }
}

int gg_snippet(gg_index *ix, const gg_query *q, const char *text, size_t max_words,
               const char *open, const char *close, char **out, gg_error *err) {
  *out = NULL;
  if (max_words == 0) max_words = 1;
  snip_ctx c = {q, NULL, 0, 0, 0};
  uint32_t pos = 0;
  size_t tlen = strlen(text);
  gg_analyze(ix->an, text, tlen, &pos, on_token, &c);
  int nterms = 0;
  for (uint32_t i = 0; i < q->nclauses; i++) nterms += (int)q->clauses[i].nterms;
  int *count = calloc((size_t)nterms + 1, sizeof *count);
  if (c.oom || !count) {
    free(c.s);
    free(count);
    return gg_nomem(err);
  }
  /* Slide a window of max_words tokens; score = distinct*1024 + matches. */
  size_t best = 0, win = max_words < c.n ? max_words : c.n;
  long best_score = -1, distinct = 0, matches = 0;
  for (size_t i = 0; i < c.n; i++) {
    if (c.s[i].term >= 0) {
      if (count[c.s[i].term]++ == 0) distinct++;
      matches++;
    }
    if (i >= win) {
      span *o = &c.s[i - win];
      if (o->term >= 0) {
        if (--count[o->term] == 0) distinct--;
        matches--;
      }
    }
    if (i + 1 >= win) {
      long score = distinct * 1024 + matches;
      if (score > best_score) {
        best_score = score;
        best = i + 1 - win;
      }
    }
  }
  free(count);
  gg_buf b = GG_BUF_INIT;
  if (c.n == 0) {
    put_text(&b, text, tlen < 300 ? tlen : 300);
  } else {
    size_t first = best, last = best + win - 1;
    size_t from = first == 0 ? 0 : c.s[first].start;
    size_t to = last + 1 == c.n ? tlen : c.s[last].end;
    if (first > 0) gg_buf_put(&b, "\xE2\x80\xA6", 3);  /* ... */
    size_t at = from;
    for (size_t i = first; i <= last; i++) {
      if (c.s[i].term < 0 || c.s[i].start < at) continue;
      put_text(&b, text + at, c.s[i].start - at);
      gg_buf_put(&b, open, strlen(open));
      gg_buf_put(&b, text + c.s[i].start, c.s[i].end - c.s[i].start);
      gg_buf_put(&b, close, strlen(close));
      at = c.s[i].end;
    }
    put_text(&b, text + at, to - at);
    if (last + 1 < c.n) gg_buf_put(&b, "\xE2\x80\xA6", 3);
  }
  free(c.s);
  gg_buf_put_u8(&b, 0);
  if (b.oom) {
    gg_buf_free(&b);
    return gg_nomem(err);
  }
  /* Trim the leading space a window may start with. */
  char *s = (char *)b.p;
  size_t skip = 0;
  while (s[skip] == ' ') skip++;
  if (skip) memmove(s, s + skip, strlen(s + skip) + 1);
  *out = s;
  return GG_OK;
}
