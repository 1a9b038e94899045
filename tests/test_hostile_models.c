/* Hostile model files, ONNX graphs and cards, as a downloaded or shared file
 * would arrive: each is refused with a message naming the file and what is
 * wrong, without a signal, a read out of bounds (make test SAN=1), a hang or
 * a silent answer. The graphs are made here with protobuf-c's own types (no
 * Python needed); the native files with model_save. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dataset.h"
#include "fold_part.h"
#include "fold_why.h"
#include "model.h"
#include "onnx_graph.h"

static const char *dir, *g;
static char wav[700];

static const char *at(const char *name) {
  static char buf[8][800]; /* one command names up to 8 */
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

/* genre predict -m model (with extra options) on one 4-s file: its exit
 * status, stderr in dir/err and stdout in dir/out. */
static int predict(const char *model, const char *extra) {
  return run("timeout 120 %s predict -m %s %s --threads 1 --format csv %s > %s 2> %s", g, model, extra, wav, at("out"),
             at("err"));
}

/* predict refuses model with a message holding want and named (the file at fault; NULL: the model's name). */
static void refused_naming(const char *model, const char *extra, const char *want, const char *named, const char *what) {
  char base[200];
  snprintf(base, sizeof base, "%s", named ? named : strrchr(model, '/') ? strrchr(model, '/') + 1 : model);
  int rc = predict(model, extra);
  char *text = slurp(at("err"), NULL);
  if (text) text[strcspn(text, "\n")] = '\0';
  CHECK(rc == 1 && contains(at("err"), want) && contains(at("err"), base), "%s: refused (exit %d): %s", what, rc,
        text ? text : "(nothing said)");
  free(text);
}

static void refused(const char *model, const char *extra, const char *want, const char *what) {
  refused_naming(model, extra, want, NULL, what);
}

/* --- graphs ------------------------------------------------------------------------- */

typedef struct graph_opts {
  int64_t stride[2], h, w;
  int scaler;           /* values of the per-band shift and scale (0: none) */
  int batchnorm;
  float bn_var, bn_eps, weight0;
  int branches;         /* > 1: a Mean of this many copies */
  float temperature;    /* > 0: the logits divided by it */
  int opset;
  int64_t reshape[2];   /* [0, 0]: Flatten; else a Reshape to this */
} graph_opts_t;

static graph_opts_t plain(void) {
  return (graph_opts_t){.stride = {1, 1}, .h = 128, .w = 130, .scaler = 128, .bn_var = 1, .bn_eps = 1e-5f, .weight0 = 0.1f,
                        .branches = 1, .opset = 13};
}

