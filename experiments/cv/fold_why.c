#include "fold_why.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ann_explain.h"
#include "cnn.h"
#include "cnn_explain.h"
#include "metrics.h"

int fold_why_init(fold_why_t *w, int K, int folds, size_t rows, const dataset_t *ann) {
  memset(w, 0, sizeof *w);
  size_t KK = (size_t)K * K, F = ann ? ann->n_features : 0;
  w->K = K, w->folds = folds, w->rows = rows, w->F = F, w->features = ann ? ann->feature_names : NULL;
  w->base = calloc((size_t)folds * KK, sizeof *w->base);
  w->perm = calloc((size_t)folds * (F ? F : 1) * KK, sizeof *w->perm);
  w->done = calloc((size_t)folds, 1);
  w->top = malloc((rows ? rows : 1) * WHY_TOP * sizeof *w->top);
  w->top_attr = calloc((rows ? rows : 1) * WHY_TOP, sizeof *w->top_attr);
  w->cell = calloc(KK, sizeof *w->cell);
  if (!w->base || !w->perm || !w->done || !w->top || !w->top_attr || !w->cell) return fold_why_free(w), -1;
  for (size_t i = 0; i < rows * WHY_TOP; i++) w->top[i] = -1;
  for (size_t c = 0; c < KK; c++) w->cell[c].row = SIZE_MAX;
  return 0;
}

void fold_why_free(fold_why_t *w) {
  for (size_t c = 0; w->cell && c < (size_t)w->K * w->K; c++) free(w->cell[c].mel), free(w->cell[c].map);
  free(w->base), free(w->perm), free(w->done), free(w->top), free(w->top_attr), free(w->cell);
  memset(w, 0, sizeof *w);
}

int fold_why_ann(fold_why_t *w, int fold, model_t *m, const dataset_t *d, const size_t *engine, const size_t *rows,
                 size_t n, const real *probs, unsigned long seed) {
  size_t KK = (size_t)w->K * w->K, F = w->F;
  if (!F || m->n_features != F || m->n_classes != w->K) return 0;
  if (ann_permutation(m, d, rows, n, WHY_REPEATS, seed ^ 0x5eedul, w->base + (size_t)fold * KK,
                      w->perm + (size_t)fold * F * KK))
    return -1;
  w->done[fold] = 1;
  if (m->classic) return 0; /* a classical model: its importance; the gradients are a network's */
  real *attr = malloc(F * sizeof *attr);
  if (!attr) return -1;
  for (size_t i = 0; i < n; i++) {
    if (ann_attribution(m, d->x + rows[i] * F, argmax(probs + i * w->K, w->K), attr)) return free(attr), -1;
    int *top = w->top + engine[i] * WHY_TOP;
    ann_top_features(attr, F, WHY_TOP, top);
    for (int t = 0; t < WHY_TOP; t++) w->top_attr[engine[i] * WHY_TOP + t] = (float)attr[top[t]];
  }
  free(attr);
  return 0;
}

/* Segment `row` (d's) as the cell's map: its log-mel and the occlusion of label b. */
static int take_map(why_map_t *c, model_t *m, const mel_dataset_t *d, size_t row, int b, char *err, size_t errlen) {
  real *x = malloc(CNN_PLANE * sizeof *x);
  if (!c->mel) c->mel = malloc(CNN_PLANE * sizeof *c->mel);
  if (!c->map) c->map = malloc(CNN_PLANE * sizeof *c->map);
  int rc = x && c->mel && c->map ? mel_dataset_read(d, &row, 1, x, err, errlen) : (snprintf(err, errlen, "out of memory"), -1);
  if (!rc) {
    for (size_t v = 0; v < CNN_PLANE; v++) c->mel[v] = (float)x[v];
    cnn_standardise(m, x, 1);
    if (cnn_occlusion(m, x, b, c->map)) rc = -1, snprintf(err, errlen, "out of memory");
  }
  free(x);
  return rc;
}

