/* A network described as data (darknet style): a table of layer specs, from
 * which shapes, parameters and buffers follow. Parameters, their gradients and
 * Adam's moments are each one contiguous block; activations are allocated for
 * a maximum batch once, so training allocates nothing per step. */
#ifndef GENRE_NET_H
#define GENRE_NET_H

#include <stddef.h>

#include "layers.h"

typedef enum layer_kind {
  LAYER_DENSE = 1, /* size: units (0: one per class) */
  LAYER_RELU,
  LAYER_DROPOUT,   /* rate */
  LAYER_BATCHNORM, /* over features (after dense) or channels (after conv) */
  LAYER_CONV2D,    /* size: filters, kernel: square size, stride; pad: "same" (0) or "valid" (1) */
  LAYER_MAXPOOL,   /* size: k (k x k, stride k) */
  LAYER_AVGPOOL,   /* global average pooling: [C][H][W] -> [C] */
  LAYER_FLATTEN,   /* [C][H][W] -> [C*H*W] (C, H, W order, as PyTorch) */
  LAYER_CONV1D,    /* over W of [C][1][W] (PyTorch Conv1d): size filters, kernel taps, stride, pad */
  LAYER_MAXPOOL1D, /* over W of [C][1][W]: size k (stride k, as PyTorch MaxPool1d) */
  LAYER_LEAKYRELU, /* rate: the slope below zero (PyTorch's LeakyReLU negative_slope) */
  LAYER_SIGMOID,
  LAYER_TANH,
  LAYER_AVGPOOL2D, /* size: k (k x k windows, stride k, floor mode: PyTorch's AvgPool2d(k)) */
} layer_kind_t;

typedef struct layer_spec {
  int kind;
  int size;
  int kernel;
  int stride;
  float rate;
  int pad; /* conv2d: PAD_SAME, PAD_VALID, or PAD_ZEROS + p */
} layer_spec_t;

/* "same" (Keras: the output ceil(in / stride), zeros split with the odd one at
 * the end), "valid" (none), or PAD_ZEROS + p: p zeros on every side, the output
 * floor((in + 2p - k) / stride) + 1 (PyTorch's padding=p, up to 64) */
enum { PAD_SAME = 0, PAD_VALID = 1, PAD_ZEROS = 16, PAD_ZEROS_MAX = PAD_ZEROS + 64 };

/* Table entries, so a preset reads as its architecture */
#define DENSE(units) ((layer_spec_t){.kind = LAYER_DENSE, .size = (units)})
#define DENSE_CLASSES DENSE(0) /* one unit per class */
#define RELU ((layer_spec_t){.kind = LAYER_RELU})
#define DROPOUT(p) ((layer_spec_t){.kind = LAYER_DROPOUT, .rate = (p)})
#define BATCHNORM ((layer_spec_t){.kind = LAYER_BATCHNORM})
#define CONV(filters, k, s) ((layer_spec_t){.kind = LAYER_CONV2D, .size = (filters), .kernel = (k), .stride = (s)})
#define CONV_VALID(filters, k) \
  ((layer_spec_t){.kind = LAYER_CONV2D, .size = (filters), .kernel = (k), .stride = 1, .pad = PAD_VALID})
#define MAXPOOL(k) ((layer_spec_t){.kind = LAYER_MAXPOOL, .size = (k)})
#define CONV1D(filters, k) ((layer_spec_t){.kind = LAYER_CONV1D, .size = (filters), .kernel = (k), .stride = 1})
#define MAXPOOL1D(k) ((layer_spec_t){.kind = LAYER_MAXPOOL1D, .size = (k)})
#define AVGPOOL ((layer_spec_t){.kind = LAYER_AVGPOOL})
#define FLATTEN ((layer_spec_t){.kind = LAYER_FLATTEN})

#define NET_MAX_LAYERS 64
/* What a layer table may ask for: parameters in all, and values per sample in
 * any one layer's output or im2col matrix (the presets use at most 7.6 M and 0.6 M). */
#define NET_MAX_PARAMS ((size_t)1 << 28)
#define NET_MAX_ACTIVATIONS ((size_t)1 << 24)

typedef struct layer {
  layer_spec_t spec;
  int ic, ih, iw, c, h, w; /* input and output shape per sample */
  size_t in_size, out_size;
  real *weight, *bias, *dweight, *dbias; /* batchnorm: gamma, beta */
  size_t nw, nb;
  real *run_mean, *run_var; /* batchnorm state */
  real *out, *dout;         /* [max_batch][out_size]; out may be the input's buffer (in place),
                               dout one of two buffers shared by all layers */
  int inplace;              /* out is the previous layer's out */
  real *aux, *aux2;         /* dropout mask / batchnorm xhat, invstd */
  int *argmax;              /* max pooling */
  conv_shape_t conv;
  int relu_after;           /* the next layer is a ReLU (for He initialisation) */
} layer_t;