/* Conv 3x3 (2 filters), [batch norm], Relu, global pooling, flatten, Gemm to 3 classes, Softmax. */
static const char *branch(onnx_builder_t *b, const graph_opts_t *o, int k) {
  float wc[18], bc[2] = {0, 0}, wd[6], bd[3] = {0, 0, 0}, shift[1024], scale[1024], one[2] = {1, 1}, zero[2] = {0, 0};
  for (int i = 0; i < 18; i++) wc[i] = (float)((i * 7 + k) % 5 - 2) / 10;
  for (int i = 0; i < 6; i++) wd[i] = (float)((i * 3 + k) % 4 - 1.5);
  wc[0] = o->weight0;
  for (int i = 0; i < o->scaler && i < 1024; i++) shift[i] = -40, scale[i] = 20;
  int64_t sd[4] = {1, 1, o->scaler, 1}, cd[4] = {2, 1, 3, 3}, bdim[1] = {2}, dd[2] = {3, 2}, dbd[1] = {3};
  const char *x = "logmel";
  if (o->scaler) {
    const char *sub[2] = {x, onnx_tensor(b, "shift", shift, NULL, sd, 4)};
    x = onnx_node(b, "Sub", sub, 2, NULL, NULL, 0);
    const char *div[2] = {x, onnx_tensor(b, "scale", scale, NULL, sd, 4)};
    x = onnx_node(b, "Div", div, 2, NULL, NULL, 0);
  }
  int64_t pads[4] = {1, 1, 1, 1};
  onnx_attr_t ca[2] = {ONNX_INTS("strides", o->stride, 2), ONNX_INTS("pads", pads, 4)};
  const char *conv[3] = {x, onnx_tensor(b, "w", wc, NULL, cd, 4), onnx_tensor(b, "b", bc, NULL, bdim, 1)};
  x = onnx_node(b, "Conv", conv, 3, NULL, ca, 2);
  if (o->batchnorm) {
    float var[2] = {o->bn_var, 1};
    const char *bn[5] = {x, onnx_tensor(b, "gamma", one, NULL, bdim, 1), onnx_tensor(b, "beta", zero, NULL, bdim, 1),
                         onnx_tensor(b, "mean", zero, NULL, bdim, 1), onnx_tensor(b, "var", var, NULL, bdim, 1)};
    onnx_attr_t e[1] = {ONNX_FLOAT("epsilon", o->bn_eps)};
    x = onnx_node(b, "BatchNormalization", bn, 5, NULL, e, 1);
  }
  x = onnx_node(b, "Relu", &x, 1, NULL, NULL, 0);
  x = onnx_node(b, "GlobalAveragePool", &x, 1, NULL, NULL, 0);
  if (o->reshape[0] || o->reshape[1]) {
    const char *rs[2] = {x, onnx_tensor_i64(b, "shape", o->reshape, 2)};
    x = onnx_node(b, "Reshape", rs, 2, NULL, NULL, 0);
  } else {
    x = onnx_node(b, "Flatten", &x, 1, NULL, NULL, 0);
  }
  onnx_attr_t t[1] = {ONNX_INT("transB", 1)};
  const char *gemm[3] = {x, onnx_tensor(b, "dw", wd, NULL, dd, 2), onnx_tensor(b, "db", bd, NULL, dbd, 1)};
  x = onnx_node(b, "Gemm", gemm, 3, NULL, t, 1);
  if (o->temperature != 0) {
    float T[1] = {o->temperature};
    int64_t td[1] = {1};
    const char *div[2] = {x, onnx_tensor(b, "T", T, NULL, td, 1)};
    x = onnx_node(b, "Div", div, 2, NULL, NULL, 0);
  }
  return onnx_node(b, "Softmax", &x, 1, o->branches > 1 ? NULL : "probabilities", NULL, 0);
}

/* The graph of o in b (written by the caller, after any damage). */
static void build(onnx_builder_t *b, const graph_opts_t *o) {
  onnx_builder_init(b, "hostile", "test");
  b->opset.version = o->opset;
  int64_t in[4] = {-1, 1, o->h, o->w}, out[2] = {-1, 3};
  onnx_value(b, 0, "logmel", in, 4, NULL);
  static const char *outs[100];
  for (int k = 0; k < o->branches && k < 100; k++) outs[k] = branch(b, o, k);
  if (o->branches > 1) onnx_node(b, "Mean", outs, o->branches, "probabilities", NULL, 0);
  onnx_value(b, 1, "probabilities", out, 2, NULL);
}

static void write_graph(onnx_builder_t *b, const char *name) {
  char err[400];
  CHECK(onnx_write(b, at(name), err, sizeof err) == 0, "%s written (%s)", name, err);
  onnx_builder_free(b);
}

static void graph(const graph_opts_t *o, const char *name) {
  onnx_builder_t b;
  build(&b, o);
  write_graph(&b, name);
}

static void test_plain_graph(void) {
  graph_opts_t o = plain();
  graph(&o, "plain.onnx");
  int rc = predict(at("plain.onnx"), "--labels a,b,c");
  CHECK(rc == 0 && contains(at("out"), "probability"), "the hand-made graph predicts (exit %d): the hostile ones below differ in one thing", rc);
  o.branches = 3;
  graph(&o, "mean3.onnx");
  CHECK(predict(at("mean3.onnx"), "--labels a,b,c") == 0, "a Mean of three branches predicts");
}

static void test_conv_attributes(void) {
  graph_opts_t o = plain();
  o.stride[0] = o.stride[1] = ((int64_t)1 << 32) + 2;
  graph(&o, "stride32.onnx");
  refused(at("stride32.onnx"), "--labels a,b,c", "strides, kernel or dilations outside [1, 64]", "strides of 2^32 + 2");
  o.stride[0] = o.stride[1] = 0;
  graph(&o, "stride0.onnx");
  refused(at("stride0.onnx"), "--labels a,b,c", "strides, kernel or dilations outside [1, 64]", "strides of 0");
  o.stride[0] = o.stride[1] = 2; /* stride 2 with pads 1, 1 on an even input: not "same" as our layers pad */
  graph(&o, "stride2.onnx");
  int rc = predict(at("stride2.onnx"), "--labels a,b,c");
  CHECK(rc == 0 || (rc == 1 && contains(at("err"), "stride2.onnx")), "stride 2: read or refused by name (exit %d)", rc);
}

