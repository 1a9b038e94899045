#include "synth.h"

#include <aubio/aubio.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "progress.h"

const char *const synth_genre_names[SYNTH_GENRES] = {
    "ambient", "techno", "chiptune", "chorale", "dub",
    "noiserock", "waltz", "drumline", "piano", "gamelan"};

/* ---------------------------------------------------------------------------
 * Instruments: additive tones (phase rotation per partial), plucked strings
 * (Karplus-Strong), FM bells, drums. All add into a double buffer. */

enum wave { SINE, SAW, SQUARE, TRIANGLE, ORGAN };

typedef struct track {
  double *buf;
  size_t n;
  gsl_rng *rng;
} track_t;

static double uniform(track_t *t, double lo, double hi) { return lo + (hi - lo) * gsl_rng_uniform(t->rng); }
static int pick(track_t *t, int n) { return (int)gsl_rng_uniform_int(t->rng, (unsigned long)n); }
static double midi_hz(double m) { return 440.0 * pow(2.0, (m - 69.0) / 12.0); }

/* amplitude of partial h (1-based) of a waveform */
static double partial(enum wave w, int h) {
  switch (w) {
  case SINE: return h == 1;
  case SAW: return 1.0 / h;
  case SQUARE: return h % 2 ? 1.0 / h : 0.0;
  case TRIANGLE: return h % 2 ? 1.0 / (h * h) : 0.0;
  case ORGAN: /* drawbars 8', 4', 2 2/3', 2', 1 1/3'... */
    return h == 1 ? 1.0 : h == 2 ? 0.8 : h == 3 ? 0.6 : h == 4 ? 0.5 : h == 6 ? 0.35 : h == 8 ? 0.3 : 0.0;
  }
  return 0.0;
}

/* An additive note with an attack / exponential decay / release envelope.
 * `bright` scales how many partials survive (partials above 10 kHz never do). */
static void tone(track_t *t, double start_s, double dur_s, double hz, double amp, enum wave w,
                 double bright, double attack_s, double decay_s) {
  long s0 = (long)(start_s * SYNTH_SR), len = (long)((dur_s + 0.25) * SYNTH_SR);
  if (s0 < 0 || (size_t)s0 >= t->n || hz <= 0) return;
  if ((size_t)(s0 + len) > t->n) len = (long)t->n - s0;
  int max_h = (int)fmin(24.0, fmax(1.0, 10000.0 / hz));
  long dur = (long)(dur_s * SYNTH_SR);
  for (int h = 1; h <= max_h; h++) {
    double a = partial(w, h) * pow(bright, h - 1.0);
    if (a < 1e-3) continue;
    double step = 2.0 * M_PI * hz * h / SYNTH_SR, cd = cos(step), sd = sin(step);
    double phase0 = uniform(t, 0, 2 * M_PI), c = cos(phase0), s = sin(phase0);
    for (long i = 0; i < len; i++) {
      double tt = (double)i / SYNTH_SR;
      double env = tt < attack_s ? tt / attack_s : exp(-(tt - attack_s) / decay_s);
      if (i > dur) env *= exp(-(double)(i - dur) / (0.05 * SYNTH_SR)); /* release */
      t->buf[s0 + i] += amp * a * env * s;
      double c2 = c * cd - s * sd;
      s = s * cd + c * sd;
      c = c2;
    }
  }
}

/* Karplus-Strong plucked string, with a slight inharmonic second string. */
static void pluck(track_t *t, double start_s, double dur_s, double hz, double amp, double damping) {
  long s0 = (long)(start_s * SYNTH_SR), len = (long)(dur_s * SYNTH_SR);
  if (s0 < 0 || (size_t)s0 >= t->n || hz < 20) return;
  if ((size_t)(s0 + len) > t->n) len = (long)t->n - s0;
  int period = (int)(SYNTH_SR / hz + 0.5);
  double *line = calloc((size_t)period, sizeof *line);
  if (!line) return;
  for (int i = 0; i < period; i++) line[i] = uniform(t, -1, 1);
  double prev = 0.0;
  for (long i = 0; i < len; i++) {
    int j = (int)(i % period);
    double v = line[j];
    line[j] = damping * 0.5 * (v + prev);
    prev = v;
    t->buf[s0 + i] += amp * v;
  }
  free(line);
}

