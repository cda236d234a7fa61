/*
** test_bm25.c -- BM25 (searcher/eval.c) against the documented formula
**   idf = ln(1 + (N - n + 0.5) / (n + 0.5))
**   tf  = f (k1 + 1) / (f + k1 (1 - b + b dl / avgdl))
** computed here by hand, and gg_search scores over three tiny documents
** whose counts are worked out below in comments.
*/
#include <math.h>
#include <string.h>

#include "check.h"
#include "searcher/searcher.h"
#include "testutil.h"

static int close_to(double got, double want) {
  return fabs(got - want) <= 1e-12 * (fabs(want) > 1 ? fabs(want) : 1);
}

static double h_idf(double N, double n) { return log(1.0 + (N - n + 0.5) / (n + 0.5)); }
static double h_tf(double f, double dl, double avgdl, double k1, double b) {
  return f * (k1 + 1.0) / (f + k1 * (1.0 - b + b * dl / avgdl));
}

static void test_formulas(void) {
  /* Values computed independently (Python) for N=3. */
  CHECK(close_to(gg_bm25_idf(3, 1), 0.9808292530117263), "idf(3,1)=%.17g", gg_bm25_idf(3, 1));
  CHECK(close_to(gg_bm25_idf(3, 2), 0.47000362924573563), "idf(3,2)=%.17g", gg_bm25_idf(3, 2));
  CHECK(close_to(gg_bm25_idf(3, 3), 0.13353139262452257), "idf(3,3)=%.17g", gg_bm25_idf(3, 3));
  /* idf(N,0) = ln(1 + (N+0.5)/0.5) = ln(2N+2) */
  CHECK(close_to(gg_bm25_idf(1000, 0), log(2002.0)), "idf(1000,0)");
  /* always positive, even for a term in every document */
  CHECK(gg_bm25_idf(1000000, 1000000) > 0, "idf(N,N) > 0");
  static const uint64_t Ns[] = {1, 2, 3, 10, 1400, 1000000, 4000000000ull};
  for (size_t i = 0; i < sizeof Ns / sizeof Ns[0]; i++) {
    uint64_t N = Ns[i];
    uint64_t ns[] = {0, 1, N / 2, N > 0 ? N - 1 : 0, N};
    for (size_t j = 0; j < 5; j++)
      CHECK(close_to(gg_bm25_idf(N, ns[j]), h_idf((double)N, (double)ns[j])), "idf(%llu,%llu)",
            (unsigned long long)N, (unsigned long long)ns[j]);
  }
  /* monotone: rarer terms weigh more */
  for (uint64_t n = 1; n < 100; n++)
    CHECK(gg_bm25_idf(100, n) < gg_bm25_idf(100, n - 1), "idf decreasing in n at %llu",
          (unsigned long long)n);

  /* tf part: at dl = avgdl the length norm is 1. */
  CHECK(close_to(gg_bm25_tf(1, 10, 10, 1.2, 0.75), 1.0), "tf(1) at avgdl = 1");
  CHECK(close_to(gg_bm25_tf(2, 10, 10, 1.2, 0.75), 2 * 2.2 / 3.2), "tf(2) at avgdl");
  /* b = 0: no length normalisation */
  CHECK(close_to(gg_bm25_tf(3, 1000, 10, 1.2, 0.0), 3 * 2.2 / 4.2), "tf with b=0");
  /* b = 1: full normalisation, dl = 2 avgdl */
  CHECK(close_to(gg_bm25_tf(1, 20, 10, 1.2, 1.0), 2.2 / (1 + 2.4)), "tf with b=1");
  static const double fs[] = {1, 2, 3, 7, 128, 129, 5000};
  static const double dls[] = {1, 4, 6, 100, 65536};
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
    for (size_t j = 0; j < sizeof dls / sizeof dls[0]; j++) {
      CHECK(close_to(gg_bm25_tf(fs[i], dls[j], 14.0 / 3, 1.2, 0.75), h_tf(fs[i], dls[j], 14.0 / 3, 1.2, 0.75)),
            "tf(%g, dl %g)", fs[i], dls[j]);
      CHECK(close_to(gg_bm25_tf(fs[i], dls[j], 37.5, 2.0, 0.3), h_tf(fs[i], dls[j], 37.5, 2.0, 0.3)),
            "tf(%g, dl %g, k1 2, b .3)", fs[i], dls[j]);
      /* bounded by k1 + 1 */
      CHECK(gg_bm25_tf(fs[i], dls[j], 10, 1.2, 0.75) < 2.2, "tf < k1+1");
    }
}

