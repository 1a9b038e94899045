#include "report.h"

#include "names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "compare.h"
#include "dist.h"
#include "json.h"
#include "outfile.h"
#include "svg.h"

typedef struct summary {
  double acc, acc_sd, vote, vote_sd, mean, mean_sd, top2, top2_sd, f1, f1_sd, seconds;
} summary_t;

/* The BLAS kernels that computed the numbers: the same seed gives the same
 * bits on the same kernels (OpenBLAS picks them per processor, and e.g. its
 * SkylakeX and Haswell sgemm kernels round differently). */
extern char *openblas_get_corename(void) __attribute__((weak));
static const char *blas_core(void) {
  const char *c = getenv("OPENBLAS_CORETYPE");
  return c && *c ? c : openblas_get_corename ? openblas_get_corename() : "unknown";
}

/* The paired comparisons of the models (rows malloc'd): the count, or -1. */
int report_comparisons(const report_t *r, compare_row_t **rows) {
  const cv_result_t *res[r->n_models + 1];
  for (int m = 0; m < r->n_models; m++) res[m] = r->model[m].result;
  compare_input_t in = {.result = res, .n_models = r->n_models, .y = r->y, .track = r->track, .rows = r->rows,
                        .tracks = r->tracks, .K = r->K};
  return compare_models(&in, rows);
}

static void json_comparisons(const report_t *r, json_t *j) {
  compare_row_t *rows = NULL;
  int n = report_comparisons(r, &rows);
  json_key(j, "comparisons"), json_array(j);
  for (int i = 0; i < n; i++) {
    json_object(j);
    json_key(j, "a"), json_string(j, r->model[rows[i].a].key);
    json_key(j, "b"), json_string(j, r->model[rows[i].b].key);
    json_key(j, "metric"), json_string(j, rows[i].metric);
    json_key(j, "difference"), json_number(j, rows[i].c.difference);
    json_key(j, "ci_low"), json_number(j, rows[i].c.ci_low);
    json_key(j, "ci_high"), json_number(j, rows[i].c.ci_high);
    json_key(j, "p"), json_number(j, rows[i].c.p);
    json_key(j, "p_holm"), json_number(j, rows[i].p_holm);
    json_key(j, "test"), json_string(j, rows[i].test);
    json_key(j, "n"), json_int(j, (long long)rows[i].n);
    json_close(j, 1);
  }
  json_close(j, 0);
  free(rows);
}

/* "CNN − ANN, track accuracy (McNemar's exact test, 200 tracks): +3.1 points [−0.4, +6.6], p = 0.08: not
 * significant at 0.05." */
static void md_comparisons(const report_t *r, FILE *f) {
  compare_row_t *rows = NULL;
  int n = report_comparisons(r, &rows), pairs = r->n_models * (r->n_models - 1) / 2;
  if (n <= 0) {
    free(rows);
    return;
  }
  fprintf(f, "## Paired comparisons\n\nDifferences of accuracy in points (a − b) with a 95%% confidence interval and a "
             "two-sided p-value. McNemar's exact test pairs the two models' verdicts on every track (a track's "
             "verdict: the arg-max of its segments' mean probability); the corrected resampled t-test (Nadeau & "
             "Bengio 2003) pairs their accuracies fold by fold, with the variance inflated for the overlap of the "
             "training sets (a plain paired t-test over folds is overconfident). Segments of one track are not "
             "independent, so segment accuracy is compared fold by fold only.");
  if (pairs > 1)
    fprintf(f, " With %d pairs, some would look significant by chance: p_Holm is each p-value adjusted by Holm's "
               "step-down method over the %d pairs compared by the same test (the chance of any false claim stays "
               "under 0.05), and significance is read from it.", pairs, pairs);
  fprintf(f, "\n\n");
  for (int i = 0; i < n; i++) {
    const compare_row_t *c = &rows[i];
    int mc = c->test[0] == 'm';
    if (mc && c->c.difference == 0 && c->c.ci_low == 0 && c->c.ci_high == 0) { /* nothing discordant: no interval */
      fprintf(f, "- %s − %s, track accuracy (McNemar's exact test, %zu tracks): no discordant tracks (every track right "
                 "for both or wrong for both): no difference to test.\n", r->model[c->a].name, r->model[c->b].name, c->n);
      continue;
    }
    double p = pairs > 1 ? c->p_holm : c->c.p;
    fprintf(f, "- %s − %s, %s (%s, %zu %s): %+.1f points [%+.1f, %+.1f], p = %.3g", r->model[c->a].name,
            r->model[c->b].name, c->metric[0] == 't' ? "track accuracy" : "segment accuracy",
            mc ? "McNemar's exact test" : "corrected resampled t-test", c->n, mc ? "tracks" : "folds",
            100 * c->c.difference, 100 * c->c.ci_low, 100 * c->c.ci_high, c->c.p);
    if (pairs > 1) fprintf(f, ", p_Holm = %.3g", c->p_holm);
    fprintf(f, ": %s at 0.05.\n", p < 0.05 ? "significant" : "not significant");
  }
  fprintf(f, "\n");
  free(rows);
}

