#include "report.h"

#include "names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "json.h"
#include "outfile.h"
#include "svg.h"

static const char *const key[3] = {"ann", "cnn", "ensemble"};
static const char *const title[3] = {"ANN (features)", "CNN (log-mel)", "Ensemble (ANN + CNN)"};

typedef struct summary {
  double acc, acc_sd, vote, vote_sd, mean, mean_sd, top2, top2_sd, f1, f1_sd, seconds;
} summary_t;

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

/* Text in a Markdown table cell: one line, valid UTF-8, no bare '|'. */
static void md_text(FILE *f, const char *s) {
  for (s = shown(s, 2); *s; s++) {
    if (*s == '|' || *s == '`' || *s == '*' || *s == '_') fputc('\\', f);
    fputc(*s, f);
  }
}

static void command_line(const report_t *r, FILE *f) {
  fputs("genre", f);
  for (int i = 0; i < r->argc; i++) fprintf(f, strpbrk(r->argv[i], " \t'\"") ? " '%s'" : " %s", shown(r->argv[i], 2));
}

static const char *protocol_text(const report_t *r) {
  return r->leaky ? "random 80/20 split of segments (the seeds' protocol) -- LEAKY"
                  : "stratified k-fold cross-validation grouped by track";
}

void report_print_table(const report_t *r, FILE *f) {
  fprintf(f, "%-22s %-17s %-17s %-17s %-17s %-17s %9s\n", "model", "segment acc", "track acc (vote)",
          "track acc (mean)", "top-2", "macro F1", "train s");
  for (int m = 0; m < 3; m++) {
    if (!r->have[m]) continue;
    summary_t s = summarise(r->result[m]);
    fprintf(f, "%-22s %.3f +- %.3f    %.3f +- %.3f    %.3f +- %.3f    %.3f +- %.3f    %.3f +- %.3f    %9.1f\n", title[m],
            s.acc, s.acc_sd, s.vote, s.vote_sd, s.mean, s.mean_sd, s.top2, s.top2_sd, s.f1, s.f1_sd, s.seconds);
  }
  fprintf(f, "(%s; mean +- std over %d fold%s; chance %.3f)\n", protocol_text(r), r->result[0] ? r->result[0]->folds : 0,
          r->leaky ? "" : "s", 1.0 / r->K);
}

static int open_out(outfile_t *o, const char *dir, const char *name, char *err, size_t errlen) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return outfile_open(o, path, err, errlen);
}

