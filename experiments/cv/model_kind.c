#include "model_kind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "augment.h"
#include "classic.h"
#include "progress.h"
#include "dist.h"
#include "folds.h"
#include "json.h"
#include "fold_why.h"
#include "temperature.h"

/* " on N processes" under a launcher that started several */
static const char *processes(void) {
  static char buf[40];
  if (dist_size() == 1) return "";
  snprintf(buf, sizeof buf, " on %d processes", dist_size());
  return buf;
}

static int bad(const char *cmd, const char *what, const char *arg) {
  fprintf(stderr, "genre %s: %s, not '%s'\n", cmd, what, arg);
  return -1;
}

/* --- the ANN on a feature table --------------------------------------------- */

static int ann_arch(const char *cmd, const char *arg, void *o) {
  return ann_preset(arg, o) ? bad(cmd, "--arch wants default, keras-mlp or keras-conv1d", arg) : 0;
}

static int ann_hidden(const char *cmd, const char *arg, void *value) {
  ann_opts_t *o = value;
  o->n_hidden = 0;
  for (const char *p = arg; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > 65536 || o->n_hidden == 16 || (*end && *end != ','))
      return bad(cmd, "--hidden wants sizes like 512,256,128", arg);
    o->hidden[o->n_hidden++] = (int)v;
    p = *end == ',' ? end + 1 : end;
  }
  return 0;
}

static const cli_option_t *ann_options(kind_opts_t *ko) {
  ann_opts_t *o = &ko->ann;
  static cli_option_t t[6];
  const cli_option_t opts[] = {
      OPT_INT(0, "members", &o->members, 1, 64, "N", "ensemble of N networks (probabilities averaged)"),
      OPT_CALL(0, "hidden", o, ann_hidden, "LIST", "hidden layer sizes, e.g. 512,256,128"),
      OPT_NUMBER(CLI_FLOAT, 0, "dropout", &o->dropout, 0, 1, CLI_OPEN_HI, "P", "0 <= P < 1",
                 "dropout after each hidden layer"),
      OPT_FLAG(0, "batchnorm", &o->batchnorm, 1, "batch normalisation before each hidden ReLU"), OPT_END()};
  memcpy(t, opts, sizeof opts);
  return t;
}

static kind_common_t ann_common(kind_opts_t *o) {
  return (kind_common_t){o->ann.arch, &o->ann.train, &o->ann.val_fraction, NULL};
}

static kind_data_t ann_view(void *data) {
  dataset_t *d = data;
  return (kind_data_t){d, d->y, d->group, d->n_rows, d->n_groups, d->n_classes, d->segmented, d->labels};
}

static int ann_load(const char *path, kind_data_t *k, char *err, size_t errlen) {
  dataset_t *d = calloc(1, sizeof *d);
  if (!d) return snprintf(err, errlen, "out of memory"), -1;
  if (dataset_load(path, NULL, 0, NULL, 0, d, err, errlen)) return free(d), -1;
  if (d->n_ignored)
    fprintf(stderr, "%s: %zu column%s not read as features (--ignore-columns: '%s'%s)\n", path, d->n_ignored,
            d->n_ignored == 1 ? "" : "s", d->ignored, d->n_ignored > 1 ? ", ..." : "");
  *k = ann_view(d);
  return 0;
}

static void ann_free(kind_data_t *k) {
  if (k->d) dataset_free(k->d);
  free(k->d);
  k->d = NULL;
}

static int ann_fit_kind(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                        const kind_opts_t *o, model_t *m, epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  return ann_fit(d->d, train, n_train, val, n_val, &o->ann, m, log, epochs, err, errlen);
}

static int ann_predict_kind(model_t *m, const kind_data_t *d, const size_t *rows, size_t n, const kind_opts_t *o,
                            real *probs, char *err, size_t errlen) {
  (void)o;
  if (ann_predict(m, d->d, rows, n, probs)) return snprintf(err, errlen, "out of memory"), -1;
  return 0;
}

static void ann_describe(const kind_data_t *k, const kind_opts_t *o, size_t n_train, size_t n_val) {
  (void)o;
  const dataset_t *d = k->d;
  fprintf(stderr, "training on %zu rows (%zu tracks, %d labels, %zu features), validating on %zu rows\n", n_train,
          d->n_groups, d->n_classes, d->n_features, n_val);
}

int kind_best_epoch(const epoch_log_t *log, int epochs) {
  int best = 0;
  for (int e = 1; e < epochs; e++)
    if (log[e].val_loss < log[best].val_loss) best = e;
  return best;
}

static void ann_trained(const kind_data_t *d, const model_t *m, const epoch_log_t *log, int epochs, size_t n_train,
                        size_t n_val, double seconds, const char *out) {
  (void)d, (void)n_train;
  int best = kind_best_epoch(log, epochs);
  printf("trained %s (%zu parameters) for %d epochs in %.2f s%s; ", m->arch, m->net->n_params, epochs, seconds,
         processes());
  if (n_val)
    printf("kept epoch %d: val_loss %.4f, val_acc %.4f -> %s\n", best + 1, log[best].val_loss, log[best].val_acc, out);
  else /* nothing was held out: say what was measured */
    printf("no validation rows, kept the last epoch: training loss %.4f, training accuracy %.4f -> %s\n",
           log[epochs - 1].train_loss, log[epochs - 1].train_acc, out);
}

/* --- the CNN on log-mel spectrograms -------------------------------------- */

static int cnn_arch(const char *cmd, const char *arg, void *o) {
  return cnn_preset(arg, o) ? bad(cmd, "--arch wants default, keras-5block or keras-2conv", arg) : 0;
}