/* A metric's 95% interval over the fits, with the corrected resampled
 * t-test's variance, within [0, 1] (NaN bounds from a single fit: no interval). */
static comparison_t metric_ci(const cv_result_t *res, size_t rows, size_t field) {
  double v[2048], n_test = 0;
  int J = res->folds < 2048 ? res->folds : 2048;
  for (int f = 0; f < J; f++) {
    v[f] = *(const double *)((const char *)&res->fold[f] + field);
    n_test += (double)res->fold[f].n_test / J;
  }
  if (J < 2) return (comparison_t){.ci_low = NAN, .ci_high = NAN};
  comparison_t c = corrected_t(v, (size_t)J, n_test, (double)rows - n_test);
  c.ci_low = fmax(c.ci_low, 0.0), c.ci_high = fmin(c.ci_high, 1.0); /* proportions */
  return c;
}

static summary_t summarise(const cv_result_t *r) {
  summary_t s;
  cv_mean_std(r, CV_FIELD(accuracy), &s.acc, &s.acc_sd);
  cv_mean_std(r, CV_FIELD(track_vote), &s.vote, &s.vote_sd);
  cv_mean_std(r, CV_FIELD(track_mean), &s.mean, &s.mean_sd);
  cv_mean_std(r, CV_FIELD(top2), &s.top2, &s.top2_sd);
  cv_mean_std(r, CV_FIELD(macro_f1), &s.f1, &s.f1_sd);
  s.seconds = 0;
  for (int f = 0; f < r->folds; f++) s.seconds += r->fold[f].seconds;
  return s;
}

/* Text in Markdown (a table cell too): one line, valid UTF-8, no bare '|',
 * and nothing a renderer would take as HTML (Markdown passes inline HTML
 * through): <, > and & as entities. */
void report_md_text(FILE *f, const char *s) {
  for (s = shown(s, 2); *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else {
      if (strchr("|`*_[]\\", *s)) fputc('\\', f);
      fputc(*s, f);
    }
  }
}

/* A code span of s (paths, commands): inside one, Markdown reads no HTML; its
 * fence is one backtick longer than the longest run in s (CommonMark). */
void report_md_code(FILE *f, const char *s) {
  s = shown(s, 2);
  int longest = 0;
  for (const char *p = s; *p;) {
    int run = 0;
    while (*p == '`') run++, p++;
    if (run > longest) longest = run;
    if (*p) p++;
  }
  for (int i = 0; i <= longest; i++) fputc('`', f);
  fprintf(f, longest ? " %s " : "%s", s);
  for (int i = 0; i <= longest; i++) fputc('`', f);
}

static void command_line(const report_t *r, FILE *f) {
  fputs("genre", f);
  for (int i = 0; i < r->argc; i++) fprintf(f, strpbrk(r->argv[i], " \t'\"") ? " '%s'" : " %s", shown(r->argv[i], 2));
}

static const char *protocol_text(const report_t *r) {
  return r->leaky       ? "random 80/20 split of segments (the Keras GTZAN projects' protocol) -- LEAKY"
         : r->split_dir ? "a published split: trained on its train tracks, tested on its test tracks"
                        : "stratified k-fold cross-validation grouped by track";
}

/* Which published figures this run's can be set beside, and which not. */
static const char *comparability(const report_t *r) {
  if (r->leaky)
    return "Comparable with the published Keras GTZAN projects' figures, which come from random segment splits (e.g. "
           "72-73% for their feature models), and with nothing else: segments of one track are on both sides, so "
           "these figures are inflated.";
  if (r->split_dir && r->split.absent)
    return "Not comparable with figures published on this split: some of its listed tracks are not in the data, so "
           "this test is not the published one (compare it only with other runs on the same data).";
  if (r->split_dir && strstr(r->split_dir, "fault_filtered"))
    return "Comparable with the figures published on GTZAN's fault-filtered split (test track accuracy: MFCC + SVM "
           "about 53%, small CNNs trained from scratch about 54%) when the data is all of GTZAN; not with figures "
           "from random splits of GTZAN, whose replicas and shared artists inflate them.";
  if (r->split_dir) return "Comparable with figures published on the same split of the same data.";
  return "Comparable with other track-grouped cross-validations of the same data. Not with the published Keras GTZAN "
         "projects' figures (their random segment splits leak: segments of one track on both sides) nor with GTZAN's fault-filtered split "
         "(which also removes replicas and keeps each artist on one side: use --protocol "
         "split:data/splits/gtzan_fault_filtered for that).";
}

