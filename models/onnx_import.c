/* ONNX graphs back into models (model_onnx.h): the graph is walked in order;
 * every value is a constant, a chain (one graph input through a scaler and a
 * list of our layers) or a group (the average of chains: an ensemble). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_onnx.h"
#include "infile.h"
#include "infile.h"
#include "json.h"
#include "onnx_graph.h"
#include "schema.h"

#define SUPPORTED                                                                                                   \
  "Conv (1-D, 2-D), BatchNormalization, Relu, MaxPool, GlobalAveragePool, ReduceMean over H and W, Gemm, "          \
  "MatMul + Add, Flatten, Reshape, Dropout, Identity, Softmax, Constant, Sub/Div/Mul/Add on the input, Mean, Sum + Div"
#define MAX_CHAINS 256
#define MAX_GROUP 64
#define MAX_CLASSES 65536
#define MAX_SCALER 4
#define DIM_BATCH INT64_MIN /* the batch's size in a shape computed from a value: N */

typedef struct op {
  layer_spec_t spec;
  const float *w, *b, *mean, *var; /* into the importer's constants (NULL: zeros) */
  size_t nw, nb;                   /* how many values w and b hold */
  int transpose;                   /* dense weights given as [I][O] */
  float eps_add;                   /* batchnorm: added to var (the graph's epsilon less ours) */
} op_t;

typedef struct chain {
  int input;            /* graph input */
  int stage;            /* 0: the raw input (or its scaler); 3: layers began */
  struct {
    char op;            /* '+', '-', '*', '/' by a constant: the input's affine scaler */
    const float *v;
    int n;              /* 1: one value for every column / band */
  } sc[MAX_SCALER];
  int n_sc;
  int n_ops;
  op_t ops[NET_MAX_LAYERS];
  int rank;             /* values' rank in the graph, with N */
  int64_t c, h, w;      /* per-sample shape as our layers see it */
  int after_gap, softmax;
  int64_t in_c, in_h, in_w; /* the shape the first layer takes */
  double temperature;       /* the logits divided by it before the Softmax (0: none) */
  int in_rank;
} chain_t;

enum { V_CONST = 1, V_CHAIN, V_GROUP };
typedef struct value {
  const char *name;
  int kind;
  float *data;          /* V_CONST (float) */
  int64_t *ints;        /* V_CONST (int64) */
  size_t n;
  int64_t dims[8];
  int n_dims;
  int chain;            /* V_CHAIN */
  int items[MAX_GROUP], n_items, item_group[MAX_GROUP], divided; /* V_GROUP: chains or groups */
  double item_t[MAX_GROUP]; /* V_GROUP: the temperature of each chain item (0: none) */
  int logp;             /* a chain's or group's probabilities under Log (1), then divided by T (2) */
  double temperature;   /* a chain's or group's temperature (0: none) */
} value_t;

typedef struct importer {
  const Onnx__GraphProto *g;
  const onnx_hints_t *hints;
  value_t *v;
  size_t n_v, cap_v;
  chain_t *chains;
  int n_chains;
  value_t *groups;      /* V_GROUP values, by index */
  int n_groups;
  size_t *slot;         /* names to values (index + 1; 0: empty), open addressing */
  size_t n_slot;        /* a power of two, at least twice the names */
  char *err;
  size_t errlen;
  const char *path;
} importer_t;

static int refuse(importer_t *im, const Onnx__NodeProto *n, const char *fmt, const char *what) {
  char why[400];
  snprintf(why, sizeof why, fmt, what);
  snprintf(im->err, im->errlen, "%s: node '%s' (%s): %s", im->path, n && n->name ? n->name : "?",
           n && n->op_type ? n->op_type : "?", why);
  return -1;
}

static size_t name_hash(const char *s) {
  size_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

/* The slot of name: where it is, or the empty one where it would go. */
static size_t *slot_of(const importer_t *im, const char *name) {
  size_t i = name_hash(name) & (im->n_slot - 1);
  while (im->slot[i] && strcmp(im->v[im->slot[i] - 1].name, name) != 0) i = (i + 1) & (im->n_slot - 1);
  return &im->slot[i];
}

static value_t *find(importer_t *im, const char *name) {
  size_t at = *slot_of(im, name);
  return at ? &im->v[at - 1] : NULL;
}

static value_t *add_value(importer_t *im, const char *name, int kind) {
  if (im->n_v == im->cap_v) {
    size_t cap = im->cap_v ? 2 * im->cap_v : 64;
    value_t *v = realloc(im->v, cap * sizeof *v);
    if (!v) return NULL;
    im->v = v, im->cap_v = cap;
  }
  value_t *v = &im->v[im->n_v++];
  memset(v, 0, sizeof *v);
  v->name = name, v->kind = kind;
  *slot_of(im, name) = im->n_v; /* names are unique: graph_check */
  return v;
}

/* A new chain extending chain `from` (copy on extend: values keep their chain). */
static int fork_chain(importer_t *im, int from) {
  if (im->n_chains == MAX_CHAINS) return -1;
  im->chains[im->n_chains] = im->chains[from];
  return im->n_chains++;
}

static int add_const(importer_t *im, const Onnx__TensorProto *t, const char *name) {
  value_t *v = add_value(im, name, V_CONST);
  if (!v) return snprintf(im->err, im->errlen, "out of memory"), -1;
  v->n_dims = (int)(t->n_dims < 8 ? t->n_dims : 8);
  for (int i = 0; i < v->n_dims; i++) v->dims[i] = t->dims[i];
  char why[300];
  if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) v->ints = onnx_tensor_ints(t, &v->n, why, sizeof why);
  else v->data = onnx_tensor_floats(t, &v->n, why, sizeof why);
  if (!v->ints && !v->data) return snprintf(im->err, im->errlen, "%s: %s", im->path, why), -1;
  return 0;
}

/* --- what every graph must be, before it is walked --------------------------------- */

#define OPSET_MIN 11 /* Softmax over [N,K], Pad's pads as an input */
#define OPSET_MAX 17 /* ReduceMean's axes an attribute (an input since 18) */

static int opset_check(const Onnx__ModelProto *mp, const char *path, char *err, size_t errlen) {
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
    if (o->domain && *o->domain && strcmp(o->domain, "ai.onnx") != 0) continue;
    if (o->version >= OPSET_MIN && o->version <= OPSET_MAX) return 0;
    return snprintf(err, errlen, "%s: opset %lld; this reader takes ONNX opsets %d to %d (torch.onnx.export(..., "
                    "opset_version=13))", path, (long long)o->version, OPSET_MIN, OPSET_MAX), -1;
  }
  return snprintf(err, errlen, "%s: no opset of ONNX's default domain", path), -1;
}

/* Records name as defined once (a set of n_slot names). 0, or -1 when defined before. */
static int define_once(const char **set, size_t n_slot, const char *name) {
  size_t i = name_hash(name) & (n_slot - 1);
  for (; set[i]; i = (i + 1) & (n_slot - 1))
    if (!strcmp(set[i], name)) return -1;
  set[i] = name;
  return 0;
}

/* Every name present and defined once (an initializer may be listed as an input too). */
static int names_check(importer_t *im, const char **set, size_t n_slot) {
  const Onnx__GraphProto *g = im->g;
  for (size_t i = 0; i < g->n_initializer; i++)
    if (!g->initializer[i]->name || !*g->initializer[i]->name || define_once(set, n_slot, g->initializer[i]->name))
      return snprintf(im->err, im->errlen, "%s: initializer %zu: %s", im->path, i + 1,
                      g->initializer[i]->name && *g->initializer[i]->name ? "a name defined twice" : "no name"), -1;
  for (size_t i = 0; i < g->n_input + g->n_output; i++) {
    const Onnx__ValueInfoProto *v = i < g->n_input ? g->input[i] : g->output[i - g->n_input];
    if (!v->name || !*v->name) return snprintf(im->err, im->errlen, "%s: graph %s %zu has no name", im->path,
                                               i < g->n_input ? "input" : "output", i < g->n_input ? i + 1 : i - g->n_input + 1), -1;
    if (i < g->n_input && define_once(set, n_slot, v->name) && !find(im, v->name))
      return snprintf(im->err, im->errlen, "%s: input '%s' is defined twice", im->path, v->name), -1;
  }
  for (size_t i = 0; i < g->n_node; i++) {
    const Onnx__NodeProto *n = g->node[i];
    if (!n->op_type || !*n->op_type) return refuse(im, n, "%s", "no operator type");
    if (!strcmp(n->op_type, "Erf")) /* before the Div that comes first, so the message names the real cause */
      return refuse(im, n, "%s", "GELU (exported before opset 20 as Div, Erf, Add, Mul, Mul) is not among our layers: "
                                 "ReLU, LeakyReLU, Sigmoid and Tanh are");
    if (n->n_output < 1) return refuse(im, n, "%s", "no outputs");
    if (n->n_input > MAX_GROUP) return refuse(im, n, "more than %s inputs", "64");
    for (size_t k = 0; k < n->n_output; k++)
      if (*n->output[k] && define_once(set, n_slot, n->output[k]))
        return refuse(im, n, "output '%s' is a name defined before (ONNX names each value once)", n->output[k]);
  }
  return 0;
}

