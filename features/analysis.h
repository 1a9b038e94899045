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

/* After analysis_run: its tempogram summed over its frames [TEMPO_WIN], and
 * the frame count; valid until the next run. */
const double *analysis_tempogram(const analysis_t *a, size_t *frames);
/* The tempo of a tempogram summed over `frames` frames of several signals. */
double analysis_tempo_from(const analysis_t *a, const double *ac_sum, size_t frames);

#endif
