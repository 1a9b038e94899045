#include "net.h"
#include "simd.h"
#include "workers.h"
#include "dist.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_conv(int kind) { return kind == LAYER_CONV2D || kind == LAYER_CONV1D; }

const char *layer_kind_name(int kind) {
  switch (kind) {
  case LAYER_DENSE: return "dense";
  case LAYER_RELU: return "relu";
  case LAYER_DROPOUT: return "dropout";
  case LAYER_BATCHNORM: return "batchnorm";
  case LAYER_CONV2D: return "conv2d";
  case LAYER_MAXPOOL: return "maxpool";
  case LAYER_AVGPOOL: return "avgpool";
  case LAYER_FLATTEN: return "flatten";
  case LAYER_CONV1D: return "conv1d";
  case LAYER_MAXPOOL1D: return "maxpool1d";
  case LAYER_LEAKYRELU: return "leakyrelu";
  case LAYER_SIGMOID: return "sigmoid";
  case LAYER_TANH: return "tanh";
  case LAYER_AVGPOOL2D: return "avgpool2d";
  }
  return "?";
}

static real *alloc_reals(size_t n) { return calloc(n ? n : 1, sizeof(real)); }

void net_free(net_t *n) {
  if (!n) return;
  for (int i = 0; i < n->n_layers; i++) {
    layer_t *l = &n->layer[i];
    if (!l->inplace) free(l->out);
    free(l->aux), free(l->aux2), free(l->argmax);
  }
  free(n->grad_buf[0]), free(n->grad_buf[1]);
  free(n->params), free(n->grads), free(n->adam_m), free(n->adam_v), free(n->state);
  free(n->col), free(n->probs), free(n->dlogits), free(n->cols), free(n->partials), free(n->bn_sums);
  workers_free(n->workers);
  free(n);
}

/* Shapes, parameter and state counts of every layer into n (nothing
 * allocated). Sizes are bounded, so a layer table read from a file cannot make
 * us allocate beyond NET_MAX_* whatever it says. */
/* Output size along one axis of `in` values for kernel k and stride s, and its
 * leading padding: "valid" (none) or "same" (ceil(in / stride), the padding
 * split as TensorFlow does). -1 when the kernel does not fit. */
static int conv_axis(int in, int k, int s, int pad_kind, int *pad) {
  if (pad_kind == PAD_VALID) return *pad = 0, in < k ? -1 : (in - k) / s + 1;
  if (pad_kind >= PAD_ZEROS) return *pad = pad_kind - PAD_ZEROS, in + 2 * *pad < k ? -1 : (in + 2 * *pad - k) / s + 1;
  int out = (in + s - 1) / s, p = (out - 1) * s + k - in;
  *pad = p > 0 ? p / 2 : 0;
  return out;
}

/* A convolution's shape: k x k kernels, or 1 x k over W for a 1-D one (whose
 * input has h 1). 0; -1 when it does not fit its input; -2 when too big. */
static int plan_conv(layer_t *l, const layer_spec_t *sp, int c, int h, int w, int one_d) {
  int k = sp->kernel, s = sp->stride > 0 ? sp->stride : 1, kh = one_d ? 1 : k;
  if ((one_d && h != 1) || k < 1 || k > 64 || s > 64 || sp->size < 1 || sp->size > 65536 ||
      (sp->pad != PAD_SAME && sp->pad != PAD_VALID && (sp->pad < PAD_ZEROS || sp->pad > PAD_ZEROS_MAX)))
    return -1;
  conv_shape_t *cs = &l->conv;
  cs->ci = c, cs->hi = h, cs->wi = w, cs->co = sp->size, cs->kh = kh, cs->kw = k, cs->stride = s;
  cs->ho = one_d ? 1 : conv_axis(h, k, s, sp->pad, &cs->pad_h);
  if (one_d) cs->pad_h = 0;
  cs->wo = conv_axis(w, k, s, sp->pad, &cs->pad_w);
  if (cs->ho < 1 || cs->wo < 1) return -1;
  if ((size_t)cs->co * c * kh * k > NET_MAX_PARAMS || (size_t)cs->co * cs->ho * cs->wo > NET_MAX_ACTIVATIONS ||
      (size_t)c * kh * k * cs->ho * cs->wo > NET_MAX_ACTIVATIONS)
    return -2;
  l->nw = (size_t)cs->co * c * kh * k, l->nb = (size_t)cs->co;
  return 0;
}

