/* genre experiment over a list of models: every kind and ensemble in one
 * report with every pair compared (Holm-adjusted), a model trained elsewhere
 * imported on folds.csv's folds, bad lists and bad imports refused before
 * anything trains or is written, fold jobs and --save-models for any list. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char dir[600];

static const char *at(const char *fmt, ...) {
  static char buf[8][1200];
  static int k;
  char name[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static int count(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; s && (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* metrics.json's value of `key` in the object of model m (the text after it, to the comma) */
static void model_value(const char *json, const char *m, const char *key, char *out, size_t len) {
  char k[200];
  snprintf(k, sizeof k, "\"%s\": {", m);
  const char *p = json ? strstr(json, k) : NULL;
  snprintf(k, sizeof k, "\"%s\": ", key);
  p = p ? strstr(p, k) : NULL;
  out[0] = '\0';
  if (p) snprintf(out, len, "%.*s", (int)strcspn(p + strlen(k), ",\n"), p + strlen(k));
}

static const char *const keys[] = {"ann", "cnn", "svm", "knn", "logreg", "gbdt", "rf", "ensemble", "all"};

static void test_every_kind(void) {
  const char *g = genre_bin();
  int light = memcheck();
  CHECK(run("%s synth -o %s/corpus -n 6 -s %d > /dev/null && %s extract -o %s/out %s/corpus/genres_original "
            "--no-progress > /dev/null", g, dir, light ? 6 : 9, g, dir, dir) == 0, "synthetic corpus extracted");
  CHECK(run("%s experiment --data %s --folds 3 --ann-epochs %d --cnn-epochs 1 -o %s "
            "--models ann,cnn,svm,knn,logreg,gbdt,rf --ensemble all=ann+cnn+svm > %s 2>&1",
            g, at("out"), light ? 4 : 20, at("all"), at("all.log")) == 0, "seven kinds and two ensembles in one experiment");
  char *json = slurp(at("all/metrics.json"), NULL), *md = slurp(at("all/report.md"), NULL);
  char *html = slurp(at("all/report.html"), NULL), *rank = slurp(at("all/ranking.svg"), NULL);
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    char k[100];
    snprintf(k, sizeof k, "\"%s\": {", keys[i]);
    CHECK(count(json, k) == 1, "metrics.json: models.%s", keys[i]);
    CHECK(access(at("all/confusion_%s.svg", keys[i]), R_OK) == 0 && access(at("all/reliability_%s.svg", keys[i]), R_OK) == 0,
          "%s: its matrix and reliability diagram", keys[i]);
    snprintf(k, sizeof k, "{\"key\": \"%s\"", keys[i]);
    CHECK(count(html, k) == 1, "report.html: %s's matrix, cells and track views", keys[i]);
  }
  CHECK(count(json, "\"test\": \"mcnemar-exact\"") == 36, "every pair of the 9 models compared on tracks (36)");
  CHECK(count(json, "\"p_holm\": ") == count(json, "\"p\": ") && count(json, "\"p_holm\": ") >= 28 * 3,
        "p_holm beside every p (%d comparisons)", count(json, "\"p_holm\": "));
  char *ranking = md ? strstr(md, "## Ranking (track accuracy)") : NULL, *end = ranking ? strstr(ranking, "![Ranking]") : NULL;
  if (end) *end = '\0';
  CHECK(end && strstr(ranking, "\n| 9 | ") && !strstr(ranking, "\n| 10 | ") && strstr(end + 1, "p_Holm = "),
        "report.md opens with the ranking and reads Holm's p-values");
  CHECK(count(rank, "class=\"model\"") == 9 && strstr(rank, "</svg>"), "ranking.svg: one row per model");
  CHECK(access(at("all/folds.csv"), R_OK) == 0, "folds.csv beside the report");
  CHECK(count(json, "\"importance\": {") == 6, "permutation importance for every feature model (6 of the 9)");
  CHECK(access(at("all/importance_svm.svg"), R_OK) == 0 && access(at("all/importance_rf.svg"), R_OK) == 0 &&
            access(at("all/importance_cnn.svg"), R_OK) != 0, "importance_<model>.svg for the feature models");
  if (run("/usr/bin/python3 -c 'import json' 2> /dev/null") != 0) {
    printf("SKIP Holm recomputed: no python3\n");
  } else {
    CHECK(run("/usr/bin/python3 tests/suite_check.py holm %s > %s", at("all/metrics.json"), at("holm.txt")) == 0,
          "Holm's adjustment recomputed by an independent reader");
    char *h = slurp(at("holm.txt"), NULL);
    CHECK(h && strstr(h, "holm worst 0 pairs 36"), "every p_holm as recomputed: %s", h ? h : "(none)");
    free(h);
  }
  free(json), free(md), free(html), free(rank);
}