static void test_missing_names(void) {
  static const char *what[] = {"an initializer", "a graph input", "a graph output"};
  for (int k = 0; k < 3; k++) {
    onnx_builder_t b;
    graph_opts_t o = plain();
    build(&b, &o);
    if (k == 0) b.graph.initializer[0]->name = NULL;
    if (k == 1) b.graph.input[0]->name = NULL;
    if (k == 2) b.graph.output[0]->name = NULL;
    char name[40];
    snprintf(name, sizeof name, "noname%d.onnx", k);
    write_graph(&b, name);
    refused(at(name), "--labels a,b,c", "no name", what[k]);
  }
}

/* node -> attribute -> graph -> node ..., levels deep, by hand on the wire. */
static void write_nested(const char *path, int levels) {
  size_t cap = (size_t)levels * 16 + 64, n = 0;
  unsigned char *buf = malloc(cap), *tmp = malloc(cap);
  for (int i = 0; i < levels * 3; i++) {
    int field = i % 3 == 0 ? 6 : i % 3 == 1 ? 5 : 1; /* AttributeProto.g, NodeProto.attribute, GraphProto.node */
    size_t m = 0, len = n;
    tmp[m++] = (unsigned char)(field << 3 | 2);
    do tmp[m++] = (unsigned char)((len & 0x7f) | (len > 0x7f ? 0x80 : 0)); while ((len >>= 7));
    memcpy(tmp + m, buf, n);
    memcpy(buf, tmp, n + m), n += m;
  }
  size_t m = 0, len = n;
  tmp[m++] = 0x08, tmp[m++] = 7, tmp[m++] = 7 << 3 | 2; /* ir_version 7, graph */
  do tmp[m++] = (unsigned char)((len & 0x7f) | (len > 0x7f ? 0x80 : 0)); while ((len >>= 7));
  memcpy(tmp + m, buf, n);
  write_bytes(path, tmp, n + m);
  free(buf), free(tmp);
}

static void test_deep_and_large(void) {
  write_nested(at("deep.onnx"), 10000);
  refused(at("deep.onnx"), "--labels a,b,c", "nested more than", "10,000 nested graphs");
  /* 20 MB of empty graph.node entries (0x0a 0x00 each) */
  size_t n = 20u << 20;
  unsigned char *buf = malloc(n + 16);
  size_t m = 0, len = n;
  buf[m++] = 0x08, buf[m++] = 7, buf[m++] = 7 << 3 | 2;
  do buf[m++] = (unsigned char)((len & 0x7f) | (len > 0x7f ? 0x80 : 0)); while ((len >>= 7));
  for (size_t i = 0; i < n; i += 2) buf[m + i] = 0x0a, buf[m + i + 1] = 0;
  write_bytes(at("empty_nodes.onnx"), buf, n + m);
  free(buf);
  /* the sanitizers reserve terabytes of address space: the bound is make test's to prove */
  int rc = run("bash -c '%s exec %s predict -m %s --labels a,b,c %s' > /dev/null 2> %s", memcheck() ? "" : "ulimit -v 1000000;",
               g, at("empty_nodes.onnx"), wav, at("err"));
  CHECK(rc == 1 && contains(at("err"), "would take"),
        "10 million empty nodes in 20 MB: refused before unpacking, within 1 GB of address space (exit %d)", rc);
  /* 40,000 initializers also listed as graph inputs (an older exporter's habit) */
  onnx_builder_t b;
  graph_opts_t o = plain();
  build(&b, &o);
  float v[1] = {0};
  int64_t d[1] = {1};
  for (int i = 0; i < 40000; i++) {
    char name[32];
    snprintf(name, sizeof name, "unused_%d", i);
    const char *t = onnx_tensor(&b, name, v, NULL, d, 1);
    onnx_value(&b, 0, t, d, 1, NULL);
  }
  write_graph(&b, "listed.onnx");
  rc = run("timeout 100 %s predict -m %s --labels a,b,c %s > /dev/null 2> %s", g, at("listed.onnx"), wav, at("err"));
  CHECK((rc == 1 && contains(at("err"), "not a float tensor of 2 to 4 dimensions")) || rc == 0,
        "40,000 initializers listed as inputs: looked up by hash, answered (exit %d)", rc);
}