static int plan(net_t *n, const layer_spec_t *spec, int n_layers, int in_c, int in_h, int in_w, int n_classes,
                size_t *col_out, char *err, size_t errlen) {
  if (n_layers < 1 || n_layers > NET_MAX_LAYERS || n_classes < 2 || n_classes > 65536 || in_c < 1 || in_h < 1 ||
      in_w < 1 || (size_t)in_c * in_h * in_w > NET_MAX_ACTIVATIONS) {
    snprintf(err, errlen, "bad network: %d layers, %d classes, input [%d][%d][%d]", n_layers, n_classes, in_c, in_h,
             in_w);
    return -1;
  }
  n->n_layers = n_layers, n->in_c = in_c, n->in_h = in_h, n->in_w = in_w;
  n->n_classes = n_classes;
  n->n_params = n->n_state = 0;
  int c = in_c, h = in_h, w = in_w;
  size_t col = 0;
  for (int i = 0; i < n_layers; i++) {
    layer_t *l = &n->layer[i];
    l->spec = spec[i];
    l->ic = c, l->ih = h, l->iw = w;
    size_t flat = (size_t)c * h * w;
    switch (spec[i].kind) {
    case LAYER_DENSE: {
      int units = spec[i].size > 0 ? spec[i].size : n_classes;
      if (units > 65536 || (size_t)units * flat > NET_MAX_PARAMS) goto too_big;
      l->nw = (size_t)units * flat, l->nb = (size_t)units;
      c = units, h = w = 1;
      break;
    }
    case LAYER_RELU:
    case LAYER_SIGMOID:
    case LAYER_TANH:
      break;
    case LAYER_LEAKYRELU:
      if (!(spec[i].rate >= 0 && spec[i].rate < 1)) goto bad;
      break;
    case LAYER_DROPOUT:
      if (!(spec[i].rate >= 0 && spec[i].rate < 1)) goto bad;
      break;
    case LAYER_BATCHNORM:
      l->nw = l->nb = (size_t)c;
      break;
    case LAYER_CONV2D:
    case LAYER_CONV1D: {
      int fits = plan_conv(l, &spec[i], c, h, w, spec[i].kind == LAYER_CONV1D);
      if (fits == -1) goto bad;
      if (fits == -2) goto too_big;
      if (conv_col_size(&l->conv) > col) col = conv_col_size(&l->conv);
      c = l->conv.co, h = l->conv.ho, w = l->conv.wo;
      break;
    }
    case LAYER_MAXPOOL:
    case LAYER_AVGPOOL2D: {
      int k = spec[i].size;
      if (k < 1 || h / k < 1 || w / k < 1) goto bad;
      h /= k, w /= k;
      break;
    }
    case LAYER_MAXPOOL1D: {
      int k = spec[i].size;
      if (h != 1 || k < 1 || w / k < 1) goto bad;
      w /= k;
      break;
    }
    case LAYER_AVGPOOL:
      h = w = 1;
      break;
    case LAYER_FLATTEN:
      c = (int)flat, h = w = 1;
      break;
    default:
      goto bad;
    }
    l->c = c, l->h = h, l->w = w;
    l->in_size = flat, l->out_size = (size_t)c * h * w;
    n->n_params += l->nw + l->nb;
    if (spec[i].kind == LAYER_BATCHNORM) n->n_state += 2 * (size_t)c;
    if (n->n_params > NET_MAX_PARAMS) goto too_big;
    if (i > 0) n->layer[i - 1].relu_after = spec[i].kind == LAYER_RELU;
    continue;
  bad:
    snprintf(err, errlen, "layer %d (%s) does not fit its input [%d][%d][%d]", i + 1,
             layer_kind_name(spec[i].kind), c, h, w);
    return -1;
  too_big:
    snprintf(err, errlen, "layer %d (%s) on input [%d][%d][%d] is larger than this build allows", i + 1,
             layer_kind_name(spec[i].kind), c, h, w);
    return -1;
  }
  if ((size_t)c * h * w != (size_t)n_classes || spec[n_layers - 1].kind != LAYER_DENSE) {
    snprintf(err, errlen, "the last layer must be dense with one unit per class (%d), not %zu outputs", n_classes,
             (size_t)c * h * w);
    return -1;
  }
  *col_out = col;
  return 0;
}

int net_plan(const layer_spec_t *spec, int n_layers, int in_c, int in_h, int in_w, int n_classes, net_size_t *size,
             char *err, size_t errlen) {
  net_t *n = calloc(1, sizeof *n);
  if (!n) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  size_t col;
  int rc = plan(n, spec, n_layers, in_c, in_h, in_w, n_classes, &col, err, errlen);
  if (rc == 0) {
    size->n_params = n->n_params, size->n_state = n->n_state, size->activations = col;
    for (int i = 0; i < n_layers; i++) size->activations += 3 * n->layer[i].out_size;
  }
  free(n);
  return rc;
}

static int largest_channels(const net_t *n) {
  int c = 1;
  for (int i = 0; i < n->n_layers; i++)
    if (n->layer[i].spec.kind == LAYER_BATCHNORM && n->layer[i].c > c) c = n->layer[i].c;
  return c;
}

