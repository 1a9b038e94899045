/* The paired comparisons' statistics against values computed independently
 * with SciPy 1.10.1 (Debian bookworm's python3-scipy):
 *   McNemar:  p = scipy.stats.binomtest(min(a, b), a + b, 0.5).pvalue
 *             CI = (a + b) / n * (2 * binomtest(a, a + b).proportion_ci(method="exact") - 1)
 *   corrected resampled t (Nadeau & Bengio 2003), d = per-fit differences:
 *             se = sqrt((1 / J + n_test / n_train) * d.var(ddof=1))
 *             p = 2 * scipy.stats.t.sf(|d.mean() / se|, J - 1)
 *             CI = d.mean() -+ scipy.stats.t.ppf(0.975, J - 1) * se
 * and an experiment's metrics.json carrying them. */
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "check.h"
#include "stats.h"

static void test_mcnemar(void) {
  static const struct {
    size_t a, b, n;
    double p, diff, lo, hi;
  } ref[] = {{1, 7, 20, 0.0703125, -0.3, -0.3974722211749982, 0.02120773670013101},
             {12, 3, 200, 0.03515625, 0.045, 0.0028663299289720333, 0.0685031992341246},
             {30, 18, 290, 0.11140289106101878, 0.041379310344827586, -0.00877050682037763, 0.0862270664419578},
             {5, 5, 100, 1.0, 0.0, -0.0625827943105191, 0.0625827943105191}};
  for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
    comparison_t c = mcnemar_exact(ref[i].a, ref[i].b, ref[i].n);
    CHECK(fabs(c.p - ref[i].p) < 1e-12 && fabs(c.difference - ref[i].diff) < 1e-12 && fabs(c.ci_low - ref[i].lo) < 1e-9 &&
              fabs(c.ci_high - ref[i].hi) < 1e-9,
          "McNemar %zu/%zu of %zu: p %.10g (scipy %.10g), CI [%.10g, %.10g] (scipy [%.10g, %.10g])", ref[i].a, ref[i].b,
          ref[i].n, c.p, ref[i].p, c.ci_low, c.ci_high, ref[i].lo, ref[i].hi);
  }
  comparison_t none = mcnemar_exact(0, 0, 40);
  CHECK(none.p == 1 && none.difference == 0 && none.ci_low == 0 && none.ci_high == 0, "no discordant track: p 1, no difference");
  CHECK(fabs(mcnemar_exact(0, 3, 10).p - 0.25) < 1e-12 && fabs(mcnemar_exact(0, 6, 10).p - 0.03125) < 1e-12,
        "all discordant on one side: 2 / 2^d");
}

static void test_corrected_t(void) {
  static const double d1[] = {0.02, 0.05, -0.01, 0.03, 0.04};
  static const double d2[] = {0.031, -0.012, 0.044, 0.027, 0.008, 0.019, -0.003, 0.036, 0.015, 0.022};
  comparison_t c = corrected_t(d1, 5, 200, 800);
  CHECK(fabs(c.difference - 0.026) < 1e-12 && fabs(c.p - 0.167553221478923) < 1e-9 &&
            fabs(c.ci_low + 0.01687787786480542) < 1e-9 && fabs(c.ci_high - 0.06887787786480543) < 1e-9,
        "5 folds: p %.10g (scipy 0.1675532215), CI [%.10g, %.10g]", c.p, c.ci_low, c.ci_high);
  c = corrected_t(d2, 10, 100, 400);
  CHECK(fabs(c.difference - 0.0187) < 1e-12 && fabs(c.p - 0.10196444806209873) < 1e-9 &&
            fabs(c.ci_low + 0.004532095856322502) < 1e-9 && fabs(c.ci_high - 0.0419320958563225) < 1e-9,
        "2 x 5 folds: p %.10g (scipy 0.1019644481), CI [%.10g, %.10g]", c.p, c.ci_low, c.ci_high);
  /* the plain paired t-test (no n_test / n_train term) would call d1 significant more readily */
  comparison_t plain = corrected_t(d1, 5, 0, 1);
  CHECK(plain.p < c.p && plain.p < corrected_t(d1, 5, 200, 800).p, "the correction widens the test (plain p %.3g)", plain.p);
  static const double same[] = {0.01, 0.01, 0.01};
  CHECK(corrected_t(same, 3, 1, 4).p == 0 && corrected_t((const double[]){0, 0, 0}, 3, 1, 4).p == 1,
        "no variance: p 0 for a constant difference, 1 for none");
}

/* An experiment's metrics.json: comparisons[] with the documented keys, the
 * report in words; --repeats multiplies the fits; the same bytes twice. */
