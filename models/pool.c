/* Max pooling (k x k, stride k, floor mode like PyTorch's MaxPool2d(k)) and
 * global average pooling. */
#include "layers.h"

void maxpool_forward(real *out, int *argmax, const real *in, int B, int C, int H, int W, int k) {
  int Ho = H / k, Wo = W / k;
  for (int bc = 0; bc < B * C; bc++) {
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
  int Ho = H / k, Wo = W / k;
  for (size_t i = 0; i < (size_t)B * C * H * W; i++) din[i] = 0;
  for (int bc = 0; bc < B * C; bc++) {
    real *dx = din + (size_t)bc * H * W;
    const real *dy = dout + (size_t)bc * Ho * Wo;
    const int *am = argmax + (size_t)bc * Ho * Wo;
    for (int o = 0; o < Ho * Wo; o++) dx[am[o]] += dy[o];
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