net_t *net_new(const layer_spec_t *spec, int n_layers, int in_c, int in_h, int in_w, int n_classes,
               int max_batch, char *err, size_t errlen) {
  if (max_batch < 1) {
    snprintf(err, errlen, "bad batch size %d", max_batch);
    return NULL;
  }
  net_t *n = calloc(1, sizeof *n);
  if (!n) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  n->max_batch = max_batch;
  /* batch norm: eps 1e-3 as Keras; running statistics move by 10% a step (PyTorch's 0.1,
   * Keras' momentum 0.9): Keras' default 0.99 needs hundreds of steps to forget its
   * initial values, more than a small fold trains for */
  n->bn_eps = (real)1e-3, n->bn_momentum = (real)0.9;
  size_t col;
  if (plan(n, spec, n_layers, in_c, in_h, in_w, n_classes, &col, err, errlen)) {
    net_free(n);
    return NULL;
  }
  n->params = alloc_reals(n->n_params), n->grads = alloc_reals(n->n_params);
  n->adam_m = alloc_reals(n->n_params), n->adam_v = alloc_reals(n->n_params);
  n->state = alloc_reals(n->n_state), n->col = alloc_reals(col);
  n->col_size = col;
  size_t partial = 0; /* the largest convolution's parameters: one slot per gradient group */
  for (int i = 0; i < n_layers; i++)
    if (is_conv(n->layer[i].spec.kind) && n->layer[i].nw + n->layer[i].nb > partial)
      partial = n->layer[i].nw + n->layer[i].nb;
  n->partial_size = partial;
  n->partials = partial ? alloc_reals(NET_GRAD_GROUPS * partial) : NULL;
  n->probs = alloc_reals((size_t)max_batch * n_classes);
  n->dlogits = alloc_reals((size_t)max_batch * n_classes);
  int ok = n->params && n->grads && n->adam_m && n->adam_v && n->state && n->col && n->probs && n->dlogits &&
           (!partial || n->partials);
  size_t p = 0, s = 0, largest = 0;
  for (int i = 0; i < n_layers; i++)
    if (n->layer[i].out_size > largest) largest = n->layer[i].out_size;
  n->grad_buf[0] = alloc_reals((size_t)max_batch * largest);
  n->grad_buf[1] = alloc_reals((size_t)max_batch * largest);
  ok = ok && n->grad_buf[0] && n->grad_buf[1];
  for (int i = 0; ok && i < n_layers; i++) {
    layer_t *l = &n->layer[i];
    l->weight = n->params + p, l->dweight = n->grads + p, p += l->nw;
    l->bias = n->params + p, l->dbias = n->grads + p, p += l->nb;
    size_t acts = (size_t)max_batch * l->out_size;
    /* ReLU, dropout and flatten overwrite their input: nothing reads the values
     * they replace (a ReLU followed by dropout sees out * mask > 0 exactly where
     * the gradient dropout passes back is not zero anyway) */
    int kind = l->spec.kind;
    l->inplace = i > 0 && (kind == LAYER_RELU || kind == LAYER_DROPOUT || kind == LAYER_FLATTEN);
    l->out = l->inplace ? n->layer[i - 1].out : alloc_reals(acts);
    l->dout = n->grad_buf[i % 2]; /* a layer writes its input's gradient into the other one */
    ok = l->out != NULL;
    if (l->spec.kind == LAYER_DROPOUT) ok = ok && (l->aux = alloc_reals(acts));
    if (l->spec.kind == LAYER_BATCHNORM) {
      l->run_mean = n->state + s, l->run_var = n->state + s + l->c, s += 2 * (size_t)l->c;
      ok = ok && (l->aux = alloc_reals(acts)) && (l->aux2 = alloc_reals((size_t)l->c));
      if (ok && !n->bn_sums) ok = (n->bn_sums = calloc(4 * (size_t)largest_channels(n), sizeof(double))) != NULL;
    }
    if (l->spec.kind == LAYER_MAXPOOL || l->spec.kind == LAYER_MAXPOOL1D)
      ok = ok && (l->argmax = calloc(acts ? acts : 1, sizeof(int)));
  }
  if (!ok) {
    snprintf(err, errlen, "out of memory for %zu parameters and a batch of %d", n->n_params, max_batch);
    net_free(n);
    return NULL;
  }
  return n;
}

void net_init(net_t *n, unsigned long seed) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  for (int i = 0; i < n->n_layers; i++) {
    layer_t *l = &n->layer[i];
    if (l->spec.kind == LAYER_DENSE || is_conv(l->spec.kind)) {
      size_t fan_in = l->nw / l->nb, fan_out = l->nb;
      if (is_conv(l->spec.kind)) fan_out = l->nb * l->conv.kh * l->conv.kw;
      double limit = l->relu_after ? sqrt(6.0 / fan_in) : sqrt(6.0 / (fan_in + fan_out));
      for (size_t j = 0; j < l->nw; j++) l->weight[j] = (real)((2 * gsl_rng_uniform(r) - 1) * limit);
      for (size_t j = 0; j < l->nb; j++) l->bias[j] = 0;
    } else if (l->spec.kind == LAYER_BATCHNORM) {
      for (size_t j = 0; j < l->nw; j++) l->weight[j] = 1, l->bias[j] = 0, l->run_mean[j] = 0, l->run_var[j] = 1;
    }
  }
  net_seed_dropout(n, gsl_rng_get(r));
  gsl_rng_free(r);
  memset(n->adam_m, 0, n->n_params * sizeof(real));
  memset(n->adam_v, 0, n->n_params * sizeof(real));
  n->adam_t = 0;
}

