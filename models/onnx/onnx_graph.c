#include "onnx_graph.h"
#include "infile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "outfile.h"

/* --- the builder's memory ------------------------------------------------- */

static void *grab(onnx_builder_t *b, size_t size) {
  if (b->failed) return NULL;
  if (b->n_arena == b->cap_arena) {
    size_t cap = b->cap_arena ? 2 * b->cap_arena : 256;
    void **a = realloc(b->arena, cap * sizeof *a);
    if (!a) return b->failed = 1, NULL;
    b->arena = a, b->cap_arena = cap;
  }
  void *p = calloc(1, size ? size : 1);
  if (!p) return b->failed = 1, NULL;
  return b->arena[b->n_arena++] = p;
}

static char *text(onnx_builder_t *b, const char *s) {
  size_t n = strlen(s) + 1;
  char *t = grab(b, n);
  if (t) memcpy(t, s, n);
  return t;
}

/* Appends p to the growing array *items[*n] (cap in *cap), outside the arena. */
static int append(onnx_builder_t *b, void ***items, size_t *n, size_t *cap, void *p) {
  if (!p || b->failed) return b->failed = 1, -1;
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 16;
    void **a = realloc(*items, c * sizeof *a);
    if (!a) return b->failed = 1, -1;
    *items = a, *cap = c;
  }
  (*items)[(*n)++] = p;
  return 0;
}

void onnx_builder_init(onnx_builder_t *b, const char *graph_name, const char *producer_version) {
  memset(b, 0, sizeof *b);
  onnx__model_proto__init(&b->model);
  onnx__graph_proto__init(&b->graph);
  onnx__operator_set_id_proto__init(&b->opset);
  b->opset.domain = text(b, "");
  b->opset.has_version = 1, b->opset.version = ONNX_OPSET;
  b->opsets[0] = &b->opset;
  b->model.has_ir_version = 1, b->model.ir_version = ONNX_IR_VERSION;
  b->model.n_opset_import = 1, b->model.opset_import = b->opsets;
  b->model.producer_name = text(b, "genre");
  b->model.producer_version = text(b, producer_version);
  b->model.graph = &b->graph;
  b->graph.name = text(b, graph_name);
}

void onnx_builder_free(onnx_builder_t *b) {
  for (size_t i = 0; i < b->n_arena; i++) free(b->arena[i]);
  free(b->arena);
  free(b->graph.node), free(b->graph.initializer), free(b->graph.input), free(b->graph.output);
  free(b->model.metadata_props);
  memset(b, 0, sizeof *b);
}

static const char *fresh(onnx_builder_t *b, const char *prefix) {
  char name[96];
  snprintf(name, sizeof name, "%s_%d", prefix, b->names++);
  return text(b, name);
}

/* --- tensors, nodes, values ------------------------------------------------- */

static Onnx__TensorProto *tensor(onnx_builder_t *b, const char *prefix, int type, const int64_t *dims, int n_dims) {
  Onnx__TensorProto *t = grab(b, sizeof *t);
  int64_t *d = grab(b, (size_t)(n_dims ? n_dims : 1) * sizeof *d);
  if (!t || !d) return NULL;
  onnx__tensor_proto__init(t);
  memcpy(d, dims, (size_t)n_dims * sizeof *d);
  t->n_dims = (size_t)n_dims, t->dims = d;
  t->has_data_type = 1, t->data_type = type;
  t->name = (char *)fresh(b, prefix);
  append(b, (void ***)&b->graph.initializer, &b->graph.n_initializer, &b->cap_init, t);
  return b->failed ? NULL : t;
}

const char *onnx_tensor(onnx_builder_t *b, const char *prefix, const float *data, const double *data64,
                        const int64_t *dims, int n_dims) {
  size_t n = 1;
  for (int i = 0; i < n_dims; i++) n *= (size_t)dims[i];
  Onnx__TensorProto *t = tensor(b, prefix, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, n_dims);
  float *v = grab(b, n * sizeof *v);
  if (!t || !v) return NULL;
  for (size_t i = 0; i < n; i++) v[i] = data ? data[i] : (float)data64[i];
  t->n_float_data = n, t->float_data = v;
  return t->name;
}

