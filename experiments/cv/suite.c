#include "suite.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"

/* "ann, cnn, knn, svm, logreg, gbdt, rf" */
static void kinds_list(char *buf, size_t len) {
  buf[0] = '\0';
  for (int i = 0; i < n_model_kinds; i++) {
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, "%s%s", i ? ", " : "", model_kinds[i].name);
  }
}

static int find_key(const suite_t *s, const char *key) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->model[i].key, key) == 0) return i;
  return -1;
}

int suite_first(const suite_t *s, const char *name) {
  for (int i = 0; i < s->trained; i++)
    if (strcmp(s->model[i].kind->name, name) == 0) return i;
  return -1;
}

int suite_needs(const suite_t *s, int mel) {
  for (int i = 0; i < s->trained; i++)
    if (s->model[i].mel == mel) return 1;
  return 0;
}

/* The command line's --ann-* / --cnn-* / --epochs into a network's options. */
static void apply_overrides(suite_model_t *m, const suite_overrides_t *ov) {
  if (strcmp(m->kind->name, "ann") == 0) {
    if (ov->ann_epochs) m->o.ann.train.epochs = ov->ann_epochs;
    if (ov->members) m->o.ann.members = ov->members;
  } else if (strcmp(m->kind->name, "cnn") == 0) {
    if (ov->cnn_epochs) m->o.cnn.train.epochs = ov->cnn_epochs;
    if (ov->cnn_batch) m->o.cnn.train.batch = ov->cnn_batch;
    if (ov->augment >= 0) m->o.cnn.augment = ov->augment;
    if (ov->read_ahead >= 0) m->o.cnn.read_ahead = ov->read_ahead;
  }
}

/* The kind's title in the tables: "ANN (features)", "SVM linear (features)". */
static void titles(suite_model_t *m, const char *preset) {
  const model_kind_t *k = m->kind;
  snprintf(m->name, sizeof m->name, "%s%s%s", k->title, preset ? " " : "", preset ? preset : "");
  snprintf(m->title, sizeof m->title, "%s (%s)", m->name, m->mel ? "log-mel" : "features");
}

/* One entry KIND[:PRESET] of the list. 0, or -1 after printing the problem. */
static int add_entry(suite_t *s, const char *cmd, const char *entry, const suite_overrides_t *ov) {
  char kind[64], list[200];
  const char *colon = strchr(entry, ':'), *preset = colon ? colon + 1 : NULL;
  snprintf(kind, sizeof kind, "%.*s", colon ? (int)(colon - entry) : (int)strlen(entry), entry);
  const model_kind_t *k = model_kind(kind);
  kinds_list(list, sizeof list);
  if (!k)
    return fprintf(stderr, "genre %s: --models: no kind '%s'; the kinds are %s (KIND or KIND:PRESET), and ensemble\n",
                   cmd, kind, list), -1;
  if (s->n == SUITE_MAX) return fprintf(stderr, "genre %s: at most %d models\n", cmd, SUITE_MAX), -1;
  suite_model_t *m = &s->model[s->n];
  memset(m, 0, sizeof *m);
  m->kind = k, m->mel = strcmp(k->data_option, "mel") == 0;
  const char *arch = preset ? preset : strcmp(kind, "ann") == 0 && ov->ann_arch ? ov->ann_arch
                                     : strcmp(kind, "cnn") == 0 && ov->cnn_arch ? ov->cnn_arch : "default";
  if (preset && !*preset) return fprintf(stderr, "genre %s: --models: '%s' names no preset\n", cmd, entry), -1;
  if (k->arch(cmd, arch, &m->o))
    return fprintf(stderr, "genre %s: --models %s: %s's %s\n", cmd, entry, k->title, k->arch_help), -1;
  if (preset) snprintf(m->key, sizeof m->key, "%.30s-%.30s", kind, preset);
  else snprintf(m->key, sizeof m->key, "%s", kind);
  for (char *c = m->key; *c; c++)
    if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') *c = '_';
  if (find_key(s, m->key) >= 0) return fprintf(stderr, "genre %s: --models lists %s twice\n", cmd, entry), -1;
  titles(m, preset);
  apply_overrides(m, ov);
  s->n++;
  return 0;
}

