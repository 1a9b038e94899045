/* A recording of any length, analysed as it is decoded: its 3-s segments'
 * rows and log-mels as each is complete, and the whole-recording row (the
 * 30-s table's) at the end, in memory that does not grow with the length.
 *
 * The whole-recording row is the exact librosa recipe up to
 * RECORDING_EXACT_SECONDS. Beyond, some of the recipe's steps look at the
 * whole signal at once (the mel and spectral-contrast dB floors, 80 dB under
 * the loudest frame; chroma's tuning, from the median magnitude of every
 * spectral peak), so the row is pooled from windows of
 * RECORDING_WINDOW_SECONDS, each analysed exactly: means and variances
 * combined by Chan's pairwise formula (weights: frames, or samples for the
 * harmonic / percussive waveforms), tempo from the tempograms summed over
 * every window's frames. README gives the error this costs, measured on a
 * 10-minute file against the exact computation. */
#ifndef GENRE_RECORDING_H
#define GENRE_RECORDING_H

#include <stddef.h>

#include "schema.h"

#define RECORDING_EXACT_SECONDS 300
#define RECORDING_WINDOW_SECONDS 180

typedef struct recording recording_t;

/* window_seconds: 0 for RECORDING_WINDOW_SECONDS; exact_seconds: 0 for
 * RECORDING_EXACT_SECONDS (other values are for tests and measurements). */
recording_t *recording_new(size_t exact_seconds, size_t window_seconds); /* NULL when out of memory */
void recording_free(recording_t *r);

/* Called for segment k (in order) with its row[FEATURE_COUNT] and, when
 * asked for, its log-mel [MEL_BANDS][130] (band-major, as the .npy). Nonzero
 * stops the run. */
typedef int (*segment_fn)(void *ctx, size_t k, const double *row, const float *mel);

typedef struct recording_info {
  size_t samples, segments; /* at 22050 Hz; full 3-s segments */
  int windowed;             /* the whole row was pooled from windows */
  double missing;           /* seconds the header claimed beyond the data (decoded what is there) */
} recording_info_t;

enum { RECORDING_OK = 0, RECORDING_BAD_INPUT = -1, RECORDING_FAILED = -2 };

/* Decodes path (audio_open's formats and checks) and analyses it: each
 * segment for on_segment (none when it is NULL) and, with whole, the
 * whole-recording row there. RECORDING_BAD_INPUT with the
 * reason in err (segments before the problem may have been delivered),
 * RECORDING_FAILED when out of memory or when on_segment stopped it. */
int recording_run(recording_t *r, const char *path, int want_mel, double *whole, segment_fn on_segment, void *ctx,
                  recording_info_t *info, char *err, size_t errlen);

/* recording_run on samples in memory: x[frames][channels] (interleaved
 * float32, as a file decodes) at `rate` Hz, through the same downmix,
 * resampling and checks as a file's. */
int recording_run_memory(recording_t *r, const float *x, size_t frames, int channels, int rate, int want_mel,
                         double *whole, segment_fn on_segment, void *ctx, recording_info_t *info, char *err,
                         size_t errlen);

/* Pooled statistics of windows: add each window's row, then finish. */
typedef struct window_pool {
  double weight[FEATURE_COUNT], mean[FEATURE_COUNT], m2[FEATURE_COUNT];
  double *ac_sum; /* [TEMPO_WIN] */
  size_t ac_frames;
} window_pool_t;
int window_pool_init(window_pool_t *p);
void window_pool_free(window_pool_t *p);
/* A window's row over `frames` frames and `samples` samples, with its tempogram summed over those frames. */
void window_pool_add(window_pool_t *p, const double *row, size_t samples, size_t frames, const double *ac_sum);
/* The pooled row (tempo from the summed tempograms, with a's prior). */
struct analysis;
void window_pool_finish(const window_pool_t *p, const struct analysis *a, double *row);

#endif