/* FM bell: carrier hz, modulator at an inharmonic ratio, decaying index. */
static void bell(track_t *t, double start_s, double dur_s, double hz, double amp, double ratio) {
  long s0 = (long)(start_s * SYNTH_SR), len = (long)(dur_s * SYNTH_SR);
  if (s0 < 0 || (size_t)s0 >= t->n) return;
  if ((size_t)(s0 + len) > t->n) len = (long)t->n - s0;
  for (long i = 0; i < len; i++) {
    double tt = (double)i / SYNTH_SR, env = exp(-tt / (0.35 * dur_s));
    double index = 3.0 * exp(-tt / (0.15 * dur_s));
    t->buf[s0 + i] += amp * env * sin(2 * M_PI * hz * tt + index * sin(2 * M_PI * hz * ratio * tt));
  }
}

enum drum { KICK, SNARE, HAT, OPEN_HAT, TOM, CLAP, RIM };

static void drum(track_t *t, double start_s, enum drum d, double amp, double pitch) {
  double dur = d == KICK ? 0.35 : d == SNARE ? 0.2 : d == HAT ? 0.05 : d == OPEN_HAT ? 0.3
             : d == TOM ? 0.4 : d == CLAP ? 0.15 : 0.04;
  long s0 = (long)(start_s * SYNTH_SR), len = (long)(dur * 4 * SYNTH_SR);
  if (s0 < 0 || (size_t)s0 >= t->n) return;
  if ((size_t)(s0 + len) > t->n) len = (long)t->n - s0;
  double phase = 0.0, hp_prev_in = 0.0, hp_prev_out = 0.0;
  for (long i = 0; i < len; i++) {
    double tt = (double)i / SYNTH_SR, env = exp(-tt / dur), v = 0.0, noise = uniform(t, -1, 1);
    switch (d) {
    case KICK: phase += 2 * M_PI * (45.0 + 90.0 * pitch * exp(-tt / 0.04)) / SYNTH_SR; v = sin(phase); break;
    case TOM: phase += 2 * M_PI * 120.0 * pitch * (1.0 + 0.5 * exp(-tt / 0.05)) / SYNTH_SR; v = sin(phase); break;
    case SNARE: phase += 2 * M_PI * 185.0 * pitch / SYNTH_SR; v = 0.4 * sin(phase) + 0.8 * noise; break;
    case CLAP: v = noise * (tt < 0.03 ? (fmod(tt, 0.01) < 0.004) : 1.0); break;
    case RIM: phase += 2 * M_PI * 800.0 / SYNTH_SR; v = sin(phase) + 0.3 * noise; break;
    case HAT:
    case OPEN_HAT: /* a one-pole high-pass on noise */
      v = 0.95 * (hp_prev_out + noise - hp_prev_in);
      hp_prev_in = noise, hp_prev_out = v;
      break;
    }
    t->buf[s0 + i] += amp * env * v;
  }
}

/* ---------------------------------------------------------------------------
 * Effects on a whole bus: aubio biquad filters, drive, echo. */

/* RBJ cookbook biquad through aubio's filter (direct form I, in place). */
static void biquad(double *x, size_t n, int highpass, double fc, double q) {
  double w0 = 2 * M_PI * fc / SYNTH_SR, alpha = sin(w0) / (2 * q), cw = cos(w0);
  double b0 = highpass ? (1 + cw) / 2 : (1 - cw) / 2, b1 = highpass ? -(1 + cw) : 1 - cw, b2 = b0;
  double a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
  aubio_filter_t *f = new_aubio_filter_biquad(b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0);
  fvec_t *block = new_fvec(4096);
  if (!f || !block) {
    if (f) del_aubio_filter(f);
    if (block) del_fvec(block);
    return;
  }
  for (size_t i = 0; i < n; i += 4096) {
    size_t m = n - i < 4096 ? n - i : 4096;
    block->length = (uint_t)m;
    for (size_t j = 0; j < m; j++) block->data[j] = (smpl_t)x[i + j];
    aubio_filter_do(f, block);
    for (size_t j = 0; j < m; j++) x[i + j] = block->data[j];
  }
  block->length = 4096;
  del_fvec(block);
  del_aubio_filter(f);
}

