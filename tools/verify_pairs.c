#include "tools/verify_pairs.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { DEFAULT_FOLDS = 10, MAX_LINE = 8192, MAX_FIELDS = 5 };

typedef struct raw_pair {
  char *a, *b; /* relative to DIR, owned */
  int same, line;
} raw_pair;

typedef struct parser {
  const char *pairs_path, *dir;
  char dir_real[PATH_MAX];
  raw_pair *raw;
  int n, cap;
  char *err;
  size_t errlen;
} parser;

static int fail(parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(parser *p, int line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line > 0) snprintf(p->err, p->errlen, "%s:%d: %s", p->pairs_path, line, msg);
  else snprintf(p->err, p->errlen, "%s: %s", p->pairs_path, msg);
  return -1;
}

/* Splits line (modified) at any of seps; empty fields are kept for the CSV (comma), skipped for whitespace. */
static int split(char *line, const char *seps, int keep_empty, char **fields, int max) {
  int n = 0;
  char *s = line;
  for (;;) {
    size_t len = strcspn(s, seps);
    char end = s[len];
    s[len] = '\0';
    if (keep_empty || len > 0) {
      if (n == max) return max + 1;
      fields[n++] = s;
    }
    if (!end) return n;
    s += len + 1;
  }
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
  return s;
}

static int parse_index(const char *s, int *out) {
  if (!*s || strlen(s) > 6) return 0;
  int v = 0;
  for (const char *c = s; *c; c++) {
    if (*c < '0' || *c > '9') return 0;
    v = v * 10 + (*c - '0');
  }
  *out = v;
  return v >= 1;
}

/* A relative path that stays inside DIR by its words: not absolute, no "." / ".." component, no empty one. */
static int check_relative(parser *p, int line, const char *rel) {
  if (!*rel) return fail(p, line, "an empty path");
  if (rel[0] == '/') return fail(p, line, "'%s': absolute paths are refused (paths are relative to %s)", rel, p->dir);
  for (const char *c = rel; *c;) {
    size_t len = strcspn(c, "/");
    if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
      return fail(p, line, "'%s' escapes or names %s badly ('.', '..' or an empty component)", rel, p->dir);
    c += len;
    if (*c) c++;
  }
  return 0;
}

