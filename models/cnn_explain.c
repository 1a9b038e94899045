#include "cnn_explain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"

/* The members' mean log-odds of class cls for b inputs x[b][CNN_PLANE] into lo[b]. */
static void log_odds(model_t *m, const real *x, int b, int cls, double *lo) {
  for (int i = 0; i < b; i++) lo[i] = 0;
  for (int k = 0; k < m->n_members; k++) {
    model_use_member(m, k);
    const real *z = net_forward(m->net, x, b, 0);
    for (int i = 0; i < b; i++) lo[i] += net_log_odds(z + (size_t)i * m->n_classes, m->n_classes, cls) / m->n_members;
  }
  model_use_member(m, 0);
}

/* Occlusion: the drop in cls's log-odds for each patch masked to 0 (the
 * training mean once standardised), spread over its cells into map[CNN_PLANE].
 * Log-odds, not the probability: a confident model's probability barely
 * moves (1.00 stays 1.00), its log-odds do. */
int cnn_occlusion(model_t *m, const real *x, int cls, float *map) {
  int rows = MEL_BANDS / CNN_PATCH_B, cols = (SEGMENT_FRAMES + CNN_PATCH_T - 1) / CNN_PATCH_T, n = rows * cols;
  int B = m->net->max_batch;
  real *batch = malloc((size_t)B * CNN_PLANE * sizeof *batch);
  double *lo = malloc((size_t)B * sizeof *lo), base;
  if (!batch || !lo) return free(batch), free(lo), -1;
  log_odds(m, x, 1, cls, &base);
  for (int start = 0; start < n; start += B) {
    int b = n - start < B ? n - start : B;
    for (int i = 0; i < b; i++) {
      int pr = (start + i) / cols, pc = (start + i) % cols;
      real *xi = batch + (size_t)i * CNN_PLANE;
      memcpy(xi, x, CNN_PLANE * sizeof(real));
      for (int r = pr * CNN_PATCH_B; r < (pr + 1) * CNN_PATCH_B; r++)
        for (int t = pc * CNN_PATCH_T; t < (pc + 1) * CNN_PATCH_T && t < SEGMENT_FRAMES; t++) xi[(size_t)r * SEGMENT_FRAMES + t] = 0;
    }
    log_odds(m, batch, b, cls, lo);
    for (int i = 0; i < b; i++) {
      int pr = (start + i) / cols, pc = (start + i) % cols;
      for (int r = pr * CNN_PATCH_B; r < (pr + 1) * CNN_PATCH_B; r++)
        for (int t = pc * CNN_PATCH_T; t < (pc + 1) * CNN_PATCH_T && t < SEGMENT_FRAMES; t++)
          map[(size_t)r * SEGMENT_FRAMES + t] = (float)(base - lo[i]);
    }
  }
  free(batch), free(lo);
  return 0;
}

/* Gradient x input of cls's log-odds, the members' gradients averaged. */
int cnn_grad_x_input(model_t *m, const real *x, int cls, float *map) {
  real *dx = malloc(CNN_PLANE * sizeof *dx), *sum = calloc(CNN_PLANE, sizeof *sum);
  if (!dx || !sum) return free(dx), free(sum), -1;
  for (int k = 0; k < m->n_members; k++) {
    model_use_member(m, k);
    net_input_gradient(m->net, x, cls, dx);
    for (size_t v = 0; v < CNN_PLANE; v++) sum[v] += dx[v];
  }
  model_use_member(m, 0);
  for (size_t v = 0; v < CNN_PLANE; v++) map[v] = (float)(sum[v] / m->n_members * x[v]);
  free(dx), free(sum);
  return 0;
}

double cnn_band_hz(int b) { /* the centre of mel band b (librosa's Slaney bands, 0 to 11025 Hz) */
  double lo = hz_to_mel(0), hi = hz_to_mel(AUDIO_SR / 2.0);
  return mel_to_hz(lo + (b + 1) * (hi - lo) / (MEL_BANDS + 1));
}

