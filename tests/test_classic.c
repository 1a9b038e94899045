/* The classical kinds (k nearest neighbours, C-SVC, logistic regression,
 * XGBoost's boosted trees and random forests) through the model-kind
 * table: train, cv, evaluate, predict, the model file (version 6) and its
 * refusals, and scikit-learn and python3-xgboost beside them on the same rows
 * (tests/classic_check.py; skipped with a message where they are absent). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classic.h"
#include "model.h"

#include <libsvm/svm.h>
#include <math.h>

static const char *dir;
static char g[4096];

static const char *at(const char *name) {
  static char buf[8][800];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void setup(void) {
  dir = scratch_dir();
  if (!realpath(genre_bin(), g)) snprintf(g, sizeof g, "%s", genre_bin()); /* the tests run it from other folders */
  CHECK(run("%s synth -o %s/syn -n 6 -s 9 > /dev/null 2>&1 && %s extract -o %s/feat --no-progress %s/syn/genres_original "
            "> /dev/null 2>&1", g, dir, g, dir, dir) == 0, "a synthetic corpus of 60 tracks and its features");
  /* tracks 0, 2, 4 of each genre to train on, 1, 3, 5 to test */
  CHECK(run("cd %s && awk -F, 'NR == 1 || $1 ~ /\\.0000[024]\\./' feat/features_3_sec.csv > train.csv && "
            "awk -F, 'NR == 1 || $1 ~ /\\.0000[135]\\./' feat/features_3_sec.csv > test.csv", dir) == 0,
        "the table split by track");
}

/* genre train KIND (extra options) on train.csv, then evaluate on test.csv with --predictions. */
static int train_and_evaluate(const char *kind, const char *extra, const char *name) {
  char model[900];
  snprintf(model, sizeof model, "%s.model", at(name));
  return run("%s train %s --features %s -o %s --no-calibrate %s > %s.train 2>&1 && "
             "%s evaluate -m %s --features %s --predictions %s.csv > %s.eval 2>&1",
             g, kind, at("train.csv"), model, extra, at(name), g, model, at("test.csv"), at(name), at(name));
}

/* scikit-learn's output on the same rows (tests/classic_check.py): rows, labels that agree, the probabilities'
 * worst difference, votes that agree; -1 when it is absent. */
static int sklearn(const char *kind, const char *a, const char *b, const char *name, long v[3], double *worst) {
  if (run("/usr/bin/python3 -c 'import sklearn' > /dev/null 2>&1") != 0) {
    printf("SKIP scikit-learn parity (%s): /usr/bin/python3 lacks sklearn (make test-deps installs python3-sklearn)\n", name);
    return -1;
  }
  char out[900];
  snprintf(out, sizeof out, "%s.sklearn", at(name));
  int rc = run("/usr/bin/python3 tests/classic_check.py %s %s %s %s %s %s.csv > %s 2>&1", kind, a, b, at("train.csv"),
               at("test.csv"), at(name), out);
  char *text = slurp(out, NULL);
  v[0] = -1, v[1] = v[2] = -2, *worst = 1;
  if (text) sscanf(text, "%ld rows, %ld labels agree, worst |difference| of the probabilities %lf; predict's votes agree on %ld",
                   &v[0], &v[1], worst, &v[2]);
  printf("  %s: %s", name, text ? text : "(no output)\n");
  free(text);
  return rc;
}

static void svm_agrees(const char *name, const char *kernel) {
  long v[3];
  double worst;
  int rc = sklearn("svm", "1", kernel, name, v, &worst);
  if (rc < 0) return;
  CHECK(rc == 0 && v[0] > 0 && v[2] == v[0], "%s: libsvm's one-against-one vote equals SVC(kernel='%s').predict on every "
        "test row (%ld of %ld)", name, kernel, v[2], v[0]);
  /* Platt's arg-max against SVC(probability=True)'s is printed above, not held to a bar: their 5-fold fits draw
   * other folds (libsvm's rand(), scikit-learn's own generator), so borderline rows may go either way */
}