const char *onnx_tensor_i64(onnx_builder_t *b, const char *prefix, const int64_t *data, int n) {
  int64_t dims[1] = {n};
  Onnx__TensorProto *t = tensor(b, prefix, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, dims, 1);
  int64_t *v = grab(b, (size_t)n * sizeof *v);
  if (!t || !v) return NULL;
  memcpy(v, data, (size_t)n * sizeof *v);
  t->n_int64_data = (size_t)n, t->int64_data = v;
  return t->name;
}

static Onnx__AttributeProto *attribute(onnx_builder_t *b, const onnx_attr_t *a) {
  Onnx__AttributeProto *p = grab(b, sizeof *p);
  if (!p) return NULL;
  onnx__attribute_proto__init(p);
  p->name = text(b, a->name);
  p->has_type = 1;
  if (a->kind == ONNX_ATTR_INT) {
    p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, p->has_i = 1, p->i = a->i;
  } else if (a->kind == ONNX_ATTR_FLOAT) {
    p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, p->has_f = 1, p->f = a->f;
  } else {
    p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    p->ints = grab(b, (size_t)a->n_ints * sizeof *p->ints);
    if (!p->ints) return NULL;
    memcpy(p->ints, a->ints, (size_t)a->n_ints * sizeof *p->ints);
    p->n_ints = (size_t)a->n_ints;
  }
  return p;
}

const char *onnx_node(onnx_builder_t *b, const char *op, const char *const *inputs, int n_inputs, const char *out_name,
                      const onnx_attr_t *attrs, int n_attrs) {
  Onnx__NodeProto *n = grab(b, sizeof *n);
  char **in = grab(b, (size_t)(n_inputs ? n_inputs : 1) * sizeof *in), **out = grab(b, sizeof *out);
  Onnx__AttributeProto **at = grab(b, (size_t)(n_attrs ? n_attrs : 1) * sizeof *at);
  if (!n || !in || !out || !at) return NULL;
  onnx__node_proto__init(n);
  for (int i = 0; i < n_inputs; i++) in[i] = inputs[i] ? text(b, inputs[i]) : text(b, "");
  for (int i = 0; i < n_attrs; i++) at[i] = attribute(b, &attrs[i]);
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s", op);
  for (char *p = prefix; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
  out[0] = out_name ? text(b, out_name) : (char *)fresh(b, prefix);
  n->name = (char *)fresh(b, op);
  n->op_type = text(b, op);
  n->n_input = (size_t)n_inputs, n->input = in;
  n->n_output = 1, n->output = out;
  n->n_attribute = (size_t)n_attrs, n->attribute = at;
  append(b, (void ***)&b->graph.node, &b->graph.n_node, &b->cap_node, n);
  return b->failed ? NULL : out[0];
}

void onnx_value(onnx_builder_t *b, int output, const char *name, const int64_t *dims, int n_dims, const char *doc) {
  Onnx__ValueInfoProto *v = grab(b, sizeof *v);
  Onnx__TypeProto *type = grab(b, sizeof *type);
  Onnx__TypeProto__Tensor *tt = grab(b, sizeof *tt);
  Onnx__TensorShapeProto *shape = grab(b, sizeof *shape);
  Onnx__TensorShapeProto__Dimension **dim = grab(b, (size_t)n_dims * sizeof *dim);
  if (!v || !type || !tt || !shape || !dim) return;
  onnx__value_info_proto__init(v), onnx__type_proto__init(type), onnx__type_proto__tensor__init(tt);
  onnx__tensor_shape_proto__init(shape);
  for (int i = 0; i < n_dims; i++) {
    if (!(dim[i] = grab(b, sizeof *dim[i]))) return;
    onnx__tensor_shape_proto__dimension__init(dim[i]);
    if (dims[i] < 0) dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM, dim[i]->dim_param = text(b, "N");
    else dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE, dim[i]->dim_value = dims[i];
  }
  shape->n_dim = (size_t)n_dims, shape->dim = dim;
  tt->has_elem_type = 1, tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, tt->shape = shape;
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, type->tensor_type = tt;
  v->name = text(b, name), v->type = type, v->doc_string = doc ? text(b, doc) : NULL;
  if (output) append(b, (void ***)&b->graph.output, &b->graph.n_output, &b->cap_out, v);
  else append(b, (void ***)&b->graph.input, &b->graph.n_input, &b->cap_in, v);
}

void onnx_meta(onnx_builder_t *b, const char *key, const char *value) {
  Onnx__StringStringEntryProto *e = grab(b, sizeof *e);
  if (!e) return;
  onnx__string_string_entry_proto__init(e);
  e->key = text(b, key), e->value = text(b, value);
  append(b, (void ***)&b->model.metadata_props, &b->model.n_metadata_props, &b->cap_meta, e);
}

int onnx_write(onnx_builder_t *b, const char *path, char *err, size_t errlen) {
  if (b->failed) return snprintf(err, errlen, "%s: out of memory building the graph", path), -1;
  size_t n = onnx__model_proto__get_packed_size(&b->model);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return snprintf(err, errlen, "%s: out of memory (%zu bytes)", path, n), -1;
  onnx__model_proto__pack(&b->model, buf);
  outfile_t o;
  int rc = outfile_open(&o, path, err, errlen);
  if (!rc && fwrite(buf, 1, n, o.f) != n) outfile_abort(&o), rc = -1, snprintf(err, errlen, "%s: %s", path, strerror(errno));
  else if (!rc) rc = outfile_commit(&o, 1, err, errlen);
  free(buf);
  return rc;
}

/* --- reading ------------------------------------------------------------------ */

/* ONNX files past this are refused (external data is not read either) */
#define ONNX_MAX_BYTES ((long)1 << 31)
/* protobuf-c unpacks a nested message by recursion, and allocates for every
 * element: both are bounded on the wire before it runs. Our graphs nest 4
 * deep (model, graph, node, attribute, tensor); a subgraph or a type adds a
 * few levels. */
#define ONNX_MAX_DEPTH 32
#define ONNX_SLACK_BYTES ((size_t)64 << 20)

typedef struct wire {
  const uint8_t *p, *end;
  size_t memory; /* what unpacking will allocate, at most */
  int depth_error;
} wire_t;

static int varint(wire_t *w, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 64 && w->p < w->end; shift += 7) {
    uint8_t b = *w->p++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return 0;
  }
  return -1;
}

