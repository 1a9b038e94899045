/* The experiment's engine (experiment.h): loading, folds, every model on
 * them, ensembles, imports, fold jobs, saved models and the report. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "augment.h"
#include "names.h"
#include "model_kind.h"
#include "fold_part.h"
#include "fold_why.h"
#include "folds.h"
#include "split.h"
#include "dist.h"
#include "outfile.h"
#include "progress.h"
#include "report.h"
#include "import_preds.h"
#include "suite.h"
#include "tune.h"
#include "temperature.h"
#include "experiment.h"

static int cmp_name(const void *a, const void *b, void *names) {
  char **n = names;
  return strcmp(n[*(const size_t *)a], n[*(const size_t *)b]);
}

/* rows common to both datasets (both given) or of the one given */
static int align(const dataset_t *ann, const mel_dataset_t *mel, rows_t *r, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  size_t cap = ann ? ann->n_rows : mel->n_rows;
  r->y = malloc(cap * sizeof(int)), r->track = malloc(cap * sizeof(int)), r->unit = malloc(cap * sizeof(int));
  r->names = malloc(cap * sizeof(char *));
  r->ann_row = malloc(cap * sizeof(size_t)), r->mel_row = malloc(cap * sizeof(size_t));
  size_t *order = mel ? malloc(mel->n_rows * sizeof(size_t)) : NULL;
  if (!r->y || !r->track || !r->unit || !r->names || !r->ann_row || !r->mel_row || (mel && !order)) {
    snprintf(err, errlen, "out of memory");
    free(order);
    return -1;
  }
  if (mel) { /* spectrogram rows sorted by name, for lookups */
    for (size_t i = 0; i < mel->n_rows; i++) order[i] = i;
    qsort_r(order, mel->n_rows, sizeof *order, cmp_name, mel->names);
  }
  for (size_t i = 0; i < (ann ? ann->n_rows : mel->n_rows); i++) {
    long m = -1;
    if (ann && mel) { /* binary search of the segment's name among the spectrograms */
      size_t lo = 0, hi = mel->n_rows;
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(mel->names[order[mid]], ann->names[i]);
        if (c == 0) {
          m = (long)order[mid];
          break;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
      }
      if (m < 0) continue;
      if (mel->y[m] != ann->y[i]) {
        snprintf(err, errlen, "segment %s is '%s' in the feature table but '%s' in mel/index.csv", ann->names[i],
                 ann->labels[ann->y[i]], mel->labels[mel->y[m]]);
        free(order);
        return -1;
      }
    } else if (mel) {
      m = (long)i;
    }
    size_t k = r->n++;
    r->ann_row[k] = ann ? i : 0;
    r->mel_row[k] = m >= 0 ? (size_t)m : 0;
    r->y[k] = ann ? ann->y[i] : mel->y[i];
    r->track[k] = ann ? ann->group[i] : mel->group[i];
    r->names[k] = ann ? ann->names[i] : mel->names[i];
  }
  r->n_tracks = ann ? ann->n_groups : mel->n_groups;
  r->tracks = ann ? ann->groups : mel->groups;
  free(order);
  if (r->n == 0) {
    snprintf(err, errlen, "no segment is in both the feature table and the spectrograms");
    return -1;
  }
  return 0;
}

static void rows_free(rows_t *r) {
  free(r->y), free(r->track), free(r->unit), free(r->names), free(r->ann_row), free(r->mel_row);
}

/* results/NAME written in a fresh sibling directory, then swapped in */
static int swap_in(const char *tmp, const char *out, char *err, size_t errlen) {
  char old[4200];
  struct stat st;
  int had = stat(out, &st) == 0;
  snprintf(old, sizeof old, "%s.old.%ld", out, (long)getpid());
  if (had && rename(out, old) != 0) {
    snprintf(err, errlen, "%s: cannot move the previous report aside: %s", out, strerror(errno));
    return -1;
  }
  if (rename(tmp, out) != 0) {
    snprintf(err, errlen, "%s: %s", out, strerror(errno));
    if (had) rename(old, out);
    return -1;
  }
  if (had && remove_tree(old)) fprintf(stderr, "genre experiment: could not remove %s\n", old);
  return 0;
}

/* The models, and the data they need at hand. 0, or -1. */
int experiment_check_models(experiment_args_t *a, const suite_overrides_t *ov) {
  suite_t *s = &a->suite;
  struct stat st;
  int there = a->data && stat(a->data, &st) == 0;
  if (a->data && (!there || !S_ISDIR(st.st_mode)))
    return fprintf(stderr, "genre experiment: --data %s: %s; --data wants the folder genre extract -o OUTDIR wrote%s\n",
                   a->data, !there ? "no such folder" : "a file, not a folder",
                   !there ? "" : " (a feature table alone: --features CSV)"), -1;
  if (suite_parse(s, "experiment", a->models, a->data != NULL, ov, a->ensembles, a->n_ensembles, a->imports,
                  a->n_imports))
    return -1;
  for (int m = 0; a->features && m < s->trained; m++)
    if (s->model[m].mel)
      return fprintf(stderr, "genre experiment: --features gives no spectrograms: %s needs --data\n", s->model[m].key), -1;
  if (a->tune && (a->only_fold || a->merge))
    return fprintf(stderr, "genre experiment: --tune runs in one process: not with --fold or --merge\n"), -1;
  if (a->n_imports && (a->repeats > 1 || a->only_fold))
    return fprintf(stderr, "genre experiment: --import reads one draw of folds: not with --repeats or --fold (the "
                           "--merge reads it)\n"), -1;
  return 0;
}


