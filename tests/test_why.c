/* The explanations of issue "why, and how sure": the ANN's permutation
 * importance finds the one feature that carries the classes (and the
 * confusions hang on it); a row's attribution is gradient x (value - mean)
 * against central differences of the model's own log-odds; the CNN's maps in
 * report.html are each confusion cell's most confident wrong segment; the
 * same seed gives the same bytes; genre explain on an ANN ranks features. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ann_explain.h"
#include "check.h"
#include "json.h"
#include "model.h"
#include "net.h"
#include "scaler.h"

static const char *dir;

/* Three classes told apart by f2 alone (3 units apart, noise 0.8: neighbours
 * overlap a little); f1, f3..f6 are noise. 3 segments per track. */
static void write_table(const char *path, int tracks) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7);
  FILE *f = fopen(path, "w");
  fprintf(f, "filename,length,f1,f2,f3,f4,f5,f6,label\n");
  const char *labels[3] = {"low", "mid", "high"};
  for (int c = 0; c < 3; c++)
    for (int t = 0; t < tracks; t++)
      for (int s = 0; s < 3; s++) {
        fprintf(f, "%s.%05d.%d.wav,66150", labels[c], t, s);
        for (int k = 0; k < 6; k++) fprintf(f, ",%.6f", (k == 1 ? 3.0 * c : 0) + gsl_ran_gaussian(r, k == 1 ? 0.8 : 1.0));
        fprintf(f, ",%s\n", labels[c]);
      }
  fclose(f);
  gsl_rng_free(r);
}

static const json_value_t *at(const json_value_t *v, size_t i) {
  return v && v->type == JSON_ARRAY && i < v->n ? &v->items[i] : NULL;
}

static void test_importance(void) {
  const char *g = genre_bin();
  char csv[700], path[800];
  snprintf(csv, sizeof csv, "%s/t.csv", dir);
  write_table(csv, 30);
  for (int k = 0; k < 2; k++)
    CHECK(run("%s experiment --features %s -o %s/r0 --models ann --folds 3 --ann-epochs 40 > /dev/null 2>&1 && cp -r %s/r0 %s/r%d",
              g, csv, dir, dir, dir, k + 1) == 0, "an ANN experiment on the table (run %d)", k + 1);
  CHECK(run("cd %s && cmp -s r1/metrics.json r2/metrics.json && cmp -s r1/importance_ann.svg r2/importance_ann.svg && "
            "sed -E 's/[0-9.]+ s( \\(both\\))? \\|//g' r1/report.html > 1.html && "
            "sed -E 's/[0-9.]+ s( \\(both\\))? \\|//g' r2/report.html > 2.html && cmp -s 1.html 2.html", dir) == 0,
        "the same seed: the same metrics.json, chart and report.html (training times aside)");
  snprintf(path, sizeof path, "%s/r0/metrics.json", dir);
  char *text = slurp(path, NULL), err[200];
  json_value_t root;
  if (!text || json_parse(text, &root, err, sizeof err)) return free(text), CHECK(0, "metrics.json parses: %s", err);
  const json_value_t *imp = json_get(json_get(json_get(&root, "models"), "ann"), "importance");
  const json_value_t *feats = json_get(imp, "features"), *first = at(feats, 0), *second = at(feats, 1);
  const json_value_t *name = json_get(first, "name"), *drop = json_get(first, "accuracy_drop"), *drop2 = json_get(second, "accuracy_drop");
  CHECK(feats && feats->n == 6, "every feature has its importance (%zu)", feats ? feats->n : 0);
  CHECK(name && name->type == JSON_STRING && strcmp(name->string, "f2") == 0, "f2, the feature that carries the classes, ranks first");
  CHECK(drop && drop2 && drop->number > 0.3 && fabs(drop2->number) < 0.05,
        "shuffling f2 costs %.3f of accuracy, the next feature %.3f", drop ? drop->number : NAN, drop2 ? drop2->number : NAN);
  const json_value_t *conf = at(json_get(imp, "confusions"), 0), *pair = json_get(at(json_get(conf, "features"), 0), "name");
  CHECK(pair && pair->type == JSON_STRING && strcmp(pair->string, "f2") == 0, "the largest confusion hangs on f2 too");
  json_value_free(&root);
  free(text);
  snprintf(path, sizeof path, "%s/r0/report.md", dir);
  CHECK(contains(path, "## Why the ANN decided") && contains(path, "| 1 | `f2` |") && contains(path, "importance_ann.svg"),
        "report.md ranks the features and shows the chart");
  snprintf(path, sizeof path, "%s/r0/importance_ann.svg", dir);
  CHECK(contains(path, "</svg>") && contains(path, ">f2<"), "importance_ann.svg: the bars, named");
}