void net_seed_dropout(net_t *n, unsigned long seed) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  for (int l = 0; l < 16; l++)
    for (int i = 0; i < 4; i++) n->rng[i][l] = (unsigned)gsl_rng_get(r) | (i == 0); /* never all zero */
  gsl_rng_free(r);
}

/* Dropout masks from 16 xoshiro128** streams (Blackman & Vigna) advanced in
 * lockstep, so the generator vectorises: the CNN draws tens of millions of
 * masks an epoch. Each 32-bit draw gives two 16-bit uniforms. */
typedef unsigned u32x16 __attribute__((vector_size(64), aligned(4)));
typedef int i32x16 __attribute__((vector_size(64), aligned(4)));
typedef real realx16 __attribute__((vector_size(16 * sizeof(real)), aligned(sizeof(real))));

HOT_KERNEL
static void draw_mask(unsigned (*state)[16], real *restrict mask, size_t count, float rate) {
  const unsigned threshold = (unsigned)(rate * 65536.0f + 0.5f);
  const real keep = (real)(1.0 / (1.0 - rate));
  u32x16 s0, s1, s2, s3;
  memcpy(&s0, state[0], 64), memcpy(&s1, state[1], 64), memcpy(&s2, state[2], 64), memcpy(&s3, state[3], 64);
  for (size_t i = 0; i < count; i += 32) {
    u32x16 x = s1 * 5, t = s1 << 9;
    u32x16 bits = ((x << 7) | (x >> 25)) * 9;
    s2 ^= s0, s3 ^= s1, s1 ^= s2, s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >> 21);
    /* a true comparison is -1: converted and scaled by -keep, a mask value */
    i32x16 klo = (i32x16)((bits & 0xffff) >= threshold), khi = (i32x16)((bits >> 16) >= threshold);
    realx16 vlo = __builtin_convertvector(klo, realx16) * -keep, vhi = __builtin_convertvector(khi, realx16) * -keep;
    real lo[16], hi[16];
    memcpy(lo, &vlo, sizeof lo), memcpy(hi, &vhi, sizeof hi);
    size_t n = count - i < 32 ? count - i : 32;
    if (n == 32) {
      memcpy(mask + i, lo, sizeof lo);
      memcpy(mask + i + 16, hi, sizeof hi);
    } else {
      for (size_t j = 0; j < n; j++) mask[i + j] = j < 16 ? lo[j] : hi[j - 16];
    }
  }
  memcpy(state[0], &s0, 64), memcpy(state[1], &s1, 64), memcpy(state[2], &s2, 64), memcpy(state[3], &s3, 64);
}

/* --- data-parallel layer work ------------------------------------------- */

int net_set_threads(net_t *n, int threads) {
  workers_free(n->workers), free(n->cols);
  n->workers = NULL, n->cols = NULL;
  if (threads < 2) return 0;
  n->workers = workers_new(threads);
  if (!n->workers) return -1;
  threads = workers_count(n->workers);
  n->cols = alloc_reals((size_t)threads * n->col_size);
  if (!n->cols) {
    net_set_threads(n, 1);
    return -1;
  }
  return 0;
}

#define PARALLEL_MIN 32768 /* values a layer must touch before it is split */

typedef struct job {
  net_t *n;
  layer_t *l;
  const real *in;
  real *din;
  int B;
  int train;
} job_t;

static void conv_fwd_work(void *c, int k, int b0, int b1) {
  job_t *j = c;
  const conv_shape_t *s = &j->l->conv;
  conv2d_forward(j->l->out + (size_t)b0 * j->l->out_size, j->in + (size_t)b0 * j->l->in_size, j->l->weight, j->l->bias,
                 j->n->cols + (size_t)k * j->n->col_size, b1 - b0, s);
}

/* Gradient groups [g0, g1) of the batch, each into its own slot; worker k's
 * im2col buffer. */
static void conv_bwd_work(void *c, int k, int g0, int g1) {
  job_t *j = c;
  layer_t *l = j->l;
  real *col = j->n->workers ? j->n->cols + (size_t)k * j->n->col_size : j->n->col;
  for (int g = g0; g < g1; g++) {
    int b0 = (int)((long)j->B * g / NET_GRAD_GROUPS), b1 = (int)((long)j->B * (g + 1) / NET_GRAD_GROUPS);
    real *dw = j->n->partials + (size_t)g * j->n->partial_size, *db = dw + l->nw;
    if (b0 == b1) {
      memset(dw, 0, (l->nw + l->nb) * sizeof(real));
      continue;
    }
    conv2d_backward(j->din ? j->din + (size_t)b0 * l->in_size : NULL, dw, db, l->dout + (size_t)b0 * l->out_size,
                    j->in + (size_t)b0 * l->in_size, l->weight, col, b1 - b0, &l->conv);
  }
}

