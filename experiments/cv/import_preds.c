#include "import_preds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

typedef struct lookup {
  const import_rows_t *in;
  size_t *by_name;      /* track indices sorted by name */
  size_t *start, *rows; /* rows of track t: rows[start[t] .. start[t + 1]) */
} lookup_t;

static int cmp_track(const void *a, const void *b, void *ctx) {
  char *const *names = ctx;
  return strcmp(names[*(const size_t *)a], names[*(const size_t *)b]);
}

static int lookup_init(lookup_t *l, const import_rows_t *in) {
  l->in = in;
  l->by_name = malloc((in->n_tracks + 1) * sizeof(size_t));
  l->start = calloc(in->n_tracks + 2, sizeof(size_t));
  l->rows = malloc((in->n + 1) * sizeof(size_t));
  if (!l->by_name || !l->start || !l->rows) return -1;
  for (size_t t = 0; t < in->n_tracks; t++) l->by_name[t] = t;
  qsort_r(l->by_name, in->n_tracks, sizeof(size_t), cmp_track, (void *)in->tracks);
  for (size_t i = 0; i < in->n; i++) l->start[in->track[i] + 1]++;
  for (size_t t = 0; t < in->n_tracks; t++) l->start[t + 1] += l->start[t];
  size_t *fill = calloc(in->n_tracks + 1, sizeof(size_t));
  if (!fill) return -1;
  for (size_t i = 0; i < in->n; i++) {
    size_t t = (size_t)in->track[i];
    l->rows[l->start[t] + fill[t]++] = i;
  }
  free(fill);
  return 0;
}

static void lookup_free(lookup_t *l) { free(l->by_name), free(l->start), free(l->rows); }

