/*
** main.c -- gg-search: command-line front end of the search API.  The only
** place of the read path that parses argv, prints or exits.
**
** Exit status (as grep): 0 at least one query matched, 1 nothing matched,
** 2 an error (for --batch: any line had an error; the other lines are still
** answered).
*/
#define _GNU_SOURCE
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gg/gg.h"

static const char USAGE[] =
    "usage: gg-search [--index DIR] [-k N] [--format text|json|tsv|trec] [--and]\n"
    "                 [--timing] [--no-snippet] QUERY ...\n"
    "       gg-search [options] --batch [FILE]   (one query per line: QUERY or QID<TAB>QUERY)\n"
    "QUERY: words and \"quoted phrases\". Ranked by BM25; --and requires every word and phrase.\n"
    "Index: --index DIR, else $GG_INDEX, else ./" GG_DEFAULT_INDEX ".\n"
    "Exit: 0 matched, 1 no match, 2 error.\n";

enum format { F_TEXT, F_JSON, F_TSV, F_TREC };

typedef struct opts {
  const char *index;
  enum format fmt;
  gg_search_opts so;
  int timing, snippets, color, batch;
  const char *batch_file;
} opts;

static int tsv_header_done;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Replace tabs and line breaks so a field stays one TSV cell. */
static void put_cell(const char *s) {
  for (; *s; s++) putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void put_line(const char *s) {
  for (; *s; s++) putchar(*s == '\n' || *s == '\r' ? ' ' : *s);
}

/* Print the hits of one query.  Returns GG_OK or an error from fetching. */
static int print_hits(gg_index *ix, const gg_query *q, const gg_hits *h, const char *qid,
                      const opts *o, long elapsed, gg_error *err) {
  for (size_t i = 0; i < h->n; i++) {
    const gg_hit *hit = &h->hit[i];
    if (o->fmt == F_TREC) {
      /* The TREC run format is blank-separated: blanks in ids become '_'. */
      printf("%s Q0 ", qid);
      for (const char *p = hit->id; *p; p++) putchar(isspace((unsigned char)*p) ? '_' : *p);
      printf(" %zu %.6f gg\n", i + 1, hit->score);
      continue;
    }
    char *title = NULL, *text = NULL, *snip = NULL;
    int rc = gg_doc_get(ix, hit->segment, hit->doc, &title, &text, err);
    if (rc == GG_OK && o->snippets)
      rc = gg_snippet(ix, q, text, 24, o->color ? "\033[1;31m" : "**", o->color ? "\033[0m" : "**",
                      &snip, err);
    if (rc != GG_OK) {
      free(title);
      free(text);
      return rc;
    }
    const char *sn = snip ? snip : "";
    if (o->fmt == F_TEXT) {
      printf(o->color ? "\033[1m%zu. " : "%zu. ", i + 1);
      put_line(hit->id);
      printf(o->color ? "\033[0m  \033[2m%.4f\033[0m\n" : "  %.4f\n", hit->score);
      if (*title) {
        fputs("   ", stdout);
        put_line(title);
        putchar('\n');
      }
      if (*sn) printf("   %s\n", sn);
    } else if (o->fmt == F_JSON) {
      /* Scores with 10 significant digits, always with a fraction part. */
      static const char *const keys[] = {"qid", "rank", "id", "score", "title", "snippet", "elapsed_us"};
      json_object *j = json_object_new_object();
      json_object *vals[] = {json_object_new_string(qid), json_object_new_int64((int64_t)i + 1),
                             json_object_new_string(hit->id), json_object_new_double(hit->score),
                             json_object_new_string(title), json_object_new_string(sn),
                             o->timing ? json_object_new_int64(elapsed) : NULL};
      size_t nvals = o->timing ? 7 : 6, added = 0;
      const char *line = NULL;
      int ok = j != NULL;
      for (size_t v = 0; v < nvals; v++) ok &= vals[v] != NULL;
      if (ok) {
        json_object_set_serializer(vals[3], json_object_double_to_json_string, (void *)"%.10g", NULL);
        for (; added < nvals && json_object_object_add(j, keys[added], vals[added]) == 0; added++) {}
        if (added == nvals)
          line = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
      }
      if (line) puts(line);
      for (size_t v = added; v < nvals; v++) json_object_put(vals[v]);  /* not owned by j */
      json_object_put(j);
      if (!line) {
        free(title);
        free(text);
        free(snip);
        err->code = GG_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "%s", gg_strerror(GG_ENOMEM));
        return GG_ENOMEM;
      }
    } else {
      printf("%s\t%zu\t", qid, i + 1);
      put_cell(hit->id);
      printf("\t%.6f\t", hit->score);
      put_cell(title);
      putchar('\t');
      put_cell(sn);
      if (o->timing) printf("\t%ld", elapsed);
      putchar('\n');
    }
    free(title);
    free(text);
    free(snip);
  }
  return GG_OK;
}

/* Run one query; returns 0 matched, 1 no match, 2 error (message printed). */
static int run_query(gg_index *ix, const char *qid, const char *text, const opts *o,
                     const char *where) {
  gg_error err;
  gg_query *q = NULL;
  gg_hits *h = NULL;
  double t0 = now_us();
  int rc = gg_query_parse(ix, text, &q, &err);
  if (rc == GG_OK) rc = gg_search(ix, q, &o->so, &h, &err);
  long elapsed = (long)(now_us() - t0);
  if (rc == GG_OK) {
    if (o->fmt == F_TSV && !tsv_header_done) {
      printf("qid\trank\tid\tscore\ttitle\tsnippet%s\n", o->timing ? "\telapsed_us" : "");
      tsv_header_done = 1;
    }
    if (o->fmt == F_TEXT && o->batch) printf("## %s: %s\n", qid, text);
    rc = print_hits(ix, q, h, qid, o, elapsed, &err);
  }
  int status = rc != GG_OK ? 2 : h->n ? 0 : 1;
  if (rc != GG_OK) fprintf(stderr, "gg-search: %s%s\n", where, err.msg);
  gg_hits_free(h);
  gg_query_free(q);
  fflush(stdout);
  return status;
}

