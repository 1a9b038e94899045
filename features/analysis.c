#include "analysis.h"

#include <float.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_statistics_float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chroma.h"
#include "lanes.h"
#include "median.h"
#include "mel.h"
#include "spectral.h"
#include "stft.h"
#include "tempo.h"
#include "waveform.h"
#include "simd.h"

#define CONTEXT MEDIAN_HALF /* frames of context HPSS needs on each side */

struct analysis {
  size_t chunk; /* frames per chunk */
  stft_t *stft;
  melbank_t *melbank;
  spectral_t *spectral;
  tempo_t *tempo;
  float *chroma_fb[TUNING_N_BINS]; /* chroma filterbanks, built on first use per tuning */
  double dct[MFCC_COUNT * MEL_BANDS];
  double wsq[STFT_N_FFT];  /* squared window, for istft's normalisation */
  float den_interior[STFT_HOP];

  /* chunk buffers */
  float *spec;            /* [chunk + 2 CONTEXT][STFT_CROW] complex spectra */
  float *mag;             /* [chunk + 2 CONTEXT][STFT_ROW] magnitudes */
  float *med_h, *med_p;   /* [chunk][STFT_ROW] medians along time / frequency */
  float *lanes_in, *lanes_out; /* [STFT_BINS][MEDIAN_LANES] transposed frames */
  const float **rows;     /* row pointers for median31 */
  double *ola, *ola_bad;  /* overlap-add of the harmonic part and of the zero-mask bins */
  double *frame;           /* one inverse-transformed frame */
  float *masked, *bad_spec; /* spectra */
  float power[STFT_ROW], mask[STFT_ROW];

  /* per-frame values of the current signal, grown to the longest signal seen */
  size_t cap;
  double *centroid, *bandwidth, *rolloff, *rms, *zcr;
  double *peak, *valley; /* [frames][CONTRAST_BANDS] */
  float *mel;            /* [frames][MEL_BANDS]: power, then dB */
  double *mel_d;         /* [chunk][MEL_BANDS]: dB in double, centred, for the DCT */
  double *frame_mean;    /* [frames]: mean mel dB */
  double *mfcc;          /* [frames][MFCC_COUNT] */
  float *chroma;         /* [frames][CHROMA_BINS] */
  float *env;            /* onset envelope */
  pitch_peaks_t peaks;

  /* harmonic / percussive waveforms, reduced while they are produced */
  long ola_base;         /* sample index of ola[0] */
  size_t done;           /* samples reduced so far */
  double h_sum, h_sq, p_sum, p_sq;
  int any_bad;    /* some frame of the current signal has zero-mask bins */
  size_t ola_len; /* samples of ola in use for the current signal */
  size_t frames;  /* of the last signal */
  size_t f0, f1, s0, s1; /* the frames and samples its statistics cover */
  const analysis_levels_t *given; /* floors from a longer signal (NULL: the signal's own) */
  int tuning_bin;                 /* chroma's tuning from a longer signal (-1: the signal's own) */
};

void analysis_free(analysis_t *a) {
  if (!a) return;
  stft_free(a->stft);
  melbank_free(a->melbank);
  spectral_free(a->spectral);
  tempo_free(a->tempo);
  for (int i = 0; i < TUNING_N_BINS; i++) free(a->chroma_fb[i]);
  free(a->spec), free(a->mag), free(a->med_h), free(a->med_p);
  free(a->frame), free(a->masked), free(a->bad_spec);
  free(a->lanes_in), free(a->lanes_out), free(a->rows), free(a->ola), free(a->ola_bad);
  free(a->centroid), free(a->bandwidth), free(a->rolloff), free(a->rms), free(a->zcr);
  free(a->peak), free(a->valley), free(a->mel), free(a->mel_d), free(a->frame_mean), free(a->mfcc), free(a->chroma), free(a->env);
  pitch_peaks_free(&a->peaks);
  free(a);
}

