/* The CNN: what each augmentation changes (and that none runs at evaluation),
 * training and cross-validation on a synthetic corpus, fine-tuning, errors. */
#include <gsl/gsl_rng.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "augment.h"
#include "check.h"
#include "cnn.h"
#include "mel_dataset.h"
#include "model.h"

#define B 128
#define T 130

static char dir[600];

/* a spectrogram at -60 dB with a tone on band 40 (-10 dB) from frame 50 to 70 */
static void tone(real *x) {
  for (int i = 0; i < B * T; i++) x[i] = -60;
  for (int t = 50; t < 70; t++) x[40 * T + t] = -10;
}

static void test_augmentations(void) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 5);
  static real x[B * T], y[B * T];
  mel_augment_t a;
  tone(x);

  mel_augment_init(&a, AUG_LOUDNESS, B, T, 22050, 2048);
  memcpy(y, x, sizeof x);
  mel_augment_db(&a, y, r);
  double d0 = y[0] - x[0];
  int same = 1;
  for (int i = 0; i < B * T; i++) same &= fabs((y[i] - x[i]) - d0) < 1e-4;
  CHECK(same && fabs(d0) <= 6 && d0 != 0, "loudness: one gain of %.2f dB on every cell", d0);
  mel_augment_free(&a);

  mel_augment_init(&a, AUG_NOISE, B, T, 22050, 2048);
  memcpy(y, x, sizeof x);
  mel_augment_db(&a, y, r);
  double quiet = 0, loud = y[40 * T + 60] - x[40 * T + 60];
  for (int t = 0; t < 40; t++) quiet += (y[100 * T + t] - x[100 * T + t]) / 40;
  CHECK(quiet > 1.0 && fabs(loud) < 0.5, "noise: quiet cells rise (%.2f dB), the tone barely moves (%.3f dB)", quiet, loud);
  mel_augment_free(&a);

  /* pitch moves the tone to other bands within +-2 semitones (about 4 bands
   * here) and leaves the frames without it as they were */
  mel_augment_init(&a, AUG_PITCH, B, T, 22050, 2048);
  int max_shift = 0, untouched = 1;
  for (int k = 0; k < 8; k++) {
    memcpy(y, x, sizeof x);
    mel_augment_db(&a, y, r);
    int peak = 0;
    for (int b = 1; b < B; b++)
      if (y[b * T + 60] > y[peak * T + 60]) peak = b;
    max_shift = abs(peak - 40) > max_shift ? abs(peak - 40) : max_shift;
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++)
        if (t < 50 || t >= 70) untouched &= fabs(y[b * T + t] - x[b * T + t]) < 1e-4; /* interpolation rounding */
  }
  CHECK(max_shift >= 1 && max_shift <= 6 && untouched, "pitch: the tone moves by up to %d bands, other frames untouched",
        max_shift);
  mel_augment_free(&a);

  /* stretch moves the tone in time and keeps it on its band */
  mel_augment_init(&a, AUG_STRETCH, B, T, 22050, 2048);
  int max_move = 0, on_band = 1;
  for (int k = 0; k < 8; k++) {
    memcpy(y, x, sizeof x);
    mel_augment_db(&a, y, r);
    int first = -1;
    for (int t = 0; t < T && first < 0; t++)
      if (y[40 * T + t] > -30) first = t;
    max_move = abs(first - 50) > max_move ? abs(first - 50) : max_move;
    for (int b = 0; b < B; b++)
      if (b != 40)
        for (int t = 0; t < T; t++) on_band &= fabs(y[b * T + t] + 60) < 1e-4;
  }
  CHECK(max_move >= 2 && on_band, "stretch: the tone's onset moves by up to %d frames, on its band", max_move);
  mel_augment_free(&a);

  /* masks act on standardised data: 1 everywhere, masked cells 0 */
  mel_augment_init(&a, AUG_FREQMASK | AUG_TIMEMASK, B, T, 22050, 2048);
  int bands_hit = 0, frames_hit = 0;
  for (int k = 0; k < 4; k++) {
    for (int i = 0; i < B * T; i++) y[i] = 1;
    mel_augment_masks(&a, y, r);
    for (int b = 0; b < B; b++) {
      int all = 1;
      for (int t = 0; t < T; t++) all &= y[b * T + t] == 0;
      bands_hit += all;
    }
    for (int t = 0; t < T; t++) {
      int all = 1;
      for (int b = 0; b < B; b++) all &= y[b * T + t] == 0;
      frames_hit += all;
    }
  }
  CHECK(bands_hit > 0 && bands_hit <= 4 * 15 && frames_hit > 0 && frames_hit <= 4 * 20,
        "SpecAugment: whole bands (%d) and whole frames (%d) masked to the mean", bands_hit, frames_hit);
  mel_augment_free(&a);
  gsl_rng_free(r);

  int flags;
  char err[200];
  CHECK(augment_parse("noise,timemask", &flags, err, sizeof err) == 0 && flags == (AUG_NOISE | AUG_TIMEMASK),
        "--augment list parsed");
  CHECK(augment_parse("reverb", &flags, err, sizeof err) != 0 && strstr(err, "reverb"), "unknown augmentation named");
}

