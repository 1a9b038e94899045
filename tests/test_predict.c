/* genre predict: the same numbers as the pipeline (evaluate's functions on
 * the rows extract writes), ensembles, a track-level (30-s table) ANN on
 * audio, the stream equal to --segments at hop 3, and every bad input. */
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ann.h"
#include "check.h"
#include "cnn.h"

static char dir[600], corpus[700], feat[700];
static int FILES, SEGMENTS; /* 20 files of 10 s (3 segments each); 10 under the sanitizers (memcheck()) */

#define MAX_ROWS 400
#define K_MAX 16

/* A CSV of predict's (no quoted commas in these paths): its rows as numbers
 * from column `first` on, and the text of column `key`. */
typedef struct rows {
  int n, cols;
  char key[MAX_ROWS][300], label[MAX_ROWS][64];
  double v[MAX_ROWS][K_MAX + 2];
} rows_t;

static int read_rows(const char *path, int first, int key_col, int label_col, rows_t *r) {
  memset(r, 0, sizeof *r);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[8192];
  if (!fgets(line, sizeof line, f)) return fclose(f), -1;
  while (r->n < MAX_ROWS && fgets(line, sizeof line, f)) {
    int col = 0, c = 0;
    for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), col++) {
      if (col == key_col) snprintf(r->key[r->n], sizeof r->key[0], "%s", tok);
      if (col == label_col) snprintf(r->label[r->n], sizeof r->label[0], "%s", tok);
      if (col >= first && c < K_MAX + 2) r->v[r->n][c++] = atof(tok);
    }
    r->cols = c;
    r->n++;
  }
  fclose(f);
  return 0;
}

static void setup(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  snprintf(corpus, sizeof corpus, "%s/corpus/genres_original", dir);
  snprintf(feat, sizeof feat, "%s/feat", dir);
  const char *g = genre_bin();
  FILES = memcheck() ? 10 : 20, SEGMENTS = 3 * FILES;
  CHECK(run("%s synth -o %s/corpus -n %d -s 10 >/dev/null", g, dir, FILES / 10) == 0, "synth");
  CHECK(run("%s extract -o %s --no-progress %s >/dev/null", g, feat, corpus) == 0, "extract");
  CHECK(run("%s train ann --features %s/features_3_sec.csv -o %s/ann.model --epochs 30 --quiet >/dev/null 2>&1", g,
            feat, dir) == 0, "train ann (segments)");
  CHECK(run("%s train cnn --mel %s -o %s/cnn.model --epochs 2 --quiet >/dev/null 2>&1", g, feat, dir) == 0,
        "train cnn");
  CHECK(run("%s train ann --features %s/features_30_sec.csv -o %s/track.model --epochs 30 --quiet >/dev/null 2>&1", g,
            feat, dir) == 0, "train ann (whole tracks)");
}

/* The probabilities evaluate computes for every row of a table (ANN) or of
 * the spectrograms (CNN), by row name. */
static int library_probs(const char *model_path, const char *table, char ***names, real **probs, size_t *n, int *K) {
  char err[1500];
  model_t m;
  if (model_load(model_path, 256, &m, err, sizeof err)) return printf("# %s\n", err), -1;
  *K = m.n_classes;
  int rc = -1;
  if (m.kind == MODEL_ANN) {
    dataset_t d;
    if (dataset_load(table, m.labels, m.n_classes, m.feature_names, m.n_features, &d, err, sizeof err) == 0) {
      size_t *idx = malloc(d.n_rows * sizeof *idx);
      *probs = malloc(d.n_rows * (size_t)m.n_classes * sizeof(real));
      for (size_t i = 0; i < d.n_rows; i++) idx[i] = i;
      rc = ann_predict(&m, &d, idx, d.n_rows, *probs);
      *names = d.names, d.names = NULL, *n = d.n_rows;
      free(idx);
      dataset_free(&d);
    }
  } else {
    mel_dataset_t d;
    if (mel_dataset_load(table, m.labels, m.n_classes, &d, err, sizeof err) == 0) {
      size_t *idx = malloc(d.n_rows * sizeof *idx);
      *probs = malloc(d.n_rows * (size_t)m.n_classes * sizeof(real));
      for (size_t i = 0; i < d.n_rows; i++) idx[i] = i;
      rc = cnn_predict(&m, &d, idx, d.n_rows, CNN_READ_AHEAD, *probs, err, sizeof err);
      *names = d.names, d.names = NULL, *n = d.n_rows;
      free(idx);
      mel_dataset_free(&d);
    }
  }
  if (rc) printf("# %s\n", err);
  model_free(&m);
  return rc;
}