/* The file DIR/rel must exist, be a regular file, and resolve (links followed) to a place inside DIR. */
static int check_file(parser *p, int line, const char *rel) {
  if (check_relative(p, line, rel)) return -1;
  char path[PATH_MAX * 2], real[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", p->dir, rel);
  struct stat st;
  if (stat(path, &st) != 0) return fail(p, line, "%s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(p, line, "%s: not a regular file", path);
  if (!realpath(path, real)) return fail(p, line, "%s: %s", path, strerror(errno));
  size_t n = strlen(p->dir_real);
  if (strncmp(real, p->dir_real, n) != 0 || (real[n] != '/' && p->dir_real[n - 1] != '/'))
    return fail(p, line, "%s leads outside %s (to %s)", path, p->dir, real);
  return 0;
}

static int add_pair(parser *p, int line, const char *a, const char *b, int same) {
  if (check_file(p, line, a) || check_file(p, line, b)) return -1;
  if (p->n == p->cap) {
    int cap = p->cap ? p->cap * 2 : 256;
    raw_pair *r = realloc(p->raw, (size_t)cap * sizeof *r);
    if (!r) return fail(p, line, "out of memory");
    p->raw = r;
    p->cap = cap;
  }
  raw_pair *r = &p->raw[p->n];
  r->a = strdup(a);
  r->b = strdup(b);
  if (!r->a || !r->b) {
    free(r->a);
    free(r->b);
    return fail(p, line, "out of memory");
  }
  r->same = same;
  r->line = line;
  p->n++;
  return 0;
}

static int lfw_name(parser *p, int line, const char *name) {
  if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
    return fail(p, line, "name '%s': a name is one folder of %s (no '/', '.' or '..')", name, p->dir);
  return 0;
}

static int lfw_line(parser *p, int line, char **f, int n) {
  char a[1024], b[1024];
  int i, j;
  if (n == 3) {
    if (lfw_name(p, line, f[0])) return -1;
    if (!parse_index(f[1], &i) || !parse_index(f[2], &j))
      return fail(p, line, "'%s %s %s': the image numbers must be whole numbers from 1", f[0], f[1], f[2]);
    snprintf(a, sizeof a, "%s/%s_%04d.jpg", f[0], f[0], i);
    snprintf(b, sizeof b, "%s/%s_%04d.jpg", f[0], f[0], j);
    return add_pair(p, line, a, b, 1);
  }
  if (n == 4) {
    if (lfw_name(p, line, f[0]) || lfw_name(p, line, f[2])) return -1;
    if (!parse_index(f[1], &i) || !parse_index(f[3], &j))
      return fail(p, line, "'%s %s %s %s': the image numbers must be whole numbers from 1", f[0], f[1], f[2], f[3]);
    snprintf(a, sizeof a, "%s/%s_%04d.jpg", f[0], f[0], i);
    snprintf(b, sizeof b, "%s/%s_%04d.jpg", f[2], f[2], j);
    return add_pair(p, line, a, b, 0);
  }
  return fail(p, line, "expected 'name i j' (same person) or 'name1 i name2 j' (different people), got %d fields", n);
}

static int parse_same(const char *s, int *same) {
  if (!strcmp(s, "1") || !strcmp(s, "true")) return *same = 1, 1;
  if (!strcmp(s, "0") || !strcmp(s, "false")) return *same = 0, 1;
  return 0;
}

static int csv_line(parser *p, int line, char **f, int n) {
  if (n != 3) return fail(p, line, "expected 'path,path,same', got %d fields", n);
  int same;
  char *a = trim(f[0]), *b = trim(f[1]), *s = trim(f[2]);
  if (!parse_same(s, &same)) {
    if (line == 1) return 0; /* a header */
    return fail(p, line, "the third field must be 1 / 0 (or true / false), not '%s'", s);
  }
  return add_pair(p, line, a, b, same);
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static int find_image(char **sorted, int n, const char *rel) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2, c = strcmp(sorted[mid], rel);
    if (!c) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/* Unique files in name order, and each pair's indices into them. */
static int index_images(parser *p, qi_verify_set *set) {
  char **names = malloc((size_t)p->n * 2 * sizeof *names);
  set->pairs = calloc((size_t)p->n, sizeof *set->pairs);
  if (!names || !set->pairs) return free(names), fail(p, 0, "out of memory");
  for (int k = 0; k < p->n; k++) names[2 * k] = p->raw[k].a, names[2 * k + 1] = p->raw[k].b;
  qsort(names, (size_t)p->n * 2, sizeof *names, cmp_str);
  int u = 0;
  for (int k = 0; k < p->n * 2; k++)
    if (u == 0 || strcmp(names[u - 1], names[k])) names[u++] = names[k];
  set->images = calloc((size_t)u, sizeof *set->images);
  if (!set->images) return free(names), fail(p, 0, "out of memory");
  set->n_images = u;
  for (int k = 0; k < u; k++) {
    size_t len = strlen(p->dir) + strlen(names[k]) + 2;
    if (!(set->images[k] = malloc(len))) return free(names), fail(p, 0, "out of memory");
    snprintf(set->images[k], len, "%s/%s", p->dir, names[k]);
  }
  for (int k = 0; k < p->n; k++) {
    qi_verify_pair *q = &set->pairs[k];
    q->a = find_image(names, u, p->raw[k].a);
    q->b = find_image(names, u, p->raw[k].b);
    q->same = p->raw[k].same;
    q->line = p->raw[k].line;
    set->n_same += q->same;
  }
  set->n_pairs = p->n;
  free(names);
  return 0;
}

/* Folds: a header's sets (checked: FOLDS x (N same, then N different)), else pair k in fold k mod 10. */
static int assign_folds(parser *p, qi_verify_set *set, int folds, int per_set) {
  if (set->header) {
    if (set->n_pairs != folds * 2 * per_set)
      return fail(p, 0, "the header says %d sets of %d + %d pairs (%d lines), the file has %d pairs", folds, per_set,
                  per_set, folds * 2 * per_set, set->n_pairs);
    for (int k = 0; k < set->n_pairs; k++) {
      qi_verify_pair *q = &set->pairs[k];
      q->fold = k / (2 * per_set);
      int want_same = k % (2 * per_set) < per_set;
      if (q->same != want_same)
        return fail(p, q->line, "set %d's %s pair %d should be a %s pair (the header: %d same, then %d different per set)",
                    q->fold + 1, want_same ? "same-person" : "different-person", k % (2 * per_set) + 1,
                    want_same ? "same-person" : "different-person", per_set, per_set);
    }
    set->n_folds = folds;
  } else {
    set->n_folds = DEFAULT_FOLDS;
    if (set->n_pairs < DEFAULT_FOLDS)
      return fail(p, 0, "%d pairs: 10-fold evaluation needs at least 10", set->n_pairs);
    for (int k = 0; k < set->n_pairs; k++) set->pairs[k].fold = k % DEFAULT_FOLDS;
  }
  if (set->n_same == 0 || set->n_same == set->n_pairs)
    return fail(p, 0, "%d pairs, all %s: the metrics need same-person and different-person pairs", set->n_pairs,
                set->n_same ? "same-person" : "different-person");
  return 0;
}

int qi_verify_pairs_read(const char *pairs_path, const char *images_dir, qi_verify_set *set, char *err,
                         size_t errlen) {
  memset(set, 0, sizeof *set);
  parser p = {.pairs_path = pairs_path, .dir = images_dir, .err = err, .errlen = errlen};
  int rc = -1, folds = 0, per_set = 0;
  FILE *f = NULL;
  if (!realpath(images_dir, p.dir_real)) {
    snprintf(err, errlen, "%s: %s", images_dir, strerror(errno));
    return -1;
  }
  struct stat st;
  if (stat(p.dir_real, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s: not a folder", images_dir);
    return -1;
  }
  if (stat(pairs_path, &st) != 0 || (S_ISREG(st.st_mode) && !(f = fopen(pairs_path, "r")))) {
    snprintf(err, errlen, "%s: %s", pairs_path, strerror(errno));
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", pairs_path);
    return -1;
  }
  set->csv = ends_with(pairs_path, ".csv");
  char buf[MAX_LINE + 2];
  int line = 0, seen_pair = 0;
  while (fgets(buf, sizeof buf, f)) {
    line++;
    size_t len = strlen(buf);
    if (len > MAX_LINE && buf[len - 1] != '\n') {
      fail(&p, line, "line longer than %d characters", MAX_LINE);
      goto out;
    }
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
    char *s = trim(buf);
    if (!*s || *s == '#') continue;
    char *fields[MAX_FIELDS + 1];
    if (set->csv) {
      int n = split(s, ",", 1, fields, MAX_FIELDS);
      if (csv_line(&p, line, fields, n)) goto out;
      continue;
    }
    int n = split(s, " \t", 0, fields, MAX_FIELDS);
    if (!seen_pair && n == 2) { /* "FOLDS N" */
      if (!parse_index(fields[0], &folds) || !parse_index(fields[1], &per_set) || folds < 2 ||
          folds > QI_VERIFY_MAX_FOLDS) {
        fail(&p, line, "a header is 'FOLDS N' with FOLDS in 2..%d and N >= 1, not '%s %s'", QI_VERIFY_MAX_FOLDS,
             fields[0], fields[1]);
        goto out;
      }
      set->header = true;
      seen_pair = 1;
      continue;
    }
    seen_pair = 1;
    if (lfw_line(&p, line, fields, n)) goto out;
  }
  if (ferror(f)) {
    fail(&p, 0, "read error");
    goto out;
  }
  if (p.n == 0) {
    fail(&p, 0, "no pairs");
    goto out;
  }
  rc = index_images(&p, set);
  if (!rc) rc = assign_folds(&p, set, folds, per_set);
out:
  if (f) fclose(f);
  for (int k = 0; k < p.n; k++) free(p.raw[k].a), free(p.raw[k].b);
  free(p.raw);
  if (rc) qi_verify_set_free(set);
  return rc;
}

void qi_verify_set_free(qi_verify_set *set) {
  for (int k = 0; k < set->n_images; k++) free(set->images[k]);
  free(set->images);
  free(set->pairs);
  memset(set, 0, sizeof *set);
}
