#include "spectral.h"

#include <math.h>
#include <stdlib.h>
#include "lanes.h"
#include "simd.h"

#define ROLL_PERCENT 0.85
#define CONTRAST_FMIN 200.0
#define CONTRAST_QUANTILE 0.02
#define CONTRAST_MAX_Q 16 /* largest count of extremes averaged per band (9 at 22050 Hz) */

struct spectral {
  int n_bins;
  double *freq;                                   /* Hz of each bin */
  int band_lo[CONTRAST_BANDS], band_hi[CONTRAST_BANDS]; /* bins [lo, hi) */
  int band_q[CONTRAST_BANDS];                     /* extremes averaged */
};

spectral_t *spectral_new(double sr, int n_fft) {
  spectral_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->n_bins = n_fft / 2 + 1;
  s->freq = malloc(sizeof(double) * s->n_bins);
  if (!s->freq) {
    free(s);
    return NULL;
  }
  for (int k = 0; k < s->n_bins; k++) s->freq[k] = k * sr / n_fft;

  /* Octave bands as librosa builds them: band k holds bins with
   * f_low <= f <= f_high, plus the bin just below (k > 0); all bands but the
   * last then drop their top bin; the last runs to Nyquist. The count of
   * extremes is rint(quantile * bins counted before the drop), at least 1. */
  double edges[CONTRAST_BANDS + 1];
  edges[0] = 0.0;
  for (int b = 1; b <= CONTRAST_BANDS; b++) edges[b] = CONTRAST_FMIN * pow(2.0, b - 1);
  for (int b = 0; b < CONTRAST_BANDS; b++) {
    int first = -1, last = -1;
    for (int k = 0; k < s->n_bins; k++)
      if (s->freq[k] >= edges[b] && s->freq[k] <= edges[b + 1]) {
        if (first < 0) first = k;
        last = k;
      }
    if (first < 0) first = last = 0; /* cannot happen for 22050 Hz, n_fft 2048 */
    int lo = b > 0 && first > 0 ? first - 1 : first;
    int hi = b == CONTRAST_BANDS - 1 ? s->n_bins : last + 1;
    int q = (int)rint(CONTRAST_QUANTILE * (hi - lo));
    if (q < 1) q = 1;
    if (q > CONTRAST_MAX_Q) q = CONTRAST_MAX_Q;
    if (b < CONTRAST_BANDS - 1) hi--;
    s->band_lo[b] = lo;
    s->band_hi[b] = hi;
    s->band_q[b] = q;
  }
  return s;
}

void spectral_free(spectral_t *s) {
  if (!s) return;
  free(s->freq);
  free(s);
}

#define L SPECTRAL_LANES

HOT_KERNEL
void spectral_shape(const spectral_t *s, const float *mag, double *centroid,
                    double *bandwidth, double *rolloff) {
  const double *freq = s->freq;
  int n = s->n_bins;
  dlanes_t tot_lo = {0}, tot_hi = {0}, wei_lo = {0}, wei_hi = {0};
  for (int k = 0; k < n; k++) {
    dlanes_t lo, hi;
    lanes_widen(lanes_load(mag + k * L), &lo, &hi);
    tot_lo += lo, tot_hi += hi;
    wei_lo += freq[k] * lo, wei_hi += freq[k] * hi;
  }
  /* util.normalize leaves a column whose sum is below float32's tiny as it is */
  dlanes_t tiny = (dlanes_t){0} + 1.17549435e-38, one = (dlanes_t){0} + 1.0;
  dlanes_mask_t small_lo = tot_lo < tiny, small_hi = tot_hi < tiny;
  dlanes_t norm_lo = (dlanes_t)(((dlanes_mask_t)one & small_lo) | ((dlanes_mask_t)tot_lo & ~small_lo));
  dlanes_t norm_hi = (dlanes_t)(((dlanes_mask_t)one & small_hi) | ((dlanes_mask_t)tot_hi & ~small_hi));
  dlanes_t c_lo = wei_lo / norm_lo, c_hi = wei_hi / norm_hi;
  dlanes_t spr_lo = {0}, spr_hi = {0};
  for (int k = 0; k < n; k++) {
    dlanes_t lo, hi;
    lanes_widen(lanes_load(mag + k * L), &lo, &hi);
    dlanes_t d_lo = freq[k] - c_lo, d_hi = freq[k] - c_hi;
    spr_lo += lo * d_lo * d_lo, spr_hi += hi * d_hi * d_hi;
  }
  /* rolloff: the first bin where the running sum reaches 85% of the total, i.e.
   * the number of bins whose running sum is still below it */
  dlanes_t thr_lo = ROLL_PERCENT * tot_lo, thr_hi = ROLL_PERCENT * tot_hi;
  dlanes_t acc_lo = {0}, acc_hi = {0};
  dlanes_mask_t below_lo = {0}, below_hi = {0};
  for (int k = 0; k < n; k++) {
    dlanes_t lo, hi;
    lanes_widen(lanes_load(mag + k * L), &lo, &hi);
    acc_lo += lo, acc_hi += hi;
    below_lo -= acc_lo < thr_lo; /* a true comparison is -1 */
    below_hi -= acc_hi < thr_hi;
  }
  for (int l = 0; l < 8; l++) {
    centroid[l] = c_lo[l], centroid[l + 8] = c_hi[l];
    bandwidth[l] = sqrt(spr_lo[l] / norm_lo[l]), bandwidth[l + 8] = sqrt(spr_hi[l] / norm_hi[l]);
    rolloff[l] = freq[below_lo[l] < n ? below_lo[l] : n - 1];
    rolloff[l + 8] = freq[below_hi[l] < n ? below_hi[l] : n - 1];
  }
}