static int write_confusion(const report_t *r, int m, const char *dir, char *err, size_t errlen) {
  const cv_result_t *res = r->result[m];
  char name[64];
  outfile_t o;
  snprintf(name, sizeof name, "confusion_%s.csv", key[m]);
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
  snprintf(name, sizeof name, "confusion_%s.svg", key[m]);
  if (open_out(&o, dir, name, err, errlen)) return -1;
  summary_t s = summarise(res);
  char t[256];
  snprintf(t, sizeof t, "%s: segment accuracy %.3f +- %.3f (summed over %d fold%s)", title[m], s.acc, s.acc_sd, res->folds,
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
  const cv_result_t *res = r->result[m];
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
  char name[64], t[256];
  snprintf(name, sizeof name, "curves_%s.svg", key[m]);
  snprintf(t, sizeof t, "%s: mean over %d fold%s (training loss on augmented / mixed batches)", title[m], res->folds,
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
  const cv_result_t *res = r->result[m];
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
    json_key(j, "fold"), json_int(j, f + 1);
    json_key(j, "test_rows"), json_int(j, (long long)fd->n_test);
    json_key(j, "test_tracks"), json_int(j, (long long)fd->n_tracks);
    json_key(j, "accuracy"), json_number(j, fd->accuracy);
    json_key(j, "track_accuracy"), json_number(j, fd->track_vote);
    json_key(j, "track_accuracy_meanprob"), json_number(j, fd->track_mean);
    json_key(j, "top2"), json_number(j, fd->top2);
    json_key(j, "macro_f1"), json_number(j, fd->macro_f1);
    if (m != 2) json_key(j, "epochs"), json_int(j, fd->epochs);
    json_close(j, 1);
  }
  json_close(j, 0);
  json_key(j, "confusion"), json_array(j);
  for (int i = 0; i < r->K; i++) {
    json_array(j);
    for (int c = 0; c < r->K; c++) json_int(j, res->segments.confusion[(size_t)i * r->K + c]);
    json_close(j, 0);
  }
  json_close(j, 0);
  json_key(j, "track_confusion"), json_array(j);
  for (int i = 0; i < r->K; i++) {
    json_array(j);
    for (int c = 0; c < r->K; c++) json_int(j, res->tracks.confusion[(size_t)i * r->K + c]);
    json_close(j, 0);
  }
  json_close(j, 0);
  json_close(j, 1);
}

static int write_json(const report_t *r, const char *dir, char *err, size_t errlen) {
  outfile_t o;
  if (open_out(&o, dir, "metrics.json", err, errlen)) return -1;
  json_t j;
  json_begin(&j, o.f);
  json_key(&j, "protocol"), json_string(&j, r->leaky ? "random-split" : "grouped-kfold");
  json_key(&j, "leaky"), json_bool(&j, r->leaky);
  json_key(&j, "folds"), json_int(&j, r->folds);
  json_key(&j, "seed"), json_int(&j, (long long)r->seed);
  json_key(&j, "data"), json_string(&j, r->data);
  json_key(&j, "segments"), json_int(&j, (long long)r->rows);
  json_key(&j, "tracks"), json_int(&j, (long long)r->tracks);
  json_key(&j, "chance"), json_number(&j, 1.0 / r->K);
  json_key(&j, "labels"), json_array(&j);
  for (int k = 0; k < r->K; k++) json_string(&j, r->labels[k]);
  json_close(&j, 0);
  json_key(&j, "models"), json_object(&j);
  for (int m = 0; m < 3; m++)
    if (r->have[m]) json_key(&j, key[m]), json_metrics(r, &j, m);
  json_close(&j, 1);
  json_end(&j);
  if (outfile_commit(&o, 1, err, errlen)) return -1;
  /* timings differ from run to run: their own file */
  if (open_out(&o, dir, "timings.json", err, errlen)) return -1;
  json_begin(&j, o.f);
  for (int m = 0; m < 3; m++) {
    if (!r->have[m]) continue;
    json_key(&j, key[m]), json_object(&j);
    json_key(&j, "train_seconds_total"), json_number(&j, summarise(r->result[m]).seconds);
    json_key(&j, "train_seconds_per_fold"), json_array(&j);
    for (int f = 0; f < r->result[m]->folds; f++) json_number(&j, r->result[m]->fold[f].seconds);
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
  for (int m = 0; m < 3; m++) {
    if (!r->have[m]) continue;
    const cv_result_t *res = r->result[m];
    for (size_t i = 0; i < r->rows; i++) {
      int fold = res->fold_of_row[i];
      if (fold >= res->folds) continue; /* not evaluated (random split: the training side) */
      const real *p = res->probs + i * r->K;
      csv_put_text(o.f, key[m], 1);
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
  const metrics_t *s = &r->result[m]->segments;
  fprintf(f, "| class | precision | recall | F1 | segments |\n|---|---|---|---|---|\n");
  for (int k = 0; k < r->K; k++) {
    long support = 0;
    for (int j = 0; j < r->K; j++) support += s->confusion[(size_t)k * r->K + j];
    fputs("| ", f);
    md_text(f, r->labels[k]);
    fprintf(f, " | %.3f | %.3f | %.3f | %ld |\n", s->precision[k], s->recall[k], s->f1[k], support);
  }
}

static int write_markdown(const report_t *r, const char *dir, char *err, size_t errlen) {
  outfile_t o;
  if (open_out(&o, dir, "report.md", err, errlen)) return -1;
  FILE *f = o.f;
  fprintf(f, "# Genre classification: ANN on features vs CNN on log-mel spectrograms\n\n");
  fprintf(f, "- **Data**: `%s` — %zu segments of 3 s from %zu tracks, %d labels (chance %.3f)\n", shown(r->data, 2), r->rows,
          r->tracks, r->K, 1.0 / r->K);
  if (r->leaky)
    fprintf(f, "- **Protocol: random 80/20 split of segments — LEAKY.** Segments of one track land on both sides "
               "of the split, so a model can recognise the track rather than the genre: this overstates accuracy. It "
               "is here only to compare with the seeds' published figures; use `--protocol grouped-kfold` to judge "
               "models.\n");
  else
    fprintf(f, "- **Protocol**: %d-fold stratified cross-validation grouped by track: every segment of a track is in "
               "one fold, so no track is on both sides; every model sees the same folds. Standardisation and early "
               "stopping use each fold's training part only.\n",
            r->folds);
  fprintf(f, "- **Seed**: %lu (the same command gives the same numbers)\n", r->seed);
  fprintf(f, "- **Command**: `");
  command_line(r, f);
  fprintf(f, "`\n");
  char aug[128];
  augment_names(r->cnn->augment, aug, sizeof aug);
  if (r->have[0])
    fprintf(f, "- **ANN**: preset `%s`, %d member%s, %d epochs, batch %d\n", r->ann->arch, r->ann->members,
            r->ann->members == 1 ? "" : "s", r->ann->train.epochs, r->ann->train.batch);
  if (r->have[1])
    fprintf(f, "- **CNN**: preset `%s`, %d epochs, batch %d, augmentations: %s\n", r->cnn->arch, r->cnn->train.epochs,
            r->cnn->train.batch, aug);
  fprintf(f, "\n## Comparison (mean ± std over %s)\n\n", r->leaky ? "the single split" : "folds");
  fprintf(f, "| model | segment accuracy | track accuracy (majority vote) | track accuracy (mean probability) | top-2 "
             "accuracy | macro F1 | training time |\n|---|---|---|---|---|---|---|\n");
  for (int m = 0; m < 3; m++) {
    if (!r->have[m]) continue;
    summary_t s = summarise(r->result[m]);
    fprintf(f, "| %s | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.1f s%s |\n", title[m], s.acc,
            s.acc_sd, s.vote, s.vote_sd, s.mean, s.mean_sd, s.top2, s.top2_sd, s.f1, s.f1_sd, s.seconds,
            m == 2 ? " (both)" : "");
  }
  fprintf(f, "\n");
  if (r->saved[0] || r->saved[1]) {
    fprintf(f, "**Saved models** (trained on all the data after the folds; the figures above are the folds'):");
    for (int m = 0; m < 2; m++)
      if (r->saved[m]) fprintf(f, " `%s`", r->saved[m]);
    fprintf(f, ". Use them: `genre predict");
    for (int m = 0; m < 2; m++)
      if (r->saved[m]) fprintf(f, " -m %s", r->saved[m]);
    fprintf(f, " song.wav`%s.\n\n", r->saved[0] && r->saved[1] ? " (both: the ensemble)" : "");
  }
  for (int m = 0; m < 3; m++) {
    if (!r->have[m]) continue;
    summary_t s = summarise(r->result[m]);
    double chance = 1.0 / r->K;
    fprintf(f, "- %s: %s chance (%.3f): %.3f ± %.3f.\n", title[m],
            s.acc - 2 * s.acc_sd > chance ? "well above" : s.acc > chance ? "above, though not clearly," : "not above",
            chance, s.acc, s.acc_sd);
  }
  fprintf(f, "\n## Confusion matrices (summed over folds)\n\n");
  for (int m = 0; m < 3; m++)
    if (r->have[m]) fprintf(f, "![%s](confusion_%s.svg)\n\n", title[m], key[m]);
  fprintf(f, "## Per-class scores (segments, pooled over folds)\n\n");
  for (int m = 0; m < 3; m++) {
    if (!r->have[m]) continue;
    fprintf(f, "### %s\n\n", title[m]);
    per_class_table(r, f, m);
    fprintf(f, "\n");
  }
  fprintf(f, "## Training curves (mean over folds)\n\nThe test fold's loss and accuracy are measured after every epoch "
             "to draw these curves; they never stop training or choose parameters.\n\n");
  for (int m = 0; m < 2; m++)
    if (r->have[m]) fprintf(f, "![%s](curves_%s.svg)\n\n", title[m], key[m]);
  fprintf(f, "## Files\n\n- `metrics.json`: every number above, per model and fold (`models.<name>.accuracy_mean`, "
             "`accuracy_std`, `track_accuracy_mean`, `top2_mean`, `confusion`, ...), and `labels`\n"
             "- `confusion_<model>.csv`: counts summed over folds, rows true, columns predicted\n"
             "- `predictions.csv`: every test segment: model, fold, track, true and predicted label, probabilities\n"
             "- `timings.json`: training time per model and fold\n");
  return outfile_commit(&o, 0, err, errlen);
}

int report_write(const report_t *r, const char *dir, char *err, size_t errlen) {
  for (int m = 0; m < 3; m++) {
    if (!r->have[m]) continue;
    if (write_confusion(r, m, dir, err, errlen)) return -1;
    if (m < 2 && write_curves(r, m, dir, err, errlen)) return -1;
  }
  if (write_json(r, dir, err, errlen) || write_predictions(r, dir, err, errlen) || write_markdown(r, dir, err, errlen))
    return -1;
  return 0;
}
