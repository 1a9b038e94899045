/* Writes the fuzzers' starting corpora (tests/fuzz/corpus/<target>/seed-*):
 * small valid and nearly valid inputs of every kind each loader reads.
 *   build/tests/fuzz_seeds tests/fuzz/corpus      (make fuzz-seeds)
 * Deterministic: the same bytes every run. */
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "model.h"
#include "npy.h"
#include "outfile.h"

static char root[1024];

static const char *at(const char *target, const char *name) {
  static char path[2048];
  snprintf(path, sizeof path, "%s/%s", root, target);
  char err[2200];
  if (make_dirs(path, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  snprintf(path, sizeof path, "%s/%s/seed-%s", root, target, name);
  return path;
}

static void put(const char *target, const char *name, const void *data, size_t n) {
  if (fuzz_write(at(target, name), data, n)) {
    fprintf(stderr, "%s: %s\n", at(target, name), strerror(errno));
    exit(1);
  }
}

static void audio(const char *name, int format, int rate, int channels, double seconds) {
  size_t frames = (size_t)(seconds * rate);
  float *x = malloc(frames * channels * sizeof *x);
  for (size_t i = 0; i < frames; i++)
    for (int c = 0; c < channels; c++)
      x[i * channels + c] = (float)(0.5 * sin(2 * M_PI * 440.0 * (c + 1) * i / rate) * exp(-3.0 * i / frames));
  SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
  SNDFILE *f = sf_open(at("audio", name), SFM_WRITE, &info);
  if (!f) {
    fprintf(stderr, "%s: %s\n", name, sf_strerror(NULL));
    exit(1);
  }
  sf_writef_float(f, x, (sf_count_t)frames);
  sf_close(f);
  free(x);
}

static void audio_seeds(void) {
  audio("pcm16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 0.3);
  audio("pcm8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 1, 0.5);
  audio("pcm24-stereo-48k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 48000, 2, 0.05);
  audio("float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 1, 0.1);
  audio("double-3ch.wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, 11025, 3, 0.05);
  audio("ulaw.au", SF_FORMAT_AU | SF_FORMAT_ULAW, 8000, 1, 0.5);
  audio("pcm16.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 44100, 1, 0.1);
  audio("pcm16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 22050, 2, 0.3);
  audio("vorbis.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 22050, 1, 0.5);
  audio("opus.ogg", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, 1, 0.5);
  audio("layer3.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 22050, 1, 1.0);
  audio("pcm16.w64", SF_FORMAT_W64 | SF_FORMAT_PCM_16, 22050, 1, 0.1);
  audio("alac.caf", SF_FORMAT_CAF | SF_FORMAT_ALAC_16, 22050, 1, 0.2);
  audio("pcm16.rf64", SF_FORMAT_RF64 | SF_FORMAT_PCM_16, 96000, 1, 0.05);
  audio("tiny.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 0.0005);
}

static void table_seeds(void) {
  static const char kaggle[] =
      "filename,length,chroma_stft_mean,rms_mean,tempo,label\n"
      "blues.00000.0.wav,66150,0.335,0.13,123.0,blues\n"
      "blues.00000.1.wav,66150,0.343,0.11,123.0,blues\n"
      "jazz.00001.wav,661794,0.3,0.05,107.66,jazz\n"
      "rock.00002.0.wav,66150,0.4,0.2,95.7,rock\n";
  put("table", "kaggle.csv", kaggle, sizeof kaggle - 1);
  static const char bom_crlf[] =
      "\xEF\xBB\xBF" "filename,length,a,label\r\nx.0.wav,1,2.5e-3,blues\r\nx.1.wav,1,-1,jazz\r\n";
  put("table", "bom-crlf.csv", bom_crlf, sizeof bom_crlf - 1);
  static const char quoted[] =
      "\"filename\",\"length\",\"a,b\",\"label\"\n\"we \"\"quote\"\".0.wav\",1,\"3\",\"rock\"\n"
      "\"multi\nline.wav\",2,4,\"blues\"\n";
  put("table", "quoted.csv", quoted, sizeof quoted - 1);
  static const char ragged[] = "filename,a,label\nx.wav,1,blues\ny.wav,2\nz.wav,,jazz\n";
  put("table", "ragged.csv", ragged, sizeof ragged - 1);
  static const char odd[] = "filename,a,label\nx.wav,nan,blues\ny.wav,inf,jazz\nz.wav,0x1p3,rock\n";
  put("table", "nonfinite.csv", odd, sizeof odd - 1);
  static const char part[] = "#part,1,x.wav,blues,1,1,132300,2\nx.wav,132300,1,blues\nx.0.wav,66150,1,blues\n"
                             "x.1.wav,66150,1,blues\n";
  put("table", "part.csv", part, sizeof part - 1);
}

static void npy_seeds(void) {
  size_t shape[3] = {1, 128, 130};
  FILE *f = fopen(at("npy", "mel.npy"), "wb");
  npy_write_header(f, shape, 3);
  for (int i = 0; i < 128 * 130; i++) {
    float v = (float)(-80.0 * ((i * 7919) % 1000) / 1000.0);
    fwrite(&v, sizeof v, 1, f);
  }
  fclose(f);
  size_t empty[3] = {0, 128, 130};
  f = fopen(at("npy", "empty.npy"), "wb");
  npy_write_header(f, empty, 3);
  fclose(f);
  static const char v2[] = "\x93NUMPY\x02\x00\x36\x00\x00\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"
                           "\x00\x00\x80\x3f\x00\x00\x00\x40";
  put("npy", "v2.npy", v2, sizeof v2 - 1);
}

static void model_seed(const char *name, int kind, const layer_spec_t *spec, int n_layers, int c, int h, int w,
                       int members) {
  static char *labels[] = {"blues", "jazz", "rock"};
  static char *features[] = {"chroma_stft_mean", "rms_mean", "tempo"};
  model_t m = {.kind = kind, .n_layers = n_layers, .in_c = c, .in_h = h, .in_w = w, .n_classes = 3};
  snprintf(m.arch, sizeof m.arch, "%s", name);
  memcpy(m.spec, spec, (size_t)n_layers * sizeof *spec);
  m.labels = labels;
  size_t in = (size_t)c * h * w;
  m.n_scale = kind == MODEL_ANN ? in : 1;
  m.n_features = kind == MODEL_ANN ? in : 0;
  m.feature_names = features;
  float shift[3] = {0.3f, 0.1f, 120.0f}, scale[3] = {10.0f, 5.0f, 0.05f};
  m.shift = shift, m.scale = scale;
  char err[300];
  m.net = net_new(spec, n_layers, c, h, w, 3, 1, err, sizeof err);
  if (!m.net) {
    fprintf(stderr, "%s: %s\n", name, err);
    exit(1);
  }
  net_init(m.net, 7);
  m.n_members = members;
  size_t per = m.net->n_params + m.net->n_state;
  if (members > 1) {
    m.members = malloc((size_t)members * per * sizeof(real));
    for (int k = 0; k < members; k++) {
      net_init(m.net, 7 + (unsigned long)k);
      memcpy(m.members + k * per, m.net->params, m.net->n_params * sizeof(real));
      for (size_t i = 0; i < m.net->n_state; i++) m.members[k * per + m.net->n_params + i] = (real)(i % 2);
    }
  }
  if (model_save(&m, at("model", name), err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  net_free(m.net);
  free(m.members);
}

static void model_seeds(void) {
  layer_spec_t ann[] = {DENSE(4), BATCHNORM, RELU, DROPOUT(0.5f), DENSE_CLASSES};
  model_seed("ann", MODEL_ANN, ann, 5, 1, 1, 3, 1);
  layer_spec_t cnn[] = {CONV(2, 3, 1), BATCHNORM, RELU, MAXPOOL(2), CONV_VALID(3, 2), RELU, AVGPOOL, FLATTEN,
                        DENSE_CLASSES};
  model_seed("cnn", MODEL_CNN, cnn, 9, 1, 8, 10, 2);
  layer_spec_t strided[] = {CONV(2, 3, 2), RELU, FLATTEN, DENSE(3), DENSE_CLASSES};
  model_seed("strided", MODEL_CNN, strided, 5, 2, 5, 4, 1);
}

static void cli(const char *name, const char *const *args, int n) {
  char buf[2048];
  size_t len = 0;
  for (int i = 0; i < n; i++) {
    size_t l = strlen(args[i]);
    memcpy(buf + len, args[i], l);
    len += l;
    if (i + 1 < n) buf[len++] = '\0';
  }
  put("cli", name, buf, len);
}

#define CLI(name, ...)                                       \
  do {                                                       \
    const char *a_[] = {__VA_ARGS__};                        \
    cli(name, a_, (int)(sizeof a_ / sizeof *a_));            \
  } while (0)

static void cli_seeds(void) {
  CLI("extract", "extract", "-o", "out", "-j", "2", "--resume", "--no-progress", "a.wav", "dir");
  CLI("synth", "synth", "-o", "d", "-n", "3", "-s", "2.5", "--seed", "9", "-j", "1");
  CLI("train-ann", "train", "ann", "--features", "f.csv", "-o", "m", "--hidden", "512,256,128", "--dropout", "0.2",
      "--batchnorm", "--epochs", "5", "--batch", "64", "--lr", "1e-3", "--members", "2", "--mixup", "0.2",
      "--label-smoothing", "0.1", "--schedule", "cosine", "--arch=seed", "--val-fraction", "0.1", "--patience", "3");
  CLI("train-cnn", "train", "cnn", "--mel", "o", "-o", "m", "--arch", "seed002", "--augment", "pitch,timemask",
      "--init", "x", "--freeze", "conv", "--threads", "2", "--quiet");
  CLI("cv", "cv", "ann", "--features", "f.csv", "--folds", "5", "--json", "r.json", "--seed", "3");
  CLI("cv-cnn", "cv", "cnn", "--mel", "o", "--folds", "3", "--epochs", "2", "--weight-decay", "1e-4");
  CLI("evaluate", "evaluate", "--model", "m", "--features", "f.csv");
  CLI("experiment", "experiment", "--data", "o", "-o", "r", "--folds", "5", "--models", "ann,cnn,ensemble",
      "--protocol", "random-split", "--ann-epochs", "3", "--cnn-arch", "seed000", "--augment", "all",
      "--members", "2", "--threads", "1");
  CLI("help", "--help");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 1;
  }
  snprintf(root, sizeof root, "%s", argv[1]);
  audio_seeds();
  table_seeds();
  npy_seeds();
  model_seeds();
  cli_seeds();
  return 0;
}
