#include "model.h"
#include "infile.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "classic.h"
#include "outfile.h"
#include "temperature.h"

#define MAGIC "GENRENN1"
#define VERSION 5u
#define VERSION_CLASSIC 6u /* a classical kind (kNN, SVM): written only for one */
#define MAX_FILE ((long)1 << 31)
#define MAX_NAMES 100000
#define MAX_STR 4096

char **strings_copy(char *const *s, size_t n) {
  char **c = calloc(n ? n : 1, sizeof *c);
  for (size_t i = 0; c && i < n; i++)
    if (!(c[i] = strdup(s[i]))) {
      strings_free(c, i);
      return NULL;
    }
  return c;
}

void strings_free(char **s, size_t n) {
  for (size_t i = 0; s && i < n; i++) free(s[i]);
  free(s);
}

void model_free(model_t *m) {
  strings_free(m->labels, (size_t)m->n_classes);
  strings_free(m->feature_names, m->n_features);
  free(m->shift), free(m->scale), free(m->members), free(m->about);
  net_free(m->net);
  classic_free(m->classic);
  memset(m, 0, sizeof *m);
}

/* --- writing: streamed to the file, with a running checksum -------------- */

typedef struct writer {
  FILE *f;
  uint64_t hash;
} writer_t;

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static void put(writer_t *w, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) w->hash = (w->hash ^ b[i]) * FNV_PRIME;
  fwrite(p, 1, n, w->f);
}
static void put_u32(writer_t *w, uint32_t v) {
  unsigned char b[4] = {v & 255, v >> 8 & 255, v >> 16 & 255, v >> 24};
  put(w, b, 4);
}
static void put_u64(writer_t *w, uint64_t v) {
  put_u32(w, (uint32_t)v);
  put_u32(w, (uint32_t)(v >> 32));
}
static void put_f32(writer_t *w, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  put_u32(w, u);
}
static void put_str(writer_t *w, const char *s) {
  size_t n = strlen(s);
  if (n > MAX_STR) n = MAX_STR;
  unsigned char b[2] = {n & 255, n >> 8};
  put(w, b, 2);
  put(w, s, n);
}

static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = FNV_OFFSET;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
  return h;
}

uint64_t model_checksum(const void *p, size_t n) { return fnv1a(p, n); }

/* the parameters and state of member k */
static const real *member(const model_t *m, int k) {
  return m->members ? m->members + (size_t)k * (m->net->n_params + m->net->n_state) : NULL;
}