/* log-odds of class cls for raw row x (the model's scaler, members averaged) */
static double log_odds(model_t *m, const real *x, int cls) {
  size_t F = m->n_features;
  real z[64];
  memcpy(z, x, F * sizeof *z);
  scaler_apply(z, 1, F, m->shift, m->scale);
  double sum = 0;
  for (int k = 0; k < m->n_members; k++) {
    model_use_member(m, k);
    sum += net_log_odds(net_forward(m->net, z, 1, 0), m->n_classes, cls) / m->n_members;
  }
  model_use_member(m, 0);
  return sum;
}

static void test_attribution(void) {
  char path[800], err[600];
  snprintf(path, sizeof path, "%s/a.model", dir);
  CHECK(run("%s train ann --features %s/t.csv -o %s --epochs 30 --no-calibrate > /dev/null 2>&1", genre_bin(), dir, path) == 0,
        "train ann");
  model_t m;
  if (model_load(path, 16, &m, err, sizeof err)) return CHECK(0, "load: %s", err);
  real x[6] = {0.3, 4.6, -0.4, 1.1, 0.2, -0.7}, attr[6];
  double worst = 0;
  for (int cls = 0; cls < m.n_classes; cls++) {
    CHECK(ann_attribution(&m, x, cls, attr) == 0, "attribution of class %d", cls);
    double fd[6], big = 1e-3;
    for (int j = 0; j < 6; j++) { /* d logodds / dx_j by central differences, times (x_j - mean_j) */
      real up[6], down[6];
      double h = 1e-3 * m.scale[j];
      memcpy(up, x, sizeof x), memcpy(down, x, sizeof x);
      up[j] += h, down[j] -= h;
      fd[j] = (log_odds(&m, up, cls) - log_odds(&m, down, cls)) / (2 * h) * (x[j] - m.shift[j]);
      big = fmax(big, fabs(fd[j]));
    }
    for (int j = 0; j < 6; j++) worst = fmax(worst, fabs(fd[j] - attr[j]) / big);
  }
  CHECK(worst < 1e-2, "gradient x (value - mean) against central differences of the log-odds (worst %.2g of the largest)", worst);
  int top[6];
  int high = 0;
  while (high < m.n_classes - 1 && strcmp(m.labels[high], "high") != 0) high++;
  ann_attribution(&m, x, high, attr);
  ann_top_features(attr, 6, 6, top);
  int sorted = 1;
  for (int t = 1; t < 6; t++) sorted &= fabs(attr[top[t - 1]]) >= fabs(attr[top[t]]);
  CHECK(sorted && top[0] == 1, "ranked by |attribution|, f2 first for 'high' (f2 = 4.6)");
  model_free(&m);
}

/* report.html's data: the object inside <script id="report-data">. */
static int page_data(const char *path, json_value_t *d) {
  char *html = slurp(path, NULL), err[200];
  char *start = html ? strstr(html, "id=\"report-data\"") : NULL;
  start = start ? strchr(start, '>') : NULL;
  char *end = start ? strstr(start, "</script>") : NULL;
  if (!end) return free(html), -1;
  *end = 0;
  int rc = json_parse(start + 1, d, err, sizeof err);
  free(html);
  return rc;
}

static int argmax_of(const json_value_t *p, size_t row, int K) {
  int best = 0;
  for (int k = 1; k < K; k++) best = p->items[row * K + k].number > p->items[row * K + best].number ? k : best;
  return best;
}

