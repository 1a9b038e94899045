/* Why the CNN decided, for one standardised 3-s log-mel x[MEL_BANDS][SEGMENT_FRAMES]:
 * an occlusion map (a CNN_PATCH_B x CNN_PATCH_T patch set to the training mean,
 * slid over the input: the drop in a label's log-odds) and a gradient x input
 * map, and the picture of a map over the log-mel (genre explain's PNG, the
 * report's wrong segments). */
#ifndef GENRE_CNN_EXPLAIN_H
#define GENRE_CNN_EXPLAIN_H

#include "image.h"
#include "mel.h"
#include "model.h"
#include "schema.h"

#define CNN_PATCH_B 16 /* occlusion patch: bands */
#define CNN_PATCH_T 10 /* and frames */
#define CNN_PLANE ((size_t)MEL_BANDS * SEGMENT_FRAMES)

/* Occlusion: the drop in cls's log-odds (the members' mean) for each patch
 * masked, spread over the patch's cells into map[CNN_PLANE]. 0, or -1 when out
 * of memory. */
int cnn_occlusion(model_t *m, const real *x, int cls, float *map);
/* Gradient x input of cls's log-odds, the members' gradients averaged. */
int cnn_grad_x_input(model_t *m, const real *x, int cls, float *map);

/* The centre frequency of mel band b (librosa's Slaney bands, 0 to 11025 Hz). */
double cnn_band_hz(int b);
/* One panel with its top-left at (x0, y0), `cell` pixels per band and frame:
 * the log-mel (dB) in grey, low bands at the bottom, the map over it (red
 * positive, blue negative), axes in Hz and seconds, a colour scale at the
 * right (36 pixels), the title 30 pixels above. */
void cnn_map_panel(image_t *im, int x0, int y0, int cell, const float *mel, const float *map, const char *title);

#endif
