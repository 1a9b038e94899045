/* The network's number type. float32 for training and inference; the tests
 * also build the core with -DNN_DOUBLE to check every layer against the
 * float64 PyTorch references at 1e-9 and against finite differences. */
#ifndef GENRE_REAL_H
#define GENRE_REAL_H

#include <gsl/gsl_cblas.h>

#ifdef NN_DOUBLE
typedef double real;
#define GEMM cblas_dgemm
#define AXPY cblas_daxpy
#define SQRT sqrt
#else
typedef float real;
#define GEMM cblas_sgemm
#define AXPY cblas_saxpy
#define SQRT sqrtf
#endif

#endif