static int cnn_augment(const char *cmd, const char *arg, void *value) {
  char err[300];
  return augment_parse(arg, value, err, sizeof err) ? bad(cmd, err, arg) : 0;
}

static int cnn_init(const char *cmd, const char *arg, void *value) {
  (void)cmd;
  cnn_opts_t *o = value;
  snprintf(o->init, sizeof o->init, "%s", arg);
  return 0;
}

static int cnn_freeze(const char *cmd, const char *arg, void *value) {
  if (strcmp(arg, "conv") != 0) return bad(cmd, "--freeze wants conv", arg);
  *(int *)value = 1;
  return 0;
}

static const cli_option_t *cnn_options(kind_opts_t *ko) {
  cnn_opts_t *o = &ko->cnn;
  static cli_option_t t[5];
  const cli_option_t opts[] = {
      OPT_CALL(0, "augment", &o->augment, cnn_augment, "LIST",
               "loudness,noise,pitch,stretch,freqmask,timemask | all | none\n"
               "(training only; default for --arch default: loudness,freqmask,timemask)"),
      OPT_CALL(0, "init", o, cnn_init, "MODEL", "start from MODEL's convolutional layers (its classes may differ)"),
      OPT_CALL(0, "freeze", &o->freeze_conv, cnn_freeze, "conv", "train only the layers after the convolutional stack"),
      OPT_INT(0, "read-ahead", &o->read_ahead, 0, 256, "N",
              "batches of spectrograms read from disk ahead of training (default 4; 0: none)"),
      OPT_END()};
  memcpy(t, opts, sizeof opts);
  return t;
}

static kind_common_t cnn_common(kind_opts_t *o) {
  return (kind_common_t){o->cnn.arch, &o->cnn.train, &o->cnn.val_fraction, &o->cnn.threads};
}

static kind_data_t cnn_view(void *data) {
  mel_dataset_t *d = data;
  return (kind_data_t){d, d->y, d->group, d->n_rows, d->n_groups, d->n_classes, 1, d->labels};
}

static int cnn_load(const char *path, kind_data_t *k, char *err, size_t errlen) {
  mel_dataset_t *d = calloc(1, sizeof *d);
  if (!d) return snprintf(err, errlen, "out of memory"), -1;
  if (mel_dataset_load(path, NULL, 0, d, err, errlen)) return free(d), -1;
  *k = cnn_view(d);
  return 0;
}

static void cnn_free(kind_data_t *k) {
  if (k->d) mel_dataset_free(k->d);
  free(k->d);
  k->d = NULL;
}

static int cnn_fit_kind(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                        const kind_opts_t *o, model_t *m, epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  return cnn_fit(d->d, train, n_train, val, n_val, &o->cnn, m, log, epochs, err, errlen);
}

static int cnn_predict_kind(model_t *m, const kind_data_t *d, const size_t *rows, size_t n, const kind_opts_t *o,
                            real *probs, char *err, size_t errlen) {
  return cnn_predict(m, d->d, rows, n, o->cnn.read_ahead, probs, err, errlen);
}

static void cnn_describe(const kind_data_t *d, const kind_opts_t *o, size_t n_train, size_t n_val) {
  fprintf(stderr, "training %s on %zu spectrograms (%zu tracks, %d labels), validating on %zu\n", o->cnn.arch, n_train,
          d->n_groups, d->n_classes, n_val);
}

static void cnn_trained(const kind_data_t *k, const model_t *m, const epoch_log_t *log, int epochs, size_t n_train,
                        size_t n_val, double secs, const char *out) {
  const mel_dataset_t *d = k->d;
  printf("trained %s (%zu parameters) for %d epochs in %.1f s%s (%.0f spectrograms/s); last epoch: loss %.4f, acc %.4f",
         m->arch, m->net->n_params, epochs, secs, processes(), (double)n_train * epochs / secs,
         log[epochs - 1].train_loss, log[epochs - 1].train_acc);
  if (n_val) printf(", val_acc %.4f", log[epochs - 1].val_acc);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf(" -> %s (peak RSS %.0f MB; spectrograms %.0f MB, %s)\n", out, ru.ru_maxrss / 1024.0,
         d->n_rows * (double)d->bands * d->frames * sizeof(float) / 1e6, d->held ? "in memory" : "streamed from disk");
}

/* --- what a fold explains (fold_why.h) ---------------------------------------------------- */

static int ann_why(fold_why_t *w, int fold, model_t *m, const kind_data_t *d, const size_t *engine,
                   const size_t *rows, size_t n, const real *probs, unsigned long seed, char *err, size_t errlen) {
  if (fold_why_ann(w, fold, m, d->d, engine, rows, n, probs, seed)) return snprintf(err, errlen, "out of memory"), -1;
  return 0;
}

static int cnn_why(fold_why_t *w, int fold, model_t *m, const kind_data_t *d, const size_t *engine,
                   const size_t *rows, size_t n, const real *probs, unsigned long seed, char *err, size_t errlen) {
  (void)seed;
  return fold_why_cnn(w, fold, m, d->d, engine, rows, n, probs, err, errlen);
}

/* --- k nearest neighbours on a feature table ------------------------------------ */

static int knn_arch(const char *cmd, const char *arg, void *o) {
  return knn_preset(arg, o) ? bad(cmd, "--arch wants default or distance", arg) : 0;
}

static int knn_weights(const char *cmd, const char *arg, void *value) {
  int *w = value;
  if (strcmp(arg, "uniform") == 0) *w = KNN_UNIFORM;
  else if (strcmp(arg, "distance") == 0) *w = KNN_DISTANCE;
  else return bad(cmd, "--weights wants uniform or distance", arg);
  return 0;
}