/* The feature table and / or the spectrograms, and the segments both have. 0, or -1. */
int experiment_load(experiment_t *e) {
  const experiment_args_t *a = &e->a;
  char err[4500], path[4200];
  const char *table_path = a->features;
  e->have_mel = suite_needs(&a->suite, 1);
  e->have_table = suite_needs(&a->suite, 0) || !e->have_mel; /* imports alone: the table's rows */
  if (e->have_table && a->data) snprintf(path, sizeof path, "%s/features_3_sec.csv", a->data), table_path = path;
  if (e->have_table && dataset_load(table_path, NULL, 0, NULL, 0, &e->table, err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  int ann = e->have_table;
  if (e->have_mel && mel_dataset_load(a->data, ann ? e->table.labels : NULL, ann ? e->table.n_classes : 0, &e->mel,
                                      err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  e->labels = ann ? e->table.labels : e->mel.labels;
  e->K = ann ? e->table.n_classes : e->mel.n_classes;
  if (align(ann ? &e->table : NULL, e->have_mel ? &e->mel : NULL, &e->rows, err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  if (e->K < 2) return fprintf(stderr, "genre experiment: a single label: nothing to classify\n"), -1;
  if (ann) e->view[0] = model_kind("ann")->view(&e->table);
  if (e->have_mel) e->view[1] = model_kind("cnn")->view(&e->mel);
  if (ann && e->have_mel && (e->rows.n < e->table.n_rows || e->rows.n < e->mel.n_rows))
    fprintf(stderr, "genre experiment: %zu segments in both the table (%zu) and the spectrograms (%zu): using those\n",
            e->rows.n, e->table.n_rows, e->mel.n_rows);
  return 0;
}
/* Classes with fewer tracks than folds: some folds then test none of their
 * tracks, and that fold's macro F1 counts the class as 0. Said on stderr and
 * in the report (e->thin_classes). */
static void warn_thin_classes(experiment_t *e) {
  size_t *tracks = calloc((size_t)e->K, sizeof *tracks);
  unsigned char *seen = calloc(e->rows.n_tracks ? e->rows.n_tracks : 1, 1);
  for (size_t i = 0; tracks && seen && i < e->rows.n; i++)
    if (!seen[e->rows.track[i]]) seen[e->rows.track[i]] = 1, tracks[e->rows.y[i]]++;
  e->thin_classes = 0;
  for (int k = 0; tracks && seen && k < e->K; k++)
    if (tracks[k] < (size_t)e->k_folds) {
      if (!e->thin_classes++)
        fprintf(stderr, "genre experiment: warning: class '%s' has %zu track%s for %d folds: folds without it count it "
                        "as 0 in their macro F1 (see the report)\n", shown(e->labels[k], 0), tracks[k],
                tracks[k] == 1 ? "" : "s", e->k_folds);
    }
  if (e->thin_classes > 1)
    fprintf(stderr, "genre experiment: warning: %d classes in all have fewer tracks than folds\n", e->thin_classes);
  free(tracks), free(seen);
}

/* The folds every model sees: over tracks, or over segments (leaky); for a
 * published split, its test tracks are fold 0 and the rest fold 1. 0, or -1. */
static int assign_folds_now(experiment_t *e, unsigned long seed);

/* assign_folds_now, kept as repeat r's line of folds.csv. 0, or -1. */
int experiment_assign_folds(experiment_t *e, unsigned long seed, int r) {
  if (assign_folds_now(e, seed)) return -1;
  if (!e->folds_log && !(e->folds_log = malloc((size_t)e->a.repeats * e->units * sizeof(int))))
    return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  memcpy(e->folds_log + (size_t)r * e->units, e->fold_of_unit, e->units * sizeof(int));
  return 0;
}

static int assign_folds_now(experiment_t *e, unsigned long seed) {
  rows_t *rows = &e->rows;
  char err[300];
  e->units = e->a.leaky ? rows->n : rows->n_tracks;
  e->k_folds = e->a.leaky ? 5 : e->a.split_dir ? 2 : e->a.folds;
  for (size_t i = 0; i < rows->n; i++) rows->unit[i] = e->a.leaky ? (int)i : rows->track[i];
  if (!e->fold_of_unit && !(e->fold_of_unit = malloc(e->units * sizeof(int))))
    return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  if (e->a.split_dir) return 0; /* experiment_split_select set them */
  if (folds_assign(rows->unit, rows->y, rows->n, e->units, e->K, e->k_folds, seed, e->fold_of_unit, err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  if ((size_t)e->k_folds > e->units)
    return fprintf(stderr, "genre experiment: %d folds for %zu tracks\n", e->k_folds, e->units), -1;
  if (!e->a.leaky) warn_thin_classes(e);
  return 0;
}

/* --protocol split:DIR: the rows of listed tracks only, test tracks in fold
 * 0, train and valid in fold 1 (valid marked for early stopping). 0, or -1. */
int experiment_split_select(experiment_t *e) {
  rows_t *rows = &e->rows;
  char err[4500];
  e->fold_of_unit = malloc(rows->n_tracks * sizeof(int));
  e->val_unit = calloc(rows->n_tracks ? rows->n_tracks : 1, 1);
  const char **label_of = malloc(rows->n_tracks * sizeof(char *));
  if (!e->fold_of_unit || !e->val_unit || !label_of) return free(label_of), fprintf(stderr, "genre experiment: out of memory\n"), -1;
  for (size_t i = 0; i < rows->n; i++) label_of[rows->track[i]] = e->labels[rows->y[i]];
  int rc = split_assign(e->a.split_dir, rows->tracks, label_of, rows->n_tracks, e->fold_of_unit, e->val_unit, &e->split,
                        err, sizeof err);
  free(label_of);
  if (rc) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  size_t kept = 0; /* rows of unlisted tracks leave the experiment */
  for (size_t i = 0; i < rows->n; i++) {
    if (e->fold_of_unit[rows->track[i]] < 0) continue;
    rows->y[kept] = rows->y[i], rows->track[kept] = rows->track[i], rows->names[kept] = rows->names[i];
    rows->ann_row[kept] = rows->ann_row[i], rows->mel_row[kept] = rows->mel_row[i];
    kept++;
  }
  rows->n = kept;
  fprintf(stderr, "genre experiment: split %s: %zu train, %zu valid, %zu test tracks here; %zu listed tracks absent, "
          "%zu tracks not listed (left out)\n", e->a.split_dir, e->split.train, e->split.valid, e->split.test,
          e->split.absent, e->split.unlisted);
  if (e->split.absent)
    fprintf(stderr, "genre experiment: warning: %zu of the split's listed tracks are not in %s: the test is not the "
            "published one, and the report cites no published figures beside it\n", e->split.absent,
            e->a.data ? e->a.data : e->a.features);
  if (e->split.test == 0 || e->split.train == 0)
    return fprintf(stderr, "genre experiment: the split leaves no %s track in the data\n", e->split.test ? "train" : "test"), -1;
  return 0;
}

/* 1 when the experiment evaluates one fold (a published or random split), else 0 */
static int one_fold(const experiment_args_t *a) { return a->leaky || a->split_dir ? 1 : 0; }

/* The cross-validation setups of the models (an ensemble's or an import's:
 * the scores only) and the trained ones' fold callbacks. */
static void make_setups(experiment_t *e, unsigned long seed, int repeat, cv_setup_t *setup, fold_model_t *ctx,
                        fold_tuned_t *tuned) {
  experiment_args_t *a = &e->a;
  const suite_t *s = &a->suite;
  rows_t *rows = &e->rows;
  cv_setup_t base = {.y = rows->y, .group = rows->unit, .track = rows->track, .n_rows = rows->n, .n_groups = e->units,
                     .K = e->K, .folds = e->k_folds, .seed = seed, .fold_of_track = e->fold_of_unit,
                     .run_folds = one_fold(a), .monitor_test = 1, .val_group = e->val_unit, .max_epochs = 1,
                     .only_fold = a->only_fold, .cross_temperature = !a->no_calibrate && !one_fold(a)};
  /* one fold (a published or random split) has no other folds to fit on: its
   * model's own held-out share, or a twin's */
  int own = !a->no_calibrate && one_fold(a);
  fold_why_t *why = e->why.K && seed == a->seed ? &e->why : NULL; /* the first repeat's */
  int ann = suite_first(s, "ann"), cnn = suite_first(s, "cnn"); /* the explanations are theirs */
  for (int m = 0; m < s->n; m++) {
    setup[m] = base;
    if (m >= s->trained) continue;
    suite_model_t *sm = &s->model[m];
    kind_common_t c = sm->kind->common(&sm->o);
    c.train->seed = seed;
    ctx[m] = (fold_model_t){sm->kind, &e->view[sm->mel], &sm->o, sm->mel ? rows->mel_row : rows->ann_row, own,
                            m == ann || m == cnn ? why : why && e->own[m].K ? &e->own[m] : NULL};
    /* a kind that splits each batch across threads takes the folds one at a
     * time; the others train folds at once -- except under a launcher, where
     * every fold's batches are shared by the processes, which must then take
     * the folds in the same order */
    if (c.threads) *c.threads = a->threads, setup[m].threads = 1;
    else setup[m].threads = dist_size() > 1 ? 1 : a->threads;
    setup[m].val_fraction = *c.val_fraction, setup[m].max_epochs = c.train->epochs;
    setup[m].fn = fold_model, setup[m].ctx = &ctx[m];
    snprintf(e->progress[m], sizeof e->progress[m], "genre experiment: %s", sm->key);
    setup[m].progress = e->progress[m];
    if (e->tune[m].search) {
      tuned[m] = (fold_tuned_t){ctx[m], &e->tune[m], repeat * e->k_folds, sm->key};
      setup[m].fn = fold_tuned, setup[m].ctx = &tuned[m];
    }
  }
}

/* Ensemble m: the mean of its members' probabilities (each with its fold's
 * temperature), per segment. 0, or -1. */
static int ensemble(experiment_t *e, cv_result_t *res, const cv_setup_t *setup, int m) {
  const suite_model_t *sm = &e->a.suite.model[m];
  cv_result_t *ens = &res[m], *first = &res[sm->member[0]];
  if (cv_result_alloc(setup, ens)) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  size_t K = (size_t)e->K;
  for (size_t i = 0; i < e->rows.n; i++) {
    double sum[K];
    memset(sum, 0, sizeof sum);
    for (int j = 0; j < sm->members; j++) {
      const cv_result_t *r = &res[sm->member[j]];
      real p[K];
      int fold = r->fold_of_row[i];
      memcpy(p, r->probs + i * K, K * sizeof(real));
      if (fold < r->folds) temperature_apply(p, 1, (int)K, r->fold[fold].temperature);
      for (size_t k = 0; k < K; k++) sum[k] += p[k];
    }
    for (size_t k = 0; k < K; k++) ens->probs[i * K + k] = (real)(sum[k] / sm->members);
  }
  memcpy(ens->fold_of_row, first->fold_of_row, e->rows.n * sizeof(int));
  memcpy(ens->fold_of_track, first->fold_of_track, e->units * sizeof(int));
  for (int f = 0; f < ens->folds; f++) {
    ens->fold[f].seconds = 0, ens->fold[f].n_test = first->fold[f].n_test;
    for (int j = 0; j < sm->members; j++) ens->fold[f].seconds += res[sm->member[j]].fold[f].seconds;
    ens->fold[f].temperature = ens->fold[f].track_temperature = 1; /* its members are calibrated */
  }
  if (setup->cross_temperature) cv_cross_track_temperatures(setup, ens); /* its track means are not */
  cv_score(setup, ens);
  e->have[m] = 1;
  return 0;
}

/* A result whose folds are the experiment's (fold_of_row, fold_of_track set). 0, or -1. */
static int result_on_folds(experiment_t *e, const cv_setup_t *setup, cv_result_t *r) {
  if (cv_result_alloc(setup, r)) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  memcpy(r->fold_of_track, e->fold_of_unit, e->units * sizeof(int));
  for (size_t i = 0; i < e->rows.n; i++) r->fold_of_row[i] = e->fold_of_unit[e->rows.unit[i]];
  return 0;
}

/* Import m: another tool's out-of-fold probabilities, checked against the folds. 0, or -1. */
static int import_model(experiment_t *e, cv_result_t *res, const cv_setup_t *setup, int m) {
  const suite_model_t *sm = &e->a.suite.model[m];
  char err[4500];
  if (result_on_folds(e, setup, &res[m])) return -1;
  import_rows_t in = {.n = e->rows.n, .names = e->rows.names, .track = e->rows.track, .n_tracks = e->rows.n_tracks,
                      .tracks = e->rows.tracks, .y = e->rows.y, .labels = e->labels, .K = e->K, .tested = NULL};
  unsigned char *tested = malloc(e->rows.n ? e->rows.n : 1);
  if (!tested) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  for (size_t i = 0; i < e->rows.n; i++) tested[i] = res[m].fold_of_row[i] < res[m].folds;
  in.tested = tested;
  int rc = import_read(sm->import, &in, res[m].probs, err, sizeof err);
  free(tested);
  if (rc) return fprintf(stderr, "genre experiment: --import %s: %s\n", sm->key, err), -1;
  for (size_t i = 0; i < e->rows.n; i++)
    if (res[m].fold_of_row[i] < res[m].folds) res[m].fold[res[m].fold_of_row[i]].n_test++;
  for (int f = 0; f < res[m].folds; f++) res[m].fold[f].temperature = res[m].fold[f].track_temperature = 1;
  cv_score(setup, &res[m]);
  e->have[m] = 1;
  return 0;
}

/* The imports (read before anything trains: a bad file costs nothing), or
 * the ensembles (once their members are in). 0, or -1. */
static int not_trained(experiment_t *e, cv_result_t *res, const cv_setup_t *setup, int imports) {
  const suite_t *s = &e->a.suite;
  for (int m = s->trained; m < s->n; m++)
    if (imports && s->model[m].import ? import_model(e, res, &setup[m], m)
                                      : !imports && !s->model[m].import && ensemble(e, res, &setup[m], m))
      return -1;
  return 0;
}

static int run_folds(experiment_t *e, int repeat, unsigned long seed) {
  experiment_args_t *a = &e->a;
  const suite_t *s = &a->suite;
  cv_result_t *res = e->runs[repeat];
  char err[4500];
  fold_model_t ctx[SUITE_MAX];
  fold_tuned_t tuned[SUITE_MAX];
  cv_setup_t setup[SUITE_MAX];
  make_setups(e, seed, repeat, setup, ctx, tuned);
  if (!a->only_fold && not_trained(e, res, setup, 1)) return -1;
  for (int m = 0; m < s->trained; m++) {
    fprintf(stderr, "genre experiment: %s (%d of %d), %s...\n", s->model[m].key, m + 1, s->trained,
            a->split_dir ? "the published split" : a->leaky ? "random split (1 of 5 folds)" : "folds");
    if (a->repeats > 1) fprintf(stderr, "  repeat %d of %d\n", repeat + 1, a->repeats);
    if (cv_run(&setup[m], &res[m], err, sizeof err))
      return fprintf(stderr, "genre experiment: %s: %s\n", s->model[m].key, err), -1;
    e->have[m] = 1;
  }
  if (a->only_fold) return 0; /* a fold job's ensembles are made at the merge */
  return not_trained(e, res, setup, 0);
}

/* e->res[m]: every repeat's folds, one after another (the summaries are over
 * all fits); the probabilities and pooled figures are the first repeat's. */
static int merge_repeats(experiment_t *e) {
  for (int m = 0; m < e->a.suite.n; m++) {
    if (!e->have[m]) continue;
    int per = e->runs[0][m].folds, R = e->a.repeats;
    e->res[m] = e->runs[0][m];
    e->res[m].fold = malloc((size_t)(per * R) * sizeof(cv_fold_t));
    if (!e->res[m].fold) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
    for (int r = 0; r < R; r++) memcpy(e->res[m].fold + r * per, e->runs[r][m].fold, (size_t)per * sizeof(cv_fold_t));
    e->res[m].folds = e->res[m].folds_allocated = per * R;
  }
  return 0;
}

/* The explanations' store (fold_why.h), for every fold. 0, or -1. */
static int why_init(experiment_t *e) {
  int folds = e->a.leaky ? 5 : e->a.split_dir ? 2 : e->a.folds;
  const suite_t *s = &e->a.suite;
  int ann = suite_first(s, "ann");
  const dataset_t *table = ann >= 0 ? &e->table : NULL;
  if (fold_why_init(&e->why, e->K, folds, e->rows.n, table)) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  for (int m = 0; m < s->trained; m++) /* every other feature model: its own importance */
    if (m != ann && !s->model[m].mel && fold_why_init(&e->own[m], e->K, folds, e->rows.n, &e->table))
      return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  return 0;
}

/* --tune: each model's candidates, and how many fits that makes, said before it starts. 0, or -1. */
static int tune_init(experiment_t *e) {
  const suite_t *s = &e->a.suite;
  int folds = one_fold(&e->a) ? 1 : e->a.folds, slots = e->a.leaky ? 5 : e->a.split_dir ? 2 : e->a.folds;
  long total = 0;
  for (int m = 0; e->a.tune && m < s->trained; m++) {
    const tune_search_t *search = tune_search(s->model[m].kind->name);
    if (!search) continue;
    if (tune_log_init(&e->tune[m], search, e->a.repeats * slots, e->a.tune_budget, e->a.seed))
      return fprintf(stderr, "genre experiment: out of memory\n"), -1;
    long fits = (long)tune_fits_per_fold(&e->tune[m]) * folds * e->a.repeats;
    fprintf(stderr, "genre experiment: tuning %s: %d of %d candidates x %d inner folds x %d fit%s = %ld inner fits\n",
            s->model[m].key, e->tune[m].n_cand, tune_grid_size(search), TUNE_INNER_FOLDS, folds * e->a.repeats,
            folds * e->a.repeats == 1 ? "" : "s", fits);
    total += fits;
  }
  if (e->a.tune) fprintf(stderr, "genre experiment: %ld inner fits in all, then the folds' own\n", total);
  return 0;
}

/* Every repeat: its fold draw (repeat 0 draws with --seed itself) and every model on it. */
int experiment_run(experiment_t *e) {
  if ((e->a.split_dir && experiment_split_select(e)) || why_init(e) || tune_init(e)) return -1;
  for (int r = 0; r < e->a.repeats; r++) {
    unsigned long seed = e->a.seed + 0x9E3779B9ul * (unsigned long)r;
    if (experiment_assign_folds(e, seed, r) || run_folds(e, r, seed)) return -1;
  }
  return merge_repeats(e);
}

static void fold_part_path(const experiment_t *e, int fold, char *buf, size_t len) {
  snprintf(buf, len, "%s.parts/fold-%d.part", e->a.out, fold + 1);
}

/* The trained models' results, keys and own explanations, as the fold parts hold them. */
static void part_models(experiment_t *e, cv_result_t **res, const char **keys, fold_why_t **own) {
  for (int m = 0; m < e->a.suite.trained; m++)
    res[m] = e->have[m] ? &e->runs[0][m] : NULL, keys[m] = e->a.suite.model[m].key, own[m] = e->own[m].K ? &e->own[m] : NULL;
}

/* --fold K: that fold of every model, written as a part for --merge. 0, or -1. */
int experiment_fold_job(experiment_t *e) {
  char path[4400], err[4500];
  if (why_init(e) || experiment_assign_folds(e, e->a.seed, 0) || run_folds(e, 0, e->a.seed)) return -1;
  snprintf(path, sizeof path, "%s.parts", e->a.out);
  if (!dist_leader()) return 0; /* rank 0 writes */
  if (make_dirs(path, err, sizeof err)) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  fold_part_path(e, e->a.only_fold - 1, path, sizeof path);
  cv_result_t *res[SUITE_MAX];
  const char *keys[SUITE_MAX];
  fold_why_t *own[SUITE_MAX];
  part_models(e, res, keys, own);
  if (fold_part_write(path, e->a.only_fold - 1, res, keys, e->a.suite.trained, e->rows.n, e->K,
                      e->why.K ? &e->why : NULL, own, err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  printf("fold %d of %d -> %s; genre experiment --merge (the same options) writes the report once every fold is done\n",
         e->a.only_fold, e->k_folds, path);
  return 0;
}

/* --merge: every fold's part read back and scored as one process would. 0, or -1. */
int experiment_merge(experiment_t *e) {
  char path[4400], err[4500];
  if (experiment_assign_folds(e, e->a.seed, 0) || why_init(e)) return -1;
  const suite_t *s = &e->a.suite;
  fold_model_t ctx[SUITE_MAX];
  fold_tuned_t tuned[SUITE_MAX];
  cv_setup_t setup[SUITE_MAX];
  make_setups(e, e->a.seed, 0, setup, ctx, tuned);
  cv_result_t *res = e->runs[0], *parts[SUITE_MAX];
  const char *keys[SUITE_MAX];
  fold_why_t *own[SUITE_MAX];
  int max_epochs[SUITE_MAX], missing = 0;
  for (int m = 0; m < s->trained; m++) {
    max_epochs[m] = setup[m].max_epochs;
    if (result_on_folds(e, &setup[m], &res[m])) return -1;
    e->have[m] = 1;
  }
  part_models(e, parts, keys, own);
  for (int f = 0; f < e->k_folds; f++) {
    fold_part_path(e, f, path, sizeof path);
    if (fold_part_read(path, f, parts, keys, s->trained, e->rows.n, e->K, max_epochs, &e->why, own, err, sizeof err))
      fprintf(stderr, "genre experiment --merge: %s\n", err), missing++;
  }
  if (missing)
    return fprintf(stderr, "genre experiment --merge: %d of %d folds missing or damaged: nothing written\n", missing,
                   e->k_folds), -1;
  for (int m = 0; m < s->trained; m++) {
    for (size_t i = 0; i < e->rows.n; i++) res[m].fold[res[m].fold_of_row[i]].n_test++;
    cv_cross_temperatures(&setup[m], &res[m]);
    cv_score(&setup[m], &res[m]);
  }
  return not_trained(e, res, setup, 1) || not_trained(e, res, setup, 0) || merge_repeats(e);
}

/* --save-models' provenance: the data, and the cross-validation figures of the
 * same model under the experiment's protocol. */
static char *experiment_about(const experiment_t *e, int m, size_t rows, size_t tracks) {
  char figures[400], protocol[300];
  double acc, acc_sd, vote, vote_sd;
  cv_mean_std(&e->res[m], CV_FIELD(accuracy), &acc, &acc_sd);
  cv_mean_std(&e->res[m], CV_FIELD(track_vote), &vote, &vote_sd);
  snprintf(figures, sizeof figures,
           "{\"segment_accuracy_mean\": %.4f, \"segment_accuracy_std\": %.4f, \"track_accuracy_mean\": %.4f, "
           "\"track_accuracy_std\": %.4f, \"fits\": %d}", acc, acc_sd, vote, vote_sd, e->res[m].folds);
  snprintf(protocol, sizeof protocol, "figures: %s (genre experiment, seed %lu); then trained on every row",
           e->a.leaky ? "random 80/20 split of segments (leaky)" : e->a.split_dir ? "a published split" :
           "stratified k-fold cross-validation grouped by track", e->a.seed);
  return model_about("genre experiment --save-models", e->a.data ? e->a.data : e->a.features, rows, tracks, protocol,
                     figures);
}

/* --tune with --save-models: the search once more, on every row, for the saved model's values. 0, or -1. */
static int tune_all(experiment_t *e, int m, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                    kind_opts_t *o, char *err, size_t errlen) {
  suite_model_t *sm = &e->a.suite.model[m];
  const tune_log_t *l = &e->tune[m];
  fold_model_t fm = {sm->kind, &e->view[sm->mel], &sm->o, NULL, 0, NULL};
  size_t n = n_train + n_val, *all = malloc((n + 1) * sizeof *all);
  double *score = malloc(((size_t)l->n_cand + 1) * sizeof *score);
  int c = -1;
  if (all && score) {
    memcpy(all, train, n_train * sizeof *all), memcpy(all + n_train, val, n_val * sizeof *all);
    c = tune_choose(&fm, l, all, n, e->a.seed ^ 0x7475ul, o, score, err, errlen);
  } else {
    snprintf(err, errlen, "out of memory");
  }
  if (c >= 0) {
    fprintf(stderr, "genre experiment: %s tuned on every row:", sm->key);
    for (int p = 0; p < l->search->n; p++) {
      char v[32];
      tune_value_text(l->search, l->cand[c], p, v, sizeof v);
      fprintf(stderr, "%s %s %s", p ? "," : "", l->search->p[p].name, v);
    }
    fprintf(stderr, " (inner accuracy %.3f)\n", score[c]);
  }
  free(all), free(score);
  return c < 0 ? -1 : 0;
}

/* Model m's temperatures and weights on train[] (val[] held out where its
 * preset holds a share out): as in a fold, except that with folds T is
 * fitted on every out-of-fold row (the recipe's calibration on models
 * trained on (k-1)/k of these tracks). 0, or -1. */
static int fit_all(experiment_t *e, int m, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
                   model_t *model, epoch_log_t *log, char *err, size_t errlen) {
  suite_model_t *sm = &e->a.suite.model[m];
  const model_kind_t *k = sm->kind;
  const kind_data_t *d = &e->view[sm->mel];
  kind_opts_t o = sm->o;
  if (e->tune[m].search && tune_all(e, m, train, n_train, val, n_val, &o, err, errlen)) return -1;
  double T[2] = {1, 1};
  size_t t_rows[2];
  int own = !e->a.no_calibrate && one_fold(&e->a), fit = 0;
  if (!e->a.no_calibrate && !own) {
    const cv_setup_t s = {.y = e->rows.y, .group = e->rows.unit, .track = e->rows.track, .n_rows = e->rows.n, .K = e->K};
    T[0] = cv_fold_temperature(&s, &e->runs[0][m], -1), T[1] = cv_fold_track_temperature(&s, &e->runs[0][m], -1);
  }
  if (own) fit = kind_temperature(k, d, train, n_train, val, n_val, &o, NULL, T, t_rows, err, errlen);
  if (fit == 0) fit = k->fit(d, train, n_train, val, n_val, &o, model, log, NULL, err, errlen);
  if (fit == 0 && own && (fit = kind_temperature(k, d, train, n_train, val, n_val, &o, model, T, t_rows, err, errlen)))
    model_free(model);
  if (fit == 0) model->temperature = (float)T[0], model->track_temperature = (float)T[1];
  return fit;
}

/* --save-models: model m trained on every row of the experiment, saved. */
static int save_model(experiment_t *e, int m, char *err, size_t errlen) {
  rows_t *rows = &e->rows;
  suite_model_t *sm = &e->a.suite.model[m];
  kind_common_t c = sm->kind->common(&sm->o);
  const kind_data_t *d = &e->view[sm->mel];
  size_t n = rows->n, n_train, n_val;
  size_t *all = malloc(n * sizeof *all), *train = malloc(n * sizeof *train), *val = malloc(n * sizeof *val);
  epoch_log_t *log = calloc((size_t)c.train->epochs, sizeof *log);
  model_t model;
  int rc = -1;
  if (!all || !train || !val || !log) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  c.train->seed = e->a.seed;
  for (size_t i = 0; i < n; i++) all[i] = sm->mel ? rows->mel_row[i] : rows->ann_row[i];
  split_validation(all, n, d->group, d->y, d->n_groups, *c.val_fraction, e->a.seed, train, &n_train, val, &n_val);
  snprintf(sm->saved, sizeof sm->saved, "%s/%s.model", e->a.save_models, sm->key);
  fprintf(stderr, "genre experiment: training %s on all %zu segments -> %s\n", sm->key, n, sm->saved);
  if (fit_all(e, m, train, n_train, val, n_val, &model, log, err, errlen) == 0) {
    model.about = experiment_about(e, m, n, d->n_groups);
    rc = dist_leader() ? model_save(&model, sm->saved, err, errlen) : 0;
    model_free(&model);
  }
out:
  free(all), free(train), free(val), free(log);
  if (rc) sm->saved[0] = '\0';
  return rc;
}

int experiment_save_models(experiment_t *e) {
  char err[4500];
  if (!e->a.save_models) return 0;
  if (dist_leader() && make_dirs(e->a.save_models, err, sizeof err)) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  for (int m = 0; m < e->a.suite.trained; m++)
    if (e->have[m] && save_model(e, m, err, sizeof err))
      return fprintf(stderr, "genre experiment: saving %s: %s\n", e->a.suite.model[m].key, err), -1;
  return 0;
}

static int cmp_group(const void *a, const void *b, void *names) {
  char **n = names;
  return strcmp(n[*(const size_t *)a], n[*(const size_t *)b]);
}

/* Each track's audio file (from mel/index.csv's path column), by track name;
 * NULL when the spectrograms are not in the experiment. Borrowed strings. */
static char **track_paths(const experiment_t *e) {
  const mel_dataset_t *mel = &e->mel;
  if (!mel->paths || !e->rows.n_tracks) return NULL;
  char **paths = calloc(e->rows.n_tracks, sizeof *paths);
  size_t *order = malloc(mel->n_groups * sizeof *order);
  for (size_t g = 0; order && g < mel->n_groups; g++) order[g] = g;
  if (order) qsort_r(order, mel->n_groups, sizeof *order, cmp_group, mel->groups);
  for (size_t t = 0; paths && order && t < e->rows.n_tracks; t++) {
    size_t lo = 0, hi = mel->n_groups;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      int c = strcmp(mel->groups[order[mid]], e->rows.tracks[t]);
      if (c == 0) {
        paths[t] = mel->paths[order[mid]];
        break;
      }
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
  }
  free(order);
  return paths;
}

/* folds.csv: track,repeat,fold -- every repeat's assignment of the tracks the
 * experiment used (segments under random-split; test, train or valid under a
 * published split), 1-based, as another tool needs it to train on the same
 * folds. 0, or -1 with the reason. */
int experiment_write_folds(const experiment_t *e, const char *path, char *err, size_t errlen) {
  const rows_t *rows = &e->rows;
  unsigned char *used = calloc(e->units ? e->units : 1, 1);
  outfile_t o;
  if (!used) return snprintf(err, errlen, "out of memory"), -1;
  if (outfile_open(&o, path, err, errlen)) return free(used), -1;
  for (size_t i = 0; i < rows->n; i++) used[e->a.leaky ? i : (size_t)rows->track[i]] = 1;
  fputs("track,repeat,fold\n", o.f);
  for (int r = 0; r < e->a.repeats; r++)
    for (size_t u = 0; u < e->units; u++) {
      if (!used[u]) continue;
      int f = e->folds_log[(size_t)r * e->units + u];
      csv_put_text(o.f, e->a.leaky ? rows->names[u] : rows->tracks[u], 1), csv_put_integer(o.f, r + 1, 0);
      if (e->a.split_dir) csv_put_text(o.f, f == 0 ? "test" : e->val_unit[u] ? "valid" : "train", 0);
      else csv_put_integer(o.f, f + 1, 0);
      csv_end_row(o.f);
    }
  free(used);
  return outfile_commit(&o, 1, err, errlen);
}

/* The report's view of the models (setup lines into lines[m]). */
static void report_models(experiment_t *e, report_model_t *rm, char (*lines)[400]) {
  const suite_t *s = &e->a.suite;
  int ann = suite_first(s, "ann");
  for (int m = 0; m < s->n; m++) {
    const suite_model_t *sm = &s->model[m];
    suite_setup_line(sm, lines[m], sizeof lines[m]);
    rm[m] = (report_model_t){.key = sm->key, .title = sm->title, .name = sm->name, .result = &e->res[m],
                             .trained = sm->kind != NULL, .curves = sm->kind && sm->kind->networks, .why = m == ann,
                             .members = sm->members, .member = sm->member, .setup = lines[m][0] ? lines[m] : NULL,
                             .saved = sm->saved[0] ? sm->saved : NULL,
                             .tuned = e->tune[m].search ? &e->tune[m] : NULL,
                             .importance = m == ann && e->why.K ? &e->why : e->own[m].K ? &e->own[m] : NULL};
  }
}

/* The report, written in a fresh directory next to the destination, then swapped in. 0, or -1. */
int experiment_write_report(experiment_t *e, int argc, char **argv) {
  char tmp[4300], parent[4200], err[4500];
  if (!dist_leader()) return 0; /* rank 0 writes */
  const char *out = e->a.out;
  snprintf(parent, sizeof parent, "%s", out);
  char *slash = strrchr(parent, '/');
  if (slash) *slash = '\0';
  if (slash && make_dirs(parent, err, sizeof err)) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", out);
  if (!mkdtemp(tmp)) return fprintf(stderr, "genre experiment: %s: cannot create a directory: %s\n", tmp, strerror(errno)), -1;
  mode_t mask = umask(022);
  umask(mask);
  chmod(tmp, 0777 & ~mask); /* mkdtemp makes it private; a report is for reading */
  rows_t *rows = &e->rows;
  report_model_t models[SUITE_MAX];
  char lines[SUITE_MAX][400];
  report_models(e, models, lines);
  report_t rep = {.labels = e->labels, .K = e->K, .rows = rows->n, .tracks = rows->n_tracks, .names = rows->names,
                  .track_names = rows->tracks, .track = rows->track, .y = rows->y, .leaky = e->a.leaky,
                  .folds = e->k_folds, .seed = e->a.seed, .data = e->a.data ? e->a.data : e->a.features,
                  .argc = argc, .argv = argv, .n_models = e->a.suite.n, .model = models, .repeats = e->a.repeats,
                  .split_dir = e->a.split_dir, .split = e->split};
  char **paths = track_paths(e);
  rep.track_paths = paths;
  rep.thin_classes = e->thin_classes;
  rep.why = e->why.K ? &e->why : NULL;
  char folds_path[4400];
  snprintf(folds_path, sizeof folds_path, "%s/folds.csv", tmp);
  if (report_write(&rep, tmp, err, sizeof err) || experiment_write_folds(e, folds_path, err, sizeof err) ||
      swap_in(tmp, out, err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", err);
    if (remove_tree(tmp)) fprintf(stderr, "genre experiment: could not remove %s\n", tmp);
    free(paths);
    return -1;
  }
  free(paths);
  report_print_table(&rep, stdout);
  printf("\nreport: %s/report.md and report.html\n", out);
  for (int m = 0; m < rep.n_models; m++)
    if (models[m].saved) printf("saved: %s\n", models[m].saved);
  return 0;
}

void experiment_free(experiment_t *e) {
  for (int r = 0; r < MAX_REPEATS; r++)
    for (int m = 0; m < SUITE_MAX; m++)
      if (e->runs[r][m].fold) cv_result_free(&e->runs[r][m]);
  for (int m = 0; m < SUITE_MAX; m++) free(e->res[m].fold); /* the rest is runs[0]'s */
  free(e->fold_of_unit), free(e->val_unit), free(e->folds_log);
  fold_why_free(&e->why);
  for (int m = 0; m < SUITE_MAX; m++) fold_why_free(&e->own[m]);
  rows_free(&e->rows);
  if (e->have_table) dataset_free(&e->table);
  if (e->have_mel) mel_dataset_free(&e->mel);
  for (int m = 0; m < SUITE_MAX; m++) tune_log_free(&e->tune[m]);
  suite_free(&e->a.suite);
}
