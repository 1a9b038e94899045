/* The library as the Python package (experiments/python/genre/) calls it
 * through ctypes: flat functions over the rooms below, no struct the caller
 * must lay out beyond gapi_extraction_t. Every function that can fail
 * returns 0, or nonzero with the reason in err[errlen]; nothing here exits
 * or prints, except the commands run by gapi_command (whose output the
 * caller may redirect with gapi_redirect). ctypes releases the GIL around
 * each call, so calls from several Python threads run at once; each
 * extractor or model handle belongs to one thread at a time. */
#ifndef GENRE_GENRE_API_H
#define GENRE_GENRE_API_H

#include <stddef.h>

/* --- features ---------------------------------------------------------------- */

int gapi_feature_count(void);
const char *gapi_feature_name(int c);
int gapi_mel_bands(void);
int gapi_segment_frames(void);
long gapi_segment_samples(void);

/* One recording's features as genre extract computes them: a row per 3-s
 * segment, the whole-recording row and the segments' log-mels. Valid until
 * the extractor's next run. */
typedef struct gapi_extraction {
  size_t segments, samples; /* samples at 22050 Hz: the 30-s table's `length` */
  double missing;           /* seconds a header claimed beyond the data */
  const double *rows;       /* [segments][gapi_feature_count()] */
  const double *whole;      /* [gapi_feature_count()] */
  const float *mel;         /* [segments][128][130] */
} gapi_extraction_t;

typedef struct gapi_extractor gapi_extractor_t;
gapi_extractor_t *gapi_extractor_new(void); /* NULL when out of memory */
void gapi_extractor_free(gapi_extractor_t *x);
/* The file at path, or (path NULL) samples[frames][channels] at rate Hz.
 * *cancel (may be NULL) nonzero stops it after the segment in hand. 0; 1 the
 * input is unusable (err: why); -1 out of memory or cancelled. */
int gapi_extract(gapi_extractor_t *x, const char *path, const float *samples, size_t frames, int channels, int rate,
                 const volatile int *cancel, gapi_extraction_t *out, char *err, size_t errlen);

/* genre extract's list of inputs (files, folders walked, --labels applied,
 * duplicates marked): NULL with the reason in err, or printed on stderr as
 * the command prints it (no audio file at all; a link loop is a note there). */
typedef struct input_list gapi_inputs_t;
gapi_inputs_t *gapi_inputs(char **args, int n_args, const char *labels_csv, char *err, size_t errlen);
size_t gapi_inputs_count(const gapi_inputs_t *l);
size_t gapi_inputs_skipped(const gapi_inputs_t *l);
/* field: 0 path, 1 name, 2 stem, 3 label, 4 error (NULL: usable), 5 file_stem */
const char *gapi_input(const gapi_inputs_t *l, size_t i, int field);
void gapi_inputs_free(gapi_inputs_t *l);

/* --- models ------------------------------------------------------------------- */

typedef struct gapi_model gapi_model_t;
/* A model file (ours, or an .onnx with its card; labels for a cardless graph) */
gapi_model_t *gapi_model_open(const char *path, const char *labels, int threads, char *err, size_t errlen);
void gapi_model_free(gapi_model_t *h);
int gapi_model_count(const gapi_model_t *h); /* models in the file (an ONNX graph may hold several) */
/* what: "kind", "arch", "unit", "about"; model i */
const char *gapi_model_text(const gapi_model_t *h, int i, const char *what);
int gapi_model_classes(const gapi_model_t *h);
const char *gapi_model_label(const gapi_model_t *h, int k);
size_t gapi_model_features(const gapi_model_t *h, int i);
const char *gapi_model_feature(const gapi_model_t *h, int i, size_t f);
/* model i's input: channels, height, width (a feature model: 1, 1, features) */
void gapi_model_shape(const gapi_model_t *h, int i, int *c, int *hgt, int *w);
/* Probabilities out[n][classes] of model 0 for rows[n][features] (in the
 * model's column order) or mel[n][128][130]: standardised as the model was,
 * its temperature applied. 0, or -1 with the reason. */
int gapi_model_proba(gapi_model_t *h, const double *rows, const float *mel, size_t n, double *out, char *err,
                     size_t errlen);
/* The layer embeddings are taken from (-1: before the classifier) and its width; -1 / 0 without layers. */
int gapi_model_embed_layer(const gapi_model_t *h, int layer);
size_t gapi_model_embed_dim(const gapi_model_t *h, int layer);
int gapi_model_embed(gapi_model_t *h, int layer, const double *rows, const float *mel, size_t n, float *out,
                     char *err, size_t errlen);

/* --- commands ------------------------------------------------------------------- */

/* genre predict -m MODEL... --format csv [--segments] on files: the CSV it
 * prints, malloc'd into *csv (free with gapi_free). The command's status. */
int gapi_predict_files(char **models, int n_models, char **inputs, int n_inputs, int segments, int threads,
                       const char *labels, char **csv);
/* genre train KIND OPTIONS on rows in memory: features x[n][d] under
 * names[d], each row's label and name (filename). The command's status. */
int gapi_train_features(int argc, char **argv, const double *x, size_t n, size_t d, char **names, char **labels,
                        char **rows, char *err, size_t errlen);
/* the same on spectrograms x[n][128][130], each row's label and track */
int gapi_train_mel(int argc, char **argv, const float *x, size_t n, char **labels, char **tracks, char *err,
                   size_t errlen);
/* genre ARGV... in this process: its exit status */
int gapi_command(int argc, char **argv);
/* stdout and stderr of the library's C code to these descriptors (dup'd)
 * until gapi_restore; the caller serialises the calls in between. */
int gapi_redirect(int out_fd, int err_fd);
void gapi_restore(void);
/* Ctrl-C: training and cross-validation stop at their next epoch or fold
 * (with "interrupted"); 0 clears it. */
void gapi_stop(int on);
void gapi_free(void *p);

#endif
