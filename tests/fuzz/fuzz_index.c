/* mel/index.csv (file,label,segments,source) beside two valid spectrogram
 * files of 1 and 2 segments: every row found must be readable. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "mel_dataset.h"
#include "npy.h"
#include "schema.h"

static int write_mel(const char *dir, const char *name, size_t segments) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  size_t shape[3] = {segments, MEL_BANDS, SEGMENT_FRAMES};
  if (!f) return -1;
  npy_write_header(f, shape, 3);
  static float plane[MEL_BANDS * SEGMENT_FRAMES];
  for (size_t k = 0; k < segments; k++) fwrite(plane, sizeof plane, 1, f);
  return fclose(f);
}

FUZZ_TARGET(index) {
  static int ready;
  const char *dir = fuzz_dir();
  if (!ready && (write_mel(dir, "a.npy", 1) || write_mel(dir, "b.npy", 2))) return 0;
  ready = 1;
  char path[700], err[1500] = "";
  snprintf(path, sizeof path, "%s/index.csv", dir);
  if (fuzz_write(path, data, size)) return 0;
  mel_dataset_t d;
  if (mel_dataset_load(dir, NULL, 0, &d, err, sizeof err) == 0) {
    FUZZ_REQUIRE(d.n_rows >= 1);
    static real x[MEL_BANDS * SEGMENT_FRAMES];
    for (size_t r = 0; r < d.n_rows && r < 8; r++) FUZZ_REQUIRE(mel_dataset_read(&d, &r, 1, x, err, sizeof err) == 0);
    mel_dataset_free(&d);
  } else {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  return 0;
}
