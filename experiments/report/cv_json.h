/* genre cv's --json: a cross-validation's results as JSON. */
#ifndef GENRE_CV_JSON_H
#define GENRE_CV_JSON_H

#include "calibration.h"
#include "cv.h"
#include "json.h"

/* accuracy_mean/std, top2_mean/std, macro_f1_mean/std, track_accuracy_*,
 * folds[], labels, confusion: the keys documented in README */
void write_cv_json(json_t *j, const cv_result_t *r, char *const *labels, int segmented);

/* The tested segments' calibration with the raw and with each fold's
 * temperature, and T's mean over folds (labels y[n]); 0, or -1 when out of
 * memory. As "calibration": temperature_mean, ece(_raw), brier(_raw),
 * log_loss(_raw). */
int cv_calibration(const cv_result_t *r, const int *y, size_t n, calibration_t *raw, calibration_t *cal, double *T);
void write_cv_calibration(json_t *j, const calibration_t *raw, const calibration_t *cal, double T);

#endif
