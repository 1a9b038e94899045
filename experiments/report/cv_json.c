#include "cv_json.h"

#include <stdlib.h>
#include <string.h>

#include "temperature.h"

/* The results of a cross-validation as JSON (documented in README). */
void write_cv_json(json_t *j, const cv_result_t *r, char *const *labels, int segmented) {
  double m, s;
  cv_mean_std(r, CV_FIELD(accuracy), &m, &s);
  json_key(j, "accuracy_mean"), json_number(j, m);
  json_key(j, "accuracy_std"), json_number(j, s);
  cv_mean_std(r, CV_FIELD(top2), &m, &s);
  json_key(j, "top2_mean"), json_number(j, m);
  json_key(j, "top2_std"), json_number(j, s);
  cv_mean_std(r, CV_FIELD(macro_f1), &m, &s);
  json_key(j, "macro_f1_mean"), json_number(j, m);
  json_key(j, "macro_f1_std"), json_number(j, s);
  if (segmented) {
    cv_mean_std(r, CV_FIELD(track_vote), &m, &s);
    json_key(j, "track_accuracy_mean"), json_number(j, m);
    json_key(j, "track_accuracy_std"), json_number(j, s);
    cv_mean_std(r, CV_FIELD(track_mean), &m, &s);
    json_key(j, "track_accuracy_meanprob_mean"), json_number(j, m);
    json_key(j, "track_accuracy_meanprob_std"), json_number(j, s);
  }
  json_key(j, "folds"), json_array(j);
  for (int f = 0; f < r->folds; f++) {
    const cv_fold_t *fd = &r->fold[f];
    json_object(j);
    json_key(j, "fold"), json_int(j, f + 1);
    json_key(j, "test_rows"), json_int(j, (long long)fd->n_test);
    json_key(j, "test_tracks"), json_int(j, (long long)fd->n_tracks);
    json_key(j, "accuracy"), json_number(j, fd->accuracy);
    json_key(j, "top2"), json_number(j, fd->top2);
    json_key(j, "macro_f1"), json_number(j, fd->macro_f1);
    if (segmented) json_key(j, "track_accuracy"), json_number(j, fd->track_vote);
    json_key(j, "epochs"), json_int(j, fd->epochs);
    json_key(j, "seconds"), json_number(j, fd->seconds);
    json_close(j, 1);
  }
  json_close(j, 0);
  json_key(j, "labels"), json_array(j);
  for (int k = 0; k < r->K; k++) json_string(j, labels[k]);
  json_close(j, 0);
  json_counts(j, "confusion", r->segments.confusion, r->K, r->K);
}


int cv_calibration(const cv_result_t *r, const int *y, size_t n, calibration_t *raw, calibration_t *cal, double *T) {
  size_t K = (size_t)r->K;
  double *p = malloc((n ? n : 1) * K * sizeof *p), *q = malloc((n ? n : 1) * K * sizeof *q);
  unsigned char *tested = malloc(n ? n : 1);
  if (!p || !q || !tested) return free(p), free(q), free(tested), -1;
  for (size_t i = 0; i < n; i++) {
    int f = r->fold_of_row[i];
    real t[K];
    memcpy(t, r->probs + i * K, K * sizeof *t);
    tested[i] = f >= 0 && f < r->folds;
    for (size_t k = 0; k < K; k++) p[i * K + k] = t[k];
    if (tested[i]) temperature_apply(t, 1, (int)K, r->fold[f].temperature);
    for (size_t k = 0; k < K; k++) q[i * K + k] = t[k];
  }
  calibration_measure(p, y, tested, n, (int)K, raw);
  calibration_measure(q, y, tested, n, (int)K, cal);
  *T = 0;
  for (int f = 0; f < r->folds; f++) *T += r->fold[f].temperature / r->folds;
  free(p), free(q), free(tested);
  return 0;
}

void write_cv_calibration(json_t *j, const calibration_t *raw, const calibration_t *cal, double T) {
  json_key(j, "calibration"), json_object(j);
  json_key(j, "temperature_mean"), json_number(j, T);
  json_key(j, "ece_raw"), json_number(j, raw->ece);
  json_key(j, "ece"), json_number(j, cal->ece);
  json_key(j, "brier_raw"), json_number(j, raw->brier);
  json_key(j, "brier"), json_number(j, cal->brier);
  json_key(j, "log_loss_raw"), json_number(j, raw->logloss);
  json_key(j, "log_loss"), json_number(j, cal->logloss);
  json_close(j, 1);
}
