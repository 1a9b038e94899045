#include "tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folds.h"

/* --- the searches, by kind ------------------------------------------------------ */

static void svm_C(kind_opts_t *o, double v) { o->svm.C = v; }
static void svm_gamma(kind_opts_t *o, double v) { o->svm.gamma = v; }
static void knn_k(kind_opts_t *o, double v) { o->knn.k = (int)v; }
static void knn_weights(kind_opts_t *o, double v) { o->knn.weights = v ? KNN_DISTANCE : KNN_UNIFORM; }
static void logreg_C(kind_opts_t *o, double v) { o->logreg.C = v; }
static void trees_depth(kind_opts_t *o, double v) { o->trees.t.depth = (int)v; }
static void trees_eta(kind_opts_t *o, double v) { o->trees.t.eta = v; }
static void trees_n(kind_opts_t *o, double v) { o->trees.t.trees = (int)v; }
static void ann_lr(kind_opts_t *o, double v) { o->ann.train.adam.lr = v; }
static void ann_dropout(kind_opts_t *o, double v) { o->ann.dropout = (float)v; }
static void cnn_lr(kind_opts_t *o, double v) { o->cnn.train.adam.lr = v; }

/* every hidden layer scaled so that the first is v units (one layer: v) */
static void ann_width(kind_opts_t *o, double v) {
  int first = o->ann.hidden[0] > 0 ? o->ann.hidden[0] : 1;
  for (int i = 0; i < o->ann.n_hidden; i++) {
    int h = (int)(o->ann.hidden[i] * v / first + 0.5);
    o->ann.hidden[i] = h < 1 ? 1 : h;
  }
}

static const char *const weight_words[] = {"uniform", "distance"};

/* Grids of the usual published searches: scikit-learn's documentation for
 * the SVM (C and gamma on decades), kNN and logistic regression; XGBoost's
 * for the trees; the ANN's learning rate, width and dropout around the
 * Keras projects' values. */
static const struct {
  const char *kind;
  tune_search_t s;
} searches[] = {
    {"svm", {2, {{"C", 4, {0.1, 1, 10, 100}, svm_C, NULL}, {"gamma", 3, {0.001, 0.01, 0.1}, svm_gamma, NULL}}}},
    {"knn", {2, {{"k", 6, {1, 3, 5, 7, 9, 15}, knn_k, NULL}, {"weights", 2, {0, 1}, knn_weights, weight_words}}}},
    {"logreg", {1, {{"C", 5, {0.01, 0.1, 1, 10, 100}, logreg_C, NULL}}}},
    {"gbdt", {3, {{"depth", 2, {3, 6}, trees_depth, NULL}, {"eta", 2, {0.1, 0.3}, trees_eta, NULL},
                  {"rounds", 3, {50, 100, 200}, trees_n, NULL}}}},
    {"rf", {2, {{"trees", 2, {100, 300}, trees_n, NULL}, {"depth", 3, {6, 10, 16}, trees_depth, NULL}}}},
    {"ann", {3, {{"lr", 2, {1e-3, 3e-3}, ann_lr, NULL}, {"hidden", 3, {128, 256, 512}, ann_width, NULL},
                 {"dropout", 2, {0.2, 0.5}, ann_dropout, NULL}}}},
    {"cnn", {1, {{"lr", 3, {3e-4, 1e-3, 3e-3}, cnn_lr, NULL}}}},
};

const tune_search_t *tune_search(const char *name) {
  for (size_t i = 0; i < sizeof searches / sizeof *searches; i++)
    if (strcmp(searches[i].kind, name) == 0) return &searches[i].s;
  return NULL;
}

int tune_grid_size(const tune_search_t *s) {
  int n = 1;
  for (int p = 0; p < s->n; p++) n *= s->p[p].n;
  return n;
}

/* grid point g's index of parameter p (the last parameter varies fastest) */
static int value_index(const tune_search_t *s, int g, int p) {
  for (int q = s->n - 1; q > p; q--) g /= s->p[q].n;
  return g % s->p[p].n;
}

double tune_value(const tune_search_t *s, int g, int p) { return s->p[p].v[value_index(s, g, p)]; }

void tune_value_text(const tune_search_t *s, int g, int p, char *buf, size_t len) {
  const tune_param_t *t = &s->p[p];
  if (t->words) snprintf(buf, len, "%s", t->words[value_index(s, g, p)]);
  else snprintf(buf, len, "%g", tune_value(s, g, p));
}

/* --- the log ---------------------------------------------------------------------- */

static unsigned long next(unsigned long *x) { /* xorshift64* */
  *x ^= *x >> 12, *x ^= *x << 25, *x ^= *x >> 27;
  return *x * 0x2545F4914F6CDD1Dul;
}

