/* genre evaluate: a model on a labelled table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ann.h"
#include "classical.h"
#include "cnn.h"
#include "commands.h"
#include "metrics.h"
#include "model_onnx.h"
#include "outfile.h"

static const char usage[] =
    "usage: genre evaluate --model MODEL --features CSV     (an ANN or a kNN)\n"
    "       genre evaluate --model MODEL --mel OUTDIR       (a CNN)\n"
    "\n"
    "Prints accuracy, top-2 accuracy, per-class precision / recall / F1 and the\n"
    "confusion matrix (rows true, columns predicted). When the rows are 3-s segments\n"
    "(<stem>.<k>.wav), also the accuracy per track by majority vote.\n"
    "The table must have the model's feature columns and only labels it knows.\n"
    "--predictions writes every row's true and predicted label (the most probable)\n"
    "and probabilities; for an SVM also `vote`, libsvm's one-against-one decision\n"
    "(what scikit-learn's SVC.predict gives).\n\n";

/* Metrics of probs against y, per row and per track. */
static void print_results(const char *model_path, const char *arch, const char *data, size_t rows, const real *probs,
                          const int *y, const int *group, size_t n_groups, int segmented, int K, char *const *labels) {
  metrics_t seg;
  if (metrics_init(&seg, K)) return;
  metrics_add(&seg, probs, y, rows);
  metrics_finish(&seg);
  printf("model %s (%s), %s: %zu rows\n\n", model_path, arch, data, rows);
  metrics_print(stdout, &seg, labels);
  metrics_free(&seg);
  if (!segmented) return;
  int *vote = malloc(n_groups * sizeof(int)), *mean = malloc(n_groups * sizeof(int));
  int *truth = malloc(n_groups * sizeof(int));
  if (vote && mean && truth) {
    track_predictions(probs, y, group, rows, n_groups, K, vote, mean, truth);
    size_t right = 0, right_mean = 0, n = 0;
    for (size_t g = 0; g < n_groups; g++)
      if (truth[g] >= 0) n++, right += vote[g] == truth[g], right_mean += mean[g] == truth[g];
    printf("\ntracks: %zu; accuracy by majority vote %.4f, by mean probability %.4f\n", n, (double)right / n,
           (double)right_mean / n);
  }
  free(vote), free(mean), free(truth);
}

/* --predictions: name,label,predicted,p_<label>... per row, written whole or not at all. 0, or 1 after saying why. */
static int write_predictions(const char *path, char *const *names, const int *y, const real *probs, size_t rows, int K,
                             char *const *labels, const int *votes) {
  outfile_t o;
  char err[4400];
  if (outfile_open(&o, path, err, sizeof err)) return fprintf(stderr, "genre evaluate: %s\n", err), 1;
  fputs("name,label,predicted", o.f);
  for (int k = 0; k < K; k++) fprintf(o.f, ",p_"), fputs(labels[k], o.f);
  if (votes) fputs(",vote", o.f); /* an SVM's one-against-one decision */
  csv_end_row(o.f);
  for (size_t i = 0; i < rows; i++) {
    const real *p = probs + i * (size_t)K;
    int best = 0;
    for (int k = 1; k < K; k++) best = p[k] > p[best] ? k : best;
    csv_put_text(o.f, names[i], 1), csv_put_text(o.f, labels[y[i]], 0), csv_put_text(o.f, labels[best], 0);
    for (int k = 0; k < K; k++) csv_put_number(o.f, p[k], 0);
    if (votes) csv_put_text(o.f, labels[votes[i]], 0);
    csv_end_row(o.f);
  }
  if (outfile_commit(&o, 0, err, sizeof err)) return fprintf(stderr, "genre evaluate: %s\n", err), 1;
  return 0;
}

static int evaluate_cnn(model_t *m, const char *model_path, const char *mel, const char *predictions) {
  char err[1500];
  mel_dataset_t d;
  if (mel_dataset_load(mel, m->labels, m->n_classes, &d, err, sizeof err)) {
    fprintf(stderr, "genre evaluate: %s\n", err);
    return 1;
  }
  if (d.bands != m->in_h || d.frames != m->in_w) {
    fprintf(stderr, "genre evaluate: %s: spectrograms of %dx%d, the model takes %dx%d\n", mel, d.bands, d.frames, m->in_h,
            m->in_w);
    mel_dataset_free(&d);
    return 1;
  }
  size_t *idx = malloc(d.n_rows * sizeof *idx);
  real *probs = malloc(d.n_rows * (size_t)m->n_classes * sizeof(real));
  int rc = 1;
  if (idx && probs) {
    for (size_t i = 0; i < d.n_rows; i++) idx[i] = i;
    if (cnn_predict(m, &d, idx, d.n_rows, CNN_READ_AHEAD, probs, err, sizeof err) == 0) {
      print_results(model_path, m->arch, mel, d.n_rows, probs, d.y, d.group, d.n_groups, 1, m->n_classes, m->labels);
      rc = predictions ? write_predictions(predictions, d.names, d.y, probs, d.n_rows, m->n_classes, m->labels, NULL) : 0;
      if (rc) *err = 0;
    }
  } else {
    snprintf(err, sizeof err, "out of memory");
  }
  if (rc && *err) fprintf(stderr, "genre evaluate: %s\n", err);
  free(idx), free(probs);
  mel_dataset_free(&d);
  return rc;
}

