/*
** fresh-latency.c -- wall time of one gg-search process per query.
**
**   fresh-latency [OPTIONS] GG_SEARCH INDEX TOPICS
**
** TOPICS: qid<TAB>query lines (run-peers' topics.tsv / phrase-topics.tsv).
** For every topic, starts a fresh process
**     GG_SEARCH --index INDEX --no-snippet --format trec QUERY
** (QUERY = the topic text as one argument; with --phrase it is wrapped in
** double quotes), stdout to /dev/null, and measures CLOCK_MONOTONIC from
** just before posix_spawn() to just after waitpid() returned: process
** creation, exec, dynamic loading, opening the index, the search, printing
** and exit.
**
** OPTIONS
**   --phrase        quote each topic as one phrase
**   --warmup N      untimed passes over all topics first (default 1)
**   --passes N      timed passes (default 3); a query's time = lower median
**   --limit N       only the first N topics
**   --drop-caches   before every timed run: sync(), then write "3" to
**                   /proc/sys/vm/drop_caches (root; cold page cache for the
**                   index AND the gg-search binary itself); implies
**                   --warmup 0 unless given
**   --tsv FILE      per-query times (qid<TAB>us<TAB>exit status)
**
** Prints one line: n, p50, p90, p99, max, mean (µs, nearest rank) and
** how many processes exited with 0 (matches) / 1 (no match) / other.
** Exit: 0 ok, 1 failure, 2 usage.
*/
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p) {
  int i = (int)ceil(p / 100.0 * n) - 1;
  return sorted[i < 0 ? 0 : i];
}

static void drop_caches(void) {
  sync();
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
  if (fd < 0 || write(fd, "3\n", 2) != 2) {
    perror("fresh-latency: /proc/sys/vm/drop_caches");
    exit(1);
  }
  close(fd);
}

/* one process; returns its exit status (or 256 + signal) and the wall time */
static int run_one(char *const argv[], posix_spawn_file_actions_t *fa, double *us) {
  pid_t pid;
  int st;
  double t0 = now_us();
  if (posix_spawn(&pid, argv[0], fa, NULL, argv, environ) != 0) {
    perror("fresh-latency: posix_spawn");
    exit(1);
  }
  if (waitpid(pid, &st, 0) < 0) {
    perror("fresh-latency: waitpid");
    exit(1);
  }
  *us = now_us() - t0;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 256 + WTERMSIG(st);
}

int main(int argc, char **argv) {
  int phrase = 0, warmup = -1, passes = 3, limit = 0, drop = 0;
  const char *tsv = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
    if (!strcmp(argv[i], "--phrase")) phrase = 1;
    else if (!strcmp(argv[i], "--drop-caches")) drop = 1;
    else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc) limit = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) tsv = argv[++i];
    else break;
  }
  if (argc - i != 3 || passes < 1) {
    fputs("usage: fresh-latency [--phrase] [--warmup N] [--passes N] [--limit N] "
          "[--drop-caches] [--tsv FILE] GG_SEARCH INDEX TOPICS\n", stderr);
    return 2;
  }
  if (warmup < 0) warmup = drop ? 0 : 1;
  const char *prog = argv[i], *index = argv[i + 1], *topics = argv[i + 2];

  /* topics */
  FILE *f = fopen(topics, "r");
  if (!f) {
    perror(topics);
    return 1;
  }
  int cap = 256, n = 0;
  char **qid = malloc(cap * sizeof *qid), **query = malloc(cap * sizeof *query);
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  while ((len = getline(&line, &lcap, f)) > 0 && (!limit || n < limit)) {
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    char *tab = strchr(line, '\t');
    if (!tab) continue;
    *tab = 0;
    if (n == cap) {
      cap *= 2;
      qid = realloc(qid, cap * sizeof *qid);
      query = realloc(query, cap * sizeof *query);
    }
    qid[n] = strdup(line);
    if (phrase) {
      query[n] = malloc(strlen(tab + 1) + 3);
      sprintf(query[n], "\"%s\"", tab + 1);
    } else {
      query[n] = strdup(tab + 1);
    }
    n++;
  }
  fclose(f);
  free(line);
  if (!n) {
    fputs("fresh-latency: no topics\n", stderr);
    return 1;
  }

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);

  double *best = malloc(n * sizeof *best), *t = malloc(passes * sizeof *t);
  int *status = malloc(n * sizeof *status);
  char *args[8] = {(char *)prog, "--index", (char *)index, "--no-snippet",
                   "--format", "trec", NULL, NULL};
  for (int w = 0; w < warmup; w++)
    for (int q = 0; q < n; q++) {
      double us;
      args[6] = query[q];
      run_one(args, &fa, &us);
    }
  for (int q = 0; q < n; q++) {
    args[6] = query[q];
    for (int p = 0; p < passes; p++) {
      if (drop) drop_caches();
      status[q] = run_one(args, &fa, &t[p]);
    }
    qsort(t, passes, sizeof *t, cmp_d);
    best[q] = t[(passes - 1) / 2]; /* lower median */
  }
  if (tsv) {
    FILE *o = fopen(tsv, "w");
    if (!o) {
      perror(tsv);
      return 1;
    }
    for (int q = 0; q < n; q++) fprintf(o, "%s\t%.0f\t%d\n", qid[q], best[q], status[q]);
    fclose(o);
  }
  int ok = 0, nomatch = 0, other = 0;
  for (int q = 0; q < n; q++) {
    if (status[q] == 0) ok++;
    else if (status[q] == 1) nomatch++;
    else other++;
  }
  double sum = 0;
  for (int q = 0; q < n; q++) sum += best[q];
  qsort(best, n, sizeof *best, cmp_d);
  printf("n=%d p50=%.0f p90=%.0f p99=%.0f max=%.0f mean=%.0f us; exit 0 (match)=%d, "
         "1 (no match)=%d, other=%d; passes=%d warmup=%d%s\n",
         n, pct(best, n, 50), pct(best, n, 90), pct(best, n, 99), best[n - 1], sum / n, ok,
         nomatch, other, passes, warmup, drop ? " drop-caches" : "");
  return other ? 1 : 0;
}
