/* The audio decode path: any bytes as a file, through libsndfile, the sanity
 * checks, downmix and soxr resampling, then the feature analysis. */
#include <math.h>
#include <unistd.h>

#include "analysis.h"
#include "audio.h"
#include "fuzz.h"
#include "schema.h"

FUZZ_TARGET(audio) {
  static audio_buf_t buf; /* kept between inputs, as extract's workers keep theirs */
  static analysis_t *an;
  static double row[FEATURE_COUNT];
  if (!an) an = analysis_new(0);
  char path[64], err[512] = "";
  int fd = fuzz_file(data, size, path, sizeof path);
  if (fd < 0) return 0;
  if (audio_load(path, &buf, err, sizeof err) == 0) {
    FUZZ_REQUIRE(buf.n > 0);
    int finite = 1;
    for (size_t i = 0; i < buf.n; i++) finite &= isfinite(buf.x[i]) != 0;
    FUZZ_REQUIRE(finite);
    /* features of up to 1.5 s: longer inputs take the same paths, only slower */
    size_t n = buf.n < 3 * AUDIO_SR / 2 ? buf.n : 3 * AUDIO_SR / 2;
    FUZZ_REQUIRE(analysis_run(an, buf.x, n, row, NULL) == 0);
    for (int c = 0; c < FEATURE_COUNT; c++) FUZZ_REQUIRE(isfinite(row[c]));
  } else {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  close(fd);
  return 0;
}
