/* .npy files: the header parser alone, then the log-mel loader that reads the
 * file an index points to. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mel_dataset.h"
#include "npy.h"

FUZZ_TARGET(npy) {
  char err[1500] = "", path[400];
  size_t shape[NPY_MAX_DIMS];
  int nd = 0;
  size_t segments = 1;
  FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
  if (!f) return 0;
  if (size && npy_read_header(f, (long)size, shape, &nd, err, sizeof err) == 0) {
    FUZZ_REQUIRE(nd >= 1 && nd <= NPY_MAX_DIMS);
    size_t count = 1;
    for (int i = 0; i < nd; i++) count *= shape[i];
    FUZZ_REQUIRE((size_t)ftell(f) + 4 * count <= size); /* the data is in the file */
    segments = shape[0];
  } else if (size) {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  fclose(f);

  /* the loader: index.csv lists the file with the segment count it claims */
  const char *dir = fuzz_dir();
  snprintf(path, sizeof path, "%s/x.npy", dir);
  if (fuzz_write(path, data, size)) return 0;
  char index[80];
  int n = snprintf(index, sizeof index, "file,label,segments,source\nx.npy,blues,%zu,x.wav\n", segments);
  snprintf(path, sizeof path, "%s/index.csv", dir);
  if (fuzz_write(path, index, (size_t)n)) return 0;
  mel_dataset_t d;
  err[0] = '\0';
  if (mel_dataset_load(dir, NULL, 0, &d, err, sizeof err) == 0) {
    FUZZ_REQUIRE(d.n_rows == segments && d.bands == 128 && d.frames == 130 && d.n_groups == 1);
    /* rows are read when asked: each is finite, or refused naming its segment */
    static real x[128 * 130];
    for (size_t r = 0; r < d.n_rows; r++) {
      err[0] = '\0';
      if (mel_dataset_read(&d, &r, 1, x, err, sizeof err) == 0) {
        int ok = 1;
        for (size_t i = 0; i < 128 * 130; i++) ok &= isfinite(x[i]) != 0;
        FUZZ_REQUIRE(ok);
      } else {
        FUZZ_REQUIRE(strstr(err, "segment") != NULL);
      }
    }
    mel_dataset_free(&d);
  } else {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  return 0;
}
