/* Global tempo as librosa.feature.tempo (librosa.beat.tempo) 0.10.1 estimates it:
 * onset strength from the mel dB spectrogram (lag 1, mean over bands, shifted
 * by lag + n_fft/(2 hop) = 3 frames), an autocorrelation tempogram (Hann window
 * of ac_size 8 s = 344 frames, centered with linear-ramp padding, each frame
 * normalised by its lag-0 value), its mean over time, a log-normal prior
 * around 120 BPM (one octave deviation), arg-max below 320 BPM. */
#ifndef GENRE_TEMPO_H
#define GENRE_TEMPO_H

#include <stddef.h>

#define TEMPO_WIN 344 /* time_to_frames(8.0 s, sr 22050, hop 512) */

typedef struct tempo tempo_t;

tempo_t *tempo_new(double sr, int hop); /* NULL when out of memory */
void tempo_free(tempo_t *t);

/* Onset envelope env[frames] from mel dB [frames][n_mels] (frame-major). */
void onset_strength(const float *mel_db, size_t frames, int n_mels, float *env);

/* Tempo in BPM from an onset envelope. */
double tempo_estimate(tempo_t *t, const float *env, size_t frames);
/* The same with the tempogram averaged over frames [f0, f1) only (the
 * envelope around them still gives their windows). */
double tempo_estimate_range(tempo_t *t, const float *env, size_t frames, size_t f0, size_t f1);
/* After tempo_estimate: the tempogram summed over its frames [TEMPO_WIN]. */
const double *tempo_ac_sum(const tempo_t *t);
/* Tempo from a tempogram summed over `frames` frames (of one envelope or
 * several): the arg-max of its mean under the prior. */
double tempo_from_sum(const tempo_t *t, const double *ac_sum, size_t frames);

#endif
