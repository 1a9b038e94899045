/* The network core against PyTorch (../shared/reference/nn: logits, loss,
 * every gradient, every parameter after one Adam step) and against finite
 * differences (every layer kind, no ../shared needed).
 *
 * Built twice: with -DNN_DOUBLE (test_nn64) the reference must match to a
 * relative 1e-9 and finite differences to 1e-6; in float32 (test_nn) to
 * 1e-4: float32 has 24 bits (6e-8), the dumps are float64, and a gradient
 * is a difference of sums of a few hundred products whose rounding errors
 * grow roughly with the square root of their count, amplified where the
 * result is small relative to its terms (the Adam step divides m by
 * sqrt(v)), so a few 1e-5 relative errors are float32 working as designed. */
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net.h"

#ifdef NN_DOUBLE
#define REF_TOL 1e-9
#define PRECISION "float64"
#else
#define REF_TOL 1e-4
#define PRECISION "float32"
#endif

/* --- reference files: "# tensor NAME D0 D1 ..." then the values ---------- */

typedef struct tensor {
  char name[64];
  size_t n;
  double *v;
} tensor_t;

typedef struct ref {
  tensor_t t[64];
  int n;
} ref_t;

static int load_ref(const char *path, ref_t *r) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  memset(r, 0, sizeof *r);
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "# tensor ", 9) != 0) continue;
    tensor_t *t = &r->t[r->n++];
    char *p = line + 9;
    sscanf(p, "%63s", t->name);
    p += strlen(t->name);
    t->n = 1;
    long d;
    char *end;
    while ((d = strtol(p, &end, 10)), end != p) t->n *= (size_t)d, p = end;
    t->v = malloc(t->n * sizeof(double));
    for (size_t i = 0; i < t->n; i++)
      if (fscanf(f, "%lf", &t->v[i]) != 1) t->v[i] = NAN;
  }
  fclose(f);
  return 0;
}

static const tensor_t *get(const ref_t *r, const char *name) {
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->t[i].name, name) == 0) return &r->t[i];
  return NULL;
}

static void free_ref(ref_t *r) {
  for (int i = 0; i < r->n; i++) free(r->t[i].v);
}

/* worst relative error of ours against the reference, |a-b| / max(|b|, 1e-3) */
static double rel_error(const real *ours, const double *ref, size_t n) {
  double worst = 0;
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)ours[i] - ref[i]) / fmax(fabs(ref[i]), 1e-3);
    if (e > worst) worst = e;
  }
  return worst;
}

/* Runs one reference: sets the parameters, checks logits, loss, gradients and
 * the parameters after one Adam step. `names` lists the parameterised layers'
 * PyTorch names in order (layer index, name). */
