#include "fold_part.h"
#include "infile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"

int fold_part_write(const char *path, int fold, cv_result_t *const *res, const char *const *keys, int n_models,
                    size_t rows, int K, const fold_why_t *why, fold_why_t *const *own, char *err, size_t errlen) {
  outfile_t o;
  if (outfile_open(&o, path, err, errlen)) return -1;
  fprintf(o.f, "#genre-fold 1 %d %zu %d\n", fold + 1, rows, K);
  for (int m = 0; m < n_models; m++) {
    if (!res[m]) continue;
    const cv_fold_t *fd = &res[m]->fold[fold];
    fprintf(o.f, "model %s %d %a %a %a\n", keys[m], fd->epochs, fd->seconds, fd->temperature, fd->track_temperature);
    for (int e = 0; e < fd->epochs; e++) {
      const epoch_log_t *l = &fd->log[e];
      fprintf(o.f, "log %a %a %a %a %a %a %a\n", l->train_loss, l->train_acc, l->val_loss, l->val_acc, l->test_loss,
              l->test_acc, l->seconds);
    }
    for (size_t i = 0; i < rows; i++) {
      if (res[m]->fold_of_row[i] != fold) continue;
      fprintf(o.f, "row %zu", i);
      for (int k = 0; k < K; k++) fprintf(o.f, " %a", (double)res[m]->probs[i * (size_t)K + (size_t)k]);
      fputc('\n', o.f);
    }
  }
  for (int m = 0; why && m < n_models; m++)
    if (res[m]) {
      fold_why_write(why, fold, res[m]->fold_of_row, o.f);
      break;
    }
  for (int m = 0; own && m < n_models; m++) /* the models with importances of their own */
    if (res[m] && own[m]) fprintf(o.f, "why-model %s\n", keys[m]), fold_why_write(own[m], fold, res[m]->fold_of_row, o.f);
  fputs("end\n", o.f);
  return outfile_commit(&o, 1, err, errlen);
}

/* One row line's K probabilities into p: finite, in [0, 1], summing to 1. 0, or -1 with the reason. */
static int read_row(const char *p, int K, real *out, char *why, size_t whylen) {
  char *end;
  double sum = 0;
  for (int k = 0; k < K; k++, p = end) {
    double v = strtod(p, &end);
    if (end == p) return snprintf(why, whylen, "%d probabilities expected, %d found", K, k), -1;
    if (!(v >= 0 && v <= 1)) return snprintf(why, whylen, "probability %d is %g, not in [0, 1]", k + 1, v), -1;
    out[k] = (real)v, sum += v;
  }
  if (strspn(p, " \r\n") != strlen(p)) return snprintf(why, whylen, "more than %d probabilities", K), -1;
  if (fabs(sum - 1) > 1e-3) return snprintf(why, whylen, "probabilities summing to %.6g, not 1", sum), -1;
  return 0;
}

/* One model's block: its log lines and rows (each of the fold's test rows
 * exactly once), until the next "model" or "end". 0, or -1 with the reason. */
static int read_model(FILE *f, cv_result_t *r, int fold, size_t rows, int K, int max_epochs, char *line, size_t len,
                      char *why, size_t whylen) {
  cv_fold_t *fd = &r->fold[fold];
  for (int e = 0; e < fd->epochs; e++) {
    epoch_log_t *l = &fd->log[e];
    if (e >= max_epochs || !fgets(line, (int)len, f) ||
        sscanf(line, "log %la %la %la %la %la %la %la", &l->train_loss, &l->train_acc, &l->val_loss, &l->val_acc,
               &l->test_loss, &l->test_acc, &l->seconds) != 7)
      return snprintf(why, whylen, "epoch %d's log line is missing or damaged", e + 1), -1;
  }
  unsigned char *seen = calloc(rows ? rows : 1, 1);
  size_t want = 0, got = 0;
  for (size_t i = 0; i < rows; i++) want += r->fold_of_row[i] == fold;
  long at = ftell(f);
  int rc = seen ? 0 : (snprintf(why, whylen, "out of memory"), -1);
  while (!rc && fgets(line, (int)len, f) && strncmp(line, "row ", 4) == 0) {
    char *p = line + 4, *end, row_why[200];
    size_t i = strtoul(p, &end, 10);
    if (end == p || i >= rows || r->fold_of_row[i] != fold) rc = -1, snprintf(why, whylen, "row '%.40s' is not a test row of this fold", p);
    else if (seen[i]) rc = -1, snprintf(why, whylen, "row %zu appears twice", i);
    else if (read_row(end, K, r->probs + i * (size_t)K, row_why, sizeof row_why)) rc = -1, snprintf(why, whylen, "row %zu: %s", i, row_why);
    else seen[i] = 1, got++, at = ftell(f);
  }
  free(seen);
  if (!rc && got != want) rc = -1, snprintf(why, whylen, "%zu of the fold's %zu test rows", got, want);
  return rc ? rc : fseek(f, at, SEEK_SET);
}