static int run_batch(gg_index *ix, const opts *o) {
  FILE *in = stdin;
  if (o->batch_file && strcmp(o->batch_file, "-") != 0) {
    in = fopen(o->batch_file, "r");
    if (!in) {
      fprintf(stderr, "gg-search: %s: cannot open: %m\n", o->batch_file);
      return 2;
    }
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned long lineno = 0;
  int any_match = 0, any_error = 0;
  while ((n = getline(&line, &cap, in)) >= 0) {
    lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    char qid_buf[32], where[64];
    const char *qid = qid_buf, *text = line;
    char *tab = strchr(line, '\t');
    if (tab) {
      *tab = 0;
      qid = line;
      text = tab + 1;
    } else {
      snprintf(qid_buf, sizeof qid_buf, "%lu", lineno);
    }
    snprintf(where, sizeof where, "line %lu: ", lineno);
    int st = run_query(ix, qid, text, o, where);
    any_match |= st == 0;
    any_error |= st == 2;
  }
  free(line);
  if (in != stdin) fclose(in);
  return any_error ? 2 : any_match ? 0 : 1;
}

/* A usage error: one line on stderr, exit status 2. */
static int die_usage(const char *msg, const char *arg) {
  fprintf(stderr, "gg-search: %s%s%s (see gg-search --help)\n", msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

int main(int argc, char **argv) {
  opts o = {0};
  gg_search_opts d = GG_SEARCH_DEFAULTS;
  o.so = d;
  o.snippets = 1;
  size_t qcap = 1;
  for (int i = 1; i < argc; i++) qcap += strlen(argv[i]) + 1;
  char *query = calloc(qcap, 1);
#define USAGE_ERROR(msg, arg) \
  do {                        \
    free(query);              \
    return die_usage(msg, arg); \
  } while (0)
  if (!query) return 2;
  int nwords = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has_val = i + 1 < argc;
    if (strcmp(a, "--index") == 0 && has_val) o.index = argv[++i];
    else if ((strcmp(a, "-k") == 0 || strcmp(a, "--top") == 0) && has_val) {
      char *end;
      long k = strtol(argv[++i], &end, 10);
      if (*end || k < 1 || k > 10000000) USAGE_ERROR("bad -k (1..10000000)", argv[i]);
      o.so.k = (uint32_t)k;
    } else if (strcmp(a, "--format") == 0 && has_val) {
      const char *f = argv[++i];
      if (strcmp(f, "text") == 0) o.fmt = F_TEXT;
      else if (strcmp(f, "json") == 0) o.fmt = F_JSON;
      else if (strcmp(f, "tsv") == 0) o.fmt = F_TSV;
      else if (strcmp(f, "trec") == 0) o.fmt = F_TREC;
      else USAGE_ERROR("unknown format", f);
    } else if (strcmp(a, "--and") == 0) o.so.conjunctive = 1;
    else if (strcmp(a, "--or") == 0) o.so.conjunctive = 0;
    else if (strcmp(a, "--timing") == 0) o.timing = 1;
    else if (strcmp(a, "--no-snippet") == 0) o.snippets = 0;
    else if (strcmp(a, "--batch") == 0) {
      o.batch = 1;
      if (has_val && argv[i + 1][0] != '-') o.batch_file = argv[++i];
      else if (has_val && strcmp(argv[i + 1], "-") == 0) o.batch_file = argv[++i];
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(USAGE, stdout);
      free(query);
      return 0;
    } else if (strcmp(a, "--version") == 0) {
      puts("gg-search " GG_VERSION_STRING);
      free(query);
      return 0;
    } else if (strcmp(a, "--") == 0) {
      while (++i < argc) {
        if (nwords++) strcat(query, " ");
        strcat(query, argv[i]);
      }
    } else if (a[0] == '-' && a[1]) {
      USAGE_ERROR("unknown option", a);
    } else {
      if (nwords++) strcat(query, " ");
      strcat(query, a);
    }
  }
  if (!o.batch && nwords == 0) USAGE_ERROR("empty query", NULL);
  if (o.batch && nwords > 0)
    USAGE_ERROR("--batch reads queries from a file or standard input, not arguments", NULL);
  int tty = isatty(1);
  o.color = o.fmt == F_TEXT && tty && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
  /* Into a pipe or file, a query's results go out in one write (each query
  ** ends with a flush) of up to 64 KiB, not in writes of musl's 1 KiB or
  ** glibc's 4 KiB stdio buffer: -k 1000 in TREC format is about 60 KiB. */
  static char outbuf[1 << 16];
  if (!tty) setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  gg_index *ix;
  gg_error err;
  if (gg_index_open(o.index, &ix, &err) != GG_OK) {
    fprintf(stderr, "gg-search: %s\n", err.msg);
    free(query);
    return 2;
  }
  int status = o.batch ? run_batch(ix, &o) : run_query(ix, "1", query, &o, "");
  gg_index_close(ix);
  free(query);
  return status;
}