int fold_why_cnn(fold_why_t *w, int fold, model_t *m, const mel_dataset_t *d, const size_t *engine,
                 const size_t *rows, size_t n, const real *probs, char *err, size_t errlen) {
  int K = w->K;
  if (d->bands != MEL_BANDS || d->frames != SEGMENT_FRAMES || m->n_classes != K) return 0;
  size_t *best = malloc((size_t)K * K * sizeof *best); /* the fold's most confident wrong segment per cell */
  if (!best) return snprintf(err, errlen, "out of memory"), -1;
  for (int c = 0; c < K * K; c++) best[c] = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    int a = d->y[rows[i]], b = argmax(probs + i * K, K);
    size_t *at = &best[a * K + b];
    if (a != b && (*at == SIZE_MAX || probs[i * K + b] > probs[*at * K + b])) *at = i;
  }
  int rc = 0;
  for (int c = 0; !rc && c < K * K; c++) {
    size_t i = best[c];
    why_map_t *cell = &w->cell[c];
    float p = i == SIZE_MAX ? 0 : (float)probs[i * K + c % K];
    if (i == SIZE_MAX || (cell->row != SIZE_MAX && p <= cell->p)) continue;
    if (!(rc = take_map(cell, m, d, rows[i], c % K, err, errlen))) cell->row = engine[i], cell->fold = fold, cell->p = p;
  }
  free(best);
  return rc;
}

int fold_why_folds(const fold_why_t *w) {
  int n = 0;
  for (int f = 0; f < w->folds; f++) n += w->done[f];
  return n;
}

/* Over the folds done (or fold `only`): sum of weight(a, b) * count for the unshuffled (j < 0) or column j's counts. */
static double pooled(const fold_why_t *w, int only, long j, int a, int b, double *rows) {
  size_t KK = (size_t)w->K * w->K;
  double agree = 0;
  *rows = 0;
  for (int f = 0; f < w->folds; f++) {
    if (!w->done[f] || (only >= 0 && f != only)) continue;
    const int *c = j < 0 ? w->base + (size_t)f * KK : w->perm + ((size_t)f * w->F + (size_t)j) * KK;
    double per = j < 0 ? 1 : WHY_REPEATS;
    for (int t = 0; t < w->K; t++)
      for (int p = 0; p < w->K; p++) {
        int in = a < 0 || t == a || t == b;
        if (!in) continue;
        *rows += c[t * w->K + p] / per;
        agree += (a < 0 ? t == p : (t == a && p == b) || (t == b && p == a)) * c[t * w->K + p] / per;
      }
  }
  return agree;
}

double fold_why_drop(const fold_why_t *w, size_t j, int fold) {
  double n0, n1, right0 = pooled(w, fold, -1, -1, -1, &n0), right1 = pooled(w, fold, (long)j, -1, -1, &n1);
  return n0 > 0 ? right0 / n0 - right1 / n1 : NAN;
}

double fold_why_pair(const fold_why_t *w, size_t j, int a, int b) {
  double n0, n1, mixed0 = pooled(w, -1, -1, a, b, &n0), mixed1 = pooled(w, -1, (long)j, a, b, &n1);
  return n0 > 0 ? mixed1 / n1 - mixed0 / n0 : NAN;
}

/* --- a fold job's part (fold_part.h): exact, as hexadecimal float bits -------------------- */

static uint32_t bits(float v) {
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  return u;
}

static float from_bits(uint32_t u) {
  float v;
  memcpy(&v, &u, sizeof v);
  return v;
}

#define WORDS 1024 /* float bits per line of a map */

static void write_plane(FILE *f, const char *tag, const float *v) {
  for (size_t at = 0; at < CNN_PLANE; at += WORDS) {
    fputs(tag, f);
    for (size_t i = at; i < at + WORDS && i < CNN_PLANE; i++) fprintf(f, " %08x", bits(v[i]));
    fputc('\n', f);
  }
}

void fold_why_write(const fold_why_t *w, int fold, const int *fold_of_row, FILE *f) {
  size_t KK = (size_t)w->K * w->K;
  if (w->F && w->done[fold]) {
    fputs("why-base", f);
    for (size_t c = 0; c < KK; c++) fprintf(f, " %d", w->base[(size_t)fold * KK + c]);
    for (size_t j = 0; j < w->F; j++) {
      fprintf(f, "\nwhy-perm %zu", j);
      for (size_t c = 0; c < KK; c++) fprintf(f, " %d", w->perm[((size_t)fold * w->F + j) * KK + c]);
    }
    fputc('\n', f);
    for (size_t i = 0; i < w->rows; i++) {
      if (fold_of_row[i] != fold || w->top[i * WHY_TOP] < 0) continue;
      fprintf(f, "why-top %zu", i);
      for (int t = 0; t < WHY_TOP; t++) fprintf(f, " %d %08x", w->top[i * WHY_TOP + t], bits(w->top_attr[i * WHY_TOP + t]));
      fputc('\n', f);
    }
  }
  for (size_t c = 0; c < KK; c++) {
    const why_map_t *m = &w->cell[c];
    if (m->row == SIZE_MAX || m->fold != fold) continue;
    fprintf(f, "why-map %zu %zu %08x\n", c, m->row, bits(m->p));
    write_plane(f, "why-mel", m->mel), write_plane(f, "why-occ", m->map);
  }
}

