/* The report's calibration: per model, ECE, Brier score and log-loss of the
 * out-of-fold probabilities, per segment and per track (the mean of a track's
 * segments' probabilities, as the report's track accuracy by mean), in
 * metrics.json, report.md and a reliability diagram per model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "json.h"
#include "outfile.h"
#include "report.h"
#include "svg.h"
#include "temperature.h"


/* Model m's probabilities of row i (K of them) into q: raw, or with its fold's temperature. */
static void row_probs(const cv_result_t *res, size_t i, size_t K, int calibrated, double *q) {
  real p[K];
  memcpy(p, res->probs + i * K, K * sizeof(real));
  int fold = res->fold_of_row[i];
  if (calibrated && fold < res->folds) temperature_apply(p, 1, (int)K, res->fold[fold].temperature);
  for (size_t k = 0; k < K; k++) q[k] = p[k];
}

double report_temperature(const report_t *r, int m, int track) {
  const cv_result_t *res = r->model[m].result;
  double sum = 0;
  for (int f = 0; f < res->folds; f++) sum += track ? res->fold[f].track_temperature : res->fold[f].temperature;
  return res->folds ? sum / res->folds : 1;
}

int report_calibration(const report_t *r, int m, int calibrated, calibration_t *seg, calibration_t *trk) {
  const cv_result_t *res = r->model[m].result;
  size_t K = (size_t)r->K;
  double *p = malloc(r->rows * K * sizeof *p), *tp = calloc(r->tracks * K, sizeof *tp);
  int *ty = malloc(r->tracks * sizeof *ty);
  size_t *tn = calloc(r->tracks, sizeof *tn);
  int *tfold = calloc(r->tracks, sizeof *tfold);
  unsigned char *tested = calloc(r->rows, 1), *ttested = calloc(r->tracks, 1);
  int rc = p && tp && ty && tn && tfold && tested && ttested ? 0 : -1;
  for (size_t i = 0; !rc && i < r->rows; i++) {
    tested[i] = res->fold_of_row[i] < res->folds;
    row_probs(res, i, K, calibrated && r->model[m].trained, p + i * K);
    if (!tested[i]) continue;
    size_t t = (size_t)r->track[i];
    for (size_t k = 0; k < K; k++) tp[t * K + k] += p[i * K + k];
    tn[t]++, ty[t] = r->y[i], ttested[t] = 1, tfold[t] = res->fold_of_row[i];
  }
  for (size_t t = 0; !rc && t < r->tracks; t++) {
    for (size_t k = 0; tn[t] && k < K; k++) tp[t * K + k] /= (double)tn[t];
    if (!tn[t] || !calibrated) continue;
    real q[K]; /* the mean, with its fold's track temperature */
    for (size_t k = 0; k < K; k++) q[k] = (real)tp[t * K + k];
    temperature_apply(q, 1, (int)K, res->fold[tfold[t]].track_temperature);
    for (size_t k = 0; k < K; k++) tp[t * K + k] = q[k];
  }
  if (!rc) calibration_measure(p, r->y, tested, r->rows, r->K, seg), calibration_measure(tp, ty, ttested, r->tracks, r->K, trk);
  free(p), free(tp), free(ty), free(tn), free(tfold), free(tested), free(ttested);
  return rc;
}

/* The segment accuracy of ensemble e's members' raw probabilities averaged
 * (the ensemble without temperatures), for comparison. */
static double raw_ensemble_accuracy(const report_t *r, int e) {
  const report_model_t *m = &r->model[e];
  const cv_result_t *a = r->model[m->member[0]].result;
  size_t K = (size_t)r->K, n = 0, hits = 0;
  for (size_t i = 0; i < r->rows; i++) {
    if (a->fold_of_row[i] >= a->folds) continue;
    double best = -1;
    int top = 0;
    for (size_t k = 0; k < K; k++) {
      double sum = 0;
      for (int j = 0; j < m->members; j++) sum += r->model[m->member[j]].result->probs[i * K + k];
      if (sum > best) best = sum, top = (int)k;
    }
    n++, hits += top == r->y[i];
  }
  return n ? (double)hits / n : NAN;
}

static void json_one(json_t *j, const char *name, const calibration_t *c) {
  json_key(j, name), json_object(j);
  json_key(j, "n"), json_int(j, (long long)c->n);
  json_key(j, "ece"), json_number(j, c->ece);
  json_key(j, "brier"), json_number(j, c->brier);
  json_key(j, "log_loss"), json_number(j, c->logloss);
  json_key(j, "bins"), json_array(j); /* [count, mean confidence, accuracy] per bin of width 1/15 */
  for (int b = 0; b < CAL_BINS; b++) {
    json_array(j);
    json_int(j, (long long)c->count[b]), json_number(j, c->confidence[b]), json_number(j, c->accuracy[b]);
    json_close(j, 0);
  }
  json_close(j, 0);
  json_close(j, 1);
}