/* The opset and the names; sizes the importer's name table. 0, or -1 with the reason. */
static int graph_check(importer_t *im, const Onnx__ModelProto *mp) {
  if (opset_check(mp, im->path, im->err, im->errlen)) return -1;
  size_t names = im->g->n_initializer + im->g->n_input;
  for (size_t i = 0; i < im->g->n_node; i++) names += im->g->node[i]->n_output;
  for (im->n_slot = 16; im->n_slot < 2 * names; im->n_slot *= 2) {}
  const char **set = calloc(im->n_slot, sizeof *set);
  if (!set || !(im->slot = calloc(im->n_slot, sizeof *im->slot))) return free(set), snprintf(im->err, im->errlen, "out of memory"), -1;
  for (size_t i = 0; i < im->g->n_initializer; i++) /* for names_check's find of initializers listed as inputs */
    if (im->g->initializer[i]->name && *im->g->initializer[i]->name && !find(im, im->g->initializer[i]->name) &&
        add_const(im, im->g->initializer[i], im->g->initializer[i]->name))
      return free(set), -1;
  int rc = names_check(im, set, im->n_slot);
  free(set);
  return rc;
}

/* --- the graph's inputs --------------------------------------------------------- */

static int add_inputs(importer_t *im) {
  for (size_t i = 0; i < im->g->n_input; i++) {
    const Onnx__ValueInfoProto *in = im->g->input[i];
    if (find(im, in->name)) continue; /* an initializer listed as an input (older files) */
    const Onnx__TypeProto *t = in->type;
    const Onnx__TensorShapeProto *s = t && t->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? t->tensor_type->shape : NULL;
    if (!s || s->n_dim < 2 || s->n_dim > 4 || t->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      return snprintf(im->err, im->errlen, "%s: input '%s' is not a float tensor of 2 to 4 dimensions", im->path,
                      in->name), -1;
    int64_t d[4] = {0, 1, 1, 1};
    for (size_t k = 1; k < s->n_dim; k++) {
      if (s->dim[k]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || s->dim[k]->dim_value < 1 ||
          s->dim[k]->dim_value > (1 << 20))
        return snprintf(im->err, im->errlen, "%s: input '%s': dimension %zu is not a fixed size", im->path, in->name, k), -1;
      d[k] = s->dim[k]->dim_value;
    }
    if (im->n_chains == MAX_CHAINS) return snprintf(im->err, im->errlen, "%s: too many inputs", im->path), -1;
    chain_t *c = &im->chains[im->n_chains];
    memset(c, 0, sizeof *c);
    c->input = (int)i, c->rank = (int)s->n_dim;
    c->c = d[1], c->h = s->n_dim == 4 ? d[2] : 1, c->w = s->n_dim == 4 ? d[3] : s->n_dim == 3 ? d[2] : 1;
    value_t *v = add_value(im, in->name, V_CHAIN);
    if (!v) return snprintf(im->err, im->errlen, "out of memory"), -1;
    v->chain = im->n_chains++;
  }
  return 0;
}

/* --- per operator ------------------------------------------------------------------- */

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt) {
  const Onnx__AttributeProto *a = onnx_attr(n, name);
  return a && a->has_i ? a->i : dflt;
}

/* An ints attribute's values, all equal to `want` when given (1 when all are). */
static int ints_all(const Onnx__NodeProto *n, const char *name, int64_t want) {
  const Onnx__AttributeProto *a = onnx_attr(n, name);
  for (size_t i = 0; a && i < a->n_ints; i++)
    if (a->ints[i] != want) return 0;
  return 1;
}

static op_t *new_op(importer_t *im, const Onnx__NodeProto *n, chain_t *c) {
  if (c->n_ops == NET_MAX_LAYERS) return refuse(im, n, "more than %s layers", "64"), NULL;
  if (c->n_ops == 0) c->in_c = c->c, c->in_h = c->h, c->in_w = c->w, c->in_rank = c->rank;
  op_t *o = &c->ops[c->n_ops++];
  memset(o, 0, sizeof *o);
  c->stage = 3;
  return o;
}

static size_t elems(const chain_t *c) { return (size_t)(c->c * c->h * c->w); }

/* Sub / Div / Mul / Add of a constant on a chain's raw input: the scaler. */
static int op_scaler(importer_t *im, const Onnx__NodeProto *n, chain_t *c, const value_t *k) {
  const char *op = n->op_type;
  size_t per = c->rank == 4 ? (size_t)c->h : elems(c); /* bands, or columns */
  int n_k = (int)k->n;
  if (!k->data || (k->n != 1 && k->n != per)) return refuse(im, n, "a scaler constant of %s values: one, or one per column or band", "other");
  for (int i = 0; c->rank == 4 && k->n > 1 && i < k->n_dims; i++) /* [128,1], [1,1,128,1]: along H */
    if (k->dims[i] != 1 && !(k->dims[i] == c->h && i == k->n_dims - 2)) return refuse(im, n, "%s", "a scaler constant along another axis than the mel bands");
  if (c->n_sc == MAX_SCALER) return refuse(im, n, "%s", "more than 4 arithmetic steps on the input (an affine scaler takes two)");
  if (!strcmp(op, "Div"))
    for (int i = 0; i < n_k; i++)
      if (k->data[i] == 0) return refuse(im, n, "%s", "a division of the input by zero");
  c->sc[c->n_sc].op = op[0] == 'S' ? '-' : op[0] == 'A' ? '+' : op[0] == 'M' ? '*' : '/';
  c->sc[c->n_sc].v = k->data, c->sc[c->n_sc].n = n_k, c->n_sc++;
  return 0;
}

/* Pads of an axis as our layers do them: "same" or "valid". */
static int pad_kind(int64_t in, int64_t k, int64_t s, int64_t lead, int64_t trail) {
  if (lead == 0 && trail == 0) return PAD_VALID;
  int64_t out = (in + s - 1) / s, p = (out - 1) * s + k - in;
  if (p < 0) p = 0;
  return lead == p / 2 && trail == p - p / 2 ? PAD_SAME : -1;
}

/* An ints attribute's values all within [lo, hi] (or absent). */
static int ints_within(const Onnx__NodeProto *n, const char *name, int64_t lo, int64_t hi) {
  const Onnx__AttributeProto *a = onnx_attr(n, name);
  for (size_t i = 0; a && i < a->n_ints; i++)
    if (a->ints[i] < lo || a->ints[i] > hi) return 0;
  return !a || a->n_ints <= 4;
}

