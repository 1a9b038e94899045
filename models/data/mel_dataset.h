/* The log-mel spectrograms genre extract wrote: OUTDIR/mel/index.csv
 * (file,label,segments,source[,path]) and one .npy of [segments][128][130] float32
 * (or float16: extract --mel-dtype f16) per track. Every segment is a row; its track is its .npy; its name is
 * <stem>.<k>.wav, the name of the same segment in features_3_sec.csv.
 *
 * The spectrograms stay on disk: loading reads the index and checks every
 * .npy's header; rows are read when asked (pread, through the page cache, so
 * the processes of a node share one copy), a batch at a time. Memory holds
 * the index: per segment its label, track and name (about 65 bytes), per track
 * its file name, never the 66 KB of a spectrogram. */
#ifndef GENRE_MEL_DATASET_H
#define GENRE_MEL_DATASET_H

#include <stddef.h>

#include "real.h"
#include "rows.h"

struct mel_files;

typedef struct mel_dataset {
  size_t n_rows;
  int bands, frames; /* 128, 130 */
  int *y;            /* [n_rows] */
  int n_classes;
  char **labels;
  int *group;        /* track of each row */
  size_t n_groups;
  char **groups;     /* track (stem) names */
  char **paths;      /* [n_groups]: each track's audio file (absolute; NULL when the index has no path column) */
  char **names;      /* [n_rows] */
  char dir[1024];
  /* row r is segment r - first[group[r]] of the .npy files[group[r]] in dir,
     whose data starts at byte data_at[group[r]] */
  char **files;      /* [n_groups] */
  size_t *first;     /* [n_groups] */
  long *data_at;     /* [n_groups] */
  unsigned char *elem; /* [n_groups]: bytes per value, 4 (float32) or 2 (float16) */
  struct mel_files *open; /* descriptors kept open between reads */
  real *held;        /* [n_rows][bands][frames] after mel_dataset_hold, else NULL */
} mel_dataset_t;

/* dir: an extract OUTDIR or its mel/ directory. With `labels`, classes are
 * those (a label outside them is an error). Errors name the file and reason:
 * a missing index or .npy, a shape that is not [segments][128][130] as the
 * index says, a truncated file, non-finite values. */
int mel_dataset_load(const char *dir, char *const *labels, int n_labels, mel_dataset_t *d, char *err, size_t errlen);
void mel_dataset_free(mel_dataset_t *d);

/* The dataset an extract folder would give, from spectrograms in memory (the
 * Python package's fit): x[n][128][130] with each row's label and track; a
 * track's rows are its segments in order, named "<track>.<k>.wav"; tracks
 * are numbered in order of first appearance, classes sorted. The rows are
 * copied (held). 0, or -1 with the reason. */
int mel_dataset_from_memory(const float *x, size_t n, char *const *labels, char *const *tracks, mel_dataset_t *d,
                            char *err, size_t errlen);

/* Rows rows[0..n) into x[n][bands][frames] (dB), read from their .npy files.
 * 0, or -1 naming the file and segment: gone, truncated since loading, or
 * holding a non-finite value. Thread-safe. */
int mel_dataset_read(const mel_dataset_t *d, const size_t *rows, int n, real *x, char *err, size_t errlen);

/* Every row read into memory once (what training did before streaming; make
 * bench measures against it): the source then copies from memory. 0, or -1. */
int mel_dataset_hold(mel_dataset_t *d, char *err, size_t errlen);

/* The dataset as the rows training reads, `read_ahead` batches read ahead by a thread (0: none). */
row_source_t mel_dataset_source(const mel_dataset_t *d, int read_ahead);

#endif
