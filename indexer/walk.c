/*
** walk.c -- turn input paths into documents.
**
** Accepted inputs (by file name, case-sensitive suffixes):
**   *.txt, *.md            one document: title = first non-blank line,
**                          text = the rest; id = path relative to the
**                          folder given (the file name for a file given)
**   *.txt.gz, *.md.gz      the same, gzip-compressed
**   *.jsonl, *.jsonl.gz    one {"id","title","contents"} object per line
** A file named explicitly with another suffix is read as text.  In folders,
** hidden entries and other suffixes are ignored.  Everything is read through
** gzin.h, which passes files that are not gzip through unchanged;
** JSON lines are parsed by json-c.
**
** Bad inputs inside a walk (binary, empty, too large, unreadable, invalid
** JSON) are skipped with a warning; a path given on the command line that
** does not exist is an error.
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/err.h"
#include "../core/utf8.h"
#include "gzin.h"
#include "indexer.h"

#define JSON_NESTING_MAX 512

enum kind { K_NONE, K_TEXT, K_JSONL };

static int has_suffix(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && memcmp(s + n - m, suf, m) == 0;
}

static enum kind kind_of(const char *name) {
  if (has_suffix(name, ".jsonl") || has_suffix(name, ".jsonl.gz")) return K_JSONL;
  if (has_suffix(name, ".txt") || has_suffix(name, ".md") || has_suffix(name, ".txt.gz") ||
      has_suffix(name, ".md.gz"))
    return K_TEXT;
  return K_NONE;
}

typedef struct walker {
  gg_walk *w;
  gg_doc_fn fn;
  void *ctx;
  gg_buf data;     /* file or line bytes */
  gg_buf fixed;    /* UTF-8-repaired copy */
  gg_buf fixed2;
  json_tokener *json; /* owned; reset for every line */
  gg_error *err;
} walker;

static void warn(walker *k, const char *fmt, ...) GG_PRINTF(2, 3);
static void warn(walker *k, const char *fmt, ...) {
  k->w->skipped++;
  if (!k->w->warn) return;
  char msg[GG_ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  k->w->warn(k->w->warn_ctx, msg);
}

/* Read all of f into k->data; 1 if larger than the limit, -1 on a read
** error, 0 on success. */
static int slurp(walker *k, gg_gzin *f, size_t limit) {
  k->data.n = 0;
  for (;;) {
    if (gg_buf_reserve(&k->data, 65536)) return -2;
    long n = gg_gzin_read(f, k->data.p + k->data.n, 65536);
    if (n < 0) return -1;
    if (n == 0) return 0;
    k->data.n += (size_t)n;
    k->w->input_bytes += (uint64_t)n;
    k->w->raw_cur = gg_gzin_offset(f);
    if (k->data.n > limit) return 1;
  }
}

/* "Blank" means only ASCII whitespace. */
static int is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' && s[i] != '\f' &&
        s[i] != '\v')
      return 0;
  return 1;
}

static void trim(const char **s, size_t *n) {
  while (*n && is_blank(*s, 1)) (*s)++, (*n)--;
  while (*n && is_blank(*s + *n - 1, 1)) (*n)--;
}

static int do_text(walker *k, const char *path, const char *id, gg_gzin *f) {
  int r = slurp(k, f, k->w->max_doc_bytes);
  if (r == -2) return gg_nomem(k->err);
  if (r < 0) {
    warn(k, "%s: skipped: read error (%s)", path, gg_gzin_error(f));
    return 0;
  }
  if (r == 1) {
    warn(k, "%s: skipped: larger than the %zu-byte document limit", path, k->w->max_doc_bytes);
    return 0;
  }
  const char *s = (const char *)k->data.p;
  size_t n = k->data.n;
  if (memchr(s, 0, n)) {
    warn(k, "%s: skipped: binary file (contains NUL bytes)", path);
    return 0;
  }
  int fixed = gg_utf8_repair(s, n, &k->fixed);
  if (fixed < 0) return gg_nomem(k->err);
  if (fixed) {
    s = (const char *)k->fixed.p;
    n = k->fixed.n;
  }
  if (is_blank(s, n)) {
    warn(k, "%s: skipped: empty document", path);
    return 0;
  }
  /* Title: the first non-blank line; text: everything after it. */
  size_t i = 0;
  for (;;) {
    const char *nl = memchr(s + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - s) : n;
    if (!is_blank(s + i, end - i) || !nl) {
      gg_doc d;
      d.title = s + i;
      d.title_len = end - i;
      trim(&d.title, &d.title_len);
      d.text = s + (nl ? end + 1 : n);
      d.text_len = n - (nl ? end + 1 : n);
      trim(&d.text, &d.text_len);
      d.id = id;
      d.id_len = strlen(id);
      return k->fn(k->ctx, &d);
    }
    i = end + 1;
  }
}

