/* NumPy .npy files (format 1.0) of little-endian float32 (or float16 for
 * spectrograms written with extract --mel-dtype f16), C order: what
 * numpy.load reads back as a float32 / float16 array. */
#ifndef GENRE_NPY_H
#define GENRE_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NPY_MAX_DIMS 4

/* Element sizes: the dtypes written and read */
enum { NPY_F16 = 2, NPY_F32 = 4 };

/* Writes the header for `shape` (ndim dims) to f, float32. 0, or -1 on a write error. */
int npy_write_header(FILE *f, const size_t *shape, int ndim);
/* The same for elem NPY_F32 ('<f4') or NPY_F16 ('<f2') */
int npy_write_header_as(FILE *f, const size_t *shape, int ndim, int elem);

/* Reads and validates a header: dtype must be '<f4', C order, 1..NPY_MAX_DIMS
 * dims whose product fits the file's size. Leaves f at the data. 0, or -1 with
 * the reason in err. file_size: bytes in the file. */
int npy_read_header(FILE *f, long file_size, size_t *shape, int *ndim, char *err, size_t errlen);
/* The same, '<f4' or '<f2': *elem is NPY_F32 or NPY_F16 */
int npy_read_header_any(FILE *f, long file_size, size_t *shape, int *ndim, int *elem, char *err, size_t errlen);

/* IEEE 754 binary16 <-> float: to half rounds to nearest even (overflow to
 * infinity, NaN kept); to float is exact. */
uint16_t npy_half(float v);
float npy_float(uint16_t h);

#endif