static long find(char **names, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return (long)i;
  return -1;
}

static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* predict --segments with m1 (and m2: their ensemble) against the library's
 * probabilities of each model on the extracted rows (their mean). */
static void check_segments_agree(const char *m1, const char *m2, const char *what) {
  char out[800], name[800], stem[300], table[800];
  snprintf(out, sizeof out, "%s/seg.csv", dir);
  snprintf(table, sizeof table, "%s/features_3_sec.csv", feat);
  int rc = m2 ? run("%s predict -m %s/%s -m %s/%s --segments --format csv %s > %s", genre_bin(), dir, m1, dir, m2,
                    corpus, out)
              : run("%s predict -m %s/%s --segments --format csv %s > %s", genre_bin(), dir, m1, corpus, out);
  CHECK(rc == 0, "%s: predict --segments runs", what);
  rows_t r;
  CHECK(read_rows(out, 1, 0, 4, &r) == 0 && r.n == SEGMENTS, "%s: %d segment rows (%d)", what, SEGMENTS, r.n);
  char **names[2] = {0};
  real *probs[2] = {0};
  size_t n[2] = {0};
  int K = 0, ok = 1;
  const char *paths[2] = {m1, m2};
  for (int k = 0; k < (m2 ? 2 : 1); k++) {
    char model[700];
    snprintf(model, sizeof model, "%s/%s", dir, paths[k]);
    ok &= library_probs(model, strstr(paths[k], "cnn") ? feat : table, &names[k], &probs[k], &n[k], &K) == 0;
  }
  CHECK(ok, "%s: the library's probabilities", what);
  double worst = 0;
  int matched = 0;
  for (int i = 0; ok && i < r.n; i++) {
    snprintf(stem, sizeof stem, "%s", base(r.key[i]));
    *strrchr(stem, '.') = '\0';
    snprintf(name, sizeof name, "%s.%d.wav", stem, (int)r.v[i][0]); /* columns from segment: segment, start, end, label, probability, p */
    double p_lib[K_MAX] = {0};
    int found = 1;
    for (int k = 0; k < (m2 ? 2 : 1) && found; k++) {
      long row = find(names[k], n[k], name);
      found = row >= 0;
      for (int c = 0; found && c < K; c++) p_lib[c] += probs[k][(size_t)row * K + c];
    }
    if (!found) continue;
    matched++;
    for (int c = 0; c < K; c++) {
      double lib = m2 ? (double)((real)p_lib[c] / 2) : p_lib[c], d = fabs(r.v[i][5 + c] - lib);
      if (d > worst) worst = d;
    }
  }
  CHECK(matched == r.n, "%s: every segment found among the extracted rows (%d of %d)", what, matched, r.n);
  CHECK(worst <= 1e-6, "%s: predict --segments equals the pipeline's probabilities (worst %.3g, bar 1e-6)", what, worst);
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; names[k] && i < n[k]; i++) free(names[k][i]);
    free(names[k]), free(probs[k]);
  }
}

static void test_agrees_with_pipeline(void) {
  check_segments_agree("ann.model", NULL, "ANN");
  check_segments_agree("cnn.model", NULL, "CNN");
  check_segments_agree("ann.model", "cnn.model", "ANN + CNN ensemble");
}