static void test_presets(void) {
  layer_spec_t spec[NET_MAX_LAYERS];
  char err[300];
  const char *arch[] = {"default", "seed000", "seed002"};
  size_t params[3];
  for (int i = 0; i < 3; i++) {
    int n = cnn_layers(arch[i], spec);
    net_t *net = net_new(spec, n, 1, 128, 130, 10, 2, err, sizeof err);
    CHECK(net != NULL, "%s builds on [1][128][130]: %s", arch[i], err);
    params[i] = net ? net->n_params : 0;
    net_free(net);
  }
  printf("  parameters: default %zu, seed000 %zu, seed002 %zu\n", params[0], params[1], params[2]);
  CHECK(params[0] < params[2] / 50, "default has far fewer weights than seed002");
  CHECK(params[2] > 7000000, "seed002 as the seed built it (7.4 M at 128x128; %zu at 128x130)", params[2]);
}

static void test_train_cv_finetune(void) {
  const char *g = genre_bin();
  char path[900];
  int light = memcheck();
  CHECK(run("%s synth -o %s/corpus -n %d -s %d > /dev/null && %s extract -o %s/out %s/corpus/genres_original --no-progress "
            "> /dev/null",
            g, dir, light ? 4 : 8, light ? 6 : 9, g, dir, dir) == 0,
        "synthetic corpus extracted");
  /* cross-validation by track: well above the 10%% of chance */
  snprintf(path, sizeof path, "%s/cv.out", dir);
  CHECK(run("%s cv cnn --mel %s/out --folds %d --epochs %d --json %s/cv.json > %s 2>&1", g, dir, light ? 2 : 4,
            light ? 1 : 10, dir, path) == 0,
        "cv cnn exits 0");
  FILE *f = fopen(path, "r");
  double acc = 0, track = 0;
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    sscanf(line, "accuracy %lf +-", &acc);
    sscanf(line, "track accuracy (majority vote) %lf", &track);
  }
  if (f) fclose(f);
  printf("  cv cnn on %d synthetic tracks: segment accuracy %.3f, track accuracy %.3f\n", light ? 40 : 80, acc,
         track);
  if (light)
    printf("  (memcheck: 2 folds of 1 epoch; how well it learns is checked by make test)\n");
  else
    CHECK(acc > 0.5 && track > 0.5, "cv cnn learns well above chance (0.1): %.3f / %.3f", acc, track);
  CHECK(contains(path, "grouped by track"), "folds grouped by track");

  /* train, evaluate (twice: no augmentation at evaluation, same numbers) */
  CHECK(run("%s train cnn --mel %s/out -o %s/a.model --epochs %d --augment all --quiet > /dev/null 2>&1", g, dir, dir,
            light ? 1 : 6) == 0,
        "train cnn with every augmentation");
  CHECK(run("%s evaluate --model %s/a.model --mel %s/out > %s/e1 2>&1 && %s evaluate --model %s/a.model --mel %s/out > %s/e2 "
            "2>&1 && cmp -s %s/e1 %s/e2",
            g, dir, dir, dir, g, dir, dir, dir, dir, dir) == 0,
        "evaluation is deterministic: augmentations are off");
  snprintf(path, sizeof path, "%s/e1", dir);
  CHECK(contains(path, "confusion matrix") && contains(path, "majority vote"), "evaluate --mel prints per segment and track");

  /* the same model, bit for bit, for any number of threads */
  CHECK(run("%s train cnn --mel %s/out -o %s/t1.model --epochs 1 --threads 1 --quiet > /dev/null 2>&1 && "
            "%s train cnn --mel %s/out -o %s/t2.model --epochs 1 --threads 2 --quiet > /dev/null 2>&1 && "
            "%s train cnn --mel %s/out -o %s/t3.model --epochs 1 --threads 3 --quiet > /dev/null 2>&1 && "
            "cmp -s %s/t1.model %s/t2.model && cmp -s %s/t1.model %s/t3.model",
            g, dir, dir, g, dir, dir, g, dir, dir, dir, dir, dir, dir) == 0,
        "train cnn with 1, 2 and 3 threads: the same model file, byte for byte");

  /* fine-tuning on another label set: the conv stack comes from a.model, frozen */
  run("mkdir -p %s/half && cp -r %s/corpus/genres_original/techno %s/corpus/genres_original/chorale %s/half/", dir, dir, dir, dir);
  run("%s extract -o %s/halfout %s/half --no-progress > /dev/null", g, dir, dir);
  CHECK(run("%s train cnn --mel %s/halfout -o %s/b.model --init %s/a.model --freeze conv --epochs %d --quiet > /dev/null 2>&1",
            g, dir, dir, dir, light ? 1 : 3) == 0,
        "fine-tune with --init and --freeze conv on 2 labels");
  model_t a, b;
  char err[1500];
  snprintf(path, sizeof path, "%s/a.model", dir);
  int la = model_load(path, 1, &a, err, sizeof err);
  snprintf(path, sizeof path, "%s/b.model", dir);
  int lb = model_load(path, 1, &b, err, sizeof err);
  CHECK(la == 0 && lb == 0, "both models load");
  if (!la && !lb) {
    int head = cnn_head_start(a.spec, a.n_layers), same = 1;
    for (int i = 0; i < head; i++) {
      const layer_t *x = &a.net->layer[i], *y = &b.net->layer[i];
      same &= memcmp(x->weight, y->weight, x->nw * sizeof(real)) == 0 && memcmp(x->bias, y->bias, x->nb * sizeof(real)) == 0;
      if (x->run_mean) same &= memcmp(x->run_mean, y->run_mean, (size_t)x->c * sizeof(real)) == 0;
    }
    CHECK(same && b.n_classes == 2 && a.n_classes == 10, "frozen conv stack copied unchanged; 10 -> 2 classes");
  }
  if (!la) model_free(&a);
  if (!lb) model_free(&b);
  /* without --freeze the copied layers train on */
  CHECK(run("%s train cnn --mel %s/halfout -o %s/c.model --init %s/a.model --epochs %d --quiet > /dev/null 2>&1", g, dir, dir,
            dir, light ? 1 : 2) == 0,
        "fine-tune without freezing");
  snprintf(path, sizeof path, "%s/init.err", dir);
  CHECK(run("%s train cnn --mel %s/halfout -o %s/d.model --arch seed002 --init %s/a.model --epochs 1 --quiet > %s 2>&1", g, dir,
            dir, dir, path) == 1 &&
            contains(path, "--init model"),
        "--init from another architecture: refused with the reason");
}