static void write_card(const char *name, const char *classes, const char *extra) {
  char text[2000];
  snprintf(text, sizeof text,
           "{\"classes\": [%s], \"unit\": \"3-s segment\"%s, \"inputs\": [{\"name\": \"logmel\", \"shape\": [\"N\", 1, 128, 130]}]}\n",
           classes, extra);
  write_bytes(at(name), text, strlen(text));
}

static void test_cards_and_labels(void) {
  graph_opts_t o = plain();
  graph(&o, "carded.onnx");
  write_card("carded.json", "\"a\", \"b\", \"c\"", "");
  CHECK(predict(at("carded.onnx"), "") == 0, "a graph with a good card predicts");
  run("sed -i 's/3-s segment/whole recording/' %s", at("carded.json"));
  refused(at("carded.onnx"), "", "whole recordings", "a card marking a spectrogram graph as whole recordings");
  write_card("carded.json", "\"a\", \"a\", \"b\"", "");
  refused(at("carded.onnx"), "", "the class 'a' is named twice", "a card with a repeated class");
  write_card("carded.json", "\"a\", \"b\", \"c\"", ", \"models\": [{\"track_temperature\": 0}]");
  refused_naming(at("carded.onnx"), "", "track_temperature is not a number in [0.01, 100]", "carded.json", "a track temperature of 0");
  write_card("carded.json", "\"a\", \"b\", \"c\"", ", \"models\": [{\"track_temperature\": \"x\"}]");
  refused_naming(at("carded.onnx"), "", "track_temperature is not a number", "carded.json", "a track temperature of \"x\"");
  FILE *f = fopen(at("carded.json"), "w");
  fputs("{\"classes\": [\"a\", \"b\", \"c\"], \"pad\": \"", f);
  for (int i = 0; i < (1 << 20); i++) fputc('x', f);
  fputs("\"}\n", f);
  fclose(f);
  refused_naming(at("carded.onnx"), "", "more than a card's 1 MiB", "carded.json", "a card over 1 MiB");
  f = fopen(at("carded.json"), "w");
  fputs("{\"classes\": [", f);
  for (int i = 0; i < 65537; i++) fprintf(f, "%s\"c%d\"", i ? "," : "", i);
  fputs("]}\n", f);
  fclose(f);
  refused_naming(at("carded.onnx"), "", "65537 classes, more than 65536", "carded.json", "a card of 65,537 classes");
  unlink(at("carded.json"));
  CHECK(mkfifo(at("carded.json"), 0600) == 0, "a FIFO as the card");
  refused_naming(at("carded.onnx"), "", "not a regular file", "carded.json", "a FIFO as the card (no hang)");
  unlink(at("carded.json"));
  refused(at("plain.onnx"), "--labels a,a,b", "the class 'a' is named twice", "--labels a,a,b");
  refused_naming(at("plain.onnx"), "--labels ''", "--labels is empty", "--labels", "--labels ''");
  refused_naming(at("plain.onnx"), "--labels a,,b", "an empty class name", "--labels", "--labels a,,b");
}

