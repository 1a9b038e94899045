/* The ANN as a user drives it: train / evaluate / cv on feature tables,
 * reproducibility, the model file's defences, and bad CSVs named precisely.
 * Also the protocol's building blocks: folds never split a track and are
 * stratified; metrics against hand-computed cases. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "dataset.h"
#include "folds.h"
#include "metrics.h"
#include "model.h"

static char dir[600];

/* Four well separated classes in 6 features (plus filename, length), as
 * segments (3 per track) when `segments`. */
static void write_blobs(const char *path, int tracks_per_class, int segments, unsigned long seed) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  FILE *f = fopen(path, "w");
  fprintf(f, "filename,length,f1,f2,f3,f4,f5,f6,label\n");
  const char *labels[4] = {"alpha", "beta", "gamma", "delta"};
  for (int c = 0; c < 4; c++)
    for (int t = 0; t < tracks_per_class; t++)
      for (int s = 0; s < (segments ? 3 : 1); s++) {
        if (segments) fprintf(f, "%s.%05d.%d.wav,66150", labels[c], t, s);
        else fprintf(f, "%s.%05d.wav,661500", labels[c], t);
        for (int k = 0; k < 6; k++) fprintf(f, ",%.6f", (k == c ? 3.0 : 0.0) + gsl_ran_gaussian(r, 0.7) + 100.0 * (k == 5));
        fprintf(f, ",%s\n", labels[c]);
      }
  fclose(f);
  gsl_rng_free(r);
}

static void test_train_evaluate(void) {
  const char *g = genre_bin();
  char csv[700], path[800];
  snprintf(csv, sizeof csv, "%s/blobs.csv", dir);
  write_blobs(csv, 40, 0, 1);
  CHECK(run("%s train ann --features %s -o %s/a.model --epochs 60 --quiet > %s/train.out 2>&1", g, csv, dir, dir) == 0,
        "train ann exits 0");
  snprintf(path, sizeof path, "%s/train.out", dir);
  CHECK(contains(path, "trained default"), "train prints what it did");
  CHECK(run("%s evaluate --model %s/a.model --features %s > %s/eval.out 2>&1", g, dir, csv, dir) == 0, "evaluate exits 0");
  snprintf(path, sizeof path, "%s/eval.out", dir);
  CHECK(contains(path, "confusion matrix") && contains(path, "precision") && contains(path, "top-2"),
        "evaluate prints the confusion matrix, per-class scores and top-2");
  /* separable classes: near-perfect training accuracy */
  FILE *f = fopen(path, "r");
  double acc = 0;
  char line[512];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "accuracy %lf", &acc) == 1) break;
  if (f) fclose(f);
  CHECK(acc > 0.95, "separable blobs learned (accuracy %.3f)", acc);
  /* same seed, same model bytes; another seed, other bytes */
  run("%s train ann --features %s -o %s/b.model --epochs 60 --quiet > /dev/null 2>&1", g, csv, dir);
  run("%s train ann --features %s -o %s/c.model --epochs 60 --seed 2 --quiet > /dev/null 2>&1", g, csv, dir);
  CHECK(run("cmp -s %s/a.model %s/b.model", dir, dir) == 0, "same seed: byte-identical model");
  CHECK(run("cmp -s %s/a.model %s/c.model", dir, dir) != 0, "another seed: another model");
  /* the Keras projects' preset trains too, under its name and its old one */
  CHECK(run("%s train ann --arch keras-mlp --features %s -o %s/s.model --epochs 5 --quiet > /dev/null 2>&1", g, csv,
            dir) == 0 &&
            run("%s train ann --arch seed --features %s -o %s/s2.model --epochs 5 --quiet > /dev/null 2>&1", g, csv,
                dir) == 0,
        "--arch keras-mlp trains, and --arch seed");
  CHECK(run("cmp -s %s/s.model %s/s2.model", dir, dir) == 0, "the old name is the same preset: the same model bytes");
  CHECK(run("%s train ann --help | grep -q -- '--batch N  *mini-batch size (default: 128)' && "
            "%s train ann --help | grep -q -- '--lr X  *Adam learning rate (default: 0.003' && "
            "%s train cnn --help | grep -q -- '--epochs N  *most epochs (default: 24)'", g, g, g) == 0,
        "--help's defaults are the default preset's (batch 128, lr 3e-3 for the ANN; 24 epochs for the CNN)");
  CHECK(run("%s info %s/s.model > %s/info.txt", g, dir, dir) == 0 &&
            run("grep -q 'ANN (features), preset keras-mlp' %s/info.txt && grep -q '^classes (4): alpha' %s/info.txt && "
                "grep -q ' dense_1 ' %s/info.txt && grep -q '^trained: {.command.: .genre train ann' %s/info.txt",
                dir, dir, dir, dir) == 0,
        "genre info: kind, preset, classes, layers by name, the training record");
  CHECK(run("%s evaluate -m %s/a.model --features %s 2>&1 | grep -q 'is the data .* was trained on: these are training "
            "figures'", g, dir, csv) == 0,
        "evaluate on the table the model was trained on: a warning");
  CHECK(run("%s train ann --arch seed007 --features %s -o %s/x.model 2>&1 | grep -q 'default, keras-mlp or keras-conv1d'",
            g, csv, dir) == 0,
        "an unknown preset lists the presets");
}

