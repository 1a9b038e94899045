/* Models that travel: genre export's graphs for every preset and an ensemble
 * (onnx.checker, and OpenCV's dnn against genre predict within 1e-5), our
 * exports read back (the same bytes of probabilities), a CNN trained in
 * PyTorch 1.13 and exported by torch.onnx.export classified by genre predict
 * on files and on a PCM stream with PyTorch's numbers, and the bad inputs:
 * truncated and foreign files, an operator outside the set, a card that
 * disagrees with its graph, an export that cannot be done. The Python readers
 * (python3-onnx, python3-opencv, python3-torch: make test-deps) are skipped
 * with a message when missing. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "npy.h"
#include "onnx_graph.h"

static const char *dir;
static char corpus[700], feat[700];
static int have_onnx, have_cv2, have_torch;

/* dir/name (one of four rotating buffers) */
static const char *at_dir(const char *name) {
  static char buf[4][800];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static int python_has(const char *modules) {
  return run("/usr/bin/python3 -c 'import %s' > /dev/null 2>&1", modules) == 0;
}

static void setup(void) {
  dir = scratch_dir();
  snprintf(corpus, sizeof corpus, "%s/syn/genres_original", dir);
  snprintf(feat, sizeof feat, "%s/feat", dir);
  const char *g = genre_bin();
  int n = memcheck() ? 2 : 4;
  CHECK(run("%s synth -o %s/syn -n %d -s 6 > /dev/null", g, dir, n) == 0, "synthetic corpus");
  CHECK(run("%s extract -o %s --no-progress %s > /dev/null 2>&1", g, feat, corpus) == 0, "extract");
  static const struct {
    const char *name, *cmd;
  } models[] = {
      {"ann", "train ann --features %s/features_3_sec.csv --epochs 20"},
      {"ann_seed", "train ann --arch seed --features %s/features_3_sec.csv --epochs 5"},
      {"seed004", "train ann --arch seed004 --features %s/features_3_sec.csv --epochs 3"},
      {"cnn", "train cnn --mel %s --epochs 2"},
      {"seed000", "train cnn --arch seed000 --mel %s --epochs 1"},
      {"seed002", "train cnn --arch seed002 --mel %s --epochs 1"},
      {"ann30", "train ann --features %s/features_30_sec.csv --epochs 5 --val-fraction 0"},
  };
  for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, models[i].cmd, feat);
    CHECK(run("%s %s -o %s/%s.model --quiet > /dev/null 2>&1", g, cmd, dir, models[i].name) == 0, "%s trained", models[i].name);
  }
  have_onnx = python_has("onnx"), have_cv2 = python_has("onnx, cv2, numpy"), have_torch = python_has("torch, onnx");
  if (!have_cv2) printf("SKIP the OpenCV checks: /usr/bin/python3 lacks onnx, cv2 or numpy (make test-deps installs them)\n");
  if (!have_torch) printf("SKIP the PyTorch checks: /usr/bin/python3 lacks torch (make test-deps installs python3-torch)\n");
}

/* genre predict --segments (one row per file for a whole-recording model:
 * a 30-s in extra) with MODELS ("-m A -m B") into out. */
static int predict(const char *models, const char *extra, const char *out) {
  return run("%s predict %s --format csv %s %s %s > %s 2> %s.err", genre_bin(), strstr(models, "30") ? "" : "--segments",
             extra, models, corpus, out, out);
}

