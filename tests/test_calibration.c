/* Calibrated probabilities: the temperature fit recovers a known temperature;
 * a temperature keeps every arg-max; trained models carry one in their file
 * (version 4) and older files load without; predict and evaluate apply it and
 * --no-calibrate does not; the experiment fits one per fold on training
 * tracks only, its ECE falls, each model's accuracy stays to the last bit, and
 * the ensemble averages calibrated probabilities. (The figures themselves are
 * checked against sklearn in test_stats.) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "model.h"
#include "temperature.h"

static const char *dir;
static char corpus[700], feat[700];

static void setup(void) {
  dir = scratch_dir();
  snprintf(corpus, sizeof corpus, "%s/syn/genres_original", dir);
  snprintf(feat, sizeof feat, "%s/feat", dir);
  CHECK(run("%s synth -o %s/syn -n %d -s 9 > /dev/null", genre_bin(), dir, memcheck() ? 3 : 8) == 0, "synthetic corpus");
  CHECK(run("%s extract -o %s --no-progress %s > /dev/null 2>&1", genre_bin(), feat, corpus) == 0, "extract");
}

/* Labels drawn from softmax(z), probabilities softmax(3 z): overconfident by 3. */
static void test_fit_recovers(void) {
  enum { N = 4000, K = 6 };
  static real p[N * K];
  static int y[N];
  unsigned s = 12345;
  for (int i = 0; i < N; i++) {
    double z[K], q[K], sum = 0, sum3 = 0;
    for (int k = 0; k < K; k++) {
      s = s * 1103515245u + 12345u;
      z[k] = 2.0 * ((s >> 8) / 16777216.0 - 0.5);
      sum += exp(z[k]), sum3 += exp(3 * z[k]);
    }
    s = s * 1103515245u + 12345u;
    double u = (s >> 8) / 16777216.0 * sum, acc = 0;
    y[i] = K - 1;
    for (int k = 0; k < K; k++) {
      q[k] = exp(3 * z[k]) / sum3;
      if ((acc += exp(z[k])) >= u && y[i] == K - 1) y[i] = k;
    }
    for (int k = 0; k < K; k++) p[i * K + k] = (real)q[k];
  }
  double T = temperature_fit(p, y, N, K);
  CHECK(T > 2.6 && T < 3.4, "probabilities 3x too sharp: the fitted temperature is 3 (%.3f)", T);
  real before[K], after[K];
  memcpy(before, p, sizeof before), memcpy(after, p, sizeof after);
  temperature_apply(after, 1, K, T);
  int same_order = 1;
  for (int a = 0; a < K; a++)
    for (int b = 0; b < K; b++) same_order &= (before[a] > before[b]) == (after[a] > after[b]);
  CHECK(same_order, "a temperature keeps the order of the classes");
  temperature_apply(before, 1, K, 1.0);
  CHECK(memcmp(before, p, sizeof before) == 0, "T = 1 leaves the probabilities' bytes");
}

/* The same model file as an older version: 3 (no temperatures: the 8 bytes
 * after `about` cut) or 4 (no track temperature: the 4 bytes after the
 * temperature), the version and the checksum rewritten. 0, or -1. */
static int write_old(const char *v5, const char *out, uint32_t version) {
  size_t n;
  unsigned char *b = (unsigned char *)slurp(v5, &n);
  if (!b || n < 64) return free(b), -1;
  uint32_t layers;
  memcpy(&layers, b + 32, 4);
  size_t at = 36 + 24 * (size_t)layers;
  at += 2 + (b[at] | b[at + 1] << 8); /* arch */
  at += 4;                             /* unit */
  at += 2 + (b[at] | b[at + 1] << 8); /* about */
  size_t cut = version == 3 ? 8 : 4;
  if (version == 4) at += 4; /* the temperature stays */
  memmove(b + at, b + at + cut, n - at - cut);
  n -= cut;
  memcpy(b + 8, &version, 4);
  uint64_t sum = model_checksum(b, n - 8);
  memcpy(b + n - 8, &sum, 8);
  write_bytes(out, b, n);
  free(b);
  return 0;
}

