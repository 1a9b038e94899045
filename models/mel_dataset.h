/* The log-mel spectrograms genre extract wrote: OUTDIR/mel/index.csv
 * (file,label,segments,source[,path]) and one .npy of [segments][128][130] float32
 * per track. Every segment is a row; its track is its .npy; its name is
 * <stem>.<k>.wav, the name of the same segment in features_3_sec.csv. */
#ifndef GENRE_MEL_DATASET_H
#define GENRE_MEL_DATASET_H

#include <stddef.h>

#include "real.h"

typedef struct mel_dataset {
  size_t n_rows;
  int bands, frames; /* 128, 130 */
  real *x;           /* [n_rows][bands][frames], dB */
  int *y;            /* [n_rows] */
  int n_classes;
  char **labels;
  int *group;        /* track of each row */
  size_t n_groups;
  char **groups;     /* track (stem) names */
  char **paths;      /* [n_groups]: each track's audio file (absolute; NULL when the index has no path column) */
  char **names;      /* [n_rows] */
  char dir[1024];
} mel_dataset_t;

/* dir: an extract OUTDIR or its mel/ directory. With `labels`, classes are
 * those (a label outside them is an error). Errors name the file and reason:
 * a missing index or .npy, a shape that is not [segments][128][130] as the
 * index says, a truncated file, non-finite values. */
int mel_dataset_load(const char *dir, char *const *labels, int n_labels, mel_dataset_t *d, char *err, size_t errlen);
void mel_dataset_free(mel_dataset_t *d);

#endif