void report_print_table(const report_t *r, FILE *f) {
  int w = 22;
  for (int m = 0; m < r->n_models; m++) w = (int)strlen(r->model[m].title) > w ? (int)strlen(r->model[m].title) : w;
  fprintf(f, "%-*s %-17s %-17s %-17s %-17s %-17s %9s\n", w, "model", "segment acc", "track acc (vote)",
          "track acc (mean)", "top-2", "macro F1", "train s");
  for (int m = 0; m < r->n_models; m++) {
    summary_t s = summarise(r->model[m].result);
    fprintf(f, "%-*s %.3f +- %.3f    %.3f +- %.3f    %.3f +- %.3f    %.3f +- %.3f    %.3f +- %.3f    %9.1f\n", w,
            r->model[m].title, s.acc, s.acc_sd, s.vote, s.vote_sd, s.mean, s.mean_sd, s.top2, s.top2_sd, s.f1, s.f1_sd,
            s.seconds);
  }
  int fits = r->n_models ? r->model[0].result->folds : 0;
  fprintf(f, "(%s; mean +- std over %d fit%s%s; chance %.3f)\n", protocol_text(r), fits, fits == 1 ? "" : "s",
          r->repeats > 1 ? (r->split_dir ? ", one per seed" : ", repeats x folds") : "", 1.0 / r->K);
  fprintf(f, "%s\n", comparability(r));
}

static int open_out(outfile_t *o, const char *dir, const char *name, char *err, size_t errlen) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return outfile_open(o, path, err, errlen);
}

static int write_confusion(const report_t *r, int m, const char *dir, char *err, size_t errlen) {
  const cv_result_t *res = r->model[m].result;
  char name[128];
  outfile_t o;
  snprintf(name, sizeof name, "confusion_%s.csv", r->model[m].key);
  if (open_out(&o, dir, name, err, errlen)) return -1;
  csv_put_text(o.f, "true\\predicted", 1);
  for (int k = 0; k < r->K; k++) csv_put_text(o.f, r->labels[k], 0);
  csv_end_row(o.f);
  for (int i = 0; i < r->K; i++) {
    csv_put_text(o.f, r->labels[i], 1);
    for (int j = 0; j < r->K; j++) csv_put_integer(o.f, res->segments.confusion[(size_t)i * r->K + j], 0);
    csv_end_row(o.f);
  }
  if (outfile_commit(&o, 0, err, errlen)) return -1;
  snprintf(name, sizeof name, "confusion_%s.svg", r->model[m].key);
  if (open_out(&o, dir, name, err, errlen)) return -1;
  summary_t s = summarise(res);
  char t[256];
  snprintf(t, sizeof t, "%s: segment accuracy %.3f +- %.3f (summed over %d fold%s)", r->model[m].title, s.acc, s.acc_sd, res->folds,
           res->folds == 1 ? "" : "s");
  svg_confusion(o.f, res->segments.confusion, r->K, r->labels, t);
  return outfile_commit(&o, 0, err, errlen);
}

/* mean over folds of each epoch's values (folds that ran that long) */
static void mean_curve(const cv_result_t *res, size_t offset, int epochs, double *out) {
  for (int e = 0; e < epochs; e++) {
    double sum = 0;
    int n = 0;
    for (int f = 0; f < res->folds; f++) {
      if (e >= res->fold[f].epochs) continue;
      double v = *(const double *)((const char *)&res->fold[f].log[e] + offset);
      if (!isnan(v)) sum += v, n++;
    }
    out[e] = n ? sum / n : NAN;
  }
}

static int write_curves(const report_t *r, int m, const char *dir, char *err, size_t errlen) {
  const cv_result_t *res = r->model[m].result;
  int epochs = 0;
  for (int f = 0; f < res->folds; f++) epochs = res->fold[f].epochs > epochs ? res->fold[f].epochs : epochs;
  if (epochs == 0) return 0;
  double *v = malloc(6 * (size_t)epochs * sizeof(double));
  if (!v) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  double *tl = v, *ta = v + epochs, *hl = v + 2 * epochs, *ha = v + 3 * epochs, *vl = v + 4 * epochs, *va = v + 5 * epochs;
  mean_curve(res, offsetof(epoch_log_t, train_loss), epochs, tl);
  mean_curve(res, offsetof(epoch_log_t, train_acc), epochs, ta);
  mean_curve(res, offsetof(epoch_log_t, test_loss), epochs, hl);
  mean_curve(res, offsetof(epoch_log_t, test_acc), epochs, ha);
  mean_curve(res, offsetof(epoch_log_t, val_loss), epochs, vl);
  mean_curve(res, offsetof(epoch_log_t, val_acc), epochs, va);
  int has_val = 0;
  for (int e = 0; e < epochs; e++) has_val |= !isnan(vl[e]);
  curve_t loss[3] = {{"training", tl, "#1f77b4", 0}, {"test fold", hl, "#d62728", 1}, {"validation", vl, "#2ca02c", 1}};
  curve_t acc[3] = {{"training", ta, "#1f77b4", 0}, {"test fold", ha, "#d62728", 1}, {"validation", va, "#2ca02c", 1}};
  char name[128], t[256];
  snprintf(name, sizeof name, "curves_%s.svg", r->model[m].key);
  snprintf(t, sizeof t, "%s: mean over %d fold%s (training loss on augmented / mixed batches)", r->model[m].title, res->folds,
           res->folds == 1 ? "" : "s");
  outfile_t o;
  int rc = open_out(&o, dir, name, err, errlen);
  if (!rc) {
    svg_curves(o.f, t, epochs, loss, has_val ? 3 : 2, acc, has_val ? 3 : 2);
    rc = outfile_commit(&o, 0, err, errlen);
  }
  free(v);
  return rc;
}

