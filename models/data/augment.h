/* Training-time augmentations of log-mel spectrograms (seeded, each a flag).
 *
 * The CNN learns from the extractor's log-mel .npy files, not from audio, so
 * every augmentation works on the mel spectrogram, each the mel-domain form
 * of its audio counterpart:
 *   loudness  gain of -6..+6 dB: a constant dB offset. Exact: scaling the audio
 *             scales every mel power, and the -80 dB floor is relative to the max.
 *   noise     white noise at an SNR of 10..30 dB: added in the power domain
 *             (E|X+N|^2 = |X|^2 + |N|^2); white noise has the same mel power in
 *             every Slaney band, drawn per cell with the spread of a band of its
 *             width; then back to dB with the -80 dB floor.
 *   pitch     -2..+2 semitones: band b takes the energy of the frequency
 *             f_b * 2^(-s/12) (linear interpolation on the mel axis).
 *   stretch   tempo x0.8..1.25: frames resampled (interpolated) in time, the
 *             end padded with the segment's floor.
 *   freqmask  SpecAugment: up to 15 consecutive bands set to the training mean,
 *   timemask  up to 20 consecutive frames likewise (0 after standardisation).
 * None is applied at evaluation. */
#ifndef GENRE_AUGMENT_H
#define GENRE_AUGMENT_H

#include <stddef.h>

#include "real.h"

enum {
  AUG_LOUDNESS = 1,
  AUG_NOISE = 2,
  AUG_PITCH = 4,
  AUG_STRETCH = 8,
  AUG_FREQMASK = 16,
  AUG_TIMEMASK = 32,
  AUG_ALL = 63
};

/* "loudness,noise,pitch,stretch,freqmask,timemask", "all" or "none" -> flags. */
int augment_parse(const char *list, int *flags, char *err, size_t errlen);
/* flags -> comma-separated names ("none" for 0) */
void augment_names(int flags, char *buf, size_t len);

typedef struct mel_augment {
  int flags, bands, frames;
  double band_pos_scale; /* mel band index of frequency f: hz_to_mel(f) * scale - 1 */
  double centre_hz[256]; /* centre frequency of each band */
  double spread[256];    /* relative spread of white noise's power in each band */
  real *tmp;             /* [bands][frames] */
} mel_augment_t;

int mel_augment_init(mel_augment_t *a, int flags, int bands, int frames, double sr, int n_fft);
void mel_augment_free(mel_augment_t *a);

/* dB-domain augmentations of one segment x[bands][frames]; r is a gsl_rng.
 * x NULL: only the random draws the segment would take (another process's row). */
void mel_augment_db(mel_augment_t *a, real *x, void *r);
/* masks of one standardised segment (x NULL: the draws only) */
void mel_augment_masks(const mel_augment_t *a, real *x, void *r);

#endif