static void echo(double *x, size_t n, double delay_s, double feedback) {
  size_t d = (size_t)(delay_s * SYNTH_SR);
  for (size_t i = d; i < n; i++) x[i] += feedback * x[i - d];
}

static void drive(double *x, size_t n, double gain) {
  for (size_t i = 0; i < n; i++) x[i] = tanh(gain * x[i]) / tanh(gain);
}

static void mix(double *dst, const double *src, size_t n, double gain) {
  for (size_t i = 0; i < n; i++) dst[i] += gain * src[i];
}

/* ---------------------------------------------------------------------------
 * Harmony */

static const int major_scale[7] = {0, 2, 4, 5, 7, 9, 11};
static const int minor_scale[7] = {0, 2, 3, 5, 7, 8, 10};
static const int pentatonic[5] = {0, 2, 4, 7, 9};

/* chord on scale degree `deg` (0-based): `notes` stacked thirds, MIDI numbers */
static int chord(const int *scale, int root_midi, int deg, int notes, int *out) {
  for (int i = 0; i < notes; i++) {
    int d = deg + 2 * i;
    out[i] = root_midi + scale[d % 7] + 12 * (d / 7);
  }
  return notes;
}

/* ---------------------------------------------------------------------------
 * Styles. Each renders a whole track from its random draws. */

/* What every style draws from: the track, its harmonic and drum buses, its
 * length, key and brightness (drawn before the style's own draws). */
typedef struct style {
  track_t *t, H, D;
  double *harm, secs, bright;
  int key;
} style_t;

#define STYLE_LOCALS(c)                                                                                    \
  track_t *t = (c)->t, *H = &(c)->H, *D = &(c)->D;                                                        \
  double *harm = (c)->harm, secs = (c)->secs, bright = (c)->bright;                                       \
  int key = (c)->key;                                                                                      \
  (void)t, (void)H, (void)D, (void)harm, (void)secs, (void)bright, (void)key

/* ambient: slow seventh-chord pads, no drums, long attacks, echo */
static void ambient(style_t *c) {
  STYLE_LOCALS(c);
  double bar = 60.0 / uniform(t, 55, 80) * 4;
  const int *sc = pick(t, 2) ? major_scale : minor_scale;
  enum wave w = pick(t, 3) == 0 ? SINE : pick(t, 2) ? TRIANGLE : SAW;
  for (double s = 0; s < secs; s += 2 * bar) {
    int notes[4], deg = pick(t, 7);
    chord(sc, key, deg, 4, notes);
    for (int i = 0; i < 4; i++) tone(H, s, 2 * bar, midi_hz(notes[i]), 0.18, w, bright * 0.8, bar * 0.6, 4 * bar);
  }
  echo(harm, t->n, uniform(t, 0.3, 0.6), 0.45);
  biquad(harm, t->n, 0, uniform(t, 900, 2500), 0.7);
}

/* techno: four-on-the-floor, off-beat hats, claps, 16th saw bass */
static void techno(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 122, 136);
  double bass_hz = midi_hz(key - 12 + 12 * pick(t, 2));
  enum wave bw = pick(t, 3) ? SAW : SQUARE;
  for (double s = 0; s < secs; s += beat) {
    int b = (int)(s / beat + 0.5);
    drum(D, s, KICK, 0.9, uniform(t, 0.9, 1.1));
    drum(D, s + beat / 2, pick(t, 4) ? OPEN_HAT : HAT, 0.25, 1);
    if (b % 2) drum(D, s, CLAP, 0.4, 1);
    for (int k = 0; k < 4; k++)
      if (pick(t, 4)) tone(H, s + k * beat / 4, beat / 5, bass_hz * (k == 2 && pick(t, 3) == 0 ? 1.5 : 1), 0.3, bw, bright, 0.003, 0.08);
  }
  biquad(harm, t->n, 0, uniform(t, 500, 2000), 2.0);
}

