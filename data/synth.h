/* `genre synth`: a deterministic synthetic corpus in the GTZAN layout,
 * DIR/genres_original/<genre>/<genre>.NNNNN.wav (22050 Hz, mono, 16-bit).
 *
 * Ten styles differ in tempo, meter, rhythm, harmony, timbre and noise; every
 * track draws its own key, tempo, instruments, mix and levels, so a classifier
 * has to learn the styles rather than look tracks up. Track k of genre g
 * depends only on (seed, g, k): any subset regenerates identically. */
#ifndef GENRE_SYNTH_H
#define GENRE_SYNTH_H

#include <stddef.h>

#define SYNTH_SR 22050
#define SYNTH_GENRES 10

extern const char *const synth_genre_names[SYNTH_GENRES];

/* Renders track `index` of genre `genre` into out[n] (floats in [-1, 1]). */
void synth_render(int genre, int index, unsigned long seed, float *out, size_t n);

/* Writes tracks 0 .. per_genre-1 of every style into DIR/genres_original
 * (those already there are kept), `jobs` at once, and prints a summary line.
 * 0, or 1 after printing what failed. */
int synth_corpus(const char *dir, int per_genre, double seconds, unsigned long seed, long jobs);

#endif