/* A track's row: the mean of its segments' probabilities; labels are the arg-max. */
static void test_track_rows(void) {
  char seg[700], trk[700];
  snprintf(seg, sizeof seg, "%s/seg2.csv", dir);
  snprintf(trk, sizeof trk, "%s/trk.csv", dir);
  CHECK(run("%s predict -m %s/ann.model -m %s/cnn.model --segments %s > %s", genre_bin(), dir, dir, corpus, seg) == 0 &&
        run("%s predict -m %s/ann.model -m %s/cnn.model %s > %s", genre_bin(), dir, dir, corpus, trk) == 0,
        "predict with and without --segments");
  rows_t s, t;
  read_rows(seg, 1, 0, 4, &s);
  read_rows(trk, 2, 0, 1, &t);
  CHECK(t.n == FILES, "one row per file (%d)", t.n);
  double worst = 0, sum_worst = 0;
  int label_ok = 1;
  for (int i = 0; i < t.n; i++) {
    double mean[K_MAX] = {0}, total = 0;
    int segs = 0;
    for (int j = 0; j < s.n; j++)
      if (strcmp(s.key[j], t.key[i]) == 0) {
        segs++;
        for (int c = 0; c < 10; c++) mean[c] += s.v[j][5 + c];
      }
    int best = 0;
    for (int c = 0; c < 10; c++) {
      mean[c] /= segs ? segs : 1;
      total += t.v[i][1 + c];
      if (fabs(mean[c] - t.v[i][1 + c]) > worst) worst = fabs(mean[c] - t.v[i][1 + c]);
      if (t.v[i][1 + c] > t.v[i][1 + best]) best = c;
    }
    label_ok &= t.v[i][0] == t.v[i][1 + best];
    if (fabs(total - 1) > sum_worst) sum_worst = fabs(total - 1);
  }
  CHECK(worst <= 1e-6, "a track's probabilities are the mean of its segments' (worst %.3g)", worst);
  CHECK(sum_worst <= 1e-5, "a track's probabilities sum to 1 (worst %.3g)", sum_worst);
  CHECK(label_ok, "probability is that of the arg-max label");
}

/* predict's per-file rows (file, label, probability, p...) in pred_csv against
 * evaluate's probabilities of the same model on a 30-s table's rows, matched
 * by file name: the worst difference (inf when the library fails). */
static double file_rows_vs_library(const char *pred_csv, const char *model, const char *table, int *matched,
                                   size_t *lib_rows) {
  char **names = NULL;
  real *probs = NULL;
  size_t n = 0;
  int K = 0;
  double worst = 0;
  rows_t r = {0};
  *matched = 0;
  int lib = library_probs(model, table, &names, &probs, &n, &K);
  *lib_rows = lib ? 0 : n;
  if (lib || read_rows(pred_csv, 2, 0, 1, &r)) worst = INFINITY, r.n = 0;
  for (int i = 0; i < r.n; i++) {
    long row = find(names, n, base(r.key[i]));
    if (row < 0) continue;
    (*matched)++;
    for (int c = 0; c < K; c++) worst = fmax(worst, fabs(r.v[i][1 + c] - probs[(size_t)row * K + c]));
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names), free(probs);
  return worst;
}

/* An ANN trained on whole-track rows (a 30-s table) sees a file's whole-recording row. */
static void test_track_model(void) {
  char out[700], table[800];
  snprintf(out, sizeof out, "%s/track.csv", dir);
  snprintf(table, sizeof table, "%s/features_30_sec.csv", feat);
  CHECK(run("%s predict -m %s/track.model %s > %s", genre_bin(), dir, corpus, out) == 0, "track model predicts");
  char model[700];
  snprintf(model, sizeof model, "%s/track.model", dir);
  int matched;
  size_t lib_rows;
  double worst = file_rows_vs_library(out, model, table, &matched, &lib_rows);
  CHECK(lib_rows == (size_t)FILES, "the 30-s table's probabilities");
  CHECK(matched == FILES && worst <= 1e-6, "whole-track model equals evaluate on features_30_sec.csv (%d rows, worst %.3g)",
        matched, worst);
  CHECK(run("%s predict -m %s/track.model --segments %s 2>%s/err.txt >/dev/null", genre_bin(), dir, corpus, dir) == 1 &&
        contains(strcat(strcpy(out, dir), "/err.txt"), "trained on whole tracks"),
        "--segments with a whole-track model: refused, saying why");
}

/* Kaggle's published table has 57 columns, in its own order: a model trained
 * on such a table takes its columns from our features by name. */