static void test_model_files(void) {
  const char *g = genre_bin();
  CHECK(run("%s train ann --arch seed --epochs 12 --features %s/features_3_sec.csv -o %s/seed.model --quiet > /dev/null "
            "2> %s/train.err", g, feat, dir, dir) == 0, "train ann --arch seed");
  CHECK(contains(strcat(strcpy((char[800]){0}, dir), "/train.err"), "held-out rows"), "the temperature's rows are said");
  char err[300];
  model_t m;
  char path[800];
  snprintf(path, sizeof path, "%s/seed.model", dir);
  CHECK(model_load(path, 16, &m, err, sizeof err) == 0 && m.temperature > 0.05f && m.temperature < 20 && m.temperature != 1,
        "the model file holds its temperature (%g)", m.temperature);
  model_free(&m);
  snprintf(path, sizeof path, "%s/seed3.model", dir);
  CHECK(write_old(strcat(strcpy((char[800]){0}, dir), "/seed.model"), path, 3) == 0 &&
            model_load(path, 16, &m, err, sizeof err) == 0 && m.temperature == 1.0f && m.track_temperature == 1.0f,
        "a version-3 file loads with T = 1 and track T = 1 (%s)", err);
  model_free(&m);
  snprintf(path, sizeof path, "%s/seed4.model", dir);
  float T5 = 0;
  if (model_load(strcat(strcpy((char[800]){0}, dir), "/seed.model"), 16, &m, err, sizeof err) == 0) T5 = m.temperature, model_free(&m);
  CHECK(write_old(strcat(strcpy((char[800]){0}, dir), "/seed.model"), path, 4) == 0 &&
            model_load(path, 16, &m, err, sizeof err) == 0 && m.temperature == T5 && m.track_temperature == 1.0f,
        "a version-4 file loads with its T (%g) and track T = 1 (%s)", m.temperature, err);
  model_free(&m);
  snprintf(path, sizeof path, "%s/seed3.model", dir);
  CHECK(run("%s predict --segments --format csv -m %s/seed3.model %s > %s/p3.csv 2>/dev/null && "
            "%s predict --segments --format csv --no-calibrate -m %s/seed.model %s > %s/raw.csv 2>/dev/null && "
            "cmp -s %s/p3.csv %s/raw.csv", g, dir, corpus, dir, g, dir, corpus, dir, dir, dir) == 0,
        "--no-calibrate gives the raw softmax: the version-3 file's bytes");
  CHECK(run("%s predict --segments --format csv -m %s/seed.model %s > %s/cal.csv 2>/dev/null && ! cmp -s %s/cal.csv %s/raw.csv",
            g, dir, corpus, dir, dir, dir) == 0, "predict applies the temperature by default");
  CHECK(run("cut -d, -f5 %s/cal.csv > %s/l1 && cut -d, -f5 %s/raw.csv > %s/l2 && cmp -s %s/l1 %s/l2", dir, dir, dir, dir, dir, dir) == 0,
        "and keeps every segment's label");
}

/* A number at a path of keys in metrics.json (NaN when absent). */
static double at_keys(const json_value_t *v, const char *const *keys, int n) {
  for (int i = 0; i < n && v; i++) v = json_get(v, keys[i]);
  return v && v->type == JSON_NUMBER ? v->number : NAN;
}

/* predict's recording row: the mean of its segment rows, raised to 1/track T and normalised. */
static void test_track_temperature(void) {
  char path[800], err[300];
  snprintf(path, sizeof path, "%s/saved/ann.model", dir);
  model_t m;
  if (model_load(path, 16, &m, err, sizeof err)) return CHECK(0, "--save-models' ANN loads: %s", err);
  double T = m.track_temperature;
  int K = m.n_classes;
  model_free(&m);
  CHECK(T > 0.05 && T < 20 && T != 1, "--save-models' ANN has a track temperature (%.4f), from every out-of-fold track", T);
  const char *g = genre_bin();
  CHECK(run("f=$(ls %s/*/*.wav | head -n 1); %s predict -m %s --segments --format csv \"$f\" > %s/seg.csv 2>/dev/null && "
            "%s predict -m %s --format csv \"$f\" > %s/trk.csv 2>/dev/null && "
            "awk -F, -v T=%.9g -v K=%d 'FNR == 1 { next } NR == FNR { n++; for (k = 0; k < K; k++) s[k] += $(7 + k); next } "
            "{ z = 0; for (k = 0; k < K; k++) { q[k] = exp(log(s[k] / n) / T); z += q[k] } "
            "  for (k = 0; k < K; k++) { d = q[k] / z - $(4 + k); if (d < 0) d = -d; if (d > 1e-6) bad = 1 } } END { exit bad }' "
            "%s/seg.csv %s/trk.csv", corpus, g, path, dir, g, path, dir, T, K, dir, dir) == 0,
        "predict: a recording's probabilities are its segments' mean raised to 1/track T, normalised (to 1e-6)");
  CHECK(run("f=$(ls %s/*/*.wav | head -n 1); %s predict -m %s --no-calibrate --segments --format csv \"$f\" > %s/seg0.csv "
            "2>/dev/null && %s predict -m %s --no-calibrate --format csv \"$f\" > %s/trk0.csv 2>/dev/null && "
            "awk -F, -v K=%d 'FNR == 1 { next } NR == FNR { n++; for (k = 0; k < K; k++) s[k] += $(7 + k); next } "
            "{ for (k = 0; k < K; k++) { d = s[k] / n - $(4 + k); if (d < 0) d = -d; if (d > 1e-6) bad = 1 } } END { exit bad }' "
            "%s/seg0.csv %s/trk0.csv", corpus, g, path, dir, g, path, dir, K, dir, dir) == 0,
        "--no-calibrate: the plain mean of the raw segments");
  CHECK(run("f=$(ls %s/*/*.wav | head -n 1); %s export -m %s -o %s/a.onnx > /dev/null 2>&1 && grep -q track_temperature %s/a.json && "
            "%s predict -m %s/a.onnx --format csv \"$f\" 2>/dev/null | cut -d, -f2- > %s/onnx.csv && cut -d, -f2- %s/trk.csv | "
            "cmp -s - %s/onnx.csv", corpus, g, path, dir, dir, g, dir, dir, dir, dir) == 0,
        "export's card carries the track temperature, and predict on the graph gives the same recording row");
}