/* dense layers over their fixed column blocks [b0, b1) (layers.h) */
static void dense_fwd_work(void *c, int k, int b0, int b1) {
  (void)k;
  job_t *j = c;
  layer_t *l = j->l;
  dense_forward(l->out, j->in, l->weight, l->bias, j->B, (int)l->in_size, l->c, b0, b1);
}

static void dense_bwd_w_work(void *c, int k, int b0, int b1) {
  (void)k;
  job_t *j = c;
  layer_t *l = j->l;
  dense_backward_weights(l->dweight, l->dbias, l->dout, j->in, j->B, (int)l->in_size, l->c, b0, b1);
}

static void dense_bwd_x_work(void *c, int k, int b0, int b1) {
  (void)k;
  job_t *j = c;
  layer_t *l = j->l;
  dense_backward_input(j->din, l->dout, l->weight, j->B, (int)l->in_size, l->c, b0, b1);
}

static void bn_fwd_work(void *c, int k, int c0, int c1) {
  (void)k;
  job_t *j = c;
  layer_t *l = j->l;
  if (j->train)
    batchnorm_forward_train_range(l->out, l->aux, l->aux2, l->run_mean, l->run_var, j->in, l->weight, l->bias, j->B, l->c,
                                  l->h * l->w, j->n->bn_eps, j->n->bn_momentum, c0, c1);
  else
    batchnorm_forward_eval_range(l->out, j->in, l->weight, l->bias, l->run_mean, l->run_var, j->B, l->c, l->h * l->w,
                                 j->n->bn_eps, c0, c1);
}

static void bn_bwd_work(void *c, int k, int c0, int c1) {
  (void)k;
  job_t *j = c;
  layer_t *l = j->l;
  batchnorm_backward_range(j->din, l->dweight, l->dbias, l->dout, l->aux, l->aux2, l->weight, j->B, l->c, l->h * l->w,
                           c0, c1);
}

static void pool_fwd_work(void *c, int k, int p0, int p1) {
  (void)k;
  job_t *j = c;
  layer_t *l = j->l;
  maxpool_forward_planes(l->out, l->argmax, j->in, l->ih, l->iw, l->spec.size, p0, p1);
}

static void pool_bwd_work(void *c, int k, int p0, int p1) {
  (void)k;
  job_t *j = c;
  layer_t *l = j->l;
  maxpool_backward_planes(j->din, l->dout, l->argmax, l->ih, l->iw, l->spec.size, p0, p1);
}

/* elementwise layers over blocks of 4096 values */
#define BLOCK 4096
static void relu_fwd_work(void *c, int k, int b0, int b1) {
  (void)k;
  job_t *j = c;
  size_t n = (size_t)j->B * j->l->out_size, lo = (size_t)b0 * BLOCK, hi = (size_t)b1 * BLOCK < n ? (size_t)b1 * BLOCK : n;
  relu_forward(j->l->out + lo, j->in + lo, hi - lo);
}
static void relu_bwd_work(void *c, int k, int b0, int b1) {
  (void)k;
  job_t *j = c;
  size_t n = (size_t)j->B * j->l->out_size, lo = (size_t)b0 * BLOCK, hi = (size_t)b1 * BLOCK < n ? (size_t)b1 * BLOCK : n;
  relu_backward(j->din + lo, j->l->dout + lo, j->l->out + lo, hi - lo);
}
static void dropout_fwd_work(void *c, int k, int b0, int b1) {
  (void)k;
  job_t *j = c;
  size_t n = (size_t)j->B * j->l->out_size, lo = (size_t)b0 * BLOCK, hi = (size_t)b1 * BLOCK < n ? (size_t)b1 * BLOCK : n;
  dropout_forward(j->l->out + lo, j->in + lo, j->l->aux + lo, hi - lo);
}
static void dropout_bwd_work(void *c, int k, int b0, int b1) {
  (void)k;
  job_t *j = c;
  size_t n = (size_t)j->B * j->l->out_size, lo = (size_t)b0 * BLOCK, hi = (size_t)b1 * BLOCK < n ? (size_t)b1 * BLOCK : n;
  dropout_backward(j->din + lo, j->l->dout + lo, j->l->aux + lo, hi - lo);
}
static int blocks(size_t n) { return (int)((n + BLOCK - 1) / BLOCK); }

/* --- a batch shared by processes (dist.h) --------------------------------- */

/* The masks of this process's samples: drawn for the whole global batch, as
 * one process would, so a sample's mask does not depend on where it runs. */