/* The q largest of each lane of v[0..n) (q <= CONTRAST_MAX_Q), kept sorted in
 * best[0..q) (descending) by an insertion network: branch-free, one min and
 * one max per kept value and element. `sign` -1 finds the smallest instead.
 * Always inlined with a constant q, so the kept values live in registers. */
static inline __attribute__((always_inline)) void lane_extremes(const float *v, int n, const int q,
                                                                float sign, double *mean) {
  lanes_t best[CONTRAST_MAX_Q];
  for (int j = 0; j < q; j++) best[j] = lanes_splat(-INFINITY);
  for (int k = 0; k < n; k++) {
    lanes_t x = sign * lanes_load(v + k * L);
    for (int j = 0; j < q; j++) { /* best[j] keeps the larger; x carries the other on */
      lanes_t b = best[j];
      best[j] = lanes_max(b, x);
      x = lanes_min(b, x);
    }
  }
  float kept[CONTRAST_MAX_Q][L];
  for (int j = 0; j < q; j++) lanes_store(kept[j], best[j]);
  for (int l = 0; l < L; l++) {
    double sum = 0.0;
    for (int j = 0; j < q; j++) sum += kept[j][l];
    mean[l] = sign * sum / q;
  }
}

static __attribute__((noinline)) void lane_extremes_any(const float *v, int n, int q, float sign,
                                                        double *mean) {
  lane_extremes(v, n, q, sign, mean);
}

static inline __attribute__((always_inline)) void band_extremes(const float *v, int n, int q,
                                                                double *hi, double *lo) {
  /* the counts that occur at 22050 Hz with n_fft 2048 get their own code */
  switch (q) {
#define CASE(Q)                                                                                    \
  case Q:                                                                                          \
    lane_extremes(v, n, Q, 1.0f, hi);                                                              \
    lane_extremes(v, n, Q, -1.0f, lo);                                                             \
    break;
    CASE(1) CASE(2) CASE(3) CASE(6) CASE(9)
#undef CASE
  default:
    lane_extremes_any(v, n, q, 1.0f, hi);
    lane_extremes_any(v, n, q, -1.0f, lo);
  }
}

HOT_KERNEL
void spectral_peak_valley(const spectral_t *s, const float *mag, double *peak, double *valley) {
  double hi[L], lo[L];
  for (int b = 0; b < CONTRAST_BANDS; b++) {
    const float *v = mag + (size_t)s->band_lo[b] * L;
    int n = s->band_hi[b] - s->band_lo[b];
    band_extremes(v, n, s->band_q[b], hi, lo);
    for (int l = 0; l < L; l++) {
      peak[l * CONTRAST_BANDS + b] = hi[l];
      valley[l * CONTRAST_BANDS + b] = lo[l];
    }
  }
}
