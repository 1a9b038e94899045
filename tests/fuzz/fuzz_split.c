/* A published split's lists (--protocol split:DIR): the input is train.txt
 * up to its first NUL byte and test.txt after it, matched to four tracks. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "split.h"

FUZZ_TARGET(split) {
  const char *dir = fuzz_dir();
  char path[600];
  const uint8_t *nul = memchr(data, 0, size);
  size_t first = nul ? (size_t)(nul - data) : size;
  snprintf(path, sizeof path, "%s/train.txt", dir);
  if (fuzz_write(path, data, first)) return 0;
  snprintf(path, sizeof path, "%s/test.txt", dir);
  if (fuzz_write(path, nul ? nul + 1 : data, nul ? size - first - 1 : 0)) return 0;
  snprintf(path, sizeof path, "%s/valid.txt", dir);
  remove(path);
  static char *tracks[4] = {"blues.00000", "blues.00001", "rock.00000", "rock.00001"};
  static const char *labels[4] = {"blues", "blues", "rock", "rock"};
  int fold[4];
  unsigned char valid[4];
  split_counts_t counts;
  char err[1500] = "";
  if (split_assign(dir, tracks, labels, 4, fold, valid, &counts, err, sizeof err) == 0) {
    for (int t = 0; t < 4; t++) FUZZ_REQUIRE(fold[t] >= -1 && fold[t] <= 1);
    FUZZ_REQUIRE(counts.train + counts.valid + counts.test + counts.unlisted == 4);
  } else {
    FUZZ_REQUIRE(err[0] != '\0');
  }
  return 0;
}
