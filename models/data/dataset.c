#include "dataset.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "table.h"

void track_of(const char *name, char *track, size_t len) {
  snprintf(track, len, "%s", name);
  char *ext = strrchr(track, '.');
  if (!ext || ext == track) return;
  *ext = '\0';
  char *dot = strrchr(track, '.');
  if (dot && dot != track && dot[1]) {
    const char *k = dot + 1;
    int digits = 1;
    for (const char *p = k; *p; p++) digits &= isdigit((unsigned char)*p) != 0;
    if (digits && (k[0] != '0' || k[1] == '\0')) {
      *dot = '\0';
      return;
    }
  }
  snprintf(track, len, "%s", name); /* not a segment name: the row is its own track */
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int index_of(char *const *names, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], key) == 0) return i;
  return -1;
}

void dataset_free(dataset_t *d) {
  for (size_t i = 0; d->feature_names && i < d->n_features; i++) free(d->feature_names[i]);
  for (int i = 0; d->labels && i < d->n_classes; i++) free(d->labels[i]);
  for (size_t i = 0; d->groups && i < d->n_groups; i++) free(d->groups[i]);
  for (size_t i = 0; d->names && i < d->n_rows; i++) free(d->names[i]);
  free(d->feature_names), free(d->x), free(d->y), free(d->labels), free(d->group), free(d->groups), free(d->names);
  memset(d, 0, sizeof *d);
}

/* Track names to their group, for tables of 10^6 tracks (a search through
 * the names seen was quadratic): open addressing on name_hash, kept under half full. */
typedef struct track_map {
  long *slot; /* group index + 1; 0: empty */
  size_t cap;
} track_map_t;

/* The group of `track`, or -1 (then *at is where it goes). */
static long map_find(const track_map_t *m, char *const *groups, const char *track, size_t *at) {
  size_t i = (size_t)name_hash(track) & (m->cap - 1);
  for (; m->slot[i]; i = (i + 1) & (m->cap - 1))
    if (strcmp(groups[m->slot[i] - 1], track) == 0) return m->slot[i] - 1;
  *at = i;
  return -1;
}

/* Room for n groups at most half full: 0, or -1 out of memory. */
static int map_reserve(track_map_t *m, char *const *groups, size_t n) {
  if (2 * n < m->cap) return 0;
  track_map_t bigger = {.cap = m->cap ? 2 * m->cap : 1024};
  if (!(bigger.slot = calloc(bigger.cap, sizeof *bigger.slot))) return -1;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slot[i]) {
      size_t at = 0;
      map_find(&bigger, groups, groups[m->slot[i] - 1], &at);
      bigger.slot[at] = m->slot[i];
    }
  free(m->slot);
  *m = bigger;
  return 0;
}

/* dataset_load's state as the table is scanned */
typedef struct loading {
  dataset_t *d;
  char *const *labels; /* the model's, or NULL: those found, sorted at the end */
  int n_labels;
  char *const *features;
  size_t n_features, cap; /* rows allocated */
  int label_col, name_col, *cols; /* cols[f]: the column of feature f */
  char **header;                  /* [n_cols] copies, for messages */
  size_t n_cols;
  char **found; /* labels found (no model's): y holds indices into it until sorted */
  int n_found;
  track_map_t tracks;
  char *err;
  size_t errlen;
} loading_t;

/* --ignore-columns: names never read as features (a text column such as an artist's),
 * pointers into a copy of the list */
static char ignored_list[32 * 64], *ignored_names[32];
static int n_ignored_names;

int dataset_ignore_columns(const char *list, char *err, size_t errlen) {
  n_ignored_names = 0;
  if (strlen(list) >= sizeof ignored_list)
    return snprintf(err, errlen, "--ignore-columns: at most 32 names of at most 63 characters, not '%s'", list), -1;
  snprintf(ignored_list, sizeof ignored_list, "%s", list);
  for (char *p = ignored_list; *p;) {
    size_t len = strcspn(p, ",");
    if (len == 0 || len >= 64 || n_ignored_names == 32)
      return n_ignored_names = 0,
             snprintf(err, errlen, "--ignore-columns: at most 32 names of at most 63 characters, not '%s'", list), -1;
    ignored_names[n_ignored_names++] = p;
    p += len;
    if (*p) *p++ = 0; /* the comma ends the name */
  }
  return 0;
}