/* chiptune: square arpeggios in 16ths, triangle bass, noise hats */
static void chiptune(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 140, 180);
  const int *sc = pick(t, 2) ? major_scale : minor_scale;
  int prog[4] = {0, pick(t, 2) ? 5 : 3, 4, pick(t, 2) ? 0 : 5};
  for (double s = 0; s < secs; s += 4 * beat) {
    int bar = (int)(s / (4 * beat) + 0.5), notes[3];
    chord(sc, key + 12, prog[bar % 4], 3, notes);
    for (int k = 0; k < 16; k++) {
      double at = s + k * beat / 4;
      tone(H, at, beat / 4.5, midi_hz(notes[k % 3] + 12 * (k / 8 % 2)), 0.16, SQUARE, 1.0, 0.001, 0.2);
      if (k % 4 == 0) tone(H, at, beat * 0.9, midi_hz(notes[0] - 24), 0.3, TRIANGLE, 1.0, 0.001, 0.5);
      if (k % 2 == 0) drum(D, at, HAT, 0.15, 1);
      if (k % 8 == 4) drum(D, at, SNARE, 0.3, 1.2);
    }
  }
}

/* chorale: organ block chords, one per beat, major key, no drums */
static void chorale(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 55, 90);
  for (double s = 0; s < secs; s += beat) {
    int notes[4], deg = pick(t, 6);
    chord(major_scale, key, deg, 3, notes);
    notes[3] = notes[0] - 12;
    for (int i = 0; i < 4; i++) tone(H, s, beat * 0.97, midi_hz(notes[i]), 0.16, ORGAN, bright, 0.03, 30.0);
  }
  biquad(harm, t->n, 0, uniform(t, 2500, 5000), 0.7);
}

/* dub: one-drop beat, off-beat skank chords, deep sine bass, echo */
static void dub(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 66, 86);
  for (double s = 0; s < secs; s += 4 * beat) {
    int notes[3], deg = pick(t, 2) ? 0 : 3;
    chord(minor_scale, key + 12, deg, 3, notes);
    drum(D, s + 2 * beat, KICK, 0.8, 0.8);
    drum(D, s + 2 * beat, RIM, 0.35, 1);
    for (int k = 0; k < 4; k++) {
      drum(D, s + k * beat + beat / 2, HAT, 0.12, 1);
      for (int i = 0; i < 3; i++) tone(H, s + k * beat + beat / 2, beat / 6, midi_hz(notes[i]), 0.12, SQUARE, bright, 0.002, 0.05);
    }
    tone(H, s, 1.5 * beat, midi_hz(key - 12 + minor_scale[deg]), 0.5, SINE, 1, 0.01, 1.0);
    tone(H, s + 2.5 * beat, beat, midi_hz(key - 12 + minor_scale[(deg + 4) % 7]), 0.45, SINE, 1, 0.01, 1.0);
  }
  echo(harm, t->n, 0.75 * beat, 0.5);
}

/* noiserock: distorted saw power chords, rock beat, loud noise */
static void noiserock(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 100, 150);
  for (double s = 0; s < secs; s += 2 * beat) {
    int root = key - 12 + pentatonic[pick(t, 5)];
    for (int k = 0; k < 4; k++) {
      double at = s + k * beat / 2;
      tone(H, at, beat / 2, midi_hz(root), 0.3, SAW, 1.0, 0.002, 1.0);
      tone(H, at, beat / 2, midi_hz(root + 7), 0.25, SAW, 1.0, 0.002, 1.0);
      drum(D, at, HAT, 0.25, 1);
    }
    drum(D, s, KICK, 0.8, 1.0);
    drum(D, s + beat, SNARE, 0.7, 1.0);
    if (pick(t, 2)) drum(D, s + 1.5 * beat, KICK, 0.6, 1.0);
  }
  drive(harm, t->n, uniform(t, 4, 12));
}

/* waltz: 3/4, bass on one, string chords on two and three */
static void waltz(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 80, 120);
  int degs[4] = {0, 3, 4, 0};
  for (double s = 0; s < secs; s += 3 * beat) {
    int bar = (int)(s / (3 * beat) + 0.5), notes[3];
    chord(major_scale, key + 12, degs[bar % 4] + (pick(t, 4) == 0), 3, notes);
    tone(H, s, beat * 0.9, midi_hz(notes[0] - 24), 0.4, TRIANGLE, bright, 0.01, 0.6);
    for (int k = 1; k < 3; k++)
      for (int i = 0; i < 3; i++) tone(H, s + k * beat, beat * 0.8, midi_hz(notes[i]), 0.1, SAW, bright * 0.8, 0.06, 0.8);
  }
  biquad(harm, t->n, 0, uniform(t, 1500, 3500), 0.7);
}