static void test_values(void) {
  graph_opts_t o = plain();
  o.weight0 = NAN;
  graph(&o, "nan.onnx");
  refused(at("nan.onnx"), "--labels a,b,c", "is not finite", "a NaN weight");
  o = plain(), o.weight0 = INFINITY;
  graph(&o, "inf.onnx");
  refused(at("inf.onnx"), "--labels a,b,c", "is not finite", "an infinite weight");
  o = plain(), o.batchnorm = 1, o.bn_var = -1;
  graph(&o, "negvar.onnx");
  refused(at("negvar.onnx"), "--labels a,b,c", "a variance that is negative", "a negative batch-norm variance");
  o = plain(), o.batchnorm = 1, o.bn_eps = -1e-3f;
  graph(&o, "negeps.onnx");
  refused(at("negeps.onnx"), "--labels a,b,c", "an epsilon that is negative", "a negative batch-norm epsilon");
  o = plain(), o.temperature = 0;
  o.temperature = 1e-9f;
  graph(&o, "div0.onnx");
  refused(at("div0.onnx"), "--labels a,b,c", "a temperature (the logits' divisor) outside [0.01, 100]", "a temperature of 1e-9");
  onnx_builder_t b; /* a 2-D input named as the card's log-mel */
  onnx_builder_init(&b, "flat", "test");
  float w[95 * 3] = {0}, bias[3] = {0};
  int64_t in[2] = {-1, 95}, wd[2] = {3, 95}, bd[1] = {3}, out[2] = {-1, 3};
  onnx_value(&b, 0, "logmel", in, 2, NULL);
  const char *gemm[3] = {"logmel", onnx_tensor(&b, "w", w, NULL, wd, 2), onnx_tensor(&b, "b", bias, NULL, bd, 1)};
  onnx_attr_t t[1] = {ONNX_INT("transB", 1)};
  const char *x = onnx_node(&b, "Gemm", gemm, 3, NULL, t, 1);
  onnx_node(&b, "Softmax", &x, 1, "probabilities", NULL, 0);
  onnx_value(&b, 1, "probabilities", out, 2, NULL);
  write_graph(&b, "flat.onnx");
  write_card("flat.json", "\"a\", \"b\", \"c\"", "");
  refused(at("flat.onnx"), "", "the graph takes [N,95]", "a 2-D input the card calls a log-mel: its shape as the graph has it");
  o = plain(), o.h = 4, o.w = 4, o.scaler = 4;
  graph(&o, "small.onnx");
  write_card("small.json", "\"a\", \"b\", \"c\"", "");
  run("sed -i 's/128, 130/4, 4/' %s", at("small.json"));
  refused(at("small.onnx"), "", "small.onnx", "a [N,1,4,4] spectrogram graph");
  CHECK(!contains(at("out"), "probability"), "... and no probabilities printed");
}

static void test_structure(void) {
  graph_opts_t o = plain();
  o.branches = 65;
  graph(&o, "mean65.onnx");
  refused(at("mean65.onnx"), "--labels a,b,c", "more than 64 inputs", "a Mean of 65 branches");
  o = plain(), o.opset = 1;
  graph(&o, "opset1.onnx");
  refused(at("opset1.onnx"), "--labels a,b,c", "opset 1;", "opset 1");
  o.opset = 99;
  graph(&o, "opset99.onnx");
  refused(at("opset99.onnx"), "--labels a,b,c", "opset 99;", "opset 99");
  o = plain(), o.reshape[0] = -1, o.reshape[1] = -1;
  graph(&o, "reshape2.onnx");
  refused(at("reshape2.onnx"), "--labels a,b,c", "several -1", "a Reshape to [-1, -1]");
  o.reshape[0] = 5, o.reshape[1] = -1;
  graph(&o, "reshape5.onnx");
  refused(at("reshape5.onnx"), "--labels a,b,c", "batch", "a Reshape to [5, -1]");
  onnx_builder_t b;
  o = plain();
  build(&b, &o);
  b.graph.node[2]->output[0] = b.graph.node[1]->output[0]; /* Conv's output named as the Div's */
  write_graph(&b, "ssa.onnx");
  refused(at("ssa.onnx"), "--labels a,b,c", "a name defined before", "a value named twice");
  build(&b, &o);
  b.graph.node[3]->n_output = 0;
  write_graph(&b, "nooutput.onnx");
  refused(at("nooutput.onnx"), "--labels a,b,c", "no outputs", "a node without outputs");
  build(&b, &o);
  b.graph.initializer[0]->n_float_data = 0, b.graph.initializer[0]->has_raw_data = 1;
  b.graph.initializer[0]->raw_data.len = 510, b.graph.initializer[0]->raw_data.data = (uint8_t *)b.graph.initializer[0]->float_data;
  write_graph(&b, "raw.onnx");
  refused(at("raw.onnx"), "--labels a,b,c", "not a whole number of 4-byte floats", "raw data of 510 bytes");
  build(&b, &o);
  b.graph.output[0]->name = (char *)"logmel";
  write_graph(&b, "identity.onnx");
  refused(at("identity.onnx"), "--labels a,b,c", "identity.onnx", "the output is the input");
}

/* --- native model files -------------------------------------------------------------- */