static void json_metrics(const report_t *r, json_t *j, int m) {
  const cv_result_t *res = r->model[m].result;
  summary_t s = summarise(res);
  json_object(j);
  json_key(j, "accuracy_mean"), json_number(j, s.acc);
  json_key(j, "accuracy_std"), json_number(j, s.acc_sd);
  json_key(j, "track_accuracy_mean"), json_number(j, s.vote);
  json_key(j, "track_accuracy_std"), json_number(j, s.vote_sd);
  json_key(j, "track_accuracy_meanprob_mean"), json_number(j, s.mean);
  json_key(j, "track_accuracy_meanprob_std"), json_number(j, s.mean_sd);
  json_key(j, "top2_mean"), json_number(j, s.top2);
  json_key(j, "top2_std"), json_number(j, s.top2_sd);
  json_key(j, "macro_f1_mean"), json_number(j, s.f1);
  json_key(j, "macro_f1_std"), json_number(j, s.f1_sd);
  static const struct {
    const char *name;
    size_t field;
  } cis[] = {{"accuracy", CV_FIELD(accuracy)}, {"track_accuracy", CV_FIELD(track_vote)},
             {"track_accuracy_meanprob", CV_FIELD(track_mean)}, {"top2", CV_FIELD(top2)}, {"macro_f1", CV_FIELD(macro_f1)}};
  for (size_t i = 0; i < sizeof cis / sizeof *cis; i++) {
    comparison_t c = metric_ci(res, r->rows, cis[i].field);
    char k[64];
    snprintf(k, sizeof k, "%s_ci_low", cis[i].name), json_key(j, k), json_number(j, c.ci_low);
    snprintf(k, sizeof k, "%s_ci_high", cis[i].name), json_key(j, k), json_number(j, c.ci_high);
  }
  json_key(j, "pooled"), json_object(j);
  json_key(j, "accuracy"), json_number(j, res->segments.accuracy);
  json_key(j, "track_accuracy"), json_number(j, res->tracks.accuracy);
  json_key(j, "top2"), json_number(j, res->segments.top2);
  json_key(j, "macro_f1"), json_number(j, res->segments.macro_f1);
  json_close(j, 1);
  json_key(j, "per_class"), json_object(j);
  for (int k = 0; k < r->K; k++) {
    json_key(j, r->labels[k]), json_object(j);
    json_key(j, "precision"), json_number(j, res->segments.precision[k]);
    json_key(j, "recall"), json_number(j, res->segments.recall[k]);
    json_key(j, "f1"), json_number(j, res->segments.f1[k]);
    json_close(j, 1);
  }
  json_close(j, 1);
  json_key(j, "folds"), json_array(j);
  for (int f = 0; f < res->folds; f++) {
    const cv_fold_t *fd = &res->fold[f];
    json_object(j);
    json_key(j, "fold"), json_int(j, f % (res->folds / (r->repeats > 0 ? r->repeats : 1)) + 1);
    json_key(j, "test_rows"), json_int(j, (long long)fd->n_test);
    json_key(j, "test_tracks"), json_int(j, (long long)fd->n_tracks);
    json_key(j, "accuracy"), json_number(j, fd->accuracy);
    json_key(j, "track_accuracy"), json_number(j, fd->track_vote);
    json_key(j, "track_accuracy_meanprob"), json_number(j, fd->track_mean);
    json_key(j, "top2"), json_number(j, fd->top2);
    json_key(j, "macro_f1"), json_number(j, fd->macro_f1);
    if (r->model[m].trained) json_key(j, "epochs"), json_int(j, fd->epochs);
    if (r->repeats > 1) json_key(j, "repeat"), json_int(j, f / (res->folds / r->repeats) + 1);
    json_close(j, 1);
  }
  json_close(j, 0);
  json_counts(j, "confusion", res->segments.confusion, r->K, r->K);
  json_counts(j, "track_confusion", res->tracks.confusion, r->K, r->K);
  report_json_calibration(r, j, m);
  report_json_why(r, j, m);
  report_json_tuned(r, j, m);
  json_close(j, 1);
}