/* The memory a packed run of n bytes unpacks to. */
static size_t packed_memory(const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t n) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_DOUBLE: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64:
    return n;
  default: {
    size_t values = 0; /* varints: one ends at each byte under 0x80, 4 or 8 bytes each unpacked */
    for (size_t i = 0; i < n; i++) values += p[i] < 0x80;
    return values * 8;
  }
  }
}

/* One message of descriptor d over [w->p, end): its fields, nested messages
 * walked depth levels down. 0, or -1 (malformed, or too deep). */
static int wire_walk(wire_t *w, const uint8_t *end, const ProtobufCMessageDescriptor *d, int depth) {
  if (depth > ONNX_MAX_DEPTH) return w->depth_error = 1, -1;
  w->memory += d->sizeof_message + 16;
  while (w->p < end) {
    uint64_t tag, len;
    const uint8_t *save_end = w->end;
    if (varint(w, &tag)) return -1;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
    int repeated = f && f->label == PROTOBUF_C_LABEL_REPEATED;
    w->memory += repeated ? 8 : 0;
    switch (tag & 7) {
    case 0: if (varint(w, &len)) return -1; break;
    case 1: if (end - w->p < 8) return -1; w->p += 8; break;
    case 5: if (end - w->p < 4) return -1; w->p += 4; break;
    case 2:
      if (varint(w, &len) || len > (uint64_t)(end - w->p)) return -1;
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        w->end = w->p + len;
        if (wire_walk(w, w->p + len, f->descriptor, depth + 1)) return -1;
        w->end = save_end;
        continue;
      }
      w->memory += f && repeated && f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_BYTES
                       ? packed_memory(f, w->p, len) : len + 48; /* a string, bytes, or a field we do not know */
      w->p += len;
      break;
    default: return -1; /* groups: not in ONNX */
    }
    if (!f) w->memory += 48;
  }
  return w->p == end ? 0 : -1;
}

/* Unpacks buf after the wire walk. NULL with the reason. */
static Onnx__ModelProto *unpack(const uint8_t *buf, size_t n, const char *path, char *err, size_t errlen) {
  wire_t w = {buf, buf + n, 0, 0};
  if (wire_walk(&w, w.end, &onnx__model_proto__descriptor, 0)) {
    if (w.depth_error) snprintf(err, errlen, "%s: messages nested more than %d deep (not a graph we read)", path, ONNX_MAX_DEPTH);
    else snprintf(err, errlen, "%s: not an ONNX model (protobuf: truncated or foreign bytes)", path);
    return NULL;
  }
  if (w.memory > 2 * n + ONNX_SLACK_BYTES) {
    snprintf(err, errlen, "%s: would take %zu MB to read, more than twice its size and 64 MB (millions of empty entries?)",
             path, w.memory >> 20);
    return NULL;
  }
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, n, buf);
  if (!m) snprintf(err, errlen, "%s: not an ONNX model (protobuf: truncated or foreign bytes)", path);
  return m;
}

