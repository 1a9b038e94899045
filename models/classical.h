/* The classical baselines on a feature table, as model kinds: k nearest
 * neighbours (scikit-learn's KNeighborsClassifier, brute force, Euclidean),
 * C-SVC (libsvm, as scikit-learn's SVC) and multinomial logistic regression
 * (as scikit-learn's LogisticRegression). The same z-score scaler as the
 * ANN, fitted on the training rows; the fitted state in models/classic/. */
#ifndef GENRE_CLASSICAL_H
#define GENRE_CLASSICAL_H

#include <stddef.h>

#include "dataset.h"
#include "model.h"
#include "train.h"
#include "classic.h"

typedef struct knn_opts {
  char arch[32];
  int k;            /* neighbours (scikit-learn's default: 5) */
  int weights;      /* KNN_UNIFORM or KNN_DISTANCE (classic.h) */
  double val_fraction;
  train_opts_t train; /* its seed (the temperature's twin) and --no-calibrate: kNN has no epochs */
} knn_opts_t;

/* "default": k 5, uniform weights (scikit-learn's defaults); "distance": k 5,
 * votes weighted by 1/d. 0, or -1 for another name. */
int knn_preset(const char *name, knn_opts_t *o);

/* The model of rows train[n_train] (val: part of the scaler's rows, as an
 * ANN's; no early stopping to serve). 0, or -1 with the reason. */
int knn_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const knn_opts_t *o, model_t *m, char *err, size_t errlen);

typedef struct svm_opts {
  char arch[32];
  int kernel;       /* SVM_RBF or SVM_LINEAR (classic.h) */
  double C, gamma;  /* gamma <= 0: scikit-learn's 'scale', 1 / (features x variance) */
  int threads;      /* set by the commands: libsvm fits on one (its folds one at a time, for rand()'s
                       sake); its predictions share the rows among them */
  double val_fraction;
  int votes_only;   /* no Platt fit: one-hot probabilities of libsvm's one-against-one vote (SVC.predict),
                       as --tune's inner fits score candidates, like scikit-learn's GridSearchCV on SVC() */
  train_opts_t train; /* its seed (libsvm's probability folds, the temperature's twin) and --no-calibrate */
} svm_opts_t;

/* "default": RBF, C = 1, gamma 'scale' (scikit-learn's SVC); "linear": a
 * linear kernel, C = 1. 0, or -1 for another name. */
int svm_preset(const char *name, svm_opts_t *o);

int svm_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const svm_opts_t *o, model_t *m, char *err, size_t errlen);

typedef struct logreg_opts {
  char arch[32];
  double C;         /* the inverse of the L2 penalty's strength (scikit-learn's default: 1) */
  double val_fraction;
  train_opts_t train;
} logreg_opts_t;

/* "default": C = 1 (scikit-learn's LogisticRegression). 0, or -1 for another name. */
int logreg_preset(const char *name, logreg_opts_t *o);
int logreg_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
               const logreg_opts_t *o, model_t *m, char *err, size_t errlen);

typedef struct trees_kind_opts {
  char arch[32];
  trees_opts_t t;
  int threads;      /* set by the commands: XGBoost's nthread (one fold at a time) */
  double val_fraction;
  train_opts_t train;
} trees_kind_opts_t;

/* gbdt "default": 100 rounds of depth-6 hist trees, eta 0.3, no subsampling
 * (XGBoost's XGBClassifier); rf "default": one round of 100 trees of depth 6,
 * eta 1, rows and columns (by node) subsampled at 0.8, lambda 1e-5 (its
 * XGBRFClassifier). 0, or -1 for another name. */
int gbdt_preset(const char *name, trees_kind_opts_t *o);
int rf_preset(const char *name, trees_kind_opts_t *o);
int trees_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
              const trees_kind_opts_t *o, model_t *m, char *err, size_t errlen);

/* An SVM's vote (libsvm's decision function, scikit-learn's SVC.predict) on
 * rows idx[n] of d: class indices. 0, or -1 when out of memory. */
int svm_votes(const model_t *m, const dataset_t *d, const size_t *idx, size_t n, int *labels);

/* Their probabilities of a table's rows: ann_predict (ann.h), as for any model of feature rows. */

#endif
