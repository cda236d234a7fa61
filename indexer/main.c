/*
** main.c -- gg-index: command-line front end of gg_build().  The only place
** of the write path that parses argv, prints or exits.
**
** Exit status: 0 the index was built; 1 it was built but some inputs were
** skipped (each named by a warning); 2 error, the previous index is intact.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gg/gg.h"

static const char USAGE[] =
    "usage: gg-index build [--index DIR] [--stemmer english|none|NAME] [--memory SIZE]\n"
    "                      [--max-doc-size SIZE] [--threads N] [--quiet] [PATH ...]\n"
    "       gg-index check [--index DIR]\n"
    "PATH: files or folders (default: corpus). Accepted: .txt .md (title = first line),\n"
    ".jsonl ({\"id\",\"title\",\"contents\"} per line), each optionally .gz.\n"
    "Index: --index DIR, else $GG_INDEX, else ./" GG_DEFAULT_INDEX ".\n"
    "SIZE: bytes with optional K, M or G suffix (a plain number is MiB). --memory default 512M.\n"
    "--threads 1 runs every stage in one thread; default: parsing, inversion, compression\n"
    "and the final merge each in their own (the index is the same bytes either way).\n";

static int quiet;
static int progress_shown;

static void on_warn(void *ctx, const char *msg) {
  (void)ctx;
  if (progress_shown) fputs("\r\033[K", stderr), progress_shown = 0;
  fprintf(stderr, "gg-index: warning: %s\n", msg);
}

static void on_progress(void *ctx, const gg_build_stats *s, double frac) {
  (void)ctx;
  double mb = s->input_bytes / 1e6;
  double rate = s->seconds > 0 ? mb / s->seconds : 0;
  fprintf(stderr, "\r\033[K%llu documents, %.1f MB, %.1f MB/s", (unsigned long long)s->docs, mb,
          rate);
  if (frac > 0.02 && frac < 1.0) fprintf(stderr, ", ETA %.0f s", s->seconds * (1 - frac) / frac);
  progress_shown = 1;
}

/* A usage error: one line on stderr, exit status 2. */
static int die_usage(const char *msg, const char *arg) {
  fprintf(stderr, "gg-index: %s%s%s (see gg-index --help)\n", msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

static int cmd_check(int argc, char **argv) {
  const char *dir = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--index") == 0 && i + 1 < argc) dir = argv[++i];
    else return die_usage("unknown argument", argv[i]);
  }
  gg_error err;
  int rc = gg_index_check(dir, &err);
  if (rc != GG_OK) {
    fprintf(stderr, "gg-index: %s\n", err.msg);
    return 2;
  }
  printf("ok\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return die_usage("missing command", NULL);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(USAGE, stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    puts("gg-index " GG_VERSION_STRING);
    return 0;
  }
  if (strcmp(argv[1], "check") == 0) return cmd_check(argc - 2, argv + 2);
  if (strcmp(argv[1], "build") != 0) return die_usage("unknown command", argv[1]);

  gg_build_opts o = {0};
  const char **paths = calloc((size_t)argc, sizeof *paths);
#define USAGE_ERROR(msg, arg) \
  do {                        \
    free(paths);              \
    return die_usage(msg, arg); \
  } while (0)
  size_t npaths = 0;
  if (!paths) return 2;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    int has_val = i + 1 < argc;
    if (strcmp(a, "--index") == 0 && has_val) o.index_dir = argv[++i];
    else if (strcmp(a, "--stemmer") == 0 && has_val) o.stemmer = argv[++i];
    else if (strcmp(a, "--memory") == 0 && has_val) {
      if (gg_parse_size(argv[++i], &o.memory_budget) || o.memory_budget < (1u << 20))
        USAGE_ERROR("bad --memory size (at least 1M)", argv[i]);
    } else if (strcmp(a, "--threads") == 0 && has_val) {
      char *end;
      long t = strtol(argv[++i], &end, 10);
      if (*end || end == argv[i] || t < 1 || t > 1024) USAGE_ERROR("bad --threads (a number from 1)", argv[i]);
      o.threads = (int)t;
    } else if (strcmp(a, "--max-doc-size") == 0 && has_val) {
      if (gg_parse_size(argv[++i], &o.max_doc_bytes)) USAGE_ERROR("bad --max-doc-size", argv[i]);
    } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) quiet = 1;
    else if (strcmp(a, "--") == 0) {
      while (++i < argc) paths[npaths++] = argv[i];
    } else if (a[0] == '-' && a[1]) USAGE_ERROR("unknown option", a);
    else paths[npaths++] = a;
  }
  o.warn = on_warn;
  if (!quiet && isatty(2)) o.progress = on_progress;
  gg_build_stats st;
  gg_error err;
  int rc = gg_build(paths, npaths, &o, &st, &err);
  free(paths);
  if (progress_shown) fputs("\r\033[K", stderr);
  if (rc != GG_OK) {
    fprintf(stderr, "gg-index: %s\n", err.msg);
    return 2;
  }
  if (!quiet)
    fprintf(stderr,
            "gg-index: %llu documents, %llu terms, %llu postings, %.2f MB input (%.2f MB text), "
            "%.2f MB index (%.0f%% of text), %.2f s%s\n",
            (unsigned long long)st.docs, (unsigned long long)st.terms,
            (unsigned long long)st.postings, st.input_bytes / 1e6, st.text_bytes / 1e6,
            st.index_bytes / 1e6, st.text_bytes ? 100.0 * st.index_bytes / st.text_bytes : 0.0,
            st.seconds,
            st.skipped ? ", some inputs skipped" : "");
  return st.skipped ? 1 : 0;
}
