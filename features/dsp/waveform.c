#include "waveform.h"

#include <math.h>

#include "stft.h"
#include "simd.h"

#define ZCR_THRESHOLD 1e-10f

/* A frame [t*hop - n_fft/2, t*hop + n_fft/2) is exactly the hop-blocks
 * t-2 .. t+1 (block j = samples [j*hop, (j+1)*hop)), so per-block sums are
 * computed once and each frame adds four of them instead of rescanning 2048
 * samples that overlap its neighbours' by 75%. */
#define BLOCKS_PER_FRAME (STFT_N_FFT / STFT_HOP)

/* sum of x[lo..hi)^2 in double, eight independent lanes so it vectorises */
static double block_energy(const float *x, size_t lo, size_t hi) {
  double lane[8] = {0};
  size_t i = lo;
  for (; i + 8 <= hi; i += 8)
    for (int l = 0; l < 8; l++) lane[l] += (double)x[i + l] * x[i + l];
  double e = 0.0;
  for (; i < hi; i++) e += (double)x[i] * x[i];
  for (int l = 0; l < 8; l++) e += lane[l];
  return e;
}

HOT_KERNEL
void frame_rms(const float *x, size_t n, double *rms) {
  size_t frames = stft_frames(n);
  double window[BLOCKS_PER_FRAME] = {0}; /* energies of blocks t-2 .. t+1; zero padding */
  size_t next = 0;
  for (size_t t = 0; t < frames; t++) {
    while (next <= t + 1) {
      for (int b = 0; b < BLOCKS_PER_FRAME - 1; b++) window[b] = window[b + 1];
      size_t lo = next * STFT_HOP, hi = lo + STFT_HOP < n ? lo + STFT_HOP : n;
      window[BLOCKS_PER_FRAME - 1] = lo < hi ? block_energy(x, lo, hi) : 0.0;
      next++;
    }
    double sum = 0.0;
    for (int b = 0; b < BLOCKS_PER_FRAME; b++) sum += window[b];
    rms[t] = sqrt(sum / STFT_N_FFT);
  }
}

static inline int negative(float v) { return v < -ZCR_THRESHOLD; }

HOT_KERNEL
void frame_zcr(const float *x, size_t n, double *zcr) {
  size_t frames = stft_frames(n);
  /* Frame t (edge padding) sees sign changes between pairs (j, j+1) with
   * j in [t*hop - 1024, t*hop + 1023) inside the signal: blocks t-2 .. t+1
   * of pair counts, minus the pair starting at the frame's last sample. */
  long window[BLOCKS_PER_FRAME] = {0};
  size_t next = 0;
  for (size_t t = 0; t < frames; t++) {
    while (next <= t + 1) {
      for (int b = 0; b < BLOCKS_PER_FRAME - 1; b++) window[b] = window[b + 1];
      long c = 0;
      size_t lo = next * STFT_HOP, hi = lo + STFT_HOP;
      if (hi > n - 1) hi = n - 1; /* pairs need j + 1 < n */
      for (size_t j = lo; j < hi; j++) c += negative(x[j]) != negative(x[j + 1]);
      window[BLOCKS_PER_FRAME - 1] = c;
      next++;
    }
    long count = 0;
    for (int b = 0; b < BLOCKS_PER_FRAME; b++) count += window[b];
    size_t last = t * STFT_HOP + STFT_N_FFT / 2 - 1; /* the frame's last sample */
    if (last + 1 < n) count -= negative(x[last]) != negative(x[last + 1]);
    zcr[t] = (double)count / STFT_N_FFT;
  }
}
