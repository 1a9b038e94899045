/* 16 float lanes as one value (GCC vector extensions): one zmm register with
 * AVX-512, two ymm with AVX2, four xmm otherwise. Used where the vectoriser
 * would otherwise scalarise, e.g. sorting networks kept in registers. */
#ifndef GENRE_LANES_H
#define GENRE_LANES_H

#include <math.h>
#include <string.h>

typedef float lanes_t __attribute__((vector_size(64), aligned(4)));
typedef int lanes_mask_t __attribute__((vector_size(64), aligned(4)));

static inline lanes_t lanes_load(const float *p) {
  lanes_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void lanes_store(float *p, lanes_t v) { memcpy(p, &v, sizeof v); }
static inline lanes_t lanes_splat(float x) { return (lanes_t){0} + x; }
/* lane-wise m ? a : b (C has no vector ?:) */
static inline lanes_t lanes_select(lanes_mask_t m, lanes_t a, lanes_t b) {
  return (lanes_t)(((lanes_mask_t)a & m) | ((lanes_mask_t)b & ~m));
}
static inline lanes_t lanes_min(lanes_t a, lanes_t b) { return lanes_select(a < b, a, b); }
static inline lanes_t lanes_max(lanes_t a, lanes_t b) { return lanes_select(a > b, a, b); }
static inline lanes_t lanes_abs(lanes_t a) { return lanes_select(a < 0.0f, -a, a); }
/* true when any lane of the mask is set */
static inline int lanes_any(lanes_mask_t m) {
  long long w[8];
  memcpy(w, &m, sizeof w);
  return (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0;
}

/* The same 16 lanes in double, as two halves of 8. */
typedef double dlanes_t __attribute__((vector_size(64), aligned(8)));
typedef long long dlanes_mask_t __attribute__((vector_size(64), aligned(8)));
typedef float half_lanes_t __attribute__((vector_size(32), aligned(4)));

static inline void lanes_widen(lanes_t v, dlanes_t *lo, dlanes_t *hi) {
  half_lanes_t a, b;
  memcpy(&a, &v, sizeof a);
  memcpy(&b, (const char *)&v + sizeof a, sizeof b);
  *lo = __builtin_convertvector(a, dlanes_t);
  *hi = __builtin_convertvector(b, dlanes_t);
}
static inline void dlanes_store(double *p, dlanes_t lo, dlanes_t hi) {
  memcpy(p, &lo, sizeof lo);
  memcpy(p + 8, &hi, sizeof hi);
}

#endif