static const cli_option_t *knn_options(kind_opts_t *ko) {
  knn_opts_t *o = &ko->knn;
  static cli_option_t t[3];
  const cli_option_t opts[] = {
      OPT_INT(0, "k", &o->k, 1, 100000, "K", "neighbours (default 5, as scikit-learn)"),
      OPT_CALL(0, "weights", &o->weights, knn_weights, "W", "uniform (default) or distance (votes of 1/d)"), OPT_END()};
  memcpy(t, opts, sizeof opts);
  return t;
}

static kind_common_t knn_common(kind_opts_t *o) {
  return (kind_common_t){o->knn.arch, &o->knn.train, &o->knn.val_fraction, NULL};
}

/* The share of rows whose most probable class is their label. */
static double accuracy_of(const real *p, const int *y, const size_t *rows, size_t n, int K) {
  size_t right = 0;
  for (size_t i = 0; i < n; i++) {
    int best = 0;
    for (int k = 1; k < K; k++) best = p[i * K + k] > p[i * K + best] ? k : best;
    right += best == y[rows[i]];
  }
  return n ? (double)right / n : 0;
}

/* A classical model's one "epoch" of log: its accuracy on the rows held out and,
 * for genre train's last line, on its training rows (in folds that pass is not
 * paid: it costs a kNN or an SVM more than the test rows do). 0, or -1. */
static int classic_log(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                       model_t *m, epoch_log_t *log, int *epochs, double t0, int score_training, char *err,
                       size_t errlen) {
  size_t n_scored = score_training ? n_train : 0;
  real *p = malloc((n_scored + n_val ? n_scored + n_val : 1) * (size_t)d->n_classes * sizeof *p);
  if (!p || (n_scored && ann_predict(m, d->d, train, n_train, p)) ||
      (n_val && ann_predict(m, d->d, val, n_val, p + n_scored * d->n_classes)))
    return free(p), model_free(m), snprintf(err, errlen, "out of memory"), -1;
  memset(log, 0, sizeof *log);
  log[0].train_acc = n_scored ? accuracy_of(p, d->y, train, n_train, d->n_classes) : -1;
  log[0].val_acc = accuracy_of(p + n_scored * d->n_classes, d->y, val, n_val, d->n_classes);
  log[0].seconds = now_seconds() - t0;
  free(p);
  if (epochs) *epochs = 1;
  return 0;
}

static int knn_fit_kind(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                        const kind_opts_t *o, model_t *m, epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  double t0 = now_seconds();
  if (knn_fit(d->d, train, n_train, val, n_val, &o->knn, m, err, errlen)) return -1;
  return classic_log(d, train, n_train, val, n_val, m, log, epochs, t0, o->knn.train.score_training, err, errlen);
}

static int classic_predict_kind(model_t *m, const kind_data_t *d, const size_t *rows, size_t n, const kind_opts_t *o,
                                real *probs, char *err, size_t errlen) {
  (void)o;
  if (ann_predict(m, d->d, rows, n, probs)) return snprintf(err, errlen, "out of memory"), -1;
  return 0;
}

static void knn_describe(const kind_data_t *k, const kind_opts_t *o, size_t n_train, size_t n_val) {
  const dataset_t *d = k->d;
  fprintf(stderr, "k nearest neighbours (k %d, %s votes) on %zu rows (%zu tracks, %d labels, %zu features)%s\n", o->knn.k,
          o->knn.weights == KNN_DISTANCE ? "1/d" : "uniform", n_train, d->n_groups, d->n_classes, d->n_features,
          n_val ? ", some held out" : "");
}

static void classic_trained(const kind_data_t *d, const model_t *m, const epoch_log_t *log, int epochs, size_t n_train,
                            size_t n_val, double seconds, const char *out) {
  (void)d, (void)epochs;
  const classic_t *c = m->classic;
  if (c->kind == CLASSIC_KNN) printf("kept %zu rows of %zu features for kNN %s (k %d)", n_train, m->n_features, m->arch, c->k);
  else if (c->kind == CLASSIC_GBDT || c->kind == CLASSIC_RF)
    printf("fitted %s %s on %zu rows of %zu features", c->kind == CLASSIC_RF ? "random forest" : "boosted trees", m->arch,
           n_train, m->n_features);
  else if (c->kind == CLASSIC_LOGREG)
    printf("fitted logistic regression %s on %zu rows of %zu features (L-BFGS, %d iterations)", m->arch, n_train,
           m->n_features, c->iterations);
  else printf("fitted SVM %s on %zu rows of %zu features: %d support vectors", m->arch, n_train, m->n_features, c->svm ? svm_support_vectors(c) : 0);
  printf(" in %.2f s", seconds);
  if (log[0].train_acc >= 0) printf("; training accuracy %.4f", log[0].train_acc);
  if (n_val) printf(", held-out accuracy %.4f", log[0].val_acc);
  printf(" -> %s\n", out);
}

/* --- C-SVC (libsvm) on a feature table ---------------------------------------------- */

static int svm_arch(const char *cmd, const char *arg, void *o) {
  return svm_preset(arg, o) ? bad(cmd, "--arch wants default or linear", arg) : 0;
}

static int svm_kernel(const char *cmd, const char *arg, void *value) {
  int *k = value;
  if (strcmp(arg, "rbf") == 0) *k = SVM_RBF;
  else if (strcmp(arg, "linear") == 0) *k = SVM_LINEAR;
  else return bad(cmd, "--kernel wants rbf or linear", arg);
  return 0;
}

