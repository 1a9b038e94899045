/* ReLU and inverted dropout: elementwise, shape-agnostic. */
#include "layers.h"

void relu_forward(real *out, const real *in, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0;
}

void relu_backward(real *din, const real *dout, const real *out, size_t n) {
  for (size_t i = 0; i < n; i++) din[i] = out[i] > 0 ? dout[i] : 0;
}

void dropout_forward(real *out, const real *in, const real *mask, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = in[i] * mask[i];
}

void dropout_backward(real *din, const real *dout, const real *mask, size_t n) {
  for (size_t i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}
