/* Models that travel: our models as a standard ONNX graph (opset 13), and
 * ONNX graphs made of the operators our layers cover back into models.
 *
 * Export: the graph takes what genre extract writes, raw: "features" [N,F]
 * (feature rows, the columns in the models' order) and/or "logmel"
 * [N,1,128,130] (log-mel segments as in mel/<stem>.npy); every normalisation is
 * inside (Sub, Div), and "probabilities" [N,K] comes out: each model's members
 * averaged (Sum, then Div), then the models averaged, as genre predict does.
 *
 * Import: the graph is walked in order and each operator becomes one of our
 * layers (Conv 1-D/2-D, BatchNormalization, Relu, MaxPool, GlobalAveragePool
 * or ReduceMean over H and W, Gemm or MatMul + Add, Flatten or Reshape,
 * Dropout, Identity, Softmax, Constant; Sub/Div/Mul/Add on the input as the
 * scaler); a Mean (or Sum then Div) of softmax branches is an ensemble. So an imported model
 * runs through the same code as a native one: our exports come back to the
 * same bytes of probabilities. */
#ifndef GENRE_MODEL_ONNX_H
#define GENRE_MODEL_ONNX_H

#include <stddef.h>

#include "model.h"

#define ONNX_MAX_MODELS 16

/* Writes models[n] (same labels in the same order; ANNs with the same
 * feature columns; all of one unit) as one graph to path, atomically; card:
 * JSON text kept in the file's metadata as "genre_card" (NULL: none).
 * 0, or -1 with the reason. */
int model_export_onnx(model_t *models, int n, const char *path, const char *card, char *err, size_t errlen);

/* What the importer needs to know beyond the graph (from a card, or from
 * --labels): the classes in output order; per graph input, the unit its rows
 * are and, for feature rows, the columns by name. */
typedef struct onnx_hints {
  char **labels;
  int n_labels;
  int unit;              /* MODEL_UNIT_* of the rows */
  char **columns;        /* feature inputs: names of the columns, in order */
  int n_columns;
  const char *feature_input, *mel_input; /* the graph's input names, when a card says */
  int64_t mel_shape[3];  /* the card's [C,H,W] of the log-mel input (0: not given) */
  int64_t n_features;    /* the card's F of the feature input (0: not given) */
} onnx_hints_t;

/* Reads an ONNX file into out[] (one model per input branch of the graph's
 * final Mean; ANN members folded into one model), each built for batches of
 * up to max_batch. 0, or -1 with the reason: a file that is not ONNX, an
 * operator outside the set (the node's name and op), a shape the hints
 * disagree with. */
int model_import_onnx(const char *path, const onnx_hints_t *hints, int max_batch, model_t *out, int *n_out,
                      char *err, size_t errlen);

/* 1 when the file is named .onnx, or starts as an ONNX model would rather than as ours. */
int model_is_onnx(const char *path);

/* Any model file: ours (one model), or an ONNX graph (model_import_onnx; its
 * hints from the card NAME.json beside NAME.onnx when there is one, checked
 * against the graph, else from labels: "L1,L2,..." or NULL) into out[max_out].
 * 0, or -1 with the reason. */
int model_open(const char *path, const char *labels, int max_batch, model_t *out, int max_out, int *n_out, char *err,
               size_t errlen);

#endif