analysis_t *analysis_new(size_t chunk_frames) {
  analysis_t *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->chunk = chunk_frames ? chunk_frames : ANALYSIS_CHUNK;
  a->tuning_bin = -1;
  size_t rows = a->chunk + 2 * CONTEXT;
  size_t n_ptr = rows > STFT_BINS + 2 * CONTEXT ? rows : STFT_BINS + 2 * CONTEXT;
  a->stft = stft_new();
  a->melbank = melbank_new(ANALYSIS_SR, STFT_N_FFT);
  a->spectral = spectral_new(ANALYSIS_SR, STFT_N_FFT);
  a->tempo = tempo_new(ANALYSIS_SR, STFT_HOP);
  a->spec = stft_alloc(rows * STFT_CROW * sizeof(float));
  a->frame = stft_alloc(STFT_N_FFT * sizeof(double));
  a->masked = stft_alloc(STFT_CROW * sizeof(float));
  a->bad_spec = stft_alloc(STFT_CROW * sizeof(float));
  a->mag = aligned_alloc(64, rows * STFT_ROW * sizeof(float));
  a->med_h = stft_alloc(a->chunk * STFT_ROW * sizeof(float));
  a->med_p = stft_alloc(a->chunk * STFT_ROW * sizeof(float)); /* padding stays 0 */
  a->lanes_in = aligned_alloc(64, STFT_BINS * MEDIAN_LANES * sizeof(float));
  a->lanes_out = aligned_alloc(64, STFT_BINS * MEDIAN_LANES * sizeof(float));
  a->rows = malloc(n_ptr * sizeof *a->rows);
  a->ola = malloc((a->chunk * STFT_HOP + STFT_N_FFT) * sizeof(double));
  a->ola_bad = malloc((a->chunk * STFT_HOP + STFT_N_FFT) * sizeof(double));
  if (!a->stft || !a->melbank || !a->spectral || !a->tempo || !a->spec || !a->mag ||
      !a->frame || !a->masked || !a->bad_spec ||
      !a->med_h || !a->med_p || !a->lanes_in || !a->lanes_out || !a->rows || !a->ola ||
      !a->ola_bad) {
    analysis_free(a);
    return NULL;
  }
  /* magnitude rows are padded to STFT_ROW; the pad takes part in lane groups */
  memset(a->mag, 0, rows * STFT_ROW * sizeof(float));

  mfcc_dct_matrix(a->dct);

  const double *w = stft_window(a->stft);
  for (int i = 0; i < STFT_N_FFT; i++) a->wsq[i] = w[i] * w[i];
  /* librosa.filters.window_sumsquare: frames added in order, float32 sums */
  for (int r = 0; r < STFT_HOP; r++) {
    float acc = 0.0f;
    for (int j = 3; j >= 0; j--) acc = (float)(acc + a->wsq[r + j * STFT_HOP]);
    a->den_interior[r] = acc;
  }
  return a;
}

static int grow(void **p, size_t bytes) {
  void *q = realloc(*p, bytes);
  if (!q) return -1;
  *p = q;
  return 0;
}

static int reserve_frames(analysis_t *a, size_t frames) {
  if (frames <= a->cap) return 0;
  size_t cap = frames + frames / 4;
  if (grow((void **)&a->centroid, cap * sizeof(double)) ||
      grow((void **)&a->bandwidth, cap * sizeof(double)) ||
      grow((void **)&a->rolloff, cap * sizeof(double)) ||
      grow((void **)&a->rms, cap * sizeof(double)) ||
      grow((void **)&a->zcr, cap * sizeof(double)) ||
      grow((void **)&a->peak, cap * CONTRAST_BANDS * sizeof(double)) ||
      grow((void **)&a->valley, cap * CONTRAST_BANDS * sizeof(double)) ||
      grow((void **)&a->mel, cap * MEL_BANDS * sizeof(float)) ||
      grow((void **)&a->mel_d, (cap < a->chunk ? cap : a->chunk) * MEL_BANDS * sizeof(double)) ||
      grow((void **)&a->frame_mean, cap * sizeof(double)) ||
      grow((void **)&a->mfcc, cap * MFCC_COUNT * sizeof(double)) ||
      grow((void **)&a->chroma, cap * CHROMA_BINS * sizeof(float)) ||
      grow((void **)&a->env, cap * sizeof(float)))
    return -1;
  a->cap = cap;
  return 0;
}

/* istft normalisation at sample i of a signal with `frames` frames: the sum of
 * squared windows of the frames covering it (at most 4), in frame order. */