/* A JSON value used as a document id: a non-empty string, or an integer as
** written. */
static int json_id(json_object *v, const char **s, size_t *n) {
  if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int))
    return 0;
  /* json-c clamps integers out of range to these: not the id as written. */
  if (json_object_is_type(v, json_type_int) &&
      (json_object_get_int64(v) == INT64_MIN || json_object_get_uint64(v) == UINT64_MAX))
    return 0;
  *s = json_object_get_string(v);
  *n = json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v) : strlen(*s);
  return *n > 0;
}

/* Parse one line (valid UTF-8) as one JSON value (RFC 8259, strict; nothing
** but white space after it).  NULL with *why set when it is not. */
static json_object *parse_line(json_tokener *tok, const char *line, size_t n, const char **why) {
  json_tokener_reset(tok);
  json_object *o = n <= INT_MAX ? json_tokener_parse_ex(tok, line, (int)n) : NULL;
  if (!o) {
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t i = 0;
    while (i < n && is_blank(line + i, 1)) i++;
    *why = n > INT_MAX                                    ? "line too long"
           : i < n && line[i] != '{' && line[i] != '['   ? "not a JSON object"
           : e == json_tokener_continue                  ? "truncated JSON"
                                                         : json_tokener_error_desc(e);
    return NULL;
  }
  size_t end = json_tokener_get_parse_end(tok);
  if (!is_blank(line + end, n - end)) {
    json_object_put(o);
    *why = "text after the JSON value";
    return NULL;
  }
  return o;
}

static int is_string_or_null(json_object *v) {
  return !v || json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_null);
}