/* the svm's rows of predictions.csv as an import file: segment names, or their index k */
static int svm_as_import(const char *from, const char *to, int by_index, int drop, int dup, int bad_sum) {
  FILE *in = fopen(from, "r"), *out = fopen(to, "w");
  char line[8192];
  int n = 0;
  if (!in || !out) return (in ? fclose(in) : 0), (out ? fclose(out) : 0), -1;
  if (fgets(line, sizeof line, in)) { /* model,fold,track,segment,true,predicted,p_... */
    char *p = strstr(line, "p_");
    fprintf(out, "track,segment,%s", p ? p : "\n");
  }
  while (fgets(line, sizeof line, in)) {
    char model[64], track[256], seg[256];
    int fold;
    if (sscanf(line, "%63[^,],%d,%255[^,],%255[^,],", model, &fold, track, seg) != 4 || strcmp(model, "svm")) continue;
    if (n++ == drop) continue;
    char *p = line;
    for (int c = 0; c < 6 && p; c++) p = strchr(p, ','), p = p ? p + 1 : NULL;
    if (!p) continue;
    if (by_index) {
      char *dot = strrchr(seg, '.');
      *dot = '\0';
      fprintf(out, "%s,%s,%s", track, strrchr(seg, '.') + 1, p);
    } else if (bad_sum && n == 3) {
      fprintf(out, "%s,%s,0.5%s", track, seg, strchr(p, ','));
    } else {
      fprintf(out, "%s,%s,%s", track, seg, p);
    }
    if (dup && n == 2) fprintf(out, "%s,%s,%s", track, seg, p);
  }
  fclose(in), fclose(out);
  return 0;
}

static void test_import(void) {
  const char *g = genre_bin();
  CHECK(svm_as_import(at("all/predictions.csv"), at("svm.csv"), 0, -1, 0, 0) == 0, "the SVM's predictions as a file");
  CHECK(svm_as_import(at("all/predictions.csv"), at("svm_k.csv"), 1, -1, 0, 0) == 0, "and by segment index");
  CHECK(run("%s experiment --data %s --folds 3 --models svm --import mine=%s --import byk=%s --ensemble both=svm+mine "
            "-o %s > /dev/null 2>&1", g, at("out"), at("svm.csv"), at("svm_k.csv"), at("imp")) == 0,
        "two imports and an ensemble with one");
  char *json = slurp(at("imp/metrics.json"), NULL);
  char v_svm[64], v_mine[64], v_k[64];
  const char *fields[] = {"accuracy_mean", "track_accuracy_mean", "macro_f1_mean"};
  for (int i = 0; i < 3; i++) {
    model_value(json, "svm", fields[i], v_svm, sizeof v_svm);
    model_value(json, "mine", fields[i], v_mine, sizeof v_mine);
    model_value(json, "byk", fields[i], v_k, sizeof v_k);
    CHECK(v_svm[0] && strcmp(v_svm, v_mine) == 0 && strcmp(v_svm, v_k) == 0,
          "the imported SVM scores as the SVM: %s %s %s %s", fields[i], v_svm, v_mine, v_k);
  }
  CHECK(count(json, "\"both\": {") == 1, "the ensemble with the import reported");
  free(json);
  int twice = 0;
  for (int i = 1; i <= 2; i++)
    twice += run("%s experiment --data %s --folds 3 --models svm --import mine=%s -o %s/imp%d > /dev/null 2>&1", g,
                 at("out"), at("svm.csv"), dir, i) == 0;
  CHECK(twice == 2 && run("cmp -s %s %s", at("imp1/metrics.json"), at("imp2/metrics.json")) == 0,
        "the same command twice: the same metrics.json");

  /* bad files: refused naming the line and what is wrong; nothing written, nothing trained */
  struct { int drop, dup, bad_sum; const char *says; } bad[] = {
      {5, 0, 0, "have no probabilities"}, {-1, 1, 0, "is given again"}, {-1, 0, 1, "sum to"}};
  for (int i = 0; i < 3; i++) {
    CHECK(svm_as_import(at("all/predictions.csv"), at("bad%d.csv", i), 0, bad[i].drop, bad[i].dup, bad[i].bad_sum) == 0,
          "bad file %d made", i);
    CHECK(run("%s experiment --data %s --folds 3 --models svm --import x=%s -o %s > %s 2>&1", g, at("out"),
              at("bad%d.csv", i), at("badrep"), at("bad.log")) == 1 && contains(at("bad.log"), bad[i].says) &&
              !contains(at("bad.log"), "folds...") && access(at("badrep"), F_OK) != 0,
          "an import that %s: refused before training, nothing written", bad[i].says);
  }
  write_bytes(at("bad3.csv"), "track,segment,p_x\nnope,nope.0.wav,1\n", 36);
  CHECK(run("%s experiment --data %s --folds 3 --models svm --import x=%s -o %s > %s 2>&1", g, at("out"), at("bad3.csv"),
            at("badrep"), at("bad.log")) == 1 && contains(at("bad.log"), "no column 'p_"),
        "an import without the experiment's labels: refused");
}

