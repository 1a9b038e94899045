/* genre embed: a model's activations per 3-s segment and per recording
 * (experiments/predict/embed.c), for search, clustering or another classifier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "predict.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char about[] =
    "usage: genre embed -m MODEL -o DIR [--layer N|NAME] [--threads T] INPUT...\n"
    "\n"
    "Writes the activations of a model's layer before its classifier (or --layer N)\n"
    "for every 3-s segment of the inputs, and their mean per recording, decoded and\n"
    "analysed as genre predict does:\n"
    "  DIR/segments.npy  float32 [segments, D]; DIR/segments.csv: file,segment,start,end,row\n"
    "  DIR/tracks.npy    float32 [recordings, D], the mean of each recording's segments;\n"
    "                    DIR/tracks.csv: file,segments,row\n"
    "An ANN's members are side by side (D = their layer's size times the members).\n"
    "\n";

/* --layer N, or NAME as genre embed prints it ("avgpool_20": the kind, then N) */
static int layer_arg(const char *cmd, const char *arg, void *value) {
  embed_args_t *a = value;
  const char *digits = strrchr(arg, '_');
  digits = digits ? digits + 1 : arg;
  char *end;
  long n = strtol(digits, &end, 10);
  if (end == digits || *end || n < 1 || n > 64)
    return fprintf(stderr, "genre %s: --layer wants N (1 to 64) or a name such as avgpool_20, not '%s'\n", cmd, arg), -1;
  a->layer = (int)n;
  snprintf(a->layer_kind, sizeof a->layer_kind, "%.*s", digits == arg ? 0 : (int)(digits - 1 - arg), arg);
  return 0;
}

int embed_main(int argc, char **argv) {
  embed_args_t a = {.layer = 0, .threads = cli_cores()};
  const cli_option_t opts[] = {
      OPT_STRING('m', "model", &a.model, "MODEL", "a segment model: a model file or an ONNX graph of one model"),
      OPT_STRING('o', "output", &a.out, "DIR", "where to write (created if needed; the files replaced together)"),
      OPT_CALL(0, "layer", &a, layer_arg, "N|NAME",
               "the output of layer N of the model's table (1-based), or NAME as genre\n"
               "embed prints it (e.g. avgpool_20: checked against the table), as the\n"
               "next layer sees it (after an in-place ReLU)"),
      OPT_STRING(0, "labels", &a.labels, "L1,L2,...", "an ONNX graph's classes when it has no card"),
      OPT_INT(0, "threads", &a.threads, 1, 64, "T", "threads (default: all cores)"),
      OPT_HELP("\nExit status: 0 every input embedded; 2 some failed (each is a line on stderr;\n"
               "the others are written); 1 a usage or model error, or nothing to write."),
      OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("embed", argc, argv, tables, &help);
  if (help) return fputs(about, stdout), cli_help(stdout, tables), 0;
  if (first >= 0 && (!a.model || !a.out || first >= argc)) {
    fprintf(stderr, "genre embed: -m MODEL, -o DIR and an INPUT are required\n");
    first = -1, cli_usage_hint("embed");
  }
  if (first < 0) return 1;
  a.layer -= 1; /* 0-based; -1: the default */
  a.inputs = argv + first, a.n_inputs = argc - first;
  if (cli_args_only) return 0;
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  classifier_t c;
  char err[1500];
  if (classifier_load(&c, &a.model, 1, a.labels, 1, err, sizeof err)) return fprintf(stderr, "genre embed: %s\n", err), 1;
  int rc = 1;
  if (c.n_models != 1) fprintf(stderr, "genre embed: %s holds %d models: embeddings are one model's\n", a.model, c.n_models);
  else if (c.track_models) fprintf(stderr, "genre embed: %s was trained on whole recordings: embeddings are per segment\n", a.model);
  else rc = embed_run(&a, &c);
  classifier_free(&c);
  return rc;
}
