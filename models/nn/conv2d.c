/* 2-D convolution lowered to GEMM through im2col (per sample):
 *   col[Ci*KH*KW][Ho*Wo] <- input patches,  out[Co][Ho*Wo] = w[Co][Ci*KH*KW] col + b
 * backward: dw += dout col^T, dcol = w^T dout, din <- col2im(dcol). */
#include <string.h>

#include "layers.h"
#include "simd.h"

size_t conv_col_size(const conv_shape_t *s) { return (size_t)s->ci * s->kh * s->kw * s->ho * s->wo; }

/* output columns j whose input column j*stride + kj - pad_w is inside [0, wi) */
static inline void valid_columns(const conv_shape_t *s, int kj, int *j0, int *j1) {
  int off = kj - s->pad_w, lo = off >= 0 ? 0 : (-off + s->stride - 1) / s->stride;
  int hi = (s->wi - 1 - off) / s->stride + 1; /* first j past the right edge */
  if (s->wi - 1 - off < 0) hi = 0;
  *j0 = lo < s->wo ? lo : s->wo;
  *j1 = hi < s->wo ? hi : s->wo;
  if (*j1 < *j0) *j1 = *j0;
}

HOT_KERNEL
static void im2col(real *col, const real *x, const conv_shape_t *s) {
  int hw = s->ho * s->wo;
  for (int c = 0; c < s->ci; c++)
    for (int ki = 0; ki < s->kh; ki++)
      for (int kj = 0; kj < s->kw; kj++) {
        real *row = col + ((size_t)(c * s->kh + ki) * s->kw + kj) * hw;
        const real *xc = x + (size_t)c * s->hi * s->wi;
        int j0, j1, off = kj - s->pad_w;
        valid_columns(s, kj, &j0, &j1);
        for (int i = 0; i < s->ho; i++) {
          int y = i * s->stride + ki - s->pad_h;
          real *r = row + (size_t)i * s->wo;
          if (y < 0 || y >= s->hi) {
            memset(r, 0, sizeof(real) * s->wo);
            continue;
          }
          const real *xr = xc + (size_t)y * s->wi + off;
          for (int j = 0; j < j0; j++) r[j] = 0;
          if (s->stride == 1) memcpy(r + j0, xr + j0, sizeof(real) * (size_t)(j1 - j0));
          else
            for (int j = j0; j < j1; j++) r[j] = xr[j * s->stride];
          for (int j = j1; j < s->wo; j++) r[j] = 0;
        }
      }
}

HOT_KERNEL
static void col2im(real *x, const real *col, const conv_shape_t *s) {
  int hw = s->ho * s->wo;
  memset(x, 0, sizeof(real) * s->ci * s->hi * s->wi);
  for (int c = 0; c < s->ci; c++)
    for (int ki = 0; ki < s->kh; ki++)
      for (int kj = 0; kj < s->kw; kj++) {
        const real *row = col + ((size_t)(c * s->kh + ki) * s->kw + kj) * hw;
        real *xc = x + (size_t)c * s->hi * s->wi;
        int j0, j1, off = kj - s->pad_w;
        valid_columns(s, kj, &j0, &j1);
        for (int i = 0; i < s->ho; i++) {
          int y = i * s->stride + ki - s->pad_h;
          if (y < 0 || y >= s->hi) continue;
          real *xr = xc + (size_t)y * s->wi + off;
          const real *r = row + (size_t)i * s->wo;
          if (s->stride == 1)
            for (int j = j0; j < j1; j++) xr[j] += r[j];
          else
            for (int j = j0; j < j1; j++) xr[j * s->stride] += r[j];
        }
      }
}

void conv2d_forward(real *out, const real *in, const real *w, const real *b, real *col, int B,
                    const conv_shape_t *s) {
  int K = s->ci * s->kh * s->kw, hw = s->ho * s->wo;
  for (int n = 0; n < B; n++) {
    const real *x = in + (size_t)n * s->ci * s->hi * s->wi;
    real *y = out + (size_t)n * s->co * hw;
    im2col(col, x, s);
    for (int o = 0; o < s->co; o++)
      for (int p = 0; p < hw; p++) y[(size_t)o * hw + p] = b[o];
    GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->co, hw, K, 1, w, K, col, hw, 1, y, hw);
  }
}

void conv2d_backward(real *din, real *dw, real *db, const real *dout, const real *in,
                     const real *w, real *col, int B, const conv_shape_t *s) {
  int K = s->ci * s->kh * s->kw, hw = s->ho * s->wo;
  memset(dw, 0, sizeof(real) * s->co * K);
  memset(db, 0, sizeof(real) * s->co);
  for (int n = 0; n < B; n++) {
    const real *x = in + (size_t)n * s->ci * s->hi * s->wi;
    const real *dy = dout + (size_t)n * s->co * hw;
    for (int o = 0; o < s->co; o++) {
      double acc = 0;
      for (int p = 0; p < hw; p++) acc += dy[(size_t)o * hw + p];
      db[o] += (real)acc;
    }
    im2col(col, x, s);
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, s->co, K, hw, 1, dy, hw, col, hw, 1, dw, K);
    if (din) {
      GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, K, hw, s->co, 1, w, K, dy, hw, 0, col, hw);
      col2im(din + (size_t)n * s->ci * s->hi * s->wi, col, s);
    }
  }
}