static void test_kaggle_columns(void) {
  char kaggle[700];
  snprintf(kaggle, sizeof kaggle, "%s/kaggle.csv", dir);
  /* filename, length, the 57 Kaggle columns (tempo moved last), label: columns 1-59 and 98 of ours */
  CHECK(run("awk -F, '{s=$1; for (i = 2; i <= 59; i++) if (i != 19) s = s \",\" $i; print s \",\" $19 \",\" $98}' "
            "%s/features_30_sec.csv > %s", feat, kaggle) == 0, "a Kaggle-shaped table");
  CHECK(run("%s train ann --features %s -o %s/kaggle.model --epochs 20 --quiet >/dev/null 2>&1", genre_bin(), kaggle,
            dir) == 0, "trained on it");
  char model[700], out[700];
  snprintf(model, sizeof model, "%s/kaggle.model", dir);
  snprintf(out, sizeof out, "%s/kaggle_pred.csv", dir);
  CHECK(run("%s predict -m %s %s > %s", genre_bin(), model, corpus, out) == 0, "a 57-column model predicts audio");
  int matched;
  size_t lib_rows;
  double worst = file_rows_vs_library(out, model, kaggle, &matched, &lib_rows);
  CHECK(lib_rows > 0, "evaluate's probabilities on the table");
  CHECK(matched == FILES && worst <= 1e-6, "57-column model on audio equals evaluate on its table (%d, worst %.3g)",
        matched, worst);
  const char *shared = shared_dir("Kaggle's own table");
  if (!shared) return;
  CHECK(run("%s train ann --features %s/data/kaggle_features_30_sec.csv -o %s/kaggle_real.model --epochs 20 --quiet "
            ">/dev/null 2>&1 && %s predict -m %s/kaggle_real.model --format jsonl %s > %s/kj.txt",
            genre_bin(), shared, dir, genre_bin(), dir, corpus, dir) == 0,
        "a model trained on Kaggle's published table classifies our audio");
  snprintf(out, sizeof out, "%s/kj.txt", dir);
  CHECK(contains(out, "\"p_rock\": "), "jsonl rows carry p_<label> keys");
}

/* Raw PCM of a file's samples: s16 mono (as decoded), or f32 interleaved in
 * `channels` copies. Returns the file's sample rate, 0 on failure. */
static int write_pcm(const char *wav, const char *raw, int f32, int channels) {
  SF_INFO info = {0};
  SNDFILE *sf = sf_open(wav, SFM_READ, &info);
  if (!sf) return 0;
  FILE *f = fopen(raw, "wb");
  float x[4096];
  sf_count_t got;
  while ((got = sf_readf_float(sf, x, 4096 / info.channels)) > 0)
    for (sf_count_t i = 0; i < got * info.channels; i++)
      for (int c = 0; c < channels; c++) {
        if (f32) {
          fwrite(&x[i], 4, 1, f);
        } else {
          int16_t v = (int16_t)lrintf(x[i] * 32768.0f);
          fwrite(&v, 2, 1, f);
        }
      }
  fclose(f);
  sf_close(sf);
  return info.samplerate;
}

/* Lines of the stream (time, label, probability, p...) against predict
 * --segments rows of the same file (segment, start, end, label, probability, p...). */
static double stream_vs_segments(const char *stream_csv, const char *seg_csv, int *lines) {
  rows_t st, sg;
  read_rows(stream_csv, 0, -1, 1, &st);
  read_rows(seg_csv, 1, 0, 4, &sg);
  *lines = st.n == sg.n ? st.n : -1;
  double worst = st.n == sg.n && st.n > 0 ? 0 : INFINITY;
  for (int i = 0; i < st.n && i < sg.n; i++) {
    if (st.v[i][0] != sg.v[i][2]) worst = INFINITY; /* time = end of the segment */
    for (int c = 0; c < 10; c++) worst = fmax(worst, fabs(st.v[i][3 + c] - sg.v[i][5 + c]));
  }
  return worst;
}