/* The track named s, or -1. */
static long find_track(const lookup_t *l, const char *s) {
  size_t lo = 0, hi = l->in->n_tracks;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(l->in->tracks[l->by_name[mid]], s);
    if (c == 0) return (long)l->by_name[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/* k of a segment's name <stem>.<k>.<ext>, or -1 */
static long segment_index(const char *name) {
  const char *ext = strrchr(name, '.'), *p = ext;
  if (!ext) return -1;
  while (p > name && p[-1] >= '0' && p[-1] <= '9') p--;
  if (p == ext || p == name || p[-1] != '.') return -1;
  return strtol(p, NULL, 10);
}

/* The row of track t named (or numbered) s, or -1. */
static long find_row(const lookup_t *l, size_t t, const char *s) {
  char *end;
  long k = strtol(s, &end, 10);
  int number = *s && !*end && k >= 0;
  for (size_t j = l->start[t]; j < l->start[t + 1]; j++) {
    size_t i = l->rows[j];
    if (strcmp(l->in->names[i], s) == 0 || (number && segment_index(l->in->names[i]) == k)) return (long)i;
  }
  return -1;
}

typedef struct columns {
  int track, segment, truth;
  int *p; /* [K]: the column of p_<label k> */
} columns_t;

static int read_header(const table_t *t, const import_rows_t *in, columns_t *c, const char *path, char *err,
                       size_t errlen) {
  c->track = table_column(t, "track"), c->segment = table_column(t, "segment");
  c->truth = table_column(t, "true") >= 0 ? table_column(t, "true") : table_column(t, "label");
  if (c->track < 0) return snprintf(err, errlen, "%s: no 'track' column (track,segment,p_<label>... or track,p_<label>...)", path), -1;
  for (int k = 0; k < in->K; k++) {
    char name[400];
    snprintf(name, sizeof name, "p_%s", in->labels[k]);
    if ((c->p[k] = table_column(t, name)) < 0) return snprintf(err, errlen, "%s: no column '%s'", path, name), -1;
  }
  for (size_t j = 0; j < t->n_cols; j++) {
    if (strncmp(t->header[j], "p_", 2) != 0) continue;
    int known = 0;
    for (int k = 0; k < in->K; k++) known |= strcmp(t->header[j] + 2, in->labels[k]) == 0;
    if (!known) return snprintf(err, errlen, "%s: column '%s' is not a label of the experiment's", path, t->header[j]), -1;
  }
  return 0;
}

/* Line `line`'s probabilities into p (normalised). 0, or -1 with the reason. */
static int read_probs(const table_t *t, size_t row, const columns_t *c, int K, real *p, const char *where, char *err,
                      size_t errlen) {
  double v[K], sum = 0;
  for (int k = 0; k < K; k++) {
    const char *cell = table_cell(t, row, (size_t)c->p[k]);
    if (parse_finite(cell, &v[k]) || v[k] < 0 || v[k] > 1)
      return snprintf(err, errlen, "%s: %s is '%s', not a probability", where, t->header[c->p[k]], cell), -1;
    sum += v[k];
  }
  if (sum < 1 - 1e-3 || sum > 1 + 1e-3) return snprintf(err, errlen, "%s: the probabilities sum to %.6g, not 1 (+- 0.001)", where, sum), -1;
  for (int k = 0; k < K; k++) p[k] = (real)(v[k] / sum);
  return 0;
}

/* One line of the file into probs and seen[] (rows, or tracks without a segment column). 0, or -1. */
static int read_line(const table_t *t, size_t row, const columns_t *c, const lookup_t *l, size_t *seen, real *probs,
                     const char *path, char *err, size_t errlen) {
  const import_rows_t *in = l->in;
  char where[4400];
  const char *track = table_cell(t, row, (size_t)c->track);
  snprintf(where, sizeof where, "%s: line %zu", path, row + 2);
  long tr = find_track(l, track);
  if (tr < 0) return snprintf(err, errlen, "%s: track '%s' is not in the experiment", where, track), -1;
  real p[in->K];
  if (read_probs(t, row, c, in->K, p, where, err, errlen)) return -1;
  size_t lo = l->start[tr], hi = l->start[tr + 1];
  if (c->segment >= 0) {
    const char *seg = table_cell(t, row, (size_t)c->segment);
    long i = find_row(l, (size_t)tr, seg);
    if (i < 0) return snprintf(err, errlen, "%s: track '%s' has no segment '%s' in the experiment", where, track, seg), -1;
    lo = (size_t)i, hi = lo + 1; /* one row, found directly */
  }
  size_t tested = 0;
  for (size_t j = lo; j < hi; j++) {
    size_t i = c->segment >= 0 ? j : l->rows[j];
    if (c->truth >= 0 && strcmp(table_cell(t, row, (size_t)c->truth), in->labels[in->y[i]]) != 0)
      return snprintf(err, errlen, "%s: %s is '%s' here but '%s' in the experiment", where, in->names[i],
                      table_cell(t, row, (size_t)c->truth), in->labels[in->y[i]]), -1;
    if (!in->tested[i]) continue;
    if (seen[i]) return snprintf(err, errlen, "%s: %s is given again (first on line %zu)", where, in->names[i], seen[i]), -1;
    seen[i] = row + 2, tested++;
    memcpy(probs + i * (size_t)in->K, p, (size_t)in->K * sizeof(real));
  }
  if (!tested) return snprintf(err, errlen, "%s: %s is not tested in the folds", where, c->segment >= 0 ? "the segment" : "the track"), -1;
  return 0;
}

int import_read(const char *path, const import_rows_t *in, real *probs, char *err, size_t errlen) {
  table_t t = {0};
  lookup_t l = {0};
  int p[in->K + 1], rc = -1;
  columns_t c = {.p = p};
  size_t *seen = calloc(in->n + 1, sizeof *seen); /* the line that gave row i */
  if (!seen || lookup_init(&l, in)) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  if (table_read(path, &t, err, errlen) || read_header(&t, in, &c, path, err, errlen)) goto out;
  for (size_t r = 0; r < t.n_rows; r++)
    if (read_line(&t, r, &c, &l, seen, probs, path, err, errlen)) goto out;
  size_t missing = 0, first = 0;
  for (size_t i = 0; i < in->n; i++)
    if (in->tested[i] && !seen[i] && !missing++) first = i;
  if (missing) {
    snprintf(err, errlen, "%s: %zu tested segment%s have no probabilities (the first: %s of track %s)", path, missing,
             missing == 1 ? "" : "s", in->names[first], in->tracks[in->track[first]]);
    goto out;
  }
  rc = 0;
out:
  free(seen), lookup_free(&l), table_free(&t);
  return rc;
}