static void test_bad_lists(void) {
  const char *g = genre_bin();
  struct { const char *args, *says; } bad[] = {
      {"--models ann,forest", "the kinds are ann, cnn, knn, svm, logreg, gbdt, rf"},
      {"--models svm:nope", "default (RBF"},
      {"--models ann,ann", "twice"},
      {"--models svm --ensemble x=svm+zzz", "'zzz' is not a listed model"},
      {"--models svm,knn --ensemble svm=svm+knn", "already a model's name"},
      {"--models svm --import bad", "NAME=PREDICTIONS.csv"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    CHECK(run("%s experiment --data %s -o %s %s > %s 2>&1", g, at("out"), at("never"), bad[i].args, at("list.log")) == 1 &&
              contains(at("list.log"), bad[i].says) && access(at("never"), F_OK) != 0,
          "%s: refused, saying %s", bad[i].args, bad[i].says);
  CHECK(run("%s experiment --features %s -o %s --models svm,cnn > %s 2>&1", g, at("out/features_3_sec.csv"), at("never"),
            at("list.log")) == 1 && contains(at("list.log"), "cnn needs --data") && !contains(at("list.log"), "folds..."),
        "a CNN given only a feature table: refused before anything trains");
}

/* fold jobs and their merge give the one-process report, for classical kinds too; --save-models names files by entry */
static void test_jobs_and_saved(void) {
  const char *g = genre_bin();
  const char *opts = "--folds 3 --models svm,knn,logreg:default";
  int ok = 1;
  for (int k = 1; k <= 3; k++)
    ok &= run("%s experiment --data %s %s -o %s --fold %d > /dev/null 2>&1", g, at("out"), opts, at("jobs"), k) == 0;
  CHECK(ok, "three fold jobs");
  CHECK(run("%s experiment --data %s %s -o %s --merge > /dev/null 2>&1", g, at("out"), opts, at("jobs")) == 0, "merged");
  CHECK(run("%s experiment --data %s %s -o %s --save-models %s > /dev/null 2>&1", g, at("out"), opts, at("one"),
            at("saved")) == 0, "one process, saving the models");
  CHECK(run("cmp -s %s %s", at("jobs/metrics.json"), at("one/metrics.json")) == 0, "the merged report is the one-process report");
  CHECK(access(at("saved/svm.model"), R_OK) == 0 && access(at("saved/logreg-default.model"), R_OK) == 0,
        "--save-models: one file per entry, named after it");
  CHECK(run("%s predict -m %s -m %s %s > %s 2>&1", g, at("saved/svm.model"), at("saved/knn.model"),
            at("corpus/genres_original"), at("pred.txt")) == 0, "the saved models predict together");
}

static void test_sklearn_import(void) {
  const char *g = genre_bin();
  if (run("/usr/bin/python3 -c 'import sklearn, numpy' 2> /dev/null") != 0) {
    printf("SKIP a scikit-learn model imported: no python3-sklearn\n");
    return;
  }
  CHECK(run("/usr/bin/python3 tests/suite_check.py sklearn %s %s %s > /dev/null", at("out/features_3_sec.csv"),
            at("all/folds.csv"), at("sk.csv")) == 0, "scikit-learn trained on folds.csv's folds");
  CHECK(run("%s experiment --data %s --folds 3 --models logreg --import sklearn=%s -o %s > /dev/null 2>&1", g, at("out"),
            at("sk.csv"), at("sk")) == 0, "its predictions imported");
  char *json = slurp(at("sk/metrics.json"), NULL), a[64], b[64];
  model_value(json, "logreg", "track_accuracy_mean", a, sizeof a);
  model_value(json, "sklearn", "track_accuracy_mean", b, sizeof b);
  CHECK(a[0] && b[0] && fabs(atof(a) - atof(b)) <= 0.02, "scikit-learn's LogisticRegression beside ours: %s vs %s", b, a);
  free(json);
}

/* feats with every feature of fold 1's test tracks (folds.csv) replaced: the rows only that fold tests */
static int spoil_fold(const char *feats, const char *folds, const char *out) {
  char *f = slurp(folds, NULL), *t = slurp(feats, NULL), line[16384];
  FILE *in = fopen(feats, "r"), *o = fopen(out, "w");
  int spoiled = 0;
  if (!f || !t || !in || !o) return -1;
  for (int row = 0; fgets(line, sizeof line, in); row++) {
    char stem[512], key[600];
    size_t len = strcspn(line, ",");
    snprintf(stem, sizeof stem, "%.*s", (int)len, line);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = '\0', dot = strrchr(stem, '.');
    if (dot) *dot = '\0';
    snprintf(key, sizeof key, "\n%s,1,1\n", stem);
    if (row == 0 || !strstr(f, key)) {
      fputs(line, o);
      continue;
    }
    char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL, *last = strrchr(line, ',');
    fprintf(o, "%.*s", (int)(c2 - line), line); /* filename,length */
    for (char *p = c2; p && p < last; p = strchr(p + 1, ',')) fputs(",0.123", o);
    fputs(last, o);
    spoiled++;
  }
  fclose(in), fclose(o), free(f), free(t);
  return spoiled;
}

/* the lines of a tune_<model>.csv whose fold is `fold` */
static char *fold_lines(const char *path, int fold) {
  char *s = slurp(path, NULL), *out = calloc(1, s ? strlen(s) + 1 : 1), want[16];
  snprintf(want, sizeof want, "1,%d,", fold);
  for (char *l = s ? strtok(s, "\n") : NULL; l && out; l = strtok(NULL, "\n"))
    if (strncmp(l, want, strlen(want)) == 0) strcat(out, l), strcat(out, "\n");
  free(s);
  return out;
}

static void test_tune(void) {
  const char *g = genre_bin();
  CHECK(run("%s experiment --features %s --folds 3 --models svm,knn,logreg --tune -o %s > %s 2>&1", g,
            at("out/features_3_sec.csv"), at("tune"), at("tune.log")) == 0, "--tune: three kinds tuned in the folds");
  char *json = slurp(at("tune/metrics.json"), NULL), *md = slurp(at("tune/report.md"), NULL);
  CHECK(count(json, "\"tuned\": [") == 3 && count(json, "\"inner_accuracy\": ") == 9, "metrics.json: each fold's values, per model");
  CHECK(md && strstr(md, "## Tuning (nested cross-validation)") && strstr(md, "### SVM (features) (12 of 12 candidates)") &&
            strstr(md, "| fit | k | weights | inner accuracy |"), "report.md's tuning section, per model");
  CHECK(contains(at("tune.log"), "inner fits in all"), "the number of inner fits said before they run");
  char *csv = slurp(at("tune/tune_svm.csv"), NULL);
  CHECK(count(csv, "\n") == 1 + 3 * 12 && count(csv, ",1\n") == 3, "tune_svm.csv: 12 candidates x 3 folds, one chosen each");
  free(json), free(md), free(csv);
  CHECK(run("%s experiment --features %s --folds 3 --models svm --tune --tune-budget 6 -o %s > /dev/null 2>&1", g,
            at("out/features_3_sec.csv"), at("budget")) == 0, "--tune-budget");
  csv = slurp(at("budget/tune_svm.csv"), NULL);
  CHECK(count(csv, "\n") == 1 + 3 * 2, "a budget of 6 inner fits: 2 of the 12 candidates per fold");
  free(csv);
  /* the test fold never chooses: spoil its rows, and its choices stay */
  int spoiled = spoil_fold(at("out/features_3_sec.csv"), at("tune/folds.csv"), at("spoiled.csv"));
  CHECK(spoiled > 0, "fold 1's %d test rows spoiled", spoiled);
  CHECK(run("%s experiment --features %s --folds 3 --models svm,knn,logreg --tune -o %s > /dev/null 2>&1", g,
            at("spoiled.csv"), at("tune2")) == 0, "--tune on the spoiled table");
  const char *kinds[] = {"svm", "knn", "logreg"};
  for (int i = 0; i < 3; i++) {
    char *a = fold_lines(at("tune/tune_%s.csv", kinds[i]), 1), *b = fold_lines(at("tune2/tune_%s.csv", kinds[i]), 1);
    char *a2 = fold_lines(at("tune/tune_%s.csv", kinds[i]), 2), *b2 = fold_lines(at("tune2/tune_%s.csv", kinds[i]), 2);
    CHECK(a && b && *a && strcmp(a, b) == 0, "%s: fold 1's candidates, scores and choice unchanged by its test rows", kinds[i]);
    CHECK(a2 && b2 && *a2 && strcmp(a2, b2) != 0, "%s: fold 2, which trains on them, scores otherwise", kinds[i]);
    free(a), free(b), free(a2), free(b2);
  }
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  RUN(test_every_kind);
  RUN(test_import);
  RUN(test_bad_lists);
  RUN(test_jobs_and_saved);
  RUN(test_sklearn_import);
  RUN(test_tune);
  return check_summary();
}