int model_save(const model_t *m, const char *path, char *err, size_t errlen) {
  outfile_t o;
  if (outfile_open(&o, path, err, errlen)) return -1;
  writer_t wr = {o.f, FNV_OFFSET}, *w = &wr;
  put(w, MAGIC, 8);
  put_u32(w, m->classic ? VERSION_CLASSIC : VERSION); /* networks keep the version older builds read */
  put_u32(w, (uint32_t)m->kind);
  put_u32(w, (uint32_t)m->in_c), put_u32(w, (uint32_t)m->in_h), put_u32(w, (uint32_t)m->in_w);
  put_u32(w, (uint32_t)m->n_classes), put_u32(w, (uint32_t)m->n_layers);
  for (int i = 0; i < m->n_layers; i++) {
    const layer_spec_t *s = &m->spec[i];
    put_u32(w, (uint32_t)s->kind), put_u32(w, (uint32_t)s->size), put_u32(w, (uint32_t)s->kernel);
    put_u32(w, (uint32_t)s->stride), put_f32(w, s->rate), put_u32(w, (uint32_t)s->pad);
  }
  put_str(w, m->arch);
  put_u32(w, (uint32_t)m->unit);
  put_str(w, m->about ? m->about : "");
  put_f32(w, m->temperature > 0 ? m->temperature : 1.0f);
  put_f32(w, m->track_temperature > 0 ? m->track_temperature : 1.0f);
  put_u32(w, (uint32_t)m->n_scale);
  for (size_t i = 0; i < m->n_scale; i++) put_f32(w, m->shift[i]);
  for (size_t i = 0; i < m->n_scale; i++) put_f32(w, m->scale[i]);
  put_u32(w, (uint32_t)m->n_features);
  for (size_t i = 0; i < m->n_features; i++) put_str(w, m->feature_names[i]);
  for (int i = 0; i < m->n_classes; i++) put_str(w, m->labels[i]);
  if (m->classic) {
    size_t size = classic_size(m->classic);
    unsigned char *blob = malloc(size);
    if (!blob) return outfile_abort(&o), snprintf(err, errlen, "%s: out of memory", path), -1;
    classic_write(m->classic, blob);
    put_u32(w, 0), put_u64(w, size), put(w, blob, size); /* no members: the classical state */
    free(blob);
    put_u64(w, wr.hash);
    return outfile_commit(&o, 1, err, errlen);
  }
  const net_t *n = m->net;
  int members = m->n_members > 0 ? m->n_members : 1;
  put_u32(w, (uint32_t)members);
  for (int k = 0; k < members; k++) {
    const real *p = member(m, k), *params = p ? p : n->params, *state = p ? p + n->n_params : n->state;
    put_u64(w, n->n_params);
    for (size_t i = 0; i < n->n_params; i++) put_f32(w, (float)params[i]);
    put_u64(w, n->n_state);
    for (size_t i = 0; i < n->n_state; i++) put_f32(w, (float)state[i]);
  }
  uint64_t sum = wr.hash;
  put_u64(w, sum);
  return outfile_commit(&o, 1, err, errlen);
}

/* --- reading: every access bounds-checked --------------------------------- */

typedef struct reader {
  const unsigned char *p;
  size_t len, at;
  int bad;
} reader_t;

static int get(reader_t *r, void *dst, size_t n) {
  if (r->bad || n > r->len - r->at) {
    r->bad = 1;
    return -1;
  }
  memcpy(dst, r->p + r->at, n);
  r->at += n;
  return 0;
}
static uint32_t get_u32(reader_t *r) {
  unsigned char b[4] = {0};
  get(r, b, 4);
  return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t get_u64(reader_t *r) {
  uint64_t lo = get_u32(r);
  return lo | (uint64_t)get_u32(r) << 32;
}
static float get_f32(reader_t *r) {
  uint32_t u = get_u32(r);
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static char *get_str(reader_t *r) {
  unsigned char b[2] = {0};
  if (get(r, b, 2)) return NULL;
  size_t n = b[0] | (size_t)b[1] << 8;
  if (n > MAX_STR || n > r->len - r->at) {
    r->bad = 1;
    return NULL;
  }
  char *s = malloc(n + 1);
  if (!s) {
    r->bad = 1;
    return NULL;
  }
  get(r, s, n);
  s[n] = '\0';
  return s;
}

/* The whole file; NULL with the reason */
static unsigned char *read_whole(const char *path, size_t *len, char *err, size_t errlen) {
  const char *why;
  FILE *f = fopen_regular(path, &why);
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, why);
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
    fclose(f);
    snprintf(err, errlen, "%s: not a regular file of a plausible size", path);
    return NULL;
  }
  *len = (size_t)st.st_size;
  unsigned char *buf = malloc(*len ? *len : 1);
  if (!buf || fread(buf, 1, *len, f) != *len) {
    fclose(f);
    free(buf);
    snprintf(err, errlen, "%s: cannot read", path);
    return NULL;
  }
  fclose(f);
  return buf;
}

