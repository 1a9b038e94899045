#include <string.h>

#include "layers.h"

int dense_blocks(int columns) { return (columns + DENSE_BLOCK - 1) / DENSE_BLOCK; }

static int block_end(int blk, int columns) { return (blk + 1) * DENSE_BLOCK < columns ? (blk + 1) * DENSE_BLOCK : columns; }

/* out[B, o0:o1] = in[B,I] w[o0:o1,I]^T + b[o0:o1], block by block */
void dense_forward(real *out, const real *in, const real *w, const real *b, int B, int I, int O, int blk0, int blk1) {
  for (int blk = blk0; blk < blk1; blk++) {
    int o0 = blk * DENSE_BLOCK, o1 = block_end(blk, O);
    for (int n = 0; n < B; n++) memcpy(out + (size_t)n * O + o0, b + o0, sizeof(real) * (size_t)(o1 - o0));
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, B, o1 - o0, I, 1, in, I, w + (size_t)o0 * I, I, 1, out + o0, O);
  }
}

/* dw[o0:o1, I] = dout[B, o0:o1]^T in; db[o0:o1] = sum over B of dout, block by block */
void dense_backward_weights(real *dw, real *db, const real *dout, const real *in, int B, int I, int O, int blk0,
                            int blk1) {
  for (int blk = blk0; blk < blk1; blk++) {
    int o0 = blk * DENSE_BLOCK, o1 = block_end(blk, O);
    GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, o1 - o0, I, B, 1, dout + o0, O, in, I, 0, dw + (size_t)o0 * I, I);
    for (int o = o0; o < o1; o++) {
      real acc = 0;
      for (int n = 0; n < B; n++) acc += dout[(size_t)n * O + o];
      db[o] = acc;
    }
  }
}

/* din[B, i0:i1] = dout[B,O] w[O, i0:i1], block by block of input columns */
void dense_backward_input(real *din, const real *dout, const real *w, int B, int I, int O, int blk0, int blk1) {
  for (int blk = blk0; blk < blk1; blk++) {
    int i0 = blk * DENSE_BLOCK, i1 = block_end(blk, I);
    GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, i1 - i0, O, 1, dout, O, w + i0, I, 0, din + i0, I);
  }
}