static int op_conv(importer_t *im, const Onnx__NodeProto *n, chain_t *c, const value_t *w, const value_t *b) {
  if (!w || !w->data || (w->n_dims != 4 && w->n_dims != 3)) return refuse(im, n, "%s", "weights not a constant of 3 or 4 dimensions");
  for (int i = 0; i < w->n_dims; i++)
    if (w->dims[i] < 1 || w->dims[i] > 65536) return refuse(im, n, "%s", "a weight dimension outside [1, 65536]");
  if (!ints_within(n, "strides", 1, 64) || !ints_within(n, "pads", 0, 64) || !ints_within(n, "kernel_shape", 1, 64) ||
      !ints_within(n, "dilations", 1, 64))
    return refuse(im, n, "%s", "strides, kernel or dilations outside [1, 64] or pads outside [0, 64]");
  int one_d = w->n_dims == 3 || (w->dims[2] == 1 && c->h == 1);
  int64_t co = w->dims[0], ci = w->dims[1], kh = w->n_dims == 4 ? w->dims[2] : 1, kw = w->dims[w->n_dims - 1];
  const Onnx__AttributeProto *st = onnx_attr(n, "strides"), *pads = onnx_attr(n, "pads");
  int64_t s = st && st->n_ints ? st->ints[st->n_ints - 1] : 1;
  if (ci != c->c || attr_i(n, "group", 1) != 1 || !ints_all(n, "dilations", 1) || (!one_d && kh != kw) ||
      (st && st->n_ints == 2 && !one_d && st->ints[0] != st->ints[1]) || (one_d && st && st->n_ints == 2 && st->ints[0] != 1))
    return refuse(im, n, "%s", "a convolution our layers do not have (input channels, groups, dilation, a kernel "
                               "that is not square, unequal strides)");
  const Onnx__AttributeProto *ap = onnx_attr(n, "auto_pad");
  if (ap && ap->has_s && ap->s.len && strncmp((const char *)ap->s.data, "NOTSET", ap->s.len) != 0)
    return refuse(im, n, "%s", "auto_pad (give explicit pads)");
  int64_t p[4] = {0, 0, 0, 0};
  for (size_t i = 0; pads && i < pads->n_ints && i < 4; i++) p[i] = pads->ints[i];
  int kind_w, kind_h = PAD_VALID;
  if (pads && pads->n_ints == 2) kind_w = pad_kind(c->w, kw, s, p[0], p[1]); /* 1-D: begin, end */
  else kind_w = pad_kind(c->w, kw, s, p[1], p[3]), kind_h = one_d ? (p[0] || p[2] ? -1 : kind_w) : pad_kind(c->h, kh, s, p[0], p[2]);
  int zeros = pads && pads->n_ints == 2 ? p[0] == p[1] : p[1] == p[3] && (one_d ? !p[0] && !p[2] : p[0] == p[2] && p[0] == p[1]);
  if ((kind_w < 0 || kind_h != kind_w) && zeros) /* PyTorch's padding=p: p zeros on every side */
    kind_w = kind_h = PAD_ZEROS + (int)(pads->n_ints == 2 ? p[0] : p[1]);
  if (kind_w < 0 || kind_h != kind_w)
    return refuse(im, n, "%s", "pads that are neither 'same', 'valid' nor the same on every side");
  op_t *o = new_op(im, n, c);
  if (!o) return -1;
  o->spec = (layer_spec_t){.kind = one_d ? LAYER_CONV1D : LAYER_CONV2D, .size = (int)co, .kernel = (int)kw,
                           .stride = (int)s, .pad = kind_w};
  o->w = w->data, o->b = b ? b->data : NULL, o->nw = w->n, o->nb = b ? b->n : 0;
  if (b && (!b->data || b->n != (size_t)co)) return refuse(im, n, "%s", "a bias that is not one value per filter");
  int64_t z = kind_w >= PAD_ZEROS ? kind_w - PAD_ZEROS : 0;
  int64_t ho = one_d ? 1 : kind_h == PAD_SAME ? (c->h + s - 1) / s : (c->h + 2 * z - kh) / s + 1;
  int64_t wo = kind_w == PAD_SAME ? (c->w + s - 1) / s : (c->w + 2 * z - kw) / s + 1;
  if ((!one_d && c->h + 2 * z < kh) || c->w + 2 * z < kw) return refuse(im, n, "%s", "a kernel larger than its input");
  if (ho < 1 || wo < 1) return refuse(im, n, "%s", "a kernel larger than its input");
  c->c = co, c->h = ho, c->w = wo;
  return 0;
}

static int op_batchnorm(importer_t *im, const Onnx__NodeProto *n, chain_t *c, value_t *const *in, float eps_ours) {
  for (int i = 1; i <= 4; i++)
    if (!in[i] || !in[i]->data || in[i]->n != (size_t)c->c) return refuse(im, n, "%s", "statistics that are not one constant per channel");
  op_t *o = new_op(im, n, c);
  if (!o) return -1;
  const Onnx__AttributeProto *e = onnx_attr(n, "epsilon");
  float eps = e && e->has_f ? e->f : 1e-5f;
  if (!(eps >= 0 && eps < 1)) return refuse(im, n, "%s", "an epsilon that is negative, not finite or 1 or more");
  for (size_t i = 0; i < in[4]->n; i++)
    if (!(in[4]->data[i] >= 0 && isfinite(in[4]->data[i]))) return refuse(im, n, "%s", "a variance that is negative or not finite");
  o->spec = (layer_spec_t){.kind = LAYER_BATCHNORM};
  o->w = in[1]->data, o->b = in[2]->data, o->mean = in[3]->data, o->var = in[4]->data, o->nw = o->nb = in[1]->n;
  o->eps_add = eps == eps_ours ? 0 : eps - eps_ours; /* 1/sqrt(var + eps) with our eps */
  return 0;
}

static int op_pool(importer_t *im, const Onnx__NodeProto *n, chain_t *c) {
  const Onnx__AttributeProto *k = onnx_attr(n, "kernel_shape"), *s = onnx_attr(n, "strides");
  int64_t kk = k && k->n_ints ? k->ints[k->n_ints - 1] : 0;
  if (!ints_within(n, "kernel_shape", 1, 64) || !ints_within(n, "strides", 1, 64))
    return refuse(im, n, "%s", "a window or stride outside [1, 64]");
  int one_d = k && (k->n_ints == 1 || (k->n_ints == 2 && k->ints[0] == 1 && c->h == 1));
  int ok = k && kk >= 1 && s && s->n_ints == k->n_ints && ints_all(n, "pads", 0) && attr_i(n, "ceil_mode", 0) == 0 &&
           ints_all(n, "dilations", 1);
  for (size_t i = 0; ok && i < k->n_ints; i++) ok = s->ints[i] == k->ints[i] && (one_d ? (i + 1 == k->n_ints || k->ints[i] == 1) : k->ints[i] == kk);
  int average = !strcmp(n->op_type, "AveragePool");
  if (!ok || (average && one_d)) return refuse(im, n, "%s", "pooling other than k x k (or, for MaxPool, 1 x k) windows with stride k and no padding");
  op_t *o = new_op(im, n, c);
  if (!o) return -1;
  o->spec = (layer_spec_t){.kind = average ? LAYER_AVGPOOL2D : one_d ? LAYER_MAXPOOL1D : LAYER_MAXPOOL, .size = (int)kk};
  c->h = one_d ? c->h : c->h / kk, c->w /= kk;
  if (c->h < 1 || c->w < 1) return refuse(im, n, "%s", "a window larger than its input");
  return 0;
}

static int op_activation(importer_t *im, const Onnx__NodeProto *n, chain_t *c) {
  const Onnx__AttributeProto *a = onnx_attr(n, "alpha");
  float alpha = a && a->has_f ? a->f : 0.01f;
  if (n->op_type[0] == 'L' && !(alpha >= 0 && alpha < 1)) return refuse(im, n, "%s", "a slope (alpha) outside [0, 1)");
  op_t *o = new_op(im, n, c);
  if (!o) return -1;
  o->spec = (layer_spec_t){.kind = n->op_type[0] == 'L' ? LAYER_LEAKYRELU : n->op_type[0] == 'S' ? LAYER_SIGMOID : LAYER_TANH,
                           .rate = n->op_type[0] == 'L' ? alpha : 0};
  return 0;
}

/* Pad: only of nothing (PyTorch writes one before AvgPool2d); padding belongs to the convolution. */
static int op_pad(importer_t *im, const Onnx__NodeProto *n, const chain_t *c, value_t *const *in, int n_in) {
  (void)c;
  const value_t *pads = n_in > 1 ? in[1] : NULL;
  int zero = pads && pads->ints;
  for (size_t i = 0; zero && i < pads->n; i++) zero = pads->ints[i] == 0;
  const Onnx__AttributeProto *mode = onnx_attr(n, "mode");
  if (mode && mode->has_s && mode->s.len && strncmp((const char *)mode->s.data, "constant", mode->s.len) != 0) zero = 0;
  return zero ? 0 : refuse(im, n, "%s", "padding that is not zero everywhere: give it to the Conv (padding=p)");
}