static const cli_option_t *svm_options(kind_opts_t *ko) {
  svm_opts_t *o = &ko->svm;
  static cli_option_t t[4];
  const cli_option_t opts[] = {
      OPT_NUMBER(CLI_DOUBLE, 0, "C", &o->C, 0, 1e12, CLI_OPEN_LO, "C", "a positive penalty", "the penalty C (default 1, as scikit-learn)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "gamma", &o->gamma, 0, 1e12, CLI_OPEN_LO, "G", "a positive width",
                 "the RBF kernel's gamma (default: 1 / (features x variance), scikit-learn's 'scale')"),
      OPT_CALL(0, "kernel", &o->kernel, svm_kernel, "K", "rbf (default) or linear"), OPT_END()};
  memcpy(t, opts, sizeof opts);
  return t;
}

static kind_common_t svm_common(kind_opts_t *o) {
  /* libsvm draws its probability folds from rand(): one fold at a time, so that the seed fixes them */
  return (kind_common_t){o->svm.arch, &o->svm.train, &o->svm.val_fraction, &o->svm.threads};
}

static int svm_fit_kind(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                        const kind_opts_t *o, model_t *m, epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  double t0 = now_seconds();
  if (svm_fit(d->d, train, n_train, val, n_val, &o->svm, m, err, errlen)) return -1;
  return classic_log(d, train, n_train, val, n_val, m, log, epochs, t0, o->svm.train.score_training, err, errlen);
}

static void svm_describe(const kind_data_t *k, const kind_opts_t *o, size_t n_train, size_t n_val) {
  const dataset_t *d = k->d;
  fprintf(stderr, "C-SVC (%s kernel, C %g, gamma %s) on %zu rows (%zu tracks, %d labels, %zu features)%s\n",
          o->svm.kernel == SVM_LINEAR ? "linear" : "RBF", o->svm.C, o->svm.gamma > 0 ? "given" : "'scale'", n_train,
          d->n_groups, d->n_classes, d->n_features, n_val ? ", some held out" : "");
}

/* --- multinomial logistic regression on a feature table ------------------------------ */

static int logreg_arch(const char *cmd, const char *arg, void *o) {
  return logreg_preset(arg, o) ? bad(cmd, "--arch wants default", arg) : 0;
}

static const cli_option_t *logreg_options(kind_opts_t *ko) {
  static cli_option_t t[2];
  const cli_option_t opts[] = {OPT_NUMBER(CLI_DOUBLE, 0, "C", &ko->logreg.C, 0, 1e12, CLI_OPEN_LO, "C", "a positive value",
                                          "the inverse of the L2 penalty's strength (default 1, as scikit-learn)"),
                               OPT_END()};
  memcpy(t, opts, sizeof opts);
  return t;
}

static kind_common_t logreg_common(kind_opts_t *o) {
  return (kind_common_t){o->logreg.arch, &o->logreg.train, &o->logreg.val_fraction, NULL};
}

static int logreg_fit_kind(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                           const kind_opts_t *o, model_t *m, epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  double t0 = now_seconds();
  if (logreg_fit(d->d, train, n_train, val, n_val, &o->logreg, m, err, errlen)) return -1;
  return classic_log(d, train, n_train, val, n_val, m, log, epochs, t0, o->logreg.train.score_training, err, errlen);
}

static void logreg_describe(const kind_data_t *k, const kind_opts_t *o, size_t n_train, size_t n_val) {
  const dataset_t *d = k->d;
  fprintf(stderr, "logistic regression (multinomial, L2, C %g) on %zu rows (%zu tracks, %d labels, %zu features)%s\n",
          o->logreg.C, n_train, d->n_groups, d->n_classes, d->n_features, n_val ? ", some held out" : "");
}

/* --- XGBoost's boosted trees and random forests on a feature table ----------------------- */

static int gbdt_arch(const char *cmd, const char *arg, void *o) {
  return gbdt_preset(arg, o) ? bad(cmd, "--arch wants default", arg) : 0;
}

static int rf_arch(const char *cmd, const char *arg, void *o) {
  return rf_preset(arg, o) ? bad(cmd, "--arch wants default", arg) : 0;
}

static const cli_option_t *trees_options(kind_opts_t *ko) {
  trees_opts_t *o = &ko->trees.t;
  static cli_option_t t[6];
  const cli_option_t opts[] = {
      OPT_INT(0, "trees", &o->trees, 1, 100000, "N", "boosting rounds, or the forest's trees (default 100)"),
      OPT_INT(0, "depth", &o->depth, 1, 64, "D", "the trees' largest depth (default 6)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "eta", &o->eta, 0, 1, CLI_OPEN_LO, "X", "0 < X <= 1",
                 "the learning rate (boosting: default 0.3; a forest: 1)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "subsample", &o->subsample, 0, 1, CLI_OPEN_LO, "F", "0 < F <= 1",
                 "the share of rows each tree draws (boosting: 1; a forest: 0.8)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "colsample", &o->colsample, 0, 1, CLI_OPEN_LO, "F", "0 < F <= 1",
                 "the share of features per tree (boosting: 1) or per node (a forest: 0.8)"),
      OPT_END()};
  memcpy(t, opts, sizeof opts);
  return t;
}

static kind_common_t trees_common(kind_opts_t *o) {
  return (kind_common_t){o->trees.arch, &o->trees.train, &o->trees.val_fraction, &o->trees.threads};
}

static int trees_fit_kind(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                          const kind_opts_t *o, model_t *m, epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  double t0 = now_seconds();
  if (trees_fit(d->d, train, n_train, val, n_val, &o->trees, m, err, errlen)) return -1;
  return classic_log(d, train, n_train, val, n_val, m, log, epochs, t0, o->trees.train.score_training, err, errlen);
}

