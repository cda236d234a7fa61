/*
** gg-peer.c -- gg as an engine of the peers harness (../shared/peers/run-peers).
**
**   gg-peer [OPTIONS] build CORPUS INDEXDIR [OPTIONS]
**   gg-peer [OPTIONS] search INDEXDIR MODE TOPICS OUTDIR [TAG]   MODE = or | and | phrase
**
** OPTIONS (build only; accepted before the verb because run-peers passes a
** PEERS_EXTRA entry's arguments there, e.g.
** PEERS_EXTRA="gg=/x/gg-peer;gg-nostem=/x/gg-peer --stemmer none"):
**   --stemmer NAME   english (default), none, porter, ... (any Snowball name)
**   --memory SIZE    inversion budget, bytes with K/M/G suffix (default: gg's 512M)
**
** build: gg_build() in-process on the one CORPUS file (docs.jsonl.gz, read
** by gg itself: title and contents are analysed as one run of positions, as
** the peers index title + "\n" + contents).  Prints a one-line JSON of
** gg_build_stats to stderr (run-peers keeps it in build.log).  Then writes
** INDEXDIR/stored_text_bytes = the bytes of gg's compressed document store
** (GG_SEC_STORE + GG_SEC_STOREIDX), which run-peers subtracts from the
** index size exactly as it does for Groonga's stored text: the other peers
** keep no text, gg keeps it for snippets.  Set GG_PEER_COUNT_STORE=1 to
** count the store in the index size.  (gg fsyncs its files at the end of a
** build; the peers do not.  That cost stays in gg's build time.)
**
** search: one process, all topics.  $PEERS_WARMUP untimed passes (top 10),
** $PEERS_TIMED_PASSES timed passes (top 10): CLOCK_MONOTONIC read around
** building the query text (phrase: the topic in double quotes), parsing,
** searching and reading the 10 external ids (gg_search returns them).
** Then untimed: run.MODE.trec (top 1000, `qid Q0 docid rank score TAG`) and
** count.MODE.tsv (exact matches: gg has no count API, so a search with k =
** the number of documents in the index and .exhaustive = 1, whose hit
** count is then exact).
** lat.MODE.tsv holds the lower median of each query's timed passes in
** microseconds.  Modes: or = ranked disjunction, and = gg_search_opts
** .conjunctive, phrase = one quoted clause.
**
** Exit: 0 ok, 1 failure (message on stderr), 2 usage.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gg/gg.h"
#include "../searcher/searcher.h" /* gg_seg: the stored-text section sizes */
#include "../core/segment.h"

#define TIMED_K 10
#define RUN_K 1000
#define GG_MAX_K 10000000u