int tune_log_init(tune_log_t *l, const tune_search_t *s, int fits, int budget, unsigned long seed) {
  int grid = tune_grid_size(s), n = grid;
  if (budget > 0 && budget / TUNE_INNER_FOLDS < grid) n = budget / TUNE_INNER_FOLDS > 0 ? budget / TUNE_INNER_FOLDS : 1;
  *l = (tune_log_t){.search = s, .n_cand = n, .fits = fits};
  int *all = malloc((size_t)grid * sizeof *all);
  l->cand = malloc((size_t)n * sizeof *l->cand);
  l->score = calloc((size_t)fits * (size_t)n, sizeof *l->score);
  l->chosen = malloc((size_t)fits * sizeof *l->chosen);
  if (!all || !l->cand || !l->score || !l->chosen) return free(all), tune_log_free(l), -1;
  for (int g = 0; g < grid; g++) all[g] = g;
  unsigned long x = seed * 0x9E3779B97F4A7C15ul + 0x5DEECE66Dul;
  for (int i = 0; n < grid && i < n; i++) { /* a random search: n of the grid, drawn once for every fold */
    int j = i + (int)(next(&x) % (unsigned long)(grid - i)), t = all[i];
    all[i] = all[j], all[j] = t;
  }
  for (int i = 0; i < n; i++) l->cand[i] = all[i];
  for (int i = 1; i < n; i++) /* in grid order */
    for (int j = i; j > 0 && l->cand[j] < l->cand[j - 1]; j--) {
      int t = l->cand[j];
      l->cand[j] = l->cand[j - 1], l->cand[j - 1] = t;
    }
  for (int f = 0; f < fits; f++) l->chosen[f] = -1;
  free(all);
  return 0;
}

void tune_log_free(tune_log_t *l) {
  free(l->cand), free(l->score), free(l->chosen);
  l->cand = l->chosen = NULL, l->score = NULL;
}

int tune_fits_per_fold(const tune_log_t *l) { return l->n_cand * TUNE_INNER_FOLDS; }

/* --- the inner k-fold ---------------------------------------------------------------- */

/* Inner fold j of the pool (dataset rows): its training rows (a share held out
 * as the preset holds one out) and its test rows. */
typedef struct inner {
  const kind_data_t *d;
  const size_t *rows;
  size_t n;
  int *fold_of_row; /* [n] */
} inner_t;

/* Folds over the pool's tracks (stratified by label, as the outer folds). 0, or -1. */
static int inner_folds(inner_t *in, unsigned long seed, char *err, size_t errlen) {
  const kind_data_t *d = in->d;
  int *group = malloc((in->n + 1) * sizeof(int)), *y = malloc((in->n + 1) * sizeof(int));
  int *local = malloc((d->n_groups + 1) * sizeof(int)), *fold = malloc((in->n + 1) * sizeof(int));
  int rc = -1;
  if (!group || !y || !local || !fold) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  size_t tracks = 0;
  for (size_t g = 0; g < d->n_groups; g++) local[g] = -1;
  for (size_t i = 0; i < in->n; i++) { /* the pool's tracks, numbered from 0 */
    int g = d->group[in->rows[i]];
    if (local[g] < 0) local[g] = (int)tracks++;
    group[i] = local[g], y[i] = d->y[in->rows[i]];
  }
  if (tracks < TUNE_INNER_FOLDS) {
    snprintf(err, errlen, "tuning: %zu training tracks for %d inner folds", tracks, TUNE_INNER_FOLDS);
    goto out;
  }
  if (folds_assign(group, y, in->n, tracks, d->n_classes, TUNE_INNER_FOLDS, seed, fold, err, errlen)) goto out;
  for (size_t i = 0; i < in->n; i++) in->fold_of_row[i] = fold[group[i]];
  rc = 0;
out:
  free(group), free(y), free(local), free(fold);
  return rc;
}

/* Candidate o's pooled accuracy over the inner folds (NAN-free: 0 when
 * nothing was tested). 0, or -1 with the reason. */