static void trees_describe(const kind_data_t *k, const kind_opts_t *o, size_t n_train, size_t n_val) {
  const dataset_t *d = k->d;
  const trees_opts_t *t = &o->trees.t;
  fprintf(stderr, "%s (XGBoost hist, %d %s of depth %d, eta %g) on %zu rows (%zu tracks, %d labels, %zu features)%s\n",
          t->forest ? "random forest" : "boosted trees", t->trees, t->forest ? "trees" : "rounds", t->depth, t->eta,
          n_train, d->n_groups, d->n_classes, d->n_features, n_val ? ", some held out" : "");
}

/* --- the table --------------------------------------------------------------- */

const model_kind_t model_kinds[] = {
    {"ann", "ANN", "features", "CSV", "the table (ours or Kaggle's)", 10, 1,
     "Trains the dense network on a feature table in the Kaggle schema (ours or\n"
     "Kaggle's): `label` is the class, `filename` and `length` are not features,\n"
     "every other column is. Features are standardised with statistics of the\n"
     "training rows, stored in the model. The default preset trains on every row\n"
     "for a fixed number of epochs; the Keras presets hold out a share of the\n"
     "tracks (never rows of a track on both sides) to stop early and keep the\n"
     "best epoch.\n"
     "Under mpirun or srun --mpi=pmix the processes share every batch (gradients\n"
     "summed with MPI_Allreduce) and rank 0 writes MODEL.\n",
     "Stratified K-fold cross-validation. When the rows are 3-s segments\n"
     "(<stem>.<k>.wav) the folds are drawn over tracks, so no track has segments on\n"
     "both sides, and accuracy per track (majority vote) is reported beside\n"
     "accuracy per segment. Standardisation and early stopping use each fold's\n"
     "training part only. Prints every fold and the mean +- std over folds.\n"
     "--threads: folds trained at once.\n",
     "preset, one of\n"
     "  default       ours: 2 members x dense 256, dropout 0.5, mixup\n"
     "  keras-mlp     the Keras GTZAN projects' dense 512-256-128, dropout 0.2\n"
     "                (old name: seed)\n"
     "  keras-conv1d  their 1-D CNN over the feature vector (old name: seed004)\n"
     "each sets the options below; the defaults shown are `default`'s",
     ann_arch, ann_common, ann_options, ann_load, ann_view, ann_free, ann_fit_kind,
     ann_predict_kind, ann_describe, ann_trained, ann_why},
    {"cnn", "CNN", "mel", "OUTDIR", "what genre extract wrote (or its mel/ directory)", 5, 1,
     "Trains the CNN on the log-mel spectrograms of genre extract (OUTDIR/mel). Each\n"
     "mel band is standardised with statistics of the training spectrograms, stored\n"
     "in the model. Augmentations apply to training batches only. Under mpirun or\n"
     "srun --mpi=pmix the processes share every batch (gradients summed with\n"
     "MPI_Allreduce, batch norm synchronised) and rank 0 writes MODEL.\n",
     "Stratified K-fold cross-validation of the CNN on the log-mel spectrograms of\n"
     "genre extract (OUTDIR/mel/*.npy and index.csv). Folds are drawn over tracks:\n"
     "a track's segments are never on both sides. Reports accuracy per segment and\n"
     "per track (majority vote), mean +- std over folds. Standardisation and\n"
     "early stopping use each fold's training part only.\n",
     "preset, one of\n"
     "  default       ours: 5 conv blocks with batch norm, global pooling, 99 k\n"
     "                weights, loudness and mask augmentation\n"
     "  keras-5block  the Keras GTZAN projects' five 3x3 conv/pool/dropout\n"
     "                blocks, dense 64 (old name: seed000)\n"
     "  keras-2conv   their two unpadded convs and a 7.4 M-weight dense 128\n"
     "                (old name: seed002)\n"
     "each sets the options below; the defaults shown are `default`'s",
     cnn_arch, cnn_common, cnn_options, cnn_load, cnn_view, cnn_free, cnn_fit_kind,
     cnn_predict_kind, cnn_describe, cnn_trained, cnn_why},
    {"knn", "kNN", "features", "CSV", "the table (ours or Kaggle's)", 10, 0,
     "Keeps the rows of a feature table in the Kaggle schema (ours or Kaggle's) for\n"
     "k nearest neighbours, as scikit-learn's KNeighborsClassifier: Euclidean\n"
     "distance on features standardised with statistics of the training rows\n"
     "(stored in the model, as the ANN's), a class's probability the share of the k\n"
     "votes (or of the 1/d-weighted votes). Nothing is held out unless asked.\n",
     "Stratified K-fold cross-validation of k nearest neighbours; folds over tracks\n"
     "when the rows are 3-s segments, as for the ANN.\n",
     "preset: default (k 5, uniform votes, scikit-learn's defaults) or distance\n"
     "(k 5, votes weighted by 1/d)",
     knn_arch, knn_common, knn_options, ann_load, ann_view, ann_free, knn_fit_kind,
     classic_predict_kind, knn_describe, classic_trained, ann_why},
    {"svm", "SVM", "features", "CSV", "the table (ours or Kaggle's)", 10, 0,
     "Fits a C-SVC with libsvm (the library scikit-learn's SVC is built on) on a\n"
     "feature table in the Kaggle schema (ours or Kaggle's): one-against-one, an RBF\n"
     "kernel (or linear), scikit-learn's defaults (C = 1, gamma 1 / (features x\n"
     "variance)); features standardised with statistics of the training rows, as\n"
     "the ANN's; class probabilities by libsvm's own Platt scaling (its 5-fold\n"
     "fit drawn from --seed). Nothing is held out unless asked.\n",
     "Stratified K-fold cross-validation of the C-SVC; folds over tracks when the\n"
     "rows are 3-s segments, as for the ANN.\n",
     "preset: default (RBF, C = 1, gamma 'scale': scikit-learn's defaults) or\n"
     "linear (a linear kernel, C = 1)",
     svm_arch, svm_common, svm_options, ann_load, ann_view, ann_free, svm_fit_kind,
     classic_predict_kind, svm_describe, classic_trained, ann_why},
    {"logreg", "logistic regression", "features", "CSV", "the table (ours or Kaggle's)", 10, 0,
     "Fits multinomial logistic regression with an L2 penalty on a feature table in\n"
     "the Kaggle schema (ours or Kaggle's), as scikit-learn's LogisticRegression\n"
     "(lbfgs, C = 1, intercepts unpenalised), by GSL's BFGS to a gradient norm of\n"
     "1e-6; features standardised with statistics of the training rows, as the\n"
     "ANN's. Nothing is held out unless asked.\n",
     "Stratified K-fold cross-validation of the logistic regression; folds over\n"
     "tracks when the rows are 3-s segments, as for the ANN.\n",
     "preset: default (C = 1, scikit-learn's default)",
     logreg_arch, logreg_common, logreg_options, ann_load, ann_view, ann_free, logreg_fit_kind,
     classic_predict_kind, logreg_describe, classic_trained, ann_why},
    {"gbdt", "boosted trees", "features", "CSV", "the table (ours or Kaggle's)", 10, 0,
     "Fits gradient-boosted trees with XGBoost (its C API: the library\n"
     "python3-xgboost wraps) on a feature table in the Kaggle schema (ours or\n"
     "Kaggle's): hist trees, multi-class soft probabilities, XGBClassifier's\n"
     "defaults (100 rounds, depth 6, eta 0.3); --seed fixes every draw, --threads\n"
     "its threads. Nothing is held out unless asked.\n",
     "Stratified K-fold cross-validation of the boosted trees; folds over tracks\n"
     "when the rows are 3-s segments, as for the ANN.\n",
     "preset: default (XGBClassifier's: 100 rounds, depth 6, eta 0.3)",
     gbdt_arch, trees_common, trees_options, ann_load, ann_view, ann_free, trees_fit_kind,
     classic_predict_kind, trees_describe, classic_trained, ann_why},
    {"rf", "random forest", "features", "CSV", "the table (ours or Kaggle's)", 10, 0,
     "Fits a random forest with XGBoost's random-forest mode (its C API) on a\n"
     "feature table in the Kaggle schema (ours or Kaggle's): one round of 100 hist\n"
     "trees of depth 6, rows and columns per node subsampled at 0.8, as its\n"
     "XGBRFClassifier; --seed fixes every draw, --threads its threads.\n",
     "Stratified K-fold cross-validation of the random forest; folds over tracks\n"
     "when the rows are 3-s segments, as for the ANN.\n",
     "preset: default (XGBRFClassifier's: 100 trees, depth 6, subsample 0.8)",
     rf_arch, trees_common, trees_options, ann_load, ann_view, ann_free, trees_fit_kind,
     classic_predict_kind, trees_describe, classic_trained, ann_why},
};
const int n_model_kinds = sizeof model_kinds / sizeof *model_kinds;