static float window_sum(const analysis_t *a, size_t i, size_t frames) {
  long t_hi = (long)((i + STFT_N_FFT / 2) / STFT_HOP), t_lo = t_hi - 3;
  if (t_lo >= 0 && t_hi < (long)frames) return a->den_interior[(i + STFT_N_FFT / 2) % STFT_HOP];
  float acc = 0.0f;
  for (long t = t_lo < 0 ? 0 : t_lo; t <= t_hi && t < (long)frames; t++)
    acc = (float)(acc + a->wsq[(long)i + STFT_N_FFT / 2 - t * STFT_HOP]);
  return acc;
}

/* Reduce finished samples [a->done, end) of the harmonic and percussive
 * waveforms. The percussive part is the signal minus the harmonic part minus
 * the bins where both masks are zero (istft is linear and inverts the STFT).
 * Samples covered by four frames use the periodic window sum, in a loop that
 * vectorises; the few near the ends sum their frames one by one. */
static inline __attribute__((always_inline)) void reduce_waveforms(analysis_t *a, const float *x, size_t end, size_t frames) {
  double hs[8] = {0}, hq[8] = {0}, ps[8] = {0}, pq[8] = {0};
  /* interior: all four frames exist, (i + 1024) / 512 in [3, frames) */
  size_t in_lo = STFT_HOP;
  size_t in_hi = frames * STFT_HOP > STFT_N_FFT / 2 ? frames * STFT_HOP - STFT_N_FFT / 2 : 0;
  size_t i = a->done > a->s0 ? a->done : a->s0, stop_at = end < a->s1 ? end : a->s1;
  if (i > stop_at) i = stop_at;
  while (i < stop_at) {
    size_t j = (size_t)((long)i - a->ola_base);
    if (i >= in_lo && i < in_hi && i % 8 == 0 && i + 8 <= stop_at && i + 8 <= in_hi) {
      size_t stop = stop_at < in_hi ? stop_at : in_hi;
      stop = i + (stop - i) / 8 * 8;
      for (; i < stop; i += 8, j += 8)
        for (int l = 0; l < 8; l++) {
          float den = a->den_interior[(i + l + STFT_N_FFT / 2) % STFT_HOP];
          float h = (float)a->ola[j + l] / den;
          float b = a->any_bad ? (float)a->ola_bad[j + l] / den : 0.0f;
          float p = x[i + l] - h - b;
          hs[l] += h, hq[l] += (double)h * h, ps[l] += p, pq[l] += (double)p * p;
        }
      continue;
    }
    float den = window_sum(a, i, frames);
    float h = (float)a->ola[j], b = a->any_bad ? (float)a->ola_bad[j] : 0.0f;
    if (den > FLT_MIN) h /= den, b /= den;
    float p = x[i] - h - b;
    hs[0] += h, hq[0] += (double)h * h, ps[0] += p, pq[0] += (double)p * p;
    i++;
  }
  for (int l = 0; l < 8; l++) a->h_sum += hs[l], a->h_sq += hq[l], a->p_sum += ps[l], a->p_sq += pq[l];
  a->done = end;
}

/* HPSS masks of one frame (librosa.decompose.hpss, power 2, margin 1, float32
 * as util.softmask computes them): the harmonic part of spec into a->masked.
 * Bins where both medians vanish get 0 in both masks; they go to a->bad_spec,
 * and their count is returned. */
