/* genre cv's --json: a cross-validation's results as JSON. */
#ifndef GENRE_CV_JSON_H
#define GENRE_CV_JSON_H

#include "cv.h"
#include "json.h"

/* accuracy_mean/std, top2_mean/std, macro_f1_mean/std, track_accuracy_*,
 * folds[], labels, confusion: the keys documented in README */
void write_cv_json(json_t *j, const cv_result_t *r, char *const *labels, int segmented);

#endif