int onnx_read(const char *path, Onnx__ModelProto **out, char *err, size_t errlen) {
  *out = NULL;
  const char *why;
  FILE *f = fopen_regular(path, &why);
  if (!f) return snprintf(err, errlen, "%s: %s", path, why), -1;
  struct stat st;
  if (fstat(fileno(f), &st) || st.st_size <= 0 || st.st_size > ONNX_MAX_BYTES) {
    fclose(f);
    return snprintf(err, errlen, "%s: %s", path, st.st_size <= 0 ? "empty, not an ONNX model" : "larger than 2 GB"), -1;
  }
  uint8_t *buf = malloc((size_t)st.st_size);
  size_t got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
  fclose(f);
  if (!buf || got != (size_t)st.st_size) {
    free(buf);
    return snprintf(err, errlen, "%s: %s", path, buf ? "could not be read whole" : "out of memory"), -1;
  }
  *out = unpack(buf, got, path, err, errlen);
  free(buf);
  if (!*out) return -1;
  if (!(*out)->graph || !(*out)->graph->n_node) {
    onnx__model_proto__free_unpacked(*out, NULL);
    *out = NULL;
    return snprintf(err, errlen, "%s: not an ONNX model (no graph)", path), -1;
  }
  return 0;
}

const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0) return n->attribute[i];
  return NULL;
}

static size_t elements(const Onnx__TensorProto *t) {
  size_t n = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || (t->dims[i] > 0 && n > ((size_t)1 << 40) / (size_t)t->dims[i])) return (size_t)-1;
    n *= (size_t)t->dims[i];
  }
  return n;
}

float *onnx_tensor_floats(const Onnx__TensorProto *t, size_t *n, char *err, size_t errlen) {
  *n = elements(t);
  if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    return snprintf(err, errlen, "tensor '%s' is of ONNX type %d, not float", t->name ? t->name : "", t->data_type), NULL;
  if (t->n_external_data) return snprintf(err, errlen, "tensor '%s' is stored outside the file (save with all tensors inside it)", t->name), NULL;
  size_t have = t->has_raw_data ? t->raw_data.len / 4 : t->n_float_data;
  if (t->has_raw_data && t->raw_data.len % 4)
    return snprintf(err, errlen, "tensor '%s': %zu bytes of raw data, not a whole number of 4-byte floats", t->name,
                    t->raw_data.len), NULL;
  if (*n == (size_t)-1 || have != *n)
    return snprintf(err, errlen, "tensor '%s' holds %zu values for its shape's %zu", t->name, have, *n), NULL;
  float *v = malloc((*n ? *n : 1) * sizeof *v);
  if (!v) return snprintf(err, errlen, "out of memory"), NULL;
  if (*n && t->has_raw_data) memcpy(v, t->raw_data.data, *n * 4); /* little-endian, as ONNX stores it */
  else if (*n) memcpy(v, t->float_data, *n * sizeof *v);
  return v;
}

int64_t *onnx_tensor_ints(const Onnx__TensorProto *t, size_t *n, char *err, size_t errlen) {
  *n = elements(t);
  if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    return snprintf(err, errlen, "tensor '%s' is of ONNX type %d, not int64", t->name ? t->name : "", t->data_type), NULL;
  size_t have = t->has_raw_data ? t->raw_data.len / 8 : t->n_int64_data;
  if (t->has_raw_data && t->raw_data.len % 8)
    return snprintf(err, errlen, "tensor '%s': %zu bytes of raw data, not a whole number of 8-byte integers", t->name,
                    t->raw_data.len), NULL;
  if (*n == (size_t)-1 || have != *n)
    return snprintf(err, errlen, "tensor '%s' holds %zu values for its shape's %zu", t->name, have, *n), NULL;
  int64_t *v = malloc((*n ? *n : 1) * sizeof *v);
  if (!v) return snprintf(err, errlen, "out of memory"), NULL;
  if (*n && t->has_raw_data) memcpy(v, t->raw_data.data, *n * 8);
  else if (*n) memcpy(v, t->int64_data, *n * sizeof *v);
  return v;
}
