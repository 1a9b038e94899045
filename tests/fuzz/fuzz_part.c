/* Fold parts (experiment --fold K writes them, --merge reads them): read into
 * a fixed experiment of 6 rows, 3 classes, 2 folds and two models, with the
 * explanations of an ANN of 2 features. What is read must be probabilities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset.h"
#include "fold_part.h"
#include "fold_why.h"
#include "fuzz.h"

#define PART_ROWS 6
#define PART_K 3

FUZZ_TARGET(part) {
  static char *names[2] = {"f0", "f1"};
  static const char *const keys[2] = {"ann", "cnn"};
  cv_result_t res[2];
  cv_result_t *ptr[2] = {&res[0], &res[1]};
  epoch_log_t logs[2][2][4];
  memset(res, 0, sizeof res), memset(logs, 0, sizeof logs);
  cv_fold_t folds[2][2];
  real probs[2][PART_ROWS * PART_K];
  int fold_of_row[PART_ROWS] = {0, 1, 0, 1, 0, 1}, max_epochs[2] = {4, 4};
  memset(folds, 0, sizeof folds);
  for (int m = 0; m < 2; m++) {
    res[m].folds = res[m].folds_allocated = 2, res[m].K = PART_K, res[m].fold = folds[m];
    res[m].probs = probs[m], res[m].fold_of_row = fold_of_row;
    for (int f = 0; f < 2; f++) folds[m][f].log = logs[m][f];
    for (int i = 0; i < PART_ROWS * PART_K; i++) probs[m][i] = -1;
  }
  dataset_t ann = {.n_features = 2, .feature_names = names};
  fold_why_t why;
  if (fold_why_init(&why, PART_K, 2, PART_ROWS, &ann)) return 0;
  char path[64], err[1500] = "";
  int fd = fuzz_file(data, size, path, sizeof path);
  if (fd >= 0 && fold_part_read(path, 0, ptr, keys, 2, PART_ROWS, PART_K, max_epochs, &why, NULL, err, sizeof err) == 0) {
    for (int m = 0; m < 2; m++)
      for (int i = 0; i < PART_ROWS; i += 2) { /* fold 0's rows: every one read, probabilities summing to 1 */
        double sum = 0;
        for (int k = 0; k < PART_K; k++) {
          FUZZ_REQUIRE(probs[m][i * PART_K + k] >= 0 && probs[m][i * PART_K + k] <= 1);
          sum += probs[m][i * PART_K + k];
        }
        FUZZ_REQUIRE(fabs(sum - 1) <= 1.01e-3);
      }
  } else if (fd >= 0) {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  fold_why_free(&why);
  if (fd >= 0) close(fd);
  return 0;
}