/* The header: the label, filename and feature columns. 0, or -1. */
static int read_header(loading_t *l, char **h, size_t n) {
  dataset_t *d = l->d;
  const char *path = d->path;
  l->header = calloc(n, sizeof *l->header), l->n_cols = n;
  l->cols = malloc(n * sizeof *l->cols);
  if (!l->header || !l->cols) return snprintf(l->err, l->errlen, "%s: out of memory", path), -1;
  l->label_col = l->name_col = -1;
  for (size_t c = 0; c < n; c++) {
    if (!(l->header[c] = strdup(h[c]))) return snprintf(l->err, l->errlen, "%s: out of memory", path), -1;
    if (l->label_col < 0 && strcmp(h[c], "label") == 0) l->label_col = (int)c;
    if (l->name_col < 0 && strcmp(h[c], "filename") == 0) l->name_col = (int)c;
  }
  if (l->label_col < 0) return snprintf(l->err, l->errlen, "%s: no 'label' column (the class of each row)", path), -1;
  for (size_t f = 0; l->features && f < l->n_features; f++) {
    int c = index_of(l->header, (int)n, l->features[f]);
    if (c < 0)
      return snprintf(l->err, l->errlen, "%s: feature-column mismatch: the model uses '%s', which is not in this file",
                      path, l->features[f]), -1;
    l->cols[f] = c;
  }
  for (size_t c = 0; c < n; c++) {
    if ((int)c == l->label_col || (int)c == l->name_col || strcmp(h[c], "length") == 0) continue;
    int read = l->features ? index_of(l->features, (int)l->n_features, h[c]) >= 0 /* the model's: read by name */
                           : index_of(ignored_names, n_ignored_names, h[c]) < 0;
    if (!read && !d->n_ignored++) snprintf(d->ignored, sizeof d->ignored, "%s", h[c]);
    if (read && !l->features) l->cols[d->n_features++] = (int)c;
  }
  if (l->features) d->n_features = l->n_features;
  if (d->n_features == 0) return snprintf(l->err, l->errlen, "%s: no feature columns", path), -1;
  d->feature_names = calloc(d->n_features, sizeof *d->feature_names);
  for (size_t f = 0; d->feature_names && f < d->n_features; f++)
    if (!(d->feature_names[f] = strdup(h[l->cols[f]]))) return snprintf(l->err, l->errlen, "%s: out of memory", path), -1;
  return d->feature_names ? 0 : (snprintf(l->err, l->errlen, "%s: out of memory", path), -1);
}

/* Room for one more row (doubling; large blocks move by mremap, not copied). 0, or -1. */
static int grow(loading_t *l) {
  dataset_t *d = l->d;
  if (d->n_rows < l->cap) return 0;
  size_t cap = l->cap ? 2 * l->cap : 1024;
  real *x = realloc(d->x, cap * d->n_features * sizeof *x);
  if (x) d->x = x;
  int *y = realloc(d->y, cap * sizeof *y);
  if (y) d->y = y;
  int *group = realloc(d->group, cap * sizeof *group);
  if (group) d->group = group;
  char **names = realloc(d->names, cap * sizeof *names);
  if (names) d->names = names;
  char **groups = realloc(d->groups, cap * sizeof *groups);
  if (groups) d->groups = groups;
  if (!x || !y || !group || !names || !groups) return -1;
  l->cap = cap;
  return 0;
}

/* A value larger than the tool accepts, reported. 0, or -1. */
static int beyond(loading_t *l, size_t row, const char *col, double v) {
  if (fabs(v) <= DATASET_MAX_VALUE) return 0;
  return snprintf(l->err, l->errlen, "%s: row %zu, column '%s': %.3g is beyond the %g this tool accepts", l->d->path,
                  row, col, v, DATASET_MAX_VALUE), -1;
}