/* Magic, version and checksum; r then ends before the checksum. The version, or 0 with the reason. */
static uint32_t read_envelope(reader_t *r, const char *path, char *err, size_t errlen) {
  char magic[8];
  if (r->len >= 8 && r->len < 16 && memcmp(r->p, MAGIC, 8) == 0) {
    snprintf(err, errlen, "%s: truncated genre model file (%zu bytes)", path, r->len);
    return 0;
  }
  if (r->len < 16 || get(r, magic, 8) || memcmp(magic, MAGIC, 8) != 0) {
    snprintf(err, errlen, "%s: not a genre model file (no %s magic)", path, MAGIC);
    return 0;
  }
  uint32_t version = get_u32(r);
  if (version < 1 || version > VERSION_CLASSIC) {
    snprintf(err, errlen, "%s: model format version %u, this build reads versions 1 to %u", path, version, VERSION_CLASSIC);
    return 0;
  }
  /* the checksum covers everything before its last 8 bytes */
  reader_t tail = {r->p, r->len, r->len - 8, 0};
  if (get_u64(&tail) != fnv1a(r->p, r->len - 8)) {
    snprintf(err, errlen, "%s: checksum mismatch: the file is truncated or corrupt", path);
    return 0;
  }
  r->len -= 8;
  return version;
}

/* Kind, input shape, classes, the layer table, arch and unit. 0, or -1 with the reason. */
static int read_header(reader_t *r, model_t *m, uint32_t version, const char *path, char *err, size_t errlen) {
  m->kind = (int)get_u32(r);
  m->in_c = (int)get_u32(r), m->in_h = (int)get_u32(r), m->in_w = (int)get_u32(r);
  m->n_classes = (int)get_u32(r), m->n_layers = (int)get_u32(r);
  int classic = model_is_classic(m->kind) && version >= VERSION_CLASSIC;
  if (r->bad || (m->kind != MODEL_ANN && m->kind != MODEL_CNN && !classic) || m->in_c < 1 || m->in_h < 1 || m->in_w < 1 ||
      m->in_c > (1 << 24) || m->in_h > (1 << 24) || m->in_w > (1 << 24) ||
      (uint64_t)m->in_c * (uint64_t)m->in_h > (1u << 24) ||
      (uint64_t)m->in_c * (uint64_t)m->in_h * (uint64_t)m->in_w > (1u << 24) || m->n_classes < 2 || m->n_classes > MAX_NAMES ||
      (classic ? m->n_layers != 0 : m->n_layers < 1) || m->n_layers > NET_MAX_LAYERS) {
    snprintf(err, errlen, "%s: implausible header (kind %d, input %dx%dx%d, %d classes, %d layers)", path, m->kind,
             m->in_c, m->in_h, m->in_w, m->n_classes, m->n_layers);
    return -1;
  }
  for (int i = 0; i < m->n_layers; i++) {
    layer_spec_t *s = &m->spec[i];
    s->kind = (int)get_u32(r), s->size = (int)get_u32(r), s->kernel = (int)get_u32(r);
    s->stride = (int)get_u32(r), s->rate = get_f32(r), s->pad = (int)get_u32(r);
    if (s->size < 0 || s->size > 65536 || s->kernel < 0 || s->kernel > 64 || s->stride < 0 || s->stride > 64 ||
        (s->pad != PAD_SAME && s->pad != PAD_VALID && (s->pad < PAD_ZEROS || s->pad > PAD_ZEROS_MAX)) ||
        !(s->rate >= 0 && s->rate < 1))
      r->bad = 1;
  }
  char *arch = get_str(r);
  if (arch) snprintf(m->arch, sizeof m->arch, "%s", arch);
  free(arch);
  m->unit = version >= 2 ? (int)get_u32(r) : MODEL_UNIT_UNKNOWN;
  if (m->unit < MODEL_UNIT_UNKNOWN || m->unit > MODEL_UNIT_TRACK) r->bad = 1;
  if (version >= 3 && !r->bad) m->about = get_str(r);
  m->temperature = version >= 4 ? get_f32(r) : 1.0f;
  m->track_temperature = version >= 5 ? get_f32(r) : 1.0f;
  if (!(m->temperature >= 0.01f && m->temperature <= 100.0f)) r->bad = 1;
  if (!(m->track_temperature >= 0.01f && m->track_temperature <= 100.0f)) r->bad = 1;
  return 0;
}

