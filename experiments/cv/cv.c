#include "cv.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folds.h"
#include "progress.h"
#include "temperature.h"

typedef struct cv_job {
  const cv_setup_t *s;
  cv_result_t *r;
  int next, failed, done, total;
  char err[600];
  pthread_mutex_t mu;
  progress_t prog;
} cv_job_t;

/* A fold finished: the progress line on a terminal, else a line of its own. */
static void fold_done(cv_job_t *job, int f, double seconds) {
  if (!job->s->progress) return;
  pthread_mutex_lock(&job->mu);
  job->done++;
  if (job->prog.enabled) progress_update(&job->prog, (size_t)job->done);
  else {
    double elapsed = now_seconds() - job->prog.start, left = elapsed / job->done * (job->total - job->done);
    fprintf(stderr, "%s: fold %d done in %.1f s (%d of %d; elapsed %.0f s", job->s->progress, f + 1, seconds,
            job->done, job->total, elapsed);
    fprintf(stderr, job->done < job->total ? ", about %.0f s left)\n" : ")\n", left);
  }
  pthread_mutex_unlock(&job->mu);
}

static int run_fold(cv_job_t *job, int f) {
  const cv_setup_t *s = job->s;
  cv_result_t *r = job->r;
  size_t n = s->n_rows;
  size_t *test = malloc(n * sizeof *test), *rest = malloc(n * sizeof *rest);
  size_t *train = malloc(n * sizeof *train), *val = malloc(n * sizeof *val);
  real *probs = malloc(n * (size_t)s->K * sizeof(real));
  char err[560] = ""; /* fits job->err after "fold N: " */
  int rc = -1;
  if (!test || !rest || !train || !val || !probs) {
    snprintf(err, sizeof err, "out of memory");
    goto out;
  }
  size_t n_test = 0, n_rest = 0, n_train = 0, n_val = 0;
  for (size_t i = 0; i < n; i++) {
    if (r->fold_of_row[i] == f) test[n_test++] = i;
    else rest[n_rest++] = i;
  }
  unsigned long seed = s->seed * 1000003ul + (unsigned long)f * 7919ul + 1;
  if (s->val_group) /* the split's own validation tracks */
    for (size_t i = 0; i < n_rest; i++) {
      if (s->val_fraction > 0 && s->val_group[s->group[rest[i]]]) val[n_val++] = rest[i];
      else train[n_train++] = rest[i];
    }
  else
    split_validation(rest, n_rest, s->group, s->y, s->n_groups, s->val_fraction, seed, train, &n_train, val, &n_val);
  cv_fold_t *fold = &r->fold[f];
  double t0 = now_seconds();
  double T[2] = {1, 1};
  if (s->fn(s->ctx, f, seed, train, n_train, val, n_val, test, n_test, s->monitor_test, probs, T, fold->log,
            &fold->epochs, err, sizeof err))
    goto out;
  fold->temperature = T[0], fold->track_temperature = T[1];
  fold->seconds = now_seconds() - t0;
  fold->n_test = n_test;
  for (size_t i = 0; i < n_test; i++) memcpy(r->probs + test[i] * s->K, probs + i * s->K, s->K * sizeof(real));
  fold_done(job, f, fold->seconds);
  rc = 0;
out:
  if (rc) {
    pthread_mutex_lock(&job->mu);
    if (!job->failed) snprintf(job->err, sizeof job->err, "fold %d: %s", f + 1, err);
    job->failed = 1;
    pthread_mutex_unlock(&job->mu);
  }
  free(test), free(rest), free(train), free(val), free(probs);
  return rc;
}

static void *worker(void *arg) {
  cv_job_t *job = arg;
  for (;;) {
    pthread_mutex_lock(&job->mu);
    if (genre_stop && !job->failed) job->failed = 1, snprintf(job->err, sizeof job->err, "interrupted");
    int f = job->failed ? job->r->folds : job->next++;
    pthread_mutex_unlock(&job->mu);
    if (f >= job->r->folds) break;
    if (job->s->only_fold && f != job->s->only_fold - 1) continue;
    run_fold(job, f);
  }
  return NULL;
}