/* Export, onnx.checker + OpenCV against predict, and the round trip. */
static void check_export(const char *name, const char *models) {
  char onnx[800], card[800], native[800], back[800], m_onnx[820];
  snprintf(onnx, sizeof onnx, "%s/%s.onnx", dir, name);
  snprintf(card, sizeof card, "%s/%s.json", dir, name);
  snprintf(native, sizeof native, "%s/%s.native.csv", dir, name);
  snprintf(back, sizeof back, "%s/%s.back.csv", dir, name);
  snprintf(m_onnx, sizeof m_onnx, "-m %s", onnx);
  CHECK(run("%s export %s -o %s > /dev/null", genre_bin(), models, onnx) == 0, "%s: exported", name);
  CHECK(contains(card, "\"classes\"") && contains(card, "\"inputs\"") && contains(card, "\"training\""),
        "%s: its card names the classes, the inputs and how it was trained", name);
  if (!strstr(models, "30"))
    CHECK(contains(card, "80-dB floor lies under that segment's own loudest value") || !contains(card, "logmel"),
          "%s: the card says each segment is floored under its own maximum, as extract computes it", name);
  CHECK(predict(models, "", native) == 0 && predict(m_onnx, "", back) == 0, "%s: predict with the models and the graph", name);
  CHECK(run("cmp -s %s %s", native, back) == 0, "%s: the graph read back gives the models' bytes of probabilities", name);
  CHECK(run("%s info %s | grep -q '^classes (' && %s info %s | grep -q '^trained (.*json): {'", genre_bin(), onnx, genre_bin(),
            onnx) == 0,
        "%s: genre info reads the graph and its card: classes, training record", name);
  if (!have_cv2) return;
  char out[800];
  snprintf(out, sizeof out, "%s/%s.cv2", dir, name);
  int rc = run("/usr/bin/python3 tests/onnx_check.py %s %s %s > %s 2>&1", onnx, feat, native, out);
  char *text = slurp(out, NULL);
  double worst = 1, bar = 0;
  const char *w = text ? strstr(text, "worst |difference| ") : NULL, *b = text ? strstr(text, "bar ") : NULL;
  if (w) worst = atof(w + strlen("worst |difference| "));
  if (b) bar = atof(b + 4);
  CHECK(rc == 0 && w && b && worst <= bar,
        "%s: onnx.checker passes, OpenCV gives predict's probabilities within 1e-5 (divided by a temperature under 1): %s",
        name, text ? text : "(no output)");
  free(text);
}

static void test_presets(void) {
  static const char *const names[] = {"ann", "ann_seed", "seed004", "cnn", "seed000", "seed002", "ann30"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char m[800];
    snprintf(m, sizeof m, "-m %s/%s.model", dir, names[i]);
    check_export(names[i], m);
  }
  char m[1600];
  snprintf(m, sizeof m, "-m %s/ann.model -m %s/cnn.model", dir, dir);
  check_export("ensemble", m);
  snprintf(m, sizeof m, "-m %s/ann.model -m %s/seed004.model -m %s/cnn.model -m %s/seed000.model", dir, dir, dir, dir);
  check_export("ensemble4", m);
}

/* The rows of a probabilities CSV: key (basename of column `file`, then
 * segment) and the values from column `first`. */
typedef struct prows {
  char key[200][200];
  double p[200][10];
  int n;
} prows_t;

static void read_probs(const char *path, int file_col, int seg_col, int first, int line_segments, prows_t *r) {
  r->n = 0;
  FILE *f = fopen(path, "r");
  char line[4096];
  for (int row = 0; f && fgets(line, sizeof line, f); row++) {
    if (row == 0 || r->n == 200) continue;
    char *cell[32];
    int nc = 0;
    for (char *t = strtok(line, ",\n"); t && nc < 32; t = strtok(NULL, ",\n")) cell[nc++] = t;
    if (nc < first + 10) continue;
    const char *file = file_col >= 0 ? strrchr(cell[file_col], '/') : NULL;
    file = file ? file + 1 : file_col >= 0 ? cell[file_col] : "";
    snprintf(r->key[r->n], sizeof r->key[0], "%s:%d", file, line_segments ? row - 1 : atoi(cell[seg_col]));
    for (int k = 0; k < 10; k++) r->p[r->n][k] = atof(cell[first + k]);
    r->n++;
  }
  if (f) fclose(f);
}

/* Worst |a - b| over the rows of a found in b (*matched of them). */
static double worst_gap(const prows_t *a, const prows_t *b, const char *prefix, int *matched) {
  double worst = 0;
  *matched = 0;
  for (int i = 0; i < a->n; i++)
    for (int j = 0; j < b->n; j++) {
      char key[220];
      snprintf(key, sizeof key, "%s%s", prefix, a->key[i]);
      if (strcmp(key, b->key[j]) != 0) continue;
      (*matched)++;
      for (int k = 0; k < 10; k++) worst = fmax(worst, fabs(a->p[i][k] - b->p[j][k]));
    }
  return worst;
}

