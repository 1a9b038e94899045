#include "model_onnx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_graph.h"

/* --- export ------------------------------------------------------------------ */

typedef struct exporter {
  onnx_builder_t *b;
  const char *x; /* the value being built */
  int rank;      /* 2: [N,D]; 4: [N,C,H,W] */
} exporter_t;

/* A float tensor from the network's values (float or double builds alike). */
static const char *weights(onnx_builder_t *b, const char *prefix, const real *v, const int64_t *dims, int n_dims) {
  size_t n = 1;
  for (int i = 0; i < n_dims; i++) n *= (size_t)dims[i];
  double *d = malloc((n ? n : 1) * sizeof *d);
  if (!d) return b->failed = 1, NULL;
  for (size_t i = 0; i < n; i++) d[i] = (double)v[i];
  const char *name = onnx_tensor(b, prefix, NULL, d, dims, n_dims);
  free(d);
  return name;
}

static void node1(exporter_t *e, const char *op, const onnx_attr_t *attrs, int n_attrs) {
  e->x = onnx_node(e->b, op, &e->x, 1, NULL, attrs, n_attrs);
}

/* [N, D] as [N, C, H, W] before a convolution or pooling */
static void to_image(exporter_t *e, const layer_t *l) {
  if (e->rank == 4) return;
  int64_t shape[4] = {0, l->ic, l->ih, l->iw}; /* 0: the batch as it is (OpenCV 4.6 misreads -1 here) */
  const char *in[2] = {e->x, onnx_tensor_i64(e->b, "shape", shape, 4)};
  e->x = onnx_node(e->b, "Reshape", in, 2, NULL, NULL, 0);
  e->rank = 4;
}

static void export_conv(exporter_t *e, const layer_t *l) {
  const conv_shape_t *s = &l->conv;
  to_image(e, l);
  int64_t wd[4] = {s->co, s->ci, s->kh, s->kw}, bd[1] = {s->co};
  int bottom = (s->ho - 1) * s->stride + s->kh - s->hi - s->pad_h, right = (s->wo - 1) * s->stride + s->kw - s->wi - s->pad_w;
  int64_t kernel[2] = {s->kh, s->kw}, strides[2] = {l->spec.kind == LAYER_CONV1D ? 1 : s->stride, s->stride};
  int64_t pads[4] = {s->pad_h, s->pad_w, bottom > 0 ? bottom : 0, right > 0 ? right : 0};
  if (l->spec.pad >= PAD_ZEROS) /* p on every side, as PyTorch writes it (the output is floor'd alike) */
    pads[0] = pads[2] = s->pad_h, pads[1] = pads[3] = s->pad_w;
  const char *in[3] = {e->x, weights(e->b, "w", l->weight, wd, 4), weights(e->b, "b", l->bias, bd, 1)};
  onnx_attr_t a[3] = {ONNX_INTS("kernel_shape", kernel, 2), ONNX_INTS("strides", strides, 2), ONNX_INTS("pads", pads, 4)};
  e->x = onnx_node(e->b, "Conv", in, 3, NULL, a, 3);
}