/* ---- end to end ------------------------------------------------------- */
/*
** Documents (stemmer "none"; title words come first, then contents):
**   d0  title ""     contents "the cat sat on the mat"  -> 6 positions
**   d1  title "Dog"  contents "the dog sat"             -> dog the dog sat: 4
**   d2  title ""     contents "cat cat cat dog"         -> 4
** N = 3, tokens = 14, avgdl = 14/3.
** df: the 2 (d0,d1), cat 2 (d0,d2), sat 2 (d0,d1), on 1, mat 1, dog 2 (d1,d2).
*/
static const char DOCS[] =
    "{\"id\":\"d0\",\"title\":\"\",\"contents\":\"the cat sat on the mat\"}\n"
    "{\"id\":\"d1\",\"title\":\"Dog\",\"contents\":\"the dog sat\"}\n"
    "{\"id\":\"d2\",\"contents\":\"cat cat cat dog\"}\n";

static const double N = 3, AVG = 14.0 / 3;
static const int DL[3] = {6, 4, 4};

typedef struct expect {
  int doc;
  double score;
} expect;

static void run_query(gg_index *ix, const char *q, int conj, double k1, double b, uint32_t k,
                      const expect *want, size_t nwant) {
  gg_query *qq;
  gg_error err;
  int rc = gg_query_parse(ix, q, &qq, &err);
  CHECK(rc == GG_OK, "parse '%s': %s", q, err.msg);
  if (rc) return;
  gg_search_opts o = GG_SEARCH_DEFAULTS;
  o.k = k;
  o.conjunctive = conj;
  o.k1 = k1;
  o.b = b;
  gg_hits *h;
  rc = gg_search(ix, qq, &o, &h, &err);
  CHECK(rc == GG_OK, "search '%s': %s", q, err.msg);
  if (rc == GG_OK) {
    CHECK(h->n == nwant, "'%s'%s: %zu hits, want %zu", q, conj ? " AND" : "", h->n, nwant);
    for (size_t i = 0; i < h->n && i < nwant; i++) {
      char id[8];
      snprintf(id, sizeof id, "d%d", want[i].doc);
      CHECK(strcmp(h->hit[i].id, id) == 0, "'%s' rank %zu: %s, want %s", q, i + 1, h->hit[i].id, id);
      CHECK(close_to(h->hit[i].score, want[i].score), "'%s' %s: score %.17g, want %.17g", q, id,
            h->hit[i].score, want[i].score);
    }
    gg_hits_free(h);
  }
  gg_query_free(qq);
}

/* Sort expectations best first, ties by document order. */
static void sort_expect(expect *e, size_t n) {
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && (e[j].score > e[j - 1].score ||
                                 (e[j].score == e[j - 1].score && e[j].doc < e[j - 1].doc)); j--) {
      expect t = e[j];
      e[j] = e[j - 1];
      e[j - 1] = t;
    }
}

