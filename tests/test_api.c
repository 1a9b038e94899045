/* The functions the Python package calls (experiments/python/genre_api.h), in C,
 * so that the sanitizer build runs them too: samples in memory give a file's
 * features to the bit (mono 22050 Hz and stereo 44.1 kHz through soxr), bad
 * samples are refused, rows and spectrograms in memory train, models predict,
 * predict writes its CSV into memory, a command's output is redirected. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "genre_api.h"
#include "mel_dataset.h"

static char dir[] = "/tmp/genre_api_XXXXXX";

static float *read_wav(const char *path, size_t *frames, int *channels, int *rate) {
  SF_INFO info = {0};
  SNDFILE *sf = sf_open(path, SFM_READ, &info);
  if (!sf) return NULL;
  float *x = malloc((size_t)info.frames * info.channels * sizeof *x);
  *frames = (size_t)sf_readf_float(sf, x, info.frames), *channels = info.channels, *rate = info.samplerate;
  sf_close(sf);
  return x;
}

/* The file's features against those of its samples given in memory. */
static void same_from_memory(const char *path, const char *what) {
  size_t frames;
  int channels, rate;
  float *x = read_wav(path, &frames, &channels, &rate);
  gapi_extractor_t *a = gapi_extractor_new(), *b = gapi_extractor_new();
  gapi_extraction_t fa, fb;
  char err[600];
  int F = gapi_feature_count();
  CHECK(x && gapi_extract(a, path, NULL, 0, 0, 0, NULL, &fa, err, sizeof err) == 0, "%s: the file", what);
  CHECK(x && gapi_extract(b, NULL, x, frames, channels, rate, NULL, &fb, err, sizeof err) == 0, "%s: memory", what);
  CHECK(fa.segments == fb.segments && fa.samples == fb.samples && fa.segments >= 2, "%s: %zu segments, %zu samples",
        what, fb.segments, fb.samples);
  CHECK(fa.segments == fb.segments && memcmp(fa.rows, fb.rows, fa.segments * F * sizeof(double)) == 0 &&
            memcmp(fa.whole, fb.whole, F * sizeof(double)) == 0 &&
            memcmp(fa.mel, fb.mel, fa.segments * 128 * 130 * sizeof(float)) == 0,
        "%s: rows, whole row and log-mels equal to the bit", what);
  x[frames / 2 * channels] = 0.0f / 0.0f;
  CHECK(gapi_extract(b, NULL, x, frames, channels, rate, NULL, &fb, err, sizeof err) == 1 && strstr(err, "NaN"),
        "%s: a NaN sample refused: %s", what, err);
  gapi_extractor_free(a), gapi_extractor_free(b), free(x);
}