/* scikit-learn on the same rows: every label agrees and the probabilities within 1e-6. */
static void sklearn_agrees(const char *name, int k, const char *weights) {
  if (run("/usr/bin/python3 -c 'import sklearn' > /dev/null 2>&1") != 0) {
    printf("SKIP scikit-learn parity (%s): /usr/bin/python3 lacks sklearn (make test-deps installs python3-sklearn)\n", name);
    return;
  }
  char out[900];
  snprintf(out, sizeof out, "%s.sklearn", at(name));
  int rc = run("/usr/bin/python3 tests/classic_check.py knn %d %s %s %s %s.csv > %s 2>&1", k, weights, at("train.csv"),
               at("test.csv"), at(name), out);
  char *text = slurp(out, NULL);
  long rows = -1, agree = -2;
  double worst = 1;
  if (text) sscanf(text, "%ld rows, %ld labels agree, worst |difference| of the probabilities %lf", &rows, &agree, &worst);
  printf("  %s: %s", name, text ? text : "(no output)\n");
  CHECK(rc == 0 && rows > 0 && agree == rows && worst <= 1e-6,
        "%s: KNeighborsClassifier(%d, %s)'s label on every test row, its probabilities within 1e-6: %s", name, k,
        weights, text ? text : "(no output)");
  free(text);
}

static void test_knn(void) {
  CHECK(train_and_evaluate("knn", "", "knn") == 0 && contains(at("knn.train"), "kept ") &&
            contains(at("knn.eval"), "accuracy"), "train knn, evaluate --predictions");
  sklearn_agrees("knn", 5, "uniform");
  CHECK(train_and_evaluate("knn", "--arch distance --k 7", "knn7") == 0, "train knn --arch distance --k 7");
  sklearn_agrees("knn7", 7, "distance");
  CHECK(run("head -c 8 %s.model | grep -q GENRENN1 && od -An -tu4 -j8 -N4 %s.model | grep -q ' 6$'", at("knn"),
            at("knn")) == 0, "a kNN's model file is version 6 (networks stay at version 5)");
}

/* The dense prediction (BLAS kernel values, libsvm's formulas) against libsvm's
 * own svm_predict_probability, row by row, on 500 random standardised rows. */
static void dense_equals_libsvm(const char *model_path, const char *what) {
  model_t m;
  char err[1000];
  if (model_load(model_path, 16, &m, err, sizeof err)) return (void)CHECK(0, "%s: %s", what, err);
  size_t F = m.n_features, K = (size_t)m.n_classes, n = 500;
  real *x = malloc(n * F * sizeof *x), *p = malloc(n * K * sizeof *p);
  struct svm_node *v = malloc((F + 1) * sizeof *v);
  double q[64], worst = 0;
  unsigned long s = 12345;
  for (size_t i = 0; x && i < n * F; i++) { /* sums of uniforms: near-normal, mostly within +-3 */
    double u = 0;
    for (int r = 0; r < 4; r++) s = s * 6364136223846793005ul + 1442695040888963407ul, u += (double)(s >> 11) / 9007199254740992.0;
    x[i] = (real)((u - 2) * 1.7);
  }
  int ok = x && p && v && classic_predict(m.classic, (int)K, x, (int)n, p) == 0;
  const struct svm_model *sm = m.classic->svm;
  for (size_t i = 0; ok && i < n; i++) {
    for (size_t f = 0; f < F; f++) v[f] = (struct svm_node){(int)f + 1, x[i * F + f]};
    v[F].index = -1;
    svm_predict_probability(sm, v, q);
    for (int j = 0; j < sm->nr_class; j++) worst = fmax(worst, fabs(q[j] - p[i * K + (size_t)sm->label[j]]));
  }
  printf("  %s: dense prediction against libsvm's, %zu rows: worst |difference| %.2g\n", what, n, worst);
  CHECK(ok && worst < 1e-6, "%s: the dense prediction gives libsvm's probabilities (float32 output; worst %.2g)", what,
        worst);
  free(x), free(p), free(v);
  model_free(&m);
}

static void test_svm(void) {
  CHECK(train_and_evaluate("svm", "", "svm") == 0 && contains(at("svm.train"), "support vectors") &&
            contains(at("svm.csv"), ",vote"), "train svm, evaluate --predictions with its votes");
  svm_agrees("svm", "rbf");
  CHECK(train_and_evaluate("svm", "--kernel linear", "svml") == 0, "train svm --kernel linear");
  svm_agrees("svml", "linear");
  int rc = run("%s train svm --features %s -o %s --seed 3 > /dev/null 2>&1 && %s train svm --features %s -o %s --seed 3 "
               "> /dev/null 2>&1 && cmp -s %s %s", g, at("train.csv"), at("s1.model"), g, at("train.csv"), at("s2.model"),
               at("s1.model"), at("s2.model"));
  CHECK(rc == 0, "the same seed, the same SVM model file (libsvm's probability folds and the temperature's twin)");
  dense_equals_libsvm(at("s1.model"), "svm (RBF)");
  dense_equals_libsvm(at("svml.model"), "svm (linear)");
  rc = run("%s cv svm --features %s/feat/features_3_sec.csv --folds 3 --threads 2 > %s 2>&1", g, dir, at("cvs.log"));
  CHECK(rc == 0 && contains(at("cvs.log"), "cross-validation of the SVM"), "cv svm (exit %d)", rc);
}

