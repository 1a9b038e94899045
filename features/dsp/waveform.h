/* Frame-wise features computed on the waveform itself (librosa 0.10.1):
 * frames of 2048 samples every 512, centered. */
#ifndef GENRE_WAVEFORM_H
#define GENRE_WAVEFORM_H

#include <stddef.h>

/* librosa.feature.rms: sqrt(mean(x^2)) over each frame, zero padding at the
 * ends (pad_mode "constant"). rms[stft_frames(n)]. */
void frame_rms(const float *x, size_t n, double *rms);

/* librosa.feature.zero_crossing_rate: edge padding at the ends, |x| <= 1e-10
 * counts as +0, a sign change between neighbours within the frame counts as a
 * crossing, divided by the frame length. zcr[stft_frames(n)]. */
void frame_zcr(const float *x, size_t n, double *zcr);

#endif
