/* The CSV reader (libcsv) and the feature-table loader on top of it; and the
 * check extract --resume makes of a part file's text. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "dataset.h"
#include "extract.h"
#include "part.h"
#include "fuzz.h"
#include "table.h"

FUZZ_TARGET(table) {
  char path[64], err[1500] = "";
  int fd = fuzz_file(data, size, path, sizeof path);
  if (fd < 0) return 0;
  table_t t;
  if (table_read(path, &t, err, sizeof err) == 0) {
    FUZZ_REQUIRE(t.n_cols >= 1);
    for (size_t c = 0; c < t.n_cols; c++) FUZZ_REQUIRE(t.header[c] != NULL);
    for (size_t i = 0; i < t.n_rows * t.n_cols; i++)
      FUZZ_REQUIRE(t.cells[i] >= t.text && t.cells[i] + strlen(t.cells[i]) < t.text + t.text_len);
    table_free(&t);
  } else {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  static char *const labels[] = {"blues", "jazz", "rock"};
  for (int with_labels = 0; with_labels < 2; with_labels++) {
    dataset_t d;
    err[0] = '\0';
    if (dataset_load(path, with_labels ? labels : NULL, with_labels ? 3 : 0, NULL, 0, &d, err, sizeof err) == 0) {
      FUZZ_REQUIRE(d.n_rows > 0 && d.n_features > 0 && d.n_classes > 0 && d.n_groups > 0);
      int ok = 1;
      for (size_t i = 0; i < d.n_rows * d.n_features; i++) ok &= isfinite(d.x[i]) != 0;
      FUZZ_REQUIRE(ok);
      for (size_t i = 0; i < d.n_rows; i++) {
        FUZZ_REQUIRE(d.y[i] >= 0 && d.y[i] < d.n_classes);
        FUZZ_REQUIRE(d.group[i] >= 0 && (size_t)d.group[i] < d.n_groups);
        FUZZ_REQUIRE(d.names[i] != NULL);
      }
      dataset_free(&d);
    } else {
      FUZZ_REQUIRE(err[0] != '\0');
    }
  }
  static const char key[] = "#part,2,x.wav,blues,1,1\n";
  unsigned long long samples, segments;
  if (part_check((const char *)data, size, key, sizeof key - 1, &samples, &segments) == 0) {
    size_t lines = 0;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    /* quoted newlines may add lines, never remove records */
    FUZZ_REQUIRE(samples > 0 && segments == samples / 66150 && lines >= 3 + segments && data[size - 1] == '\n' &&
                 memcmp(data, key, sizeof key - 1) == 0);
  }
  close(fd);
  return 0;
}
