#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "simd.h"

struct stft {
  fftw_plan forward, inverse;
  double *window;    /* periodic Hann */
  double *frame;     /* windowed input, inverse output */
  fftw_complex *bins; /* spectrum in double */
};

static pthread_mutex_t plan_mutex = PTHREAD_MUTEX_INITIALIZER;
void fft_plan_lock(void) { pthread_mutex_lock(&plan_mutex); }
void fft_plan_unlock(void) { pthread_mutex_unlock(&plan_mutex); }

void *stft_alloc(size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, bytes ? bytes : 64);
  if (p) memset(p, 0, bytes);
  return p;
}

stft_t *stft_new(void) {
  stft_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->window = stft_alloc(STFT_N_FFT * sizeof(double));
  s->frame = stft_alloc(STFT_N_FFT * sizeof(double));
  s->bins = stft_alloc(STFT_BINS * sizeof(fftw_complex));
  if (s->window && s->frame && s->bins) {
    for (int i = 0; i < STFT_N_FFT; i++) s->window[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / STFT_N_FFT);
    fft_plan_lock();
    s->forward = fftw_plan_dft_r2c_1d(STFT_N_FFT, s->frame, s->bins, FFTW_ESTIMATE);
    s->inverse = fftw_plan_dft_c2r_1d(STFT_N_FFT, s->bins, s->frame, FFTW_ESTIMATE);
    fft_plan_unlock();
  }
  if (!s->forward || !s->inverse) {
    stft_free(s);
    return NULL;
  }
  return s;
}

void stft_free(stft_t *s) {
  if (!s) return;
  fft_plan_lock();
  if (s->forward) fftw_destroy_plan(s->forward);
  if (s->inverse) fftw_destroy_plan(s->inverse);
  fft_plan_unlock();
  free(s->window), free(s->frame), free(s->bins);
  free(s);
}

const double *stft_window(const stft_t *s) { return s->window; }

HOT_KERNEL
void stft_frame(stft_t *s, const float *x, size_t n, size_t t, float *spec) {
  long start = (long)(t * STFT_HOP) - STFT_N_FFT / 2; /* may precede the signal */
  long lo = start < 0 ? -start : 0;
  long hi = (long)n - start < STFT_N_FFT ? (long)n - start : STFT_N_FFT;
  if (hi < lo) hi = lo;
  double *f = s->frame;
  const double *w = s->window;
  for (long i = 0; i < lo; i++) f[i] = 0.0;
  for (long i = lo; i < hi; i++) f[i] = x[start + i] * w[i];
  for (long i = hi; i < STFT_N_FFT; i++) f[i] = 0.0;
  fftw_execute(s->forward);
  const double *b = (const double *)s->bins;
  for (int k = 0; k < 2 * STFT_BINS; k++) spec[k] = (float)b[k]; /* complex64, as librosa */
}

HOT_KERNEL
void stft_magnitude(const float *spec, float *mag) {
  for (int k = 0; k < STFT_BINS; k++) {
    float re = spec[2 * k], im = spec[2 * k + 1];
    mag[k] = sqrtf(re * re + im * im);
  }
}

HOT_KERNEL
void stft_inverse(stft_t *s, const float *spec, double *frame) {
  double *b = (double *)s->bins;
  for (int k = 0; k < 2 * STFT_BINS; k++) b[k] = spec[k];
  fftw_execute(s->inverse); /* into s->frame; c2r overwrites s->bins */
  const double scale = 1.0 / STFT_N_FFT;
  for (int i = 0; i < STFT_N_FFT; i++) frame[i] = s->frame[i] * scale * s->window[i];
}