/* drumline: snares, toms and kicks, syncopated, no harmony */
static void drumline(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 90, 130);
  double tom_pitch[3] = {uniform(t, 0.8, 1.0), uniform(t, 1.1, 1.4), uniform(t, 1.5, 2.0)};
  for (double s = 0; s < secs; s += beat / 4) {
    int k = (int)(s / (beat / 4) + 0.5) % 16;
    if (k % 4 == 0 || pick(t, 5) == 0) drum(D, s, SNARE, k % 4 ? 0.3 : 0.6, uniform(t, 0.9, 1.1));
    if (k == 0 || k == 10) drum(D, s, KICK, 0.8, 1.0);
    if (pick(t, 6) == 0) drum(D, s, TOM, 0.5, tom_pitch[pick(t, 3)]);
  }
}

/* piano: plucked-string chords and a sparse melody, no drums */
static void piano(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 60, 100);
  const int *sc = pick(t, 2) ? major_scale : minor_scale;
  for (double s = 0; s < secs; s += 2 * beat) {
    int notes[3];
    chord(sc, key, pick(t, 7), 3, notes);
    for (int i = 0; i < 3; i++) pluck(H, s + 0.01 * i, 2 * beat + 0.5, midi_hz(notes[i]), 0.25, 0.996);
    if (pick(t, 3)) pluck(H, s + beat * (pick(t, 2) ? 1.0 : 0.5), beat + 0.5,
                          midi_hz(key + 12 + sc[pick(t, 7)]), 0.3, 0.995);
  }
}

/* gamelan: FM bells on a pentatonic scale, gong every 8 beats */
static void gamelan(style_t *c) {
  STYLE_LOCALS(c);
  double beat = 60.0 / uniform(t, 70, 110);
  double ratio = uniform(t, 1.35, 1.45);
  for (double s = 0; s < secs; s += beat / 2) {
    int k = (int)(s / (beat / 2) + 0.5);
    bell(H, s, beat * 1.5, midi_hz(key + 24 + pentatonic[pick(t, 5)] + 12 * pick(t, 2)), 0.15, ratio);
    if (k % 16 == 0) bell(H, s, 8 * beat, midi_hz(key - 12), 0.4, 1.07);
    if (k % 4 == 2) bell(H, s, beat, midi_hz(key + 12 + pentatonic[pick(t, 5)]), 0.12, 2.76);
  }
}

static void (*const styles[SYNTH_GENRES])(style_t *) = {ambient, techno, chiptune, chorale, dub,
                                                           noiserock, waltz, drumline, piano, gamelan};

static void render_style(int g, track_t *t, double *harm, double *drums) {
  style_t c = {.t = t, .H = {harm, t->n, t->rng}, .D = {drums, t->n, t->rng}, .harm = harm,
               .secs = (double)t->n / SYNTH_SR};
  c.key = 48 + pick(t, 12); /* C3 .. B3 */
  c.bright = uniform(t, 0.75, 1.0);
  styles[g](&c);
}

/* noise floor SNR range per style, dB */
static const double snr_lo[SYNTH_GENRES] = {25, 20, 30, 30, 15, 4, 25, 15, 25, 20};
static const double snr_hi[SYNTH_GENRES] = {45, 40, 50, 50, 35, 14, 45, 30, 45, 40};

