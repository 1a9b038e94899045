/* ReLU, LeakyReLU, sigmoid, tanh and inverted dropout: elementwise, shape-agnostic. Written branch-free
 * so they vectorise: a ReLU's sign is a coin flip, and as compare-and-branch
 * code every element costs a misprediction. The forward passes may run in
 * place (out == in): each element is read before it is written. */
#include "layers.h"
#include "simd.h"

#include <math.h>

HOT_KERNEL
void relu_forward(real *out, const real *in, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0;
}

HOT_KERNEL
void relu_backward(real *restrict din, const real *restrict dout, const real *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) din[i] = out[i] > 0 ? dout[i] : 0;
}

HOT_KERNEL
void dropout_forward(real *out, const real *in, const real *restrict mask, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = in[i] * mask[i];
}

HOT_KERNEL
void dropout_backward(real *restrict din, const real *restrict dout, const real *restrict mask, size_t n) {
  for (size_t i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}

void leaky_relu_forward(real *out, const real *in, size_t n, real alpha) {
  for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : alpha * in[i];
}

void leaky_relu_backward(real *restrict din, const real *restrict dout, const real *restrict in, size_t n, real alpha) {
  for (size_t i = 0; i < n; i++) din[i] = in[i] > 0 ? dout[i] : alpha * dout[i];
}

/* 1 / (1 + e^-x), from e^x below zero so that nothing overflows */
void sigmoid_forward(real *out, const real *in, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double x = in[i], e = exp(-fabs(x));
    out[i] = (real)(x >= 0 ? 1 / (1 + e) : e / (1 + e));
  }
}

void sigmoid_backward(real *restrict din, const real *restrict dout, const real *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) din[i] = dout[i] * out[i] * (1 - out[i]);
}

void tanh_forward(real *out, const real *in, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (real)tanh((double)in[i]);
}

void tanh_backward(real *restrict din, const real *restrict dout, const real *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) din[i] = dout[i] * (1 - out[i] * out[i]);
}