typedef struct net {
  int n_layers;
  layer_t layer[NET_MAX_LAYERS];
  int in_c, in_h, in_w, n_classes, max_batch;
  size_t n_params, n_state;
  real *params, *grads, *adam_m, *adam_v; /* [n_params] each */
  real *state;                             /* [n_state]: batchnorm running statistics */
  real *col;                               /* im2col scratch, largest conv layer */
  real *probs, *dlogits;                   /* [max_batch][n_classes] */
  real *grad_buf[2];                       /* gradients ping-pong between these */
  long adam_t;
  real label_smoothing; /* used by net_backward */
  int frozen;           /* layers [0, frozen) are not trained: inference mode, no gradients */
  struct workers *workers; /* data-parallel layer work (NULL: one thread) */
  real *cols;           /* [threads][col_size]: im2col scratch per worker */
  real *partials;       /* [NET_GRAD_GROUPS][partial_size]: conv gradients per group of the batch */
  size_t col_size, partial_size;
  real bn_eps, bn_momentum;
  /* data-parallel training (dist.h): this process holds samples [batch_offset,
   * batch_offset + B) of a global batch of batch_total, whose batch norm
   * statistics, dropout masks and loss it shares; 0: the whole batch is here */
  int batch_total, batch_offset;
  double *bn_sums; /* [4][largest batch norm's channels]: statistics summed over processes */
  unsigned rng[4][16]; /* 16 xoshiro128** streams for dropout masks, seeded from GSL */
} net_t;

typedef struct adam_opts {
  double lr, beta1, beta2, eps, weight_decay; /* weight_decay: L2 on weights, not biases */
} adam_opts_t;

/* Keras' defaults: lr 1e-3, betas 0.9 / 0.999, eps 1e-7 */
#define ADAM_DEFAULTS ((adam_opts_t){1e-3, 0.9, 0.999, 1e-7, 0.0})

/* What a network would hold, found without allocating it. */
typedef struct net_size {
  size_t n_params, n_state;
  size_t activations; /* values per sample of a batch: layer outputs, their gradients, scratch */
} net_size_t;

/* Checks a layer table against an input shape; 0 with its size, or -1 with the
 * reason (as net_new would give it). */
int net_plan(const layer_spec_t *spec, int n_layers, int in_c, int in_h, int in_w, int n_classes, net_size_t *size,
             char *err, size_t errlen);

/* Builds the network for inputs of shape [in_c][in_h][in_w]; NULL with a
 * reason in err when the table does not fit the shape. */
net_t *net_new(const layer_spec_t *spec, int n_layers, int in_c, int in_h, int in_w, int n_classes,
               int max_batch, char *err, size_t errlen);
void net_free(net_t *n);

/* Splits the work of every large layer across `threads` threads (samples for
 * convolutions, columns for dense layers, channels for batch norm). BLAS must
 * then run single-threaded. Results do not depend on the thread count: a
 * convolution's gradients are summed over NET_GRAD_GROUPS fixed groups of the
 * batch, each accumulated in sample order, then in group order, however the
 * groups are shared among threads. 0, or -1 when out of memory (the network
 * stays single-threaded). */
#define NET_GRAD_GROUPS 8
int net_set_threads(net_t *n, int threads);

/* He-uniform for layers followed by ReLU, Glorot-uniform otherwise, biases 0,
 * batchnorm gamma 1 / beta 0 / running mean 0 / var 1; seeds the dropout
 * stream too. Every draw comes from a GSL mt19937 seeded with `seed`. */
void net_seed_dropout(net_t *n, unsigned long seed); /* reseeds only the dropout stream */
void net_init(net_t *n, unsigned long seed);

/* Forward pass of x[B][in] (B <= max_batch); train: dropout on, batchnorm on
 * batch statistics (and updating its running ones). Returns the logits [B][K]. */
const real *net_forward(net_t *n, const real *x, int B, int train);

/* After a training forward pass: mean cross-entropy against y, and every
 * gradient (n->grads). Returns the loss. */
double net_backward(net_t *n, const real *x, const int *y, int B);

/* The same with soft targets t[B][K] instead of labels. */
double net_backward_soft(net_t *n, const real *x, const real *t, int B);

/* One Adam step (PyTorch's form, bias-corrected) on every parameter. */
void net_adam_step(net_t *n, const adam_opts_t *o);

/* The log-odds of class cls from logits z[K]: ln p_cls - ln(1 - p_cls),
 * z_cls - logsumexp of the others (it does not saturate as p does). */
double net_log_odds(const real *z, int K, int cls);
/* The gradient of that log-odds (inference mode: running batch-norm
 * statistics, no dropout) with respect to one input x[in]: dx[in]. Uses the
 * training buffers (gradients, im2col) as scratch; the parameters are untouched. */
void net_input_gradient(net_t *n, const real *x, int cls, real *dx);

/* Class probabilities of x[B] in inference mode into probs[B][K]. */
void net_predict(net_t *n, const real *x, int B, real *probs);
/* The same, the logits divided by a temperature T first: softmax(z / T). */
void net_predict_t(net_t *n, const real *x, int B, double T, real *probs);

const char *layer_kind_name(int kind);

#endif
