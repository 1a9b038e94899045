/* genre predict: trained models applied to audio files, folders and live PCM
 * streams. experiments/commands/predict_cmd.c parses the command;
 * predict_files.c runs the files, predict_stream.c standard input;
 * predict_out.c writes the rows. */
#ifndef GENRE_PREDICT_H
#define GENRE_PREDICT_H

#include <stdio.h>

#include "classifier.h"

enum { FORMAT_TEXT, FORMAT_CSV, FORMAT_JSONL };
enum { SAMPLE_S16, SAMPLE_F32 };

typedef struct predict_args {
  char *models[CLASSIFIER_MAX_MODELS];
  int n_models;
  int segments, top, format, threads, help;
  const char *output;
  const char *labels; /* --labels: an ONNX graph's classes without a card */
  int no_calibrate;   /* --no-calibrate: raw softmax */
  int stream, channels, sample_format, smooth;
  long rate;
  double window, hop; /* seconds */
  char **inputs;
  int n_inputs;
} predict_args_t;

/* A leading column of a row: text, or a number when text is NULL. */
typedef struct field {
  const char *name;
  const char *text;
  double number;
} field_t;

/* Where rows go and how they look. */
typedef struct predict_out {
  FILE *f;
  int format, top, K;
  char *const *labels;
  int rows; /* rows written */
} predict_out_t;

/* The header (CSV) for rows that start with lead[n_lead] and end with trail[n_trail]. */
void out_header(predict_out_t *o, const field_t *lead, int n_lead, const field_t *trail, int n_trail);
/* One row: the lead fields, label, probability and p_<label> for p[K] (NULL: no
 * decision, e.g. silence, shown as `none_label`), then the trail fields. */
/* Below this RMS (-60 dBFS) a window of the stream, or a segment of a file
 * (its mean frame RMS), is reported as 'silence', not as a genre. */
#define SILENCE_RMS 1e-3

void out_row(predict_out_t *o, const field_t *lead, int n_lead, const double *p, const char *none_label,
             const field_t *trail, int n_trail);

/* genre predict on files and folders: 0, 1 (nothing classified, an output
 * error), 2 (some inputs failed: each is a line on stderr). */
int predict_files(const predict_args_t *a, const classifier_t *c, predict_out_t *o);
/* genre embed's arguments. */
typedef struct embed_args {
  char *model;
  const char *out, *labels;
  int layer; /* 0-based; -1: the layer before the classifier */
  char layer_kind[32]; /* --layer NAME's kind ("" for a number): checked against the table */
  int threads;
  char **inputs;
  int n_inputs;
} embed_args_t;

/* genre embed with c (the model, loaded to check it before any input is read):
 * 0, 1 (nothing written), 2 (some inputs failed: the rest is written). */
int embed_run(const embed_args_t *a, const classifier_t *c);

/* genre explain's arguments. */
typedef struct explain_args {
  const char *out, *label;
  const char *input, *mel; /* an audio file, or an extract .npy of log-mels (--mel) */
  int segment;             /* 0-based; -1: every segment */
} explain_args_t;

/* genre explain with m (a CNN): 0, or 1 after printing the problem. */
int explain_run(const explain_args_t *a, model_t *m);

/* genre predict --stream: 0, 1 (usage, input or output error), 2 (some input unusable). */
int predict_stream(const predict_args_t *a, classifier_t *c, predict_out_t *o);

#endif