static int evaluate_ann(model_t *m, const char *model_path, const char *features, const char *predictions) {
  char err[1500];
  dataset_t d;
  if (dataset_load(features, m->labels, m->n_classes, m->feature_names, m->n_features, &d, err, sizeof err)) {
    fprintf(stderr, "genre evaluate: %s\n", err);
    return 1;
  }
  if (d.n_ignored)
    fprintf(stderr, "genre evaluate: %s: %zu column%s the model was not trained on ('%s'%s) not used; its %zu columns "
            "read by name\n", features, d.n_ignored, d.n_ignored == 1 ? "" : "s", d.ignored,
            d.n_ignored > 1 ? ", ..." : "", m->n_features);
  size_t *idx = malloc(d.n_rows * sizeof *idx);
  real *probs = malloc(d.n_rows * (size_t)m->n_classes * sizeof(real));
  int rc = 1;
  if (!idx || !probs) {
    fprintf(stderr, "genre evaluate: out of memory\n");
    goto out;
  }
  for (size_t i = 0; i < d.n_rows; i++) idx[i] = i;
  ann_predict(m, &d, idx, d.n_rows, probs);
  print_results(model_path, m->arch, features, d.n_rows, probs, d.y, d.group, d.n_groups, d.segmented, m->n_classes,
                m->labels);
  int *votes = predictions && m->kind == MODEL_SVM ? malloc(d.n_rows * sizeof *votes) : NULL;
  if (votes && svm_votes(m, &d, idx, d.n_rows, votes)) free(votes), votes = NULL;
  rc = predictions ? write_predictions(predictions, d.names, d.y, probs, d.n_rows, m->n_classes, m->labels, votes) : 0;
  free(votes);
out:
  free(idx), free(probs);
  dataset_free(&d);
  return rc;
}

/* The same file or folder (its mel/ too): stat's device and inode. */
static int same_data(const char *a, const char *b) {
  struct stat sa, sb;
  char mel[4200];
  if (stat(a, &sa) || stat(b, &sb)) return 0;
  if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino) return 1;
  snprintf(mel, sizeof mel, "%s/mel", a); /* trained on OUTDIR, evaluated on OUTDIR/mel */
  return stat(mel, &sa) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The model file records the data it was trained on ("data" in its about):
 * figures on that data are training figures, not a test. */
static void warn_training_data(const model_t *m, const char *model_path, const char *data) {
  const char *at = m->about ? strstr(m->about, "\"data\": \"") : NULL;
  if (!at) return;
  char trained[4096];
  size_t n = 0;
  for (at += 9; *at && *at != '"' && n + 1 < sizeof trained; at++) {
    if (*at == '\\' && at[1]) at++; /* JSON's escapes of '"' and '\\' */
    trained[n++] = *at;
  }
  trained[n] = 0;
  if (same_data(trained, data))
    fprintf(stderr, "genre evaluate: warning: %s is the data %s was trained on: these are training figures, not a "
            "test (evaluate on tracks it has not seen)\n", data, model_path);
}

int evaluate_main(int argc, char **argv) {
  const char *model_path = NULL, *features = NULL, *mel = NULL;
  const char *labels = NULL, *predictions = NULL;
  int raw = 0;
  const cli_option_t opts[] = {OPT_STRING('m', "model", &model_path, "MODEL", "the model file, or an ONNX graph of one model"),
                               OPT_STRING(0, "labels", &labels, "L1,L2,...", "an ONNX graph's classes when it has no card"),
                               OPT_FLAG(0, "no-calibrate", &raw, 1, "the model's raw softmax, without its temperature"),
                               OPT_STRING(0, "features", &features, "CSV", "a feature table (an ANN's)"),
                               OPT_STRING(0, "mel", &mel, "OUTDIR", "what genre extract wrote (a CNN's)"),
                               OPT_STRING(0, "predictions", &predictions, "CSV", "every row's labels and probabilities"),
                               OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("evaluate", argc, argv, tables, &help);
  if (help) return fputs(usage, stdout), cli_help(stdout, tables), 0;
  if (first >= 0 && (!model_path || (!features == !mel) || first < argc)) {
    fprintf(stderr, "genre evaluate: --model and one of --features / --mel are required\n");
    first = -1, cli_usage_hint("evaluate");
  }
  if (first < 0) return 1;
  if (cli_args_only) return 0;
  char err[1500];
  model_t m;
  int got;
  if (model_open(model_path, labels, 256, &m, 1, &got, err, sizeof err)) {
    fprintf(stderr, "genre evaluate: %s%s\n", err, strstr(err, "left") ? " (genre evaluate takes one model; genre predict an ensemble)" : "");
    return 1;
  }
  if (raw) m.temperature = 0;
  if ((m.kind == MODEL_CNN) != (mel != NULL)) {
    fprintf(stderr, "genre evaluate: %s is %s model: give %s\n", model_path, m.kind == MODEL_CNN ? "a CNN" : "a feature-row",
            m.kind == MODEL_CNN ? "--mel OUTDIR" : "--features CSV");
    model_free(&m);
    return 1;
  }
  warn_training_data(&m, model_path, mel ? mel : features);
  int rc = mel ? evaluate_cnn(&m, model_path, mel, predictions) : evaluate_ann(&m, model_path, features, predictions);
  model_free(&m);
  return rc;
}
