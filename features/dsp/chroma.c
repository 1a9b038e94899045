#include "chroma.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lanes.h"
#include "simd.h"

#define PIP_FMIN 150.0
#define PIP_FMAX 4000.0
#define PIP_THRESHOLD 0.1f
#define TUNING_RESOLUTION 0.01

void pitch_peaks_clear(pitch_peaks_t *p) { p->n = 0; }

void pitch_peaks_free(pitch_peaks_t *p) {
  free(p->pitch);
  free(p->mag);
  free(p->scratch);
  memset(p, 0, sizeof *p);
}

static int peaks_push(pitch_peaks_t *p, float pitch, float mag) {
  if (p->n == p->cap) { /* grows rarely: the buffer is reused across signals */
    size_t cap = p->cap ? 2 * p->cap : 4096;
    float *a = realloc(p->pitch, cap * sizeof *a);
    if (!a) return -1;
    p->pitch = a;
    float *b = realloc(p->mag, cap * sizeof *b);
    if (!b) return -1;
    p->mag = b;
    float *c = realloc(p->scratch, cap * sizeof *c);
    if (!c) return -1;
    p->scratch = c;
    p->cap = cap;
  }
  p->pitch[p->n] = pitch;
  p->mag[p->n] = mag;
  p->n++;
  return 0;
}

/* Arithmetic is float32 where librosa's is, so near-ties resolve the same way. */
HOT_KERNEL
int piptrack_lanes(const float *mag, int n_bins, double sr, int n_fft, int used,
                   pitch_peaks_t *peaks) {
  const int L = PITCH_LANES;
  double bin_hz = sr / n_fft;
  int k_lo = (int)ceil(PIP_FMIN / bin_hz), k_hi = k_lo; /* bins in [fmin, fmax) */
  while ((k_hi + 1) * bin_hz < PIP_FMAX) k_hi++;
  if (k_lo < 1) k_lo = 1;
  if (k_hi > n_bins - 2) k_hi = n_bins - 2;
  /* threshold: 0.1 * the frame's largest power (= largest magnitude, squared) */
  lanes_t top = lanes_splat(0.0f);
  for (int k = 0; k < n_bins; k++) top = lanes_max(top, lanes_load(mag + k * L));
  lanes_t ref = PIP_THRESHOLD * (top * top), zero = lanes_splat(0.0f);
  lanes_mask_t live = {0}; /* lanes that hold real frames */
  for (int l = 0; l < used; l++) live[l] = -1;
#define POWER(k) (lanes_load(mag + (k) * L) * lanes_load(mag + (k) * L))
  lanes_t prev = POWER(k_lo - 1), cur = POWER(k_lo);
  for (int k = k_lo; k <= k_hi; k++) {
    lanes_t next = POWER(k + 1);
    /* local maximum of the power thresholded at ref (zero below it) */
    lanes_t tp = lanes_select(prev > ref, prev, zero), tc = lanes_select(cur > ref, cur, zero);
    lanes_t tn = lanes_select(next > ref, next, zero);
    lanes_mask_t peak = (tc > tp) & (tc >= tn) & live;
    if (lanes_any(peak)) {
      /* parabolic interpolation on the raw power */
      lanes_t a = next + prev - 2.0f * cur, b = (next - prev) / 2.0f;
      lanes_t shift = lanes_select(lanes_abs(b) >= lanes_abs(a), zero, -b / a);
      lanes_t mags = cur + 0.5f * b * shift; /* dskew = 0.5 * gradient * shift */
      for (int l = 0; l < L; l++)
        if (peak[l] && peaks_push(peaks, (float)((k + (double)shift[l]) * sr / n_fft), mags[l]))
          return -1;
    }
    prev = cur, cur = next;
  }
#undef POWER
  return 0;
}

