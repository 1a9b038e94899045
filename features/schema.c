#include "schema.h"

#include <pthread.h>
#include <stdio.h>

static const char *const fixed_names[F_MFCC] = {
    "chroma_stft_mean", "chroma_stft_var", "rms_mean", "rms_var",
    "spectral_centroid_mean", "spectral_centroid_var", "spectral_bandwidth_mean",
    "spectral_bandwidth_var", "rolloff_mean", "rolloff_var", "zero_crossing_rate_mean",
    "zero_crossing_rate_var", "harmony_mean", "harmony_var", "perceptr_mean",
    "perceptr_var", "tempo"};

static char names[FEATURE_COUNT][32];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void build_names(void) {
  for (int i = 0; i < FEATURE_COUNT; i++) {
    if (i < F_MFCC) {
      snprintf(names[i], sizeof names[i], "%s", fixed_names[i]);
      continue;
    }
    const char *base = i < F_CHROMA_BIN ? "mfcc" : i < F_CONTRAST ? "chroma" : "spectral_contrast";
    int first = i < F_CHROMA_BIN ? F_MFCC : i < F_CONTRAST ? F_CHROMA_BIN : F_CONTRAST;
    snprintf(names[i], sizeof names[i], "%s%d_%s", base, (i - first) / 2 + 1,
             (i - first) % 2 ? "var" : "mean");
  }
}

const char *feature_name(int i) {
  if (i < 0 || i >= FEATURE_COUNT) return NULL;
  pthread_once(&names_once, build_names);
  return names[i];
}