static void check_reference(const char *file, const layer_spec_t *spec, int n_layers, int c, int h,
                            int w, const int *param_layers, const char *const *names, int n_named) {
  const char *shared = shared_dir("PyTorch reference");
  if (!shared) return;
  char path[1200], err[300];
  snprintf(path, sizeof path, "%s/reference/nn/%s", shared, file);
  ref_t r;
  if (load_ref(path, &r)) {
    CHECK(0, "cannot read %s", path);
    return;
  }
  const tensor_t *x = get(&r, "x"), *y = get(&r, "y"), *logits = get(&r, "logits"), *loss = get(&r, "loss");
  int B = (int)(y->n), K = (int)(logits->n / y->n);
  net_t *n = net_new(spec, n_layers, c, h, w, K, B, err, sizeof err);
  CHECK(n != NULL, "%s: network builds: %s", file, err);
  if (!n) return;
  net_init(n, 1);
  char key[128];
  for (int i = 0; i < n_named; i++) {
    layer_t *l = &n->layer[param_layers[i]];
    snprintf(key, sizeof key, "%s.weight", names[i]);
    const tensor_t *tw = get(&r, key);
    snprintf(key, sizeof key, "%s.bias", names[i]);
    const tensor_t *tb = get(&r, key);
    CHECK(tw && tb && tw->n == l->nw && tb->n == l->nb, "%s: %s has %zu/%zu parameters", file, names[i], l->nw, l->nb);
    for (size_t j = 0; tw && j < l->nw; j++) l->weight[j] = (real)tw->v[j];
    for (size_t j = 0; tb && j < l->nb; j++) l->bias[j] = (real)tb->v[j];
  }
  real *xs = malloc(x->n * sizeof(real));
  int *ys = malloc(B * sizeof(int));
  for (size_t i = 0; i < x->n; i++) xs[i] = (real)x->v[i];
  for (int i = 0; i < B; i++) ys[i] = (int)y->v[i];

  const real *out = net_forward(n, xs, B, 1);
  double e = rel_error(out, logits->v, logits->n);
  CHECK(e <= REF_TOL, "%s: logits, relative error %.2e (%s)", file, e, PRECISION);
  double l = net_backward(n, xs, ys, B);
  CHECK(fabs(l - loss->v[0]) <= REF_TOL * fabs(loss->v[0]), "%s: loss %.12g vs %.12g", file, l, loss->v[0]);
  double worst_grad = 0, worst_step = 0;
  for (int i = 0; i < n_named; i++) {
    layer_t *ly = &n->layer[param_layers[i]];
    for (int part = 0; part < 2; part++) {
      snprintf(key, sizeof key, "grad_%s.%s", names[i], part ? "bias" : "weight");
      const tensor_t *g = get(&r, key);
      if (!g) continue;
      e = rel_error(part ? ly->dbias : ly->dweight, g->v, g->n);
      worst_grad = fmax(worst_grad, e);
      CHECK(e <= REF_TOL, "%s: %s, relative error %.2e", file, key, e);
    }
  }
  adam_opts_t adam = ADAM_DEFAULTS;
  net_adam_step(n, &adam);
  for (int i = 0; i < n_named; i++) {
    layer_t *ly = &n->layer[param_layers[i]];
    for (int part = 0; part < 2; part++) {
      snprintf(key, sizeof key, "adam1_%s.%s", names[i], part ? "bias" : "weight");
      const tensor_t *p = get(&r, key);
      if (!p) continue;
      e = rel_error(part ? ly->bias : ly->weight, p->v, p->n);
      worst_step = fmax(worst_step, e);
      CHECK(e <= REF_TOL, "%s: %s after one Adam step, relative error %.2e", file, key, e);
    }
  }
  printf("  %s (%s): worst relative error, gradients %.1e, after Adam %.1e\n", file, PRECISION,
         worst_grad, worst_step);
  net_free(n);
  free(xs), free(ys);
  free_ref(&r);
}

static void test_reference_mlp(void) {
  layer_spec_t spec[] = {DENSE(5), RELU, DENSE_CLASSES};
  int layers[] = {0, 2};
  const char *names[] = {"fc1", "fc2"};
  check_reference("mlp.txt", spec, 3, 6, 1, 1, layers, names, 2);
}

static void test_reference_batchnorm(void) {
  layer_spec_t spec[] = {BATCHNORM, FLATTEN, DENSE_CLASSES};
  int layers[] = {0, 2};
  const char *names[] = {"bn", "fc"};
  check_reference("batchnorm.txt", spec, 3, 2, 2, 2, layers, names, 2);
}

static void test_reference_cnn(void) {
  layer_spec_t spec[] = {CONV(4, 3, 1), RELU, MAXPOOL(2),
                         CONV(4, 3, 1), RELU, MAXPOOL(2),
                         FLATTEN, DENSE_CLASSES};
  int layers[] = {0, 3, 7};
  const char *names[] = {"conv1", "conv2", "fc"};
  check_reference("cnn.txt", spec, 8, 1, 8, 8, layers, names, 3);
}

/* --- finite differences (double only: float32 differences are noise) ---- */