/* The decoded samples of a 22050 Hz mono file as float32 PCM. */
static int write_f32(const char *wav, const char *raw) {
  SF_INFO info = {0};
  SNDFILE *sf = sf_open(wav, SFM_READ, &info);
  if (!sf) return 0;
  float *x = malloc((size_t)info.frames * sizeof *x);
  sf_count_t got = x ? sf_readf_float(sf, x, info.frames) : 0;
  sf_close(sf);
  FILE *f = fopen(raw, "wb");
  if (f) fwrite(x, sizeof *x, (size_t)got, f), fclose(f);
  free(x);
  return got == info.frames && info.channels == 1 && info.samplerate == 22050;
}

static void test_pytorch(void) {
  if (!have_torch) return;
  CHECK(run("/usr/bin/python3 tests/onnx_torch.py %s %s > %s/torch.log 2>&1", feat, dir, dir) == 0,
        "PyTorch trains a CNN on our spectrograms and exports it (tests/onnx_torch.py)");
  char *labels = slurp(at_dir("labels.txt"), NULL), extra[1200], pred[800], probs[800];
  snprintf(extra, sizeof extra, "--labels %s", labels ? labels : "none");
  snprintf(pred, sizeof pred, "%s/torch_pred.csv", dir);
  snprintf(probs, sizeof probs, "%s/torch_probs.csv", dir);
  char m_torch[820];
  snprintf(m_torch, sizeof m_torch, "-m %s", at_dir("torch.onnx"));
  CHECK(predict(m_torch, extra, pred) == 0, "genre predict reads torch.onnx (no card: --labels)");
  static prows_t want, got;
  read_probs(probs, 0, 1, 2, 0, &want);
  read_probs(pred, 0, 1, 6, 0, &got);
  int matched;
  double worst = worst_gap(&got, &want, "", &matched);
  CHECK(matched == got.n && got.n > 0 && worst <= 1e-5, "files: PyTorch's probabilities within 1e-5 (%d segments, worst %.3g)",
        matched, worst);
  char wav[800], raw[800], str[800];
  snprintf(wav, sizeof wav, "%s/waltz/waltz.00001.wav", corpus);
  snprintf(raw, sizeof raw, "%s/waltz.f32", dir);
  snprintf(str, sizeof str, "%s/torch_stream.csv", dir);
  CHECK(write_f32(wav, raw), "the PCM of a 22050 Hz file");
  CHECK(run("%s predict --stream --sample-format f32 --hop 3 --format csv %s -m %s/torch.onnx - < %s > %s 2>/dev/null",
            genre_bin(), extra, dir, raw, str) == 0, "--stream with torch.onnx");
  read_probs(str, -1, -1, 3, 1, &got);
  worst = worst_gap(&got, &want, "waltz.00001.wav", &matched);
  CHECK(matched == 2 && worst <= 1e-5, "stream: PyTorch's probabilities within 1e-5 (%d windows, worst %.3g)", matched, worst);
  free(labels);
}

/* Ordinary PyTorch models as torch.onnx.export writes them (tests/onnx_torch_variants.py):
 * each imports and gives PyTorch's probabilities, or (GELU) is refused saying what to use. */
