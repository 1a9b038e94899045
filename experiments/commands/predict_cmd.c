/* genre predict: what genre is this recording? The command line; the files
 * (experiments/predict/predict_files.c) or standard input (predict_stream.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "cli.h"
#include "commands.h"
#include "outfile.h"
#include "predict.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char about[] =
    "usage: genre predict -m MODEL [-m MODEL]... [options] INPUT...\n"
    "       genre predict -m MODEL... --stream [--rate HZ] [--channels N] [--sample-format s16|f32] -\n"
    "\n"
    "Classifies recordings with models that genre train (or experiment --save-models)\n"
    "wrote. INPUT is audio files and directories, as genre extract takes them. Several\n"
    "-m: their ensemble (the mean of their probabilities). A model sees the unit it\n"
    "was trained on: 3-s segments (the CNN, an ANN on features_3_sec.csv) or the\n"
    "whole recording (an ANN on a 30-s table, Kaggle's included). A track's\n"
    "probabilities are the mean of its segments'.\n"
    "\n";

static int add_model(const char *cmd, const char *arg, void *value) {
  predict_args_t *a = value;
  if (a->n_models == CLASSIFIER_MAX_MODELS)
    return fprintf(stderr, "genre %s: at most %d models\n", cmd, CLASSIFIER_MAX_MODELS), -1;
  a->models[a->n_models++] = (char *)arg;
  return 0;
}

static int format_word(const char *cmd, const char *arg, void *value) {
  static const char *const formats[] = {"text", "csv", "jsonl", NULL};
  return (*(int *)value = cli_choice(cmd, "--format", arg, formats)) < 0 ? -1 : 0;
}

static int sample_word(const char *cmd, const char *arg, void *value) {
  static const char *const samples[] = {"s16", "f32", NULL};
  return (*(int *)value = cli_choice(cmd, "--sample-format", arg, samples)) < 0 ? -1 : 0;
}

/* The parse, and the help when a is NULL (out: where). Returns cli_parse's. */
static int predict_table(int argc, char **argv, predict_args_t *a, int *help, FILE *out) {
  predict_args_t scratch;
  if (!a) a = &scratch;
  const cli_option_t opts[] = {
      OPT_CALL('m', "model", a, add_model, "MODEL",
               "a model file or an ONNX graph (repeat for an ensemble, up to 16 models)"),
      OPT_STRING(0, "labels", &a->labels, "L1,L2,...",
                 "the classes of an ONNX graph without a card (NAME.json), in output\n"
                 "order; its [N,1,128,130] input is taken as log-mel segments, and\n"
                 "an output without a Softmax gets one"),
      OPT_FLAG(0, "segments", &a->segments, 1, "one row per 3-s segment (start, end in seconds)"),
      OPT_CALL(0, "format", &a->format, format_word, "F", "text (default on a terminal), csv (otherwise) or jsonl"),
      OPT_INT(0, "top", &a->top, 1, 1000, "K", "labels shown per row in the text view (default 3)"),
      OPT_STRING('o', "output", &a->output, "FILE", "write the rows to FILE (atomically) instead of stdout"),
      OPT_INT(0, "threads", &a->threads, 1, 64, "T", "threads (default: all cores)"),
      OPT_FLAG(0, "no-calibrate", &a->no_calibrate, 1, "the models' raw softmax, without their temperatures"),
      OPT_HELP("\n"
               "  CSV columns: file,label,probability,p_<label>...; with --segments:\n"
               "  file,segment,start,end,label,probability,p_<label>...; jsonl has the same keys.\n"
               "\n"
               "Streaming (--stream, INPUT is -): raw interleaved PCM on standard input (e.g.\n"
               "arecord, sox or ffmpeg ... -f s16le -), resampled to 22050 Hz when needed. Every\n"
               "hop, one line for the last window: time,label,probability,p_<label>...,\n"
               "smooth_label,smooth_probability (time: end of the window, seconds of input;\n"
               "smooth: the mean over the last --smooth windows). Silence (RMS under -60 dBFS)\n"
               "is reported as the label 'silence', not as a genre."),
      OPT_FLAG(0, "stream", &a->stream, 1, "classify raw PCM from standard input (INPUT is -)"),
      OPT_LONG(0, "rate", &a->rate, 1000, 768000, "HZ", "input sample rate (default 22050; 1000 to 768000)"),
      OPT_INT(0, "channels", &a->channels, 1, 64, "N", "interleaved channels, averaged (default 1; up to 64)"),
      OPT_CALL(0, "sample-format", &a->sample_format, sample_word, "F",
               "s16 (little-endian, default) or f32 (little-endian float)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "window", &a->window, 3, 60, 0, "S", NULL, "seconds per decision, a multiple of 3 (default 3)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "hop", &a->hop, 0.1, 60, 0, "S", NULL, "seconds between decisions (default 3; 0.1 to 60)"),
      OPT_INT(0, "smooth", &a->smooth, 1, 1000, "N", "windows in the smoothed decision (default 5)"),
      OPT_HELP("\n"
               "Exit status: 0 all inputs classified; 2 some failed (each is a line on stderr;\n"
               "the others are classified); 1 a usage, model or output error."),
      OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  if (out) return fputs(about, out), cli_help(out, tables), 0;
  return cli_parse("predict", argc, argv, tables, help);
}

int predict_parse_args(int argc, char **argv, predict_args_t *a) {
  memset(a, 0, sizeof *a);
  *a = (predict_args_t){.top = 3, .threads = cli_cores(), .rate = AUDIO_SR, .channels = 1, .window = 3, .hop = 3,
                        .smooth = 5, .format = isatty(STDOUT_FILENO) ? FORMAT_TEXT : FORMAT_CSV};
  int first = predict_table(argc, argv, a, &a->help, NULL);
  if (a->help) return 0;
  if (first < 0) return -1;
  a->inputs = argv + first, a->n_inputs = argc - first;
  const char *why = !a->n_models                                   ? "-m MODEL is required"
                    : !a->n_inputs                                 ? "no INPUT given (- with --stream)"
                    : a->stream && (a->n_inputs != 1 || strcmp(a->inputs[0], "-") != 0) ? "--stream reads - (standard input) only"
                    : !a->stream && a->n_inputs == 1 && strcmp(a->inputs[0], "-") == 0 ? "- (standard input) needs --stream and its PCM format"
                    : a->stream && a->segments                     ? "--segments is for files; a stream prints a line per hop"
                    : a->window / 3 != (double)(long)(a->window / 3) ? "--window is a multiple of 3 s (the models' segment)"
                                                                   : NULL;
  if (why) return fprintf(stderr, "genre predict: %s\n", why), -1;
  return 0;
}

/* --- the command ---------------------------------------------------------- */

/* Loads the models; says which unit each one sees. 0, or -1 after printing. */
static int load_models(const predict_args_t *a, classifier_t *c) {
  char err[1500];
  if (classifier_load(c, a->models, a->n_models, a->labels, a->stream ? a->threads : 1, err, sizeof err))
    return fprintf(stderr, "genre predict: %s\n", err), -1;
  if (a->no_calibrate) classifier_uncalibrated(c);
  for (int i = 0; i < c->n_models; i++) {
    const char *name = c->n_models == a->n_models ? a->models[i] : "a model";
    if (c->model[i].unit == MODEL_UNIT_UNKNOWN)
      fprintf(stderr, "genre predict: %s predates recorded units: taken as a 3-s segment model (retrain it if it "
                      "was trained on whole tracks)\n", name);
    if (a->segments && c->model[i].unit == MODEL_UNIT_TRACK)
      return fprintf(stderr, "genre predict: %s was trained on whole tracks: --segments needs segment models\n", name),
             classifier_free(c), -1;
  }
  return 0;
}

int predict_main(int argc, char **argv) {
  predict_args_t a;
  if (predict_parse_args(argc, argv, &a)) return fputs("\n", stderr), predict_table(0, NULL, NULL, NULL, stderr), 1;
  if (a.help) return predict_table(0, NULL, NULL, NULL, stdout), 0;
  if (cli_args_only) return 0;
  if (openblas_set_num_threads) openblas_set_num_threads(1); /* our threads are the parallelism */
  classifier_t c;
  if (load_models(&a, &c)) return 1;
  outfile_t file = {0};
  char err[4400];
  if (a.output && outfile_open(&file, a.output, err, sizeof err)) {
    classifier_free(&c);
    return fprintf(stderr, "genre predict: %s\n", err), 1;
  }
  predict_out_t out = {.f = a.output ? file.f : stdout, .format = a.format, .top = a.top, .K = c.K,
                       .labels = c.labels};
  int rc = a.stream ? predict_stream(&a, &c, &out) : predict_files(&a, &c, &out);
  if (a.output && rc != 1 && outfile_commit(&file, 0, err, sizeof err)) rc = 1, fprintf(stderr, "genre predict: %s\n", err);
  else if (a.output && rc == 1) outfile_abort(&file);
  if (!a.output && (fflush(stdout) != 0 || ferror(stdout))) rc = 1, fprintf(stderr, "genre predict: writing standard output failed\n");
  classifier_free(&c);
  return rc;
}