#ifdef NN_DOUBLE
static double loss_at(net_t *n, const real *x, const int *y, int B) {
  net_seed_dropout(n, 12345); /* the same dropout mask every time */
  const real *logits = net_forward(n, x, B, 1);
  return softmax_xent(NULL, NULL, logits, y, B, n->n_classes);
}

static void finite_differences(const char *what, const layer_spec_t *spec, int n_layers, int c, int h, int w) {
  enum { B = 4, K = 3 };
  char err[300];
  net_t *n = net_new(spec, n_layers, c, h, w, K, B, err, sizeof err);
  CHECK(n != NULL, "%s builds: %s", what, err);
  if (!n) return;
  net_init(n, 7);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 3);
  size_t in = (size_t)c * h * w;
  real *x = malloc(B * in * sizeof(real));
  for (size_t i = 0; i < B * in; i++) x[i] = (real)(2 * gsl_rng_uniform(r) - 1);
  /* move batchnorm's parameters off their identity init */
  for (size_t i = 0; i < n->n_params; i++) n->params[i] += (real)(0.1 * (gsl_rng_uniform(r) - 0.5));
  int y[B] = {0, 2, 1, 2};
  net_seed_dropout(n, 12345);
  net_forward(n, x, B, 1);
  net_backward(n, x, y, B);
  real *analytic = malloc(n->n_params * sizeof(real));
  memcpy(analytic, n->grads, n->n_params * sizeof(real));
  double worst = 0;
  size_t worst_at = 0;
  for (size_t i = 0; i < n->n_params; i++) {
    real keep = n->params[i];
    const double step = 1e-5; /* truncation ~step^2 = 1e-10, round-off ~eps / step = 2e-11 */
    n->params[i] = keep + step;
    double up = loss_at(n, x, y, B);
    n->params[i] = keep - step;
    double down = loss_at(n, x, y, B);
    n->params[i] = keep;
    double fd = (up - down) / (2 * step);
    /* central differences carry round-off of ~eps * loss / step = 2e-11, so
     * gradients under 1e-4 (e.g. exactly 0 for a dropped unit) are compared
     * on that scale: relative to max(|fd|, |analytic|, 1e-4) */
    double e = fabs(fd - analytic[i]) / fmax(fmax(fabs(fd), fabs(analytic[i])), 1e-4);
    if (e > worst) worst = e, worst_at = i;
  }
  printf("  %s: %zu parameters, worst relative difference %.1e (parameter %zu)\n", what, n->n_params, worst, worst_at);
  CHECK(worst < 1e-6, "%s: analytic gradients match central differences (worst %.1e)", what, worst);
  free(analytic), free(x);
  gsl_rng_free(r);
  net_free(n);
}

static void test_finite_differences(void) {
  layer_spec_t dense[] = {DENSE(6), RELU,    DROPOUT(0.3f),
                          DENSE(5), BATCHNORM, DENSE_CLASSES};
  finite_differences("dense, relu, dropout, batchnorm 1-D", dense, 6, 7, 1, 1);
  layer_spec_t conv[] = {CONV(3, 3, 1), BATCHNORM, RELU,
                         MAXPOOL(2), CONV(4, 5, 2),   AVGPOOL,
                         DENSE_CLASSES};
  finite_differences("conv 3x3 and 5x5/2, batchnorm 2-D, maxpool, avgpool", conv, 7, 2, 8, 9);
  layer_spec_t flat[] = {CONV(2, 3, 1), DROPOUT(0.5f), FLATTEN,
                         DENSE_CLASSES};
  finite_differences("conv, dropout 2-D, flatten", flat, 4, 1, 5, 6);
}
#endif

int main(void) {
  RUN(test_reference_mlp);
  RUN(test_reference_batchnorm);
  RUN(test_reference_cnn);
#ifdef NN_DOUBLE
  RUN(test_finite_differences);
#endif
  return check_summary();
}