/* metrics of one fold's test rows, and pooled ones */
void cv_score(const cv_setup_t *s, cv_result_t *r) {
  const int *track = s->track ? s->track : s->group;
  int K = s->K;
  int *vote = malloc(s->n_groups * sizeof(int)), *mean = malloc(s->n_groups * sizeof(int));
  int *truth = malloc(s->n_groups * sizeof(int));
  size_t *rows = malloc(s->n_rows * sizeof(size_t));
  real *p = malloc(s->n_rows * (size_t)K * sizeof(real));
  int *y = malloc(s->n_rows * sizeof(int)), *g = malloc(s->n_rows * sizeof(int));
  if (!vote || !mean || !truth || !rows || !p || !y || !g) goto out;
  for (int f = 0; f < r->folds; f++) {
    size_t n = 0;
    for (size_t i = 0; i < s->n_rows; i++)
      if (r->fold_of_row[i] == f) rows[n++] = i;
    for (size_t i = 0; i < n; i++) {
      memcpy(p + i * K, r->probs + rows[i] * K, K * sizeof(real));
      y[i] = s->y[rows[i]], g[i] = track[rows[i]];
    }
    metrics_t m;
    if (metrics_init(&m, K)) goto out;
    metrics_add(&m, p, y, n);
    metrics_finish(&m);
    metrics_add(&r->segments, p, y, n);
    cv_fold_t *fold = &r->fold[f];
    fold->accuracy = m.accuracy, fold->top2 = m.top2, fold->macro_f1 = m.macro_f1;
    metrics_free(&m);
    track_predictions(p, y, g, n, s->n_groups, K, vote, mean, truth);
    size_t tracks = 0, right_vote = 0, right_mean = 0;
    for (size_t t = 0; t < s->n_groups; t++) {
      if (truth[t] < 0) continue;
      tracks++;
      right_vote += vote[t] == truth[t], right_mean += mean[t] == truth[t];
      metrics_add_class(&r->tracks, vote[t], truth[t]);
      metrics_add_class(&r->tracks_mean, mean[t], truth[t]);
    }
    fold->n_tracks = tracks;
    fold->track_vote = tracks ? (double)right_vote / tracks : NAN;
    fold->track_mean = tracks ? (double)right_mean / tracks : NAN;
  }
  metrics_finish(&r->segments);
  metrics_finish(&r->tracks);
  metrics_finish(&r->tracks_mean);
out:
  free(vote), free(mean), free(truth), free(rows), free(p), free(y), free(g);
}

int cv_result_alloc(const cv_setup_t *s, cv_result_t *r) {
  memset(r, 0, sizeof *r);
  r->folds = s->run_folds > 0 && s->run_folds < s->folds ? s->run_folds : s->folds, r->K = s->K;
  r->fold = calloc((size_t)s->folds, sizeof *r->fold);
  r->probs = calloc(s->n_rows * (size_t)s->K, sizeof(real));
  r->fold_of_row = malloc(s->n_rows * sizeof(int));
  r->fold_of_track = malloc(s->n_groups * sizeof(int));
  int ok = r->fold && r->probs && r->fold_of_row && r->fold_of_track && !metrics_init(&r->segments, s->K) &&
           !metrics_init(&r->tracks, s->K) && !metrics_init(&r->tracks_mean, s->K);
  r->folds_allocated = s->folds;
  for (int f = 0; ok && f < s->folds; f++)
    ok = (r->fold[f].log = calloc((size_t)(s->max_epochs > 0 ? s->max_epochs : 1), sizeof(epoch_log_t))) != NULL;
  if (!ok) cv_result_free(r);
  return ok ? 0 : -1;
}

int cv_run(const cv_setup_t *s, cv_result_t *r, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  if (s->folds < 2 || (size_t)s->folds > s->n_groups) {
    snprintf(err, errlen, "%d folds for %zu tracks: need 2 <= folds <= tracks", s->folds, s->n_groups);
    return -1;
  }
  if (cv_result_alloc(s, r)) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if (s->fold_of_track) memcpy(r->fold_of_track, s->fold_of_track, s->n_groups * sizeof(int));
  else if (folds_assign(s->group, s->y, s->n_rows, s->n_groups, s->K, s->folds, s->seed, r->fold_of_track, err,
                        errlen)) {
    cv_result_free(r);
    return -1;
  }
  for (size_t i = 0; i < s->n_rows; i++) r->fold_of_row[i] = r->fold_of_track[s->group[i]];

  cv_job_t job = {.s = s, .r = r, .total = s->only_fold ? 1 : r->folds};
  pthread_mutex_init(&job.mu, NULL);
  progress_start(&job.prog, s->progress ? s->progress : "", "folds", (size_t)job.total, s->progress != NULL);
  progress_update(&job.prog, 0);
  int threads = s->threads < 1 ? 1 : s->threads > r->folds ? r->folds : s->threads;
  pthread_t tid[64];
  int started = 0;
  double t0 = now_seconds();
  for (; started < threads && started < 64; started++)
    if (pthread_create(&tid[started], NULL, worker, &job)) break;
  if (started == 0) worker(&job);
  for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
  if (job.prog.enabled) progress_finish(&job.prog);
  r->seconds = now_seconds() - t0;
  pthread_mutex_destroy(&job.mu);
  if (job.failed) {
    snprintf(err, errlen, "%s", job.err);
    cv_result_free(r);
    return -1;
  }
  if (!s->only_fold) cv_cross_temperatures(s, r), cv_score(s, r);
  return 0;
}