static void test_stream_equals_segments(void) {
  char wav[800], raw[800], seg[800], str[800], models[1600];
  snprintf(wav, sizeof wav, "%s/chiptune/chiptune.00000.wav", corpus);
  snprintf(raw, sizeof raw, "%s/in.s16", dir);
  snprintf(seg, sizeof seg, "%s/one_seg.csv", dir);
  snprintf(str, sizeof str, "%s/one_stream.csv", dir);
  snprintf(models, sizeof models, "-m %s/ann.model -m %s/cnn.model", dir, dir);
  CHECK(write_pcm(wav, raw, 0, 1) == 22050, "PCM of a 22050 Hz file");
  CHECK(run("%s predict %s --segments %s > %s", genre_bin(), models, wav, seg) == 0, "--segments on the file");
  CHECK(run("%s predict %s --stream --hop 3 --format csv - < %s > %s 2>/dev/null", genre_bin(), models, raw, str) == 0,
        "--stream on its PCM");
  int lines;
  double worst = stream_vs_segments(str, seg, &lines);
  CHECK(lines == 3 && worst <= 1e-4, "stream lines equal --segments at hop 3 (%d lines, worst %.3g, bar 1e-4)", lines,
        worst);

  /* the same audio at 44.1 kHz, stereo float: resampled by soxr's streaming API as the file is in one go */
  char wav44[800];
  snprintf(wav44, sizeof wav44, "%s/stereo44.wav", dir);
  SF_INFO in = {0}, out = {.samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
  SNDFILE *a = sf_open(wav, SFM_READ, &in), *b = sf_open(wav44, SFM_WRITE, &out);
  float x[2048], y[4096 * 2];
  sf_count_t got;
  while (a && b && (got = sf_readf_float(a, x, 2048)) > 0) {
    for (sf_count_t i = 0; i < got; i++) /* sample-and-hold to 44.1 kHz: any signal at that rate will do */
      for (int r = 0; r < 2; r++) y[4 * i + 2 * r] = x[i], y[4 * i + 2 * r + 1] = x[i] * 0.5f;
    sf_writef_float(b, y, got * 2);
  }
  sf_close(a), sf_close(b);
  snprintf(raw, sizeof raw, "%s/in44.f32", dir);
  CHECK(write_pcm(wav44, raw, 1, 1) == 44100, "PCM of the 44.1 kHz stereo file");
  CHECK(run("%s predict %s --segments %s > %s", genre_bin(), models, wav44, seg) == 0 &&
        run("%s predict %s --stream --rate 44100 --channels 2 --sample-format f32 --format csv - < %s > %s 2>/dev/null",
            genre_bin(), models, raw, str) == 0,
        "44.1 kHz stereo: --segments and --stream");
  worst = stream_vs_segments(str, seg, &lines);
  CHECK(lines == 3 && worst <= 1e-4, "resampled stream equals --segments (%d lines, worst %.3g, bar 1e-4)", lines, worst);
}

/* genre predict --stream with bytes from a shell printf; its status, and
 * stdout / stderr in dir/bad.out, dir/bad.err. */
static int stream_bytes(const char *options, const char *bytes_cmd) {
  return run("(%s) | %s predict -m %s/ann.model -m %s/cnn.model --stream --format csv %s - > %s/bad.out 2> %s/bad.err",
             bytes_cmd, genre_bin(), dir, dir, options, dir, dir);
}

static int err_has(const char *needle) {
  char path[700];
  snprintf(path, sizeof path, "%s/bad.err", dir);
  return contains(path, needle);
}

static int out_has(const char *needle) {
  char path[700];
  snprintf(path, sizeof path, "%s/bad.out", dir);
  return contains(path, needle);
}

static void test_stream_bad_input(void) {
  /* 3 s of silence and one odd byte */
  CHECK(stream_bytes("", "head -c 132300 /dev/zero; printf x") == 2 && err_has("1 trailing byte ignored"),
        "an odd trailing byte: exit 2, named");
  CHECK(out_has(",silence,,") && !out_has(",blues,"), "digital silence is reported as silence, not as a genre");
  CHECK(err_has("1 windows (1 silent)"), "the summary counts the silent window");
  /* f32 NaN after 1 s */
  CHECK(stream_bytes("--sample-format f32", "head -c 88200 /dev/zero; printf '\\000\\000\\300\\177'") == 1 &&
        err_has("NaN or Inf sample at 1.000 s"), "a NaN sample: exit 1, with its time");
  CHECK(stream_bytes("--sample-format f32", "head -c 88200 /dev/zero; printf '\\000\\000\\200\\177'") == 1 &&
        err_has("NaN or Inf"), "an Inf sample: exit 1");
  CHECK(stream_bytes("--sample-format f32", "printf '\\000\\000\\200\\177\\000\\000\\200\\077'") == 1 &&
        err_has("NaN or Inf sample at 0.000 s"), "an Inf first sample: exit 1");
  CHECK(stream_bytes("--rate 500", "true") == 1 && err_has("--rate wants a number from 1000 to 768000"),
        "a rate out of range: refused");
  CHECK(stream_bytes("--channels 0", "true") == 1 && err_has("--channels wants"), "0 channels: refused");
  CHECK(stream_bytes("--channels 65", "true") == 1 && err_has("--channels wants"), "65 channels: refused");
  CHECK(stream_bytes("--sample-format s24", "true") == 1 && err_has("--sample-format is one of s16, f32"),
        "an unknown sample format: refused");
  CHECK(stream_bytes("--window 4", "true") == 1 && err_has("multiple of 3"), "a window that is not whole segments");
  CHECK(stream_bytes("", "true") == 0 && err_has("0 windows"), "empty input: no line, a summary");
  CHECK(stream_bytes("--channels 2", "head -c 3 /dev/zero") == 2 && err_has("3 trailing bytes"),
        "less than one stereo frame: exit 2");
  CHECK(stream_bytes("--rate 8000 --hop 1", "head -c 64000 /dev/urandom") == 0 && err_has("2 windows"),
        "8 kHz noise, resampled: windows ending at 3 and 4 s (hop 1)");
}

static void test_files_bad_input(void) {
  char bad[700], text[700], shortf[700], out[700], errf[700];
  snprintf(bad, sizeof bad, "%s/bad", dir);
  snprintf(text, sizeof text, "%s/bad/notes.wav", dir);
  snprintf(shortf, sizeof shortf, "%s/bad/short.wav", dir);
  snprintf(out, sizeof out, "%s/bad.csv", dir);
  snprintf(errf, sizeof errf, "%s/bad.err", dir);
  run("mkdir -p %s", bad);
  write_bytes(text, "not audio at all\n", 17);
  SF_INFO info = {.samplerate = 22050, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *sf = sf_open(shortf, SFM_WRITE, &info);
  float x[22050];
  for (int i = 0; i < 22050; i++) x[i] = 0.3f * sinf(i * 0.1f);
  sf_writef_float(sf, x, 22050);
  sf_close(sf);
  int rc = run("%s predict -m %s/ann.model %s %s/missing.wav %s/chiptune > %s 2> %s", genre_bin(), dir, bad, dir, corpus,
               out, errf);
  CHECK(rc == 2, "bad files among good ones: exit 2 (%d)", rc);
  CHECK(contains(errf, "notes.wav: not a WAV"), "a text file: named, with the reason");
  CHECK(contains(errf, "short.wav: 1.00 s of audio, shorter than the 3-s segment"), "a 1-s file: a clear per-file error");
  CHECK(contains(errf, "missing.wav: no such file"), "a missing file: named");
  rows_t r;
  read_rows(out, 2, 0, 1, &r);
  CHECK(r.n == FILES / 10, "the good files are classified (%d rows)", r.n);
  CHECK(run("%s predict -m %s/track.model %s > %s 2> %s", genre_bin(), dir, shortf, out, errf) == 0,
        "a 1-s file with a whole-track model: classified");
  CHECK(run("%s predict -m %s/nothing.model %s 2> %s", genre_bin(), dir, corpus, errf) == 1 &&
        contains(errf, "nothing.model"), "a missing model: exit 1, named");
  CHECK(run("%s predict -m %s %s 2> %s", genre_bin(), text, corpus, errf) == 1 && contains(errf, "not a genre model"),
        "a file that is not a model: exit 1");
  CHECK(run("%s predict %s 2> %s", genre_bin(), corpus, errf) == 1 && contains(errf, "-m MODEL is required"),
        "no model: a usage error");
  CHECK(run("%s predict -m %s/ann.model - < /dev/null 2> %s", genre_bin(), dir, errf) == 1 && contains(errf, "--stream"),
        "- without --stream: a usage error");
  CHECK(run("%s predict --help | grep -q -- --stream", genre_bin()) == 0, "--help documents --stream");
}

/* The same rows for any thread count; an ensemble; -o writes the same table. */
static void test_threads_and_output(void) {
  char a[700], b[700], c[700];
  snprintf(a, sizeof a, "%s/t1.csv", dir);
  snprintf(b, sizeof b, "%s/t2.csv", dir);
  snprintf(c, sizeof c, "%s/t3.csv", dir);
  CHECK(run("%s predict -m %s/ann.model -m %s/cnn.model --threads 1 %s > %s", genre_bin(), dir, dir, corpus, a) == 0 &&
        run("%s predict -m %s/ann.model -m %s/cnn.model --threads 2 %s > %s", genre_bin(), dir, dir, corpus, b) == 0 &&
        run("%s predict -m %s/ann.model -m %s/cnn.model -o %s %s", genre_bin(), dir, dir, c, corpus) == 0,
        "1 and 2 threads, -o");
  CHECK(run("cmp -s %s %s && cmp -s %s %s", a, b, a, c) == 0, "the same bytes for 1 and 2 threads and with -o");
  CHECK(run("%s predict -m %s/ann.model --format text --top 2 %s | grep -c '(' | grep -qx %d", genre_bin(), dir,
            corpus, FILES) == 0, "text view: a row per file with the runner-up");
}

/* experiment --save-models: the compared models trained on all the data,
 * named in the report, usable by predict at once. */
static void test_experiment_saves_models(void) {
  char report[700], pred[700];
  snprintf(report, sizeof report, "%s/rep/report.md", dir);
  snprintf(pred, sizeof pred, "%s/saved.csv", dir);
  CHECK(run("%s experiment --data %s -o %s/rep --folds 2 --ann-epochs 20 --cnn-epochs 1 --save-models %s/saved "
            ">/dev/null 2>&1", genre_bin(), feat, dir, dir) == 0, "experiment --save-models runs");
  CHECK(contains(report, "saved/ann.model") && contains(report, "saved/cnn.model") && contains(report, "genre predict -m"),
        "the report names the saved files and how to use them");
  CHECK(run("%s predict -m %s/saved/ann.model -m %s/saved/cnn.model %s > %s", genre_bin(), dir, dir, corpus, pred) == 0,
        "predict uses the saved models");
  rows_t r;
  read_rows(pred, 2, 0, 1, &r);
  CHECK(r.n == FILES, "every file classified by the saved ensemble (%d)", r.n);
}

/* seed004 (1-D convolutions over the feature vector) trains, cross-validates
 * and predicts like the other presets; train ann says what it measured. */
static void test_seed004(void) {
  char table[800], log[800], out[800];
  snprintf(table, sizeof table, "%s/features_3_sec.csv", feat);
  snprintf(log, sizeof log, "%s/seed004.log", dir);
  snprintf(out, sizeof out, "%s/seed004.csv", dir);
  CHECK(run("%s train ann --arch seed004 --features %s -o %s/s4.model --epochs 5 > %s 2>&1", genre_bin(), table, dir,
            log) == 0 && (memcheck() || (contains(log, "kept epoch") && contains(log, "val_loss"))),
        "train ann --arch seed004 (early stopping on held-out tracks)");
  if (!memcheck()) /* one track a label under the sanitizers: no stratified folds */
    CHECK(run("%s cv ann --arch seed004 --features %s --folds 2 --epochs 3 > %s 2>&1", genre_bin(), table, log) == 0 &&
              contains(log, "accuracy"), "cv ann --arch seed004");
  CHECK(run("%s predict -m %s/s4.model --segments %s > %s", genre_bin(), dir, corpus, out) == 0, "predict with seed004");
  char **names = NULL, model[700];
  real *probs = NULL;
  size_t n = 0;
  int K = 0;
  snprintf(model, sizeof model, "%s/s4.model", dir);
  CHECK(library_probs(model, table, &names, &probs, &n, &K) == 0, "evaluate's probabilities with seed004");
  rows_t r;
  read_rows(out, 1, 0, 4, &r);
  double worst = 0;
  int matched = 0;
  for (int i = 0; i < r.n; i++) {
    char stem[300], name[400];
    snprintf(stem, sizeof stem, "%s", base(r.key[i]));
    *strrchr(stem, '.') = '\0';
    snprintf(name, sizeof name, "%s.%d.wav", stem, (int)r.v[i][0]);
    long row = find(names, n, name);
    if (row < 0) continue;
    matched++;
    for (int c = 0; c < K; c++) worst = fmax(worst, fabs(r.v[i][5 + c] - probs[(size_t)row * K + c]));
  }
  CHECK(matched == SEGMENTS && worst <= 1e-6, "seed004: predict equals evaluate's probabilities (%d segments, worst %.3g)",
        matched, worst);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names), free(probs);
  CHECK(run("%s train ann --features %s -o %s/nv.model --epochs 3 --val-fraction 0 > %s 2>&1", genre_bin(), table, dir,
            log) == 0 && contains(log, "no validation rows, kept the last epoch: training loss") && !contains(log, "val_loss"),
        "train ann without validation rows says it measured the training loss");
}

int main(void) {
  RUN(setup);
  if (check_failed) return check_summary();
  RUN(test_agrees_with_pipeline);
  RUN(test_track_rows);
  RUN(test_track_model);
  RUN(test_kaggle_columns);
  RUN(test_stream_equals_segments);
  RUN(test_stream_bad_input);
  RUN(test_files_bad_input);
  RUN(test_threads_and_output);
  RUN(test_experiment_saves_models);
  RUN(test_seed004);
  return check_summary();
}
