/* Max pooling (k x k, stride k, floor mode like PyTorch's MaxPool2d(k)) and
 * global average pooling. */
#include "layers.h"
#include "simd.h"

void maxpool_forward(real *out, int *argmax, const real *in, int B, int C, int H, int W, int k) {
  maxpool_forward_planes(out, argmax, in, H, W, k, 0, B * C);
}

HOT_KERNEL
void maxpool_forward_planes(real *out, int *argmax, const real *in, int H, int W, int k, int p0, int p1) {
  int Ho = H / k, Wo = W / k;
  if (k == 2) { /* the common case, written so it vectorises */
    for (int bc = p0; bc < p1; bc++) {
      const real *x = in + (size_t)bc * H * W;
      real *y = out + (size_t)bc * Ho * Wo;
      int *am = argmax + (size_t)bc * Ho * Wo;
      for (int i = 0; i < Ho; i++) {
        const real *r0 = x + (size_t)(2 * i) * W, *r1 = r0 + W;
        for (int j = 0; j < Wo; j++) {
          /* first maximum in row-major order wins, as PyTorch */
          real a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
          int ia = 2 * i * W + 2 * j;
          real m = a;
          int at = ia;
          at = b > m ? ia + 1 : at, m = b > m ? b : m;
          at = c > m ? ia + W : at, m = c > m ? c : m;
          at = d > m ? ia + W + 1 : at, m = d > m ? d : m;
          y[i * Wo + j] = m;
          am[i * Wo + j] = at;
        }
      }
    }
    return;
  }
  for (int bc = p0; bc < p1; bc++) {
    const real *x = in + (size_t)bc * H * W;
    real *y = out + (size_t)bc * Ho * Wo;
    int *am = argmax + (size_t)bc * Ho * Wo;
    for (int i = 0; i < Ho; i++)
      for (int j = 0; j < Wo; j++) {
        int best = i * k * W + j * k;
        for (int di = 0; di < k; di++)
          for (int dj = 0; dj < k; dj++) {
            int at = (i * k + di) * W + j * k + dj;
            if (x[at] > x[best]) best = at; /* first maximum wins, as PyTorch */
          }
        y[i * Wo + j] = x[best];
        am[i * Wo + j] = best;
      }
  }
}

void maxpool_backward(real *din, const real *dout, const int *argmax, int B, int C, int H, int W,
                      int k) {
  maxpool_backward_planes(din, dout, argmax, H, W, k, 0, B * C);
}

void maxpool_backward_planes(real *din, const real *dout, const int *argmax, int H, int W, int k, int p0, int p1) {
  int Ho = H / k, Wo = W / k;
  for (size_t i = (size_t)p0 * H * W; i < (size_t)p1 * H * W; i++) din[i] = 0;
  for (int bc = p0; bc < p1; bc++) {
    real *dx = din + (size_t)bc * H * W;
    const real *dy = dout + (size_t)bc * Ho * Wo;
    const int *am = argmax + (size_t)bc * Ho * Wo;
    for (int o = 0; o < Ho * Wo; o++) dx[am[o]] += dy[o];
  }
}

void avgpool2d_forward(real *out, const real *in, int P, int H, int W, int k) {
  int Ho = H / k, Wo = W / k;
  for (int p = 0; p < P; p++) {
    const real *x = in + (size_t)p * H * W;
    real *y = out + (size_t)p * Ho * Wo;
    for (int i = 0; i < Ho; i++)
      for (int j = 0; j < Wo; j++) {
        double sum = 0;
        for (int a = 0; a < k; a++)
          for (int b = 0; b < k; b++) sum += x[(size_t)(i * k + a) * W + j * k + b];
        y[i * Wo + j] = (real)(sum / (k * k));
      }
  }
}

void avgpool2d_backward(real *din, const real *dout, int P, int H, int W, int k) {
  int Ho = H / k, Wo = W / k;
  for (size_t i = 0; i < (size_t)P * H * W; i++) din[i] = 0;
  for (int p = 0; p < P; p++) {
    real *dx = din + (size_t)p * H * W;
    const real *dy = dout + (size_t)p * Ho * Wo;
    for (int i = 0; i < Ho; i++)
      for (int j = 0; j < Wo; j++) {
        real g = dy[i * Wo + j] / (real)(k * k);
        for (int a = 0; a < k; a++)
          for (int b = 0; b < k; b++) dx[(size_t)(i * k + a) * W + j * k + b] = g;
      }
  }
}

void avgpool_forward(real *out, const real *in, int B, int C, int S) {
  for (int bc = 0; bc < B * C; bc++) {
    const real *x = in + (size_t)bc * S;
    double sum = 0;
    for (int s = 0; s < S; s++) sum += x[s];
    out[bc] = (real)(sum / S);
  }
}

void avgpool_backward(real *din, const real *dout, int B, int C, int S) {
  for (int bc = 0; bc < B * C; bc++) {
    real g = dout[bc] / S;
    for (int s = 0; s < S; s++) din[(size_t)bc * S + s] = g;
  }
}

void maxpool1d_forward_planes(real *out, int *argmax, const real *in, int W, int k, int p0, int p1) {
  int Wo = W / k;
  for (int p = p0; p < p1; p++) {
    const real *x = in + (size_t)p * W;
    real *y = out + (size_t)p * Wo;
    int *am = argmax + (size_t)p * Wo;
    for (int j = 0; j < Wo; j++) {
      int best = j * k;
      for (int d = 1; d < k; d++)
        if (x[j * k + d] > x[best]) best = j * k + d; /* first maximum wins, as PyTorch */
      y[j] = x[best], am[j] = best;
    }
  }
}

void maxpool1d_backward_planes(real *din, const real *dout, const int *argmax, int W, int k, int p0, int p1) {
  int Wo = W / k;
  for (int p = p0; p < p1; p++) {
    real *dx = din + (size_t)p * W;
    const real *dy = dout + (size_t)p * Wo;
    const int *am = argmax + (size_t)p * Wo;
    for (int i = 0; i < W; i++) dx[i] = 0;
    for (int j = 0; j < Wo; j++) dx[am[j]] += dy[j];
  }
}