double cv_fold_temperature(const cv_setup_t *s, const cv_result_t *r, int fold) {
  size_t K = (size_t)s->K, n = 0;
  real *p = malloc(s->n_rows * K * sizeof *p);
  int *y = malloc(s->n_rows * sizeof *y);
  double T = 1;
  if (p && y) {
    for (size_t i = 0; i < s->n_rows; i++) {
      int f = r->fold_of_row[i];
      if (f < 0 || f >= r->folds || f == fold) continue;
      memcpy(p + n * K, r->probs + i * K, K * sizeof *p), y[n++] = s->y[i];
    }
    if (n) T = temperature_fit(p, y, n, s->K);
  }
  free(p), free(y);
  return T;
}

double cv_fold_track_temperature(const cv_setup_t *s, const cv_result_t *r, int fold) {
  size_t K = (size_t)s->K, n = 0;
  const int *track = s->track ? s->track : s->group;
  real *p = calloc(s->n_rows * K, sizeof *p), *means = malloc(s->n_rows * K * sizeof *means);
  int *y = calloc(s->n_rows, sizeof *y), *labels = malloc(s->n_rows * sizeof *labels), *t = calloc(s->n_rows, sizeof *t);
  double *T = calloc(s->n_rows, sizeof *T), fitted = 1;
  if (p && means && y && labels && t && T) {
    for (size_t i = 0; i < s->n_rows; i++) {
      int f = r->fold_of_row[i];
      if (f < 0 || f >= r->folds || f == fold) continue;
      memcpy(p + n * K, r->probs + i * K, K * sizeof *p);
      y[n] = s->y[i], t[n] = track[i], T[n++] = r->fold[f].temperature;
    }
    size_t tracks = temperature_track_means(p, y, t, T, n, s->n_rows, s->K, means, labels);
    if (tracks >= TEMPERATURE_MIN_TRACKS && tracks < n) /* (one row a track: its T is the segments') */
      fitted = temperature_fit(means, labels, tracks, s->K);
  }
  free(p), free(means), free(y), free(labels), free(t), free(T);
  return fitted;
}

void cv_cross_track_temperatures(const cv_setup_t *s, cv_result_t *r) {
  if (r->folds < 2) return;
  for (int f = 0; f < r->folds; f++) r->fold[f].track_temperature = cv_fold_track_temperature(s, r, f);
}

void cv_cross_temperatures(const cv_setup_t *s, cv_result_t *r) {
  if (!s->cross_temperature || r->folds < 2) return;
  for (int f = 0; f < r->folds; f++) r->fold[f].temperature = cv_fold_temperature(s, r, f);
  cv_cross_track_temperatures(s, r);
}

void cv_result_free(cv_result_t *r) {
  /* logs were allocated for every fold of the setup, evaluated or not */
  for (int f = 0; r->fold && f < r->folds_allocated; f++) free(r->fold[f].log);
  free(r->fold), free(r->probs), free(r->fold_of_row), free(r->fold_of_track);
  metrics_free(&r->segments), metrics_free(&r->tracks), metrics_free(&r->tracks_mean);
  memset(r, 0, sizeof *r);
}

void cv_mean_std(const cv_result_t *r, size_t offset, double *mean, double *std) {
  double sum = 0, sq = 0;
  int n = 0;
  for (int f = 0; f < r->folds; f++) {
    double v = *(const double *)((const char *)&r->fold[f] + offset);
    if (isnan(v)) continue;
    sum += v, n++;
  }
  *mean = n ? sum / n : NAN;
  for (int f = 0; f < r->folds; f++) {
    double v = *(const double *)((const char *)&r->fold[f] + offset);
    if (!isnan(v)) sq += (v - *mean) * (v - *mean);
  }
  *std = n ? sqrt(sq / n) : NAN;
}
