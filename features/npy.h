/* NumPy .npy files (format 1.0) of little-endian float32, C order: what
 * numpy.load reads back as a float32 array. */
#ifndef GENRE_NPY_H
#define GENRE_NPY_H

#include <stddef.h>
#include <stdio.h>

#define NPY_MAX_DIMS 4

/* Writes the header for `shape` (ndim dims) to f. 0, or -1 on a write error. */
int npy_write_header(FILE *f, const size_t *shape, int ndim);

/* Reads and validates a header: dtype must be '<f4', C order, 1..NPY_MAX_DIMS
 * dims whose product fits the file's size. Leaves f at the data. 0, or -1 with
 * the reason in err. file_size: bytes in the file. */
int npy_read_header(FILE *f, long file_size, size_t *shape, int *ndim, char *err, size_t errlen);

#endif
