/* genre info: what a model file (ours or an ONNX graph) holds, for a person
 * and for embed --layer: kind, preset, classes, inputs, layers by name,
 * temperatures and the training record. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "model_onnx.h"

static const char about[] =
    "usage: genre info MODEL...\n\n"
    "Prints what each model file holds (genre's own, or an .onnx with its card):\n"
    "its kind and preset, classes, input, layers with the names genre embed\n"
    "--layer takes, parameters, members, temperatures and how it was trained.\n\n";

static const char *kind_name(int kind) {
  static const char *const names[] = {"?", "ANN (features)", "CNN (log-mel spectrograms)", "kNN (features)",
                                      "SVM (features)", "logistic regression (features)",
                                      "gradient-boosted trees (features)", "random forest (features)"};
  return kind >= MODEL_ANN && kind <= MODEL_RF ? names[kind] : names[0];
}

static void print_list(const char *what, char *const *items, size_t n) {
  printf("%s (%zu):", what, n);
  for (size_t i = 0; i < n; i++) printf("%s %s", i ? "," : "", items[i]);
  printf("\n");
}

static void print_layers(const model_t *m) {
  const net_t *n = m->net;
  printf("layers (%d; genre embed --layer takes the number or the name):\n", n->n_layers);
  for (int i = 0; i < n->n_layers; i++) {
    const layer_t *l = &n->layer[i];
    char name[48];
    snprintf(name, sizeof name, "%s_%d", layer_kind_name(l->spec.kind), i + 1);
    printf("  %3d  %-16s -> [%d, %d, %d]  %zu parameters\n", i + 1, name, l->c, l->h, l->w, l->nw + l->nb);
  }
  printf("parameters: %zu%s\n", n->n_params, m->n_members > 1 ? " per member" : "");
}

/* An .onnx's card (NAME.json beside it) records each model's training: its
 * "training" objects, printed as they are. 1 when some were found. */
static int print_card_training(const char *path) {
  char card[4200];
  size_t len = strlen(path);
  if (len < 5 || strcmp(path + len - 5, ".onnx") != 0) return 0;
  snprintf(card, sizeof card, "%.*s.json", (int)(len - 5), path);
  FILE *f = fopen(card, "r");
  if (!f) return 0;
  static char text[1 << 20];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  int found = 0;
  for (const char *at = text; (at = strstr(at, "\"training\": {")) != NULL; found++) {
    const char *s = at + 12, *e = s;
    int depth = 0, quoted = 0;
    for (; *e; e++) {
      if (quoted) quoted = !(*e == '"' && e[-1] != '\\');
      else if (*e == '"') quoted = 1;
      else if (*e == '{') depth++;
      else if (*e == '}' && --depth == 0) break;
    }
    printf("trained (%s): %.*s\n", card, (int)(e - s + (*e != 0)), s);
    at = e;
  }
  return found;
}

static void print_model(const char *path, const model_t *m) {
  printf("%s: %s, preset %s, one prediction per %s\n", path, kind_name(m->kind), m->arch[0] ? m->arch : "(none)",
         m->unit == MODEL_UNIT_TRACK ? "whole recording" : m->unit == MODEL_UNIT_SEGMENT ? "3-s segment" : "row");
  print_list("classes", m->labels, (size_t)m->n_classes);
  if (m->kind == MODEL_CNN) printf("input: log-mel spectrogram [%d, %d, %d] (genre extract's mel/)\n", m->in_c, m->in_h, m->in_w);
  else print_list("input: feature columns", m->feature_names, m->n_features);
  if (m->net) print_layers(m);
  if (m->n_members > 1) printf("members: %d (probabilities averaged)\n", m->n_members);
  if (m->temperature > 0 && m->temperature != 1)
    printf("temperature: %.4g on segments, %.4g on a recording's mean\n", m->temperature, m->track_temperature);
  else printf("temperature: none (raw probabilities)\n");
  if (m->about && *m->about) printf("trained: %s\n", m->about);
  else if (!print_card_training(path)) printf("trained: (not recorded)\n");
}

int info_main(int argc, char **argv) {
  const cli_option_t opts[] = {OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("info", argc, argv, tables, &help);
  if (help) return fputs(about, stdout), cli_help(stdout, tables), 0;
  if (first >= 0 && first >= argc) first = -1, fprintf(stderr, "genre info: a MODEL is required\n"), cli_usage_hint("info");
  if (first < 0) return 1;
  int rc = 0;
  for (int i = first; i < argc; i++) {
    model_t m[8];
    int got = 0;
    char err[1500];
    if (model_open(argv[i], NULL, 1, m, 8, &got, err, sizeof err)) {
      fprintf(stderr, "genre info: %s\n", err), rc = 1;
      continue;
    }
    for (int k = 0; k < got; k++) {
      if (i > first || k) printf("\n");
      print_model(argv[i], &m[k]);
      model_free(&m[k]);
    }
  }
  return rc;
}
