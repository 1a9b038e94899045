/* The report's explanations (fold_why.h): every feature model's permutation
 * importance as metrics.json's "importance", report.md's section and
 * importance_<model>.svg; the features each pair of classes hangs on; and for
 * report.html the ANN's wrong segments' features and the CNN's maps. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn_explain.h"
#include "fold_why.h"
#include "json.h"
#include "metrics.h"
#include "outfile.h"
#include "report.h"
#include "svg.h"

#define SHOWN 20   /* features in the table and the chart */
#define PAIRS 3    /* largest confusions given their own list */
#define PAIR_TOP 5 /* features per pair */

static int has_importance(const fold_why_t *w) { return w && w->F && fold_why_folds(w) > 0; }

/* Column j's drop: pooled, and the mean and spread over folds. */
static void drop_of(const fold_why_t *w, size_t j, double *pooled, double *sd) {
  double sum = 0, sq = 0;
  int n = 0;
  for (int f = 0; f < w->folds; f++) {
    double d = fold_why_drop(w, j, f);
    if (!isnan(d)) sum += d, sq += d * d, n++;
  }
  *pooled = fold_why_drop(w, j, -1);
  *sd = n > 1 ? sqrt(fmax(0, (sq - sum * sum / n) / n)) : 0;
}

/* Feature indices ordered by value[] (largest first; ties by index). */
static size_t *ranked(const double *value, size_t n) {
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  for (size_t i = 0; order && i < n; i++) {
    size_t at = i;
    while (at > 0 && (value[order[at - 1]] < value[i] || isnan(value[order[at - 1]]))) order[at] = order[at - 1], at--;
    order[at] = i;
  }
  return order;
}

/* The n largest off-diagonal cells of the ANN's test confusions (a*K+b), fewer when fewer are non-zero. */
static int largest_cells(const fold_why_t *w, int *cell, int n) {
  int K = w->K, got = 0;
  long *count = calloc((size_t)K * K, sizeof *count);
  if (!count) return 0;
  for (int f = 0; f < w->folds; f++)
    for (int c = 0; w->done[f] && c < K * K; c++) count[c] += w->base[(size_t)f * K * K + c];
  for (; got < n; got++) {
    int best = -1;
    for (int c = 0; c < K * K; c++)
      if (c / K != c % K && count[c] > 0 && (best < 0 || count[c] > count[best])) best = c;
    if (best < 0) break;
    cell[got] = best, count[best] = -count[best];
  }
  for (int i = 0; i < got; i++) count[cell[i]] = -count[cell[i]];
  free(count);
  return got;
}

/* The pair (a, b)'s features: rise[F] and their order. NULL when out of memory. */
static size_t *pair_features(const fold_why_t *w, int a, int b, double *rise) {
  for (size_t j = 0; j < w->F; j++) rise[j] = fold_why_pair(w, j, a, b);
  return ranked(rise, w->F);
}

void report_json_why(const report_t *r, json_t *j, int m) {
  const fold_why_t *w = r->model[m].importance;
  if (!has_importance(w)) return;
  double *drop = malloc(w->F * sizeof *drop), *sd = malloc(w->F * sizeof *sd), *rise = malloc(w->F * sizeof *rise);
  size_t *order = NULL;
  for (size_t f = 0; drop && sd && f < w->F; f++) drop_of(w, f, &drop[f], &sd[f]);
  if (!drop || !sd || !rise || !(order = ranked(drop, w->F))) goto out;
  json_key(j, "importance"), json_object(j);
  json_key(j, "method"), json_string(j, "permutation: a column shuffled among each test fold's segments");
  json_key(j, "repeats"), json_int(j, WHY_REPEATS);
  json_key(j, "folds"), json_int(j, fold_why_folds(w));
  json_key(j, "features"), json_array(j);
  for (size_t i = 0; i < w->F; i++) {
    json_object(j);
    json_key(j, "name"), json_string(j, w->features[order[i]]);
    json_key(j, "accuracy_drop"), json_number(j, drop[order[i]]);
    json_key(j, "drop_std"), json_number(j, sd[order[i]]);
    json_close(j, 1);
  }
  json_close(j, 0);
  int cell[PAIRS], n = largest_cells(w, cell, PAIRS);
  json_key(j, "confusions"), json_array(j);
  for (int c = 0; c < n; c++) {
    size_t *po = pair_features(w, cell[c] / w->K, cell[c] % w->K, rise);
    json_object(j);
    json_key(j, "true"), json_string(j, r->labels[cell[c] / w->K]);
    json_key(j, "predicted"), json_string(j, r->labels[cell[c] % w->K]);
    json_key(j, "features"), json_array(j);
    for (int t = 0; po && t < PAIR_TOP && (size_t)t < w->F; t++) {
      json_object(j);
      json_key(j, "name"), json_string(j, w->features[po[t]]);
      json_key(j, "confusion_rise"), json_number(j, rise[po[t]]);
      json_close(j, 1);
    }
    json_close(j, 0);
    json_close(j, 1);
    free(po);
  }
  json_close(j, 0);
  json_close(j, 1);
out:
  free(drop), free(sd), free(rise), free(order);
}