static int write_json(const report_t *r, const char *dir, char *err, size_t errlen) {
  outfile_t o;
  if (open_out(&o, dir, "metrics.json", err, errlen)) return -1;
  json_t j;
  json_begin(&j, o.f);
  json_key(&j, "protocol"), json_string(&j, r->leaky ? "random-split" : r->split_dir ? "split" : "grouped-kfold");
  json_key(&j, "leaky"), json_bool(&j, r->leaky);
  json_key(&j, "folds"), json_int(&j, r->split_dir ? 1 : r->folds);
  json_key(&j, "repeats"), json_int(&j, r->repeats);
  json_key(&j, "blas_core"), json_string(&j, blas_core());
  json_key(&j, "processes"), json_int(&j, dist_size()); /* ranks sharing each training batch */
  if (r->split_dir) {
    json_key(&j, "split"), json_object(&j);
    json_key(&j, "dir"), json_string(&j, r->split_dir);
    json_key(&j, "train_tracks"), json_int(&j, (long long)r->split.train);
    json_key(&j, "valid_tracks"), json_int(&j, (long long)r->split.valid);
    json_key(&j, "test_tracks"), json_int(&j, (long long)r->split.test);
    json_key(&j, "listed_absent"), json_int(&j, (long long)r->split.absent);
    json_key(&j, "present_unlisted"), json_int(&j, (long long)r->split.unlisted);
    json_close(&j, 1);
  }
  json_key(&j, "seed"), json_int(&j, (long long)r->seed);
  json_key(&j, "data"), json_string(&j, r->data);
  json_key(&j, "segments"), json_int(&j, (long long)r->rows);
  json_key(&j, "tracks"), json_int(&j, (long long)r->tracks);
  json_key(&j, "chance"), json_number(&j, 1.0 / r->K);
  json_key(&j, "labels"), json_array(&j);
  for (int k = 0; k < r->K; k++) json_string(&j, r->labels[k]);
  json_close(&j, 0);
  json_key(&j, "models"), json_object(&j);
  for (int m = 0; m < r->n_models; m++) json_key(&j, r->model[m].key), json_metrics(r, &j, m);
  json_close(&j, 1);
  json_comparisons(r, &j);
  json_end(&j);
  if (outfile_commit(&o, 1, err, errlen)) return -1;
  /* timings differ from run to run: their own file */
  if (open_out(&o, dir, "timings.json", err, errlen)) return -1;
  json_begin(&j, o.f);
  for (int m = 0; m < r->n_models; m++) {
    const cv_result_t *res = r->model[m].result;
    json_key(&j, r->model[m].key), json_object(&j);
    json_key(&j, "train_seconds_total"), json_number(&j, summarise(res).seconds);
    json_key(&j, "train_seconds_per_fold"), json_array(&j);
    for (int f = 0; f < res->folds; f++) json_number(&j, res->fold[f].seconds);
    json_close(&j, 0);
    json_close(&j, 1);
  }
  json_end(&j);
  return outfile_commit(&o, 0, err, errlen);
}

static int write_predictions(const report_t *r, const char *dir, char *err, size_t errlen) {
  outfile_t o;
  if (open_out(&o, dir, "predictions.csv", err, errlen)) return -1;
  const char *head[] = {"model", "fold", "track", "segment", "true", "predicted"};
  for (int i = 0; i < 6; i++) csv_put_text(o.f, head[i], i == 0);
  for (int k = 0; k < r->K; k++) {
    char col[300];
    snprintf(col, sizeof col, "p_%s", r->labels[k]);
    csv_put_text(o.f, col, 0);
  }
  csv_end_row(o.f);
  for (int m = 0; m < r->n_models; m++) {
    const cv_result_t *res = r->model[m].result;
    for (size_t i = 0; i < r->rows; i++) {
      int fold = res->fold_of_row[i];
      if (fold >= res->folds) continue; /* not evaluated (random split: the training side) */
      const real *p = res->probs + i * r->K;
      csv_put_text(o.f, r->model[m].key, 1);
      csv_put_integer(o.f, fold + 1, 0);
      csv_put_text(o.f, r->track_names[r->track[i]], 0);
      csv_put_text(o.f, r->names[i], 0);
      csv_put_text(o.f, r->labels[r->y[i]], 0);
      csv_put_text(o.f, r->labels[argmax(p, r->K)], 0);
      for (int k = 0; k < r->K; k++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.6f", (double)p[k]);
        csv_put_text(o.f, buf, 0);
      }
      csv_end_row(o.f);
    }
  }
  return outfile_commit(&o, 0, err, errlen);
}

static void per_class_table(const report_t *r, FILE *f, int m) {
  const metrics_t *s = &r->model[m].result->segments;
  fprintf(f, "| class | precision | recall | F1 | segments |\n|---|---|---|---|---|\n");
  for (int k = 0; k < r->K; k++) {
    long support = 0;
    for (int j = 0; j < r->K; j++) support += s->confusion[(size_t)k * r->K + j];
    fputs("| ", f);
    report_md_text(f, r->labels[k]);
    fprintf(f, " | %.3f | %.3f | %.3f | %ld |\n", s->precision[k], s->recall[k], s->f1[k], support);
  }
}