void synth_render(int genre, int index, unsigned long seed, float *out, size_t n) {
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  /* one stream per (seed, genre, track) */
  gsl_rng_set(rng, seed * 1000003ul + (unsigned long)genre * 100003ul + (unsigned long)index + 1);
  double *harm = calloc(n, sizeof *harm), *drums = calloc(n, sizeof *drums);
  if (!rng || !harm || !drums) {
    memset(out, 0, n * sizeof *out);
    goto out;
  }
  track_t t = {NULL, n, rng};
  render_style(genre, &t, harm, drums);
  double drum_gain = uniform(&t, 0.6, 1.2), *mixbuf = harm;
  mix(mixbuf, drums, n, drum_gain);
  /* Styles overlap as real genres do: half the tracks carry a quieter layer of
   * another style (6-16 dB down), and every mix gets a tone colour of its own. */
  if (gsl_rng_uniform(rng) < 0.5) {
    double *h2 = calloc(n, sizeof *h2), *d2 = calloc(n, sizeof *d2);
    if (h2 && d2) {
      int other = (genre + 1 + pick(&t, SYNTH_GENRES - 1)) % SYNTH_GENRES;
      render_style(other, &t, h2, d2);
      mix(h2, d2, n, uniform(&t, 0.6, 1.2));
      double e1 = 0, e2 = 0;
      for (size_t i = 0; i < n; i++) e1 += mixbuf[i] * mixbuf[i], e2 += h2[i] * h2[i];
      double g = sqrt(e1 / (e2 + 1e-12)) * pow(10.0, -uniform(&t, 6.0, 16.0) / 20.0);
      mix(mixbuf, h2, n, g);
    }
    free(h2), free(d2);
  }
  if (gsl_rng_uniform(rng) < 0.5) biquad(mixbuf, n, 0, uniform(&t, 2500.0, 9000.0), 0.7);
  if (gsl_rng_uniform(rng) < 0.3) biquad(mixbuf, n, 1, uniform(&t, 80.0, 400.0), 0.7);
  double energy = 0.0;
  for (size_t i = 0; i < n; i++) energy += mixbuf[i] * mixbuf[i];
  double rms = sqrt(energy / (n ? n : 1)) + 1e-12;
  double snr = uniform(&t, snr_lo[genre], snr_hi[genre]);
  double noise = rms * pow(10.0, -snr / 20.0), lp = 0.0, tilt = uniform(&t, 0.0, 0.9);
  for (size_t i = 0; i < n; i++) { /* white to reddish noise */
    lp = tilt * lp + (1 - tilt) * gsl_ran_gaussian(rng, 1.0);
    mixbuf[i] += noise * lp / sqrt((1 - tilt) / (1 + tilt));
  }
  double peak = 1e-12;
  for (size_t i = 0; i < n; i++) peak = fmax(peak, fabs(mixbuf[i]));
  double level = pow(10.0, uniform(&t, -16.0, -3.0) / 20.0); /* peak dBFS */
  for (size_t i = 0; i < n; i++) out[i] = (float)(mixbuf[i] / peak * level);
out:
  free(harm), free(drums);
  if (rng) gsl_rng_free(rng);
}

/* ---------------------------------------------------------------------------
 * The command */

typedef struct synth_job {
  const char *dir;
  int per_genre;
  size_t samples;
  unsigned long seed;
  int next, total, failed, rendered;
  int same_seed; /* the files there were drawn with this seed (or nothing says otherwise) */
  pthread_mutex_t mu;
} synth_job_t;

/* A track already there, of this length and seed: kept (a rerun completes an interrupted corpus). */
static int keep_track(const synth_job_t *job, const char *path) {
  SF_INFO info = {0};
  SNDFILE *f = job->same_seed ? sf_open(path, SFM_READ, &info) : NULL;
  if (!f) return 0;
  sf_close(f);
  return info.frames == (sf_count_t)job->samples && info.samplerate == SYNTH_SR && info.channels == 1;
}