static void test_pytorch_variants(void) {
  if (!have_torch) return;
  CHECK(run("/usr/bin/python3 tests/onnx_torch_variants.py %s %s > %s/variants.log 2>&1", feat, dir, dir) == 0,
        "PyTorch exports nine variants (tests/onnx_torch_variants.py)");
  static const char *const variants[] = {"add", "affine", "leaky", "sigmoid", "tanh", "avgpool", "stride2", "view"};
  char *labels = slurp(at_dir("labels.txt"), NULL), extra[1200], model[900], probs[1000], pred[900];
  snprintf(extra, sizeof extra, "--labels %s", labels ? labels : "none");
  static prows_t want, got;
  for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
    snprintf(model, sizeof model, "-m %s/torch_%s.onnx", dir, variants[i]);
    snprintf(probs, sizeof probs, "%s/torch_%s_probs.csv", dir, variants[i]);
    snprintf(pred, sizeof pred, "%s/torch_%s_pred.csv", dir, variants[i]);
    int rc = predict(model, extra, pred);
    read_probs(probs, 0, 1, 2, 0, &want);
    read_probs(pred, 0, 1, 6, 0, &got);
    int matched;
    double worst = worst_gap(&got, &want, "", &matched);
    char errpath[920], *why;
    snprintf(errpath, sizeof errpath, "%s.err", pred);
    why = rc ? slurp(errpath, NULL) : NULL;
    CHECK(rc == 0 && matched == got.n && got.n > 0 && worst <= 1e-5,
          "torch.onnx.export of the %s variant: read, PyTorch's probabilities within 1e-5 (%d segments, worst %.3g)%s%s",
          variants[i], matched, worst, why ? ": " : "", why ? why : "");
    free(why);
  }
  snprintf(model, sizeof model, "-m %s/torch_gelu.onnx", dir);
  snprintf(pred, sizeof pred, "%s/torch_gelu_pred.csv", dir);
  snprintf(probs, sizeof probs, "%s.err", pred);
  CHECK(predict(model, extra, pred) == 1 && contains(probs, "GELU") && contains(probs, "ReLU, LeakyReLU, Sigmoid and Tanh are"),
        "a GELU network: refused, naming the operator and what to write instead");
  free(labels);
}

/* A graph of one Gemm and an Elu (not one of ours), written with the builder. */
static void write_tanh_graph(const char *path) {
  onnx_builder_t b;
  onnx_builder_init(&b, "tanh", "test");
  float w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, bias[2] = {0, 0};
  int64_t in_dims[2] = {-1, 4}, wd[2] = {2, 4}, bd[1] = {2}, out_dims[2] = {-1, 2};
  onnx_value(&b, 0, "features", in_dims, 2, NULL);
  const char *gemm_in[3] = {"features", onnx_tensor(&b, "w", w, NULL, wd, 2), onnx_tensor(&b, "b", bias, NULL, bd, 1)};
  onnx_attr_t t[1] = {ONNX_INT("transB", 1)};
  const char *x = onnx_node(&b, "Gemm", gemm_in, 3, NULL, t, 1);
  onnx_node(&b, "Elu", &x, 1, "probabilities", NULL, 0);
  onnx_value(&b, 1, "probabilities", out_dims, 2, NULL);
  char err[300];
  CHECK(onnx_write(&b, path, err, sizeof err) == 0, "an Elu graph written (%s)", err);
  onnx_builder_free(&b);
}

/* genre predict -m the graph: its exit status; stderr in dir/bad.err */
static int predict_bad(const char *onnx, const char *extra) {
  return run("%s predict --segments --format csv %s -m %s %s > %s 2> %s", genre_bin(), extra, onnx, corpus,
             at_dir("bad.out"), at_dir("bad.err"));
}

