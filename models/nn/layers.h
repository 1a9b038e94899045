/* Layers as plain forward/backward functions (llm.c style). Activations are
 * row-major per sample: dense [B][features], images NCHW [B][C][H][W].
 * Backward functions overwrite (not accumulate) the gradients they produce;
 * din may be NULL for the first layer. */
#ifndef GENRE_LAYERS_H
#define GENRE_LAYERS_H

#include <stddef.h>

#include "real.h"

/* Dense layers in fixed blocks of DENSE_BLOCK columns, one GEMM each,
 * whatever the thread count: BLAS rounds a product of a given width the same
 * way every time, but not products of different widths. Each function does
 * blocks [blk0, blk1) of dense_blocks(columns). */
#define DENSE_BLOCK 256
int dense_blocks(int columns);
/* out[B,O] = in[B,I] w[O,I]^T + b[O], over blocks of output columns */
void dense_forward(real *out, const real *in, const real *w, const real *b, int B, int I, int O, int blk0, int blk1);
/* dw[O,I] = dout^T in; db[O] = sum over B of dout, over blocks of output rows */
void dense_backward_weights(real *dw, real *db, const real *dout, const real *in, int B, int I, int O, int blk0,
                            int blk1);
/* din[B,I] = dout[B,O] w[O,I], over blocks of input columns */
void dense_backward_input(real *din, const real *dout, const real *w, int B, int I, int O, int blk0, int blk1);

/* out = max(0, in) over n values; din = dout where out > 0 */
void relu_forward(real *out, const real *in, size_t n); /* out may be in */
void relu_backward(real *restrict din, const real *restrict dout, const real *restrict out, size_t n);

/* inverted dropout: out = in * mask, mask[i] = 0 or 1/(1-rate), drawn by the caller */
void dropout_forward(real *out, const real *in, const real *restrict mask, size_t n); /* out may be in */
void dropout_backward(real *restrict din, const real *restrict dout, const real *restrict mask, size_t n);
/* LeakyReLU (slope alpha below zero), the logistic sigmoid and tanh; their
 * backward passes read the input (LeakyReLU) or the output */
void leaky_relu_forward(real *out, const real *in, size_t n, real alpha);
void leaky_relu_backward(real *din, const real *dout, const real *in, size_t n, real alpha);
void sigmoid_forward(real *out, const real *in, size_t n);
void sigmoid_backward(real *din, const real *dout, const real *out, size_t n);
void tanh_forward(real *out, const real *in, size_t n);
void tanh_backward(real *din, const real *dout, const real *out, size_t n);

/* Batch normalisation over channels: x[B][C][S] (S = H*W, 1 after a dense
 * layer). Training: batch mean and biased variance; xhat[B][C][S] and
 * invstd[C] are kept for backward, running stats move by `momentum`
 * (running = momentum * running + (1 - momentum) * batch). Inference: running. */
void batchnorm_forward_train(real *out, real *xhat, real *invstd, real *running_mean,
                             real *running_var, const real *in, const real *gamma,
                             const real *beta, int B, int C, int S, real eps, real momentum);
void batchnorm_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                            const real *running_mean, const real *running_var, int B, int C, int S,
                            real eps);
/* dgamma[C], dbeta[C], din[B][C][S] */
void batchnorm_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *xhat,
                        const real *invstd, const real *gamma, int B, int C, int S);
/* the same over channels [c0, c1) only (channels are independent) */
void batchnorm_forward_train_range(real *out, real *xhat, real *invstd, real *running_mean, real *running_var,
                                   const real *in, const real *gamma, const real *beta, int B, int C, int S, real eps,
                                   real momentum, int c0, int c1);
void batchnorm_forward_eval_range(real *out, const real *in, const real *gamma, const real *beta,
                                  const real *running_mean, const real *running_var, int B, int C, int S, real eps,
                                  int c0, int c1);
void batchnorm_backward_range(real *din, real *dgamma, real *dbeta, const real *dout, const real *xhat,
                              const real *invstd, const real *gamma, int B, int C, int S, int c0, int c1);