/* Row r's numbers into x: the first bad cell is reported (1-based rows, the header is row 1). 0, or -1. */
static int read_numbers(loading_t *l, size_t row, char **fields) {
  dataset_t *d = l->d;
  real *x = d->x + d->n_rows * d->n_features;
  for (size_t f = 0; f < d->n_features; f++) {
    const char *cell = fields[l->cols[f]], *col = l->header[l->cols[f]];
    double v;
    if (parse_finite(cell, &v))
      return snprintf(l->err, l->errlen, "%s: row %zu, column '%s': '%.40s' is %s", d->path, row, col, cell,
                      !*cell ? "empty"
                      : (strstr(cell, "nan") || strstr(cell, "NaN") || strstr(cell, "inf") || strstr(cell, "Inf"))
                          ? "not finite"
                          : "not a number"), -1;
    if (beyond(l, row, col, v)) return -1;
    x[f] = (real)v;
  }
  return 0;
}

/* Row r's class: the model's label index, or the index among those found so far. 0, or -1. */
static int read_label(loading_t *l, size_t row, const char *label) {
  dataset_t *d = l->d;
  if (!*label) return snprintf(l->err, l->errlen, "%s: row %zu, column 'label': empty", d->path, row), -1;
  int k = l->labels ? index_of(l->labels, l->n_labels, label) : index_of(l->found, l->n_found, label);
  if (k < 0 && l->labels)
    return snprintf(l->err, l->errlen, "%s: row %zu, column 'label': '%s' is not one of the model's %d labels", d->path,
                    row, label, l->n_labels), -1;
  if (k < 0) {
    char **found = realloc(l->found, (size_t)(l->n_found + 1) * sizeof *found);
    if (!found) return snprintf(l->err, l->errlen, "%s: out of memory", d->path), -1;
    l->found = found;
    if (!(found[l->n_found] = strdup(label))) return snprintf(l->err, l->errlen, "%s: out of memory", d->path), -1;
    k = l->n_found++;
  }
  d->y[d->n_rows] = k;
  return 0;
}

/* Row r's name and track (groups numbered in order of first appearance). 0, or -1. */
static int read_track(loading_t *l, size_t row, char **fields) {
  dataset_t *d = l->d;
  char rowname[64], track[1024];
  snprintf(rowname, sizeof rowname, "row%zu", row);
  const char *name = l->name_col >= 0 ? fields[l->name_col] : rowname;
  if (!(d->names[d->n_rows] = strdup(name))) return -1;
  track_of(name, track, sizeof track);
  size_t at = 0;
  if (map_reserve(&l->tracks, d->groups, d->n_groups + 1)) return -1;
  long g = map_find(&l->tracks, d->groups, track, &at);
  if (g < 0) {
    if (!(d->groups[d->n_groups] = strdup(track))) return -1;
    g = (long)d->n_groups++;
    l->tracks.slot[at] = g + 1;
  } else {
    d->segmented = 1;
  }
  d->group[d->n_rows] = (int)g;
  return 0;
}

static int on_row(void *ctx, size_t row, char **fields, size_t n) {
  loading_t *l = ctx;
  dataset_t *d = l->d;
  if (row == 1) return read_header(l, fields, n);
  if (grow(l)) return snprintf(l->err, l->errlen, "%s: out of memory at row %zu", d->path, row), -1;
  if (read_numbers(l, row, fields) || read_label(l, row, fields[l->label_col])) return -1;
  d->names[d->n_rows] = NULL;
  if (read_track(l, row, fields)) return snprintf(l->err, l->errlen, "%s: out of memory", d->path), -1;
  d->n_rows++;
  return 0;
}

/* The labels found, sorted, and every row's class renumbered to match. 0, or -1. */
static int sort_labels(loading_t *l) {
  dataset_t *d = l->d;
  int *rank = malloc((size_t)l->n_found * sizeof *rank);
  d->labels = malloc((size_t)l->n_found * sizeof *d->labels);
  if (!rank || !d->labels) return free(rank), -1;
  memcpy(d->labels, l->found, (size_t)l->n_found * sizeof *d->labels);
  qsort(d->labels, (size_t)l->n_found, sizeof *d->labels, cmp_str);
  d->n_classes = l->n_found, l->n_found = 0; /* the strings are the dataset's now */
  for (int k = 0; k < d->n_classes; k++) rank[k] = index_of(d->labels, d->n_classes, l->found[k]);
  for (size_t r = 0; r < d->n_rows; r++) d->y[r] = rank[d->y[r]];
  free(rank);
  return 0;
}