/* k-th smallest of v[0..n) (Hoare's selection; reorders v). */
static float select_kth(float *v, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    float pivot = v[lo + (hi - lo) / 2];
    size_t i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        float t = v[i];
        v[i] = v[j], v[j] = t;
        i++;
        if (j == 0) break;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k];
  }
  return v[k];
}

/* np.median: the middle value, or the float32 mean of the middle pair. */
static float median_of(float *v, size_t n) {
  float upper = select_kth(v, n, n / 2);
  if (n % 2) return upper;
  float lower = v[0]; /* after selection v[0 .. n/2) <= upper: take their maximum */
  for (size_t i = 1; i < n / 2; i++)
    if (v[i] > lower) lower = v[i];
  return (lower + upper) / 2.0f;
}

double tuning_of_bin(int bin) {
  return bin == TUNING_N_BINS ? 0.5 : bin * TUNING_RESOLUTION - 0.5; /* np.linspace edges */
}

/* The histogram bin of a peak's deviation from the nearest semitone, bins
 * [-0.5, 0.5) of 0.01 (numpy's edges), or -1 outside them. */
static int residual_bin(float pitch, const double *edges) {
  /* 12 * hz_to_octs(f) mod 1, in float32 like numpy on a float32 array */
  float octs = log2f(pitch / 27.5f); /* A440 / 16 */
  float r = fmodf(12.0f * octs, 1.0f);
  if (r < 0.0f) r += 1.0f;
  if (r >= 0.5f) r -= 1.0f;
  double rd = r;
  if (rd < edges[0] || rd > edges[TUNING_N_BINS]) return -1;
  int lo = 0, hi = TUNING_N_BINS; /* find i with edges[i] <= r < edges[i+1] */
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (edges[mid] <= rd) lo = mid;
    else hi = mid;
  }
  return lo;
}

static void tuning_edges(double *edges) {
  for (int i = 0; i <= TUNING_N_BINS; i++) edges[i] = tuning_of_bin(i);
}

static int histogram_argmax(const unsigned long long *counts) {
  int best = 0;
  for (int i = 1; i < TUNING_N_BINS; i++)
    if (counts[i] > counts[best]) best = i;
  return best;
}

int estimate_tuning_bin(pitch_peaks_t *peaks) {
  const int none = TUNING_N_BINS / 2; /* tuning 0.0 */
  size_t n = peaks->n;
  if (n == 0) return none;
  /* threshold: median peak magnitude, from a copy (the pitch/mag pairing stays) */
  memcpy(peaks->scratch, peaks->mag, n * sizeof(float));
  float threshold = median_of(peaks->scratch, n);
  double edges[TUNING_N_BINS + 1];
  tuning_edges(edges);
  unsigned long long counts[TUNING_N_BINS] = {0}, used = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(peaks->mag[i] >= threshold) || !(peaks->pitch[i] > 0.0f)) continue;
    int b = residual_bin(peaks->pitch[i], edges);
    if (b >= 0) counts[b]++, used++;
  }
  return used ? histogram_argmax(counts) : none;
}

/* Magnitude buckets of the pooled histogram: 16 per octave from 2^-64 to 2^64. */
static int mag_bucket(float mag) {
  double b = (log2((double)mag) + 64.0) * 16.0;
  return !(b > 0) ? 0 : b >= TUNING_MAG_BUCKETS ? TUNING_MAG_BUCKETS - 1 : (int)b;
}

void tuning_hist_add(tuning_hist_t *h, const pitch_peaks_t *peaks) {
  double edges[TUNING_N_BINS + 1];
  tuning_edges(edges);
  for (size_t i = 0; i < peaks->n; i++) {
    int m = mag_bucket(peaks->mag[i]);
    h->peaks[m]++;
    if (!(peaks->pitch[i] > 0.0f)) continue;
    int b = residual_bin(peaks->pitch[i], edges);
    if (b >= 0) h->counts[(size_t)m * TUNING_N_BINS + (size_t)b]++;
  }
}