/* A small CNN model file (random weights) with n_scale scaler values. */
static void native(const char *name, size_t n_scale, int unit, const char *const *labels, float scale0, float var0) {
  layer_spec_t spec[5] = {CONV(2, 3, 1), BATCHNORM, RELU, AVGPOOL, DENSE(0)};
  model_t m = {.kind = MODEL_CNN, .unit = unit, .n_layers = 5, .in_c = 1, .in_h = 128, .in_w = 130, .n_classes = 3,
               .n_members = 1, .temperature = 1, .track_temperature = 1};
  snprintf(m.arch, sizeof m.arch, "test");
  memcpy(m.spec, spec, sizeof spec);
  char why[300];
  m.net = net_new(spec, 5, 1, 128, 130, 3, 1, why, sizeof why);
  net_init(m.net, 7);
  m.net->layer[1].run_var[0] = var0;
  m.labels = strings_copy((char *const *)labels, 3);
  m.feature_names = calloc(1, sizeof(char *));
  m.n_scale = n_scale;
  m.shift = calloc(n_scale, sizeof(float)), m.scale = malloc(n_scale * sizeof(float));
  for (size_t i = 0; i < n_scale; i++) m.scale[i] = i ? 1 : scale0;
  char err[400];
  CHECK(model_save(&m, at(name), err, sizeof err) == 0, "%s saved (%s)", name, err);
  model_free(&m);
}

static void test_native(void) {
  static const char *const abc[3] = {"a", "b", "c"}, *const aab[3] = {"a", "a", "b"};
  native("good.model", 128, MODEL_UNIT_SEGMENT, abc, 1, 1);
  CHECK(predict(at("good.model"), "") == 0, "a hand-made CNN model file predicts");
  native("scaler16.model", 16, MODEL_UNIT_SEGMENT, abc, 1, 1);
  refused(at("scaler16.model"), "", "a scaler of 16 values for an input of 128 mel bands", "a CNN's scaler of 16 values");
  native("scaler200.model", 200, MODEL_UNIT_SEGMENT, abc, 1, 1);
  refused(at("scaler200.model"), "", "a scaler of 200 values", "a CNN's scaler of 200 values");
  native("whole.model", 128, MODEL_UNIT_TRACK, abc, 1, 1);
  refused(at("whole.model"), "", "whole recordings", "a CNN model marked as whole recordings");
  native("twice.model", 128, MODEL_UNIT_SEGMENT, aab, 1, 1);
  refused(at("twice.model"), "", "the class 'a' is named twice", "a model with a repeated class");
  native("scale0.model", 128, MODEL_UNIT_SEGMENT, abc, 0, 1);
  refused(at("scale0.model"), "", "standardisation entry 0 is zero", "a scale of 0");
  native("negvar.model", 128, MODEL_UNIT_SEGMENT, abc, 1, -2);
  refused(at("negvar.model"), "", "batch-norm variance is negative", "a negative running variance");
  CHECK(mkfifo(at("fifo.model"), 0600) == 0, "a FIFO as the model");
  refused(at("fifo.model"), "", "not a regular file", "a FIFO as the model (no hang)");
  CHECK(run("timeout 60 %s predict -m /dev/zero %s > /dev/null 2> %s", g, wav, at("err")) == 1 &&
            contains(at("err"), "/dev/zero: not a regular file"), "/dev/zero as the model: refused at once");
}

/* --- fold parts ------------------------------------------------------------------------ */

#define PART_ROWS 6
#define PART_K 3

typedef struct part_fixture {
  cv_result_t res[2];
  cv_result_t *ptr[2];
  dataset_t ann;
  fold_why_t why;
} part_fixture_t;

static void fixture(part_fixture_t *x) {
  static char *names[2] = {"f0", "f1"};
  memset(x, 0, sizeof *x);
  for (int m = 0; m < 2; m++) {
    cv_result_t *r = &x->res[m];
    r->folds = r->folds_allocated = 2, r->K = PART_K;
    r->fold = calloc(2, sizeof *r->fold);
    for (int f = 0; f < 2; f++) r->fold[f].log = calloc(4, sizeof(epoch_log_t)), r->fold[f].epochs = 2;
    r->probs = calloc(PART_ROWS * PART_K, sizeof(real));
    r->fold_of_row = malloc(PART_ROWS * sizeof(int));
    for (int i = 0; i < PART_ROWS; i++) {
      r->fold_of_row[i] = i % 2;
      r->probs[i * PART_K] = 0.5f, r->probs[i * PART_K + 1] = 0.25f, r->probs[i * PART_K + 2] = 0.25f;
    }
    x->ptr[m] = r;
  }
  x->ann.n_features = 2, x->ann.feature_names = names;
  fold_why_init(&x->why, PART_K, 2, PART_ROWS, &x->ann);
}