static void dropout_masks(net_t *n, layer_t *l, int B) {
  if (!n->batch_total) {
    draw_mask(n->rng, l->aux, (size_t)B * l->out_size, l->spec.rate);
    return;
  }
  draw_mask(n->rng, l->aux, (size_t)n->batch_total * l->out_size, l->spec.rate);
  memmove(l->aux, l->aux + (size_t)n->batch_offset * l->out_size, (size_t)B * l->out_size * sizeof(real));
}

/* SyncBatchNorm: mean and variance over the global batch, each a sum over processes */
static void bn_forward_shared(net_t *n, layer_t *l, const real *in, int B) {
  int C = l->c, S = l->h * l->w;
  double *mean = n->bn_sums, *var = n->bn_sums + C, count = (double)n->batch_total * S;
  batchnorm_sums(in, B, C, S, mean);
  dist_sum(mean, (size_t)C);
  for (int c = 0; c < C; c++) mean[c] /= count;
  batchnorm_deviations(in, B, C, S, mean, var);
  dist_sum(var, (size_t)C);
  for (int c = 0; c < C; c++) var[c] /= count;
  batchnorm_normalize(l->out, l->aux, l->aux2, l->run_mean, l->run_var, in, l->weight, l->bias, B, C, S, mean, var,
                      n->bn_eps, n->bn_momentum);
}

/* dgamma and dbeta stay this process's share (the gradients are summed after
 * the pass); the input gradient needs the global sums */
static void bn_backward_shared(net_t *n, layer_t *l, real *din, int B) {
  int C = l->c, S = l->h * l->w;
  double *sdy = n->bn_sums + 2 * (size_t)C, *sdyx = n->bn_sums + 3 * (size_t)C;
  batchnorm_backward_sums(l->dout, l->aux, B, C, S, sdy, sdyx);
  for (int c = 0; c < C; c++) l->dweight[c] = (real)sdyx[c], l->dbias[c] = (real)sdy[c];
  if (!din) return;
  dist_sum(sdy, 2 * (size_t)C); /* sdy and sdyx are adjacent */
  batchnorm_backward_input(din, l->dout, l->aux, l->aux2, l->weight, B, C, S, sdy, sdyx, (double)n->batch_total * S);
}

const real *net_forward(net_t *n, const real *x, int B, int train) {
  const real *in = x;
  int training = train;
  for (int i = 0; i < n->n_layers; i++) {
    layer_t *l = &n->layer[i];
    size_t count = (size_t)B * l->out_size;
    train = training && i >= n->frozen;
    job_t job = {n, l, in, NULL, B, train};
    workers_t *w = count * (l->spec.kind == LAYER_DENSE ? l->in_size : 1) >= PARALLEL_MIN ? n->workers : NULL;
    switch (l->spec.kind) {
    case LAYER_DENSE: workers_run(w, dense_fwd_work, &job, dense_blocks(l->c)); break;
    case LAYER_RELU: workers_run(w, relu_fwd_work, &job, blocks(count)); break;
    case LAYER_DROPOUT:
      if (train && l->spec.rate > 0) {
        dropout_masks(n, l, B);
        workers_run(w, dropout_fwd_work, &job, blocks(count));
      } else if (l->out != in) {
        memcpy(l->out, in, count * sizeof(real));
      }
      break;
    case LAYER_BATCHNORM:
      if (train && n->batch_total) bn_forward_shared(n, l, in, B);
      else workers_run(w, bn_fwd_work, &job, l->c);
      break;
    case LAYER_CONV2D:
    case LAYER_CONV1D:
      if (n->workers) workers_run(n->workers, conv_fwd_work, &job, B);
      else conv2d_forward(l->out, in, l->weight, l->bias, n->col, B, &l->conv);
      break;
    case LAYER_MAXPOOL: workers_run(w, pool_fwd_work, &job, B * l->ic); break;
    case LAYER_MAXPOOL1D: maxpool1d_forward_planes(l->out, l->argmax, in, l->iw, l->spec.size, 0, B * l->ic); break;
    case LAYER_AVGPOOL: avgpool_forward(l->out, in, B, l->ic, l->ih * l->iw); break;
    case LAYER_AVGPOOL2D: avgpool2d_forward(l->out, in, B * l->ic, l->ih, l->iw, l->spec.size); break;
    case LAYER_LEAKYRELU: leaky_relu_forward(l->out, in, count, (real)l->spec.rate); break;
    case LAYER_SIGMOID: sigmoid_forward(l->out, in, count); break;
    case LAYER_TANH: tanh_forward(l->out, in, count); break;
    case LAYER_FLATTEN:
      if (l->out != in) memcpy(l->out, in, count * sizeof(real));
      break;
    }
    in = l->out;
  }
  return in;
}

