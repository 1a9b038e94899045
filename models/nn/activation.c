/* ReLU and inverted dropout: elementwise, shape-agnostic. Written branch-free
 * so they vectorise: a ReLU's sign is a coin flip, and as compare-and-branch
 * code every element costs a misprediction. The forward passes may run in
 * place (out == in): each element is read before it is written. */
#include "layers.h"
#include "simd.h"

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