static inline __attribute__((always_inline)) int harmonic_spectrum(analysis_t *a, const float *spec, const float *h_med,
                             const float *p_med) {
  /* softmask scales both by z = max(h, p): the larger becomes exactly 1, so
   * the mask is 1/(1 + r^2) or r^2/(r^2 + 1) with r = smaller / larger.
   * Rows are padded to STFT_ROW with zeros, so whole 16-lane blocks are safe. */
  float *mask = a->mask;
  const lanes_t tiny = lanes_splat(FLT_MIN), one = lanes_splat(1.0f), zero = lanes_splat(0.0f);
  lanes_mask_t any_bad = {0};
  for (int k = 0; k < STFT_ROW; k += 16) {
    lanes_t h = lanes_load(h_med + k), p = lanes_load(p_med + k);
    lanes_t z = lanes_max(h, p), lo = lanes_min(h, p);
    lanes_mask_t bad = z < tiny;
    lanes_t r = lo / lanes_select(bad, one, z), r2 = r * r;
    lanes_t m = lanes_select(h >= p, one, r2) / (r2 + one);
    lanes_store(mask + k, lanes_select(bad, zero, m));
    if (k + 16 <= STFT_BINS) any_bad |= bad; /* the padding is not a bin */
    else for (int l = 0; l < STFT_BINS - k; l++) any_bad[l] |= bad[l];
  }
  int zmin_bad = 0;
  for (int l = 0; l < 16; l++) zmin_bad |= any_bad[l];
  float *out = a->masked;
  for (int k = 0; k < STFT_BINS; k++) {
    out[2 * k] = spec[2 * k] * mask[k];
    out[2 * k + 1] = spec[2 * k + 1] * mask[k];
  }
  if (!zmin_bad) return 0;
  int bad = 0;
  memset(a->bad_spec, 0, STFT_CROW * sizeof(float));
  for (int k = 0; k < STFT_BINS; k++) {
    float z = h_med[k] > p_med[k] ? h_med[k] : p_med[k];
    if (!(z < FLT_MIN)) continue;
    bad++;
    a->bad_spec[2 * k] = spec[2 * k];
    a->bad_spec[2 * k + 1] = spec[2 * k + 1];
  }
  return bad;
}

static inline __attribute__((always_inline)) void overlap_add(double *ola, long base, size_t t, const double *frame) {
  double *dst = ola + ((long)(t * STFT_HOP) - STFT_N_FFT / 2 - base);
  for (int i = 0; i < STFT_N_FFT; i++) dst[i] += frame[i];
}

/* `used` consecutive magnitude rows from mag, transposed to [bin][frame] in
 * a->lanes_in (16 x 16 blocks, which stay in L1); missing lanes repeat the
 * last frame. */
static inline __attribute__((always_inline)) void to_lanes(analysis_t *a, const float *mag, size_t used) {
  const float *src[MEDIAN_LANES];
  for (int l = 0; l < MEDIAN_LANES; l++) src[l] = mag + ((size_t)l < used ? (size_t)l : used - 1) * STFT_ROW;
  for (int kb = 0; kb < STFT_ROW; kb += MEDIAN_LANES)
    for (int l = 0; l < MEDIAN_LANES; l++)
      for (int k = kb; k < kb + MEDIAN_LANES && k < STFT_BINS; k++) a->lanes_in[k * MEDIAN_LANES + l] = src[l][k];
}

