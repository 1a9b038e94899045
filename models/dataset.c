#include "dataset.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int dataset_load(const char *path, char *const *labels, int n_labels, char *const *features,
                 size_t n_features, dataset_t *d, char *err, size_t errlen) {
  memset(d, 0, sizeof *d);
  snprintf(d->path, sizeof d->path, "%s", path);
  table_t t;
  if (table_read(path, &t, err, errlen)) return -1;
  int rc = -1;
  int label_col = table_column(&t, "label"), name_col = table_column(&t, "filename");
  int *cols = NULL;
  if (label_col < 0) {
    snprintf(err, errlen, "%s: no 'label' column (the class of each row)", path);
    goto out;
  }
  if (t.n_rows == 0) {
    snprintf(err, errlen, "%s: no rows after the header", path);
    goto out;
  }
  /* feature columns */
  cols = malloc(t.n_cols * sizeof *cols);
  if (!cols) goto oom;
  if (features) {
    for (size_t f = 0; f < n_features; f++) {
      int c = table_column(&t, features[f]);
      if (c < 0) {
        snprintf(err, errlen, "%s: feature-column mismatch: the model uses '%s', which is not in this file",
                 path, features[f]);
        goto out;
      }
      cols[f] = c;
    }
    for (size_t c = 0; c < t.n_cols; c++) {
      const char *h = t.header[c];
      if ((int)c == label_col || (int)c == name_col || strcmp(h, "length") == 0) continue;
      if (index_of(features, (int)n_features, h) < 0) {
        snprintf(err, errlen, "%s: feature-column mismatch: column '%s' is not one the model was trained on",
                 path, h);
        goto out;
      }
    }
    d->n_features = n_features;
  } else {
    for (size_t c = 0; c < t.n_cols; c++) {
      const char *h = t.header[c];
      if ((int)c == label_col || (int)c == name_col || strcmp(h, "length") == 0) continue;
      cols[d->n_features++] = (int)c;
    }
    if (d->n_features == 0) {
      snprintf(err, errlen, "%s: no feature columns", path);
      goto out;
    }
  }
  d->n_rows = t.n_rows;
  d->feature_names = calloc(d->n_features, sizeof *d->feature_names);
  d->x = malloc(d->n_rows * d->n_features * sizeof *d->x);
  d->y = malloc(d->n_rows * sizeof *d->y);
  d->group = malloc(d->n_rows * sizeof *d->group);
  d->names = calloc(d->n_rows, sizeof *d->names);
  if (!d->feature_names || !d->x || !d->y || !d->group || !d->names) goto oom;
  for (size_t f = 0; f < d->n_features; f++)
    if (!(d->feature_names[f] = strdup(t.header[cols[f]]))) goto oom;

  /* numbers, row by row: the first bad cell is reported (1-based rows, header is row 1) */
  for (size_t r = 0; r < t.n_rows; r++)
    for (size_t f = 0; f < d->n_features; f++) {
      const char *cell = table_cell(&t, r, (size_t)cols[f]);
      double v;
      if (parse_finite(cell, &v)) {
        snprintf(err, errlen, "%s: row %zu, column '%s': '%.40s' is %s", path, r + 2, t.header[cols[f]], cell,
                 !*cell ? "empty" : (strstr(cell, "nan") || strstr(cell, "NaN") || strstr(cell, "inf") || strstr(cell, "Inf"))
                                        ? "not finite"
                                        : "not a number");
        goto out;
      }
      if (fabs(v) > DATASET_MAX_VALUE) {
        snprintf(err, errlen, "%s: row %zu, column '%s': %.3g is beyond the %g this tool accepts", path, r + 2,
                 t.header[cols[f]], v, DATASET_MAX_VALUE);
        goto out;
      }
      d->x[r * d->n_features + f] = (real)v;
    }

  /* labels */
  if (labels) {
    d->n_classes = n_labels;
    d->labels = calloc((size_t)n_labels, sizeof *d->labels);
    if (!d->labels) goto oom;
    for (int i = 0; i < n_labels; i++)
      if (!(d->labels[i] = strdup(labels[i]))) goto oom;
  } else {
    char **all = malloc(t.n_rows * sizeof *all);
    if (!all) goto oom;
    for (size_t r = 0; r < t.n_rows; r++) all[r] = (char *)table_cell(&t, r, (size_t)label_col);
    qsort(all, t.n_rows, sizeof *all, cmp_str);
    d->labels = calloc(t.n_rows, sizeof *d->labels);
    if (!d->labels) {
      free(all);
      goto oom;
    }
    for (size_t r = 0; r < t.n_rows; r++)
      if (r == 0 || strcmp(all[r], all[r - 1]) != 0) d->labels[d->n_classes++] = strdup(all[r]);
    free(all);
  }
  for (size_t r = 0; r < t.n_rows; r++) {
    const char *l = table_cell(&t, r, (size_t)label_col);
    if (!*l) {
      snprintf(err, errlen, "%s: row %zu, column 'label': empty", path, r + 2);
      goto out;
    }
    int k = index_of(d->labels, d->n_classes, l);
    if (k < 0) {
      snprintf(err, errlen, "%s: row %zu, column 'label': '%s' is not one of the model's %d labels", path, r + 2, l,
               d->n_classes);
      goto out;
    }
    d->y[r] = k;
  }

  /* tracks */
  d->groups = calloc(t.n_rows, sizeof *d->groups);
  if (!d->groups) goto oom;
  char track[1024];
  for (size_t r = 0; r < t.n_rows; r++) {
    char rowname[64];
    snprintf(rowname, sizeof rowname, "row%zu", r + 2);
    const char *name = name_col >= 0 ? table_cell(&t, r, (size_t)name_col) : rowname;
    if (!(d->names[r] = strdup(name))) goto oom;
    track_of(name, track, sizeof track);
    /* rows of one track are adjacent in our tables; look back a little first */
    long g = -1;
    for (long back = (long)d->n_groups - 1; back >= 0 && back >= (long)d->n_groups - 64; back--)
      if (strcmp(d->groups[back], track) == 0) {
        g = back;
        break;
      }
    if (g < 0)
      for (long i = 0; i < (long)d->n_groups - 64; i++)
        if (strcmp(d->groups[i], track) == 0) {
          g = i;
          break;
        }
    if (g < 0) {
      if (!(d->groups[d->n_groups] = strdup(track))) goto oom;
      g = (long)d->n_groups++;
    } else {
      d->segmented = 1;
    }
    d->group[r] = (int)g;
  }
  rc = 0;
  goto out;
oom:
  snprintf(err, errlen, "%s: out of memory", path);
out:
  free(cols);
  table_free(&t);
  if (rc) dataset_free(d);
  return rc;
}