static void test_logreg(void) {
  CHECK(train_and_evaluate("logreg", "", "lr") == 0 && contains(at("lr.train"), "L-BFGS"), "train logreg, evaluate --predictions");
  long v[3];
  double worst;
  int rc = sklearn("logreg", "1", "-", "lr", v, &worst);
  if (rc >= 0)
    CHECK(rc == 0 && v[0] > 0 && v[1] == v[0] && worst <= 1e-3,
          "lr: LogisticRegression()'s label on every test row (%ld of %ld), its probabilities within 1e-3 (%.3g)", v[1],
          v[0], worst);
  rc = run("%s train logreg --features %s -o %s --C 0.01 --no-calibrate > %s 2>&1", g, at("train.csv"), at("lr2.model"),
           at("lr2.log"));
  CHECK(rc == 0 && contains(at("lr2.log"), "C 0.01"), "train logreg --C 0.01");
}

/* XGBoost through its C API against python3-xgboost, the same library: the same probabilities */
static void test_trees(void) {
  static const char *const kinds[2] = {"gbdt", "rf"};
  int have = run("/usr/bin/python3 -c 'import xgboost, sklearn' > /dev/null 2>&1") == 0;
  if (!have) printf("SKIP XGBoost parity: /usr/bin/python3 lacks xgboost (make test-deps installs python3-xgboost)\n");
  for (int i = 0; i < 2; i++) {
    char extra[64];
    snprintf(extra, sizeof extra, "--threads 1 --seed 1");
    CHECK(train_and_evaluate(kinds[i], extra, kinds[i]) == 0, "train %s, evaluate --predictions", kinds[i]);
    long v[3];
    double worst;
    if (have && sklearn(kinds[i], "1", "-", kinds[i], v, &worst) >= 0)
      CHECK(v[0] > 0 && v[1] == v[0] && worst <= 1e-6,
            "%s: python3-xgboost's probabilities within 1e-6 (%.3g) and labels on every row (%ld of %ld)", kinds[i], worst,
            v[1], v[0]);
  }
  int rc = run("%s train rf --features %s -o %s --seed 5 --threads 2 > /dev/null 2>&1 && %s train rf --features %s -o %s "
               "--seed 5 --threads 2 > /dev/null 2>&1 && cmp -s %s %s", g, at("train.csv"), at("r1.model"), g,
               at("train.csv"), at("r2.model"), at("r1.model"), at("r2.model"));
  CHECK(rc == 0, "the same seed, the same forest's model file, on two threads");
}

/* genre folds writes the experiment's assignment; every report holds it as folds.csv */
static void test_folds(void) {
  int rc = run("cd %s && %s experiment --features feat/features_3_sec.csv --ann-epochs 2 --folds 3 --repeats 2 -o rep "
               "--no-calibrate > /dev/null 2>&1 && %s folds --features feat/features_3_sec.csv --folds 3 --repeats 2 -o "
               "folds.csv > folds.log 2>&1", dir, g, g);
  CHECK(rc == 0 && contains(at("folds.log"), "60 tracks, 3 folds, 2 repeats"), "experiment and folds (exit %d)", rc);
  CHECK(run("cmp -s %s/rep/folds.csv %s", dir, at("folds.csv")) == 0,
        "genre folds writes the very folds.csv the experiment wrote with the same options");
  /* the first repeat's fold of every segment in predictions.csv is its track's in folds.csv */
  rc = run("cd %s && awk -F, 'NR == FNR { if ($2 == 1) f[$1] = $3; next } FNR > 1 && $1 == \"ann\" { n++; if (f[$3] != $2) bad++ } "
           "END { exit !(n == 180 && bad == 0) }' folds.csv rep/predictions.csv", dir);
  CHECK(rc == 0, "predictions.csv's folds are folds.csv's (180 segments)");
  rc = run("cd %s && %s folds --data feat --protocol random-split -o leaky.csv > /dev/null 2>&1 && "
           "[ $(wc -l < leaky.csv) = 181 ] && grep -q '^ambient.00000.0.wav,1,' leaky.csv", dir, g);
  CHECK(rc == 0, "random-split: one line per segment");
  rc = run("cd %s && mkdir -p split && printf 'ambient/ambient.00000.wav\nchiptune/chiptune.00000.wav\n' > split/test.txt && "
           "printf 'ambient/ambient.00001.wav\nchiptune/chiptune.00001.wav\n' > split/train.txt && "
           "%s folds --features feat/features_3_sec.csv --protocol split:split -o split.csv > /dev/null 2>&1 && "
           "grep -q '^ambient.00000,1,test$' split.csv && grep -q '^chiptune.00001,1,train$' split.csv && "
           "[ $(wc -l < split.csv) = 5 ]", dir, g);
  CHECK(rc == 0, "a published split: test and train, the listed tracks only");
  rc = run("%s folds --features %s -o %s --folds 1 > /dev/null 2> %s", g, at("train.csv"), at("x.csv"), at("err"));
  CHECK(rc == 1, "--folds 1: refused");
}

