#include <string.h>

#include "layers.h"

/* out[B,O] = in[B,I] w[O,I]^T + b[O] */
void dense_forward(real *out, const real *in, const real *w, const real *b, int B, int I, int O) {
  for (int n = 0; n < B; n++) memcpy(out + (size_t)n * O, b, sizeof(real) * O);
  GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, B, O, I, 1, in, I, w, I, 1, out, O);
}

/* din[B,I] = dout[B,O] w[O,I]; dw[O,I] = dout^T in; db[O] = sum over B of dout */
void dense_backward(real *din, real *dw, real *db, const real *dout, const real *in, const real *w,
                    int B, int I, int O) {
  GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, O, I, B, 1, dout, O, in, I, 0, dw, I);
  for (int o = 0; o < O; o++) db[o] = 0;
  for (int n = 0; n < B; n++)
    for (int o = 0; o < O; o++) db[o] += dout[(size_t)n * O + o];
  if (din) GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, I, O, 1, dout, O, w, I, 0, din, I);
}