int report_write_importance(const report_t *r, int m, const char *dir, char *err, size_t errlen) {
  const fold_why_t *w = r->model[m].importance;
  if (!has_importance(w)) return 0;
  int n = w->F < SHOWN ? (int)w->F : SHOWN;
  double *drop = malloc(w->F * sizeof *drop), *sd = malloc(w->F * sizeof *sd), v[SHOWN], s[SHOWN];
  char *names[SHOWN];
  size_t *order = NULL;
  for (size_t f = 0; drop && sd && f < w->F; f++) drop_of(w, f, &drop[f], &sd[f]);
  if (!drop || !sd || !(order = ranked(drop, w->F))) return free(drop), free(sd), snprintf(err, errlen, "out of memory"), -1;
  for (int i = 0; i < n; i++) names[i] = w->features[order[i]], v[i] = drop[order[i]], s[i] = sd[order[i]];
  char path[4400], title[200];
  snprintf(path, sizeof path, "%s/importance_%s.svg", dir, r->model[m].key);
  snprintf(title, sizeof title, "%s: permutation importance (the %d largest of %zu features)", r->model[m].name, n, w->F);
  outfile_t o;
  int rc = outfile_open(&o, path, err, errlen);
  if (!rc) {
    svg_bars(o.f, title, names, v, s, n, "test accuracy drop when the column is shuffled (whisker: +- sd over folds)");
    rc = outfile_commit(&o, 0, err, errlen);
  }
  free(drop), free(sd), free(order);
  return rc;
}

static void md_pairs(const report_t *r, FILE *f, const fold_why_t *w) {
  int cell[PAIRS], n = largest_cells(w, cell, PAIRS);
  double *rise = malloc(w->F * sizeof *rise);
  if (!n || !rise) return free(rise);
  fprintf(f, "\nThe ANN's largest confusions, and the features they hang on: shuffling the feature raises the share of "
             "the pair's segments taken for the other class of the pair by the figure given.\n\n"
             "| true → predicted | segments | features that separate the two (rise in their mutual confusion) |\n"
             "|---|---|---|\n");
  for (int c = 0; c < n; c++) {
    int a = cell[c] / w->K, b = cell[c] % w->K;
    long count = 0;
    for (int k = 0; k < w->folds; k++) count += w->done[k] ? w->base[(size_t)k * w->K * w->K + cell[c]] : 0;
    size_t *po = pair_features(w, a, b, rise);
    fputs("| ", f), report_md_text(f, r->labels[a]), fputs(" → ", f), report_md_text(f, r->labels[b]);
    fprintf(f, " | %ld |", count);
    for (int t = 0; po && t < PAIR_TOP && (size_t)t < w->F; t++)
      fputs(t ? ", " : " ", f), report_md_code(f, w->features[po[t]]), fprintf(f, " (%+.3f)", rise[po[t]]);
    fprintf(f, " |\n");
    free(po);
  }
  free(rise);
}

/* Model m's table (the `shown` largest drops) and picture. */
static void md_importance(const report_t *r, FILE *f, int m, size_t shown) {
  const fold_why_t *w = r->model[m].importance;
  double *drop = malloc(w->F * sizeof *drop), *sd = malloc(w->F * sizeof *sd);
  size_t *order = NULL;
  for (size_t j = 0; drop && sd && j < w->F; j++) drop_of(w, j, &drop[j], &sd[j]);
  if (drop && sd && (order = ranked(drop, w->F))) {
    fprintf(f, "| rank | feature | accuracy drop | ± sd over folds |\n|---|---|---|---|\n");
    for (size_t i = 0; i < w->F && i < shown; i++) {
      fprintf(f, "| %zu | ", i + 1), report_md_code(f, w->features[order[i]]);
      fprintf(f, " | %.4f | %.4f |\n", drop[order[i]], sd[order[i]]);
    }
    if (r->model[m].why) md_pairs(r, f, w);
    fprintf(f, "\n![%s: permutation importance](importance_%s.svg)\n\n", r->model[m].name, r->model[m].key);
  }
  free(drop), free(sd), free(order);
}