static void test_bad_inputs(void) {
  char err[800];
  snprintf(err, sizeof err, "%s", at_dir("bad.err"));
  size_t len;
  char *whole = slurp(at_dir("cnn.onnx"), &len);
  write_bytes(at_dir("cut.onnx"), whole, len / 2);
  CHECK(predict_bad(at_dir("cut.onnx"), "--labels a,b") == 1 && contains(err, "cut.onnx: not an ONNX model"),
        "a truncated .onnx: refused, naming the file");
  free(whole);
  run("cp %s/waltz/waltz.00000.wav %s/foreign.onnx", corpus, dir);
  CHECK(predict_bad(at_dir("foreign.onnx"), "--labels a,b") == 1 && contains(err, "foreign.onnx: not an ONNX model"),
        "a WAV named .onnx: refused");
  write_tanh_graph(at_dir("tanh.onnx"));
  CHECK(predict_bad(at_dir("tanh.onnx"), "--labels a,b") == 1 && contains(err, "(Elu): not supported") &&
            contains(err, "node 'Elu_"), "an operator outside the set: refused with the node's name and op");
  run("cp %s/cnn.onnx %s/nocard.onnx", dir, dir);
  CHECK(predict_bad(at_dir("nocard.onnx"), "") == 1 && contains(err, "no --labels"), "no card and no --labels: refused");
  CHECK(predict_bad(at_dir("nocard.onnx"), "--labels a,b,c") == 1 && contains(err, "the graph gives"),
        "--labels of another count than the graph's classes: refused");
  run("cp %s/cnn.onnx %s/liar.onnx && sed -E 's/^( *)128,$/\\196,/' %s/cnn.json > %s/liar.json", dir, dir, dir, dir);
  CHECK(predict_bad(at_dir("liar.onnx"), "") == 1 && contains(err, "the card gives 'logmel' as [N,1,96,130], the graph takes [N,1,128,130]"),
        "a card that disagrees with the graph's shape: refused, saying both");
  run("rm -f %s/mixed.onnx %s/mixed.json", dir, dir);
  CHECK(run("%s export -m %s/ann30.model -m %s/cnn.model -o %s/mixed.onnx > /dev/null 2> %s", genre_bin(), dir, dir, dir, err) == 1 &&
            contains(err, "different units") && run("test -e %s/mixed.onnx || test -e %s/mixed.json", dir, dir) != 0,
        "an ensemble of a 30-s and a 3-s model: refused, nothing written");
  CHECK(run("%s export -m %s/cnn.model -o %s/name.graph > /dev/null 2> %s", genre_bin(), dir, dir, err) == 1 &&
            contains(err, "NAME.onnx"), "-o without .onnx: refused");
}

/* An embedding .npy: its rows (malloc'd) and shape; NULL when unreadable. */
static float *read_npy(const char *path, size_t *rows, size_t *cols) {
  FILE *f = fopen(path, "rb");
  size_t shape[NPY_MAX_DIMS];
  int ndim;
  char err[300];
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  float *v = NULL;
  if (npy_read_header(f, size, shape, &ndim, err, sizeof err) == 0 && ndim == 2 && (v = malloc(shape[0] * shape[1] * 4 + 4))) {
    if (fread(v, 4, shape[0] * shape[1], f) != shape[0] * shape[1]) free(v), v = NULL;
    *rows = shape[0], *cols = shape[1];
  }
  fclose(f);
  return v;
}

/* Worst |track row - the mean of its segments' rows|, segments in order (tracks.csv's counts). */
static double worst_mean(const char *edir, size_t *n_seg, size_t *n_trk, size_t *dim) {
  char path[900];
  size_t sr, sc, tr, tc;
  snprintf(path, sizeof path, "%s/segments.npy", edir);
  float *s = read_npy(path, &sr, &sc);
  snprintf(path, sizeof path, "%s/tracks.npy", edir);
  float *t = read_npy(path, &tr, &tc);
  snprintf(path, sizeof path, "%s/tracks.csv", edir);
  FILE *f = fopen(path, "r");
  char line[2000];
  double worst = s && t && f && sc == tc ? 0 : INFINITY;
  size_t at = 0, k = 0;
  while (f && fgets(line, sizeof line, f) && s && t && sc == tc) {
    char *c1 = strrchr(line, ','), *c0 = NULL;
    if (!c1) continue;
    *c1 = 0, c0 = strrchr(line, ',');
    size_t n = c0 ? strtoul(c0 + 1, NULL, 10) : 0;
    if (!n) continue; /* the header */
    for (size_t j = 0; j < sc; j++) {
      double sum = 0;
      for (size_t r = at; r < at + n && r < sr; r++) sum += s[r * sc + j];
      worst = fmax(worst, fabs(sum / n - t[k * tc + j]));
    }
    at += n, k++;
  }
  *n_seg = s ? sr : 0, *n_trk = k, *dim = s ? sc : 0;
  if (at != *n_seg || k != (t ? tr : (size_t)-1)) worst = INFINITY;
  if (f) fclose(f);
  free(s), free(t);
  return worst;
}