int dataset_load(const char *path, char *const *labels, int n_labels, char *const *features,
                 size_t n_features, dataset_t *d, char *err, size_t errlen) {
  memset(d, 0, sizeof *d);
  snprintf(d->path, sizeof d->path, "%s", path);
  loading_t l = {.d = d, .labels = labels, .n_labels = n_labels, .features = features, .n_features = n_features,
                 .err = err, .errlen = errlen};
  int rc = table_scan(path, on_row, &l, err, errlen);
  if (rc == 0 && d->n_rows == 0) rc = -1, snprintf(err, errlen, "%s: no rows after the header", path);
  if (rc == 0 && labels) {
    d->n_classes = n_labels;
    d->labels = calloc((size_t)n_labels, sizeof *d->labels);
    for (int i = 0; d->labels && i < n_labels; i++)
      if (!(d->labels[i] = strdup(labels[i]))) d->n_classes = i, rc = -1;
    if (!d->labels || rc) rc = -1, snprintf(err, errlen, "%s: out of memory", path);
  } else if (rc == 0 && sort_labels(&l)) {
    rc = -1, snprintf(err, errlen, "%s: out of memory", path);
  }
  for (size_t c = 0; l.header && c < l.n_cols; c++) free(l.header[c]);
  for (int k = 0; k < l.n_found; k++) free(l.found[k]);
  free(l.header), free(l.cols), free(l.found), free(l.tracks.slot);
  if (rc) dataset_free(d);
  return rc ? -1 : 0;
}

/* Row r's numbers (given as doubles) into x, checked as a table's cells are. 0, or -1. */
static int copy_numbers(loading_t *l, size_t row, const double *v) {
  dataset_t *d = l->d;
  real *x = d->x + d->n_rows * d->n_features;
  for (size_t f = 0; f < d->n_features; f++) {
    if (!isfinite(v[f]))
      return snprintf(l->err, l->errlen, "%s: row %zu, column '%s': not finite", d->path, row, d->feature_names[f]), -1;
    if (beyond(l, row, d->feature_names[f], v[f])) return -1;
    x[f] = (real)v[f];
  }
  return 0;
}

int dataset_from_memory(const char *what, const double *x, size_t n_rows, size_t n_features, char *const *features,
                        char *const *labels, char *const *names, dataset_t *d, char *err, size_t errlen) {
  memset(d, 0, sizeof *d);
  snprintf(d->path, sizeof d->path, "%s", what);
  loading_t l = {.d = d, .err = err, .errlen = errlen, .name_col = 0};
  int rc = n_rows && n_features ? 0 : -1;
  if (rc) snprintf(err, errlen, "%s: no %s", what, n_rows ? "feature columns" : "rows");
  d->n_features = n_features;
  d->feature_names = rc ? NULL : calloc(n_features, sizeof *d->feature_names);
  for (size_t f = 0; !rc && f < n_features; f++)
    if (!d->feature_names || !(d->feature_names[f] = strdup(features[f]))) rc = -1, snprintf(err, errlen, "out of memory");
  for (size_t r = 0; !rc && r < n_rows; r++) {
    char *fields[1] = {(char *)names[r]};
    if (grow(&l)) rc = -1, snprintf(err, errlen, "%s: out of memory at row %zu", what, r + 2);
    else if (copy_numbers(&l, r + 2, x + r * n_features) || read_label(&l, r + 2, labels[r])) rc = -1;
    else if ((d->names[d->n_rows] = NULL, read_track(&l, r + 2, fields))) rc = -1, snprintf(err, errlen, "out of memory");
    else d->n_rows++;
  }
  if (!rc && sort_labels(&l)) rc = -1, snprintf(err, errlen, "%s: out of memory", what);
  for (int k = 0; k < l.n_found; k++) free(l.found[k]);
  free(l.found), free(l.tracks.slot);
  if (rc) dataset_free(d);
  return rc;
}