/* Frames [t0, t1) of a signal with `frames` frames. */
HOT_KERNEL
static int process_chunk(analysis_t *a, const float *x, size_t n, size_t frames, size_t t0,
                         size_t t1) {
  size_t c0 = t0 > CONTEXT ? t0 - CONTEXT : 0;
  size_t c1 = t1 + CONTEXT < frames ? t1 + CONTEXT : frames;
  size_t count = t1 - t0;

  for (size_t t = c0; t < c1; t++) {
    float *spec = a->spec + (t - c0) * STFT_CROW;
    stft_frame(a->stft, x, n, t, spec);
    stft_magnitude(spec, a->mag + (t - c0) * STFT_ROW);
  }

  /* harmonic medians: along time, 16 bins per pass, reflected at the signal ends */
  for (int g = 0; g < STFT_ROW / MEDIAN_LANES; g++) {
    for (size_t p = 0; p < count + 2 * CONTEXT; p++) {
      size_t t = reflect_index((long)(t0 + p) - CONTEXT, frames);
      a->rows[p] = a->mag + (t - c0) * STFT_ROW + g * MEDIAN_LANES;
    }
    median31(a->rows, count, a->med_h + g * MEDIAN_LANES, STFT_ROW);
  }

  /* 16 frames at a time, transposed to [bin][frame] (16 x 16 blocks, which stay
   * in L1): percussive medians along frequency, and the per-frame spectral
   * features, all vectorised across the 16 frames */
  for (size_t p = 0; p < STFT_BINS + 2 * CONTEXT; p++)
    a->rows[p] = a->lanes_in + reflect_index((long)p - CONTEXT, STFT_BINS) * MEDIAN_LANES;
  double centroid[MEDIAN_LANES], bandwidth[MEDIAN_LANES], rolloff[MEDIAN_LANES];
  double peak[MEDIAN_LANES * CONTRAST_BANDS], valley[MEDIAN_LANES * CONTRAST_BANDS];
  float mel[MEDIAN_LANES * MEL_BANDS];
  for (size_t f = 0; f < count; f += MEDIAN_LANES) {
    size_t used = count - f < MEDIAN_LANES ? count - f : MEDIAN_LANES;
    to_lanes(a, a->mag + (t0 + f - c0) * STFT_ROW, used);

    median31(a->rows, STFT_BINS, a->lanes_out, MEDIAN_LANES);
    for (int kb = 0; kb < STFT_ROW; kb += MEDIAN_LANES)
      for (size_t l = 0; l < used; l++) {
        float *out = a->med_p + (f + l) * STFT_ROW;
        for (int k = kb; k < kb + MEDIAN_LANES && k < STFT_BINS; k++)
          out[k] = a->lanes_out[k * MEDIAN_LANES + l];
      }

    spectral_shape(a->spectral, a->lanes_in, centroid, bandwidth, rolloff);
    spectral_peak_valley(a->spectral, a->lanes_in, peak, valley);
    melbank_apply(a->melbank, a->lanes_in, mel);
    if (piptrack_lanes(a->lanes_in, STFT_BINS, ANALYSIS_SR, STFT_N_FFT, (int)used, &a->peaks))
      return -1;
    for (size_t l = 0; l < used; l++) {
      size_t t = t0 + f + l;
      a->centroid[t] = centroid[l], a->bandwidth[t] = bandwidth[l], a->rolloff[t] = rolloff[l];
      memcpy(a->peak + t * CONTRAST_BANDS, peak + l * CONTRAST_BANDS, sizeof(double) * CONTRAST_BANDS);
      memcpy(a->valley + t * CONTRAST_BANDS, valley + l * CONTRAST_BANDS, sizeof(double) * CONTRAST_BANDS);
      memcpy(a->mel + t * MEL_BANDS, mel + l * MEL_BANDS, sizeof(float) * MEL_BANDS);
    }
  }

  /* masks, inverse FFT, overlap-add */
  for (size_t t = t0; t < t1; t++) {
    const float *spec = a->spec + (t - c0) * STFT_CROW;
    int bad = harmonic_spectrum(a, spec, a->med_h + (t - t0) * STFT_ROW,
                                a->med_p + (t - t0) * STFT_ROW);
    stft_inverse(a->stft, a->masked, a->frame);
    overlap_add(a->ola, a->ola_base, t, a->frame);
    if (bad) {
      if (!a->any_bad) /* first such frame of the signal: start its overlap-add */
        memset(a->ola_bad, 0, a->ola_len * sizeof(double));
      a->any_bad = 1;
      stft_inverse(a->stft, a->bad_spec, a->frame);
      overlap_add(a->ola_bad, a->ola_base, t, a->frame);
    }
  }

  /* samples before the next frame's start are final */
  long next_base = (long)(t1 * STFT_HOP) - STFT_N_FFT / 2;
  size_t end = t1 == frames ? n : (next_base < 0 ? 0 : (size_t)next_base < n ? (size_t)next_base : n);
  reduce_waveforms(a, x, end, frames);
  if (t1 < frames) { /* carry the unfinished tail to the front of the buffers */
    size_t shift = (size_t)(next_base - a->ola_base);
    size_t keep = STFT_N_FFT - STFT_HOP;
    size_t total = a->chunk * STFT_HOP + STFT_N_FFT;
    memmove(a->ola, a->ola + shift, keep * sizeof(double));
    memset(a->ola + keep, 0, (total - keep) * sizeof(double));
    if (a->any_bad) {
      memmove(a->ola_bad, a->ola_bad + shift, keep * sizeof(double));
      memset(a->ola_bad + keep, 0, (total - keep) * sizeof(double));
    }
    a->ola_base = next_base;
  }
  return 0;
}

static const float *chroma_filterbank_for(analysis_t *a, int bin) {
  if (!a->chroma_fb[bin]) {
    float *w = malloc(CHROMA_BINS * STFT_BINS * sizeof(float));
    if (!w) return NULL;
    chroma_filterbank(ANALYSIS_SR, STFT_N_FFT, tuning_of_bin(bin), w);
    a->chroma_fb[bin] = w;
  }
  return a->chroma_fb[bin];
}

