#include "median.h"

#include <math.h>

#include "simd.h"

#define L MEDIAN_LANES

/* The window is kept sorted per lane, w[0..30][lane]. One step removes the value
 * y that leaves and inserts x that enters, branch-free:
 *   without y:  a[j] = w[j] < y ? w[j] : w[j+1]          (j < 30, a[30] = +inf)
 *   with x:     w'[j] = max(a[j-1], min(a[j], x))       (a[-1] = -inf)
 * Both in one pass over j, so a step costs ~6 vector operations per slot. */
HOT_KERNEL
void median31(const float *const *rows, size_t n_out, float *out, size_t out_stride) {
  float w[MEDIAN_WIDTH][L] __attribute__((aligned(64)));

  /* Insertion-sort the first window: grow the sorted prefix one row at a time. */
  for (int m = 0; m < MEDIAN_WIDTH; m++) {
    const float *x = rows[m];
    float prev[L];
    for (int l = 0; l < L; l++) prev[l] = -INFINITY;
    for (int j = 0; j <= m; j++) {
      for (int l = 0; l < L; l++) {
        float a = j < m ? w[j][l] : INFINITY;
        float lo = a < x[l] ? a : x[l];
        w[j][l] = prev[l] > lo ? prev[l] : lo;
        prev[l] = a;
      }
    }
  }
  for (int l = 0; l < L; l++) out[l] = w[MEDIAN_HALF][l];

  for (size_t i = 1; i < n_out; i++) {
    const float *y = rows[i - 1];
    const float *x = rows[i + MEDIAN_WIDTH - 1];
    float prev[L];
    for (int l = 0; l < L; l++) prev[l] = -INFINITY;
#pragma GCC unroll 32
    for (int j = 0; j < MEDIAN_WIDTH - 1; j++) {
      for (int l = 0; l < L; l++) {
        float a = w[j][l] < y[l] ? w[j][l] : w[j + 1][l];
        float lo = a < x[l] ? a : x[l];
        w[j][l] = prev[l] > lo ? prev[l] : lo;
        prev[l] = a;
      }
    }
    for (int l = 0; l < L; l++) w[MEDIAN_WIDTH - 1][l] = prev[l] > x[l] ? prev[l] : x[l];
    float *o = out + i * out_stride;
    for (int l = 0; l < L; l++) o[l] = w[MEDIAN_HALF][l];
  }
}
