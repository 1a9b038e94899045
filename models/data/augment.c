#include "augment.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mel.h"

static const char *const names[] = {"loudness", "noise", "pitch", "stretch", "freqmask", "timemask"};

int augment_parse(const char *list, int *flags, char *err, size_t errlen) {
  *flags = 0;
  if (strcmp(list, "none") == 0 || !*list) return 0;
  if (strcmp(list, "all") == 0) {
    *flags = AUG_ALL;
    return 0;
  }
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    int found = 0;
    for (int i = 0; i < 6; i++)
      if (strcmp(tok, names[i]) == 0) *flags |= 1 << i, found = 1;
    if (!found) {
      snprintf(err, errlen, "unknown augmentation '%s' (loudness, noise, pitch, stretch, freqmask, timemask, all, none)", tok);
      return -1;
    }
  }
  return 0;
}

void augment_names(int flags, char *buf, size_t len) {
  size_t at = 0;
  buf[0] = '\0';
  for (int i = 0; i < 6; i++)
    if (flags & (1 << i)) at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "", names[i]);
  if (!at) snprintf(buf, len, "none");
}

int mel_augment_init(mel_augment_t *a, int flags, int bands, int frames, double sr, int n_fft) {
  memset(a, 0, sizeof *a);
  a->flags = flags, a->bands = bands, a->frames = frames;
  if (bands > 256) return -1;
  /* band b peaks at mel_f[b+1] of bands+2 points uniform in mel up to sr/2 */
  double max_mel = hz_to_mel(sr / 2);
  a->band_pos_scale = (bands + 1) / max_mel;
  for (int b = 0; b < bands; b++) a->centre_hz[b] = mel_to_hz(max_mel * (b + 1) / (bands + 1));
  /* white noise: a band over k FFT bins has power ~ chi^2 with 2k degrees of
   * freedom around its mean, a relative spread of 1/sqrt(k) */
  melbank_t *mb = melbank_new(sr, n_fft);
  if (!mb) return -1;
  const float *w = melbank_weights(mb);
  for (int b = 0; b < bands; b++) {
    int k = 0;
    for (int i = 0; i < n_fft / 2 + 1; i++) k += w[(size_t)b * (n_fft / 2 + 1) + i] > 0;
    a->spread[b] = 1.0 / sqrt(k > 0 ? k : 1);
  }
  melbank_free(mb);
  a->tmp = malloc((size_t)bands * frames * sizeof(real));
  return a->tmp ? 0 : -1;
}

void mel_augment_free(mel_augment_t *a) {
  free(a->tmp);
  memset(a, 0, sizeof *a);
}

static void floor_db(real *x, size_t n) {
  real top = x[0];
  for (size_t i = 1; i < n; i++) top = x[i] > top ? x[i] : top;
  for (size_t i = 0; i < n; i++)
    if (x[i] < top - 80) x[i] = top - 80;
}

/* The random draws of mel_augment_db, in its order, without a segment */
static void draw_db(const mel_augment_t *a, gsl_rng *r) {
  if (a->flags & AUG_LOUDNESS) gsl_ran_flat(r, -6.0, 6.0);
  if (a->flags & AUG_NOISE) {
    gsl_ran_flat(r, 10.0, 30.0);
    for (int i = 0; i < a->bands * a->frames; i++) gsl_ran_gaussian_ziggurat(r, 1.0);
  }
  if (a->flags & AUG_PITCH) gsl_ran_flat(r, -2.0, 2.0);
  if (a->flags & AUG_STRETCH) gsl_ran_flat(r, log(0.8), log(1.25));
}

void mel_augment_db(mel_augment_t *a, real *x, void *rng) {
  gsl_rng *r = rng;
  int B = a->bands, T = a->frames;
  size_t n = (size_t)B * T;
  if (!x) {
    draw_db(a, r);
    return;
  }
  if (a->flags & AUG_LOUDNESS) {
    real gain = (real)gsl_ran_flat(r, -6.0, 6.0);
    for (size_t i = 0; i < n; i++) x[i] += gain;
  }
  if (a->flags & AUG_NOISE) {
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += pow(10.0, x[i] / 10.0);
    mean /= n;
    double level = mean * pow(10.0, -gsl_ran_flat(r, 10.0, 30.0) / 10.0);
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        double draw = level * (1.0 + a->spread[b] * gsl_ran_gaussian_ziggurat(r, 1.0));
        real *v = &x[(size_t)b * T + t];
        *v = (real)(10.0 * log10(fmax(pow(10.0, *v / 10.0) + fmax(draw, 0.0), 1e-10)));
      }
    floor_db(x, n);
  }
  if (a->flags & AUG_PITCH) {
    double ratio = pow(2.0, -gsl_ran_flat(r, -2.0, 2.0) / 12.0); /* source frequency / target */
    memcpy(a->tmp, x, n * sizeof(real));
    for (int b = 0; b < B; b++) {
      double pos = hz_to_mel(a->centre_hz[b] * ratio) * a->band_pos_scale - 1.0;
      if (pos < 0) pos = 0;
      if (pos > B - 1) pos = B - 1;
      int lo = (int)pos, hi = lo + 1 < B ? lo + 1 : lo;
      real f = (real)(pos - lo);
      for (int t = 0; t < T; t++) x[(size_t)b * T + t] = (1 - f) * a->tmp[(size_t)lo * T + t] + f * a->tmp[(size_t)hi * T + t];
    }
  }
  if (a->flags & AUG_STRETCH) {
    double rate = exp(gsl_ran_flat(r, log(0.8), log(1.25))); /* source frames per output frame */
    memcpy(a->tmp, x, n * sizeof(real));
    real low = x[0];
    for (size_t i = 1; i < n; i++) low = x[i] < low ? x[i] : low;
    for (int t = 0; t < T; t++) {
      double pos = t * rate;
      int lo = (int)pos;
      real f = (real)(pos - lo);
      for (int b = 0; b < B; b++) {
        const real *row = a->tmp + (size_t)b * T;
        x[(size_t)b * T + t] = lo + 1 < T ? (1 - f) * row[lo] + f * row[lo + 1] : lo < T ? row[lo] : low;
      }
    }
  }
}

void mel_augment_masks(const mel_augment_t *a, real *x, void *rng) {
  gsl_rng *r = rng;
  int B = a->bands, T = a->frames;
  if (a->flags & AUG_FREQMASK) {
    int width = (int)gsl_rng_uniform_int(r, 16), start = (int)gsl_rng_uniform_int(r, (unsigned long)(B - width + 1));
    for (int b = start; x && b < start + width; b++)
      for (int t = 0; t < T; t++) x[(size_t)b * T + t] = 0;
  }
  if (a->flags & AUG_TIMEMASK) {
    int width = (int)gsl_rng_uniform_int(r, 21), start = (int)gsl_rng_uniform_int(r, (unsigned long)(T - width + 1));
    for (int b = 0; x && b < B; b++)
      for (int t = start; t < start + width; t++) x[(size_t)b * T + t] = 0;
  }
}