static void export_layer(exporter_t *e, const net_t *n, const layer_t *l) {
  int64_t k = l->spec.size, c[1] = {l->c};
  switch (l->spec.kind) {
  case LAYER_DENSE: {
    int64_t wd[2] = {(int64_t)l->out_size, (int64_t)l->in_size}, bd[1] = {(int64_t)l->out_size};
    const char *in[3] = {e->x, weights(e->b, "w", l->weight, wd, 2), weights(e->b, "b", l->bias, bd, 1)};
    onnx_attr_t a[1] = {ONNX_INT("transB", 1)};
    e->x = onnx_node(e->b, "Gemm", in, 3, NULL, a, 1);
    break;
  }
  case LAYER_RELU: node1(e, "Relu", NULL, 0); break;
  case LAYER_SIGMOID: node1(e, "Sigmoid", NULL, 0); break;
  case LAYER_TANH: node1(e, "Tanh", NULL, 0); break;
  case LAYER_LEAKYRELU: {
    onnx_attr_t a[1] = {ONNX_FLOAT("alpha", l->spec.rate)};
    node1(e, "LeakyRelu", a, 1);
    break;
  }
  case LAYER_AVGPOOL2D: {
    to_image(e, l);
    int64_t kernel[2] = {k, k};
    onnx_attr_t a[2] = {ONNX_INTS("kernel_shape", kernel, 2), ONNX_INTS("strides", kernel, 2)};
    node1(e, "AveragePool", a, 2);
    break;
  }
  case LAYER_DROPOUT: break; /* inference: the identity */
  case LAYER_BATCHNORM: {
    const char *in[5] = {e->x, weights(e->b, "gamma", l->weight, c, 1), weights(e->b, "beta", l->bias, c, 1),
                         weights(e->b, "mean", l->run_mean, c, 1), weights(e->b, "var", l->run_var, c, 1)};
    onnx_attr_t a[1] = {ONNX_FLOAT("epsilon", (float)n->bn_eps)};
    e->x = onnx_node(e->b, "BatchNormalization", in, 5, NULL, a, 1);
    break;
  }
  case LAYER_CONV2D:
  case LAYER_CONV1D: export_conv(e, l); break;
  case LAYER_MAXPOOL:
  case LAYER_MAXPOOL1D: {
    to_image(e, l);
    int64_t kernel[2] = {l->spec.kind == LAYER_MAXPOOL ? k : 1, k};
    onnx_attr_t a[2] = {ONNX_INTS("kernel_shape", kernel, 2), ONNX_INTS("strides", kernel, 2)};
    node1(e, "MaxPool", a, 2);
    break;
  }
  case LAYER_AVGPOOL: /* then [N,C,1,1] -> [N,C] */
    to_image(e, l);
    node1(e, "GlobalAveragePool", NULL, 0);
    __attribute__((fallthrough));
  case LAYER_FLATTEN: {
    onnx_attr_t a[1] = {ONNX_INT("axis", 1)};
    if (e->rank == 4) node1(e, "Flatten", a, 1);
    e->rank = 2;
    break;
  }
  }
}

/* One member: the layers, then Softmax (of the logits divided by the model's
 * temperature when it is one network). Returns the probabilities' name. */
static const char *export_member(onnx_builder_t *b, const model_t *m, const char *x) {
  exporter_t e = {b, x, m->kind == MODEL_CNN ? 4 : 2};
  const net_t *n = m->net;
  for (int i = 0; i < n->n_layers && e.x; i++) export_layer(&e, n, &n->layer[i]);
  if (e.x && m->n_members == 1 && m->temperature > 0 && m->temperature != 1) {
    float T = m->temperature;
    int64_t one[1] = {1};
    const char *div[2] = {e.x, onnx_tensor(b, "temperature", &T, NULL, one, 1)};
    e.x = onnx_node(b, "Div", div, 2, NULL, NULL, 0);
  }
  onnx_attr_t a[1] = {ONNX_INT("axis", 1)};
  return e.x ? onnx_node(b, "Softmax", &e.x, 1, NULL, a, 1) : NULL;
}

/* The model's scaler on its raw input: (x - shift) / scale, per column or per band. */
static const char *export_scaler(onnx_builder_t *b, const model_t *m, const char *input) {
  /* [128, 1] against [N, 1, 128, 130] broadcasts along the bands (numpy's
   * rules); shaped [1, 1, 128, 1], OpenCV 4.6's dnn fails on batches of N > 1 */
  int64_t dims[3] = {1, (int64_t)m->n_scale, 1};
  int nd = m->kind == MODEL_CNN ? 3 : 1;
  const int64_t *d = m->kind == MODEL_CNN ? dims : dims + 1;
  const char *sub[2] = {input, onnx_tensor(b, "shift", m->shift, NULL, d, nd)};
  const char *div[2] = {onnx_node(b, "Sub", sub, 2, NULL, NULL, 0), onnx_tensor(b, "scale", m->scale, NULL, d, nd)};
  return onnx_node(b, "Div", div, 2, NULL, NULL, 0);
}

/* The mean of the probabilities p[n]: Sum, then Div by n (Mean itself is not
 * in every runtime: OpenCV 4.6 lacks it), as model_predict and the
 * classifier average: the sum, divided. */
static const char *mean(onnx_builder_t *b, const char *const *p, int n, const char *out_name) {
  float count = (float)n;
  int64_t one[1] = {1};
  const char *div[2] = {onnx_node(b, "Sum", p, n, NULL, NULL, 0), onnx_tensor(b, "count", &count, NULL, one, 1)};
  return onnx_node(b, "Div", div, 2, out_name, NULL, 0);
}

