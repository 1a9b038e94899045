/* ONNX files through protobuf-c's generated types (onnx.pb-c.h, from the
 * vendored onnx.proto): a builder that writes a graph node by node, and a
 * reader that checks a file before the importer walks it. Every string and
 * array the builder makes lives in its arena and goes with onnx_builder_free. */
#ifndef GENRE_ONNX_GRAPH_H
#define GENRE_ONNX_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

#define ONNX_OPSET 13
#define ONNX_IR_VERSION 7 /* what opset 13 came with (onnx 1.8): readers since then take it */

typedef struct onnx_attr {
  const char *name;
  int kind; /* ONNX_ATTR_INT, _INTS, _FLOAT */
  int64_t i;
  float f;
  const int64_t *ints;
  int n_ints;
} onnx_attr_t;
enum { ONNX_ATTR_INT = 1, ONNX_ATTR_INTS, ONNX_ATTR_FLOAT };
#define ONNX_INT(n, v) ((onnx_attr_t){.name = (n), .kind = ONNX_ATTR_INT, .i = (v)})
#define ONNX_FLOAT(n, v) ((onnx_attr_t){.name = (n), .kind = ONNX_ATTR_FLOAT, .f = (v)})
#define ONNX_INTS(n, a, k) ((onnx_attr_t){.name = (n), .kind = ONNX_ATTR_INTS, .ints = (a), .n_ints = (k)})

typedef struct onnx_builder {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opset, *opsets[1];
  void **arena; /* every allocation, freed together */
  size_t n_arena, cap_arena;
  size_t cap_node, cap_init, cap_in, cap_out, cap_meta;
  int names;    /* counter for unique value names */
  int failed;   /* out of memory at some step: the build is void */
} onnx_builder_t;

void onnx_builder_init(onnx_builder_t *b, const char *graph_name, const char *producer_version);
void onnx_builder_free(onnx_builder_t *b);

/* A float initializer dims[n_dims] holding data (cast from double when
 * data64 is given instead); returns its name (prefix_N). */
const char *onnx_tensor(onnx_builder_t *b, const char *prefix, const float *data, const double *data64,
                        const int64_t *dims, int n_dims);
/* An int64 initializer (Reshape's shape). */
const char *onnx_tensor_i64(onnx_builder_t *b, const char *prefix, const int64_t *data, int n);
/* A node op(inputs) -> a new value (out_name, or prefix_N when NULL); returns the value's name. */
const char *onnx_node(onnx_builder_t *b, const char *op, const char *const *inputs, int n_inputs, const char *out_name,
                      const onnx_attr_t *attrs, int n_attrs);
/* A graph input or output of float elements; a dim < 0 is the batch ("N"). */
void onnx_value(onnx_builder_t *b, int output, const char *name, const int64_t *dims, int n_dims, const char *doc);
void onnx_meta(onnx_builder_t *b, const char *key, const char *value);
/* Packs the model and writes it atomically. 0, or -1 with the reason. */
int onnx_write(onnx_builder_t *b, const char *path, char *err, size_t errlen);

/* Reads and unpacks an ONNX file, refusing what is not one (naming the file);
 * *out is freed with onnx__model_proto__free_unpacked(*out, NULL). */
int onnx_read(const char *path, Onnx__ModelProto **out, char *err, size_t errlen);

/* An attribute of a node by name (NULL when absent). */
const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name);
/* Float values of a tensor (float_data or little-endian raw_data) into a new
 * array of *n; NULL (with the reason) for another type or a bad size. */
float *onnx_tensor_floats(const Onnx__TensorProto *t, size_t *n, char *err, size_t errlen);
/* Int64 values (int64_data or raw_data), the same way. */
int64_t *onnx_tensor_ints(const Onnx__TensorProto *t, size_t *n, char *err, size_t errlen);

#endif