static void test_experiment(void) {
  const char *dir = scratch_dir(), *g = genre_bin();
  CHECK(run("%s synth -o %s/c -n 3 -s 9 >/dev/null && %s extract -o %s/f --no-progress %s/c >/dev/null", g, dir, g, dir,
            dir) == 0, "corpus");
  CHECK(run("%s experiment --data %s/f -o %s/r1 --folds 3 --repeats 2 --ann-epochs 20 --cnn-epochs 1 --no-calibrate >/dev/null 2>&1 && "
            "%s experiment --data %s/f -o %s/r2 --folds 3 --repeats 2 --ann-epochs 20 --cnn-epochs 1 --no-calibrate >/dev/null 2>&1",
            g, dir, dir, g, dir, dir) == 0, "experiment --repeats 2, twice");
  char path[700];
  snprintf(path, sizeof path, "%s/r1/metrics.json", dir);
  CHECK(run("cmp -s %s %s/r2/metrics.json", path, dir) == 0, "the same bytes twice");
  CHECK(contains(path, "\"comparisons\": [") && contains(path, "\"a\": \"cnn\"") && contains(path, "\"b\": \"ann\"") &&
            contains(path, "\"metric\": \"track_accuracy\"") && contains(path, "\"metric\": \"segment_accuracy\"") &&
            contains(path, "\"test\": \"mcnemar-exact\"") && contains(path, "\"test\": \"corrected-t\"") &&
            contains(path, "\"ci_low\": ") && contains(path, "\"ci_high\": ") && contains(path, "\"p\": "),
        "metrics.json: comparisons[] with a, b, metric, difference, ci_low, ci_high, p, test");
  CHECK(contains(path, "\"repeats\": 2") && contains(path, "\"repeat\": 2") && contains(path, "\"accuracy_ci_low\": "),
        "metrics.json: repeats, every fit with its repeat, CIs of the metrics");
  snprintf(path, sizeof path, "%s/r1/report.md", dir);
  CHECK(contains(path, "## Paired comparisons") && contains(path, "CNN − ANN, track accuracy (McNemar's exact test") &&
            contains(path, "significant at 0.05") && contains(path, "over all 6 fits"),
        "report.md says it in words");
}

/* --protocol split:DIR on lists written here (a track listed twice is refused,
 * absent and unlisted tracks are counted), and GTZAN's fault-filtered lists
 * on the gtzan_mini tracks they name. */
static void test_split(void) {
  const char *dir = scratch_dir(), *g = genre_bin();
  char path[700];
  run("mkdir -p %s/split", dir);
  /* 3 tracks a style: 00000 test, 00001 train, 00002 valid; one listed track that does not exist; chorale unlisted */
  run("cd %s/c/genres_original && for d in *; do [ $d = chorale ] && continue; echo $d/$d.00000.wav >> ../../split/test.txt; "
      "echo $d/$d.00001.wav >> ../../split/train.txt; echo $d/$d.00002.wav >> ../../split/valid.txt; done; "
      "echo jazz/jazz.00054.wav >> ../../split/test.txt", dir);
  int rc = run("%s experiment --data %s/f -o %s/s1 --protocol split:%s/split --ann-arch seed --ann-epochs 20 "
               "--cnn-epochs 1 > %s/s1.log 2>&1", g, dir, dir, dir, dir);
  snprintf(path, sizeof path, "%s/s1/metrics.json", dir);
  CHECK(rc == 0 && contains(path, "\"protocol\": \"split\"") && contains(path, "\"train_tracks\": 9") &&
            contains(path, "\"valid_tracks\": 9") && contains(path, "\"test_tracks\": 9") &&
            contains(path, "\"listed_absent\": 1") && contains(path, "\"present_unlisted\": 3"),
        "split: 9 train, 9 valid, 9 test tracks; 1 listed and absent, 3 unlisted, counted");
  CHECK(contains(path, "\"test_rows\": 27"), "only the test tracks are tested (27 segments)");
  snprintf(path, sizeof path, "%s/s1/report.md", dir);
  CHECK(contains(path, "1 listed tracks are not in the data; 3 tracks of the data are not listed"), "the report says so");
  CHECK(contains(path, "Not comparable with figures published on this split"),
        "and sets no published figures beside a test that is not the published one");
  snprintf(path, sizeof path, "%s/s1.log", dir);
  CHECK(contains(path, "warning: 1 of the split's listed tracks are not in"), "the terminal says so too");
  run("echo ambient/ambient.00000.wav >> %s/split/train.txt", dir);
  rc = run("%s experiment --data %s/f -o %s/s2 --protocol split:%s/split --epochs 1 > %s/s2.log 2>&1", g, dir, dir, dir, dir);
  snprintf(path, sizeof path, "%s/s2.log", dir);
  CHECK(rc == 1 && contains(path, "is in two of the lists"), "a track in two lists: refused, named");

  const char *shared = shared_dir("gtzan_mini for the fault-filtered split");
  if (!shared) return;
  CHECK(run("%s extract -o %s/mini --no-progress %s/data/gtzan_mini/genres_original >/dev/null 2>&1", g, dir, shared) == 0 &&
            run("%s experiment --data %s/mini -o %s/ff --protocol split:data/splits/gtzan_fault_filtered --ann-epochs 20 "
                "--cnn-epochs 1 --no-calibrate >/dev/null 2>&1", g, dir, dir) == 0,
        "the fault-filtered split on gtzan_mini");
  snprintf(path, sizeof path, "%s/ff/metrics.json", dir);
  CHECK(contains(path, "\"train_tracks\": 19") && contains(path, "\"valid_tracks\": 24") &&
            contains(path, "\"test_tracks\": 4") && contains(path, "\"listed_absent\": 883") &&
            contains(path, "\"present_unlisted\": 3"),
        "gtzan_mini: the lists name 19 train, 24 valid and 4 test tracks; 883 listed tracks absent, 3 unlisted");
}