static int op_dense(importer_t *im, const Onnx__NodeProto *n, chain_t *c, const value_t *w, const value_t *b, int trans_b) {
  if (!w || !w->data || w->n_dims != 2) return refuse(im, n, "%s", "weights not a 2-D constant");
  int64_t in = trans_b ? w->dims[1] : w->dims[0], out = trans_b ? w->dims[0] : w->dims[1];
  if ((size_t)in != elems(c) || (c->rank > 2 && !c->after_gap))
    return refuse(im, n, "%s", "a dense layer on an input of another size (or not flattened)");
  if (b && (!b->data || b->n != (size_t)out)) return refuse(im, n, "%s", "a bias that is not one value per unit");
  op_t *o = new_op(im, n, c);
  if (!o) return -1;
  o->spec = (layer_spec_t){.kind = LAYER_DENSE, .size = (int)out};
  o->w = w->data, o->b = b ? b->data : NULL, o->transpose = !trans_b, o->nw = w->n, o->nb = b ? b->n : 0;
  c->c = out, c->h = c->w = 1, c->rank = 2, c->after_gap = 0;
  return 0;
}

/* Flatten, Reshape to [N, -1], or after global pooling: our layers' [C*H*W]. */
static int op_flatten(importer_t *im, const Onnx__NodeProto *n, chain_t *c) {
  if (c->rank == 2 || c->after_gap) return c->rank = 2, c->after_gap = 0, 0; /* already flat */
  op_t *o = new_op(im, n, c);
  if (!o) return -1;
  o->spec = (layer_spec_t){.kind = LAYER_FLATTEN};
  c->c = (int64_t)elems(c), c->h = c->w = 1, c->rank = 2;
  return 0;
}

static int op_reshape(importer_t *im, const Onnx__NodeProto *n, chain_t *c, const value_t *shape) {
  if (!shape || !shape->ints || shape->n < 2 || shape->n > 4) return refuse(im, n, "%s", "a shape that is not a constant of 2 to 4 values");
  int64_t d[4] = {1, 1, 1, 1}, known = 1, free_at = shape->ints[0] == -1 ? 0 : -1;
  if (shape->ints[0] != -1 && shape->ints[0] != 0 && shape->ints[0] != DIM_BATCH)
    return refuse(im, n, "%s", "a shape whose first (batch) size is not -1, 0 or the input's");
  for (size_t i = 1; i < shape->n; i++) {
    d[i] = shape->ints[i];
    if (d[i] == -1 && free_at < 0) free_at = (int64_t)i;
    else if (d[i] < 1 || d[i] > (1 << 24)) return refuse(im, n, "%s", "a shape with zeros, sizes past 2^24 or several -1");
    else if ((known *= d[i]) > ((int64_t)1 << 40)) return refuse(im, n, "%s", "a shape of more than 2^40 values");
  }
  if (free_at == 0) free_at = -1; /* the batch is the -1: the others are all known */
  if (free_at > 0) d[free_at] = (int64_t)elems(c) / known, known *= d[free_at];
  if ((size_t)known != elems(c)) return refuse(im, n, "%s", "a shape of another size than its input");
  if (shape->n == 2) return op_flatten(im, n, c);
  if (c->n_ops) return refuse(im, n, "%s", "a reshape into an image after the first layer");
  c->rank = (int)shape->n, c->c = d[1], c->h = shape->n == 4 ? d[2] : 1, c->w = shape->n == 4 ? d[3] : d[2];
  return 0;
}

static int op_gap(importer_t *im, const Onnx__NodeProto *n, chain_t *c) {
  if (c->rank != 4) return refuse(im, n, "%s", "global pooling of a tensor that is not [N,C,H,W]");
  if (strcmp(n->op_type, "ReduceMean") == 0) {
    const Onnx__AttributeProto *a = onnx_attr(n, "axes");
    int ok = a && a->n_ints == 2 && ((a->ints[0] == 2 && a->ints[1] == 3) || (a->ints[0] == -2 && a->ints[1] == -1));
    if (!ok) return refuse(im, n, "%s", "a ReduceMean other than over H and W (axes 2, 3)");
  }
  op_t *o = new_op(im, n, c);
  if (!o) return -1;
  o->spec = (layer_spec_t){.kind = LAYER_AVGPOOL};
  c->h = c->w = 1, c->after_gap = 1;
  if (strcmp(n->op_type, "ReduceMean") == 0 && attr_i(n, "keepdims", 1) == 0) c->rank = 2, c->after_gap = 0;
  return 0;
}

/* Mean, Sum, or Div of a Sum by its count: a group (an ensemble's average). */
static int op_group(importer_t *im, const Onnx__NodeProto *n, value_t *const *in, int n_in, value_t *out) {
  int is_div = strcmp(n->op_type, "Div") == 0;
  if (is_div) {
    const value_t *g = in[0], *k = in[1];
    if (g->kind != V_GROUP || g->divided || !k || !k->data || k->n != 1 || k->data[0] != (float)g->n_items)
      return refuse(im, n, "%s", "a division other than of a Sum of probabilities by its count");
    *out = *g, out->divided = 1;
    return 0;
  }
  if (n_in > MAX_GROUP) return refuse(im, n, "%s", "more than 64 branches");
  out->kind = V_GROUP, out->divided = strcmp(n->op_type, "Mean") == 0;
  for (int i = 0; i < n_in; i++) {
    const value_t *v = in[i];
    int ok = v && ((v->kind == V_CHAIN && im->chains[v->chain].softmax) || (v->kind == V_GROUP && v->divided));
    if (!ok || v->logp) return refuse(im, n, "%s", "an average of values that are not probabilities (Softmax outputs)");
    out->item_t[i] = v->temperature;
    if (v->kind == V_GROUP) {
      if (im->n_groups == MAX_CHAINS) return refuse(im, n, "%s", "too many groups");
      im->groups[im->n_groups] = *v;
      out->items[i] = im->n_groups++, out->item_group[i] = 1;
    } else {
      out->items[i] = v->chain, out->item_group[i] = 0;
    }
  }
  out->n_items = n_in;
  return 0;
}

/* Softmax(Log(p) / T) on probabilities p (a model's temperature): Log, then
 * Div by T, then Softmax; out is p's value with the temperature. */
static int op_temperature(importer_t *im, const Onnx__NodeProto *n, value_t *const *in, int n_in, value_t *out) {
  const value_t *v = in[0];
  int probs = v && ((v->kind == V_CHAIN && im->chains[v->chain].softmax) || (v->kind == V_GROUP && v->divided));
  *out = v ? *v : (value_t){0};
  if (!strcmp(n->op_type, "Log")) {
    if (!probs || v->logp || v->temperature) return refuse(im, n, "%s", "a Log other than of probabilities (a temperature)");
    return out->logp = 1, 0;
  }
  if (!strcmp(n->op_type, "Div")) {
    const value_t *k = n_in > 1 ? in[1] : NULL;
    if (v->logp != 1 || !k || !k->data || k->n != 1 || !(k->data[0] >= 0.01f && k->data[0] <= 100.0f))
      return refuse(im, n, "%s", "a division of log-probabilities other than by a temperature in [0.01, 100]");
    return out->logp = 2, out->temperature = k->data[0], 0;
  }
  int64_t axis = attr_i(n, "axis", -1);
  if (v->logp != 2 || (axis != 1 && axis != -1)) return refuse(im, n, "%s", "a softmax of log-probabilities not divided by a temperature");
  return out->logp = 0, 0;
}

/* --- shapes computed in the graph (PyTorch's x.view(x.size(0), -1)) --------------------- */


static int64_t *ints_new(importer_t *im, size_t n) {
  int64_t *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) snprintf(im->err, im->errlen, "out of memory");
  return v;
}