/* report.md's opening list: the data, protocol, seed, command and presets */
static void md_setup(const report_t *r, FILE *f) {
  fprintf(f, "- **Data**: ");
  report_md_code(f, r->data);
  fprintf(f, " — %zu segments of 3 s from %zu tracks, %d labels (chance %.3f)\n", r->rows, r->tracks, r->K, 1.0 / r->K);
  if (r->leaky)
    fprintf(f, "- **Protocol: random 80/20 split of segments — LEAKY.** Segments of one track land on both sides "
               "of the split, so a model can recognise the track rather than the genre: this overstates accuracy. It "
               "is here only to compare with the figures the Keras GTZAN projects published; use `--protocol grouped-kfold` to judge "
               "models.\n");
  else if (r->split_dir) {
    fprintf(f, "- **Protocol**: the published split in ");
    report_md_code(f, r->split_dir);
    fprintf(f, ": trained on its %zu train tracks (its %zu validation tracks "
               "stop early the models that stop early, and train the others), tested on its %zu test tracks. %zu listed "
               "tracks are not in the data; %zu tracks of the data are not listed and were left out.\n",
            r->split.train, r->split.valid, r->split.test, r->split.absent, r->split.unlisted);
  }
  else
    fprintf(f, "- **Protocol**: %d-fold stratified cross-validation grouped by track: every segment of a track is in "
               "one fold, so no track is on both sides; every model sees the same folds. Standardisation and early "
               "stopping use each fold's training part only.\n",
            r->folds);
  fprintf(f, "- **Comparability**: %s\n", comparability(r));
  if (r->thin_classes)
    fprintf(f, "- **Thin classes**: %d class%s fewer tracks than folds, so some folds test none of %s tracks; "
               "such a fold's macro F1 counts the absent class as 0 (its accuracy is unaffected).\n",
            r->thin_classes, r->thin_classes == 1 ? " has" : "es have", r->thin_classes == 1 ? "its" : "their");
  if (r->repeats > 1)
    fprintf(f, "- **Repeats**: %d %s; every figure below is over all %d fits, except the pooled ones (confusion "
               "matrices, per-class scores, McNemar's test, predictions.csv), which are the first repeat's.\n",
            r->repeats, r->split_dir ? "seeds of every model" : "fold draws", r->model[0].result->folds);
  fprintf(f, "- **Seed**: %lu (the same command gives the same numbers on the same BLAS kernels: here OpenBLAS's "
             "`%s`)\n", r->seed, blas_core());
  if (dist_size() > 1)
    fprintf(f, "- **Processes**: %d MPI ranks shared every training batch (the same model as one process within float "
               "rounding)\n", dist_size());
  char *cmd = NULL;
  size_t cmd_len = 0;
  FILE *c = open_memstream(&cmd, &cmd_len);
  if (c) command_line(r, c), fclose(c);
  fprintf(f, "- **Command**: ");
  report_md_code(f, cmd ? cmd : "genre experiment");
  fprintf(f, "\n");
  free(cmd);
  for (int m = 0; m < r->n_models; m++)
    if (r->model[m].setup) {
      fputs("- **", f), report_md_text(f, r->model[m].name), fprintf(f, "**: %s\n", r->model[m].setup);
    }
}

/* The models by track accuracy (majority vote), best first (ties: the
 * list's order), and the groups of consecutive ones that no comparison tells
 * apart: {first, last} positions, each as long as it goes (McNemar's test on
 * tracks, Holm-adjusted when there are several pairs). The count of groups,
 * or -1 when out of memory. */
static int ranking(const report_t *r, int *order, int (*group)[2]) {
  int M = r->n_models;
  double vote[M + 1];
  for (int m = 0; m < M; m++) order[m] = m, vote[m] = summarise(r->model[m].result).vote;
  for (int i = 1; i < M; i++)
    for (int j = i; j > 0 && vote[order[j]] > vote[order[j - 1]]; j--) {
      int t = order[j];
      order[j] = order[j - 1], order[j - 1] = t;
    }
  compare_row_t *rows = NULL;
  int n = report_comparisons(r, &rows), groups = 0, last = 0;
  if (n < 0) return -1;
  unsigned char differ[M * M + 1];
  memset(differ, 0, sizeof differ);
  for (int i = 0; i < n; i++)
    if (rows[i].test[0] == 'm' && (M > 2 ? rows[i].p_holm : rows[i].c.p) < 0.05)
      differ[rows[i].a * M + rows[i].b] = differ[rows[i].b * M + rows[i].a] = 1;
  free(rows);
  for (int i = 0; i < M; i++) {
    int j = i;
    for (int ok = 1; ok && j + 1 < M; j += ok)
      for (int k = i; k <= j; k++) ok &= !differ[order[k] * M + order[j + 1]];
    if (j > i && j > last) group[groups][0] = i, group[groups][1] = j, groups++, last = j;
  }
  return groups;
}