int kind_check_classes(const char *cmd, const char *path, const kind_data_t *d) {
  if (d->n_classes >= 2) return 0;
  fprintf(stderr, "genre %s: %s: a single label ('%s'): nothing to classify\n", cmd, path, d->labels[0]);
  return 1;
}

int kind_load_classes(const model_kind_t *k, const char *cmd, const char *path, kind_data_t *d) {
  char err[1500];
  if (k->load(path, d, err, sizeof err)) return fprintf(stderr, "genre %s: %s\n", cmd, err), 1;
  if (!kind_check_classes(cmd, path, d)) return 0;
  k->free(d);
  return 1;
}

static int ignore_columns(const char *cmd, const char *arg, void *value) {
  char err[300];
  (void)value;
  if (dataset_ignore_columns(arg, err, sizeof err)) return fprintf(stderr, "genre %s: %s\n", cmd, err), -1;
  return 0;
}

cli_option_t ignore_columns_option(void) {
  return (cli_option_t)OPT_CALL(0, "ignore-columns", NULL, ignore_columns, "LIST",
                                "columns of the feature table not to read as features, e.g.\n"
                                "artist,album (text is refused otherwise)");
}

const model_kind_t *model_kind(const char *name) {
  for (int i = 0; i < n_model_kinds; i++)
    if (strcmp(model_kinds[i].name, name) == 0) return &model_kinds[i];
  return NULL;
}

/* --- the options every kind trains with ------------------------------------ */

static int schedule(const char *cmd, const char *arg, void *value) {
  int *cosine = value;
  if (strcmp(arg, "cosine") == 0) *cosine = 1;
  else if (strcmp(arg, "constant") == 0) *cosine = 0;
  else return bad(cmd, "--schedule wants constant or cosine", arg);
  return 0;
}

/* The help's defaults, from the preset the options start from (--arch NAME --help: that preset's). */
static struct {
  char mixup[80], smoothing[80], schedule[80], epochs[80], patience[120], batch[80], lr[120], val[120];
} said;

