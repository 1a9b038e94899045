/* Sliding median of width 31, the kernel of librosa's HPSS
 * (scipy.ndimage.median_filter with size 31).
 *
 * It filters MEDIAN_LANES independent series at once: series l at window
 * position p is rows[p][l]. The caller builds `rows` (n_out + 30 pointers), which
 * is how boundary reflection and strided layouts are expressed. Output i is the
 * median of rows[i .. i+30] and goes to out[i * out_stride + l]. */
#ifndef GENRE_MEDIAN_H
#define GENRE_MEDIAN_H

#include <stddef.h>

#define MEDIAN_WIDTH 31
#define MEDIAN_HALF 15
#define MEDIAN_LANES 16

void median31(const float *const *rows, size_t n_out, float *out, size_t out_stride);

/* scipy.ndimage mode "reflect" (d c b a | a b c d | d c b a), repeated for
 * positions further than one length away: maps any p to [0, len). */
static inline size_t reflect_index(long p, size_t len) {
  long period = 2 * (long)len;
  long m = p % period;
  if (m < 0) m += period;
  return (size_t)(m < (long)len ? m : period - 1 - m);
}

#endif