static void test_search(void) {
  char *dir = tu_mkdtemp("bm25");
  char *input = tu_path(dir, "docs.jsonl");
  char *index = tu_path(dir, "index");
  tu_write(input, DOCS, sizeof DOCS - 1);
  gg_build_opts bo = {0};
  bo.index_dir = index;
  bo.stemmer = "none";
  gg_build_stats st;
  gg_error err;
  const char *paths[] = {input};
  REQUIRE(gg_build(paths, 1, &bo, &st, &err) == GG_OK, "build: %s", err.msg);
  CHECK(st.docs == 3 && st.tokens == 14 && st.skipped == 0, "build stats: docs %llu tokens %llu",
        (unsigned long long)st.docs, (unsigned long long)st.tokens);
  /* distinct terms: the cat sat on mat dog = 6; postings: the2 cat2 sat2 on1 mat1 dog2 = 10 */
  CHECK(st.terms == 6 && st.postings == 10, "terms %llu postings %llu",
        (unsigned long long)st.terms, (unsigned long long)st.postings);

  gg_index *ix;
  REQUIRE(gg_index_open(index, &ix, &err) == GG_OK, "open: %s", err.msg);
  gg_index_info info;
  gg_index_info_get(ix, &info);
  CHECK(info.docs == 3 && info.tokens == 14 && info.segments == 1 && strcmp(info.stemmer, "none") == 0,
        "index info");

  const double k1 = 1.2, b = 0.75;
  double i2 = h_idf(N, 2), i1 = h_idf(N, 1);
  expect e[3];

  /* cat: d0 f=1, d2 f=3 */
  e[0] = (expect){0, i2 * h_tf(1, DL[0], AVG, k1, b)};
  e[1] = (expect){2, i2 * h_tf(3, DL[2], AVG, k1, b)};
  sort_expect(e, 2);
  CHECK(e[0].doc == 2, "hand ranking: d2 first for cat");
  CHECK(close_to(e[0].score, 0.7619006200404558) && close_to(e[1].score, 0.42081720292932145),
        "hand scores agree with the Python values");
  run_query(ix, "cat", 0, k1, b, 10, e, 2);
  run_query(ix, "CAT", 0, k1, b, 10, e, 2);
  run_query(ix, "cat cat", 0, k1, b, 10, e, 2);        /* duplicate clause counted once */
  run_query(ix, "\"cat\"", 0, k1, b, 10, e, 2);        /* one-word phrase == word */
  run_query(ix, "cat", 0, k1, b, 1, e, 1);             /* k = 1 */

  /* dog: d1 f=2 (title + contents), d2 f=1 */
  e[0] = (expect){1, i2 * h_tf(2, DL[1], AVG, k1, b)};
  e[1] = (expect){2, i2 * h_tf(1, DL[2], AVG, k1, b)};
  sort_expect(e, 2);
  run_query(ix, "dog", 0, k1, b, 10, e, 2);

  /* cat OR dog: d2 has both; d0 cat; d1 dog */
  e[0] = (expect){0, i2 * h_tf(1, DL[0], AVG, k1, b)};
  e[1] = (expect){1, i2 * h_tf(2, DL[1], AVG, k1, b)};
  e[2] = (expect){2, i2 * h_tf(3, DL[2], AVG, k1, b) + i2 * h_tf(1, DL[2], AVG, k1, b)};
  sort_expect(e, 3);
  CHECK(e[0].doc == 2 && close_to(e[0].score, 1.2610768883428234), "hand value of d2 for cat dog");
  run_query(ix, "cat dog", 0, k1, b, 10, e, 3);
  run_query(ix, "dog cat", 0, k1, b, 10, e, 3);
  /* AND: only d2 */
  e[0] = (expect){2, i2 * h_tf(3, DL[2], AVG, k1, b) + i2 * h_tf(1, DL[2], AVG, k1, b)};
  run_query(ix, "cat dog", 1, k1, b, 10, e, 1);

  /* mat (df 1) + the (df 2): d0 has the x2 and mat; d1 has the x1 */
  e[0] = (expect){0, i1 * h_tf(1, DL[0], AVG, k1, b) + i2 * h_tf(2, DL[0], AVG, k1, b)};
  e[1] = (expect){1, i2 * h_tf(1, DL[1], AVG, k1, b)};
  sort_expect(e, 2);
  run_query(ix, "mat the", 0, k1, b, 10, e, 2);

  /* phrase "the cat": only d0, once; idf = idf(the) + idf(cat) */
  e[0] = (expect){0, (i2 + i2) * h_tf(1, DL[0], AVG, k1, b)};
  run_query(ix, "\"the cat\"", 0, k1, b, 10, e, 1);
  /* phrase "cat cat": d2 "cat cat cat" holds it at positions 0 and 1 */
  e[0] = (expect){2, (i2 + i2) * h_tf(2, DL[2], AVG, k1, b)};
  run_query(ix, "\"cat cat\"", 0, k1, b, 10, e, 1);
  /* "cat cat cat": once */
  e[0] = (expect){2, (3 * i2) * h_tf(1, DL[2], AVG, k1, b)};
  run_query(ix, "\"cat cat cat\"", 0, k1, b, 10, e, 1);
  /* "sat on the mat": d0 once; idf = sat(2) on(1) the(2) mat(1) */
  e[0] = (expect){0, (i2 + i1 + i2 + i1) * h_tf(1, DL[0], AVG, k1, b)};
  run_query(ix, "\"sat on the mat\"", 0, k1, b, 10, e, 1);
  /* phrase that does not occur, though all words do */
  run_query(ix, "\"mat the\"", 0, k1, b, 10, e, 0);
  /* phrase + word, AND: "the dog" occurs in d1 (contents), sat in d1 */
  e[0] = (expect){1, (i2 + i2) * h_tf(1, DL[1], AVG, k1, b) + i2 * h_tf(1, DL[1], AVG, k1, b)};
  run_query(ix, "\"the dog\" sat", 1, k1, b, 10, e, 1);
  /* a word that is a phrase: "cat-dog" analyses to cat dog: d2 once */
  e[0] = (expect){2, (i2 + i2) * h_tf(1, DL[2], AVG, k1, b)};
  run_query(ix, "cat-dog", 0, k1, b, 10, e, 1);

  /* unknown words */
  run_query(ix, "zebra", 0, k1, b, 10, e, 0);
  run_query(ix, "cat zebra", 1, k1, b, 10, e, 0);
  e[0] = (expect){2, i2 * h_tf(3, DL[2], AVG, k1, b)};
  e[1] = (expect){0, i2 * h_tf(1, DL[0], AVG, k1, b)};
  run_query(ix, "cat zebra", 0, k1, b, 10, e, 2);

  /* other k1 and b are honoured */
  e[0] = (expect){0, i2 * h_tf(1, DL[0], AVG, 2.0, 0.3)};
  e[1] = (expect){2, i2 * h_tf(3, DL[2], AVG, 2.0, 0.3)};
  sort_expect(e, 2);
  run_query(ix, "cat", 0, 2.0, 0.3, 10, e, 2);

  /* stored fields and snippet */
  char *title = NULL, *text = NULL;
  gg_query *q;
  if (gg_query_parse(ix, "cat", &q, &err) == GG_OK) {
    gg_search_opts o = GG_SEARCH_DEFAULTS;
    gg_hits *h;
    if (gg_search(ix, q, &o, &h, &err) == GG_OK) {
      for (size_t i = 0; i < h->n; i++) {
        if (strcmp(h->hit[i].id, "d0") != 0) continue;
        CHECK(gg_doc_get(ix, h->hit[i].segment, h->hit[i].doc, &title, &text, &err) == GG_OK,
              "doc_get: %s", err.msg);
        CHECK(title && strcmp(title, "") == 0 && text && strcmp(text, "the cat sat on the mat") == 0,
              "stored d0: '%s' '%s'", title ? title : "(null)", text ? text : "(null)");
        char *snip = NULL;
        CHECK(gg_snippet(ix, q, text, 24, "[", "]", &snip, &err) == GG_OK, "snippet: %s", err.msg);
        CHECK(snip && strcmp(snip, "the [cat] sat on the mat") == 0, "snippet '%s'", snip ? snip : "");
        free(snip);
        free(title);
        free(text);
      }
      gg_hits_free(h);
    }
    /* bad arguments */
    gg_search_opts o0 = GG_SEARCH_DEFAULTS;
    o0.k = 0;
    CHECK(gg_search(ix, q, &o0, &h, &err) == GG_EINVAL && h == NULL, "k = 0 rejected");
    /* BM25 parameters outside k1 >= 0, 0 <= b <= 1 (where the length
    ** normaliser could reach zero or below and no bound holds) */
    const double bad[][2] = {{-0.1, 0.75}, {1.2, -0.01}, {1.2, 1.01}, {NAN, 0.75}, {1.2, NAN}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      gg_search_opts ob = GG_SEARCH_DEFAULTS;
      ob.k1 = bad[i][0];
      ob.b = bad[i][1];
      CHECK(gg_search(ix, q, &ob, &h, &err) == GG_EINVAL && h == NULL && strstr(err.msg, "k1"),
            "k1 = %g, b = %g rejected: %s", ob.k1, ob.b, err.msg);
    }
    gg_query_free(q);
  }
  CHECK(gg_doc_get(ix, 5, 0, &title, &text, &err) == GG_EINVAL, "doc_get of a bad segment");

  /* query errors */
  CHECK(gg_query_parse(ix, "", &q, &err) == GG_EQUERY && q == NULL, "empty query");
  CHECK(gg_query_parse(ix, "  *** --- ", &q, &err) == GG_EQUERY, "query without words");
  CHECK(gg_query_parse(ix, "cat \"dog", &q, &err) == GG_EQUERY && strstr(err.msg, "column 5"),
        "unterminated quote at column 5: %s", err.msg);

  gg_index_close(ix);
  tu_rm_rf(dir);
  free(dir);
  free(input);
  free(index);
}

int main(void) {
  test_formulas();
  test_search();
  CHECK_EXIT();
}