void report_md_why(const report_t *r, FILE *f) {
  int ann = -1, others = 0, folds = 0;
  for (int m = 0; m < r->n_models; m++)
    if (has_importance(r->model[m].importance)) {
      if (r->model[m].why) ann = m;
      else others++;
      folds = fold_why_folds(r->model[m].importance);
    }
  if (ann < 0 && !others) return;
  fprintf(f, "## Why the %s decided (permutation importance)\n\n"
             "Each fold's model is scored on its own test segments again with one feature's column shuffled among "
             "them (%d shuffles per column, from the seed): the column then carries no information while its values "
             "stay. The drop in accuracy, pooled over %d folds, is how much the model leans on that feature; "
             "correlated features share the credit (shuffling one leaves its twin), so a low figure does not mean "
             "useless.", ann >= 0 && !others ? "ANN" : "models", WHY_REPEATS, folds);
  if (ann >= 0)
    fprintf(f, " In report.html a confusion cell lists the features that separate its two classes, and a track's wrong "
               "segments the features that pulled each one (the ANN's gradient × (value − training mean) of the "
               "predicted label's log-odds).");
  fprintf(f, "\n\n");
  for (int m = 0; m < r->n_models; m++) {
    if (!has_importance(r->model[m].importance)) continue;
    if (ann >= 0 && others) fprintf(f, "### "), report_md_text(f, r->model[m].title), fprintf(f, "\n\n");
    else if (ann < 0) fprintf(f, "### "), report_md_text(f, r->model[m].title), fprintf(f, "\n\n");
    md_importance(r, f, m, m == ann ? SHOWN : 10);
  }
}

/* The picture of cell c's map: the CNN's most confident wrong segment, as a data URI (NULL: none). */
static char *map_uri(const report_t *r, const why_map_t *c, int a, int b) {
  image_t im;
  const int cell = 2, x0 = 48, y0 = 44;
  if (image_new(&im, x0 + SEGMENT_FRAMES * cell + 50, y0 + MEL_BANDS * cell + 36)) return NULL;
  char head[300], title[200];
  snprintf(head, sizeof head, "%s: cnn %s %.2f (true %s)", r->names[c->row], r->labels[b], c->p, r->labels[a]);
  snprintf(title, sizeof title, "occlusion: drop in log-odds of %s", r->labels[b]);
  image_text(&im, 4, 4, head, 0x000000, 1, 0);
  cnn_map_panel(&im, x0, y0, cell, c->mel, c->map, title);
  char *uri = image_data_uri(&im);
  image_free(&im);
  return uri;
}

/* "why" for report.html: feature names, the pairs' features, the wrong
 * segments' features and the CNN's maps (keyed by row). */
void report_js_why(const report_t *r, FILE *f) {
  const fold_why_t *w = r->why;
  if (!w) return;
  int K = r->K;
  fputs(",\n\"why\": {\"features\": [", f);
  for (size_t j = 0; j < w->F; j++) fputs(j ? ", " : "", f), json_put_text(f, w->features[j], 1);
  fputs("],\n\"pairs\": {", f);
  double *rise = malloc((w->F ? w->F : 1) * sizeof *rise);
  for (int a = 0, first = 1; rise && has_importance(w) && a < K; a++)
    for (int b = a + 1; b < K; b++) {
      size_t *po = pair_features(w, a, b, rise);
      fprintf(f, "%s\"%d,%d\": [", first ? "" : ", ", a, b), first = 0;
      for (int t = 0; po && t < PAIR_TOP && (size_t)t < w->F; t++) fprintf(f, "%s[%zu,%.4g]", t ? "," : "", po[t], rise[po[t]]);
      fputc(']', f), free(po);
    }
  free(rise);
  fputs("},\n\"top\": {", f);
  for (size_t i = 0, first = 1; i < r->rows; i++) {
    int wrong = 0;
    for (int m = 0; m < r->n_models; m++) {
      const cv_result_t *res = r->model[m].result;
      wrong |= res->fold_of_row[i] < res->folds && argmax(res->probs + i * K, K) != r->y[i];
    }
    if (!wrong || w->top[i * WHY_TOP] < 0) continue;
    fprintf(f, "%s\"%zu\": [", first ? "" : ", ", i), first = 0;
    for (int t = 0; t < WHY_TOP; t++) fprintf(f, "%s[%d,%.4g]", t ? "," : "", w->top[i * WHY_TOP + t], w->top_attr[i * WHY_TOP + t]);
    fputc(']', f);
  }
  fputs("},\n\"maps\": {", f);
  for (int c = 0, first = 1; c < K * K; c++) {
    const why_map_t *m = &w->cell[c];
    char *uri = m->row == SIZE_MAX ? NULL : map_uri(r, m, c / K, c % K);
    if (!uri) continue;
    fprintf(f, "%s\"%zu\": \"%s\"", first ? "" : ",\n", m->row, uri), first = 0;
    free(uri);
  }
  fputs("}}", f);
}
