/* genre evaluate: a model on a labelled table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ann.h"
#include "commands.h"
#include "metrics.h"

static const char usage[] =
    "usage: genre evaluate --model MODEL --features CSV\n"
    "\n"
    "Prints accuracy, top-2 accuracy, per-class precision / recall / F1 and the\n"
    "confusion matrix (rows true, columns predicted). When the rows are 3-s segments\n"
    "(<stem>.<k>.wav), also the accuracy per track by majority vote.\n"
    "The table must have the model's feature columns and only labels it knows.\n";

int evaluate_main(int argc, char **argv) {
  const char *model_path = NULL, *features = NULL;
  static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"features", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'm') model_path = optarg;
    else if (c == 'f') features = optarg;
    else if (c == 'h') return fputs(usage, stdout), 0;
    else return fputs(usage, stderr), 1;
  }
  if (!model_path || !features || optind < argc) {
    fprintf(stderr, "genre evaluate: --model and --features are required\n\n%s", usage);
    return 1;
  }
  char err[1500];
  model_t m;
  if (model_load(model_path, 256, &m, err, sizeof err)) {
    fprintf(stderr, "genre evaluate: %s\n", err);
    return 1;
  }
  if (m.kind != MODEL_ANN) {
    fprintf(stderr, "genre evaluate: %s is a CNN model: give --mel DIR\n", model_path);
    model_free(&m);
    return 1;
  }
  dataset_t d;
  if (dataset_load(features, m.labels, m.n_classes, m.feature_names, m.n_features, &d, err, sizeof err)) {
    fprintf(stderr, "genre evaluate: %s\n", err);
    model_free(&m);
    return 1;
  }
  size_t *idx = malloc(d.n_rows * sizeof *idx);
  real *probs = malloc(d.n_rows * (size_t)m.n_classes * sizeof(real));
  metrics_t seg;
  int rc = 1;
  if (!idx || !probs || metrics_init(&seg, m.n_classes)) {
    fprintf(stderr, "genre evaluate: out of memory\n");
    goto out;
  }
  for (size_t i = 0; i < d.n_rows; i++) idx[i] = i;
  ann_predict(&m, &d, idx, d.n_rows, probs);
  metrics_add(&seg, probs, d.y, d.n_rows);
  metrics_finish(&seg);
  printf("model %s (%s), %s: %zu rows\n\n", model_path, m.arch, features, d.n_rows);
  metrics_print(stdout, &seg, m.labels);
  if (d.segmented) {
    int *vote = malloc(d.n_groups * sizeof(int)), *mean = malloc(d.n_groups * sizeof(int));
    int *truth = malloc(d.n_groups * sizeof(int));
    if (vote && mean && truth) {
      track_predictions(probs, d.y, d.group, d.n_rows, d.n_groups, m.n_classes, vote, mean, truth);
      size_t right = 0, right_mean = 0, n = 0;
      for (size_t g = 0; g < d.n_groups; g++)
        if (truth[g] >= 0) n++, right += vote[g] == truth[g], right_mean += mean[g] == truth[g];
      printf("\ntracks: %zu; accuracy by majority vote %.4f, by mean probability %.4f\n", n, (double)right / n,
             (double)right_mean / n);
    }
    free(vote), free(mean), free(truth);
  }
  metrics_free(&seg);
  rc = 0;
out:
  free(idx), free(probs);
  dataset_free(&d);
  model_free(&m);
  return rc;
}