/* Chroma of frames [t0, t1) from the magnitudes in a->mag (row of frame t at
 * t - c0): raw = W * power via BLAS, then each frame scaled to max 1. */
HOT_KERNEL
static void chroma_frames(analysis_t *a, const float *fb, size_t t0, size_t t1, size_t c0) {
  size_t count = t1 - t0;
  float *power = a->med_h; /* free once the chunk's HPSS is done */
  for (size_t t = t0; t < t1; t++) {
    const float *mag = a->mag + (t - c0) * STFT_ROW;
    float *pw = power + (t - t0) * STFT_ROW;
    for (int k = 0; k < STFT_BINS; k++) pw[k] = mag[k] * mag[k];
  }
  float *raw = a->chroma + t0 * CHROMA_BINS;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)count, CHROMA_BINS, STFT_BINS, 1.0f,
              power, STFT_ROW, fb, STFT_BINS, 0.0f, raw, CHROMA_BINS);
  for (size_t t = 0; t < count; t++) {
    float *c = raw + t * CHROMA_BINS, top = 0.0f;
    for (int i = 0; i < CHROMA_BINS; i++)
      if (fabsf(c[i]) > top) top = fabsf(c[i]);
    if (top < FLT_MIN) continue; /* util.normalize leaves silent frames as they are */
    for (int i = 0; i < CHROMA_BINS; i++) c[i] /= top;
  }
}

static void mean_var(const double *v, size_t stride, size_t n, double *row, int at) {
  double m = gsl_stats_mean(v, stride, n);
  row[at] = m;
  row[at + 1] = gsl_stats_variance_with_fixed_mean(v, stride, n, m); /* population */
}

static void mean_var_f(const float *v, size_t stride, size_t n, double *row, int at) {
  double m = gsl_stats_float_mean(v, stride, n);
  row[at] = m;
  row[at + 1] = gsl_stats_float_variance_with_fixed_mean(v, stride, n, m);
}

HOT_KERNEL
int analysis_run(analysis_t *a, const float *x, size_t n, double *row, float *mel_db) {
  return analysis_run_range(a, x, n, 0, 0, row, mel_db);
}