int tuning_hist_bin(const tuning_hist_t *h) {
  unsigned long long total = 0, below = 0, counts[TUNING_N_BINS] = {0}, used = 0;
  for (int m = 0; m < TUNING_MAG_BUCKETS; m++) total += h->peaks[m];
  if (total == 0) return TUNING_N_BINS / 2;
  int from = 0; /* the bucket holding the median: it and those above pass the threshold */
  while (from < TUNING_MAG_BUCKETS - 1 && below + h->peaks[from] <= (total - 1) / 2) below += h->peaks[from++];
  for (int m = from; m < TUNING_MAG_BUCKETS; m++)
    for (int b = 0; b < TUNING_N_BINS; b++) counts[b] += h->counts[(size_t)m * TUNING_N_BINS + (size_t)b], used += h->counts[(size_t)m * TUNING_N_BINS + (size_t)b];
  return used ? histogram_argmax(counts) : TUNING_N_BINS / 2;
}

void chroma_filterbank(double sr, int n_fft, double tuning, float *weights) {
  int n_bins = n_fft / 2 + 1;
  double *frqbins = malloc(sizeof(double) * n_fft);
  double *binwidth = malloc(sizeof(double) * n_fft);
  double *wts = malloc(sizeof(double) * CHROMA_BINS * n_fft);
  if (!frqbins || !binwidth || !wts) {
    free(frqbins), free(binwidth), free(wts);
    memset(weights, 0, sizeof(float) * CHROMA_BINS * n_bins);
    return;
  }
  /* pitch of each FFT bin in chroma bins; bin 0 made up 1.5 octaves below bin 1 */
  double a440 = 440.0 * pow(2.0, tuning / CHROMA_BINS);
  double bin1 = CHROMA_BINS * log2((sr / n_fft) / (a440 / 16.0));
  frqbins[0] = bin1 - 1.5 * CHROMA_BINS; /* made up: 1.5 octaves below bin 1 */
  for (int k = 1; k < n_fft; k++) frqbins[k] = CHROMA_BINS * log2((k * sr / n_fft) / (a440 / 16.0));
  for (int k = 0; k < n_fft - 1; k++) binwidth[k] = fmax(frqbins[k + 1] - frqbins[k], 1.0);
  binwidth[n_fft - 1] = 1.0;

  double half = round(CHROMA_BINS / 2.0);
  for (int c = 0; c < CHROMA_BINS; c++)
    for (int k = 0; k < n_fft; k++) {
      /* distance to chroma c, wrapped into [-6, 6) */
      double d = fmod(frqbins[k] - c + half + 10.0 * CHROMA_BINS, (double)CHROMA_BINS) - half;
      double g = 2.0 * d / binwidth[k];
      wts[c * n_fft + k] = exp(-0.5 * g * g);
    }
  /* unit L2 norm per FFT bin, then the octave weighting around ctroct 5 */
  for (int k = 0; k < n_fft; k++) {
    double ss = 0.0;
    for (int c = 0; c < CHROMA_BINS; c++) ss += wts[c * n_fft + k] * wts[c * n_fft + k];
    double norm = sqrt(ss);
    double oct = exp(-0.5 * pow((frqbins[k] / CHROMA_BINS - 5.0) / 2.0, 2.0));
    for (int c = 0; c < CHROMA_BINS; c++) {
      double v = norm > 0.0 ? wts[c * n_fft + k] / norm : wts[c * n_fft + k];
      wts[c * n_fft + k] = v * oct;
    }
  }
  /* base C: roll rows by -3 (row 0 becomes C), keep the non-aliased bins */
  for (int c = 0; c < CHROMA_BINS; c++) {
    int src = (c + 3) % CHROMA_BINS;
    for (int k = 0; k < n_bins; k++) weights[c * n_bins + k] = (float)wts[src * n_fft + k];
  }
  free(frqbins), free(binwidth), free(wts);
}