static void backward_layers(net_t *n, const real *x, int B) {
  for (int i = n->n_layers - 1; i >= n->frozen; i--) {
    layer_t *l = &n->layer[i];
    const real *in = i ? n->layer[i - 1].out : x;
    real *din = i > n->frozen ? n->layer[i - 1].dout : NULL; /* nothing below needs it */
    size_t count = (size_t)B * l->out_size;
    job_t job = {n, l, in, din, B, 1};
    workers_t *w = count * (l->spec.kind == LAYER_DENSE ? l->in_size : 1) >= PARALLEL_MIN ? n->workers : NULL;
    switch (l->spec.kind) {
    case LAYER_DENSE:
      workers_run(w, dense_bwd_w_work, &job, dense_blocks(l->c));
      if (din) workers_run(w, dense_bwd_x_work, &job, dense_blocks((int)l->in_size));
      break;
    case LAYER_RELU: if (din) workers_run(w, relu_bwd_work, &job, blocks(count)); break;
    case LAYER_DROPOUT:
      if (!din) break;
      if (l->spec.rate > 0) workers_run(w, dropout_bwd_work, &job, blocks(count));
      else memcpy(din, l->dout, count * sizeof(real));
      break;
    case LAYER_BATCHNORM:
      if (n->batch_total) bn_backward_shared(n, l, din, B);
      else workers_run(w, bn_bwd_work, &job, l->c);
      break;
    case LAYER_CONV2D:
    case LAYER_CONV1D:
      /* the batch's NET_GRAD_GROUPS groups, on any number of threads, summed in group order */
      workers_run(n->workers, conv_bwd_work, &job, NET_GRAD_GROUPS);
      memcpy(l->dweight, n->partials, l->nw * sizeof(real));
      memcpy(l->dbias, n->partials + l->nw, l->nb * sizeof(real));
      for (int g = 1; g < NET_GRAD_GROUPS; g++) {
        const real *p = n->partials + (size_t)g * n->partial_size;
        for (size_t i = 0; i < l->nw; i++) l->dweight[i] += p[i];
        for (size_t i = 0; i < l->nb; i++) l->dbias[i] += p[l->nw + i];
      }
      break;
    case LAYER_MAXPOOL: if (din) workers_run(w, pool_bwd_work, &job, B * l->ic); break;
    case LAYER_MAXPOOL1D: if (din) maxpool1d_backward_planes(din, l->dout, l->argmax, l->iw, l->spec.size, 0, B * l->ic); break;
    case LAYER_AVGPOOL: if (din) avgpool_backward(din, l->dout, B, l->ic, l->ih * l->iw); break;
    case LAYER_AVGPOOL2D: if (din) avgpool2d_backward(din, l->dout, B * l->ic, l->ih, l->iw, l->spec.size); break;
    case LAYER_LEAKYRELU: if (din) leaky_relu_backward(din, l->dout, in, count, (real)l->spec.rate); break;
    case LAYER_SIGMOID: if (din) sigmoid_backward(din, l->dout, l->out, count); break;
    case LAYER_TANH: if (din) tanh_backward(din, l->dout, l->out, count); break;
    case LAYER_FLATTEN: if (din) memcpy(din, l->dout, count * sizeof(real)); break;
    }
  }
}

double net_backward(net_t *n, const real *x, const int *y, int B) {
  layer_t *last = &n->layer[n->n_layers - 1];
  double loss = softmax_xent_smooth(n->probs, last->dout, last->out, y, B, n->n_classes, n->label_smoothing,
                                    n->batch_total ? n->batch_total : B);
  backward_layers(n, x, B);
  return loss;
}

double net_backward_soft(net_t *n, const real *x, const real *t, int B) {
  layer_t *last = &n->layer[n->n_layers - 1];
  double loss = softmax_xent_soft(n->probs, last->dout, last->out, t, B, n->n_classes,
                                  n->batch_total ? n->batch_total : B);
  backward_layers(n, x, B);
  return loss;
}

/* p -= lr/c1 * m / (sqrt(v/c2) + eps) after the moment updates */
HOT_KERNEL
static void adam_update(real *restrict p, const real *restrict g, real *restrict m, real *restrict v, size_t count,
                        real b1, real b2, real step, real inv_c2, real eps, real wd) {
  for (size_t j = 0; j < count; j++) {
    real gj = g[j] + wd * p[j];
    m[j] = b1 * m[j] + (1 - b1) * gj;
    v[j] = b2 * v[j] + (1 - b2) * gj * gj;
    p[j] -= step * m[j] / (SQRT(v[j] * inv_c2) + eps);
  }
}

/* PyTorch's Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps). Weight decay is L2
 * (added to the gradient) on dense and conv weights only. */
