/* genre predict --stream's reader: raw PCM on standard input. The first byte
 * chooses the sample format (bit 0: s16 or f32) and channels (bits 1-2: 1 to
 * 4), the second the rate (22050, 44100, 8000 or 16000 Hz); the rest is the
 * stream, classified by a small CNN in 3-s windows every second. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier.h"
#include "fuzz.h"
#include "model.h"
#include "predict.h"
#include "schema.h"

/* A CNN of 2 filters with fixed weights: dir/pcm.model. */
static int write_model(const char *path) {
  layer_spec_t spec[4] = {CONV(2, 3, 1), RELU, AVGPOOL, DENSE(0)};
  static char *labels[2] = {"a", "b"};
  model_t m = {.kind = MODEL_CNN, .unit = MODEL_UNIT_SEGMENT, .n_layers = 4, .in_c = 1, .in_h = MEL_BANDS,
               .in_w = SEGMENT_FRAMES, .n_classes = 2, .n_members = 1, .temperature = 1, .track_temperature = 1};
  memcpy(m.spec, spec, sizeof spec);
  char err[300];
  m.net = net_new(spec, 4, 1, MEL_BANDS, SEGMENT_FRAMES, 2, 1, err, sizeof err);
  if (!m.net) return -1;
  net_init(m.net, 1);
  m.labels = strings_copy(labels, 2), m.feature_names = calloc(1, sizeof(char *));
  m.n_scale = MEL_BANDS, m.shift = calloc(MEL_BANDS, sizeof(float)), m.scale = malloc(MEL_BANDS * sizeof(float));
  for (int i = 0; m.scale && i < MEL_BANDS; i++) m.scale[i] = 20;
  int rc = m.labels && m.feature_names && m.shift && m.scale ? model_save(&m, path, err, sizeof err) : -1;
  model_free(&m);
  return rc;
}

FUZZ_TARGET(pcm) {
  static classifier_t c;
  static int ready;
  static FILE *null;
  if (!ready) {
    char path[600], err[600];
    snprintf(path, sizeof path, "%s/pcm.model", fuzz_dir());
    char *paths[1] = {path};
    if (write_model(path) || classifier_load(&c, paths, 1, NULL, 1, err, sizeof err) || !(null = fopen("/dev/null", "w")))
      return 0;
    ready = 1;
  }
  if (size < 2) return 0;
  static const long rates[4] = {22050, 44100, 8000, 16000};
  predict_args_t a = {.top = 1, .rate = rates[data[1] & 3], .channels = 1 + ((data[0] >> 1) & 3),
                      .sample_format = data[0] & 1 ? SAMPLE_F32 : SAMPLE_S16, .window = 3, .hop = 1, .smooth = 2,
                      .format = FORMAT_CSV, .stream = 1};
  char path[64];
  int fd = fuzz_file(data + 2, size - 2, path, sizeof path), saved = dup(STDIN_FILENO);
  if (fd < 0 || saved < 0 || lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) < 0) {
    if (fd >= 0) close(fd);
    if (saved >= 0) close(saved);
    return 0;
  }
  predict_out_t o = {.f = null, .format = FORMAT_CSV, .top = 1, .K = c.K, .labels = c.labels};
  FILE *err = stderr;
  stderr = null; /* a stream's complaints (a trailing partial frame, NaN samples) */
  int rc = predict_stream(&a, &c, &o);
  stderr = err;
  FUZZ_REQUIRE(rc == 0 || rc == 1 || rc == 2);
  dup2(saved, STDIN_FILENO);
  close(saved), close(fd);
  return 0;
}
