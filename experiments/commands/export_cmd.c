/* genre export: trained models as one ONNX graph (models/model_onnx.c) and its
 * card, NAME.json, in the manner of Essentia's model cards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "json.h"
#include "model_onnx.h"
#include "outfile.h"

static const char about[] =
    "usage: genre export -m MODEL [-m MODEL]... -o NAME.onnx\n"
    "\n"
    "Writes the models as one ONNX graph (opset 13) that any ONNX runtime reads\n"
    "(ONNX Runtime, OpenCV's dnn, onnx.js), and NAME.json beside it: the card\n"
    "(classes in output order, the inputs' names, shapes and meaning, the unit,\n"
    "the models and how they were trained). The graph takes what genre extract\n"
    "writes, unscaled: 'logmel' [N,1,128,130] (mel/*.npy segments) for a CNN,\n"
    "'features' [N,F] (the card's columns, in order) for an ANN; the models'\n"
    "standardisation is inside. Out comes 'probabilities' [N,K]: several -m are\n"
    "their ensemble, the mean of their probabilities, as genre predict computes it.\n"
    "\n";

#define MEL_RECIPE                                                                                                    \
  "log-mel power spectrogram of a 3-s segment (66150 samples): audio decoded to 22050 Hz mono, "                       \
  "STFT n_fft 2048, hop 512, periodic Hann window, centred frames (130); 128 Slaney mel bands from 0 to 11025 Hz "    \
  "(librosa.filters.mel defaults); librosa.power_to_db(ref=1, amin=1e-10, top_db=80), each segment "            \
  "computed on its own, so its 80-dB floor lies under that segment's own loudest value (max - 80 dB); as genre " \
  "extract writes mel/<stem>.npy [segments,128,130]"

static const char *unit_name(int unit) {
  return unit == MODEL_UNIT_TRACK ? "whole recording" : "3-s segment";
}

static void card_model(json_t *j, const model_t *m, const char *path) {
  json_object(j);
  json_key(j, "file"), json_string(j, path);
  json_key(j, "kind"), json_string(j, m->kind == MODEL_CNN ? "CNN" : "ANN");
  json_key(j, "arch"), json_string(j, m->arch);
  json_key(j, "members"), json_int(j, m->n_members);
  json_key(j, "parameters"), json_int(j, (long long)m->net->n_params * m->n_members);
  json_key(j, "input"), json_string(j, m->kind == MODEL_CNN ? "logmel" : "features");
  json_key(j, "temperature"), json_number(j, m->temperature > 0 ? m->temperature : 1); /* inside the graph */
  json_key(j, "track_temperature"), json_number(j, m->track_temperature > 0 ? m->track_temperature : 1); /* outside */
  if (m->about && m->about[0]) json_key(j, "training"), json_raw(j, m->about);
  json_close(j, 1);
}

static void card_inputs(json_t *j, const model_t *m, int n) {
  const model_t *ann = NULL, *cnn = NULL;
  for (int i = 0; i < n; i++) *(m[i].kind == MODEL_CNN ? &cnn : &ann) = &m[i];
  json_key(j, "inputs"), json_array(j);
  if (ann) {
    json_object(j);
    json_key(j, "name"), json_string(j, "features");
    json_key(j, "shape"), json_array(j), json_string(j, "N"), json_int(j, (long long)ann->n_features), json_close(j, 0);
    json_key(j, "meaning"), json_string(j, "feature rows as genre extract writes them (features_3_sec.csv or "
                                           "features_30_sec.csv, the Kaggle GTZAN schema), unscaled, these columns in order");
    json_key(j, "columns"), json_array(j);
    for (size_t f = 0; f < ann->n_features; f++) json_string(j, ann->feature_names[f]);
    json_close(j, 0);
    json_close(j, 1);
  }
  if (cnn) {
    json_object(j);
    json_key(j, "name"), json_string(j, "logmel");
    json_key(j, "shape"), json_array(j), json_string(j, "N");
    json_int(j, cnn->in_c), json_int(j, cnn->in_h), json_int(j, cnn->in_w), json_close(j, 0);
    json_key(j, "meaning"), json_string(j, MEL_RECIPE);
    json_close(j, 1);
  }
  json_close(j, 0);
}