int analysis_run_range(analysis_t *a, const float *x, size_t n, size_t f0, size_t f1, double *row, float *mel_db) {
  size_t frames = stft_frames(n);
  if (n == 0 || reserve_frames(a, frames)) return -1;
  if (f1 == 0 || f1 > frames) f1 = frames;
  if (f0 >= f1) return -1;
  a->frames = frames;
  a->f0 = f0, a->f1 = f1, a->s0 = f0 * STFT_HOP, a->s1 = f1 == frames ? n : f1 * STFT_HOP;
  pitch_peaks_clear(&a->peaks);
  a->ola_base = -STFT_N_FFT / 2;
  a->done = 0;
  a->h_sum = a->h_sq = a->p_sum = a->p_sq = 0.0;
  a->any_bad = 0;
  a->ola_len = (frames < a->chunk ? frames : a->chunk) * STFT_HOP + STFT_N_FFT;
  memset(a->ola, 0, a->ola_len * sizeof(double)); /* ola_bad: on first use */

  frame_rms(x, n, a->rms);
  frame_zcr(x, n, a->zcr);
  for (size_t t0 = 0; t0 < frames; t0 += a->chunk) {
    size_t t1 = t0 + a->chunk < frames ? t0 + a->chunk : frames;
    if (process_chunk(a, x, n, frames, t0, t1)) return -1;
  }

  /* chroma: the tuning needs every frame's peaks first */
  const float *fb = chroma_filterbank_for(a, a->tuning_bin >= 0 ? a->tuning_bin : estimate_tuning_bin(&a->peaks));
  if (!fb) return -1;
  if (frames <= a->chunk) {
    chroma_frames(a, fb, 0, frames, 0); /* magnitudes are still in a->mag */
  } else {
    for (size_t t0 = 0; t0 < frames; t0 += a->chunk) {
      size_t t1 = t0 + a->chunk < frames ? t0 + a->chunk : frames;
      for (size_t t = t0; t < t1; t++) {
        stft_frame(a->stft, x, n, t, a->spec);
        stft_magnitude(a->spec, a->mag + (t - t0) * STFT_ROW);
      }
      chroma_frames(a, fb, t0, t1, t0);
    }
  }

  /* mel dB, MFCC (DCT via BLAS, in double: MFCC means can be near zero and a
   * float32 sum of 128 terms of +-100 dB would cost them their precision),
   * onset envelope, tempo */
  power_to_db(a->mel, frames * MEL_BANDS, a->given ? &a->given->mel_top_db : NULL);
  /* Rows k >= 1 of the DCT sum to zero, so each frame is centred first: the
   * same coefficients, without cancelling the common -60 dB offset (and exact
   * zeros for constant frames, as librosa gives). Row 0 is the mean's. */
  for (size_t t0 = 0; t0 < frames; t0 += a->chunk) { /* a chunk of frames at a time (mel_d holds a chunk) */
    size_t t1 = t0 + a->chunk < frames ? t0 + a->chunk : frames;
    for (size_t t = t0; t < t1; t++) {
      const float *m = a->mel + t * MEL_BANDS;
      double *c = a->mel_d + (t - t0) * MEL_BANDS, sum = 0.0;
      for (int b = 0; b < MEL_BANDS; b++) sum += m[b];
      double mean = sum / MEL_BANDS;
      for (int b = 0; b < MEL_BANDS; b++) c[b] = m[b] - mean;
      a->frame_mean[t] = mean;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(t1 - t0), MFCC_COUNT, MEL_BANDS, 1.0, a->mel_d,
                MEL_BANDS, a->dct, MEL_BANDS, 0.0, a->mfcc + t0 * MFCC_COUNT, MFCC_COUNT);
  }
  for (size_t t = 0; t < frames; t++) a->mfcc[t * MFCC_COUNT] = a->frame_mean[t] * sqrt((double)MEL_BANDS);
  onset_strength(a->mel, frames, MEL_BANDS, a->env);
  row[F_TEMPO] = tempo_estimate_range(a->tempo, a->env, frames, f0, f1);

  /* spectral contrast in dB: power_to_db of peaks and of valleys, each floored
   * 80 dB below its own maximum over the whole signal */
  size_t pv = frames * CONTRAST_BANDS;
  double top_p = -INFINITY, top_v = -INFINITY;
  for (size_t i = 0; i < pv; i++) {
    a->peak[i] = 10.0 * log10(fmax(a->peak[i], 1e-10));
    a->valley[i] = 10.0 * log10(fmax(a->valley[i], 1e-10));
    top_p = fmax(top_p, a->peak[i]);
    top_v = fmax(top_v, a->valley[i]);
  }
  if (a->given) top_p = a->given->contrast_top_peak, top_v = a->given->contrast_top_valley;
  for (size_t i = 0; i < pv; i++)
    a->peak[i] = fmax(a->peak[i], top_p - 80.0) - fmax(a->valley[i], top_v - 80.0);

  /* statistics over frames [f0, f1) (population variance) */
  size_t nf = f1 - f0, ns = a->s1 - a->s0;
  mean_var_f(a->chroma + f0 * CHROMA_BINS, 1, nf * CHROMA_BINS, row, F_CHROMA_MEAN);
  mean_var(a->rms + f0, 1, nf, row, F_RMS_MEAN);
  mean_var(a->centroid + f0, 1, nf, row, F_CENTROID_MEAN);
  mean_var(a->bandwidth + f0, 1, nf, row, F_BANDWIDTH_MEAN);
  mean_var(a->rolloff + f0, 1, nf, row, F_ROLLOFF_MEAN);
  mean_var(a->zcr + f0, 1, nf, row, F_ZCR_MEAN);
  double hm = a->h_sum / ns, pm = a->p_sum / ns;
  row[F_HARMONY_MEAN] = hm;
  row[F_HARMONY_VAR] = fmax(0.0, a->h_sq / ns - hm * hm);
  row[F_PERCEPTR_MEAN] = pm;
  row[F_PERCEPTR_VAR] = fmax(0.0, a->p_sq / ns - pm * pm);
  for (int k = 0; k < MFCC_COUNT; k++) mean_var(a->mfcc + f0 * MFCC_COUNT + k, MFCC_COUNT, nf, row, F_MFCC + 2 * k);
  for (int c = 0; c < CHROMA_BINS; c++)
    mean_var_f(a->chroma + f0 * CHROMA_BINS + c, CHROMA_BINS, nf, row, F_CHROMA_BIN + 2 * c);
  for (int b = 0; b < CONTRAST_BANDS; b++)
    mean_var(a->peak + f0 * CONTRAST_BANDS + b, CONTRAST_BANDS, nf, row, F_CONTRAST + 2 * b);

  if (mel_db)
    for (size_t t = 0; t < frames; t++)
      for (int m = 0; m < MEL_BANDS; m++) mel_db[(size_t)m * frames + t] = a->mel[t * MEL_BANDS + m];
  return 0;
}