/* ranking.svg: each model's track accuracy with its interval, best first. */
static int write_ranking(const report_t *r, const char *dir, char *err, size_t errlen) {
  int M = r->n_models, order[M + 1], group[M + 1][2], groups = ranking(r, order, group);
  if (groups < 0) return snprintf(err, errlen, "out of memory"), -1;
  const char *names[M + 1];
  double v[M + 1], lo[M + 1], hi[M + 1];
  for (int i = 0; i < M; i++) {
    const cv_result_t *res = r->model[order[i]].result;
    comparison_t c = metric_ci(res, r->rows, CV_FIELD(track_vote));
    names[i] = r->model[order[i]].title, v[i] = summarise(res).vote, lo[i] = c.ci_low, hi[i] = c.ci_high;
  }
  outfile_t o;
  if (open_out(&o, dir, "ranking.svg", err, errlen)) return -1;
  svg_ranking(o.f, "Track accuracy (majority vote), best first", names, v, lo, hi, M, (const int(*)[2])group, groups,
              "track accuracy, mean over fits, with its 95% interval; bars join models no test tells apart");
  return outfile_commit(&o, 0, err, errlen);
}

/* report.md's opening table: every model ranked, and its figure. */
static void md_ranking(const report_t *r, FILE *f) {
  int M = r->n_models, order[M + 1], group[M + 1][2], groups = ranking(r, order, group);
  fprintf(f, "\n## Ranking (track accuracy)\n\n| rank | model | track accuracy | 95%% interval | macro F1 | segment ECE "
             "(calibrated) | training time per fit |\n|---|---|---|---|---|---|---|\n");
  for (int i = 0; i < M; i++) {
    const report_model_t *m = &r->model[order[i]];
    summary_t s = summarise(m->result);
    comparison_t c = metric_ci(m->result, r->rows, CV_FIELD(track_vote));
    calibration_t seg, trk;
    int cal = report_calibration(r, order[i], 1, &seg, &trk) == 0;
    fprintf(f, "| %d | ", i + 1), report_md_text(f, m->title);
    fprintf(f, " | %.3f | ", s.vote);
    if (isnan(c.ci_low)) fprintf(f, "(one fit) | ");
    else fprintf(f, "[%.3f, %.3f] | ", c.ci_low, c.ci_high);
    fprintf(f, "%.3f | ", s.f1);
    if (cal) fprintf(f, "%.3f | ", seg.ece);
    else fprintf(f, "– | ");
    fprintf(f, "%.3g s%s |\n", m->result->folds ? s.seconds / m->result->folds : 0.0,
            m->members ? " (its models')" : m->trained ? "" : " (elsewhere)");
  }
  fprintf(f, "\n![Ranking](ranking.svg)\n\n");
  if (groups > 0 && M > 2)
    fprintf(f, "Bars join models whose track accuracies no McNemar test tells apart at 0.05 after Holm's adjustment "
               "over the %d pairs.\n", M * (M - 1) / 2);
  else if (groups > 0)
    fprintf(f, "The bar joins two models whose track accuracies McNemar's test does not tell apart at 0.05.\n");
  else if (M > 1)
    fprintf(f, "Every pair of models differs significantly in track accuracy (McNemar%s).\n", M > 2 ? ", Holm-adjusted" : "");
}

static int is_default_pair(const report_t *r) {
  for (int m = 0; m < r->n_models; m++)
    if (strcmp(r->model[m].key, "ann") && strcmp(r->model[m].key, "cnn") && strcmp(r->model[m].key, "ensemble")) return 0;
  return 1;
}

/* --save-models' files, and the command that uses them */
static void md_saved(const report_t *r, FILE *f) {
  char use[9000] = "genre predict";
  int saved = 0;
  for (int m = 0; m < r->n_models; m++) {
    if (!r->model[m].saved) continue;
    if (!saved++) fprintf(f, "**Saved models** (trained on all the data after the folds; the figures above are the folds'):");
    fputc(' ', f), report_md_code(f, r->model[m].saved);
    size_t n = strlen(use);
    snprintf(use + n, sizeof use - n, " -m %s", r->model[m].saved);
  }
  if (!saved) return;
  fprintf(f, ". Use them: ");
  size_t n = strlen(use);
  snprintf(use + n, sizeof use - n, " song.wav");
  report_md_code(f, use);
  fprintf(f, "%s.\n\n", saved > 1 ? " (several: their ensemble)" : "");
}

