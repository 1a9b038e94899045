/* What an experiment's folds explain besides their probabilities, for the
 * report (issue "why, and how sure"): the ANN's permutation importance on each
 * test fold, with every shuffled column's confusion counts kept so that any
 * pair of classes can be asked which features separate it; the features that
 * pulled each tested row to the ANN's label (gradient x (value - training
 * mean)); and, per confusion cell, the CNN's most confident wrong segment with
 * its occlusion map. Every figure comes from the fold's own model on its own
 * test rows. */
#ifndef GENRE_FOLD_WHY_H
#define GENRE_FOLD_WHY_H

#include <stddef.h>
#include <stdio.h>

#include "dataset.h"
#include "mel_dataset.h"
#include "model.h"

#define WHY_TOP 3      /* features kept per row */
#define WHY_REPEATS 3  /* shuffles per column and fold */

typedef struct why_map {
  size_t row;       /* engine row; SIZE_MAX: none */
  int fold;
  float p;          /* the CNN's probability of the wrong label */
  float *mel, *map; /* [CNN_PLANE]: the log-mel (dB); the occlusion map of the wrong label's log-odds */
} why_map_t;

typedef struct fold_why {
  int K, folds;
  size_t rows, F;
  char *const *features; /* [F] the ANN's columns (NULL: no ANN) */
  int *base;             /* [folds][K][K] the ANN's test confusion counts, unshuffled */
  int *perm;             /* [folds][F][K][K] with column j shuffled, WHY_REPEATS times */
  unsigned char *done;   /* [folds] the ANN's importance is in */
  int *top;              /* [rows][WHY_TOP]: feature indices, largest |attribution| first (-1: not tested) */
  float *top_attr;       /* [rows][WHY_TOP] */
  why_map_t *cell;       /* [K][K] the CNN's, off the diagonal */
} fold_why_t;

/* For K classes, `folds` folds, `rows` engine rows and the ANN's table
 * (NULL: no ANN). 0, or -1 when out of memory (everything freed). */
int fold_why_init(fold_why_t *w, int K, int folds, size_t rows, const dataset_t *ann);
void fold_why_free(fold_why_t *w);

/* The ANN's share of fold `fold`: m, its table d, the test rows as engine
 * rows (engine[n]) and as d's rows (rows[n]), their probabilities. 0, or -1
 * when out of memory. */
int fold_why_ann(fold_why_t *w, int fold, model_t *m, const dataset_t *d, const size_t *engine, const size_t *rows,
                 size_t n, const real *probs, unsigned long seed);
/* The CNN's: each wrong test segment more confident than its cell's best
 * so far takes its place (folds run one at a time). 0, or -1 with a reason. */
int fold_why_cnn(fold_why_t *w, int fold, model_t *m, const mel_dataset_t *d, const size_t *engine,
                 const size_t *rows, size_t n, const real *probs, char *err, size_t errlen);

/* The ANN's test accuracy drop when column j is shuffled, pooled over the
 * folds done (fold -1) or in one fold (NAN when none), and for a pair of
 * classes the rise in their mutual confusions (a predicted b, or b predicted
 * a) per segment of a or b, pooled. */
double fold_why_drop(const fold_why_t *w, size_t j, int fold);
double fold_why_pair(const fold_why_t *w, size_t j, int a, int b);
/* Fold `fold`'s explanations as lines of its part (fold_part.h: "why-..."
 * lines, float bits in hexadecimal, so the merge is exact), and one such
 * line read back (with the lines that follow it, for a map; maps are taken
 * as fold_why_cnn takes them, so parts read in fold order give the
 * one-process result). 0, or -1 when damaged. */
void fold_why_write(const fold_why_t *w, int fold, const int *fold_of_row, FILE *f);
int fold_why_read(fold_why_t *w, int fold, FILE *f, char *line, size_t len);

/* The folds whose ANN importance is in. */
int fold_why_folds(const fold_why_t *w);

#endif