/* Synchronised batch normalisation (PyTorch's SyncBatchNorm) in steps, so the
 * caller can sum each step's per-channel figures over processes: sum[C] of x;
 * dev[C], the sums of squared deviations from mean[C]; the normalisation with
 * mean[C] and biased var[C]. Backward: sdy[C] and sdyx[C] (sum of dy and of
 * dy * xhat), then din from sums over n values. */
void batchnorm_sums(const real *in, int B, int C, int S, double *sum);
void batchnorm_deviations(const real *in, int B, int C, int S, const double *mean, double *dev);
void batchnorm_normalize(real *out, real *xhat, real *invstd, real *running_mean, real *running_var, const real *in,
                         const real *gamma, const real *beta, int B, int C, int S, const double *mean,
                         const double *var, real eps, real momentum);
void batchnorm_backward_sums(const real *dout, const real *xhat, int B, int C, int S, double *sdy, double *sdyx);
void batchnorm_backward_input(real *din, const real *dout, const real *xhat, const real *invstd, const real *gamma,
                              int B, int C, int S, const double *sdy, const double *sdyx, double n);

/* 2-D convolution, NCHW, kernel w[Co][Ci][KH][KW], bias b[Co], stride, zero
 * padding pad_h / pad_w on top/left (bottom/right take what the output size
 * needs). Lowered to GEMM through im2col: col[Ci*KH*KW][Ho*Wo] per sample. */
typedef struct conv_shape {
  int ci, hi, wi, co, ho, wo, kh, kw, stride, pad_h, pad_w;
} conv_shape_t;
size_t conv_col_size(const conv_shape_t *s); /* reals in one sample's col */
void conv2d_forward(real *out, const real *in, const real *w, const real *b, real *col, int B,
                    const conv_shape_t *s);
/* dw, db overwritten; din[B][Ci][Hi][Wi] (if not NULL) */
void conv2d_backward(real *din, real *dw, real *db, const real *dout, const real *in,
                     const real *w, real *col, int B, const conv_shape_t *s);

/* max pooling k x k, stride k (floor mode); argmax[B*C*Ho*Wo] for backward.
 * The _planes versions work on planes (sample, channel) [p0, p1) of B*C. */
void maxpool_forward(real *out, int *argmax, const real *in, int B, int C, int H, int W, int k);
void maxpool_backward(real *din, const real *dout, const int *argmax, int B, int C, int H, int W,
                      int k);
void maxpool_forward_planes(real *out, int *argmax, const real *in, int H, int W, int k, int p0, int p1);
void maxpool_backward_planes(real *din, const real *dout, const int *argmax, int H, int W, int k, int p0, int p1);

/* max pooling over W of [planes][W] (1 x k windows, stride k, floor mode, as
 * PyTorch's MaxPool1d(k)); planes [p0, p1) */
void maxpool1d_forward_planes(real *out, int *argmax, const real *in, int W, int k, int p0, int p1);
void maxpool1d_backward_planes(real *din, const real *dout, const int *argmax, int W, int k, int p0, int p1);

/* average pooling k x k, stride k (floor mode), over planes [P][H][W] (PyTorch's AvgPool2d(k)) */
void avgpool2d_forward(real *out, const real *in, int P, int H, int W, int k);
void avgpool2d_backward(real *din, const real *dout, int P, int H, int W, int k);

/* global average pooling: out[B][C] = mean over H*W of in[B][C][H*W] */
void avgpool_forward(real *out, const real *in, int B, int C, int S);
void avgpool_backward(real *din, const real *dout, int B, int C, int S);

/* softmax over K classes and mean cross-entropy against labels y[B];
 * probs[B][K], dlogits[B][K] = (probs - onehot) / B. Returns the loss. */
double softmax_xent(real *probs, real *dlogits, const real *logits, const int *y, int B, int K);
/* The same against soft targets t[B][K] (rows summing to 1), and against
 * smoothed targets (1 - e) onehot + e / K, with the sum divided by denom
 * instead of B: the global batch when B is one process's share of it. */
double softmax_xent_soft(real *probs, real *dlogits, const real *logits, const real *t, int B, int K, double denom);
double softmax_xent_smooth(real *probs, real *dlogits, const real *logits, const int *y, int B, int K, real e,
                           double denom);
void softmax(real *probs, const real *logits, int B, int K);

#endif
