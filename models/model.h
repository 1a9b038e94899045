/* A trained model and its file.
 *
 * File format (little-endian, version 5; versions 1 (without `unit`), 2
 * (without `about`), 3 (without `temperature`) and 4 (without
 * `track_temperature`) load too):
 *   "GENRENN1"                          magic, 8 bytes
 *   u32 version, u32 kind (1 ANN, 2 CNN)
 *   u32 in_c, in_h, in_w, n_classes, n_layers
 *   n_layers x {u32 kind, i32 size, i32 kernel, i32 stride, f32 rate, u32 pad}   the layer table
 *   str arch                            preset name
 *   u32 unit (1 3-s segments, 2 whole tracks)   what one input row was in training (version 2)
 *   str about                           how it was trained, a JSON object (version 3; may be empty)
 *   f32 temperature                     applied to the probabilities (version 4; before: 1)
 *   f32 track_temperature               applied to a recording's mean probability (version 5; before: 1)
 *   u32 n_scale; f32 shift[n_scale], f32 scale[n_scale]   standardisation
 *   u32 n_features; str feature[n_features]               input columns (ANN)
 *   str label[n_classes]
 *   u32 n_members (an ensemble averages its members' probabilities)
 *   n_members x {u64 n_params; f32 params[n_params]; u64 n_state; f32 state[n_state]}
 *     (version 6, kind 3 (kNN), 4 (SVM), 5 (logistic regression), 6 (boosted trees) or 7
 *     (random forest): no layers, n_members 0, then u64 size and the
 *     kind's state, classic.h; networks are still written as version 5)
 *   u64 FNV-1a checksum of every byte before it
 * where str = u16 length + bytes. Loading validates every count against the
 * file size and the network the table describes before allocating, so a
 * truncated, corrupt or foreign file is refused with a reason. */
#ifndef GENRE_MODEL_H
#define GENRE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

enum { MODEL_ANN = 1, MODEL_CNN = 2, MODEL_KNN = 3, MODEL_SVM = 4, MODEL_LOGREG = 5, MODEL_GBDT = 6, MODEL_RF = 7 };
struct classic;
/* the kinds without a network (classic.h): kNN, SVM, logistic regression, boosted trees, forests */
static inline int model_is_classic(int kind) { return kind >= MODEL_KNN && kind <= MODEL_RF; }
/* The unit a model was trained on: a 3-s segment (features_3_sec.csv rows,
 * spectrograms) or a whole track (features_30_sec.csv rows). 0: not recorded
 * (a version-1 file). */
enum { MODEL_UNIT_UNKNOWN = 0, MODEL_UNIT_SEGMENT = 1, MODEL_UNIT_TRACK = 2 };

typedef struct model {
  int kind;
  char arch[32];
  int unit;               /* MODEL_UNIT_* */
  int n_layers;
  layer_spec_t spec[NET_MAX_LAYERS];
  int in_c, in_h, in_w, n_classes;
  char **labels;          /* [n_classes] */
  size_t n_features;
  char **feature_names;   /* [n_features] (ANN) */
  size_t n_scale;
  float *shift, *scale;   /* [n_scale] */
  net_t *net;             /* holds the member being evaluated */
  int n_members;
  char *about;            /* how it was trained: a JSON object's text (data, protocol, figures), or NULL */
  float temperature;      /* model_predict's p^(1/T) (temperature.h); 0 or 1: none */
  float track_temperature; /* the same map on the mean of a recording's segment probabilities (classifier.h) */
  real *members;          /* [n_members][n_params + n_state]; NULL for a single member,
                             whose parameters are the network's own */
  struct classic *classic; /* a classical kind's state (classic.h): net is NULL then */
} model_t;

/* Writes atomically (temporary file, renamed). 0, or -1 with the reason. */
int model_save(const model_t *m, const char *path, char *err, size_t errlen);

/* Values a loaded network may hold for its batch (1 GB of floats): a larger
 * network gets a smaller max_batch than asked for (m->net->max_batch). */
#define MODEL_MAX_ACTIVATIONS ((size_t)1 << 28)

/* Reads and checks a model file; builds its network for batches of up to
 * max_batch (less when the network is large: see m->net->max_batch). 0, or -1
 * with the reason (naming the file). Nothing is allocated that the file's own
 * size does not account for, beyond MODEL_MAX_ACTIVATIONS. */
int model_load(const char *path, int max_batch, model_t *m, char *err, size_t errlen);

/* What every model must be, read from a model file or an ONNX graph: a
 * scaler as long as its input (features, or mel bands), scales finite and
 * not zero, distinct non-empty class names, finite values, batch norms'
 * variances not negative, no spectrogram model on whole recordings. 0, or -1
 * with the reason (naming path). */
int model_check(const model_t *m, const char *path, char *err, size_t errlen);

void model_free(model_t *m);

/* Loads member k's parameters into m->net. */
void model_use_member(model_t *m, int k);

/* Averaged class probabilities of the ensemble for x[B] (inference mode),
 * then the temperature. */
int model_predict(model_t *m, const real *x, int B, real *probs);

/* The file's checksum (64-bit FNV-1a) of n bytes. */
uint64_t model_checksum(const void *p, size_t n);

/* Copies of string arrays (NULL on failure). */
char **strings_copy(char *const *s, size_t n);
void strings_free(char **s, size_t n);

#endif