static void test_embed(void) {
  const char *g = genre_bin();
  CHECK(run("%s embed -m %s/cnn.model -o %s/emb %s > %s/emb.log 2>&1", g, dir, dir, corpus, dir) == 0, "embed with the CNN");
  CHECK(contains(at_dir("emb.log"), "layer avgpool_20, 128 values"),
        "the default layer is named for what made it: the default CNN's pooled channels, avgpool_20");
  size_t ns, nt, d;
  double worst = worst_mean(at_dir("emb"), &ns, &nt, &d);
  CHECK(ns > 0 && nt > 0 && d == 128 && worst <= 1e-6,
        "tracks.npy holds each recording's mean of its segments' rows (%zu segments, %zu tracks, %zu values, worst %.3g)",
        ns, nt, d, worst);
  CHECK(run("%s embed -m %s/cnn.onnx -o %s/emb_onnx %s > /dev/null 2>&1 && cmp -s %s/emb/segments.npy %s/emb_onnx/segments.npy",
            g, dir, dir, corpus, dir, dir) == 0, "the exported graph embeds to the same bytes");
  if (have_cv2) {
    char out[800];
    snprintf(out, sizeof out, "%s/emb.check", dir);
    run("%s predict --segments --format csv --no-calibrate -m %s/cnn.model %s > %s/cnn.raw.csv 2>/dev/null", g, dir, corpus, dir);
    run("/usr/bin/python3 tests/embed_check.py %s/cnn.onnx %s/emb %s/cnn.raw.csv > %s 2>&1", dir, dir, dir, out);
    char *text = slurp(out, NULL);
    const char *w = text ? strstr(text, "worst |difference| ") : NULL;
    CHECK(w && atof(w + 19) <= 1e-5, "the last dense layer on the embedding gives predict --no-calibrate's probabilities: %s",
          text ? text : "(no output)");
    free(text);
  }
  CHECK(run("%s embed -m %s/ann.model --layer 1 -o %s/emb1 %s > %s/emb1.log 2>&1", g, dir, dir, corpus, dir) == 0 &&
            contains(at_dir("emb1.log"), "layer dense_1, 512 values"),
        "--layer 1 of the two-member ANN: its dense layer's 256 units, side by side");
  CHECK(run("%s embed -m %s/ann.model --layer relu_2 -o %s/emb5 %s > %s/emb5.log 2>&1", g, dir, dir, corpus, dir) == 0 &&
            contains(at_dir("emb5.log"), "layer relu_2, 512 values") &&
            run("%s embed -m %s/ann.model --layer dense_2 -o %s/emb6 %s > /dev/null 2> %s/emb6.err", g, dir, dir, corpus, dir) == 1 &&
            contains(at_dir("emb6.err"), "layer 2 is relu_2, not dense_2"),
        "--layer NAME: as embed prints it, checked against the model's table");
  run("mkdir -p %s/mixed/x && cp %s/waltz/waltz.00000.wav %s/mixed/x/ && head -c 100 %s/waltz/waltz.00001.wav > %s/mixed/x/cut.wav",
      dir, corpus, dir, corpus, dir);
  CHECK(run("%s embed -m %s/cnn.model -o %s/emb2 %s/mixed > /dev/null 2> %s/emb2.err", g, dir, dir, dir, dir) == 2 &&
            contains(at_dir("emb2.err"), "cut.wav") && worst_mean(at_dir("emb2"), &ns, &nt, &d) <= 1e-6 && nt == 1,
        "a broken input: named on stderr, exit 2, the other embedded");
  CHECK(run("%s embed -m %s/ensemble.onnx -o %s/emb3 %s > /dev/null 2> %s/emb3.err", g, dir, dir, corpus, dir) == 1 &&
            contains(at_dir("emb3.err"), "holds 2 models") && run("test -e %s/emb3/segments.npy", dir) != 0,
        "an ensemble graph: refused, nothing written");
  CHECK(run("%s embed -m %s/ann30.model -o %s/emb4 %s > /dev/null 2> %s/emb4.err", g, dir, dir, corpus, dir) == 1 &&
            contains(at_dir("emb4.err"), "whole recordings"), "a whole-recording model: refused");
}

int main(void) {
  RUN(setup);
  RUN(test_presets);
  RUN(test_pytorch);
  RUN(test_pytorch_variants);
  RUN(test_bad_inputs);
  RUN(test_embed);
  return check_summary();
}