/* Every map: a CNN-wrong segment, the most confident of its (true, predicted) cell, one per cell. */
static void check_maps(const json_value_t *d, int K) {
  const json_value_t *maps = json_get(json_get(d, "why"), "maps"), *rows = json_get(d, "rows");
  const json_value_t *pred = json_get(json_get(d, "pred"), "cnn"), *p = json_get(json_get(d, "p"), "cnn");
  if (!maps || !rows || !pred || !p) return CHECK(0, "report.html carries the CNN's maps");
  int ok = 1, cells[256] = {0}, wrong_cells = 0;
  for (size_t i = 0; i < rows->n; i++) {
    int y = (int)rows->items[i].items[2].number, b = (int)pred->items[i].number;
    if (b >= 0 && b != y && !cells[y * K + b]++) wrong_cells++;
  }
  for (size_t k = 0; k < maps->n; k++) {
    size_t row = (size_t)atol(maps->keys[k]);
    int y = (int)rows->items[row].items[2].number, b = (int)pred->items[row].number;
    ok &= b != y && strncmp(maps->items[k].string, "data:image/png;base64,iVBOR", 27) == 0;
    for (size_t i = 0; ok && i < rows->n; i++) /* no wrong segment of the cell more confident */
      if ((int)rows->items[i].items[2].number == y && (int)pred->items[i].number == b && argmax_of(p, i, K) == b)
        ok &= p->items[i * K + b].number <= p->items[row * K + b].number + 1e-4;
    cells[y * K + b] = -1000;
  }
  CHECK(ok && (int)maps->n == wrong_cells, "%zu maps: one per confusion cell the CNN has (%d), its most confident wrong "
        "segment, as an inline PNG", maps->n, wrong_cells);
}

static void test_maps(void) {
  const char *g = genre_bin();
  CHECK(run("%s synth -o %s/c -n 3 -s 9 > /dev/null && %s extract -o %s/f --no-progress %s/c > /dev/null && "
            "%s experiment --data %s/f -o %s/e --folds 3 --ann-epochs 20 --cnn-epochs 1 > /dev/null 2>&1",
            g, dir, g, dir, dir, g, dir, dir) == 0, "an experiment of both models");
  char path[800];
  snprintf(path, sizeof path, "%s/e/report.html", dir);
  json_value_t d;
  if (page_data(path, &d)) return CHECK(0, "report.html's data parses");
  const json_value_t *labels = json_get(&d, "labels"), *top = json_get(json_get(&d, "why"), "top");
  int K = labels ? (int)labels->n : 0;
  CHECK(K > 1 && K <= 16, "%d classes", K);
  if (K > 1 && K <= 16) check_maps(&d, K);
  CHECK(top && top->n > 0 && top->items[0].n == 3, "the wrong segments' ANN features (%zu segments, 3 each)", top ? top->n : 0);
  json_value_free(&d);
}

static void test_explain_ann(void) {
  char path[800];
  CHECK(run("%s explain -m %s/a.model -o %s/x %s/c/genres_original/*/*.00000.wav > /dev/null 2> %s/x.err", genre_bin(), dir,
            dir, dir, dir) != 0, "explain takes one FILE");
  snprintf(path, sizeof path, "%s/e.model", dir);
  CHECK(run("%s train ann --features %s/f/features_3_sec.csv -o %s --epochs 20 > /dev/null 2>&1", genre_bin(), dir, path) == 0,
        "an ANN on the synthetic corpus");
  CHECK(run("f=$(ls %s/c/genres_original/*/*.wav | head -n 1); %s explain -m %s -o %s/x \"$f\" > %s/x.out", dir,
            genre_bin(), path, dir, dir) == 0, "genre explain with an ANN");
  CHECK(run("f=$(ls %s/x/*.features.csv) && head -n 1 \"$f\" | grep -qx 'segment,start,end,label,p,rank,feature,value,"
            "training_mean,attribution' && [ $(grep -c '^0,0,3,' \"$f\") -gt 50 ] && "
            "awk -F, 'NR > 1 && $1 == 0 { a = $10 < 0 ? -$10 : $10; if (NR > 2 && a > last + 1e-12) bad = 1; last = a } "
            "END { exit bad }' \"$f\"", dir) == 0,
        "STEM.features.csv: every feature of each segment, ranked by |attribution|");
  snprintf(path, sizeof path, "%s/x.out", dir);
  CHECK(contains(path, "pulled most by"), "a line per segment names its strongest features");
  CHECK(run("%s explain -m %s/e.model -o %s/x --mel %s/f/mel/x.npy > /dev/null 2> %s/x.err", genre_bin(), dir, dir, dir, dir) == 1,
        "an ANN with --mel is refused");
}

int main(void) {
  dir = scratch_dir();
  test_importance();
  test_attribution();
  test_maps();
  test_explain_ann();
  return check_summary();
}