/* A temperature on probabilities p: Softmax(Log(p) / T) (temperature.h), or p itself. */
static const char *export_temperature(onnx_builder_t *b, const model_t *m, const char *p, const char *out_name) {
  if (!(m->temperature > 0) || m->temperature == 1 || m->n_members == 1) { /* one network's is on its logits */
    const char *one[1] = {p};
    return out_name ? onnx_node(b, "Identity", one, 1, out_name, NULL, 0) : p;
  }
  float T = m->temperature;
  int64_t one_dim[1] = {1};
  const char *div[2] = {onnx_node(b, "Log", &p, 1, NULL, NULL, 0), onnx_tensor(b, "temperature", &T, NULL, one_dim, 1)};
  const char *x = onnx_node(b, "Div", div, 2, NULL, NULL, 0);
  onnx_attr_t a[1] = {ONNX_INT("axis", 1)};
  return onnx_node(b, "Softmax", &x, 1, out_name, a, 1);
}

/* The members' probabilities, averaged, then the model's temperature. */
static const char *export_model(onnx_builder_t *b, model_t *m, const char *input, const char *out_name) {
  const char *x = export_scaler(b, m, input), *p[64];
  int members = m->n_members > 64 ? 64 : m->n_members;
  for (int k = 0; k < members; k++) {
    model_use_member(m, k);
    p[k] = export_member(b, m, x);
  }
  model_use_member(m, 0);
  return export_temperature(b, m, members == 1 ? p[0] : mean(b, p, members, NULL), out_name);
}

/* The models agree on what they classify and what they take. 0, or -1. */
static int check_models(const model_t *m, int n, char *err, size_t errlen) {
  if (n < 1 || n > ONNX_MAX_MODELS) return snprintf(err, errlen, "from 1 to %d models, not %d", ONNX_MAX_MODELS, n), -1;
  const model_t *ann = NULL;
  for (int i = 0; i < n; i++) {
    if (m[i].n_classes != m[0].n_classes) return snprintf(err, errlen, "model %d has %d classes, model 1 %d", i + 1, m[i].n_classes, m[0].n_classes), -1;
    for (int k = 0; k < m[0].n_classes; k++)
      if (strcmp(m[i].labels[k], m[0].labels[k]) != 0)
        return snprintf(err, errlen, "model %d's class %d is '%s', model 1's '%s': one graph needs one label order", i + 1,
                        k + 1, m[i].labels[k], m[0].labels[k]), -1;
    if ((m[i].unit == MODEL_UNIT_TRACK) != (m[0].unit == MODEL_UNIT_TRACK))
      return snprintf(err, errlen, "model %d and model 1 take different units (whole recordings, 3-s segments)", i + 1), -1;
    if (m[i].kind != MODEL_ANN) continue;
    if (ann && m[i].n_features != ann->n_features) return snprintf(err, errlen, "the ANNs take different feature columns"), -1;
    for (size_t f = 0; ann && f < ann->n_features; f++)
      if (strcmp(m[i].feature_names[f], ann->feature_names[f]) != 0)
        return snprintf(err, errlen, "the ANNs take different feature columns ('%s', '%s')", m[i].feature_names[f],
                        ann->feature_names[f]), -1;
    ann = &m[i];
  }
  return 0;
}

int model_export_onnx(model_t *m, int n, const char *path, const char *card, char *err, size_t errlen) {
  if (check_models(m, n, err, errlen)) return -1;
  onnx_builder_t b;
  onnx_builder_init(&b, "genre", "1");
  int64_t K = m[0].n_classes, out_dims[2] = {-1, K};
  const char *p[ONNX_MAX_MODELS], *feat = NULL, *mel = NULL;
  for (int i = 0; i < n; i++) {
    const char **input = m[i].kind == MODEL_CNN ? &mel : &feat;
    if (!*input) {
      int64_t fd[2] = {-1, (int64_t)m[i].n_features}, md[4] = {-1, m[i].in_c, m[i].in_h, m[i].in_w};
      *input = m[i].kind == MODEL_CNN ? "logmel" : "features";
      onnx_value(&b, 0, *input, m[i].kind == MODEL_CNN ? md : fd, m[i].kind == MODEL_CNN ? 4 : 2,
                 m[i].kind == MODEL_CNN ? "log-mel segments as genre extract writes them (mel/*.npy), in dB"
                                        : "feature rows in the card's column order, unscaled");
    }
    p[i] = export_model(&b, &m[i], *input, n == 1 ? "probabilities" : NULL);
  }
  if (n > 1) mean(&b, p, n, "probabilities");
  onnx_value(&b, 1, "probabilities", out_dims, 2, "class probabilities, in the card's class order");
  if (card) onnx_meta(&b, "genre_card", card);
  int rc = onnx_write(&b, path, err, errlen);
  onnx_builder_free(&b);
  return rc;
}
