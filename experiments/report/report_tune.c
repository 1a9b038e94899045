/* The report's account of --tune: what each fold chose, from which
 * candidates, with which inner accuracy (nested cross-validation: the test
 * fold never chose). */
#include <stdio.h>

#include "json.h"
#include "outfile.h"
#include "report.h"
#include "tune.h"

/* fit f as (repeat, fold), 1-based */
static void fit_place(const report_t *r, int f, int *repeat, int *fold) {
  int per = r->folds > 0 ? r->folds : 1;
  *repeat = f / per + 1, *fold = f % per + 1;
}

void report_json_tuned(const report_t *r, json_t *j, int m) {
  const tune_log_t *l = r->model[m].tuned;
  if (!l) return;
  json_key(j, "tuned"), json_array(j);
  for (int f = 0; f < l->fits; f++) {
    int c = l->chosen[f], repeat, fold;
    if (c < 0) continue;
    fit_place(r, f, &repeat, &fold);
    json_object(j);
    json_key(j, "fold"), json_int(j, fold);
    if (r->repeats > 1) json_key(j, "repeat"), json_int(j, repeat);
    json_key(j, "values"), json_object(j);
    for (int p = 0; p < l->search->n; p++) {
      char v[32];
      tune_value_text(l->search, l->cand[c], p, v, sizeof v);
      json_key(j, l->search->p[p].name);
      if (l->search->p[p].words) json_string(j, v);
      else json_number(j, tune_value(l->search, l->cand[c], p));
    }
    json_close(j, 1);
    json_key(j, "inner_accuracy"), json_number(j, l->score[(size_t)f * l->n_cand + c]);
    json_key(j, "candidates"), json_int(j, l->n_cand);
    json_close(j, 1);
  }
  json_close(j, 0);
}

int report_write_tuning(const report_t *r, int m, const char *dir, char *err, size_t errlen) {
  const tune_log_t *l = r->model[m].tuned;
  if (!l) return 0;
  char path[4400];
  snprintf(path, sizeof path, "%s/tune_%s.csv", dir, r->model[m].key);
  outfile_t o;
  if (outfile_open(&o, path, err, errlen)) return -1;
  fputs("repeat,fold", o.f);
  for (int p = 0; p < l->search->n; p++) fprintf(o.f, ",%s", l->search->p[p].name);
  fputs(",inner_accuracy,chosen\n", o.f);
  for (int f = 0; f < l->fits; f++) {
    int repeat, fold;
    if (l->chosen[f] < 0) continue;
    fit_place(r, f, &repeat, &fold);
    for (int c = 0; c < l->n_cand; c++) {
      fprintf(o.f, "%d,%d", repeat, fold);
      for (int p = 0; p < l->search->n; p++) {
        char v[32];
        tune_value_text(l->search, l->cand[c], p, v, sizeof v);
        fprintf(o.f, ",%s", v);
      }
      fprintf(o.f, ",%.6f,%d\n", l->score[(size_t)f * l->n_cand + c], c == l->chosen[f]);
    }
  }
  return outfile_commit(&o, 0, err, errlen);
}

void report_md_tuning(const report_t *r, FILE *f) {
  int any = 0;
  for (int m = 0; m < r->n_models; m++) any |= r->model[m].tuned != NULL;
  if (!any) return;
  fprintf(f, "## Tuning (nested cross-validation)\n\nEach fold's model was trained with the values that scored best "
             "(pooled segment accuracy) in a %d-fold track-grouped cross-validation over that fold's training tracks "
             "alone; the fold's test tracks never took part in the choice, so the figures above are not tuned on "
             "what they test. Every candidate's inner accuracy is in `tune_<model>.csv`; the training times above include "
             "the search.\n\n", TUNE_INNER_FOLDS);
  for (int m = 0; m < r->n_models; m++) {
    const tune_log_t *l = r->model[m].tuned;
    if (!l) continue;
    fprintf(f, "### "), report_md_text(f, r->model[m].title);
    fprintf(f, " (%d of %d candidates)\n\n| fit |", l->n_cand, tune_grid_size(l->search));
    for (int p = 0; p < l->search->n; p++) fprintf(f, " %s |", l->search->p[p].name);
    fprintf(f, " inner accuracy |\n|---|");
    for (int p = 0; p <= l->search->n; p++) fprintf(f, "---|");
    fputc('\n', f);
    for (int t = 0; t < l->fits; t++) {
      int c = l->chosen[t], repeat, fold;
      if (c < 0) continue;
      fit_place(r, t, &repeat, &fold);
      if (r->repeats > 1) fprintf(f, "| repeat %d, fold %d |", repeat, fold);
      else fprintf(f, "| fold %d |", fold);
      for (int p = 0; p < l->search->n; p++) {
        char v[32];
        tune_value_text(l->search, l->cand[c], p, v, sizeof v);
        fprintf(f, " %s |", v);
      }
      fprintf(f, " %.3f |\n", l->score[(size_t)t * l->n_cand + c]);
    }
    fputc('\n', f);
  }
}
