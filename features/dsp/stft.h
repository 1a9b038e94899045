/* Short-time Fourier transform with librosa 0.10.1 defaults.
 *
 * n_fft 2048, hop 512, periodic Hann window (aubio's "hanningz"), centered
 * frames: frame t covers samples [t*hop - n_fft/2, t*hop + n_fft/2) of the
 * signal, zero outside it (librosa's center=True, pad_mode="constant"). A signal
 * of n samples has 1 + n / hop frames.
 *
 * Precision follows librosa: the window and the transform are float64 (numpy's
 * FFT always computes in double), the spectrum is then stored as complex64. A
 * float32 transform would not do: its error is relative to the frame's energy,
 * so spectral valleys 100+ dB down (pure tones) come out as noise and spectral
 * contrast drifts by percents.
 *
 * The transforms are FFTW's (the library under aubio's FFT, called directly:
 * aubio's wrapper is single precision, copies through 16-byte-aligned buffers
 * and repacks the output: 7.7 us per 2048-point transform against 2.1 us for
 * FFTW's double r2c here). Plans are FFTW_ESTIMATE, so they do not depend on
 * timing and every run computes the same bits.
 *
 * A spectrum is STFT_BINS interleaved (re, im) float pairs in a row of
 * STFT_CROW floats. */
#ifndef GENRE_STFT_H
#define GENRE_STFT_H

#include <stddef.h>

#define STFT_N_FFT 2048
#define STFT_HOP 512
#define STFT_BINS 1025 /* n_fft/2 + 1 */
#define STFT_ROW 1040  /* row stride of per-bin arrays: 1025 rounded up to 16 */
#define STFT_CROW 2064 /* row stride of a complex spectrum, floats (64-byte multiple) */

typedef struct stft stft_t;

stft_t *stft_new(void); /* NULL when out of memory */
void stft_free(stft_t *s);

static inline size_t stft_frames(size_t n_samples) { return 1 + n_samples / STFT_HOP; }

/* Spectrum of frame t of x[0..n) into spec[STFT_CROW]. */
void stft_frame(stft_t *s, const float *x, size_t n, size_t t, float *spec);

/* |spec| per bin into mag[STFT_BINS]. */
void stft_magnitude(const float *spec, float *mag);

/* Inverse FFT of spec, scaled by 1/n_fft and multiplied by the window: one
 * frame's term of librosa's istft overlap-add (computed in double). */
void stft_inverse(stft_t *s, const float *spec, double *frame);

/* The periodic Hann window (scipy.signal.get_window("hann", 2048)), in double. */
const double *stft_window(const stft_t *s);

/* 64-byte aligned, zeroed allocation (free with free()). */
void *stft_alloc(size_t bytes);

/* FFTW's planner is not thread-safe: every plan is made and destroyed under this. */
void fft_plan_lock(void);
void fft_plan_unlock(void);

#endif