static void fixture_free(part_fixture_t *x) {
  for (int m = 0; m < 2; m++) {
    for (int f = 0; f < 2; f++) free(x->res[m].fold[f].log);
    free(x->res[m].fold), free(x->res[m].probs), free(x->res[m].fold_of_row);
  }
  fold_why_free(&x->why);
}

/* The part at dir/name read back as fold 1 (0-based 0); its error in err. */
static int read_part(const char *name, char *err, size_t errlen) {
  part_fixture_t x;
  fixture(&x);
  static const char *const keys[2] = {"ann", "cnn"};
  int max_epochs[2] = {4, 4};
  int rc = fold_part_read(at(name), 0, x.ptr, keys, 2, PART_ROWS, PART_K, max_epochs, &x.why, NULL, err, errlen);
  fixture_free(&x);
  return rc;
}

/* A copy of good.part through sed, refused with want. */
static void damaged(const char *sed, const char *want, const char *what) {
  char err[600] = "";
  run("sed %s %s > %s", sed, at("good.part"), at("bad.part"));
  int rc = read_part("bad.part", err, sizeof err);
  CHECK(rc == -1 && strstr(err, want) && strstr(err, "bad.part"), "%s: refused: %s", what, err);
}

static void test_fold_parts(void) {
  part_fixture_t x;
  fixture(&x);
  static const char *const keys[2] = {"ann", "cnn"};
  char err[600] = "";
  CHECK(fold_part_write(at("good.part"), 0, x.ptr, keys, 2, PART_ROWS, PART_K, &x.why, NULL, err, sizeof err) == 0, "a part written");
  fixture_free(&x);
  CHECK(read_part("good.part", err, sizeof err) == 0, "and read back (%s)", err);
  damaged("'0,/^row 2 /{/^row 2 /d}'", "2 of the fold's 3 test rows", "a row line deleted");
  damaged("'0,/^row 2 /{s/^row 2 /row 0 /}'", "row 0 appears twice", "a row given twice");
  damaged("'s/^model cnn/model ann/'", "model 'ann' appears twice", "the ANN's block twice, no CNN block");
  damaged("'0,/^row 0 /{s/^row 0 [^ ]*/row 0 nan/}'", "not in [0, 1]", "a probability of nan");
  damaged("'0,/^row 0 /{s/^row 0 [^ ]*/row 0 -5/}'", "not in [0, 1]", "a probability of -5");
  damaged("'0,/^row 0 /{s/^row 0 [^ ]*/row 0 1e308/}'", "not in [0, 1]", "a probability of 1e308");
  damaged("'0,/^row 0 /{s/^row 0 [^ ]*/row 0 0x1p-3/}'", "summing to", "probabilities that do not sum to 1");
  damaged("'s/^end$/why-perm 1\\nend/'", "bad.part", "a bare why-perm line");
  damaged("'s/^end$/why-top 1\\nend/'", "bad.part", "a bare why-top line");
  damaged("'s/^end$/why-top 1 0 zz 1\\nend/'", "bad.part", "a why-top line of other words");
  mkfifo(at("fifo.part"), 0600);
  CHECK(read_part("fifo.part", err, sizeof err) == -1 && strstr(err, "not a regular file"), "a FIFO as a part: refused at once: %s", err);
}