void report_json_calibration(const report_t *r, json_t *j, int m) {
  calibration_t seg, trk, raw_seg, raw_trk;
  if (report_calibration(r, m, 1, &seg, &trk) || report_calibration(r, m, 0, &raw_seg, &raw_trk)) return;
  json_key(j, "calibration"), json_object(j);
  if (r->model[m].trained) json_key(j, "temperature_mean"), json_number(j, report_temperature(r, m, 0));
  json_key(j, "track_temperature_mean"), json_number(j, report_temperature(r, m, 1));
  json_one(j, "segment", &seg);
  json_one(j, "track", &trk);
  if (r->model[m].trained) {
    json_key(j, "uncalibrated"), json_object(j);
    json_one(j, "segment", &raw_seg);
    json_one(j, "track", &raw_trk);
    json_close(j, 1);
  } else if (r->model[m].members) {
    json_key(j, "raw_average_accuracy"), json_number(j, raw_ensemble_accuracy(r, m));
  }
  json_close(j, 1);
}

int report_write_reliability(const report_t *r, int m, const char *dir, char *err, size_t errlen) {
  calibration_t seg, trk;
  if (report_calibration(r, m, 1, &seg, &trk)) return snprintf(err, errlen, "out of memory"), -1;
  char path[4400], t[300];
  snprintf(path, sizeof path, "%s/reliability_%s.svg", dir, r->model[m].key);
  snprintf(t, sizeof t, "%s: reliability of %zu segments (ECE %.3f)", r->model[m].title, seg.n, seg.ece);
  outfile_t o;
  if (outfile_open(&o, path, err, errlen)) return -1;
  svg_reliability(o.f, t, seg.count, seg.confidence, seg.accuracy, CAL_BINS);
  return outfile_commit(&o, 0, err, errlen);
}

void report_md_calibration(const report_t *r, FILE *f) {
  fprintf(f, "## Calibration (out-of-fold probabilities, pooled)\n\n"
             "How far a probability can be taken at its word: the expected calibration error (ECE: the top label's "
             "confidence against its accuracy in 15 equal-width bins, weighted by their counts; 0 is perfect), the "
             "Brier score (squared error of the probability vector, 0 to 2) and the log-loss (mean -ln of the true "
             "class's probability). Per track: the mean of its segments' probabilities. Each fold's model gets a "
             "temperature T (p becomes p^(1/T), normalised: the arg-max, hence the accuracy, stays), fitted %s; the "
             "ensemble averages the calibrated probabilities. A track's mean of calibrated segments is less sure "
             "than its segments, which are not independent, warrant: a track temperature (the same map on the mean, "
             "fitted the same way on tracks, when there are %d or more; else 1) calibrates it, for the ensemble "
             "too. Accuracy does not change with a temperature; an ensemble's accuracy above is that of its members' calibrated probabilities averaged.\n\n"
             "| model | T (mean over folds) | track T | segment ECE, raw → calibrated | segment Brier | segment "
             "log-loss | track ECE, raw → calibrated | track Brier | track log-loss |\n|---|---|---|---|---|---|---|---|---|\n",
          r->folds > 1 && !r->leaky && !r->split_dir
              ? "by log-loss on the other folds' out-of-fold probabilities (segments its model trained on, predicted "
                "by models that did not; never its own test fold)"
              : "by log-loss on tracks the model held out from training (its early-stopping share, or, for a preset "
                "that holds none out, a twin trained on 90% of the training tracks and scored on the rest)",
          TEMPERATURE_MIN_TRACKS);
  for (int m = 0; m < r->n_models; m++) {
    calibration_t s, t, rs, rt;
    if (report_calibration(r, m, 1, &s, &t) || report_calibration(r, m, 0, &rs, &rt)) continue;
    char T[16] = "(its models')";
    if (r->model[m].trained) snprintf(T, sizeof T, "%.3f", report_temperature(r, m, 0));
    else if (!r->model[m].members) snprintf(T, sizeof T, "(none)");
    fputs("| ", f), report_md_text(f, r->model[m].title);
    fprintf(f, " | %s | %.3f | ", T, report_temperature(r, m, 1));
    if (r->model[m].trained) fprintf(f, "%.3f → ", rs.ece);
    fprintf(f, "%.3f | %.3f | %.3f | %.3f → %.3f | %.3f | %.3f |\n", s.ece, s.brier, s.logloss, rt.ece, t.ece, t.brier,
            t.logloss);
  }
  for (int m = 0; m < r->n_models; m++)
    if (r->model[m].members) {
      fprintf(f, "\n"), report_md_text(f, r->model[m].title);
      fprintf(f, " of calibrated probabilities: segment accuracy %.4f; of the raw ones, %.4f.",
              r->model[m].result->segments.accuracy, raw_ensemble_accuracy(r, m));
    }
  fprintf(f, "\n\n");
  for (int m = 0; m < r->n_models; m++)
    fprintf(f, "![%s: reliability](reliability_%s.svg)\n\n", r->model[m].title, r->model[m].key);
}
