/* Chroma from the power spectrogram, as librosa.feature.chroma_stft (0.10.1):
 * tuning estimated from the signal (estimate_tuning: piptrack peaks, then a
 * 0.01-bin histogram of their deviation from equal temperament), then the
 * chroma filterbank (librosa.filters.chroma: ctroct 5, octwidth 2, base C,
 * columns L2-normalised), and each frame scaled to a maximum of 1. */
#ifndef GENRE_CHROMA_H
#define GENRE_CHROMA_H

#include <stddef.h>

#define CHROMA_BINS 12

/* Peaks found by piptrack, pooled over the frames of one signal. */
typedef struct pitch_peaks {
  float *pitch; /* Hz */
  float *mag;   /* interpolated peak power */
  float *scratch; /* for the median */
  size_t n, cap;
} pitch_peaks_t;

void pitch_peaks_clear(pitch_peaks_t *p);
void pitch_peaks_free(pitch_peaks_t *p);

#define PITCH_LANES 16

/* librosa.piptrack (fmin 150, fmax 4000, threshold 0.1) on the power spectra
 * of PITCH_LANES frames given by their magnitudes, transposed (bin k of frame
 * l at mag[k * PITCH_LANES + l]); appends the peaks of frames l < used (in no
 * particular order: estimate_tuning only takes a median and a histogram).
 * -1 when out of memory. */
int piptrack_lanes(const float *mag, int n_bins, double sr, int n_fft, int used,
                   pitch_peaks_t *peaks);

#define TUNING_N_BINS 100 /* histogram bins of width 0.01 over [-0.5, 0.5) */

/* librosa.estimate_tuning from the pooled peaks: the index of the histogram
 * bin it picks (tuning_of_bin gives the tuning, in fractions of a chroma bin).
 * No peaks: the bin of tuning 0. */
int estimate_tuning_bin(pitch_peaks_t *peaks);
double tuning_of_bin(int bin);

/* estimate_tuning pooled over a signal too long to hold its peaks: counts of
 * peaks by magnitude (16 buckets per octave) and deviation bin. The median
 * threshold is then known to its bucket (4% in magnitude), and the peaks of
 * that bucket all count: the tuning of the whole, up to the peaks within 4%
 * of the median (in tests, the same bin as estimate_tuning_bin). */
#define TUNING_MAG_BUCKETS 2048
typedef struct tuning_hist {
  unsigned long long peaks[TUNING_MAG_BUCKETS];
  unsigned counts[TUNING_MAG_BUCKETS * TUNING_N_BINS];
} tuning_hist_t;
void tuning_hist_add(tuning_hist_t *h, const pitch_peaks_t *peaks);
int tuning_hist_bin(const tuning_hist_t *h);

/* librosa.filters.chroma weights [CHROMA_BINS][n_fft/2+1] for a tuning. */
void chroma_filterbank(double sr, int n_fft, double tuning, float *weights);

#endif