static void md_comparison_table(const report_t *r, FILE *f) {
  fprintf(f, "\n## Comparison (mean ± std over %s)\n\n", r->leaky ? "the single split" : "folds");
  fprintf(f, "| model | segment accuracy | track accuracy (majority vote) | track accuracy (mean probability) | top-2 "
             "accuracy | macro F1 | training time |\n|---|---|---|---|---|---|---|\n");
  for (int m = 0; m < r->n_models; m++) {
    summary_t s = summarise(r->model[m].result);
    fputs("| ", f), report_md_text(f, r->model[m].title);
    fprintf(f, " | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.1f s%s |\n", s.acc,
            s.acc_sd, s.vote, s.vote_sd, s.mean, s.mean_sd, s.top2, s.top2_sd, s.f1, s.f1_sd, s.seconds,
            r->model[m].members ? " (its models')" : "");
  }
  fprintf(f, "\n");
  md_saved(r, f);
  for (int m = 0; m < r->n_models; m++) {
    const cv_result_t *res = r->model[m].result;
    summary_t s = summarise(res);
    double chance = 1.0 / r->K;
    comparison_t ci = metric_ci(res, r->rows, CV_FIELD(accuracy));
    fprintf(f, "- "), report_md_text(f, r->model[m].title);
    fprintf(f, ": %s chance (%.3f): segment accuracy %.3f ± %.3f",
            s.acc - 2 * s.acc_sd > chance ? "well above" : s.acc > chance ? "above, though not clearly," : "not above",
            chance, s.acc, s.acc_sd);
    if (!isnan(ci.ci_low)) fprintf(f, ", 95%% interval [%.3f, %.3f] (corrected resampled t over %d fits)", ci.ci_low,
                                   ci.ci_high, res->folds);
    fprintf(f, ".\n");
  }
  fprintf(f, "\n");
}

static int write_markdown(const report_t *r, const char *dir, char *err, size_t errlen) {
  outfile_t o;
  if (open_out(&o, dir, "report.md", err, errlen)) return -1;
  FILE *f = o.f;
  if (is_default_pair(r)) fprintf(f, "# Genre classification: ANN on features vs CNN on log-mel spectrograms\n\n");
  else fprintf(f, "# Genre classification: %d models on the same folds\n\n", r->n_models);
  md_setup(r, f);
  md_ranking(r, f);
  md_comparison_table(r, f);
  md_comparisons(r, f);
  report_md_tuning(r, f);
  fprintf(f, "## Confusion matrices (summed over folds)\n\n");
  for (int m = 0; m < r->n_models; m++) fprintf(f, "![%s](confusion_%s.svg)\n\n", r->model[m].title, r->model[m].key);
  fprintf(f, "## Per-class scores (segments, pooled over folds)\n\n");
  for (int m = 0; m < r->n_models; m++) {
    fprintf(f, "### "), report_md_text(f, r->model[m].title), fprintf(f, "\n\n");
    per_class_table(r, f, m);
    fprintf(f, "\n");
  }
  report_md_calibration(r, f);
  report_md_why(r, f);
  int curves = 0;
  for (int m = 0; m < r->n_models; m++) curves += r->model[m].curves;
  if (curves)
    fprintf(f, "## Training curves (mean over folds)\n\nThe test fold's loss and accuracy are measured after every "
               "epoch to draw these curves; they never stop training or choose parameters.\n\n");
  for (int m = 0; m < r->n_models; m++)
    if (r->model[m].curves) fprintf(f, "![%s](curves_%s.svg)\n\n", r->model[m].title, r->model[m].key);
  fprintf(f, "## Files\n\n- `metrics.json`: every number above, per model and fold (`models.<name>.accuracy_mean`, "
             "`accuracy_std`, `track_accuracy_mean`, `top2_mean`, `confusion`, ...), `labels`, and `comparisons` "
             "(every pair: difference, interval, `p` and `p_holm`)\n"
             "- `ranking.svg`: the models by track accuracy with their intervals\n"
             "- `confusion_<model>.csv`: counts summed over folds, rows true, columns predicted\n"
             "- `reliability_<model>.svg`: each model's reliability diagram; `calibration` in metrics.json: ECE, "
             "Brier score, log-loss and the 15 bins, per segment and per track\n"
             "- `importance_<model>.svg`: a feature model's permutation importance; `importance` in its metrics.json "
             "object: every feature's accuracy drop (and for the ANN the largest confusions' features)\n"
             "- `predictions.csv`: every test segment: model, fold, track, true and predicted label, probabilities\n"
             "- `folds.csv`: track, repeat and fold, to train another tool's model on the same folds\n"
             "- `tune_<model>.csv` (with --tune): every candidate's inner accuracy in every fold, and the one chosen\n"
             "- `timings.json`: training time per model and fold\n");
  return outfile_commit(&o, 0, err, errlen);
}

int report_write(const report_t *r, const char *dir, char *err, size_t errlen) {
  for (int m = 0; m < r->n_models; m++) {
    if (write_confusion(r, m, dir, err, errlen)) return -1;
    if (r->model[m].curves && write_curves(r, m, dir, err, errlen)) return -1;
    if (report_write_reliability(r, m, dir, err, errlen) || report_write_tuning(r, m, dir, err, errlen) ||
        report_write_importance(r, m, dir, err, errlen))
      return -1;
  }
  if (write_ranking(r, dir, err, errlen) || write_json(r, dir, err, errlen) || write_predictions(r, dir, err, errlen) || write_markdown(r, dir, err, errlen) ||
      report_write_html(r, dir, err, errlen))
    return -1;
  return 0;
}