static int write_wav(const char *path, const float *x, size_t n, char *err, size_t errlen) {
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  SF_INFO info = {.samplerate = SYNTH_SR, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *f = sf_open(tmp, SFM_WRITE, &info);
  if (!f) {
    snprintf(err, errlen, "%s: cannot create (libsndfile: %s)", tmp, sf_strerror(NULL));
    return -1;
  }
  sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
  sf_count_t wrote = sf_writef_float(f, x, (sf_count_t)n);
  int bad = wrote != (sf_count_t)n;
  if (sf_close(f) != 0) bad = 1;
  if (bad || rename(tmp, path) != 0) {
    snprintf(err, errlen, "%s: write failed", path);
    unlink(tmp);
    return -1;
  }
  return 0;
}

static void *synth_worker(void *arg) {
  synth_job_t *job = arg;
  float *x = malloc(job->samples * sizeof *x);
  for (;;) {
    pthread_mutex_lock(&job->mu);
    int i = job->next++;
    pthread_mutex_unlock(&job->mu);
    if (i >= job->total || !x) break;
    int g = i / job->per_genre, k = i % job->per_genre;
    char path[4096], err[4500];
    snprintf(path, sizeof path, "%s/genres_original/%s/%s.%05d.wav", job->dir, synth_genre_names[g],
             synth_genre_names[g], k);
    if (keep_track(job, path)) continue;
    synth_render(g, k, job->seed, x, job->samples);
    pthread_mutex_lock(&job->mu);
    job->rendered++;
    pthread_mutex_unlock(&job->mu);
    if (write_wav(path, x, job->samples, err, sizeof err)) {
      fprintf(stderr, "genre synth: %s\n", err);
      pthread_mutex_lock(&job->mu);
      job->failed++;
      pthread_mutex_unlock(&job->mu);
    }
  }
  free(x);
  return NULL;
}

/* DIR/.synth: the seed and count the files there were made with. */
static void stamp_path(const char *dir, char *path, size_t len) { snprintf(path, len, "%s/.synth", dir); }

/* The seed the files there were drawn with differs from seed: 1; the tracks
 * numbered from per_genre on (an earlier, larger corpus) are removed. */
static int other_seed(const char *dir, int per_genre, unsigned long seed) {
  char path[4200];
  unsigned long had_seed = seed;
  int had_tracks = 0;
  stamp_path(dir, path, sizeof path);
  FILE *f = fopen(path, "r");
  if (f && fscanf(f, "seed %lu tracks-per-genre %d", &had_seed, &had_tracks) != 2) had_seed = seed, had_tracks = 0;
  if (f) fclose(f);
  int removed = 0;
  for (int g = 0; g < SYNTH_GENRES; g++)
    for (int k = per_genre; k < had_tracks; k++) {
      snprintf(path, sizeof path, "%s/genres_original/%s/%s.%05d.wav", dir, synth_genre_names[g], synth_genre_names[g], k);
      removed += unlink(path) == 0;
    }
  if (removed) printf("removed %d tracks beyond --tracks-per-genre %d (an earlier corpus had %d)\n", removed, per_genre,
                      had_tracks);
  return had_seed != seed;
}

int synth_corpus(const char *dir, int per_genre, double seconds, unsigned long seed, long jobs) {
  char path[4200], err[4400];
  for (int g = 0; g < SYNTH_GENRES; g++) {
    snprintf(path, sizeof path, "%s/genres_original/%s", dir, synth_genre_names[g]);
    if (make_dirs(path, err, sizeof err)) {
      fprintf(stderr, "genre synth: %s\n", err);
      return 1;
    }
  }
  synth_job_t job = {.dir = dir, .per_genre = (int)per_genre, .samples = (size_t)(seconds * SYNTH_SR),
                     .seed = seed, .total = SYNTH_GENRES * (int)per_genre, .same_seed = !other_seed(dir, per_genre, seed)};
  pthread_mutex_init(&job.mu, NULL);
  if (jobs > job.total) jobs = job.total;
  pthread_t threads[1024];
  long started = 0;
  double t0 = now_seconds();
  for (; started < jobs; started++)
    if (pthread_create(&threads[started], NULL, synth_worker, &job)) break;
  if (started == 0) synth_worker(&job);
  for (long i = 0; i < started; i++) pthread_join(threads[i], NULL);
  pthread_mutex_destroy(&job.mu);
  if (job.failed) return 1;
  stamp_path(dir, path, sizeof path);
  FILE *f = fopen(path, "w");
  if (!f || fprintf(f, "seed %lu tracks-per-genre %d\n", seed, per_genre) < 0 || fclose(f) != 0)
    return fprintf(stderr, "genre synth: %s: cannot write\n", path), 1;
  printf("synthetic corpus: %d tracks of %.1f s (seed %lu) in %s/genres_original, %d written, %d kept (%.1f s)\n",
         job.total, seconds, seed, dir, job.rendered, job.total - job.rendered, now_seconds() - t0);
  return 0;
}
