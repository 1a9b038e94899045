/* A published train / validation / test split (e.g. GTZAN's fault-filtered
 * one, data/splits/): DIR/train.txt, optional DIR/valid.txt, DIR/test.txt,
 * one <genre>/<file> per line, matched to the data's tracks by label and file
 * stem. Tracks listed but absent, and present but unlisted, are counted. */
#ifndef GENRE_SPLIT_H
#define GENRE_SPLIT_H

#include <stddef.h>

typedef struct split_counts {
  size_t train, valid, test; /* listed tracks found in the data */
  size_t absent;             /* listed, not in the data */
  size_t unlisted;           /* in the data, not listed (left out) */
} split_counts_t;

/* For each of n_tracks tracks (name = file stem, label): fold 0 (test), 1
 * (train or valid) or -1 (not listed); valid[t] = 1 for validation tracks.
 * 0, or -1 with the reason (a missing list, a malformed line, a track in two
 * lists). */
int split_assign(const char *dir, char *const *tracks, const char *const *labels, size_t n_tracks, int *fold,
                 unsigned char *valid, split_counts_t *counts, char *err, size_t errlen);

#endif