static void test_extract_memory(void) {
  char path[300], stereo[300];
  snprintf(path, sizeof path, "%s/genres_original/waltz/waltz.00000.wav", dir);
  same_from_memory(path, "mono 22050 Hz");
  size_t frames;
  int channels, rate;
  float *x = read_wav(path, &frames, &channels, &rate), *st = malloc(frames * 2 * 2 * sizeof *st);
  for (size_t i = 0; i < 2 * frames; i++) st[2 * i] = x[i / 2], st[2 * i + 1] = 0.5f * x[(i / 2 + 7) % frames];
  SF_INFO info = {.samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
  snprintf(stereo, sizeof stereo, "%s/stereo.wav", dir);
  SNDFILE *sf = sf_open(stereo, SFM_WRITE, &info);
  CHECK(sf && sf_writef_float(sf, st, (sf_count_t)(2 * frames)) == (sf_count_t)(2 * frames), "write a stereo file");
  if (sf) sf_close(sf);
  same_from_memory(stereo, "stereo 44.1 kHz");
  free(x), free(st);
}

/* Every 3-s row of the corpus, with its label and name. */
static size_t corpus_rows(double **x, float **mel, char ***labels, char ***names, char ***tracks) {
  char args[300];
  snprintf(args, sizeof args, "%s/genres_original", dir);
  char *argv[] = {args}, err[600];
  gapi_inputs_t *in = gapi_inputs(argv, 1, NULL, err, sizeof err);
  CHECK(in && gapi_inputs_count(in) == 10, "the corpus lists 10 files");
  size_t n = 0, F = (size_t)gapi_feature_count(), plane = 128 * 130;
  *x = NULL, *mel = NULL, *labels = *names = *tracks = NULL;
  gapi_extractor_t *e = gapi_extractor_new();
  for (size_t i = 0; in && i < gapi_inputs_count(in); i++) {
    gapi_extraction_t f;
    if (gapi_extract(e, gapi_input(in, i, 0), NULL, 0, 0, 0, NULL, &f, err, sizeof err)) continue;
    *x = realloc(*x, (n + f.segments) * F * sizeof **x), *mel = realloc(*mel, (n + f.segments) * plane * sizeof **mel);
    *labels = realloc(*labels, (n + f.segments) * sizeof **labels), *names = realloc(*names, (n + f.segments) * sizeof **names);
    *tracks = realloc(*tracks, (n + f.segments) * sizeof **tracks);
    memcpy(*x + n * F, f.rows, f.segments * F * sizeof **x), memcpy(*mel + n * plane, f.mel, f.segments * plane * sizeof **mel);
    for (size_t s = 0; s < f.segments; s++, n++) {
      char name[300];
      snprintf(name, sizeof name, "%s.%zu.wav", gapi_input(in, i, 2), s);
      (*labels)[n] = strdup(gapi_input(in, i, 3)), (*names)[n] = strdup(name), (*tracks)[n] = strdup(gapi_input(in, i, 2));
    }
  }
  gapi_extractor_free(e), gapi_inputs_free(in);
  return n;
}

static void test_train_and_predict(void) {
  double *x;
  float *mel;
  char **labels, **names, **tracks, err[600], model[300], cnn[300];
  size_t n = corpus_rows(&x, &mel, &labels, &names, &tracks), F = (size_t)gapi_feature_count();
  char **features = malloc(F * sizeof *features);
  for (size_t f = 0; f < F; f++) features[f] = (char *)gapi_feature_name((int)f);
  snprintf(model, sizeof model, "%s/knn.model", dir), snprintf(cnn, sizeof cnn, "%s/cnn.model", dir);
  char *knn_argv[] = {"train", "knn", "--features", "rows", "-o", model, "--quiet"};
  CHECK(gapi_train_features(7, knn_argv, x, n, F, features, labels, names, err, sizeof err) == 0, "knn on %zu rows", n);
  char **own = malloc(n * sizeof *own), *one = labels[0]; /* the strdup'd labels, freed at the end */
  memcpy(own, labels, n * sizeof *own);
  for (size_t i = 0; i < n; i++) labels[i] = one;
  CHECK(gapi_train_features(7, knn_argv, x, n, F, features, labels, names, err, sizeof err) == 1, "one label refused");
  char *cnn_argv[] = {"train", "cnn", "--mel", "mel", "-o", cnn, "--epochs", "1", "--quiet"};
  CHECK(gapi_train_mel(9, cnn_argv, mel, 6, labels, tracks, err, sizeof err) == 1, "one label: the CNN refuses too");
  for (size_t i = 0; i < 6; i++) labels[i] = names[i][0] == 'a' ? "ambient" : "other";
  CHECK(gapi_train_mel(9, cnn_argv, mel, 6, labels, tracks, err, sizeof err) == 0 && access(cnn, R_OK) == 0,
        "a CNN on 6 spectrograms in memory");
  gapi_model_t *m = gapi_model_open(model, NULL, 1, err, sizeof err);
  double *p = malloc(n * 10 * sizeof *p), sum = 0;
  CHECK(m && gapi_model_classes(m) == 10 && strcmp(gapi_model_text(m, 0, "kind"), "knn") == 0, "the kNN model opens");
  CHECK(m && gapi_model_proba(m, x, NULL, n, p, err, sizeof err) == 0, "its probabilities");
  for (size_t v = 0; v < 10; v++) sum += p[v];
  CHECK_NEAR(sum, 1.0, 1e-5, "a row's probabilities sum to 1");
  CHECK(m && gapi_model_proba(m, NULL, mel, 1, p, err, sizeof err) == -1, "spectrograms refused by a feature model");
  gapi_model_free(m);
  char *models[] = {model}, file[300], *inputs[] = {file}, *csv = NULL;
  snprintf(file, sizeof file, "%s/genres_original/dub/dub.00000.wav", dir);
  CHECK(gapi_predict_files(models, 1, inputs, 1, 1, 1, NULL, &csv) == 0 && csv && strncmp(csv, "file,segment", 12) == 0,
        "predict --segments into memory: %.40s", csv ? csv : "(none)");
  gapi_free(csv);
  for (size_t i = 0; i < n; i++) free(names[i]), free(tracks[i]), free(own[i]);
  free(x), free(mel), free(labels), free(names), free(tracks), free(features), free(p), free(own);
}

/* Tracks in any order: numbered by first appearance, segments counted per track. */
static void test_tracks_in_memory(void) {
  static float x[4 * 128 * 130];
  char *labels[] = {"x", "y", "x", "y"}, *tracks[] = {"b", "a", "b", "a"}, err[200];
  mel_dataset_t d;
  int ok = mel_dataset_from_memory(x, 4, labels, tracks, &d, err, sizeof err) == 0;
  CHECK(ok && d.n_groups == 2 && strcmp(d.groups[0], "b") == 0 && d.group[1] == 1 && d.group[2] == 0,
        "interleaved tracks numbered by first appearance");
  CHECK(ok && strcmp(d.names[2], "b.1.wav") == 0 && strcmp(d.names[3], "a.1.wav") == 0 && d.y[1] == 1,
        "segments counted per track, classes sorted");
  if (ok) mel_dataset_free(&d);
  x[5] = 1.0f / 0.0f;
  CHECK(mel_dataset_from_memory(x, 4, labels, tracks, &d, err, sizeof err) == -1 && strstr(err, "non-finite"),
        "an infinite value refused: %s", err);
}

static void test_redirect(void) {
  int fd[2];
  char text[4096] = "", *argv[] = {"genre", "--version"};
  CHECK(pipe(fd) == 0 && gapi_redirect(fd[1], fd[1]) == 0, "redirect to a pipe");
  close(fd[1]);
  int rc = gapi_command(2, argv);
  gapi_restore();
  ssize_t got = read(fd[0], text, sizeof text - 1);
  close(fd[0]);
  CHECK(rc == 0 && got > 0 && strncmp(text, "genre ", 6) == 0, "genre --version went to the pipe: %.20s", text);
}

int main(void) {
  char cmd[400];
  if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
  snprintf(cmd, sizeof cmd, "%s synth -o %s -n 1 -s 7 > /dev/null", genre_bin(), dir);
  CHECK(system(cmd) == 0, "synth a corpus");
  RUN(test_extract_memory);
  RUN(test_train_and_predict);
  RUN(test_tracks_in_memory);
  RUN(test_redirect);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) perror("rm");
  return check_summary();
}
