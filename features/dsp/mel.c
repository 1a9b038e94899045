#include "mel.h"

#include <math.h>
#include <stdlib.h>
#include "lanes.h"
#include "simd.h"

struct melbank {
  int n_bins;
  int lo[MEL_BANDS], hi[MEL_BANDS]; /* nonzero weights of band m: bins [lo, hi) */
  float *weights;                   /* [MEL_BANDS][n_bins] */
};

/* Slaney's scale: 3 bands per 200 Hz below 1 kHz, then 27 bands per log(6.4). */
#define MEL_F_SP (200.0 / 3.0)
#define MEL_MIN_LOG_HZ 1000.0
#define MEL_MIN_LOG_MEL (MEL_MIN_LOG_HZ / MEL_F_SP)
#define MEL_LOGSTEP (log(6.4) / 27.0)

double hz_to_mel(double hz) {
  if (hz >= MEL_MIN_LOG_HZ) return MEL_MIN_LOG_MEL + log(hz / MEL_MIN_LOG_HZ) / MEL_LOGSTEP;
  return hz / MEL_F_SP;
}

double mel_to_hz(double mel) {
  if (mel >= MEL_MIN_LOG_MEL) return MEL_MIN_LOG_HZ * exp(MEL_LOGSTEP * (mel - MEL_MIN_LOG_MEL));
  return MEL_F_SP * mel;
}

melbank_t *melbank_new(double sr, int n_fft) {
  melbank_t *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->n_bins = n_fft / 2 + 1;
  m->weights = calloc((size_t)MEL_BANDS * m->n_bins, sizeof(float));
  if (!m->weights) {
    free(m);
    return NULL;
  }
  /* band edges: MEL_BANDS + 2 points uniform on the mel scale, 0 Hz .. sr/2 */
  double mel_f[MEL_BANDS + 2];
  double max_mel = hz_to_mel(sr / 2.0);
  for (int i = 0; i < MEL_BANDS + 2; i++)
    mel_f[i] = mel_to_hz(max_mel * i / (MEL_BANDS + 1));
  for (int b = 0; b < MEL_BANDS; b++) {
    double lower_w = mel_f[b + 1] - mel_f[b], upper_w = mel_f[b + 2] - mel_f[b + 1];
    double enorm = 2.0 / (mel_f[b + 2] - mel_f[b]); /* Slaney area normalisation */
    m->lo[b] = m->n_bins;
    m->hi[b] = 0;
    for (int k = 0; k < m->n_bins; k++) {
      double f = k * sr / n_fft;
      double lower = (f - mel_f[b]) / lower_w, upper = (mel_f[b + 2] - f) / upper_w;
      double w = fmax(0.0, fmin(lower, upper));
      if (w > 0.0) {
        float wf = (float)(w * enorm);
        m->weights[(size_t)b * m->n_bins + k] = wf;
        if (k < m->lo[b]) m->lo[b] = k;
        m->hi[b] = k + 1;
      }
    }
    if (m->hi[b] < m->lo[b]) m->lo[b] = m->hi[b] = 0;
  }
  return m;
}

void melbank_free(melbank_t *m) {
  if (!m) return;
  free(m->weights);
  free(m);
}

const float *melbank_weights(const melbank_t *m) { return m->weights; }

HOT_KERNEL
void melbank_apply(const melbank_t *m, const float *mag, float *mel) {
  for (int b = 0; b < MEL_BANDS; b++) {
    const float *w = m->weights + (size_t)b * m->n_bins;
    dlanes_t acc_lo = {0}, acc_hi = {0};
    for (int k = m->lo[b]; k < m->hi[b]; k++) {
      lanes_t s = lanes_load(mag + k * MEL_LANES);
      dlanes_t lo, hi;
      lanes_widen(s * s, &lo, &hi); /* float32 power, as librosa's |X|**2 */
      acc_lo += w[k] * lo;
      acc_hi += w[k] * hi;
    }
    for (int l = 0; l < 8; l++) {
      mel[l * MEL_BANDS + b] = (float)acc_lo[l];
      mel[(l + 8) * MEL_BANDS + b] = (float)acc_hi[l];
    }
  }
}

HOT_KERNEL
float power_to_db(float *s, size_t n, const float *given_top) {
  if (n == 0) return -INFINITY;
  float top = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    s[i] = 10.0f * log10f(s[i] > DB_AMIN ? s[i] : DB_AMIN);
    if (s[i] > top) top = s[i];
  }
  float own = top;
  if (given_top) top = *given_top;
  float floor_db = top - DB_TOP;
  for (size_t i = 0; i < n; i++)
    if (s[i] < floor_db) s[i] = floor_db;
  return own;
}

void mfcc_dct_matrix(double *dct) {
  for (int k = 0; k < MFCC_COUNT; k++) {
    double scale = k == 0 ? sqrt(1.0 / MEL_BANDS) : sqrt(2.0 / MEL_BANDS);
    for (int n = 0; n < MEL_BANDS; n++)
      dct[k * MEL_BANDS + n] = scale * cos(M_PI * k * (2 * n + 1) / (2.0 * MEL_BANDS));
  }
}
