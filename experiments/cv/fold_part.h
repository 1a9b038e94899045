/* One fold of an experiment, run as a job of its own (experiment --fold K)
 * and written as a part, which experiment --merge reads back: every model's
 * test probabilities, epochs, timing and per-epoch log, in hexadecimal
 * floating point so that the merged report is the one-process report. */
#ifndef GENRE_FOLD_PART_H
#define GENRE_FOLD_PART_H

#include <stddef.h>

#include "cv.h"
#include "fold_why.h"

/* The models of res[] (NULL: not run) named keys[]; fold 0-based; rows the
 * experiment's; the fold's explanations when why is not NULL, and each
 * model's own (own[m]: a feature model's importance besides the ANN's; own
 * NULL or own[m] NULL: none) after a line "why-model KEY". 0, or -1 with the
 * reason. */
int fold_part_write(const char *path, int fold, cv_result_t *const *res, const char *const *keys, int n_models,
                    size_t rows, int K, const fold_why_t *why, fold_why_t *const *own, char *err, size_t errlen);
/* Fills fold `fold` of every res[m] that is not NULL (allocated by
 * cv_result_alloc with fold_of_row set) from the part, and why (NULL: its
 * lines skipped). Parts are read in fold order. 0, or -1 with the
 * reason (missing, foreign or damaged). */
int fold_part_read(const char *path, int fold, cv_result_t *const *res, const char *const *keys, int n_models,
                   size_t rows, int K, int *const max_epochs, fold_why_t *why, fold_why_t *const *own, char *err,
                   size_t errlen);

#endif