/* The standardisation, feature names and labels. 0, or -1 with the reason. */
static int read_scaler_names(reader_t *r, model_t *m, const char *path, char *err, size_t errlen) {
  m->n_scale = get_u32(r);
  if (r->bad || m->n_scale > (1u << 20) || m->n_scale * 8 > r->len - r->at) {
    snprintf(err, errlen, "%s: corrupt layer table or scaler", path);
    return -1;
  }
  m->shift = malloc((m->n_scale ? m->n_scale : 1) * sizeof(float));
  m->scale = malloc((m->n_scale ? m->n_scale : 1) * sizeof(float));
  if (!m->shift || !m->scale) return snprintf(err, errlen, "%s: out of memory", path), -1;
  for (size_t i = 0; i < m->n_scale; i++) m->shift[i] = get_f32(r);
  for (size_t i = 0; i < m->n_scale; i++) m->scale[i] = get_f32(r);
  for (size_t i = 0; i < m->n_scale; i++)
    if (!isfinite(m->shift[i]) || !isfinite(m->scale[i])) {
      snprintf(err, errlen, "%s: standardisation entry %zu is not finite", path, i);
      return -1;
    }
  m->n_features = get_u32(r);
  if (r->bad || m->n_features > MAX_NAMES || m->n_features * 2 > r->len - r->at) {
    snprintf(err, errlen, "%s: corrupt feature names", path);
    return -1;
  }
  m->feature_names = calloc(m->n_features ? m->n_features : 1, sizeof(char *));
  m->labels = calloc((size_t)m->n_classes, sizeof(char *));
  if (!m->feature_names || !m->labels) return snprintf(err, errlen, "%s: out of memory", path), -1;
  for (size_t i = 0; i < m->n_features && !r->bad; i++) m->feature_names[i] = get_str(r);
  for (int i = 0; i < m->n_classes && !r->bad; i++) m->labels[i] = get_str(r);
  if (r->bad) {
    snprintf(err, errlen, "%s: corrupt names", path);
    return -1;
  }
  return 0;
}

/* Member k's parameters and state into p and state, checked. 0, or -1 with the reason. */
static int read_member(reader_t *r, const net_t *n, real *p, real *state, int k, const char *path, char *err,
                       size_t errlen) {
  uint64_t n_params = get_u64(r);
  if (r->bad || n_params != n->n_params) {
    snprintf(err, errlen, "%s: %llu parameters stored, the layer table needs %zu", path, (unsigned long long)n_params,
             n->n_params);
    return -1;
  }
  for (size_t i = 0; i < n->n_params; i++) p[i] = (real)get_f32(r);
  uint64_t n_state = get_u64(r);
  if (r->bad || n_state != n->n_state) {
    snprintf(err, errlen, "%s: %llu state values stored, the layer table needs %zu", path, (unsigned long long)n_state,
             n->n_state);
    return -1;
  }
  for (size_t i = 0; i < n->n_state; i++) state[i] = (real)get_f32(r);
  for (size_t i = 0; i < n->n_params + n->n_state; i++)
    if (!isfinite(i < n->n_params ? p[i] : state[i - n->n_params])) {
      snprintf(err, errlen, "%s: member %d: value %zu is not finite", path, k + 1, i);
      return -1;
    }
  return 0;
}

/* The network built from the layer table, and every member's values. 0, or -1 with the reason. */
/* A classical kind's state (no members, a length and its bytes). 0, or -1 with the reason. */
static int read_classic(reader_t *r, model_t *m, const char *path, char *err, size_t errlen) {
  char why[300];
  uint32_t members = get_u32(r);
  uint64_t size = get_u64(r);
  if (r->bad || members != 0 || size != r->len - r->at)
    return snprintf(err, errlen, "%s: a %zu-byte classical model does not fill the file", path, (size_t)size), -1;
  m->classic = classic_read(m->kind, r->p + r->at, (size_t)size, m->n_features, m->n_classes, why, sizeof why);
  if (!m->classic) return snprintf(err, errlen, "%s: %s", path, why), -1;
  m->n_members = 1;
  return 0;
}