void net_adam_step(net_t *n, const adam_opts_t *o) {
  n->adam_t++;
  double c1 = 1.0 - pow(o->beta1, (double)n->adam_t), c2 = 1.0 - pow(o->beta2, (double)n->adam_t);
  for (int i = n->frozen; i < n->n_layers; i++) {
    layer_t *l = &n->layer[i];
    int decays = o->weight_decay > 0 && (l->spec.kind == LAYER_DENSE || is_conv(l->spec.kind));
    for (int part = 0; part < 2; part++) {
      real *p = part ? l->bias : l->weight, *g = part ? l->dbias : l->dweight;
      size_t count = part ? l->nb : l->nw, off = (size_t)(p - n->params);
      adam_update(p, g, n->adam_m + off, n->adam_v + off, count, (real)o->beta1, (real)o->beta2,
                  (real)(o->lr / c1), (real)(1.0 / c2), (real)o->eps, (real)(decays && !part ? o->weight_decay : 0.0));
    }
  }
}

void net_predict(net_t *n, const real *x, int B, real *probs) { net_predict_t(n, x, B, 1, probs); }

void net_predict_t(net_t *n, const real *x, int B, double T, real *probs) {
  for (int start = 0; start < B; start += n->max_batch) {
    int b = B - start < n->max_batch ? B - start : n->max_batch;
    size_t in = (size_t)n->in_c * n->in_h * n->in_w;
    real *logits = (real *)net_forward(n, x + (size_t)start * in, b, 0); /* the last layer's own buffer */
    if (T != 1)
      for (size_t i = 0; i < (size_t)b * n->n_classes; i++) logits[i] = (real)(logits[i] / T);
    softmax(probs + (size_t)start * n->n_classes, logits, b, n->n_classes);
  }
}

/* The eval-mode backward of layer l (one sample) from l->dout into din. */
static void backward_eval(net_t *n, layer_t *l, const real *in, real *din) {
  size_t count = l->out_size;
  switch (l->spec.kind) {
  case LAYER_DENSE: dense_backward_input(din, l->dout, l->weight, 1, (int)l->in_size, l->c, 0, dense_blocks((int)l->in_size)); break;
  case LAYER_RELU: relu_backward(din, l->dout, l->out, count); break;
  case LAYER_DROPOUT:
  case LAYER_FLATTEN: memcpy(din, l->dout, count * sizeof(real)); break;
  case LAYER_BATCHNORM: { /* inference: an affine map per channel */
    size_t S = (size_t)l->h * l->w;
    for (int c = 0; c < l->c; c++) {
      real g = l->weight[c] / SQRT(l->run_var[c] + n->bn_eps);
      for (size_t s = 0; s < S; s++) din[(size_t)c * S + s] = l->dout[(size_t)c * S + s] * g;
    }
    break;
  }
  case LAYER_CONV2D:
  case LAYER_CONV1D: conv2d_backward(din, l->dweight, l->dbias, l->dout, in, l->weight, n->col, 1, &l->conv); break;
  case LAYER_MAXPOOL: maxpool_backward(din, l->dout, l->argmax, 1, l->ic, l->ih, l->iw, l->spec.size); break;
  case LAYER_MAXPOOL1D: maxpool1d_backward_planes(din, l->dout, l->argmax, l->iw, l->spec.size, 0, l->ic); break;
  case LAYER_AVGPOOL: avgpool_backward(din, l->dout, 1, l->ic, l->ih * l->iw); break;
  case LAYER_AVGPOOL2D: avgpool2d_backward(din, l->dout, l->ic, l->ih, l->iw, l->spec.size); break;
  case LAYER_LEAKYRELU: leaky_relu_backward(din, l->dout, in, count, (real)l->spec.rate); break;
  case LAYER_SIGMOID: sigmoid_backward(din, l->dout, l->out, count); break;
  case LAYER_TANH: tanh_backward(din, l->dout, l->out, count); break;
  }
}

/* The largest of the other classes' logits, and the sum of exp(z - it) over them. */
static double others(const real *z, int K, int cls, double *sum) {
  double top = -INFINITY;
  for (int k = 0; k < K; k++)
    if (k != cls && z[k] > top) top = z[k];
  *sum = 0;
  for (int k = 0; k < K; k++)
    if (k != cls) *sum += exp(z[k] - top);
  return top;
}

double net_log_odds(const real *z, int K, int cls) {
  double sum, top = others(z, K, cls, &sum);
  return z[cls] - top - log(sum);
}

void net_input_gradient(net_t *n, const real *x, int cls, real *dx) {
  const real *z = net_forward(n, x, 1, 0);
  int K = n->n_classes;
  double sum, top = others(z, K, cls, &sum);
  layer_t *last = &n->layer[n->n_layers - 1];
  for (int k = 0; k < K; k++) /* d log-odds / d logits: 1 for cls, minus the others' softmax */
    last->dout[k] = k == cls ? 1 : (real)(-exp(z[k] - top) / sum);
  for (int i = n->n_layers - 1; i >= 0; i--) {
    layer_t *l = &n->layer[i];
    backward_eval(n, l, i ? n->layer[i - 1].out : x, i ? n->layer[i - 1].dout : dx);
  }
}
