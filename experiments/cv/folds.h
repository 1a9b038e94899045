/* Stratified K-fold assignment of tracks: every row of a track lands in the
 * same fold, and each fold gets its share of every label's tracks. */
#ifndef GENRE_FOLDS_H
#define GENRE_FOLDS_H

#include <stddef.h>

/* fold_of_track[n_groups] in [0, K): each label's tracks are shuffled (seeded)
 * and dealt round-robin, the dealing starting where the previous label's
 * stopped, so fold sizes differ by at most one track. The track's label is
 * that of its rows; rows of one track with different labels are an error. */
int folds_assign(const int *group, const int *y, size_t n_rows, size_t n_groups, int n_classes, int K,
                 unsigned long seed, int *fold_of_track, char *err, size_t errlen);

/* Splits the training tracks (rows idx[0..n)) into training and validation by
 * tracks, stratified: about `fraction` of each label's tracks (at least one
 * when the label has two or more) go to validation. Writes the row indices. */
void split_validation(const size_t *idx, size_t n, const int *group, const int *y, size_t n_groups,
                      double fraction, unsigned long seed, size_t *train, size_t *n_train, size_t *val,
                      size_t *n_val);

#endif