static int inner_score(const fold_model_t *m, const inner_t *in, const kind_opts_t *o, unsigned long seed,
                       double *score, char *err, size_t errlen) {
  size_t n = in->n, K = (size_t)in->d->n_classes, right = 0, tested = 0;
  size_t *pool = malloc((n + 1) * sizeof *pool), *train = malloc((n + 1) * sizeof *train);
  size_t *val = malloc((n + 1) * sizeof *val), *test = malloc((n + 1) * sizeof *test);
  real *probs = malloc((n + 1) * K * sizeof *probs);
  kind_opts_t c = *o;
  kind_common_t k = m->kind->common(&c);
  /* an SVM's candidates are scored by its votes (SVC.predict, as scikit-learn's GridSearchCV on SVC()):
   * no Platt fit, a sixth of the work, and nothing drawn from rand() */
  if (strcmp(m->kind->name, "svm") == 0) c.svm.votes_only = 1;
  epoch_log_t *log = calloc((size_t)k.train->epochs + 1, sizeof *log);
  int rc = 0;
  if (!pool || !train || !val || !test || !probs || !log) rc = -1, snprintf(err, errlen, "out of memory");
  k.train->verbose = 0, k.train->monitor = NULL, k.train->n_monitor = 0;
  for (int j = 0; !rc && j < TUNE_INNER_FOLDS; j++) {
    size_t n_pool = 0, n_test = 0, n_train, n_val;
    for (size_t i = 0; i < n; i++)
      if (in->fold_of_row[i] == j) test[n_test++] = in->rows[i];
      else pool[n_pool++] = in->rows[i];
    split_validation(pool, n_pool, in->d->group, in->d->y, in->d->n_groups, *k.val_fraction, seed + (unsigned long)j,
                     train, &n_train, val, &n_val);
    k.train->seed = seed + (unsigned long)j;
    model_t model;
    rc = m->kind->fit(in->d, train, n_train, val, n_val, &c, &model, log, NULL, err, errlen);
    if (rc) break;
    rc = m->kind->predict(&model, in->d, test, n_test, &c, probs, err, errlen);
    model_free(&model);
    for (size_t i = 0; !rc && i < n_test; i++) right += argmax(probs + i * K, (int)K) == in->d->y[test[i]], tested++;
  }
  *score = tested ? (double)right / (double)tested : 0;
  free(pool), free(train), free(val), free(test), free(probs), free(log);
  return rc;
}

int tune_choose(const fold_model_t *m, const tune_log_t *l, const size_t *rows, size_t n, unsigned long seed,
                kind_opts_t *o, double *score, char *err, size_t errlen) {
  inner_t in = {.d = m->d, .rows = rows, .n = n, .fold_of_row = malloc((n + 1) * sizeof(int))};
  int best = -1;
  if (!in.fold_of_row) return snprintf(err, errlen, "out of memory"), -1;
  if (inner_folds(&in, seed, err, errlen) == 0) {
    for (int c = 0; c < l->n_cand; c++) {
      kind_opts_t cand = *o;
      for (int p = 0; p < l->search->n; p++) l->search->p[p].set(&cand, tune_value(l->search, l->cand[c], p));
      if (inner_score(m, &in, &cand, seed, &score[c], err, errlen)) {
        best = -1;
        break;
      }
      if (best < 0 || score[c] > score[best]) best = c; /* ties: the first in grid order */
    }
  }
  if (best >= 0)
    for (int p = 0; p < l->search->n; p++) l->search->p[p].set(o, tune_value(l->search, l->cand[best], p));
  free(in.fold_of_row);
  return best;
}

int fold_tuned(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
               size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, double temperature[2],
               epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  const fold_tuned_t *t = ctx;
  size_t n = n_train + n_val, *pool = malloc((n + 1) * sizeof *pool);
  if (!pool) return snprintf(err, errlen, "out of memory"), -1;
  for (size_t i = 0; i < n; i++) /* the outer fold's training rows, as the dataset numbers them */
    pool[i] = i < n_train ? train[i] : val[i - n_train], pool[i] = t->model.map ? t->model.map[pool[i]] : pool[i];
  kind_opts_t o = *t->model.o;
  int fit = t->fit_base + fold;
  int c = tune_choose(&t->model, t->log, pool, n, seed ^ 0x7475ul, &o, t->log->score + (size_t)fit * t->log->n_cand,
                      err, errlen);
  free(pool);
  if (c < 0) return -1;
  t->log->chosen[fit] = c;
  char line[300] = "";
  for (int p = 0; p < t->log->search->n; p++) {
    char v[32];
    size_t len = strlen(line);
    tune_value_text(t->log->search, t->log->cand[c], p, v, sizeof v);
    snprintf(line + len, sizeof line - len, "%s%s %s", p ? ", " : "", t->log->search->p[p].name, v);
  }
  fprintf(stderr, "genre experiment: %s fold %d tuned: %s (inner accuracy %.3f over %d candidates)\n", t->key, fold + 1,
          line, t->log->score[(size_t)fit * t->log->n_cand + c], t->log->n_cand);
  fold_model_t m = t->model;
  m.o = &o;
  return fold_model(&m, fold, seed, train, n_train, val, n_val, test, n_test, monitor, probs, temperature, log, epochs,
                    err, errlen);
}