/* A name of our own (an ensemble's, an import's): letters, digits, - and _. */
static int good_name(const suite_t *s, const char *cmd, const char *opt, const char *name, size_t len) {
  int ok = len > 0 && len < 48;
  for (size_t i = 0; ok && i < len; i++) ok = isalnum((unsigned char)name[i]) || name[i] == '-' || name[i] == '_';
  if (!ok)
    return fprintf(stderr, "genre %s: %s: a name of letters, digits, - and _ before '=', not '%.*s'\n", cmd, opt,
                   (int)len, name), 0;
  char key[64];
  snprintf(key, sizeof key, "%.*s", (int)len, name);
  if (find_key(s, key) >= 0) return fprintf(stderr, "genre %s: %s: '%s' is already a model's name\n", cmd, opt, key), 0;
  if (s->n == SUITE_MAX) return fprintf(stderr, "genre %s: at most %d models\n", cmd, SUITE_MAX), 0;
  return 1;
}

/* An ensemble NAME=A+B[+C...] of listed models. 0, or -1. */
static int add_ensemble(suite_t *s, const char *cmd, const char *spec, const char *title) {
  const char *eq = strchr(spec, '=');
  if (!eq) return fprintf(stderr, "genre %s: --ensemble wants NAME=A+B[+C...], not '%s'\n", cmd, spec), -1;
  if (!good_name(s, cmd, "--ensemble", spec, (size_t)(eq - spec))) return -1;
  suite_model_t *m = &s->model[s->n];
  memset(m, 0, sizeof *m);
  snprintf(m->key, sizeof m->key, "%.*s", (int)(eq - spec), spec);
  char buf[512], names[400] = "";
  snprintf(buf, sizeof buf, "%s", eq + 1);
  for (char *save = NULL, *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
    int i = find_key(s, t);
    if (i < 0 || s->model[i].members)
      return fprintf(stderr, "genre %s: --ensemble %s: '%s' is not a listed model (%s)\n", cmd, spec, t,
                     i < 0 ? "list it in --models, or --import it" : "ensembles of ensembles are not averaged"), -1;
    for (int j = 0; j < m->members; j++)
      if (m->member[j] == i) return fprintf(stderr, "genre %s: --ensemble %s: '%s' twice\n", cmd, spec, t), -1;
    m->member[m->members++] = i;
    size_t n = strlen(names);
    snprintf(names + n, sizeof names - n, "%s%s", n ? " + " : "", s->model[i].name);
  }
  if (m->members < 2) return fprintf(stderr, "genre %s: --ensemble %s: two models or more\n", cmd, spec), -1;
  if (title) snprintf(m->name, sizeof m->name, "%s", title);
  else snprintf(m->name, sizeof m->name, "%s", m->key);
  snprintf(m->title, sizeof m->title, "%s%s (%s)", title ? "" : "Ensemble ", title ? title : m->key, names);
  s->n++;
  return 0;
}

/* An import NAME=FILE: a model trained elsewhere. 0, or -1. */
static int add_import(suite_t *s, const char *cmd, const char *spec) {
  const char *eq = strchr(spec, '=');
  if (!eq || !eq[1]) return fprintf(stderr, "genre %s: --import wants NAME=PREDICTIONS.csv, not '%s'\n", cmd, spec), -1;
  if (!good_name(s, cmd, "--import", spec, (size_t)(eq - spec))) return -1;
  suite_model_t *m = &s->model[s->n++];
  memset(m, 0, sizeof *m);
  snprintf(m->key, sizeof m->key, "%.*s", (int)(eq - spec), spec);
  snprintf(m->name, sizeof m->name, "%s", m->key);
  snprintf(m->title, sizeof m->title, "%s (imported)", m->key);
  m->import = eq + 1;
  return 0;
}

static int parse_list(suite_t *s, const char *cmd, const char *list, const suite_overrides_t *ov) {
  char buf[1024];
  if (strlen(list) >= sizeof buf) return fprintf(stderr, "genre %s: --models: too long\n", cmd), -1;
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, "ensemble") == 0) s->default_ensemble = 1;
    else if (add_entry(s, cmd, t, ov)) return -1;
  }
  if (s->default_ensemble) /* as before: listing the ensemble brings its two models */
    for (int i = 0; i < 2; i++)
      if (find_key(s, i ? "cnn" : "ann") < 0 && add_entry(s, cmd, i ? "cnn" : "ann", ov)) return -1;
  if (s->n == 0) return fprintf(stderr, "genre %s: --models lists no model\n", cmd), -1;
  return 0;
}