static void test_experiment(void) {
  const char *g = genre_bin();
  CHECK(run("%s experiment --data %s -o %s/cal --folds 3 --cnn-epochs %d --save-models %s/saved > /dev/null 2>&1", g, feat, dir,
            memcheck() ? 1 : 6, dir) == 0 &&
            run("%s experiment --data %s -o %s/raw --folds 3 --cnn-epochs %d --no-calibrate > /dev/null 2>&1", g, feat, dir,
                memcheck() ? 1 : 6) == 0, "experiment, with and without temperatures");
  char path[800], err[300];
  json_value_t cal, raw;
  snprintf(path, sizeof path, "%s/cal/metrics.json", dir);
  char *t1 = slurp(path, NULL);
  snprintf(path, sizeof path, "%s/raw/metrics.json", dir);
  char *t2 = slurp(path, NULL);
  int ok = t1 && t2 && json_parse(t1, &cal, err, sizeof err) == 0 && json_parse(t2, &raw, err, sizeof err) == 0;
  CHECK(ok, "both metrics.json parse (%s)", ok ? "" : err);
  if (!ok) return free(t1), free(t2);
  static const char *const models[2] = {"ann", "cnn"};
  for (int m = 0; m < 2; m++) {
    const char *acc[3] = {"models", models[m], "accuracy_mean"};
    const char *ece[5] = {"models", models[m], "calibration", "segment", "ece"};
    const char *ece_raw[6] = {"models", models[m], "calibration", "uncalibrated", "segment", "ece"};
    const char *tece[5] = {"models", models[m], "calibration", "track", "ece"};
    const char *tece_raw[6] = {"models", models[m], "calibration", "uncalibrated", "track", "ece"};
    double a1 = at_keys(&cal, acc, 3), a2 = at_keys(&raw, acc, 3), e1 = at_keys(&cal, ece, 5), e0 = at_keys(&cal, ece_raw, 6);
    double t0 = at_keys(&cal, tece_raw, 6), t1 = at_keys(&cal, tece, 5);
    printf("# %s: segment ECE %.4f -> %.4f, track ECE %.4f -> %.4f\n", models[m], e0, e1, t0, t1);
    CHECK(a1 == a2, "%s: the same accuracy to the last bit with and without its temperature (%.17g, %.17g)", models[m], a1, a2);
    if (m == 0 && !memcheck()) { /* the ANN is far from calibrated here (ECE 0.16): a clear fall, both levels */
      CHECK(e1 < e0, "%s: the segment ECE falls with the temperature (%.4f -> %.4f)", models[m], e0, e1);
      CHECK(t1 < t0, "%s: the track ECE falls with the track temperature (%.4f -> %.4f)", models[m], t0, t1);
    } else /* the CNN after 6 epochs on 80 tracks moves by less than 0.01, and the sanitizers' 30-track
              corpus is noise: reported (README gives real figures) */
      CHECK(!isnan(e0) && !isnan(e1) && !isnan(t0) && !isnan(t1), "%s: the ECE before and after, reported", models[m]);
    const char *tt[4] = {"models", models[m], "calibration", "track_temperature_mean"};
    CHECK(at_keys(&cal, tt, 4) > 0.05 && at_keys(&cal, tt, 4) < 20, "%s: its track temperature (%.3f) in metrics.json", models[m],
          at_keys(&cal, tt, 4));
    CHECK(at_keys(&raw, ece, 5) == at_keys(&raw, ece_raw, 6), "%s --no-calibrate: calibrated = raw", models[m]);
  }
  const char *ens[3] = {"models", "ensemble", "accuracy_mean"};
  const char *ens_raw[4] = {"models", "ensemble", "calibration", "raw_average_accuracy"};
  CHECK(!isnan(at_keys(&cal, ens_raw, 4)) && !isnan(at_keys(&cal, ens, 3)),
        "the ensemble's accuracy with calibrated (%.4f) and raw (%.4f) averaging, both reported", at_keys(&cal, ens, 3),
        at_keys(&cal, ens_raw, 4));
  json_value_free(&cal), json_value_free(&raw);
  free(t1), free(t2);
  snprintf(path, sizeof path, "%s/cal/report.md", dir);
  CHECK(contains(path, "raw → calibrated") && contains(path, "reliability_ann.svg") && contains(path, "track T"),
        "report.md shows ECE before and after, and the track temperatures");
  test_track_temperature();
}

int main(void) {
  RUN(setup);
  RUN(test_fit_recovers);
  RUN(test_model_files);
  RUN(test_experiment);
  return check_summary();
}