/* A map's plane from its lines (tag then WORDS words each) into v (NULL: skipped). 0, or -1. */
static int read_plane(FILE *f, const char *tag, float *v, char *line, size_t len) {
  for (size_t at = 0; at < CNN_PLANE; at += WORDS) {
    if (!fgets(line, (int)len, f) || strncmp(line, tag, strlen(tag)) != 0) return -1;
    char *p = line + strlen(tag), *end;
    for (size_t i = at; i < at + WORDS && i < CNN_PLANE; i++, p = end) {
      unsigned long u = strtoul(p, &end, 16);
      if (end == p || u > UINT32_MAX || !isfinite(from_bits((uint32_t)u))) return -1;
      if (v) v[i] = from_bits((uint32_t)u);
    }
  }
  return 0;
}

/* "why-map" and its planes: the cell takes it when it is more confident than the cell's own (as one process would). */
static int read_map(fold_why_t *w, int fold, FILE *f, char *line, size_t len) {
  size_t c, row;
  unsigned u;
  if (sscanf(line, "why-map %zu %zu %x", &c, &row, &u) != 3 || c >= (size_t)w->K * w->K || row >= w->rows) return -1;
  why_map_t *m = &w->cell[c];
  float p = from_bits(u);
  int take = m->row == SIZE_MAX || p > m->p;
  if (take && !m->mel && !(m->mel = malloc(CNN_PLANE * sizeof *m->mel))) return -1;
  if (take && !m->map && !(m->map = malloc(CNN_PLANE * sizeof *m->map))) return -1;
  if (read_plane(f, "why-mel", take ? m->mel : NULL, line, len) || read_plane(f, "why-occ", take ? m->map : NULL, line, len))
    return m->row = SIZE_MAX, -1;
  if (take) m->row = row, m->fold = fold, m->p = p;
  return 0;
}

/* count ints of line (after its tag) into v. 0, or -1. */
static int read_ints(const char *p, int *v, size_t count) {
  char *end;
  for (size_t i = 0; p && i < count; i++, p = end) {
    long x = strtol(p, &end, 10);
    if (end == p || x < 0 || x > INT_MAX) return -1;
    v[i] = (int)x;
  }
  return p ? 0 : -1;
}

int fold_why_read(fold_why_t *w, int fold, FILE *f, char *line, size_t len) {
  size_t KK = (size_t)w->K * w->K, j, row;
  if (strncmp(line, "why-map ", 8) == 0) return read_map(w, fold, f, line, len);
  if (strncmp(line, "why-base ", 9) == 0) {
    if (!w->F || read_ints(line + 9, w->base + (size_t)fold * KK, KK)) return -1;
    return w->done[fold] = 1, 0;
  }
  if (sscanf(line, "why-perm %zu", &j) == 1)
    return j < w->F ? read_ints(strchr(line + 9, ' '), w->perm + ((size_t)fold * w->F + j) * KK, KK) : -1;
  if (sscanf(line, "why-top %zu", &row) == 1 && row < w->rows) {
    char *p = strchr(line + 8, ' '), *end, *after;
    for (int t = 0; p && t < WHY_TOP; t++, p = after) {
      long idx = strtol(p, &end, 10);
      if (end == p || idx < 0 || (size_t)idx >= w->F) return -1;
      unsigned long u = strtoul(end, &after, 16);
      if (after == end || u > UINT32_MAX || !isfinite(from_bits((uint32_t)u))) return -1;
      w->top[row * WHY_TOP + t] = (int)idx, w->top_attr[row * WHY_TOP + t] = from_bits((uint32_t)u);
    }
    return p ? 0 : -1;
  }
  return -1;
}
