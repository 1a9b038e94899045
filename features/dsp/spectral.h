/* Per-frame spectral shape features from the magnitude spectrum, as
 * librosa.feature.spectral_{centroid,bandwidth,rolloff,contrast} (0.10.1).
 *
 * They work on SPECTRAL_LANES frames at once, transposed: bin k of lane l is
 * mag[k * SPECTRAL_LANES + l], so every loop runs across frames in vector
 * registers. */
#ifndef GENRE_SPECTRAL_H
#define GENRE_SPECTRAL_H

#define CONTRAST_BANDS 7 /* n_bands 6 octaves from 200 Hz, plus the band below */
#define SPECTRAL_LANES 16

typedef struct spectral spectral_t;

spectral_t *spectral_new(double sr, int n_fft); /* NULL when out of memory */
void spectral_free(spectral_t *s);

/* centroid (Hz), bandwidth (Hz, p = 2, normalised), rolloff (Hz, 85%) of each
 * lane, into centroid[l], bandwidth[l], rolloff[l]. */
void spectral_shape(const spectral_t *s, const float *mag, double *centroid,
                    double *bandwidth, double *rolloff);

/* Spectral contrast before the dB step: the mean of the top and of the bottom
 * 2% of each octave band (linear magnitude), into peak[l * CONTRAST_BANDS + b]
 * and valley[l * CONTRAST_BANDS + b]. */
void spectral_peak_valley(const spectral_t *s, const float *mag, double *peak, double *valley);

#endif