int fold_part_read(const char *path, int fold, cv_result_t *const *res, const char *const *keys, int n_models,
                   size_t rows, int K, int *const max_epochs, fold_why_t *why, fold_why_t *const *own, char *err,
                   size_t errlen) {
  const char *open_why;
  FILE *f = fopen_regular(path, &open_why);
  if (!f) return snprintf(err, errlen, "%s: %s", path, open_why), -1;
  static char line[1 << 16];
  int v, at_fold, k, found = 0, expected = 0, rc = -1;
  for (int m = 0; m < n_models; m++) expected += res[m] != NULL;
  size_t n;
  if (!fgets(line, sizeof line, f) || sscanf(line, "#genre-fold %d %d %zu %d", &v, &at_fold, &n, &k) != 4 || v != 1 ||
      at_fold != fold + 1 || n != rows || k != K) {
    snprintf(err, errlen, "%s: not fold %d of this experiment (%zu segments, %d labels)", path, fold + 1, rows, K);
    goto out;
  }
  char block_why[300] = "", *done = calloc((size_t)n_models + 1, 1);
  while (done && fgets(line, sizeof line, f)) {
    char key[64];
    int epochs;
    double seconds;
    if (strcmp(line, "end\n") == 0) {
      rc = found == expected ? 0 : -1;
      if (rc) snprintf(block_why, sizeof block_why, "%d of the %d models' blocks", found, expected);
      break;
    }
    if (strncmp(line, "why-model ", 10) == 0) { /* the lines that follow are that model's own */
      char key[64] = "";
      int m = 0;
      sscanf(line + 10, "%63s", key);
      while (m < n_models && strcmp(keys[m], key) != 0) m++;
      if (m == n_models) {
        snprintf(block_why, sizeof block_why, "explanations of no model ('%.40s')", key);
        break;
      }
      why = own ? own[m] : NULL;
      continue;
    }
    if (strncmp(line, "why-", 4) == 0) {
      if (why && fold_why_read(why, fold, f, line, sizeof line)) break;
      continue;
    }
    double T = 1, Tt = 1;
    if (sscanf(line, "model %63s %d %la %la %la", key, &epochs, &seconds, &T, &Tt) < 3) break;
    int m = 0;
    while (m < n_models && strcmp(keys[m], key) != 0) m++;
    if (m < n_models && done[m]) {
      snprintf(block_why, sizeof block_why, "model '%s' appears twice", key);
      break;
    }
    if (m == n_models || !res[m] || epochs < 0 || epochs > max_epochs[m]) break;
    res[m]->fold[fold].epochs = epochs, res[m]->fold[fold].seconds = seconds, res[m]->fold[fold].temperature = T;
    res[m]->fold[fold].track_temperature = Tt;
    if (read_model(f, res[m], fold, rows, K, max_epochs[m], line, sizeof line, block_why, sizeof block_why)) break;
    done[m] = 1, found++;
  }
  free(done);
  if (rc && *block_why) snprintf(err, errlen, "%s: damaged fold part: %s", path, block_why);
  else if (rc) snprintf(err, errlen, "%s: damaged or incomplete fold part", path);
out:
  fclose(f);
  return rc;
}