static int read_network(reader_t *r, model_t *m, int max_batch, const char *path, char *err, size_t errlen) {
  if (model_is_classic(m->kind)) return read_classic(r, m, path, err, errlen);
  /* the network's size first: its parameters must be in the file before
   * anything is allocated for them, and the batch is cut to keep its
   * activations within MODEL_MAX_ACTIVATIONS */
  net_size_t size;
  char why[300];
  if (net_plan(m->spec, m->n_layers, m->in_c, m->in_h, m->in_w, m->n_classes, &size, why, sizeof why)) {
    snprintf(err, errlen, "%s: its layer table does not build: %s", path, why);
    return -1;
  }
  m->n_members = (int)get_u32(r);
  size_t per = size.n_params + size.n_state;
  if (r->bad || m->n_members < 1 || m->n_members > 1024 || (uint64_t)m->n_members * (per * 4 + 16) != r->len - r->at) {
    snprintf(err, errlen, "%s: %d members of %zu values do not fill the file", path, m->n_members, per);
    return -1;
  }
  if (max_batch < 1) max_batch = 1;
  if ((size_t)max_batch * size.activations > MODEL_MAX_ACTIVATIONS)
    max_batch = size.activations >= MODEL_MAX_ACTIVATIONS ? 1 : (int)(MODEL_MAX_ACTIVATIONS / size.activations);
  m->net = net_new(m->spec, m->n_layers, m->in_c, m->in_h, m->in_w, m->n_classes, max_batch, why, sizeof why);
  if (!m->net) return snprintf(err, errlen, "%s: %s", path, why), -1;
  if (m->n_members > 1 && !(m->members = malloc((size_t)m->n_members * per * sizeof(real))))
    return snprintf(err, errlen, "%s: out of memory", path), -1;
  for (int k = 0; k < m->n_members; k++) {
    real *p = m->members ? m->members + (size_t)k * per : m->net->params;
    real *state = m->members ? p + m->net->n_params : m->net->state;
    if (read_member(r, m->net, p, state, k, path, err, errlen)) return -1;
  }
  if (m->members) model_use_member(m, 0);
  return 0;
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The first class name that is empty or repeated (NULL: none). */
static const char *bad_label(const model_t *m, int *empty) {
  char **sorted = malloc((size_t)m->n_classes * sizeof *sorted);
  const char *bad = NULL;
  *empty = 0;
  if (!sorted) return NULL;
  memcpy(sorted, m->labels, (size_t)m->n_classes * sizeof *sorted);
  qsort(sorted, (size_t)m->n_classes, sizeof *sorted, compare_names);
  for (int i = 0; i < m->n_classes && !bad; i++)
    if (!*sorted[i]) bad = sorted[i], *empty = 1;
    else if (i && strcmp(sorted[i], sorted[i - 1]) == 0) bad = sorted[i];
  free(sorted);
  return bad;
}

/* 0 when every member's values are finite and every batch norm's variance is not negative. */
static int bad_values(const model_t *m, char *why, size_t whylen) {
  const net_t *n = m->net;
  for (int k = 0; k < m->n_members; k++) {
    const real *p = m->members ? member(m, k) : n->params, *state = m->members ? p + n->n_params : n->state;
    for (size_t i = 0; i < n->n_params + n->n_state; i++)
      if (!isfinite(i < n->n_params ? p[i] : state[i - n->n_params]))
        return snprintf(why, whylen, "member %d: value %zu is not finite", k + 1, i), -1;
    for (int i = 0; i < n->n_layers; i++) {
      const layer_t *l = &n->layer[i];
      for (int c = 0; l->spec.kind == LAYER_BATCHNORM && c < l->c; c++)
        if (state[l->run_var - n->state + c] < 0)
          return snprintf(why, whylen, "member %d: layer %d's batch-norm variance is negative", k + 1, i + 1), -1;
    }
  }
  return 0;
}

int model_check(const model_t *m, const char *path, char *err, size_t errlen) {
  size_t F = (size_t)m->in_c * m->in_h * m->in_w;
  char why[200];
  int empty;
  if (m->kind != MODEL_CNN && (m->n_features != m->n_scale || F != m->n_features))
    return snprintf(err, errlen, "%s: %zu features, %zu scaler entries, input of %zu", path, m->n_features, m->n_scale, F), -1;
  if (m->kind == MODEL_CNN && m->n_scale != (size_t)m->in_h)
    return snprintf(err, errlen, "%s: a scaler of %zu values for an input of %d mel bands", path, m->n_scale, m->in_h), -1;
  if (m->kind == MODEL_CNN && m->unit == MODEL_UNIT_TRACK)
    return snprintf(err, errlen, "%s: a spectrogram model marked as trained on whole recordings (a CNN reads 3-s segments)",
                    path), -1;
  for (size_t i = 0; i < m->n_scale; i++)
    if (!isfinite(m->shift[i]) || !isfinite(m->scale[i]) || m->scale[i] == 0)
      return snprintf(err, errlen, "%s: standardisation entry %zu is zero or not finite", path, i), -1;
  const char *bad = bad_label(m, &empty);
  if (bad) return snprintf(err, errlen, empty ? "%s: an empty class name" : "%s: the class '%.200s' is named twice", path, bad), -1;
  if (model_is_classic(m->kind) && (!m->classic || m->classic->kind != m->kind || m->classic->F != m->n_features))
    return snprintf(err, errlen, "%s: a classical model of %zu features that holds another", path, m->n_features), -1;
  if (m->net && bad_values(m, why, sizeof why)) return snprintf(err, errlen, "%s: %s", path, why), -1;
  return 0;
}

int model_load(const char *path, int max_batch, model_t *m, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  size_t len;
  unsigned char *buf = read_whole(path, &len, err, errlen);
  if (!buf) return -1;
  reader_t r = {buf, len, 0, 0};
  uint32_t version = read_envelope(&r, path, err, errlen);
  int rc = !version || read_header(&r, m, version, path, err, errlen) || read_scaler_names(&r, m, path, err, errlen) ||
           read_network(&r, m, max_batch, path, err, errlen) || model_check(m, path, err, errlen);
  free(buf);
  if (rc) model_free(m);
  return rc ? -1 : 0;
}

void model_use_member(model_t *m, int k) {
  net_t *n = m->net;
  if (!m->members) return; /* one member: the network holds it */
  const real *p = m->members + (size_t)k * (n->n_params + n->n_state);
  memcpy(n->params, p, n->n_params * sizeof(real));
  memcpy(n->state, p + n->n_params, n->n_state * sizeof(real));
}

int model_predict(model_t *m, const real *x, int B, real *probs) {
  int K = m->n_classes;
  real *p = m->n_members > 1 ? malloc((size_t)B * K * sizeof(real)) : NULL;
  if (m->n_members > 1 && !p) return -1;
  /* one network: its temperature on the logits, softmax(z / T), which stays
   * exact for tiny probabilities; several: on their averaged probabilities */
  double T = m->temperature > 0 ? m->temperature : 1;
  if (m->classic) { /* its probabilities, then the temperature on them */
    if (classic_predict(m->classic, K, x, B, probs)) return -1;
    if (T != 1) temperature_apply(probs, B, K, m->temperature);
    return 0;
  }
  if (m->n_members == 1) return net_predict_t(m->net, x, B, T, probs), 0;
  for (int k = 0; k < m->n_members; k++) {
    if (m->n_members > 1) model_use_member(m, k);
    net_predict(m->net, x, B, k ? p : probs);
    if (k)
      for (size_t i = 0; i < (size_t)B * K; i++) probs[i] += p[i];
  }
  if (m->n_members > 1)
    for (size_t i = 0; i < (size_t)B * K; i++) probs[i] /= m->n_members;
  free(p);
  if (m->temperature > 0) temperature_apply(probs, B, K, m->temperature);
  return 0;
}