const double *analysis_tempogram(const analysis_t *a, size_t *frames) {
  *frames = a->f1 - a->f0;
  return tempo_ac_sum(a->tempo);
}

double analysis_tempo_from(const analysis_t *a, const double *ac_sum, size_t frames) {
  return tempo_from_sum(a->tempo, ac_sum, frames);
}

void analysis_set_levels(analysis_t *a, const analysis_levels_t *levels, int tuning_bin) {
  a->given = levels;
  a->tuning_bin = tuning_bin;
}

/* The maxima the dB floors are relative to, for frames [t0, t1): the same
 * spectra, in the same 16-frame lanes, as process_chunk computes them. */
static int levels_chunk(analysis_t *a, const float *x, size_t n, size_t t0, size_t t1, analysis_levels_t *lv,
                        tuning_hist_t *th) {
  double peak[MEDIAN_LANES * CONTRAST_BANDS], valley[MEDIAN_LANES * CONTRAST_BANDS];
  float mel[MEDIAN_LANES * MEL_BANDS];
  for (size_t t = t0; t < t1; t++) {
    stft_frame(a->stft, x, n, t, a->spec);
    stft_magnitude(a->spec, a->mag + (t - t0) * STFT_ROW);
  }
  for (size_t f = 0; f < t1 - t0; f += MEDIAN_LANES) {
    size_t used = t1 - t0 - f < MEDIAN_LANES ? t1 - t0 - f : MEDIAN_LANES;
    to_lanes(a, a->mag + f * STFT_ROW, used);
    spectral_peak_valley(a->spectral, a->lanes_in, peak, valley);
    melbank_apply(a->melbank, a->lanes_in, mel);
    pitch_peaks_clear(&a->peaks);
    if (piptrack_lanes(a->lanes_in, STFT_BINS, ANALYSIS_SR, STFT_N_FFT, (int)used, &a->peaks)) return -1;
    tuning_hist_add(th, &a->peaks);
    for (size_t i = 0; i < used * MEL_BANDS; i++) {
      float db = 10.0f * log10f(mel[i] > 1e-10f ? mel[i] : 1e-10f); /* as power_to_db */
      if (db > lv->mel_top_db) lv->mel_top_db = db;
    }
    for (size_t i = 0; i < used * CONTRAST_BANDS; i++) {
      lv->contrast_top_peak = fmax(lv->contrast_top_peak, 10.0 * log10(fmax(peak[i], 1e-10)));
      lv->contrast_top_valley = fmax(lv->contrast_top_valley, 10.0 * log10(fmax(valley[i], 1e-10)));
    }
  }
  return 0;
}

int analysis_levels(analysis_t *a, const float *x, size_t n, size_t f0, size_t f1, analysis_levels_t *lv,
                    tuning_hist_t *th) {
  size_t frames = stft_frames(n);
  if (f1 == 0 || f1 > frames) f1 = frames;
  if (n == 0 || f0 >= f1) return -1;
  for (size_t t0 = f0; t0 < f1; t0 += a->chunk)
    if (levels_chunk(a, x, n, t0, t0 + a->chunk < f1 ? t0 + a->chunk : f1, lv, th)) return -1;
  return 0;
}

void analysis_levels_init(analysis_levels_t *lv) {
  lv->mel_top_db = -INFINITY;
  lv->contrast_top_peak = lv->contrast_top_valley = -INFINITY;
}