/* The card as JSON text (malloc'd), or NULL when out of memory. */
static char *card_text(const model_t *m, int n, char *const *paths, const char *name) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return NULL;
  json_t j;
  json_begin(&j, f);
  json_key(&j, "name"), json_string(&j, name);
  json_key(&j, "format"), json_string(&j, "ONNX, opset 13");
  json_key(&j, "producer"), json_string(&j, "genre export");
  json_key(&j, "classes"), json_array(&j);
  for (int k = 0; k < m[0].n_classes; k++) json_string(&j, m[0].labels[k]);
  json_close(&j, 0);
  json_key(&j, "unit"), json_string(&j, unit_name(m[0].unit));
  card_inputs(&j, m, n);
  json_key(&j, "output"), json_object(&j);
  json_key(&j, "name"), json_string(&j, "probabilities");
  json_key(&j, "shape"), json_array(&j), json_string(&j, "N"), json_int(&j, m[0].n_classes), json_close(&j, 0);
  json_key(&j, "meaning"), json_string(&j, n > 1 ? "class probabilities: the mean of the models' (each model's "
                                                   "members averaged first)" : "class probabilities (the members averaged)");
  json_key(&j, "recording"), json_string(&j, "a recording's probabilities, as genre predict gives them: each model's "
                                             "mean over the recording's 3-s segments, raised to 1/track_temperature "
                                             "and normalised, then averaged over the models");
  json_close(&j, 1);
  json_key(&j, "models"), json_array(&j);
  for (int i = 0; i < n; i++) card_model(&j, &m[i], paths[i]);
  json_close(&j, 0);
  json_end(&j);
  if (fclose(f)) return free(text), NULL;
  return text;
}

static int add_model(const char *cmd, const char *arg, void *value) {
  char **paths = value;
  int n = 0;
  while (n < ONNX_MAX_MODELS && paths[n]) n++;
  if (n == ONNX_MAX_MODELS) return fprintf(stderr, "genre %s: at most %d models\n", cmd, ONNX_MAX_MODELS), -1;
  paths[n] = (char *)arg;
  return 0;
}

/* NAME.onnx -> NAME.json and NAME */
static int card_paths(const char *out, char *json, size_t len, char *name, size_t nlen) {
  size_t n = strlen(out);
  if (n < 6 || strcmp(out + n - 5, ".onnx") != 0) return -1;
  snprintf(json, len, "%.*s.json", (int)(n - 5), out);
  const char *base = strrchr(out, '/');
  base = base ? base + 1 : out;
  snprintf(name, nlen, "%.*s", (int)(strlen(base) - 5), base);
  return 0;
}

static int export_run(char *const *paths, int n, const char *out) {
  char err[1500], json_path[4200], name[512];
  if (card_paths(out, json_path, sizeof json_path, name, sizeof name))
    return fprintf(stderr, "genre export: -o names the graph NAME.onnx (the card goes to NAME.json), not '%s'\n", out), 1;
  model_t m[ONNX_MAX_MODELS];
  int loaded = 0, rc = 1;
  for (; loaded < n; loaded++) {
    if (model_load(paths[loaded], 1, &m[loaded], err, sizeof err)) break;
    if (!m[loaded].net) { /* a classical kind: no layers to write as ONNX operators */
      snprintf(err, sizeof err, "%s: a kNN model; the kinds that export to ONNX are ann and cnn", paths[loaded]);
      model_free(&m[loaded]);
      break;
    }
  }
  char *card = loaded == n ? card_text(m, n, paths, name) : NULL;
  outfile_t o;
  if (loaded < n) fprintf(stderr, "genre export: %s\n", err);
  else if (!card) fprintf(stderr, "genre export: out of memory\n");
  else if (outfile_open(&o, json_path, err, sizeof err)) fprintf(stderr, "genre export: %s\n", err);
  else if (fputs(card, o.f), model_export_onnx(m, n, out, card, err, sizeof err))
    outfile_abort(&o), fprintf(stderr, "genre export: %s\n", err);
  else if (outfile_commit(&o, 1, err, sizeof err)) fprintf(stderr, "genre export: %s\n", err);
  else {
    printf("exported %d model%s -> %s (card %s)\n", n, n > 1 ? "s" : "", out, json_path);
    rc = 0;
  }
  for (int i = 0; i < loaded; i++) model_free(&m[i]);
  free(card);
  return rc;
}

int export_main(int argc, char **argv) {
  char *paths[ONNX_MAX_MODELS + 1] = {0};
  const char *out = NULL;
  const cli_option_t opts[] = {
      OPT_CALL('m', "model", paths, add_model, "MODEL", "a model file (repeat for an ensemble, up to 16)"),
      OPT_STRING('o', "output", &out, "NAME.onnx", "the graph to write; the card goes to NAME.json"), OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("export", argc, argv, tables, &help);
  if (help) return fputs(about, stdout), cli_help(stdout, tables), 0;
  int n = 0;
  while (paths[n]) n++;
  if (first >= 0 && (!n || !out || first < argc)) {
    fprintf(stderr, "genre export: -m MODEL and -o NAME.onnx are required\n");
    first = -1, cli_usage_hint("export");
  }
  if (first < 0) return 1;
  if (cli_args_only) return 0;
  return export_run(paths, n, out);
}
