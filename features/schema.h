/* The feature table schema: the 60 columns of Kaggle's GTZAN
 * features_{3,30}_sec.csv in their order, then chroma1..12 and
 * spectral_contrast1..7 (mean, var), label last. */
#ifndef GENRE_SCHEMA_H
#define GENRE_SCHEMA_H

#include "chroma.h"
#include "mel.h"
#include "spectral.h"

/* The unit of the 3-s tables and of a spectrogram. */
#define SEGMENT_SAMPLES 66150 /* 3.0 s at 22050 Hz */
#define SEGMENT_FRAMES 130    /* 1 + 66150 / 512 */

/* Indices into a feature row (the numeric columns between `length` and `label`). */
enum feature_index {
  F_CHROMA_MEAN, F_CHROMA_VAR,
  F_RMS_MEAN, F_RMS_VAR,
  F_CENTROID_MEAN, F_CENTROID_VAR,
  F_BANDWIDTH_MEAN, F_BANDWIDTH_VAR,
  F_ROLLOFF_MEAN, F_ROLLOFF_VAR,
  F_ZCR_MEAN, F_ZCR_VAR,
  F_HARMONY_MEAN, F_HARMONY_VAR,
  F_PERCEPTR_MEAN, F_PERCEPTR_VAR,
  F_TEMPO,
  F_MFCC,                                        /* mfcc{k}_mean, mfcc{k}_var */
  F_CHROMA_BIN = F_MFCC + 2 * MFCC_COUNT,        /* chroma{k}_mean, _var */
  F_CONTRAST = F_CHROMA_BIN + 2 * CHROMA_BINS,   /* spectral_contrast{k}_mean, _var */
  FEATURE_COUNT = F_CONTRAST + 2 * CONTRAST_BANDS
};

#define KAGGLE_FEATURES F_CHROMA_BIN /* the published tables stop here */
#define SCHEMA_COLUMNS (FEATURE_COUNT + 3) /* filename, length, features, label */

/* Name of feature column i (static storage). */
const char *feature_name(int i);

#endif