/* Shape of a chain: [N, C(, H), W] as its values are laid out. */
static int op_shape(importer_t *im, const chain_t *c, value_t *out) {
  if (!(out->ints = ints_new(im, 4))) return -1;
  out->kind = V_CONST, out->n = (size_t)c->rank, out->n_dims = 1, out->dims[0] = c->rank;
  out->ints[0] = DIM_BATCH, out->ints[1] = c->c;
  if (c->rank == 3) out->ints[2] = c->w;
  if (c->rank == 4) out->ints[2] = c->h, out->ints[3] = c->w;
  return 0;
}

/* Gather (axis 0), Unsqueeze and Concat of integer constants: 0, or -1 with the reason. */
static int op_ints(importer_t *im, const Onnx__NodeProto *n, value_t *const *in, int n_in, value_t *out) {
  const char *op = n->op_type;
  for (int i = 0; i < n_in; i++)
    if (!in[i] || in[i]->kind != V_CONST || !in[i]->ints) return refuse(im, n, "%s", "shape arithmetic on values that are not integer constants");
  size_t total = 0;
  for (int i = 0; i < n_in; i++) total += in[i]->n;
  if (!strcmp(op, "Gather")) {
    if (n_in != 2 || attr_i(n, "axis", 0) != 0 || in[0]->n_dims > 1) return refuse(im, n, "%s", "a Gather other than of a shape's sizes");
    if (!(out->ints = ints_new(im, in[1]->n))) return -1;
    for (size_t i = 0; i < in[1]->n; i++) {
      int64_t k = in[1]->ints[i], len = (int64_t)in[0]->n;
      if (k < -len || k >= len) return refuse(im, n, "%s", "an index outside the shape");
      out->ints[i] = in[0]->ints[k < 0 ? k + len : k];
    }
    out->n = in[1]->n, out->n_dims = in[1]->n_dims, out->dims[0] = (int64_t)out->n;
  } else {
    if (!strcmp(op, "Unsqueeze")) total = in[0]->n, n_in = 1; /* opset 13: axes is the second input */
    if (!(out->ints = ints_new(im, total))) return -1;
    out->n = 0, out->n_dims = 1;
    for (int i = 0; i < n_in; i++) memcpy(out->ints + out->n, in[i]->ints, in[i]->n * sizeof *out->ints), out->n += in[i]->n;
    out->dims[0] = (int64_t)out->n;
  }
  out->kind = V_CONST;
  return 0;
}

/* --- the walk ------------------------------------------------------------------------ */

/* The chain operators on chain c (a fork of the input's). 0, or -1 after saying why. */
static int chain_op(importer_t *im, const Onnx__NodeProto *n, chain_t *c, value_t *const *in, int n_in) {
  const char *op = n->op_type;
  const value_t *k = n_in > 1 ? in[1] : NULL;
  if (!strcmp(op, "Sub") || !strcmp(op, "Div") || !strcmp(op, "Mul") || !strcmp(op, "Add")) {
    op_t *last = c->n_ops ? &c->ops[c->n_ops - 1] : NULL;
    if (!k || k->kind != V_CONST) return refuse(im, n, "%s", "arithmetic between two computed values");
    if (c->stage < 3) return op_scaler(im, n, c, k);
    if (!strcmp(op, "Add") && last && last->spec.kind == LAYER_DENSE && !last->b && k->data && k->n == (size_t)last->spec.size)
      return last->b = k->data, last->nb = k->n, 0; /* MatMul + Add */
    if (!strcmp(op, "Div") && last && last->spec.kind == LAYER_DENSE && !c->temperature && k->data && k->n == 1 &&
        k->data[0] >= 0.01f && k->data[0] <= 100.0f)
      return c->temperature = k->data[0], 0; /* the logits over a temperature, before the Softmax */
    if (!strcmp(op, "Div") && last && last->spec.kind == LAYER_DENSE && !c->temperature && k->data && k->n == 1)
      return refuse(im, n, "%s", "a temperature (the logits' divisor) outside [0.01, 100]");
    return refuse(im, n, "%s", "arithmetic inside the network (only the input's scaler and a dense layer's bias)");
  }
  if (c->temperature && strcmp(op, "Softmax") && strcmp(op, "Identity") && strcmp(op, "Dropout"))
    return refuse(im, n, "%s", "an operation between the logits' temperature and the Softmax");
  if (!strcmp(op, "Conv")) return op_conv(im, n, c, k, n_in > 2 ? in[2] : NULL);
  if (!strcmp(op, "BatchNormalization")) return n_in < 5 ? refuse(im, n, "%s", "fewer than 5 inputs") : op_batchnorm(im, n, c, in, (float)1e-3);
  if (!strcmp(op, "Relu")) {
    op_t *o = new_op(im, n, c);
    return o ? (o->spec = (layer_spec_t){.kind = LAYER_RELU}, 0) : -1;
  }
  if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool")) return op_pool(im, n, c);
  if (!strcmp(op, "LeakyRelu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Tanh")) return op_activation(im, n, c);
  if (!strcmp(op, "Pad")) return op_pad(im, n, c, in, n_in);
  if (!strcmp(op, "GlobalAveragePool") || !strcmp(op, "ReduceMean")) return op_gap(im, n, c);
  if (!strcmp(op, "Gemm")) {
    const Onnx__AttributeProto *al = onnx_attr(n, "alpha"), *be = onnx_attr(n, "beta");
    if ((al && al->f != 1) || (be && be->f != 1) || attr_i(n, "transA", 0)) return refuse(im, n, "%s", "alpha, beta or transA not 1, 1, 0");
    return op_dense(im, n, c, k, n_in > 2 ? in[2] : NULL, (int)attr_i(n, "transB", 0));
  }
  if (!strcmp(op, "MatMul")) return op_dense(im, n, c, k, NULL, 0);
  if (!strcmp(op, "Flatten")) return attr_i(n, "axis", 1) != 1 ? refuse(im, n, "%s", "an axis other than 1") : op_flatten(im, n, c);
  if (!strcmp(op, "Reshape")) return op_reshape(im, n, c, k);
  if (!strcmp(op, "Squeeze") && c->after_gap) return c->rank = 2, c->after_gap = 0, 0;
  if (!strcmp(op, "Dropout") || !strcmp(op, "Identity")) return 0;
  if (!strcmp(op, "Softmax")) {
    int64_t axis = attr_i(n, "axis", -1);
    if (c->rank != 2 || (axis != 1 && axis != -1)) return refuse(im, n, "%s", "a softmax other than over the classes of [N,K]");
    return c->softmax = 1, 0;
  }
  return refuse(im, n, "not supported (the operators our layers cover: %s)", SUPPORTED);
}

static int walk_node(importer_t *im, const Onnx__NodeProto *n) {
  if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0)
    return refuse(im, n, "%s", "an operator outside ONNX's default domain");
  value_t *in[MAX_GROUP] = {0};
  int n_in = (int)n->n_input; /* at most MAX_GROUP: graph_check */
  for (int i = 0; i < n_in; i++)
    if (n->input[i][0] && !(in[i] = find(im, n->input[i]))) return refuse(im, n, "input '%s' is computed by nothing before it", n->input[i]);
  if (!strcmp(n->op_type, "Constant")) {
    const Onnx__AttributeProto *a = onnx_attr(n, "value");
    return a && a->t ? add_const(im, a->t, n->output[0]) : refuse(im, n, "%s", "a constant other than a tensor");
  }
  value_t out = {0};
  if (!strcmp(n->op_type, "Shape")) {
    if (!in[0] || in[0]->kind != V_CHAIN) return refuse(im, n, "%s", "the shape of a value that is not computed from a graph input");
    if (op_shape(im, &im->chains[in[0]->chain], &out)) return -1;
  } else if (!strcmp(n->op_type, "Gather") || !strcmp(n->op_type, "Unsqueeze") || !strcmp(n->op_type, "Concat")) {
    if (op_ints(im, n, in, n_in, &out)) return free(out.ints), -1;
  } else if (!strcmp(n->op_type, "Log") || (in[0] && in[0]->logp && (!strcmp(n->op_type, "Div") || !strcmp(n->op_type, "Softmax")))) {
    if (op_temperature(im, n, in, n_in, &out)) return -1;
  } else if (in[0] && in[0]->logp) {
    return refuse(im, n, "%s", "an operation on log-probabilities other than a temperature");
  } else if (!strcmp(n->op_type, "Mean") || !strcmp(n->op_type, "Sum") || (!strcmp(n->op_type, "Div") && in[0] && in[0]->kind == V_GROUP)) {
    if (op_group(im, n, in, n_in, &out)) return -1;
  } else {
    if (!in[0] || in[0]->kind != V_CHAIN) return refuse(im, n, "%s", "its first input is not computed from a graph input");
    int ci = fork_chain(im, in[0]->chain);
    if (ci < 0) return refuse(im, n, "%s", "a graph too large");
    int pass = !strcmp(n->op_type, "Identity") || !strcmp(n->op_type, "Dropout");
    if (im->chains[ci].softmax && !pass) return refuse(im, n, "%s", "an operation after the Softmax");
    if (chain_op(im, n, &im->chains[ci], in, n_in)) return -1;
    out.kind = V_CHAIN, out.chain = ci;
  }
  value_t *v = add_value(im, n->output[0], out.kind);
  if (!v) return snprintf(im->err, im->errlen, "out of memory"), -1;
  out.name = n->output[0];
  *v = out;
  return 0;
}

