#include "tempo.h"

#include <aubio/aubio.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stft.h"
#include "simd.h"

#define AC_FFT 768 /* >= 2 * TEMPO_WIN - 1: linear autocorrelation; 3 * 2^8 is fast */
#define START_BPM 120.0
#define STD_BPM 1.0
#define MAX_TEMPO 320.0
#define ONSET_SHIFT 3 /* lag 1 + n_fft / (2 * hop) */

struct tempo {
  fftw_plan forward, inverse;
  float window[TEMPO_WIN];    /* periodic Hann: aubio's "hanningz" */
  double bpm[TEMPO_WIN];      /* tempo of each lag; lag 0 is +inf */
  double logprior[TEMPO_WIN]; /* -inf where the lag is excluded */
  double *frame, *spec, *ac; /* AC_FFT, AC_FFT + 2, AC_FFT: float64 like librosa */
  double *mean_ac; /* [TEMPO_WIN] */
  float *padded;   /* envelope with its linear-ramp padding */
  size_t padded_cap;
};

tempo_t *tempo_new(double sr, int hop) {
  tempo_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->mean_ac = malloc(sizeof(double) * TEMPO_WIN);
  t->frame = stft_alloc(AC_FFT * sizeof(double));
  t->spec = stft_alloc((AC_FFT + 2) * sizeof(double));
  t->ac = stft_alloc(AC_FFT * sizeof(double));
  fvec_t *hann = new_aubio_window("hanningz", TEMPO_WIN);
  if (t->mean_ac && t->frame && t->spec && t->ac && hann) {
    memcpy(t->window, hann->data, sizeof t->window);
    fft_plan_lock();
    t->forward = fftw_plan_dft_r2c_1d(AC_FFT, t->frame, (fftw_complex *)t->spec, FFTW_ESTIMATE);
    t->inverse = fftw_plan_dft_c2r_1d(AC_FFT, (fftw_complex *)t->spec, t->ac, FFTW_ESTIMATE);
    fft_plan_unlock();
  }
  if (hann) del_fvec(hann);
  if (!t->forward || !t->inverse) {
    tempo_free(t);
    return NULL;
  }
  t->bpm[0] = INFINITY;
  for (int k = 1; k < TEMPO_WIN; k++) t->bpm[k] = 60.0 * sr / (hop * (double)k);
  /* lags before the first one under MAX_TEMPO are excluded */
  int max_idx = 0;
  while (max_idx < TEMPO_WIN && !(t->bpm[max_idx] < MAX_TEMPO)) max_idx++;
  for (int k = 0; k < TEMPO_WIN; k++) {
    double z = (log2(t->bpm[k]) - log2(START_BPM)) / STD_BPM;
    t->logprior[k] = k < max_idx ? -INFINITY : -0.5 * z * z;
  }
  return t;
}

void tempo_free(tempo_t *t) {
  if (!t) return;
  fft_plan_lock();
  if (t->forward) fftw_destroy_plan(t->forward);
  if (t->inverse) fftw_destroy_plan(t->inverse);
  fft_plan_unlock();
  free(t->mean_ac), free(t->frame), free(t->spec), free(t->ac), free(t->padded);
  free(t);
}

HOT_KERNEL
void onset_strength(const float *mel_db, size_t frames, int n_mels, float *env) {
  for (size_t f = 0; f < frames; f++) {
    if (f < ONSET_SHIFT || f - ONSET_SHIFT + 1 >= frames) {
      env[f] = 0.0f;
      continue;
    }
    const float *prev = mel_db + (f - ONSET_SHIFT) * n_mels, *cur = prev + n_mels;
    double lane[8] = {0}, acc = 0.0;
    int m = 0;
    for (; m + 8 <= n_mels; m += 8)
      for (int l = 0; l < 8; l++) {
        float d = cur[m + l] - prev[m + l];
        lane[l] += d > 0.0f ? d : 0.0f;
      }
    for (; m < n_mels; m++) {
      float d = cur[m] - prev[m];
      acc += d > 0.0f ? d : 0.0f;
    }
    for (int l = 0; l < 8; l++) acc += lane[l];
    env[f] = (float)(acc / n_mels);
  }
}

HOT_KERNEL
double tempo_estimate_range(tempo_t *t, const float *env, size_t frames, size_t f0, size_t f1) {
  const long half = TEMPO_WIN / 2;
  /* np.pad(mode="linear_ramp", end_values=0): ramps from 0 to the edge values
   * over `half` frames on both sides (float32, as the envelope) */
  size_t len = frames + 2 * half;
  if (len > t->padded_cap) {
    float *p = realloc(t->padded, len * sizeof *p);
    if (!p) return NAN;
    t->padded = p, t->padded_cap = len;
  }
  float left = frames ? env[0] : 0.0f, right = frames ? env[frames - 1] : 0.0f;
  for (long i = 0; i < half; i++) {
    t->padded[i] = (float)(left * (double)i / half);
    t->padded[half + frames + i] = (float)(right * (double)(half - 1 - i) / half);
  }
  memcpy(t->padded + half, env, frames * sizeof *env);
  memset(t->mean_ac, 0, sizeof(double) * TEMPO_WIN);
  for (size_t f = f0; f < f1; f++) {
    const float *win = t->padded + f; /* frame f: padded[f .. f + TEMPO_WIN) */
    for (int i = 0; i < TEMPO_WIN; i++) t->frame[i] = (double)win[i] * t->window[i];
    memset(t->frame + TEMPO_WIN, 0, sizeof(double) * (AC_FFT - TEMPO_WIN));
    fftw_execute(t->forward);
    for (int k = 0; k <= AC_FFT / 2; k++) { /* power spectrum, zero phase */
      double re = t->spec[2 * k], im = t->spec[2 * k + 1];
      t->spec[2 * k] = re * re + im * im;
      t->spec[2 * k + 1] = 0.0;
    }
    fftw_execute(t->inverse); /* unnormalised: every lag carries the same factor AC_FFT */
    double norm = t->ac[0]; /* lag 0 is the maximum of an autocorrelation */
    if (!(norm >= 2.2250738585072014e-308)) norm = 1.0; /* util.normalize leaves tiny columns */
    for (int k = 0; k < TEMPO_WIN; k++) t->mean_ac[k] += t->ac[k] / norm;
  }
  return tempo_from_sum(t, t->mean_ac, f1 - f0);
}

double tempo_estimate(tempo_t *t, const float *env, size_t frames) { return tempo_estimate_range(t, env, frames, 0, frames); }

const double *tempo_ac_sum(const tempo_t *t) { return t->mean_ac; }

double tempo_from_sum(const tempo_t *t, const double *ac_sum, size_t frames) {
  int best = 0;
  double best_score = -INFINITY;
  for (int k = 0; k < TEMPO_WIN; k++) {
    double score = log1p(1e6 * (ac_sum[k] / (double)frames)) + t->logprior[k];
    if (score > best_score) {
      best_score = score;
      best = k;
    }
  }
  return t->bpm[best];
}