static void test_model_file_defences(void) {
  const char *g = genre_bin();
  char csv[700], model[700], err[1500];
  snprintf(csv, sizeof csv, "%s/blobs.csv", dir);
  snprintf(model, sizeof model, "%s/a.model", dir);
  model_t m;
  CHECK(model_load(model, 16, &m, err, sizeof err) == 0, "model loads: %s", err);
  if (m.net) {
    CHECK(m.kind == MODEL_ANN && m.n_classes == 4 && m.n_features == 6 && m.n_members == 2,
          "model records kind, labels, features, members");
    CHECK(strcmp(m.labels[0], "alpha") == 0 && strcmp(m.feature_names[0], "f1") == 0, "names kept in order");
    model_free(&m);
  }
  struct {
    const char *cmd, *expect, *what;
  } cases[] = {
      {"head -c 100 %s/a.model > %s/bad.model", "checksum", "truncated"},
      {"cp %s/a.model %s/bad.model && printf '\\x55' | dd of=%s/bad.model bs=1 seek=300 conv=notrunc 2>/dev/null",
       "checksum", "a flipped byte"},
      {"cp %s/blobs.csv %s/bad.model", "not a genre model", "a foreign file"},
      {": > %s/bad.model", "not a genre model", "an empty file"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    run(cases[i].cmd, dir, dir, dir);
    char bad[700];
    snprintf(bad, sizeof bad, "%s/bad.model", dir);
    CHECK(model_load(bad, 16, &m, err, sizeof err) != 0 && strstr(err, cases[i].expect),
          "%s model refused: %s", cases[i].what, err);
    CHECK(run("%s evaluate --model %s --features %s > /dev/null 2>&1", g, bad, csv) == 1,
          "evaluate with %s model: exit 1, no crash", cases[i].what);
  }
}

/* dir/name holding text; its path in path[len]. */
static void write_table(char *path, size_t len, const char *name, const char *text) {
  snprintf(path, len, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

/* Each bad table: a clear message naming file, row and column, exit 1. */
static void test_bad_tables(void) {
  const char *g = genre_bin();
  struct {
    const char *name, *text, *expect;
  } cases[] = {
      {"nolabel.csv", "filename,a,b\nx.wav,1,2\n", "no 'label' column"},
      {"text.csv", "filename,a,b,label\nx.wav,1,2,p\ny.wav,1,oops,q\n", "row 3, column 'b': 'oops' is not a number"},
      {"nan.csv", "filename,a,b,label\nx.wav,1,nan,p\ny.wav,1,2,q\n", "row 2, column 'b': 'nan' is not finite"},
      {"inf.csv", "filename,a,b,label\nx.wav,inf,1,p\ny.wav,1,2,q\n", "is not finite"},
      {"ragged.csv", "filename,a,b,label\nx.wav,1,2,p\ny.wav,1,q\n", "row 3 has 3 fields, the header has 4"},
      {"empty.csv", "", "empty file"},
      {"header.csv", "filename,a,b,label\n", "no rows"},
      {"emptycell.csv", "filename,a,b,label\nx.wav,1,,p\ny.wav,1,2,q\n", "row 2, column 'b': '' is empty"},
      {"single.csv", "filename,a,b,label\nx.wav,1,2,p\ny.wav,3,4,p\n", "a single label"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char path[800], out[800];
    write_table(path, sizeof path, cases[i].name, cases[i].text);
    snprintf(out, sizeof out, "%s/%s.err", dir, cases[i].name);
    int rc = run("%s train ann --features %s -o %s/never.model --quiet > %s 2>&1", g, path, dir, out);
    CHECK(rc == 1 && contains(out, cases[i].expect) && contains(out, cases[i].name),
          "%s: exit %d, message names file and reason ('%s')", cases[i].name, rc, cases[i].expect);
  }
  CHECK(run("test -e %s/never.model", dir) != 0, "no model written for a bad table");
}

/* Columns read by name: evaluation with an unknown label, a missing, an extra
 * or a text column; training with text columns, refused or --ignore-columns. */
static void test_columns_by_name(void) {
  const char *g = genre_bin();
  char path[800], out[800];
  write_table(path, sizeof path, "unknown.csv", "filename,length,f1,f2,f3,f4,f5,f6,label\nx.wav,1,1,2,3,4,5,6,omega\n");
  snprintf(out, sizeof out, "%s/unknown.err", dir);
  CHECK(run("%s evaluate --model %s/a.model --features %s > %s 2>&1", g, dir, path, out) == 1 &&
            contains(out, "'omega' is not one of the model's 4 labels") && contains(out, "row 2"),
        "a label unseen in training is named");
  write_table(path, sizeof path, "missing.csv", "filename,length,f1,f2,f3,f4,f5,label\nx.wav,1,1,2,3,4,5,alpha\n");
  CHECK(run("%s evaluate --model %s/a.model --features %s > %s 2>&1", g, dir, path, out) == 1 &&
            contains(out, "feature-column mismatch") && contains(out, "'f6'"),
        "a feature column missing from the table is named");
  write_table(path, sizeof path, "extra.csv", "filename,length,f1,f2,f3,f4,f5,f6,f7,label\nx.wav,1,1,2,3,4,5,6,7,alpha\n");
  CHECK(run("%s evaluate --model %s/a.model --features %s > %s 2>&1", g, dir, path, out) == 0 &&
            contains(out, "1 column the model was not trained on ('f7') not used"),
        "an extra column: the model's columns read by name, the other one named and not used");
  write_table(path, sizeof path, "text.csv",
              "artist,filename,length,f6,f5,f4,f3,f2,f1,label\nSome Band,x.wav,1,6,5,4,3,2,1,alpha\n");
  CHECK(run("%s evaluate --model %s/a.model --features %s > %s 2>&1", g, dir, path, out) == 0 &&
            contains(out, "('artist') not used"),
        "a text column and the columns in another order: read by name");
  write_table(path, sizeof path, "text2.csv", "artist,filename,length,f1,f2,label\nA,x.wav,1,1,2,alpha\nB,y.wav,1,2,1,beta\n");
  CHECK(run("%s train ann --features %s -o %s/t.model --epochs 2 --quiet > %s 2>&1", g, path, dir, out) == 1 &&
            contains(out, "'artist'"),
        "train on a table with a text column: refused, the column named");
  CHECK(run("%s train ann --features %s -o %s/t.model --epochs 2 --quiet --ignore-columns artist > %s 2>&1", g, path,
            dir, out) == 0 && contains(out, "1 column not read as features (--ignore-columns: 'artist')"),
        "--ignore-columns artist: trained, and said");
  write_table(path, sizeof path, "text3.csv",
              "artist,album,filename,length,f1,f2,label\nA,X,x.wav,1,1,2,alpha\nB,Y,y.wav,1,2,1,beta\n");
  CHECK(run("%s train ann --features %s -o %s/t.model --epochs 2 --quiet --ignore-columns artist,album > %s 2>&1", g,
            path, dir, out) == 0 && contains(out, "2 columns not read as features"),
        "--ignore-columns artist,album: both left out, and counted");
}

static void test_cv_command(void) {
  const char *g = genre_bin();
  char csv[700], json[700], out[700];
  snprintf(csv, sizeof csv, "%s/segments.csv", dir);
  write_blobs(csv, 12, 1, 2);
  snprintf(json, sizeof json, "%s/cv.json", dir);
  snprintf(out, sizeof out, "%s/cv.out", dir);
  CHECK(run("%s cv ann --features %s --folds 4 --epochs 40 --json %s > %s 2>&1", g, csv, json, out) == 0, "cv ann exits 0");
  CHECK(contains(out, "grouped by track") && contains(out, "track accuracy"), "segments are cross-validated by track");
  const char *keys[] = {"\"accuracy_mean\"", "\"accuracy_std\"", "\"folds\"", "\"labels\"", "\"confusion\"",
                        "\"track_accuracy_mean\"", "\"top2_mean\""};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) CHECK(contains(json, keys[i]), "cv JSON has %s", keys[i]);
  char json2[700];
  snprintf(json2, sizeof json2, "%s/cv2.json", dir);
  CHECK(run("%s cv ann --features %s --folds 4 --epochs 40 --threads 1 --json %s > /dev/null 2>&1", g, csv, json2) == 0,
        "cv ann with one thread");
  /* seconds differ between runs; everything else must not */
  CHECK(run("grep -v seconds %s > %s.a && grep -v seconds %s > %s.b && cmp -s %s.a %s.b", json, json, json2, json2, json,
            json2) == 0,
        "same seed, any thread count: identical results");
}

/* Folds over tracks: no track on both sides; every label spread evenly. */
static void test_folds(void) {
  enum { TRACKS = 103, SEGS = 4, K = 5, CLASSES = 3 };
  int group[TRACKS * SEGS], y[TRACKS * SEGS], fold[TRACKS];
  for (int t = 0; t < TRACKS; t++)
    for (int s = 0; s < SEGS; s++) group[t * SEGS + s] = t, y[t * SEGS + s] = t % CLASSES;
  char err[200];
  CHECK(folds_assign(group, y, TRACKS * SEGS, TRACKS, CLASSES, K, 9, fold, err, sizeof err) == 0, "folds assigned");
  int per[K][CLASSES] = {{0}};
  for (int t = 0; t < TRACKS; t++) per[fold[t]][t % CLASSES]++;
  int worst = 0;
  for (int c = 0; c < CLASSES; c++) {
    int lo = 1 << 30, hi = 0;
    for (int f = 0; f < K; f++) lo = per[f][c] < lo ? per[f][c] : lo, hi = per[f][c] > hi ? per[f][c] : hi;
    worst = hi - lo > worst ? hi - lo : worst;
  }
  CHECK(worst <= 1, "stratified: each label's tracks differ by at most one between folds (%d)", worst);
  int sizes[K] = {0}, lo = 1 << 30, hi = 0;
  for (int t = 0; t < TRACKS; t++) sizes[fold[t]]++;
  for (int f = 0; f < K; f++) lo = sizes[f] < lo ? sizes[f] : lo, hi = sizes[f] > hi ? sizes[f] : hi;
  CHECK(hi - lo <= 1, "fold sizes differ by at most one track (%d..%d)", lo, hi);
  /* a validation split keeps tracks whole too */
  size_t idx[TRACKS * SEGS], tr[TRACKS * SEGS], va[TRACKS * SEGS], nt, nv;
  for (size_t i = 0; i < TRACKS * SEGS; i++) idx[i] = i;
  split_validation(idx, TRACKS * SEGS, group, y, TRACKS, 0.2, 3, tr, &nt, va, &nv);
  char side[TRACKS] = {0};
  int split = 0;
  for (size_t i = 0; i < nt; i++) side[group[tr[i]]] |= 1;
  for (size_t i = 0; i < nv; i++) side[group[va[i]]] |= 2;
  for (int t = 0; t < TRACKS; t++) split += side[t] == 3;
  CHECK(split == 0 && nt + nv == TRACKS * SEGS && nv > 0, "validation split by track (%d tracks split)", split);
  /* a track whose rows disagree on the label is refused */
  y[1] = 2;
  CHECK(folds_assign(group, y, TRACKS * SEGS, TRACKS, CLASSES, K, 9, fold, err, sizeof err) != 0, "conflicting labels refused");
  /* track names from row names */
  char t[64];
  track_of("blues.00000.3.wav", t, sizeof t);
  CHECK(strcmp(t, "blues.00000") == 0, "segment name -> track (%s)", t);
  track_of("blues.00000.wav", t, sizeof t);
  CHECK(strcmp(t, "blues.00000.wav") == 0, "GTZAN track name is its own track (%s)", t);
  track_of("song.10.wav", t, sizeof t);
  CHECK(strcmp(t, "song") == 0, "segment 10 (%s)", t);
}

/* Metrics against hand-computed values. */
static void test_metrics(void) {
  /* 3 classes, 6 predictions */
  real probs[6][3] = {{0.7f, 0.2f, 0.1f}, {0.1f, 0.6f, 0.3f}, {0.3f, 0.4f, 0.3f},
                      {0.2f, 0.3f, 0.5f}, {0.5f, 0.1f, 0.4f}, {0.1f, 0.1f, 0.8f}};
  int y[6] = {0, 1, 0, 2, 2, 2};
  metrics_t m;
  metrics_init(&m, 3);
  metrics_add(&m, &probs[0][0], y, 6);
  metrics_finish(&m);
  /* predicted: 0 1 1 2 0 2 -> right: 1,1,0,1,0,1 = 4/6 */
  CHECK_NEAR(m.accuracy, 4.0 / 6, 1e-12, "accuracy");
  /* top-2: row 3 (true 0, top-2 {1, 0 or 2 tie...}) p = .3 .4 .3 -> second is class 0 (first max after 1) */
  CHECK_NEAR(m.top2, 6.0 / 6, 1e-12, "top-2 accuracy");
  long expect[9] = {1, 1, 0, 0, 1, 0, 1, 0, 2};
  int same = 1;
  for (int i = 0; i < 9; i++) same &= m.confusion[i] == expect[i];
  CHECK(same, "confusion matrix (rows true, columns predicted)");
  /* class 0: tp 1, predicted 2, true 2 -> P .5 R .5 F1 .5; class 1: tp 1, pred 2, true 1 -> P .5 R 1 F1 2/3;
   * class 2: tp 2, pred 2, true 3 -> P 1 R 2/3 F1 .8 */
  CHECK_NEAR(m.f1[0], 0.5, 1e-12, "F1 class 0");
  CHECK_NEAR(m.f1[1], 2.0 / 3, 1e-12, "F1 class 1");
  CHECK_NEAR(m.f1[2], 0.8, 1e-12, "F1 class 2");
  CHECK_NEAR(m.macro_f1, (0.5 + 2.0 / 3 + 0.8) / 3, 1e-12, "macro F1");
  metrics_free(&m);
  /* majority vote per track: track 0 rows predict 0, 1, 1 -> 1; track 1: 2, 0, 2 -> 2 */
  int group[6] = {0, 0, 0, 1, 1, 1}, vote[2], mean[2], truth[2];
  track_predictions(&probs[0][0], y, group, 6, 2, 3, vote, mean, truth);
  CHECK(vote[0] == 1 && vote[1] == 2, "majority vote per track (%d, %d)", vote[0], vote[1]);
  /* mean probability: track 0: (.7+.1+.3)/3 = .367 vs (.2+.6+.4)/3 = .4 -> 1; track 1 -> 2 */
  CHECK(mean[0] == 1 && mean[1] == 2 && truth[0] == 0 && truth[1] == 2, "mean-probability vote per track");
  /* a tie in votes goes to the larger summed probability: rows predict 0 and 1 */
  real tie[2][3] = {{0.5f, 0.4f, 0.1f}, {0.1f, 0.9f, 0.0f}};
  int ty[2] = {1, 1}, tg[2] = {0, 0};
  track_predictions(&tie[0][0], ty, tg, 2, 1, 3, vote, mean, truth);
  CHECK(vote[0] == 1, "vote tie broken by summed probability");
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  RUN(test_train_evaluate);
  RUN(test_model_file_defences);
  RUN(test_bad_tables);
  RUN(test_columns_by_name);
  RUN(test_cv_command);
  RUN(test_folds);
  RUN(test_metrics);
  return check_summary();
}