/* Spectrograms and split lists that are not files. */
static void test_fifo_inputs(void) {
  char feat[800];
  snprintf(feat, sizeof feat, "%s/feat", dir);
  CHECK(run("%s extract -o %s --no-progress %s/syn/genres_original > /dev/null 2>&1", g, feat, dir) == 0, "extract");
  run("mkdir -p %s/split && mkfifo %s/split/train.txt && touch %s/split/test.txt", dir, dir, dir);
  int rc = run("timeout 60 %s experiment --data %s --protocol split:%s/split -o %s/rep > /dev/null 2> %s", g, feat, dir, dir,
           at("err"));
  CHECK(rc == 1 && contains(at("err"), "train.txt: not a regular file"), "a FIFO as split:DIR/train.txt: refused (exit %d)", rc);
  run("cd %s/mel && f=$(ls *.npy | head -n 1) && rm $f && mkfifo $f", feat);
  rc = run("timeout 60 %s train cnn --mel %s -o %s --epochs 1 > /dev/null 2> %s", g, feat, at("x.model"), at("err"));
  CHECK(rc == 1 && contains(at("err"), "not a regular file"), "a FIFO listed in mel/index.csv: refused, no hang (exit %d)", rc);
}

/* in repeated `times` times into out (a longer recording of the same 22050 Hz mono). */
static int repeat_wav(const char *in, const char *out, int times) {
  SF_INFO info = {0};
  SNDFILE *r = sf_open(in, SFM_READ, &info);
  if (!r) return -1;
  short *x = malloc((size_t)info.frames * info.channels * sizeof *x);
  sf_count_t n = x ? sf_readf_short(r, x, info.frames) : 0;
  sf_close(r);
  SNDFILE *w = sf_open(out, SFM_WRITE, &info);
  for (int i = 0; w && i < times; i++) sf_writef_short(w, x, n);
  if (w) sf_close(w);
  free(x);
  return w && n > 0 ? 0 : -1;
}

/* Peak RSS (MB) of genre explain --segment 0 on wav; -1 when it failed. */
static double explain_peak(const char *model, const char *in) {
  if (run("/usr/bin/time -f %%M -o %s %s explain -m %s --segment 0 -o %s %s > /dev/null 2> %s", at("rss"), g, model,
          at("why"), in, at("err")) != 0)
    return -1;
  char *t = slurp(at("rss"), NULL);
  double kb = t ? atof(t) : -1;
  free(t);
  return kb / 1024;
}

/* explain holds one segment's log-mel at a time: 30 s and 30 min peak alike. */
static void test_explain_memory(void) {
  if (run("test -x /usr/bin/time") != 0) {
    printf("SKIP explain's memory: no /usr/bin/time\n");
    return;
  }
  int minutes = memcheck() ? 5 : 30;
  CHECK(repeat_wav(wav, at("short.wav"), 8) == 0 && repeat_wav(wav, at("long.wav"), minutes * 15) == 0,
        "a 32-s and a %d-min recording", minutes);
  double a = explain_peak(at("good.model"), at("short.wav")), b = explain_peak(at("good.model"), at("long.wav"));
  CHECK(run("%s explain -m %s --segment 0 -o %s %s > %s 2>&1", g, at("good.model"), at("why"), at("short.wav"), at("log")) == 0 &&
            contains(at("log"), "(the log-odds drop ") && !contains(at("log"), "--"),
        "explain prints the occlusion's drop with its sign once (no '--0.005')");
  if (memcheck()) {
    CHECK(a > 0 && b > 0, "explain --segment 0 on 32 s and %d min: %.0f and %.0f MB (the bound is make test's)", minutes, a, b);
    return;
  }
  printf("explain --segment 0, peak RSS: %.0f MB on 32 s, %.0f MB on 30 min\n", a, b);
  CHECK(a > 0 && b > 0 && b - a < 16, "explain --segment 0: peak %.0f MB on 32 s, %.0f MB on 30 min (a log-mel is 66 kB a segment)", a, b);
  unlink(at("long.wav"));
}

static void setup(void) {
  dir = scratch_dir(), g = genre_bin();
  CHECK(run("%s synth -o %s/syn -n 1 -s 4 > /dev/null 2>&1", g, dir) == 0, "a 4-s recording");
  snprintf(wav, sizeof wav, "%s/syn/genres_original/waltz/waltz.00000.wav", dir);
}

int main(void) {
  RUN(setup);
  RUN(test_plain_graph);
  RUN(test_conv_attributes);
  RUN(test_missing_names);
  RUN(test_deep_and_large);
  RUN(test_cards_and_labels);
  RUN(test_values);
  RUN(test_structure);
  RUN(test_native);
  RUN(test_explain_memory);
  RUN(test_fold_parts);
  RUN(test_fifo_inputs);
  run("rm -rf %s", dir);
  return check_summary();
}
