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

#include "classic.h"
#include "dataset.h"
#include "fold_part.h"
#include "fold_why.h"
#include "fuzz.h"
#include "onnx_graph.h"
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
  m.n_scale = kind == MODEL_ANN ? in : (size_t)h; /* a CNN's: one per band */
  m.n_features = kind == MODEL_ANN ? in : 0;
  m.feature_names = features;
  float shift[16] = {0.3f, 0.1f, 120.0f}, scale[16] = {10.0f, 5.0f, 0.05f};
  for (int i = 3; i < 16; i++) shift[i] = -40, scale[i] = 20;
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

/* a kNN of 4 rows of the 3 features (model file version 6) */
static void knn_seed(void) {
  static char *labels[] = {"blues", "jazz", "rock"}, *features[] = {"chroma_stft_mean", "rms_mean", "tempo"};
  float shift[3] = {0.3f, 0.1f, 120.0f}, scale[3] = {10.0f, 5.0f, 0.05f};
  real x[12] = {0, 1, 2, 1, 0, -1, 2, 2, 0, -1, -1, 1};
  int y[4] = {0, 1, 2, 1};
  size_t rows[4] = {0, 1, 2, 3};
  char err[300];
  model_t m = {.kind = MODEL_KNN, .in_c = 3, .in_h = 1, .in_w = 1, .n_classes = 3, .n_members = 1, .unit = MODEL_UNIT_SEGMENT,
               .labels = labels, .feature_names = features, .n_features = 3, .n_scale = 3, .shift = shift, .scale = scale};
  snprintf(m.arch, sizeof m.arch, "default");
  m.classic = knn_store(x, y, rows, 4, 3, 3, KNN_UNIFORM, err, sizeof err);
  if (!m.classic || model_save(&m, at("model", "knn"), err, sizeof err)) {
    fprintf(stderr, "knn: %s\n", err);
    exit(1);
  }
  classic_free(m.classic);
}