static int do_json_line(walker *k, const char *path, uint64_t lineno, const char *line,
                        size_t n) {
  if (is_blank(line, n)) return 0;
  if (lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {  /* a byte order mark */
    line += 3;
    n -= 3;
  }
  /* Invalid UTF-8 (as utf8proc judges it: json-c lets overlong forms and
  ** encoded surrogates through) becomes U+FFFD before parsing. */
  int fixed = gg_utf8_repair(line, n, &k->fixed2);
  if (fixed < 0) return gg_nomem(k->err);
  if (fixed) {
    line = (const char *)k->fixed2.p;
    n = k->fixed2.n;
  }
  const char *why = NULL;
  json_object *o = parse_line(k->json, line, n, &why);
  if (!o || !json_object_is_type(o, json_type_object)) {
    warn(k, "%s:%llu: skipped: %s", path, (unsigned long long)lineno,
         o ? "not a JSON object" : why);
    json_object_put(o);
    return 0;
  }
  gg_doc d;
  json_object *id = NULL, *title = NULL, *contents = NULL;
  json_object_object_get_ex(o, "id", &id);
  json_object_object_get_ex(o, "title", &title);
  json_object_object_get_ex(o, "contents", &contents);
  if (!json_id(id, &d.id, &d.id_len)) {
    warn(k, "%s:%llu: skipped: no \"id\" string", path, (unsigned long long)lineno);
    json_object_put(o);
    return 0;
  }
  if (!is_string_or_null(title) || !is_string_or_null(contents)) {
    warn(k, "%s:%llu: skipped: \"title\" and \"contents\" must be strings", path,
         (unsigned long long)lineno);
    json_object_put(o);
    return 0;
  }
  d.title = title ? json_object_get_string(title) : NULL;
  d.title_len = d.title ? (size_t)json_object_get_string_len(title) : 0;
  d.text = contents ? json_object_get_string(contents) : NULL;
  d.text_len = d.text ? (size_t)json_object_get_string_len(contents) : 0;
  if (!d.title) d.title = "";
  if (!d.text) d.text = "";
  int rc = k->fn(k->ctx, &d);
  json_object_put(o);
  return rc;
}

static int do_jsonl(walker *k, const char *path, gg_gzin *f) {
  uint64_t lineno = 0;
  size_t start = 0;  /* start of the unconsumed line in k->data */
  int too_long = 0;  /* skipping the rest of an over-long line */
  k->data.n = 0;
  for (;;) {
    if (gg_buf_reserve(&k->data, 65536)) return gg_nomem(k->err);
    long got = gg_gzin_read(f, k->data.p + k->data.n, 65536);
    if (got < 0) {
      warn(k, "%s: stopped reading: %s", path, gg_gzin_error(f));
      return 0;
    }
    size_t scan = k->data.n;
    k->data.n += (size_t)got;
    k->w->input_bytes += (uint64_t)got;
    k->w->raw_cur = gg_gzin_offset(f);
    int eof = got == 0;
    for (;;) {
      char *nl = memchr(k->data.p + scan, '\n', k->data.n - scan);
      size_t end = nl ? (size_t)((uint8_t *)nl - k->data.p) : k->data.n;
      if (!nl && !eof) break;
      if (!nl && end == start) break;
      lineno++;
      if (too_long) {
        too_long = 0;
      } else {
        int rc = do_json_line(k, path, lineno, (const char *)k->data.p + start, end - start);
        if (rc) return rc;
      }
      start = scan = nl ? end + 1 : end;
      if (!nl) break;
    }
    if (eof) return 0;
    /* Keep the partial line at the front of the buffer. */
    memmove(k->data.p, k->data.p + start, k->data.n - start);
    k->data.n -= start;
    start = 0;
    if (k->data.n > k->w->max_doc_bytes) {
      if (!too_long)
        warn(k, "%s:%llu: skipped: line longer than the %zu-byte document limit", path,
             (unsigned long long)lineno + 1, k->w->max_doc_bytes);
      too_long = 1;
      k->data.n = 0;
    }
  }
}

static int do_file(walker *k, const char *path, const char *id, enum kind kind, uint64_t size) {
  gg_gzin *f = gg_gzin_open(path);
  if (!f) {
    warn(k, "%s: skipped: cannot open: %s", path, strerror(errno));
    k->w->raw_done += size;
    return 0;
  }
  int rc = kind == K_JSONL ? do_jsonl(k, path, f) : do_text(k, path, id, f);
  gg_gzin_close(f);
  k->w->raw_done += size;
  k->w->raw_cur = 0;
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Visit folder dir, whose id prefix (path relative to the root) is rel. */
static int do_dir(walker *k, const char *dir, const char *rel, int depth) {
  if (depth > 64) {
    warn(k, "%s: skipped: folders nested too deep", dir);
    return 0;
  }
  DIR *d = opendir(dir);
  if (!d) {
    warn(k, "%s: skipped: cannot open folder: %s", dir, strerror(errno));
    return 0;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = GG_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) { rc = gg_nomem(k->err); break; }
      names = nn;
    }
    if (!(names[n] = strdup(e->d_name))) { rc = gg_nomem(k->err); break; }
    n++;
  }
  closedir(d);
  if (rc == GG_OK && n > 1) qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && rc == GG_OK; i++) {
    char *path = NULL, *id = NULL;
    if (asprintf(&path, "%s/%s", dir, names[i]) < 0 ||
        asprintf(&id, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0) {
      free(path);
      rc = gg_nomem(k->err);
      break;
    }
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
      /* Follow links to files, not to folders (no cycles). */
      if (stat(path, &st) != 0 || S_ISDIR(st.st_mode)) st.st_mode = 0;
    } else if (lstat(path, &st) != 0) {
      st.st_mode = 0;
    }
    if (S_ISDIR(st.st_mode)) rc = do_dir(k, path, id, depth + 1);
    else if (S_ISREG(st.st_mode) && kind_of(names[i]) != K_NONE)
      rc = do_file(k, path, id, kind_of(names[i]), (uint64_t)st.st_size);
    free(path);
    free(id);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

int gg_walk_run(gg_walk *w, const char *const *paths, size_t npaths, gg_doc_fn fn, void *ctx,
                gg_error *err) {
  walker k = {w, fn, ctx, GG_BUF_INIT, GG_BUF_INIT, GG_BUF_INIT, NULL, err};
  /* Nesting deeper than this in a line is reported as an error, not a
  ** crash: json-c's parse stack has this many levels. */
  k.json = json_tokener_new_ex(JSON_NESTING_MAX);
  if (!k.json) return gg_nomem(err);
  json_tokener_set_flags(k.json, JSON_TOKENER_STRICT);
  int rc = GG_OK;
  for (size_t i = 0; i < npaths && rc == GG_OK; i++) {
    struct stat st;
    if (stat(paths[i], &st) != 0) {
      rc = gg_fail(err, GG_EINPUT, "%s: cannot read: %s", paths[i], strerror(errno));
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      rc = do_dir(&k, paths[i], "", 0);
    } else if (S_ISREG(st.st_mode)) {
      const char *base = strrchr(paths[i], '/');
      base = base ? base + 1 : paths[i];
      enum kind kind = kind_of(base);
      rc = do_file(&k, paths[i], base, kind == K_NONE ? K_TEXT : kind, (uint64_t)st.st_size);
    } else {
      rc = gg_fail(err, GG_EINPUT, "%s: not a file or folder", paths[i]);
    }
  }
  gg_buf_free(&k.data);
  gg_buf_free(&k.fixed);
  gg_buf_free(&k.fixed2);
  json_tokener_free(k.json);
  return rc;
}

static uint64_t raw_total_dir(const char *dir, int depth) {
  if (depth > 64) return 0;
  DIR *d = opendir(dir);
  if (!d) return 0;
  uint64_t total = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) break;
    struct stat st;
    if (lstat(path, &st) == 0) {
      if (S_ISDIR(st.st_mode)) total += raw_total_dir(path, depth + 1);
      else if (kind_of(e->d_name) != K_NONE && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        total += (uint64_t)st.st_size;
    }
    free(path);
  }
  closedir(d);
  return total;
}

uint64_t gg_walk_raw_total(const char *const *paths, size_t npaths) {
  uint64_t total = 0;
  for (size_t i = 0; i < npaths; i++) {
    struct stat st;
    if (stat(paths[i], &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) total += raw_total_dir(paths[i], 0);
    else total += (uint64_t)st.st_size;
  }
  return total;
}