/* --- models from chains ------------------------------------------------------------- */

static int same_chain(const chain_t *a, const chain_t *b) {
  if (a->input != b->input || a->n_ops != b->n_ops || a->n_sc != b->n_sc) return 0;
  for (int i = 0; i < a->n_ops; i++)
    if (memcmp(&a->ops[i].spec, &b->ops[i].spec, sizeof a->ops[i].spec) != 0) return 0;
  for (int i = 0; i < a->n_sc; i++)
    if (a->sc[i].op != b->sc[i].op || a->sc[i].n != b->sc[i].n || memcmp(a->sc[i].v, b->sc[i].v, (size_t)a->sc[i].n * sizeof(float)))
      return 0;
  return 1;
}

/* Column or band i of the input's scaler as (x - shift) / scale. Ours, (x - s) / c
 * (or * 1/c), maps straight back; any other chain of + - * / (PyTorch's
 * (x + 20) / 20, x * 0.05 - 1) is composed as x * a + b in double. */
static void scaler_at(const chain_t *c, size_t i, float *shift, float *scale) {
  int j = 0;
  *shift = 0, *scale = 1;
  if (j < c->n_sc && (c->sc[j].op == '-' || c->sc[j].op == '+'))
    *shift = c->sc[j].op == '-' ? c->sc[j].v[c->sc[j].n == 1 ? 0 : i] : -c->sc[j].v[c->sc[j].n == 1 ? 0 : i], j++;
  if (j < c->n_sc && (c->sc[j].op == '/' || c->sc[j].op == '*')) {
    float v = c->sc[j].v[c->sc[j].n == 1 ? 0 : i];
    *scale = c->sc[j].op == '/' ? v : 1 / v, j++;
  }
  if (j == c->n_sc) return;
  double a = 1, b = 0;
  for (j = 0; j < c->n_sc; j++) {
    double v = c->sc[j].v[c->sc[j].n == 1 ? 0 : i];
    switch (c->sc[j].op) {
    case '+': b += v; break;
    case '-': b -= v; break;
    case '*': a *= v, b *= v; break;
    default: a /= v, b /= v; break;
    }
  }
  *shift = (float)(-b / a), *scale = (float)(1 / a);
}

/* Every operator's constants as many as the layer it became takes. 0, or -1 with the reason. */
static int counts_check(importer_t *im, const net_t *net, const chain_t *c) {
  for (int i = 0; i < net->n_layers; i++) {
    const layer_t *l = &net->layer[i];
    const op_t *o = &c->ops[i];
    if ((o->w && o->nw != l->nw) || (o->b && o->nb != l->nb))
      return snprintf(im->err, im->errlen, "%s: layer %d (%s): the graph gives %zu weights and %zu biases, the layer takes %zu and %zu",
                      im->path, i + 1, layer_kind_name(l->spec.kind), o->w ? o->nw : l->nw, o->b ? o->nb : l->nb, l->nw, l->nb), -1;
  }
  return 0;
}

/* One member's values into the network's layers. */
static void fill_member(net_t *net, const chain_t *c) {
  for (int i = 0; i < net->n_layers; i++) {
    layer_t *l = &net->layer[i];
    const op_t *o = &c->ops[i];
    size_t O = (size_t)o->spec.size, I = l->in_size;
    for (size_t j = 0; j < l->nw && o->w; j++)
      l->weight[j] = (real)(o->transpose ? o->w[(j % I) * O + j / I] : o->w[j]);
    for (size_t j = 0; j < l->nb; j++) l->bias[j] = o->b ? (real)o->b[j] : 0;
    if (l->spec.kind == LAYER_BATCHNORM)
      for (int j = 0; j < l->c; j++) l->run_mean[j] = (real)o->mean[j], l->run_var[j] = (real)(o->var[j] + o->eps_add);
  }
}

/* The model's input kind, shape, classes, names and scaler, from chain c and the hints. */
static int model_frame(importer_t *im, const chain_t *c, model_t *m) {
  const Onnx__ValueInfoProto *in = im->g->input[c->input];
  const onnx_hints_t *h = im->hints;
  int mel = c->in_rank == 4 && c->in_c == 1 && c->in_h == MEL_BANDS && c->in_w == SEGMENT_FRAMES;
  if (h->feature_input && !strcmp(h->feature_input, in->name)) mel = 0;
  if (h->mel_input && !strcmp(h->mel_input, in->name)) mel = 1;
  if (mel && h->mel_shape[0] && (c->in_rank != 4 || h->mel_shape[0] != c->in_c || h->mel_shape[1] != c->in_h || h->mel_shape[2] != c->in_w)) {
    char shape[80];
    if (c->in_rank == 4) snprintf(shape, sizeof shape, "[N,%lld,%lld,%lld]", (long long)c->in_c, (long long)c->in_h, (long long)c->in_w);
    else if (c->in_rank == 3) snprintf(shape, sizeof shape, "[N,%lld,%lld]", (long long)c->in_c, (long long)c->in_w);
    else snprintf(shape, sizeof shape, "[N,%lld]", (long long)c->in_c);
    return snprintf(im->err, im->errlen, "%s: the card gives '%s' as [N,%lld,%lld,%lld], the graph takes %s", im->path,
                    in->name, (long long)h->mel_shape[0], (long long)h->mel_shape[1], (long long)h->mel_shape[2], shape), -1;
  }
  if (!mel && h->n_features && h->n_features != c->in_c * c->in_h * c->in_w)
    return snprintf(im->err, im->errlen, "%s: the card gives '%s' %lld columns, the graph takes %lld", im->path, in->name,
                    (long long)h->n_features, (long long)(c->in_c * c->in_h * c->in_w)), -1;
  const op_t *last = c->n_ops ? &c->ops[c->n_ops - 1] : NULL;
  if (!last || last->spec.kind != LAYER_DENSE)
    return snprintf(im->err, im->errlen, "%s: the branch from input '%s' does not end in a dense layer (Gemm)", im->path, in->name), -1;
  m->kind = mel ? MODEL_CNN : MODEL_ANN;
  snprintf(m->arch, sizeof m->arch, "onnx");
  m->unit = h->unit ? h->unit : MODEL_UNIT_SEGMENT;
  m->in_c = (int)c->in_c, m->in_h = (int)c->in_h, m->in_w = (int)c->in_w, m->n_classes = last->spec.size;
  if (!h->n_labels) return snprintf(im->err, im->errlen, "%s: no card (%s.json) and no --labels: the classes have no names", im->path, "NAME"), -1;
  if (h->n_labels != m->n_classes)
    return snprintf(im->err, im->errlen, "%s: the graph gives %d classes, the card or --labels names %d", im->path, m->n_classes, h->n_labels), -1;
  size_t F = (size_t)m->in_c * m->in_h * m->in_w;
  if (!mel && (size_t)h->n_columns != F)
    return snprintf(im->err, im->errlen, "%s: input '%s' takes %zu feature columns; %s", im->path, in->name, F,
                    h->n_columns ? "the card names another count" : "only a card names them (genre export writes one)"), -1;
  m->labels = strings_copy(h->labels, (size_t)h->n_labels);
  m->n_features = mel ? 0 : F;
  m->feature_names = mel ? calloc(1, sizeof(char *)) : strings_copy(h->columns, F);
  m->n_scale = mel ? (size_t)m->in_h : F;
  for (int j = 0; j < c->n_sc; j++)
    if (c->sc[j].n != 1 && (size_t)c->sc[j].n != m->n_scale)
      return snprintf(im->err, im->errlen, "%s: the input's scaler holds %d values; input '%s' needs one or %zu", im->path,
                      c->sc[j].n, in->name, m->n_scale), -1;
  m->shift = malloc(m->n_scale * sizeof(float)), m->scale = malloc(m->n_scale * sizeof(float));
  if (!m->labels || !m->feature_names || !m->shift || !m->scale) return snprintf(im->err, im->errlen, "out of memory"), -1;
  for (size_t i = 0; i < m->n_scale; i++) {
    scaler_at(c, i, &m->shift[i], &m->scale[i]);
    if (!isfinite(m->shift[i]) || !isfinite(m->scale[i]) || m->scale[i] == 0)
      return snprintf(im->err, im->errlen, "%s: the input's scaler has a zero or non-finite value", im->path), -1;
  }
  return 0;
}