static const char USAGE[] =
    "usage: gg-peer [--stemmer NAME] [--memory SIZE] build CORPUS INDEXDIR\n"
    "       gg-peer search INDEXDIR or|and|phrase TOPICS OUTDIR [TAG]\n";

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int env_int(const char *name, int dflt, int min) {
  const char *s = getenv(name);
  int v = s && *s ? atoi(s) : dflt;
  return v < min ? min : v;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fputs("gg-peer: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

/* ---- options ---------------------------------------------------------- */

typedef struct peer_opts {
  const char *stemmer;
  size_t memory;
} peer_opts;

/* Consume an option at argv[*i]; 1 if it was one, 0 if not, -1 on error. */
static int take_opt(int argc, char **argv, int *i, peer_opts *o) {
  const char *a = argv[*i];
  if (strcmp(a, "--stemmer") == 0 && *i + 1 < argc) {
    o->stemmer = argv[++*i];
    return 1;
  }
  if (strcmp(a, "--memory") == 0 && *i + 1 < argc) {
    if (gg_parse_size(argv[++*i], &o->memory)) return -1;
    return 1;
  }
  return a[0] == '-' && a[1] ? -1 : 0;
}

/* ---- build ------------------------------------------------------------ */

static void on_warn(void *ctx, const char *msg) {
  (void)ctx;
  fprintf(stderr, "gg-peer: warning: %s\n", msg);
}

/* Bytes of the document store of the index in dir, or -1. */
static long long store_bytes(const char *dir) {
  gg_index *ix;
  gg_error err;
  if (gg_index_open(dir, &ix, &err) != GG_OK) {
    fprintf(stderr, "gg-peer: %s\n", err.msg);
    return -1;
  }
  long long n = 0;
  for (uint32_t s = 0; s < ix->nsegs; s++)
    n += (long long)(ix->segs[s].store_len + ix->segs[s].nstore_blocks * GG_STORE_ENTRY);
  gg_index_close(ix);
  return n;
}

static int do_build(const char *corpus, const char *dir, const peer_opts *po) {
  gg_build_opts o = {0};
  o.index_dir = dir;
  o.stemmer = po->stemmer;
  o.memory_budget = po->memory;
  o.warn = on_warn;
  gg_build_stats st;
  gg_error err;
  const char *paths[1] = {corpus};
  if (gg_build(paths, 1, &o, &st, &err) != GG_OK) {
    fprintf(stderr, "gg-peer: build failed: %s\n", err.msg);
    return 1;
  }
  json_object *j = json_object_new_object();
  json_object_object_add(j, "stemmer", json_object_new_string(po->stemmer ? po->stemmer : "english"));
  const char *names[] = {"docs", "skipped", "terms", "postings", "tokens", "input_bytes", "text_bytes",
                         "index_bytes", "runs"};
  uint64_t values[] = {st.docs, st.skipped, st.terms, st.postings, st.tokens, st.input_bytes,
                       st.text_bytes, st.index_bytes, st.runs};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    json_object_object_add(j, names[i], json_object_new_int64((int64_t)values[i]));
  json_object_object_add(j, "seconds", json_object_new_double(st.seconds));
  long long sb = store_bytes(dir);
  if (sb >= 0) json_object_object_add(j, "store_bytes", json_object_new_int64(sb));
  fprintf(stderr, "gg-peer build stats: %s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
  json_object_put(j);
  const char *cs = getenv("GG_PEER_COUNT_STORE");
  if (sb > 0 && !(cs && strcmp(cs, "1") == 0)) {
    char path[4096];
    snprintf(path, sizeof path, "%s/stored_text_bytes", dir);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%lld\n", sb) < 0 || fclose(f) != 0) {
      fprintf(stderr, "gg-peer: %s: %s\n", path, strerror(errno));
      return 1;
    }
  }
  if (st.skipped) fprintf(stderr, "gg-peer: %llu inputs skipped\n", (unsigned long long)st.skipped);
  return 0;
}

/* ---- search ----------------------------------------------------------- */

typedef struct topic {
  char *qid, *text;
} topic;

static topic *read_topics(const char *path, int *count) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "gg-peer: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  topic *t = NULL;
  int n = 0, cap = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  while ((len = getline(&line, &lcap, f)) > 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    char *tab = strchr(line, '\t');
    if (!tab) continue;
    *tab = 0;
    if (n == cap) {
      cap = cap ? cap * 2 : 256;
      topic *nt = realloc(t, sizeof *t * (size_t)cap);
      if (!nt) exit(1);
      t = nt;
    }
    t[n].qid = strdup(line);
    t[n].text = strdup(tab + 1);
    n++;
  }
  free(line);
  fclose(f);
  *count = n;
  return t;
}

/* The query text of a topic for mode: as is for or/and; for phrase the
** topic (without any double quotes of its own) inside double quotes. */
static const char *make_query(const char *text, int phrase, char **buf, size_t *cap) {
  if (!phrase) return text;
  size_t n = strlen(text);
  if (n + 3 > *cap) {
    free(*buf);
    *cap = 2 * n + 3;
    *buf = xmalloc(*cap);
  }
  char *o = *buf;
  *o++ = '"';
  for (const char *s = text; *s; s++)
    if (*s != '"') *o++ = *s;
  *o++ = '"';
  *o = 0;
  return *buf;
}

/* Parse and run one query; *hits is NULL when the query does not parse
** (e.g. no searchable words) -- that counts as no match. */
static int run_query(gg_index *ix, const char *qtext, const gg_search_opts *so, gg_hits **hits,
                     const char *qid, int report) {
  gg_error err;
  gg_query *q = NULL;
  *hits = NULL;
  int rc = gg_query_parse(ix, qtext, &q, &err);
  if (rc == GG_OK) rc = gg_search(ix, q, so, hits, &err);
  gg_query_free(q);
  if (rc != GG_OK && report) fprintf(stderr, "gg-peer: topic %s: %s\n", qid, err.msg);
  return rc;
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

static FILE *open_out(const char *dir, const char *what, const char *mode, const char *ext) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.%s.%s", dir, what, mode, ext);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "gg-peer: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  return f;
}

static int do_search(const char *dir, const char *mode, const char *topics, const char *outdir,
                     const char *tag) {
  int phrase = strcmp(mode, "phrase") == 0;
  if (!phrase && strcmp(mode, "or") != 0 && strcmp(mode, "and") != 0) {
    fprintf(stderr, "gg-peer: unknown mode %s\n", mode);
    return 2;
  }
  gg_index *ix;
  gg_error err;
  if (gg_index_open(dir, &ix, &err) != GG_OK) {
    fprintf(stderr, "gg-peer: %s\n", err.msg);
    return 1;
  }
  gg_index_info info;
  gg_index_info_get(ix, &info);
  gg_search_opts so = GG_SEARCH_DEFAULTS;
  so.conjunctive = strcmp(mode, "and") == 0;

  int nt;
  topic *t = read_topics(topics, &nt);
  int warm = env_int("PEERS_WARMUP", 1, 0), tp = env_int("PEERS_TIMED_PASSES", 1, 1);
  long long *lat = xmalloc(sizeof *lat * (size_t)(nt ? nt : 1) * (size_t)tp);
  char *qbuf = NULL;
  size_t qcap = 0;
  gg_hits *h;
  volatile size_t sink = 0; /* keeps the id reads of the timed region */

  so.k = TIMED_K;
  for (int p = 0; p < warm; p++)
    for (int i = 0; i < nt; i++) {
      run_query(ix, make_query(t[i].text, phrase, &qbuf, &qcap), &so, &h, t[i].qid, p == 0);
      gg_hits_free(h);
    }
  for (int p = 0; p < tp; p++)
    for (int i = 0; i < nt; i++) {
      long long t0 = now_ns();
      run_query(ix, make_query(t[i].text, phrase, &qbuf, &qcap), &so, &h, t[i].qid,
                warm == 0 && p == 0);
      if (h)
        for (size_t j = 0; j < h->n; j++) sink += (unsigned char)h->hit[j].id[0];
      gg_hits_free(h);
      lat[(size_t)i * (size_t)tp + (size_t)p] = now_ns() - t0;
    }

  FILE *fl = open_out(outdir, "lat", mode, "tsv");
  FILE *fr = open_out(outdir, "run", mode, "trec");
  FILE *fc = open_out(outdir, "count", mode, "tsv");
  uint64_t kcount = info.docs < 1 ? 1 : info.docs > GG_MAX_K ? GG_MAX_K : info.docs;
  int rc = 0;
  for (int i = 0; i < nt; i++) {
    long long *v = lat + (size_t)i * (size_t)tp;
    qsort(v, (size_t)tp, sizeof *v, cmp_ll);
    fprintf(fl, "%s\t%.3f\n", t[i].qid, v[(tp - 1) / 2] / 1000.0);
    const char *qt = make_query(t[i].text, phrase, &qbuf, &qcap);
    so.k = RUN_K;
    so.exhaustive = 0;
    run_query(ix, qt, &so, &h, t[i].qid, 0);
    for (size_t j = 0; h && j < h->n; j++)
      fprintf(fr, "%s Q0 %s %zu %.6f %s\n", t[i].qid, h->hit[j].id, j + 1, h->hit[j].score, tag);
    gg_hits_free(h);
    so.k = (uint32_t)kcount;
    so.exhaustive = 1; /* no pruning: every match is a hit, the count is exact */
    run_query(ix, qt, &so, &h, t[i].qid, 0);
    size_t cnt = h ? h->n : 0;
    if (h && cnt == kcount && info.docs > GG_MAX_K) {
      fprintf(stderr, "gg-peer: topic %s: count capped at %u\n", t[i].qid, GG_MAX_K);
      rc = 1;
    }
    gg_hits_free(h);
    fprintf(fc, "%s\t%zu\n", t[i].qid, cnt);
  }
  if (fclose(fl) | fclose(fr) | fclose(fc)) {
    fprintf(stderr, "gg-peer: writing results: %s\n", strerror(errno));
    rc = 1;
  }
  for (int i = 0; i < nt; i++) {
    free(t[i].qid);
    free(t[i].text);
  }
  free(t);
  free(lat);
  free(qbuf);
  gg_index_close(ix);
  (void)sink;
  return rc;
}

int main(int argc, char **argv) {
  peer_opts po = {0};
  int i = 1;
  for (; i < argc; i++) {
    int r = take_opt(argc, argv, &i, &po);
    if (r < 0) {
      fprintf(stderr, "gg-peer: bad option %s\n%s", argv[i], USAGE);
      return 2;
    }
    if (r == 0) break;
  }
  if (i >= argc) {
    fputs(USAGE, stderr);
    return 2;
  }
  const char *verb = argv[i++];
  char *pos[8];
  int np = 0;
  for (; i < argc; i++) {
    int r = take_opt(argc, argv, &i, &po);
    if (r < 0) {
      fprintf(stderr, "gg-peer: bad option %s\n%s", argv[i], USAGE);
      return 2;
    }
    if (r == 0) {
      if (np == 8) {
        fputs(USAGE, stderr);
        return 2;
      }
      pos[np++] = argv[i];
    }
  }
  if (strcmp(verb, "build") == 0 && np == 2) return do_build(pos[0], pos[1], &po);
  if (strcmp(verb, "search") == 0 && (np == 4 || np == 5))
    return do_search(pos[0], pos[1], pos[2], pos[3], np == 5 ? pos[4] : "gg");
  fputs(USAGE, stderr);
  return 2;
}