static void say_defaults(const train_opts_t *tr, double val_fraction, const char *arch) {
  snprintf(said.mixup, sizeof said.mixup, "mixup with Beta(A, A) mixing (0: off; %s: %g)", arch, tr->mixup);
  snprintf(said.smoothing, sizeof said.smoothing, "smoothed targets (1-E) one-hot + E/K (%s: %g)", arch,
           tr->label_smoothing);
  snprintf(said.schedule, sizeof said.schedule, "learning rate: constant or cosine (%s: %s)", arch,
           tr->cosine ? "cosine" : "constant");
  snprintf(said.epochs, sizeof said.epochs, "most epochs (%s: %d)", arch, tr->epochs);
  snprintf(said.patience, sizeof said.patience, "epochs without a better validation loss before stopping (0: never; %s: %d)",
           arch, tr->patience);
  snprintf(said.batch, sizeof said.batch, "mini-batch size (%s: %d)", arch, tr->batch);
  snprintf(said.lr, sizeof said.lr, "Adam learning rate (%s: %g; betas 0.9/0.999, eps 1e-7)", arch, tr->adam.lr);
  snprintf(said.val, sizeof said.val, "tracks held out from training for early stopping (%s: %g)", arch, val_fraction);
}

const cli_option_t *training_options(const model_kind_t *k, kind_opts_t *o, int *threads, int *verbose) {
  static cli_option_t t[20];
  kind_common_t c = k->common(o);
  train_opts_t *tr = c.train;
  cli_option_t arch = OPT_CALL(0, "arch", o, k->arch, "NAME", k->arch_help);
  arch.flags = CLI_FIRST; /* the preset first, then what the command line changes in it */
  if (!k->networks) { /* nothing is trained by epochs: no optimiser's options to take and ignore */
    const cli_option_t few[] = {
        arch,
        OPT_NUMBER(CLI_ULONG, 0, "seed", &tr->seed, 0, 0, 0, "S", "a non-negative integer",
                   "seeds every random choice (the held-out tracks, the temperature's twin)"),
        OPT_NUMBER(CLI_DOUBLE, 0, "val-fraction", c.val_fraction, 0, 0.9, CLI_OPEN_HI, "F", "0 <= F < 0.9",
                   "tracks held out of the model (scored, and the temperature's) (default 0)"),
        OPT_NUMBER(CLI_INT, 0, "threads", threads, 1, 64, 0, "T", "1 to 64", "threads (default: all cores)"),
        OPT_FLAG(0, "quiet", verbose, 0, "no progress lines"),
        OPT_FLAG(0, "no-calibrate", &tr->calibrate_off, 1,
                 "fit no temperature: keep the raw vote shares (by default one is fitted on held-out\n"
                 "training tracks, or on a twin's when none are held out)"),
        OPT_END()};
    memcpy(t, few, sizeof few);
    return t;
  }
  say_defaults(tr, *c.val_fraction, c.arch);
  const cli_option_t opts[] = {
      arch,
      OPT_NUMBER(CLI_FLOAT, 0, "mixup", &tr->mixup, 0, 10, 0, "A", "an alpha >= 0", said.mixup),
      OPT_NUMBER(CLI_FLOAT, 0, "label-smoothing", &tr->label_smoothing, 0, 1, CLI_OPEN_HI, "E", "0 <= E < 1",
                 said.smoothing),
      OPT_CALL(0, "schedule", &tr->cosine, schedule, "S", said.schedule),
      OPT_NUMBER(CLI_INT, 0, "epochs", &tr->epochs, 1, 100000, 0, "N", "a positive count", said.epochs),
      OPT_NUMBER(CLI_INT, 0, "patience", &tr->patience, 0, 1e9, 0, "N", "a count (0: never stop early)", said.patience),
      OPT_NUMBER(CLI_INT, 0, "batch", &tr->batch, 1, 65536, 0, "N", "a positive size", said.batch),
      OPT_NUMBER(CLI_DOUBLE, 0, "lr", &tr->adam.lr, 0, 10, CLI_OPEN_LO | CLI_OPEN_HI, "X", "a positive rate", said.lr),
      OPT_NUMBER(CLI_DOUBLE, 0, "weight-decay", &tr->adam.weight_decay, 0, 1e300, 0, "X", "a non-negative value",
                 "L2 penalty on the weights"),
      OPT_NUMBER(CLI_ULONG, 0, "seed", &tr->seed, 0, 0, 0, "S", "a non-negative integer",
                 "seeds every random choice (same seed, same numbers)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "val-fraction", c.val_fraction, 0, 0.9, CLI_OPEN_HI, "F", "0 <= F < 0.9", said.val),
      OPT_NUMBER(CLI_INT, 0, "threads", threads, 1, 64, 0, "T", "1 to 64", "threads (default: all cores)"),
      OPT_FLAG(0, "quiet", verbose, 0, "no per-epoch lines"),
      OPT_FLAG(0, "verbose", verbose, 1, "one line per epoch"),
      OPT_FLAG(0, "no-calibrate", &tr->calibrate_off, 1,
               "fit no temperature: keep the raw softmax (by default one is fitted on\n"
               "held-out training tracks, or on a twin's when the preset holds none out)"),
      OPT_END()};
  memcpy(t, opts, sizeof opts);
  return t;
}

/* --- a fold of any kind -------------------------------------------------------- */

/* rows translated into the dataset's numbering, in one allocation */
static size_t *translate(const size_t *map, const size_t *const rows[3], const size_t n[3], size_t *out[3]) {
  size_t total = n[0] + n[1] + n[2];
  size_t *all = malloc((total ? total : 1) * sizeof *all);
  if (!all) return NULL;
  size_t at = 0;
  for (int k = 0; k < 3; k++) {
    out[k] = all + at;
    for (size_t i = 0; i < n[k]; i++) out[k][i] = map ? map[rows[k][i]] : rows[k][i];
    at += n[k];
  }
  return all;
}

int fold_model(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
               size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, double temperature[2],
               epoch_log_t *log, int *epochs, char *err, size_t errlen) {
  const fold_model_t *c = ctx;
  const size_t *const rows[3] = {train, val, test}, n[3] = {n_train, n_val, n_test};
  size_t *r[3], *all = translate(c->map, rows, n, r);
  if (!all) return snprintf(err, errlen, "out of memory"), -1;
  kind_opts_t o = *c->o;
  train_opts_t *t = c->kind->common(&o).train;
  t->seed = seed;
  if (monitor) t->monitor = r[2], t->n_monitor = n_test;
  char tag[32];
  snprintf(tag, sizeof tag, "fold %d", fold + 1);
  t->tag = tag;
  model_t m;
  size_t fitted[2];
  kind_opts_t twin = o;
  c->kind->common(&twin).train->monitor = NULL; /* the twin never looks at the test fold */
  int rc = c->calibrate ? kind_temperature(c->kind, c->d, r[0], n_train, r[1], n_val, &twin, NULL, temperature, fitted, err, errlen) : 0;
  if (!rc) rc = c->kind->fit(c->d, r[0], n_train, r[1], n_val, &o, &m, log, epochs, err, errlen);
  if (!rc && c->calibrate && n_val &&
      kind_temperature(c->kind, c->d, r[0], n_train, r[1], n_val, &o, &m, temperature, fitted, err, errlen))
    rc = -1, model_free(&m);
  if (!rc) {
    rc = c->kind->predict(&m, c->d, r[2], n_test, &o, probs, err, errlen);
    if (!rc && c->why && c->kind->why) rc = c->kind->why(c->why, fold, &m, c->d, test, r[2], n_test, probs, seed, err, errlen);
    model_free(&m);
  }
  free(all);
  return rc;
}

/* --- provenance ------------------------------------------------------------------- */

char *model_about(const char *command, const char *data, size_t rows, size_t tracks, const char *protocol,
                  const char *figures) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return NULL;
  fputs("{\"command\": ", f), json_put_string(f, command);
  fputs(", \"data\": ", f), json_put_string(f, data);
  fprintf(f, ", \"rows\": %zu, \"tracks\": %zu, \"protocol\": ", rows, tracks), json_put_string(f, protocol);
  if (figures) fprintf(f, ", \"figures\": %s", figures);
  fputs("}", f);
  if (fclose(f) || len > 4000) return free(text), NULL; /* the model file keeps 4 kB */
  return text;
}

