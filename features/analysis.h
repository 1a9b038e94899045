/* All features of one signal: the feature row of a 3-s segment or of a whole
 * file, and its log-mel spectrogram.
 *
 * Follows the recipe of ../shared/reference/README.md (librosa 0.10.1 defaults
 * at 22050 Hz). Frames are processed in chunks (ANALYSIS_CHUNK frames plus the
 * 15-frame context HPSS needs on each side), so memory stays bounded for
 * files of any length; a 30-s track is one chunk. Everything is allocated by
 * analysis_new and grown only when a longer signal than any before arrives. */
#ifndef GENRE_ANALYSIS_H
#define GENRE_ANALYSIS_H

#include <stddef.h>

#include "chroma.h"
#include "schema.h"

#define ANALYSIS_SR 22050
#define ANALYSIS_CHUNK 1536 /* frames per chunk (35.7 s: a GTZAN track is one chunk) */

typedef struct analysis analysis_t;

/* chunk_frames: 0 for ANALYSIS_CHUNK (other values are for tests). */
analysis_t *analysis_new(size_t chunk_frames); /* NULL when out of memory */
void analysis_free(analysis_t *a);

/* Features of x[0..n) (n >= 1) into row[FEATURE_COUNT]. When mel_db is not NULL it
 * receives the log-mel spectrogram, band-major [MEL_BANDS][stft_frames(n)]:
 * 10*log10 of the mel power, floored at its maximum - 80 dB.
 * Returns 0, or -1 when out of memory. */
int analysis_run(analysis_t *a, const float *x, size_t n, double *row, float *mel_db);

/* The maxima the recipe's dB floors hang from (80 dB below each): of the
 * mel power and of spectral contrast's peaks and valleys, in dB. */
typedef struct analysis_levels {
  float mel_top_db;
  double contrast_top_peak, contrast_top_valley;
} analysis_levels_t;
void analysis_levels_init(analysis_levels_t *lv); /* -inf: raised by analysis_levels */
/* Raises lv to the maxima over frames [f0, f1) of x[0..n) (f1 0: to the
 * end) and adds their pitch peaks to th: the spectra alone, a fraction of a
 * run. 0, or -1 when out of memory. */
int analysis_levels(analysis_t *a, const float *x, size_t n, size_t f0, size_t f1, analysis_levels_t *lv,
                    tuning_hist_t *th);
/* Floors and chroma tuning of later runs from a longer signal's levels and
 * tuning bin instead of the signal's own; NULL and -1 go back to its own. */
void analysis_set_levels(analysis_t *a, const analysis_levels_t *levels, int tuning_bin);

/* analysis_run with every statistic over frames [f0, f1) of the signal only
 * (f1 0: to the end) and the waveform ones over their samples [f0 * hop,
 * f1 * hop) (to n for the last frame): the frames around them are context.
 * A long signal cut at frame boundaries with enough context on each side
 * gives, range by range, the frame values of the whole. */
int analysis_run_range(analysis_t *a, const float *x, size_t n, size_t f0, size_t f1, double *row, float *mel_db);

/* After analysis_run: its tempogram summed over its frames (of the range)
 * [TEMPO_WIN], and their count; valid until the next run. */
const double *analysis_tempogram(const analysis_t *a, size_t *frames);
/* The tempo of a tempogram summed over `frames` frames of several signals. */
double analysis_tempo_from(const analysis_t *a, const double *ac_sum, size_t frames);

#endif
