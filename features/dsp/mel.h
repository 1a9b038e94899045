/* Mel filterbank, dB conversion and MFCC (librosa 0.10.1 defaults).
 *
 * librosa.filters.mel(sr, n_fft, n_mels=128, fmin=0, fmax=sr/2, htk=False,
 * norm="slaney"): Slaney's mel scale (linear below 1 kHz, logarithmic above),
 * triangles normalised to constant area. Weights are computed in double and
 * stored as float32, as librosa does. */
#ifndef GENRE_MEL_H
#define GENRE_MEL_H

#include <stddef.h>

#define MEL_BANDS 128
#define MFCC_COUNT 20
#define DB_AMIN 1e-10f  /* power floor before log10 */
#define DB_TOP 80.0f    /* dynamic range kept below the maximum, dB */

typedef struct melbank melbank_t;

melbank_t *melbank_new(double sr, int n_fft); /* NULL when out of memory */
void melbank_free(melbank_t *m);

#define MEL_LANES 16

/* Mel power of MEL_LANES frames at once from their magnitudes, transposed
 * (bin k of frame l at mag[k * MEL_LANES + l]): the power |X|^2 is formed in
 * float32 as librosa does, then weighted. mel[l * MEL_BANDS + b]. */
void melbank_apply(const melbank_t *m, const float *mag, float *mel);

/* Dense weights [MEL_BANDS][n_fft/2+1], for tests. */
const float *melbank_weights(const melbank_t *m);

double hz_to_mel(double hz); /* Slaney */
double mel_to_hz(double mel);

/* librosa.power_to_db(S, ref=1, amin=1e-10, top_db=80) over n values, in place:
 * 10*log10(max(amin, S)) floored at (maximum - 80 dB). With given_top, the
 * floor is *given_top - 80 dB instead (the maximum of a longer signal these
 * values are part of). Returns the values' own maximum in dB. */
float power_to_db(float *s, size_t n, const float *given_top);

/* Orthonormal DCT-II matrix rows 0..MFCC_COUNT-1 over MEL_BANDS inputs
 * (scipy.fft.dct(type=2, norm="ortho")), [MFCC_COUNT][MEL_BANDS]. */
void mfcc_dct_matrix(double *dct);

#endif