/* --- temperature ------------------------------------------------------------------ */

/* T[0] fitted on model m's probabilities of rows[n], T[1] on their tracks'
 * means (when there are TEMPERATURE_MIN_TRACKS tracks; else 1); *tracks their count. 0, or -1. */
static int fit_on(const model_kind_t *k, const kind_data_t *d, model_t *m, const size_t *rows, size_t n,
                  const kind_opts_t *o, double T[2], size_t *tracks, char *err, size_t errlen) {
  size_t K = (size_t)d->n_classes, N = n ? n : 1;
  real *p = malloc(N * K * sizeof *p), *means = malloc(N * K * sizeof *means);
  int *y = malloc(N * sizeof *y), *t = malloc(N * sizeof *t), *labels = malloc(N * sizeof *labels);
  double *Tr = malloc(N * sizeof *Tr);
  float keep = m->temperature;
  m->temperature = 0; /* the raw probabilities */
  int rc = p && means && y && t && labels && Tr ? k->predict(m, d, rows, n, o, p, err, errlen)
                                                : (snprintf(err, errlen, "out of memory"), -1);
  m->temperature = keep;
  for (size_t i = 0; !rc && i < n; i++) y[i] = d->y[rows[i]], t[i] = d->group[rows[i]];
  if (!rc) T[0] = temperature_fit(p, y, n, d->n_classes);
  for (size_t i = 0; !rc && i < n; i++) Tr[i] = T[0];
  *tracks = rc ? 0 : temperature_track_means(p, y, t, Tr, n, d->n_groups, d->n_classes, means, labels);
  /* (with one row a track, the segments' T already is the tracks') */
  T[1] = *tracks >= TEMPERATURE_MIN_TRACKS && *tracks < n ? temperature_fit(means, labels, *tracks, d->n_classes) : 1;
  free(p), free(means), free(y), free(t), free(labels), free(Tr);
  return rc;
}

int kind_temperature(const model_kind_t *k, const kind_data_t *d, const size_t *train, size_t n_train,
                     const size_t *val, size_t n_val, const kind_opts_t *o, model_t *m, double T[2], size_t rows[2],
                     char *err, size_t errlen) {
  if (n_val && m) return rows[0] = n_val, fit_on(k, d, m, val, n_val, o, T, &rows[1], err, errlen);
  if (n_val || m) return 0; /* the other half of the pair of calls */
  kind_opts_t twin_o = *o;
  train_opts_t *t = k->common(&twin_o).train;
  size_t *a = malloc((n_train ? n_train : 1) * sizeof *a), *b = malloc((n_train ? n_train : 1) * sizeof *b), na, nb;
  epoch_log_t *log = calloc((size_t)t->epochs, sizeof *log);
  int rc = a && b && log ? 0 : (snprintf(err, errlen, "out of memory"), -1), epochs;
  if (!rc) split_validation(train, n_train, d->group, d->y, d->n_groups, 0.1, t->seed ^ 0x7e3b1ul, a, &na, b, &nb);
  model_t twin;
  t->verbose = 0, t->tag = "calibration twin", t->monitor = NULL, t->n_monitor = 0;
  if (!rc && nb && !(rc = k->fit(d, a, na, b, 0, &twin_o, &twin, log, &epochs, err, errlen))) {
    rc = fit_on(k, d, &twin, b, nb, &twin_o, T, &rows[1], err, errlen);
    model_free(&twin);
  }
  rows[0] = nb;
  free(a), free(b), free(log);
  return rc;
}