static void test_errors(void) {
  const char *g = genre_bin();
  char path[900];
  snprintf(path, sizeof path, "%s/err1", dir);
  CHECK(run("%s train cnn --mel %s/nowhere -o %s/x.model --quiet > %s 2>&1", g, dir, dir, path) == 1 &&
            contains(path, "nowhere: no such folder; spectrograms are read from the folder genre extract -o OUTDIR wrote"),
        "a missing folder: said, with what was expected");
  CHECK(run("%s train cnn --mel %s/out/features_3_sec.csv -o %s/x.model --quiet > %s 2>&1", g, dir, dir, path) == 1 &&
            contains(path, "features_3_sec.csv: a file, not a folder"),
        "a table given as --mel: said so");
  CHECK(run("%s train cnn --mel %s -o %s/x.model --quiet > %s 2>&1", g, dir, dir, path) == 1 &&
            contains(path, "a folder without mel/index.csv, not one genre extract wrote"),
        "another folder given as --mel: said so");
  CHECK(run("%s experiment --data %s/out/features_3_sec.csv -o %s/r > %s 2>&1", g, dir, dir, path) == 1 &&
            contains(path, "a file, not a folder; --data wants the folder genre extract -o OUTDIR wrote (a feature "
                           "table alone: --features CSV)"),
        "experiment --data given the table: told to use --features");
  /* a .npy of the wrong shape */
  run("mkdir -p %s/badmel/mel && printf 'file,label,segments,source\\nq.npy,x,5,q.wav\\nr.npy,y,1,r.wav\\n' > %s/badmel/mel/index.csv",
      dir, dir);
  run("cp %s/out/mel/techno.00000.npy %s/badmel/mel/q.npy && cp %s/out/mel/techno.00000.npy %s/badmel/mel/r.npy", dir, dir, dir,
      dir);
  snprintf(path, sizeof path, "%s/err2", dir);
  CHECK(run("%s train cnn --mel %s/badmel -o %s/x.model --quiet > %s 2>&1", g, dir, dir, path) == 1 &&
            contains(path, "q.npy") && contains(path, "shape"),
        "a spectrogram file of the wrong shape is named");
  snprintf(path, sizeof path, "%s/err3", dir);
  CHECK(run("%s evaluate --model %s/a.model --features %s/out/features_3_sec.csv > %s 2>&1", g, dir, dir, path) == 1 &&
            contains(path, "is a CNN model"),
        "a CNN model given a feature table: told to use --mel");
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  RUN(test_augmentations);
  RUN(test_presets);
  RUN(test_train_cv_finetune);
  RUN(test_errors);
  return check_summary();
}