static uint32_t diverging(double v) { /* -1 blue, +1 red */
  return v >= 0 ? 0xd62728 : 0x1f5fbf;
}

/* One panel at (x0, y0): the log-mel in grey (low bands at the bottom), the
 * map over it, axes in Hz and seconds, a colour scale on the right. */
void cnn_map_panel(image_t *im, int x0, int y0, int cell, const float *mel, const float *map, const char *title) {
  const int panel_w = SEGMENT_FRAMES * cell, panel_h = MEL_BANDS * cell;
  float lo = mel[0], hi = mel[0], top = 1e-12f;
  for (size_t v = 0; v < CNN_PLANE; v++) {
    lo = mel[v] < lo ? mel[v] : lo, hi = mel[v] > hi ? mel[v] : hi;
    top = fabsf(map[v]) > top ? fabsf(map[v]) : top;
  }
  for (int b = 0; b < MEL_BANDS; b++)
    for (int t = 0; t < SEGMENT_FRAMES; t++) {
      float v = mel[(size_t)b * SEGMENT_FRAMES + t], m = map[(size_t)b * SEGMENT_FRAMES + t];
      float shade = 40 + 200 * (v - lo) / (hi - lo > 0 ? hi - lo : 1);
      int g = shade >= 0 && shade <= 255 ? (int)shade : 0; /* NaN: black */
      int x = x0 + t * cell, y = y0 + (MEL_BANDS - 1 - b) * cell;
      image_rect(im, x, y, cell, cell, (uint32_t)(g << 16 | g << 8 | g));
      for (int j = 0; j < cell; j++)
        for (int i = 0; i < cell; i++) image_blend(im, x + i, y + j, diverging(m), 0.8 * fabs(m) / top);
    }
  image_text(im, x0, y0 - 30, title, 0x000000, 1, 0);
  static const double hz[] = {0, 500, 1000, 2000, 4000, 8000};
  for (size_t i = 0; i < sizeof hz / sizeof *hz; i++) {
    int b = 0;
    while (b < MEL_BANDS - 1 && cnn_band_hz(b) < hz[i]) b++;
    char s[16];
    snprintf(s, sizeof s, hz[i] >= 1000 ? "%.0fk" : "%.0f", hz[i] >= 1000 ? hz[i] / 1000 : hz[i]);
    int y = y0 + (MEL_BANDS - 1 - b) * cell + 1;
    image_rect(im, x0 - 4, y, 4, 1, 0x000000);
    image_text(im, x0 - 6, y - 3, s, 0x000000, 1, 2);
  }
  image_text(im, x0 - 6, y0 - 16, "Hz", 0x000000, 1, 2);
  for (int sec = 0; sec <= 3; sec++) {
    int x = x0 + (int)(sec * AUDIO_SR / 512.0 * cell);
    char s[8];
    snprintf(s, sizeof s, "%d", sec);
    image_rect(im, x, y0 + panel_h, 1, 4, 0x000000);
    image_text(im, x, y0 + panel_h + 7, s, 0x000000, 1, 1);
  }
  image_text(im, x0 + panel_w / 2, y0 + panel_h + 20, "seconds", 0x000000, 1, 1);
  int bx = x0 + panel_w + 10;
  for (int y = 0; y < panel_h; y++) { /* the colour scale: +top at the top, -top at the bottom */
    double v = 1 - 2.0 * y / (panel_h - 1);
    image_rect(im, bx, y0 + y, 10, 1, 0xffffff);
    for (int i = 0; i < 10; i++) image_blend(im, bx + i, y0 + y, diverging(v), 0.8 * fabs(v));
  }
  char s[32];
  snprintf(s, sizeof s, "+%.2g", top);
  image_text(im, bx, y0 - 14, s, 0x000000, 1, 0);
  snprintf(s, sizeof s, "-%.2g", top);
  image_text(im, bx, y0 + panel_h + 3, s, 0x000000, 1, 0);
  image_text(im, bx + 13, y0 + panel_h / 2 - 3, "0", 0x000000, 1, 0);
}

