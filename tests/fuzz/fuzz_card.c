/* An export's card (NAME.json) beside a fixed, valid graph: classes, unit,
 * inputs and track temperatures as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model_onnx.h"
#include "onnx_graph.h"

/* A Gemm on 3 feature columns to 2 classes, then Softmax: dir/g.onnx. */
static int write_graph(const char *path) {
  onnx_builder_t b;
  onnx_builder_init(&b, "card", "fuzz");
  float w[6] = {1, -1, 0.5f, 0, 2, -2}, bias[2] = {0, 0.1f};
  int64_t in[2] = {-1, 3}, wd[2] = {2, 3}, bd[1] = {2}, out[2] = {-1, 2};
  onnx_value(&b, 0, "features", in, 2, NULL);
  const char *g[3] = {"features", onnx_tensor(&b, "w", w, NULL, wd, 2), onnx_tensor(&b, "b", bias, NULL, bd, 1)};
  onnx_attr_t t[1] = {ONNX_INT("transB", 1)};
  const char *x = onnx_node(&b, "Gemm", g, 3, NULL, t, 1);
  onnx_node(&b, "Softmax", &x, 1, "probabilities", NULL, 0);
  onnx_value(&b, 1, "probabilities", out, 2, NULL);
  char err[300];
  int rc = onnx_write(&b, path, err, sizeof err);
  onnx_builder_free(&b);
  return rc;
}

FUZZ_TARGET(card) {
  static char graph[600];
  char card[600], err[1500] = "";
  if (!graph[0]) {
    snprintf(graph, sizeof graph, "%s/g.onnx", fuzz_dir());
    if (write_graph(graph)) return graph[0] = 0, 0;
  }
  snprintf(card, sizeof card, "%s/g.json", fuzz_dir());
  if (fuzz_write(card, data, size)) return 0;
  model_t m[ONNX_MAX_MODELS];
  int n = 0;
  if (model_open(graph, NULL, 2, m, ONNX_MAX_MODELS, &n, err, sizeof err) == 0) {
    FUZZ_REQUIRE(n == 1 && m[0].n_classes == 2 && m[0].n_features == 3);
    FUZZ_REQUIRE(m[0].labels[0] && m[0].labels[1] && strcmp(m[0].labels[0], m[0].labels[1]) != 0);
    FUZZ_REQUIRE(m[0].track_temperature == 0 || (m[0].track_temperature >= 0.01f && m[0].track_temperature <= 100)); /* 0: none given */
    model_free(&m[0]);
  } else {
    FUZZ_REQUIRE(err[0] != '\0' && n == 0);
  }
  return 0;
}