static void test_commands(void) {
  int rc = run("%s cv knn --features %s/feat/features_3_sec.csv --folds 3 > %s 2>&1", g, dir, at("cv.log"));
  CHECK(rc == 0 && contains(at("cv.log"), "3-fold cross-validation of the kNN") && contains(at("cv.log"), "track accuracy"),
        "cv knn: grouped folds, segment and track accuracy (exit %d)", rc);
  rc = run("%s predict -m %s.model --format csv %s/syn/genres_original > %s 2>&1", g, at("knn"), dir, at("pred.csv"));
  CHECK(rc == 0 && run("[ $(grep -c '\\.wav,' %s) = 60 ]", at("pred.csv")) == 0, "predict with a kNN: 60 recordings (exit %d)", rc);
  rc = run("%s predict -m %s.model --segments --format csv %s/syn/genres_original/waltz > %s 2>&1", g, at("knn"), dir,
           at("seg.csv"));
  CHECK(rc == 0 && contains(at("seg.csv"), "segment"), "predict --segments with a kNN");
  rc = run("%s export -m %s.model -o %s > /dev/null 2> %s", g, at("knn"), at("knn.onnx"), at("err"));
  CHECK(rc == 1 && contains(at("err"), "the kinds that export to ONNX are ann and cnn") && run("test -e %s", at("knn.onnx")) != 0,
        "export of a kNN: refused, naming the kinds that export, nothing written");
  rc = run("%s embed -m %s.model -o %s %s/syn/genres_original > /dev/null 2> %s", g, at("knn"), at("emb"), dir, at("err"));
  CHECK(rc == 1 && contains(at("err"), "no layers"), "embed with a kNN: refused");
  rc = run("%s explain -m %s.model -o %s %s/syn/genres_original/waltz/waltz.00000.wav > /dev/null 2> %s", g, at("knn"),
           at("why"), dir, at("err"));
  CHECK(rc == 1 && contains(at("err"), "not a kNN model"), "explain with a kNN: refused");
  rc = run("%s train knn --features %s -o %s --k 1000 > /dev/null 2> %s", g, at("train.csv"), at("big.model"), at("err"));
  CHECK(rc == 1 && contains(at("err"), "k = 1000 neighbours among"), "k larger than the training rows: refused");
  rc = run("%s train knn --features %s -o %s --epochs 3 > /dev/null 2> %s", g, at("train.csv"), at("e.model"), at("err"));
  CHECK(rc == 1, "train knn --epochs: not an option of a kind trained without epochs");
}

static void test_damaged(void) {
  /* the kNN's rows changed after the checksum is recomputed: refused by what they claim */
  size_t n;
  char *bytes = slurp(at("knn.model"), &n);
  CHECK(bytes && n > 200, "the kNN model read");
  if (!bytes) return;
  write_bytes(at("cut.model"), bytes, n - 20);
  int rc = run("%s predict -m %s %s/syn/genres_original/waltz/waltz.00000.wav > /dev/null 2> %s", g, at("cut.model"),
               dir, at("err"));
  CHECK(rc == 1 && contains(at("err"), "cut.model"), "a kNN model cut short: refused by name (exit %d)", rc);
  free(bytes);
}

int main(void) {
  RUN(setup);
  RUN(test_knn);
  RUN(test_svm);
  RUN(test_logreg);
  RUN(test_trees);
  RUN(test_folds);
  RUN(test_commands);
  RUN(test_damaged);
  run("rm -rf %s", dir);
  return check_summary();
}