int suite_parse(suite_t *s, const char *cmd, const char *list, int have_mel, const suite_overrides_t *ov,
                char *const *ens, int n_ens, char *const *imports, int n_imports) {
  memset(s, 0, sizeof *s);
  if (!(s->model = calloc(SUITE_MAX, sizeof *s->model))) return fprintf(stderr, "genre %s: out of memory\n", cmd), -1;
  /* the baselines every genre study reads beside its networks: an RBF SVM and
   * logistic regression (seconds beside the networks' minutes) */
  if (parse_list(s, cmd, list ? list : have_mel ? "ann,cnn,svm,logreg" : "ann,svm,logreg", ov)) return -1;
  s->trained = s->n;
  for (int i = 0; i < n_imports; i++)
    if (add_import(s, cmd, imports[i])) return -1;
  int none = 0;
  for (int i = 0; i < n_ens; i++) none |= strcmp(ens[i], "none") == 0;
  if (!none && find_key(s, "ann") >= 0 && find_key(s, "cnn") >= 0 && find_key(s, "ensemble") < 0 &&
      add_ensemble(s, cmd, "ensemble=ann+cnn", "Ensemble"))
    return -1;
  for (int i = 0; i < n_ens; i++)
    if (strcmp(ens[i], "none") != 0 && add_ensemble(s, cmd, ens[i], NULL)) return -1;
  return 0;
}

void suite_free(suite_t *s) {
  free(s->model);
  s->model = NULL;
}

void suite_setup_line(const suite_model_t *m, char *buf, size_t len) {
  const kind_opts_t *o = &m->o;
  buf[0] = '\0';
  if (!m->kind) return;
  const char *k = m->kind->name;
  char aug[128];
  if (strcmp(k, "ann") == 0)
    snprintf(buf, len, "preset `%s`, %d member%s, %d epochs, batch %d", o->ann.arch, o->ann.members,
             o->ann.members == 1 ? "" : "s", o->ann.train.epochs, o->ann.train.batch);
  else if (strcmp(k, "cnn") == 0)
    augment_names(o->cnn.augment, aug, sizeof aug),
        snprintf(buf, len, "preset `%s`, %d epochs, batch %d, augmentations: %s", o->cnn.arch, o->cnn.train.epochs,
                 o->cnn.train.batch, aug);
  else if (strcmp(k, "knn") == 0)
    snprintf(buf, len, "preset `%s`: k = %d, %s votes (scikit-learn's KNeighborsClassifier)", o->knn.arch, o->knn.k,
             o->knn.weights == KNN_DISTANCE ? "1/d-weighted" : "uniform");
  else if (strcmp(k, "svm") == 0 && o->svm.gamma > 0)
    snprintf(buf, len, "preset `%s`: C-SVC (libsvm), %s kernel, C = %g, gamma = %g", o->svm.arch,
             o->svm.kernel == SVM_LINEAR ? "linear" : "RBF", o->svm.C, o->svm.gamma);
  else if (strcmp(k, "svm") == 0)
    snprintf(buf, len, "preset `%s`: C-SVC (libsvm), %s kernel, C = %g%s", o->svm.arch,
             o->svm.kernel == SVM_LINEAR ? "linear" : "RBF", o->svm.C,
             o->svm.kernel == SVM_LINEAR ? "" : ", gamma 1 / (features x variance) (scikit-learn's 'scale')");
  else if (strcmp(k, "logreg") == 0)
    snprintf(buf, len, "preset `%s`: multinomial, L2, C = %g (scikit-learn's LogisticRegression)", o->logreg.arch,
             o->logreg.C);
  else
    snprintf(buf, len, "preset `%s`: XGBoost hist, %d %s of depth %d, eta %g", o->trees.arch, o->trees.t.trees,
             o->trees.t.forest ? "trees" : "rounds", o->trees.t.depth, o->trees.t.eta);
}
