/* The classical kinds' fitted state, held by a model_t in place of a network
 * (model.h: MODEL_KNN, MODEL_SVM; net is NULL then). Their rows arrive
 * standardised by the model's own z-score scaler, as an ANN's do; each kind
 * lives in a file of its own (knn.c, svm.c) and reaches its library through
 * it; this header and classic.c dispatch on the kind. */
#ifndef GENRE_CLASSIC_H
#define GENRE_CLASSIC_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"

enum { CLASSIC_KNN = 3, CLASSIC_SVM = 4, CLASSIC_LOGREG = 5, CLASSIC_GBDT = 6, CLASSIC_RF = 7 }; /* the model file's kinds (model.h) */
enum { KNN_UNIFORM = 0, KNN_DISTANCE = 1 };
enum { SVM_RBF = 0, SVM_LINEAR = 1 };

struct svm_model;

typedef struct classic {
  int kind;        /* CLASSIC_* */
  size_t F;        /* features */
  int K;           /* classes */
  /* kNN */
  int k, weights;  /* neighbours; KNN_UNIFORM or KNN_DISTANCE (1/d, scikit-learn's 'distance') */
  size_t n;        /* stored rows */
  double *x;       /* [n][F] the training rows, standardised */
  double *norm;    /* [n] their squared norms (computed, not stored) */
  int *y;          /* [n] class indices */
  /* SVM */
  struct svm_model *svm; /* libsvm's, self-contained (its support vectors its own) */
  int threads;     /* predicting with an SVM: rows shared among them (0: every core; not stored) */
  int votes_only;  /* an SVM fitted without Platt's probabilities: one-hot votes (not stored) */
  /* logistic regression */
  int P;           /* classes present in training */
  int *map;        /* [K] class k's row of w, or -1 (absent in training: probability 0) */
  double *w;       /* [P][F] weights, then [P] intercepts */
  int iterations;  /* L-BFGS's, at fit time (not stored) */
  /* boosted trees, forests: XGBoost's booster and its UBJSON */
  void *booster;
  unsigned char *blob;
  size_t n_blob;
} classic_t;

/* XGBoost's trees: boosted (rounds of one tree) or a forest (one round of many) */
typedef struct trees_opts {
  int forest;
  int trees;          /* boosting rounds, or the forest's trees */
  int depth;
  double eta, subsample, colsample; /* colsample: by tree (boosting) or by node (forest) */
} trees_opts_t;

/* kNN "fitted" on rows[n] of x[][F] (standardised) and their labels: a copy
 * of the rows. NULL with the reason. */
classic_t *knn_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int k, int weights, char *err,
                     size_t errlen);

/* libsvm's C-SVC on rows[n] of x[][F] (standardised) with labels y of K
 * classes: RBF (gamma <= 0: scikit-learn's 'scale', 1 / (F var(x))) or
 * linear, C, Platt's probabilities (libsvm's 5-fold fit, its draws from
 * srand(seed)). NULL with the reason. */
classic_t *svm_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int K, int kernel, double C,
                     double gamma, int probability, unsigned long seed, char *err, size_t errlen);

/* Multinomial logistic regression with an L2 penalty (scikit-learn's
 * LogisticRegression: lbfgs, multinomial, intercepts unpenalised) on rows[n]
 * of x[][F] (standardised), fitted until no gradient component exceeds 1e-4
 * (scikit-learn's tolerance). NULL with the reason. */
classic_t *logreg_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int K, double C, char *err,
                        size_t errlen);

/* XGBoost hist trees on rows[n] of x[][F] (standardised; trees do not need it,
 * but every model of feature rows reads them so) with softprob over K
 * classes, the seed and threads given. NULL with the reason. */
classic_t *trees_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int K, const trees_opts_t *o,
                       unsigned long seed, int threads, char *err, size_t errlen);

/* Class probabilities probs[B][K] of x[B][F] (standardised). 0, or -1 when out of memory. */
int classic_predict(const classic_t *c, int K, const real *x, int B, real *probs);

/* The file form (inside a model file): its size, the bytes, and back (every
 * count checked against n_bytes, the kind, F and K). */
size_t classic_size(const classic_t *c);
void classic_write(const classic_t *c, unsigned char *out);
classic_t *classic_read(int kind, const unsigned char *p, size_t n_bytes, size_t F, int K, char *err, size_t errlen);
void classic_free(classic_t *c);
/* c->norm[i] = |c->x[i]|^2 for the n rows of F values (kNN's rows, an SVM's support vectors). */
void classic_norms(classic_t *c);

/* The libraries' versions, as they report them (for genre --version). */
int svm_library_version(void);                        /* libsvm's: 324 for 3.24 */
void trees_library_version(int *major, int *minor, int *patch); /* XGBoost's */

/* For the kinds' files: little-endian fields, and reading them within n bytes */
typedef struct classic_reader {
  const unsigned char *p;
  size_t n, at;
  int bad;
} classic_reader_t;
void classic_put32(unsigned char **p, uint32_t v);
void classic_put64f(unsigned char **p, double v);
uint32_t classic_get32(classic_reader_t *r);
double classic_get64f(classic_reader_t *r);

/* the kinds' own halves, behind classic.c's dispatch */
int knn_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs);
size_t knn_size(const classic_t *c);
void knn_write(const classic_t *c, unsigned char *out);
int knn_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen);
int svm_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs);
size_t svm_size(const classic_t *c);
void svm_write(const classic_t *c, unsigned char *out);
int svm_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen);
void svm_release(classic_t *c);
int logreg_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs);
size_t logreg_size(const classic_t *c);
void logreg_write(const classic_t *c, unsigned char *out);
int logreg_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen);
int trees_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs);
size_t trees_size(const classic_t *c);
void trees_write(const classic_t *c, unsigned char *out);
int trees_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen);
void trees_release(classic_t *c);
int svm_support_vectors(const classic_t *c);
/* An SVM's one-against-one vote (libsvm's decision, scikit-learn's SVC.predict) for x[B][F]: class indices. 0, or -1. */
int svm_vote_rows(const classic_t *c, const real *x, int B, int *labels);

#endif