/* ECE, Brier score, log-loss and the reliability bins against sklearn 1.2's
 * calibration_curve and log_loss and numpy (tests/reference/calibration, made
 * by its make_calibration.py, not at run time). */
static void test_calibration(void) {
  const char *dir = "tests/reference/calibration";
  char path[300], line[2000];
  snprintf(path, sizeof path, "%s/probs.csv", dir);
  FILE *f = fopen(path, "r");
  static double p[600 * 10];
  static int y[600];
  size_t n = 0;
  while (f && fgets(line, sizeof line, f) && n < 600) {
    if (line[0] == 'l') continue; /* the header */
    char *t = strtok(line, ",");
    y[n] = atoi(t);
    for (int k = 0; k < 10 && (t = strtok(NULL, ",")); k++) p[n * 10 + k] = strtod(t, NULL);
    n++;
  }
  if (f) fclose(f);
  CHECK(n == 600, "600 reference rows read (%zu)", n);
  calibration_t c;
  calibration_measure(p, y, NULL, n, 10, &c);
  snprintf(path, sizeof path, "%s/values.csv", dir);
  f = fopen(path, "r");
  double ece = NAN, brier = NAN, ll = NAN;
  int bins_ok = 0, row = 0;
  while (f && fgets(line, sizeof line, f)) {
    row++;
    if (row == 2) sscanf(line, "%lf,%lf,%lf", &ece, &brier, &ll);
    int b;
    size_t count;
    char conf[64], acc[64];
    if (row > 3 && sscanf(line, "%d,%zu,%63[^,],%63s", &b, &count, conf, acc) == 4 && b >= 0 && b < CAL_BINS) {
      double cf = strtod(conf, NULL), ac = strtod(acc, NULL);
      bins_ok += c.count[b] == count && (count == 0 ? isnan(c.confidence[b]) : fabs(c.confidence[b] - cf) < 1e-12) &&
                 (count == 0 ? isnan(c.accuracy[b]) : fabs(c.accuracy[b] - ac) < 1e-12);
    }
  }
  if (f) fclose(f);
  CHECK(fabs(c.ece - ece) < 1e-12, "ECE (15 bins, top label): %.15g, sklearn's %.15g", c.ece, ece);
  CHECK(fabs(c.brier - brier) < 1e-12, "Brier score: %.15g, numpy's %.15g", c.brier, brier);
  CHECK(fabs(c.logloss - ll) < 1e-12, "log-loss: %.15g, sklearn's %.15g", c.logloss, ll);
  CHECK(bins_ok == CAL_BINS, "every bin's count, mean confidence and accuracy as calibration_curve's (%d of %d)", bins_ok,
        CAL_BINS);
  CHECK(calibration_bin(0.6) == 8 && calibration_bin(1.0) == 14 && calibration_bin(0.0) == 0 &&
            calibration_bin(1.0 / 15) == 0 && calibration_bin(nextafter(1.0 / 15, 1)) == 1,
        "bins closed on the right, as numpy.searchsorted on linspace's edges");
}

int main(void) {
  RUN(test_calibration);
  RUN(test_mcnemar);
  RUN(test_corrected_t);
  RUN(test_experiment);
  RUN(test_split);
  return check_summary();
}
