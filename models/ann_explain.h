/* Why the ANN decided: permutation importance over a set of rows (Breiman
 * 2001: how much worse the model does when one column's values are shuffled
 * among the rows, so that column carries no information while its
 * distribution stays), and one row's attribution, gradient x (value -
 * training mean) of a label's log-odds. */
#ifndef GENRE_ANN_EXPLAIN_H
#define GENRE_ANN_EXPLAIN_H

#include <stddef.h>

#include "dataset.h"
#include "model.h"

/* For rows idx[n] of d and model m (an ANN over d's columns), the confusion
 * counts counts[F][K][K] (true x predicted, K = m's classes) with column j
 * shuffled among the rows, summed over `repeats` shuffles; base[K][K] the
 * counts unshuffled. The permutations come from seed alone. Counts are added
 * to what the arrays hold. 0, or -1 when out of memory. */
int ann_permutation(model_t *m, const dataset_t *d, const size_t *idx, size_t n, int repeats, unsigned long seed,
                    int *base, int *counts);

/* One row x[F] (raw, as the table holds it): attr[F] = the gradient of
 * label cls's log-odds with respect to each feature times (value - training
 * mean), the members' gradients averaged. Since the scaler is z = (x -
 * mean) / sd, this is dlogodds/dz * z. 0, or -1 when out of memory. */
int ann_attribution(model_t *m, const real *x, int cls, real *attr);

/* The `top` largest |attr[F]| as feature indices, largest first. */
void ann_top_features(const real *attr, size_t F, int top, int *index);

#endif
