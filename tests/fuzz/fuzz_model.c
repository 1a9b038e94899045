/* Model files. The input's last 8 bytes are replaced by its checksum, so the
 * fuzzer gets past the checksum to the layer table, names and parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "model.h"

FUZZ_TARGET(model) {
  unsigned char *copy = malloc(size ? size : 1);
  if (!copy) return 0;
  if (size) memcpy(copy, data, size);
  if (size >= 16) {
    uint64_t sum = model_checksum(copy, size - 8);
    for (int i = 0; i < 8; i++) copy[size - 8 + i] = (unsigned char)(sum >> (8 * i));
  }
  char path[64], err[1500] = "";
  int fd = fuzz_file(copy, size, path, sizeof path);
  free(copy);
  if (fd < 0) return 0;
  model_t m;
  if (model_load(path, 4, &m, err, sizeof err) == 0) {
    FUZZ_REQUIRE((m.net ? m.net->max_batch >= 1 : m.classic != NULL) && m.n_members >= 1 && m.n_classes >= 2);
    for (int k = 0; k < m.n_classes; k++) FUZZ_REQUIRE(m.labels[k] != NULL);
    size_t in = (size_t)m.in_c * m.in_h * m.in_w;
    real *x = calloc(in, sizeof *x), *probs = calloc((size_t)m.n_classes, sizeof *probs);
    if (x && probs && model_predict(&m, x, 1, probs) == 0) {
      double sum = 0;
      int finite = 1;
      for (int k = 0; k < m.n_classes; k++) finite &= isfinite(probs[k]) != 0, sum += probs[k];
      /* finite weights can still overflow; when they do not, these are probabilities */
      if (finite) FUZZ_REQUIRE(fabs(sum - 1) < 1e-3);
    }
    free(x), free(probs);
    model_free(&m);
  } else {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  close(fd);
  return 0;
}