static int build_model(importer_t *im, const int *chains, int n, int max_batch, model_t *m) {
  const chain_t *c = &im->chains[chains[0]];
  for (int k = 1; k < n; k++)
    if (!same_chain(c, &im->chains[chains[k]]))
      return snprintf(im->err, im->errlen, "%s: an average of branches with different layers nested in another", im->path), -1;
  if (model_frame(im, c, m)) return -1;
  if (c->n_ops > NET_MAX_LAYERS) return snprintf(im->err, im->errlen, "%s: more than %d layers", im->path, NET_MAX_LAYERS), -1;
  m->n_layers = c->n_ops;
  for (int i = 0; i < c->n_ops; i++) m->spec[i] = c->ops[i].spec;
  net_size_t size;
  char why[300];
  if (net_plan(m->spec, m->n_layers, m->in_c, m->in_h, m->in_w, m->n_classes, &size, why, sizeof why))
    return snprintf(im->err, im->errlen, "%s: the layers do not build: %s", im->path, why), -1;
  if (max_batch < 1) max_batch = 1;
  if ((size_t)max_batch * size.activations > MODEL_MAX_ACTIVATIONS)
    max_batch = size.activations >= MODEL_MAX_ACTIVATIONS ? 1 : (int)(MODEL_MAX_ACTIVATIONS / size.activations);
  if (!(m->net = net_new(m->spec, m->n_layers, m->in_c, m->in_h, m->in_w, m->n_classes, max_batch, why, sizeof why)))
    return snprintf(im->err, im->errlen, "%s: %s", im->path, why), -1;
  m->n_members = n;
  size_t per = m->net->n_params + m->net->n_state;
  if (n > 1 && !(m->members = malloc((size_t)n * per * sizeof(real)))) return snprintf(im->err, im->errlen, "out of memory"), -1;
  for (int k = 0; k < n; k++)
    if (counts_check(im, m->net, &im->chains[chains[k]])) return -1;
  for (int k = 0; k < n; k++) {
    fill_member(m->net, &im->chains[chains[k]]);
    if (m->members) memcpy(m->members + (size_t)k * per, m->net->params, m->net->n_params * sizeof(real)),
                    memcpy(m->members + (size_t)k * per + m->net->n_params, m->net->state, m->net->n_state * sizeof(real));
  }
  if (m->members) model_use_member(m, 0);
  return 0;
}

static int make_model(importer_t *im, const int *chains, int n, double T, int max_batch, model_t *m) {
  memset(m, 0, sizeof *m);
  int rc = build_model(im, chains, n, max_batch, m) || model_check(m, im->path, im->err, im->errlen) ? -1 : 0;
  if (rc) model_free(m);
  else m->temperature = (float)(T ? T : n == 1 ? im->chains[chains[0]].temperature : 0);
  return rc;
}

/* 1 when no item of group g has a temperature of its own, after or inside its
 * Softmax (members share the model's). */
static int no_item_temperature(const importer_t *im, const value_t *g) {
  for (int i = 0; i < g->n_items; i++)
    if (g->item_t[i] || (!g->item_group[i] && im->chains[g->items[i]].temperature)) return 0;
  return 1;
}

/* The graph's output as models: a chain is one; an average of like chains is
 * one with members; an average of unlike ones (or of averages) one model each. */
static int make_models(importer_t *im, const value_t *v, int max_batch, model_t *out, int *n_out) {
  int uniform = v->kind == V_CHAIN || no_item_temperature(im, v);
  for (int i = 0; v->kind == V_GROUP && i < v->n_items && uniform; i++)
    uniform = !v->item_group[i] && same_chain(&im->chains[v->items[0]], &im->chains[v->items[i]]);
  if (v->kind == V_GROUP && !v->divided) return snprintf(im->err, im->errlen, "%s: a Sum of probabilities not divided by its count", im->path), -1;
  if (uniform) {
    int one = v->chain;
    *n_out = 1;
    return make_model(im, v->kind == V_CHAIN ? &one : v->items, v->kind == V_CHAIN ? 1 : v->n_items, v->temperature,
                      max_batch, &out[0]);
  }
  if (v->temperature)
    return snprintf(im->err, im->errlen, "%s: a temperature on an average of unlike models (only on each model's)", im->path), -1;
  if (v->n_items > ONNX_MAX_MODELS) return snprintf(im->err, im->errlen, "%s: more than %d models", im->path, ONNX_MAX_MODELS), -1;
  for (int i = 0; i < v->n_items; i++) {
    const value_t *g = v->item_group[i] ? &im->groups[v->items[i]] : NULL;
    for (int k = 0; g && k < g->n_items; k++)
      if (g->item_group[k]) return snprintf(im->err, im->errlen, "%s: averages nested three deep", im->path), -1;
    if (g && !no_item_temperature(im, g))
      return snprintf(im->err, im->errlen, "%s: a temperature on one member of a model (only on the model's average)", im->path), -1;
    int rc = g ? make_model(im, g->items, g->n_items, g->temperature, max_batch, &out[i])
               : make_model(im, &v->items[i], 1, v->item_t[i], max_batch, &out[i]);
    if (rc) return -1;
    *n_out = i + 1;
  }
  return 0;
}

/* --- entry points ------------------------------------------------------------------------ */

int model_import_onnx(const char *path, const onnx_hints_t *hints, int max_batch, model_t *out, int *n_out, char *err,
                      size_t errlen) {
  *n_out = 0;
  Onnx__ModelProto *mp;
  if (onnx_read(path, &mp, err, errlen)) return -1;
  importer_t im = {.g = mp->graph, .hints = hints, .err = err, .errlen = errlen, .path = path};
  im.chains = malloc(MAX_CHAINS * sizeof *im.chains), im.groups = malloc(MAX_CHAINS * sizeof *im.groups);
  int rc = im.chains && im.groups ? 0 : (snprintf(err, errlen, "out of memory"), -1);
  if (!rc) rc = graph_check(&im, mp);
  if (!rc) rc = add_inputs(&im);
  const char *named[2] = {hints->feature_input, hints->mel_input};
  for (int i = 0; i < 2 && !rc; i++) {
    value_t *v = named[i] ? find(&im, named[i]) : NULL;
    if (named[i] && (!v || v->kind != V_CHAIN))
      rc = (snprintf(err, errlen, "%s: the card names the input '%s'; the graph has none of that name", path, named[i]), -1);
  }
  for (size_t i = 0; !rc && i < im.g->n_node; i++) rc = walk_node(&im, im.g->node[i]);
  value_t *o = NULL;
  if (!rc && (im.g->n_output != 1 || !(o = find(&im, im.g->output[0]->name)) || o->kind == V_CONST))
    rc = (snprintf(err, errlen, "%s: not one output computed from the inputs", path), -1);
  if (!rc && o->logp) rc = (snprintf(err, errlen, "%s: the output is log-probabilities without their Softmax", path), -1);
  if (!rc && o->kind == V_CHAIN) im.chains[o->chain].softmax = 1; /* an output without a Softmax gets one */
  if (!rc) rc = make_models(&im, o, max_batch, out, n_out);
  if (rc)
    for (int i = 0; i < *n_out; i++) model_free(&out[i]);
  if (rc) *n_out = 0;
  for (size_t i = 0; i < im.n_v; i++) free(im.v[i].data), free(im.v[i].ints);
  free(im.v), free(im.chains), free(im.groups), free(im.slot);
  onnx__model_proto__free_unpacked(mp, NULL);
  return rc;
}