static void model_seeds(void) {
  layer_spec_t ann[] = {DENSE(4), BATCHNORM, RELU, DROPOUT(0.5f), DENSE_CLASSES};
  model_seed("ann", MODEL_ANN, ann, 5, 1, 1, 3, 1);
  layer_spec_t cnn[] = {CONV(2, 3, 1), BATCHNORM, RELU, MAXPOOL(2), CONV_VALID(3, 2), RELU, AVGPOOL, FLATTEN,
                        DENSE_CLASSES};
  model_seed("cnn", MODEL_CNN, cnn, 9, 1, 8, 10, 2);
  layer_spec_t strided[] = {CONV(2, 3, 2), RELU, FLATTEN, DENSE(3), DENSE_CLASSES};
  model_seed("strided", MODEL_CNN, strided, 5, 2, 5, 4, 1);
  knn_seed();
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

/* --- the readers added with the ONNX importer and the fold jobs --------------------- */

static void onnx_put(onnx_builder_t *b, const char *name) {
  char err[300];
  if (onnx_write(b, at("onnx", name), err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  onnx_builder_free(b);
}

/* [N,1,128,130] through a per-band scaler, Conv 3x3, Relu, MaxPool 2, global pooling, Gemm: a branch's output */
static const char *onnx_branch(onnx_builder_t *b, int k, const char *out) {
  float sh[128], sc[128], w[18], bias[2] = {0.1f, -0.1f}, dw[6], db[3] = {0, 0, 0};
  for (int i = 0; i < 128; i++) sh[i] = -40, sc[i] = 20;
  for (int i = 0; i < 18; i++) w[i] = (float)((i * 5 + k) % 7 - 3) / 4;
  for (int i = 0; i < 6; i++) dw[i] = (float)((i + k) % 3 - 1);
  int64_t bd[3] = {1, 128, 1}, wd[4] = {2, 1, 3, 3}, cb[1] = {2}, gd[2] = {3, 2}, gb[1] = {3}, pads[4] = {1, 1, 1, 1}, two[2] = {2, 2};
  const char *x = "logmel";
  const char *sub[2] = {x, onnx_tensor(b, "shift", sh, NULL, bd, 3)};
  x = onnx_node(b, "Sub", sub, 2, NULL, NULL, 0);
  const char *div[2] = {x, onnx_tensor(b, "scale", sc, NULL, bd, 3)};
  x = onnx_node(b, "Div", div, 2, NULL, NULL, 0);
  onnx_attr_t ca[1] = {ONNX_INTS("pads", pads, 4)};
  const char *conv[3] = {x, onnx_tensor(b, "w", w, NULL, wd, 4), onnx_tensor(b, "b", bias, NULL, cb, 1)};
  x = onnx_node(b, "Conv", conv, 3, NULL, ca, 1);
  x = onnx_node(b, "Relu", &x, 1, NULL, NULL, 0);
  onnx_attr_t pa[2] = {ONNX_INTS("kernel_shape", two, 2), ONNX_INTS("strides", two, 2)};
  x = onnx_node(b, "MaxPool", &x, 1, NULL, pa, 2);
  x = onnx_node(b, "GlobalAveragePool", &x, 1, NULL, NULL, 0);
  x = onnx_node(b, "Flatten", &x, 1, NULL, NULL, 0);
  onnx_attr_t t[1] = {ONNX_INT("transB", 1)};
  const char *g[3] = {x, onnx_tensor(b, "dw", dw, NULL, gd, 2), onnx_tensor(b, "db", db, NULL, gb, 1)};
  x = onnx_node(b, "Gemm", g, 3, NULL, t, 1);
  return onnx_node(b, "Softmax", &x, 1, out, NULL, 0);
}

static void onnx_seeds(void) {
  int64_t in[4] = {-1, 1, 128, 130}, out[2] = {-1, 3};
  for (int members = 1; members <= 2; members++) {
    onnx_builder_t b;
    onnx_builder_init(&b, "seed", "fuzz");
    onnx_value(&b, 0, "logmel", in, 4, NULL);
    const char *p[2] = {onnx_branch(&b, 0, members > 1 ? NULL : "probabilities"),
                        members > 1 ? onnx_branch(&b, 1, NULL) : NULL};
    if (members > 1) onnx_node(&b, "Mean", p, 2, "probabilities", NULL, 0);
    onnx_value(&b, 1, "probabilities", out, 2, NULL);
    onnx_put(&b, members > 1 ? "cnn-mean.onnx" : "cnn.onnx");
  }
  onnx_builder_t b;
  onnx_builder_init(&b, "seed", "fuzz");
  float w[9] = {1, 0, -1, 0.5f, 2, 0, 0, -1, 1}, bias[3] = {0, 0, 0}, sh[3] = {0.3f, 0.1f, 120}, sc[3] = {10, 5, 0.05f};
  int64_t fin[2] = {-1, 3}, wd[2] = {3, 3}, bd[1] = {3}, reshape[2] = {0, -1};
  onnx_value(&b, 0, "features", fin, 2, NULL);
  const char *sub[2] = {"features", onnx_tensor(&b, "shift", sh, NULL, bd, 1)};
  const char *x = onnx_node(&b, "Sub", sub, 2, NULL, NULL, 0);
  const char *mul[2] = {x, onnx_tensor(&b, "scale", sc, NULL, bd, 1)};
  x = onnx_node(&b, "Mul", mul, 2, NULL, NULL, 0);
  const char *rs[2] = {x, onnx_tensor_i64(&b, "shape", reshape, 2)};
  x = onnx_node(&b, "Reshape", rs, 2, NULL, NULL, 0);
  const char *mm[2] = {x, onnx_tensor(&b, "w", w, NULL, wd, 2)};
  x = onnx_node(&b, "MatMul", mm, 2, NULL, NULL, 0);
  const char *add[2] = {x, onnx_tensor(&b, "b", bias, NULL, bd, 1)};
  x = onnx_node(&b, "Add", add, 2, NULL, NULL, 0);
  float T[1] = {1.5f};
  int64_t one[1] = {1};
  const char *dv[2] = {x, onnx_tensor(&b, "T", T, NULL, one, 1)};
  x = onnx_node(&b, "Div", dv, 2, NULL, NULL, 0);
  onnx_node(&b, "Softmax", &x, 1, "probabilities", NULL, 0);
  onnx_value(&b, 1, "probabilities", fin, 2, NULL);
  onnx_put(&b, "ann.onnx");
}

static void card_seeds(void) {
  static const char card[] =
      "{\"classes\": [\"a\", \"b\"], \"unit\": \"3-s segment\", \"inputs\": [{\"name\": \"features\", "
      "\"shape\": [\"N\", 3], \"columns\": [\"x\", \"y\", \"z\"]}], \"models\": [{\"temperature\": 1, "
      "\"track_temperature\": 1.5}]}\n";
  put("card", "card.json", card, sizeof card - 1);
  static const char bare[] = "{\"classes\": [\"a\", \"b\"], \"unit\": \"whole recording\"}";
  put("card", "whole.json", bare, sizeof bare - 1);
}

static void part_seeds(void) {
  static char *names[2] = {"f0", "f1"};
  static const char *const keys[2] = {"ann", "cnn"};
  cv_result_t res[2];
  cv_result_t *ptr[2] = {&res[0], &res[1]};
  epoch_log_t logs[2][2][4] = {0};
  cv_fold_t folds[2][2] = {0};
  real probs[2][18];
  int fold_of_row[6] = {0, 1, 0, 1, 0, 1};
  memset(res, 0, sizeof res);
  for (int m = 0; m < 2; m++) {
    res[m].folds = res[m].folds_allocated = 2, res[m].K = 3, res[m].fold = folds[m];
    res[m].probs = probs[m], res[m].fold_of_row = fold_of_row;
    for (int f = 0; f < 2; f++) folds[m][f].log = logs[m][f], folds[m][f].epochs = 2 - m, folds[m][f].temperature = 1.5;
    for (int i = 0; i < 6; i++) probs[m][3 * i] = 0.5f, probs[m][3 * i + 1] = 0.25f, probs[m][3 * i + 2] = 0.25f;
  }
  dataset_t ann = {.n_features = 2, .feature_names = names};
  fold_why_t why;
  char err[300];
  if (fold_why_init(&why, 3, 2, 6, &ann)) exit(1);
  for (int i = 0; i < 6 * WHY_TOP; i++) why.top[i] = i % 2, why.top_attr[i] = 0.25f;
  why.done[0] = 1, why.base[1] = 2, why.perm[3] = 1;
  if (fold_part_write(at("part", "fold-1.part"), 0, ptr, keys, 2, 6, 3, &why, NULL, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  fold_why_free(&why);
}

static void small_seeds(void) {
  static const char split[] = "blues/blues.00000.wav\nrock/rock.00000.wav\n\0blues/blues.00001.wav\nrock/rock.00001.wav\n";
  put("split", "lists", split, sizeof split - 1);
  static const char index[] = "file,label,segments,source\na.npy,blues,1,a.wav\nb.npy,rock,2,b.wav\n";
  put("index", "index.csv", index, sizeof index - 1);
  static unsigned char pcm[2 + 2 * 22050];
  for (int i = 0; i < 22050; i++) {
    short v = (short)(8000 * sin(2 * M_PI * 440 * i / 22050.0));
    pcm[2 + 2 * i] = (unsigned char)(v & 0xff), pcm[3 + 2 * i] = (unsigned char)((v >> 8) & 0xff);
  }
  put("pcm", "s16-mono-22050", pcm, sizeof pcm);
  pcm[0] = 3, pcm[1] = 1; /* f32, 2 channels, 44100 Hz: the same bytes read otherwise */
  put("pcm", "f32-stereo-44100", pcm, 4002);
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
  onnx_seeds();
  card_seeds();
  part_seeds();
  small_seeds();
  return 0;
}
