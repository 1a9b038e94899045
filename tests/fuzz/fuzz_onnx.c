/* ONNX graphs (labels a, b, c; feature columns x, y, z): the whole path from bytes to a network (the wire walk,
 * protobuf-c's unpacking, the importer, model_check), then one prediction. A
 * graph that loads must give probabilities. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "model_onnx.h"

FUZZ_TARGET(onnx) {
  char path[64], err[1500] = "";
  int fd = fuzz_file(data, size, path, sizeof path);
  if (fd < 0) return 0;
  static char *labels[3] = {"a", "b", "c"}, *columns[3] = {"x", "y", "z"};
  /* a [N,1,128,130] input is a log-mel; a [N,3] one takes these columns */
  onnx_hints_t h = {.labels = labels, .n_labels = 3, .columns = columns, .n_columns = 3};
  model_t m[ONNX_MAX_MODELS];
  int n = 0;
  if (model_import_onnx(path, &h, 2, m, &n, err, sizeof err) == 0) {
    FUZZ_REQUIRE(n >= 1 && n <= ONNX_MAX_MODELS);
    for (int i = 0; i < n; i++) {
      FUZZ_REQUIRE(m[i].net && m[i].n_classes == 3 && m[i].n_scale >= 1);
      size_t in = (size_t)m[i].in_c * m[i].in_h * m[i].in_w;
      real *x = calloc(in, sizeof *x), p[3];
      if (x && model_predict(&m[i], x, 1, p) == 0 && isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]))
        FUZZ_REQUIRE(fabs(p[0] + p[1] + p[2] - 1) < 1e-3);
      free(x);
      model_free(&m[i]);
    }
  } else {
    FUZZ_REQUIRE(err[0] != '\0' && n == 0);
  }
  close(fd);
  return 0;
}