int model_is_onnx(const char *path) {
  size_t n = strlen(path);
  if (n >= 5 && strcmp(path + n - 5, ".onnx") == 0) return 1;
  const char *why;
  FILE *f = fopen_regular(path, &why);
  unsigned char head[8] = {0};
  size_t got = f ? fread(head, 1, 8, f) : 0;
  if (f) fclose(f);
  return got == 8 && memcmp(head, "GENRENN1", 8) != 0 && head[0] == 0x08; /* field 1 (ir_version), varint */
}

/* --- cards ------------------------------------------------------------------------ */

static int strings_of(const json_value_t *a, char ***out, int *n) {
  if (!a || a->type != JSON_ARRAY || a->n > 65536) return -1;
  *out = calloc(a->n ? a->n : 1, sizeof **out);
  if (!*out) return -1;
  for (size_t i = 0; i < a->n; i++) {
    if (a->items[i].type != JSON_STRING) return -1;
    (*out)[i] = a->items[i].string;
  }
  *n = (int)a->n;
  return 0;
}

/* The card's classes, unit and inputs into h (pointing into doc). 0, or -1 with the reason. */
static int card_hints(const json_value_t *doc, const char *card, onnx_hints_t *h, char *err, size_t errlen) {
  const json_value_t *classes = json_get(doc, "classes");
  if (classes && classes->type == JSON_ARRAY && classes->n > MAX_CLASSES)
    return snprintf(err, errlen, "%s: %zu classes, more than %d", card, classes->n, MAX_CLASSES), -1;
  if (strings_of(classes, &h->labels, &h->n_labels) || h->n_labels < 2)
    return snprintf(err, errlen, "%s: no list of two or more classes", card), -1;
  const json_value_t *unit = json_get(doc, "unit"), *inputs = json_get(doc, "inputs");
  h->unit = unit && unit->type == JSON_STRING && !strcmp(unit->string, "whole recording") ? MODEL_UNIT_TRACK : MODEL_UNIT_SEGMENT;
  for (size_t i = 0; inputs && inputs->type == JSON_ARRAY && i < inputs->n; i++) {
    const json_value_t *in = &inputs->items[i], *name = json_get(in, "name"), *shape = json_get(in, "shape");
    if (!name || name->type != JSON_STRING || !shape || shape->type != JSON_ARRAY)
      return snprintf(err, errlen, "%s: input %zu has no name or shape", card, i + 1), -1;
    for (size_t k = 1; k < shape->n; k++)
      if (shape->items[k].type != JSON_NUMBER) return snprintf(err, errlen, "%s: input '%s': a shape of sizes", card, name->string), -1;
    if (json_get(in, "columns")) {
      h->feature_input = name->string;
      if (strings_of(json_get(in, "columns"), &h->columns, &h->n_columns) || shape->n != 2 ||
          shape->items[1].number != h->n_columns)
        return snprintf(err, errlen, "%s: input '%s': columns that are not its shape's [N,F] names", card, name->string), -1;
      h->n_features = h->n_columns;
    } else {
      h->mel_input = name->string;
      if (shape->n != 4) return snprintf(err, errlen, "%s: input '%s': a log-mel input is [N,C,H,W]", card, name->string), -1;
      for (int k = 0; k < 3; k++) h->mel_shape[k] = (int64_t)shape->items[k + 1].number;
    }
  }
  return 0;
}

#define CARD_MAX_BYTES ((long)1 << 20)

/* The text of a card into *text: 1; 0 when there is none; -1 with the reason. */
static int read_card(const char *path, char **text, char *err, size_t errlen) {
  const char *why;
  *text = NULL;
  if (access(path, F_OK) != 0) return 0;
  FILE *f = fopen_regular(path, &why);
  if (!f) return snprintf(err, errlen, "%s: %s", path, why), -1;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *t = size >= 0 && size <= CARD_MAX_BYTES ? malloc((size_t)size + 1) : NULL;
  size_t n = t ? fread(t, 1, (size_t)size, f) : 0;
  fclose(f);
  if (size > CARD_MAX_BYTES) return snprintf(err, errlen, "%s: %ld bytes, more than a card's 1 MiB", path, size), -1;
  if (!t || n != (size_t)size) return free(t), snprintf(err, errlen, "%s: cannot be read", path), -1;
  t[n] = 0;
  *text = t;
  return 1;
}

/* --labels a,b,c into h (list is the copy its names point into). 0, or -1 with the reason. */
static int labels_hints(const char *labels, char **list, onnx_hints_t *h, char *err, size_t errlen) {
  if (!labels) return 0;
  if (!*labels) return snprintf(err, errlen, "--labels is empty: give the class names, as in --labels blues,jazz,rock"), -1;
  if (!(*list = strdup(labels)) || !(h->labels = calloc(strlen(labels) / 2 + 2, sizeof *h->labels)))
    return snprintf(err, errlen, "out of memory"), -1;
  for (char *t = *list, *end; t; t = end ? end + 1 : NULL) {
    if ((end = strchr(t, ','))) *end = '\0';
    if (!*t) return snprintf(err, errlen, "--labels '%s': an empty class name", labels), -1;
    h->labels[h->n_labels++] = t;
  }
  return 0;
}

/* Each model's track temperature from the card (outside the graph). 0, or -1 with the reason. */
static int card_track_temperatures(const json_value_t *doc, const char *card, model_t *models, int got, char *err,
                                   size_t errlen) {
  const json_value_t *cards = json_get(doc, "models");
  for (int i = 0; cards && cards->type == JSON_ARRAY && cards->n == (size_t)got && i < got; i++) {
    const json_value_t *t = json_get(&cards->items[i], "track_temperature");
    if (!t) continue;
    if (t->type != JSON_NUMBER || !(t->number >= 0.01 && t->number <= 100))
      return snprintf(err, errlen, "%s: model %d's track_temperature is not a number in [0.01, 100]", card, i + 1), -1;
    models[i].track_temperature = (float)t->number;
  }
  return 0;
}

int model_open(const char *path, const char *labels, int max_batch, model_t *out, int max_out, int *n_out, char *err,
               size_t errlen) {
  *n_out = 0;
  if (!model_is_onnx(path)) return model_load(path, max_batch, &out[0], err, errlen) ? -1 : (*n_out = 1, 0);
  char card[4200];
  size_t n = strlen(path);
  snprintf(card, sizeof card, "%.*s.json", (int)(n > 5 && !strcmp(path + n - 5, ".onnx") ? n - 5 : n), path);
  onnx_hints_t h = {0};
  json_value_t doc = {0};
  char *text, *list = NULL, why[600];
  int rc = read_card(card, &text, err, errlen);
  if (rc > 0) rc = json_parse(text, &doc, why, sizeof why) ? (snprintf(err, errlen, "%s: not JSON: %s", card, why), -1)
                                                          : card_hints(&doc, card, &h, err, errlen);
  else if (rc == 0) rc = labels_hints(labels, &list, &h, err, errlen);
  model_t models[ONNX_MAX_MODELS];
  int got = 0;
  if (!rc) rc = model_import_onnx(path, &h, max_batch, models, &got, err, errlen);
  if (!rc && got > max_out) rc = (snprintf(err, errlen, "%s: %d models, more than the %d left", path, got, max_out), -1);
  if (!rc) rc = card_track_temperatures(&doc, card, models, got, err, errlen);
  for (int i = 0; i < got; i++) {
    if (rc) model_free(&models[i]);
    else out[i] = models[i];
  }
  if (!rc) *n_out = got;
  free(h.labels), free(h.columns), free(list), free(text);
  json_value_free(&doc);
  return rc;
}
