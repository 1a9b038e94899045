#include "audio.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_BLOCK 65536 /* frames per sf_readf_float call */

void audio_buf_free(audio_buf_t *buf) {
  free(buf->x);
  free(buf->raw);
  memset(buf, 0, sizeof *buf);
}

static int reserve(float **p, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 1 << 20;
  while (c < need) c *= 2;
  float *q = realloc(*p, c * sizeof *q);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

/* python-soxr's resample (as librosa calls it): soxr_quality_spec(SOXR_HQ, 0),
 * float32, input fed in chunks of int(48000 * in/out) frames, then flushed; the
 * result is cut or zero-padded to ceil(n * out / in) samples. */
static int resample(const float *in, size_t n, double in_rate, audio_buf_t *buf, char *err,
                    size_t errlen) {
  double out_rate = AUDIO_SR;
  size_t olen = (size_t)ceil((double)n * out_rate / in_rate);
  if (reserve(&buf->x, &buf->cap, olen + 1)) {
    snprintf(err, errlen, "out of memory resampling %zu samples", n);
    return -1;
  }
  soxr_error_t e = NULL;
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_t soxr = soxr_create(in_rate, out_rate, 1, &e, &io, &q, NULL);
  if (e) {
    snprintf(err, errlen, "cannot resample from %g Hz (soxr: %s)", in_rate, e);
    return -1;
  }
  size_t chunk = (size_t)(48000.0 * in_rate / out_rate), pos = 0, done = 0, odone = 0;
  while (pos + chunk < n && !e) {
    e = soxr_process(soxr, in + pos, chunk, NULL, buf->x + done, olen - done, &odone);
    done += odone, pos += chunk;
  }
  if (pos < n && !e) {
    e = soxr_process(soxr, in + pos, n - pos, NULL, buf->x + done, olen - done, &odone);
    done += odone;
  }
  if (done < olen && !e) {
    e = soxr_process(soxr, NULL, 0, NULL, buf->x + done, olen - done, &odone);
    done += odone;
  }
  soxr_delete(soxr);
  if (e) {
    snprintf(err, errlen, "resampling failed (soxr: %s)", e);
    return -1;
  }
  for (size_t i = done; i < olen; i++) buf->x[i] = 0.0f;
  buf->n = olen;
  return 0;
}

int audio_load(const char *path, audio_buf_t *buf, char *err, size_t errlen) {
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(err, errlen, "%s", errno == ENOENT ? "no such file" : strerror(errno));
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "is a directory");
    return -1;
  }
  if (st.st_size == 0) {
    snprintf(err, errlen, "empty file (0 bytes)");
    return -1;
  }
  SF_INFO info;
  memset(&info, 0, sizeof info);
  SNDFILE *sf = sf_open(path, SFM_READ, &info);
  if (!sf) {
    const char *why = sf_strerror(NULL);
    if (errno == EACCES) snprintf(err, errlen, "permission denied");
    else snprintf(err, errlen, "not a WAV/AIFF/AU/FLAC/OGG/MP3 file or corrupt header (libsndfile: %s)", why);
    return -1;
  }
  int rc = -1;
  if (info.channels < 1 || info.channels > 256 || info.samplerate < 1000 ||
      info.samplerate > 768000) {
    snprintf(err, errlen, "implausible header: %d channels at %d Hz", info.channels,
             info.samplerate);
    goto out;
  }
  /* A header may claim any length: the limit applies before anything is allocated. */
  double max_frames = AUDIO_MAX_SECONDS * info.samplerate;
  if (info.frames > 0 && info.frames < SF_COUNT_MAX && (double)info.frames > max_frames) {
    snprintf(err, errlen, "header declares %.0f s of audio, over the %.0f s limit",
             (double)info.frames / info.samplerate, AUDIO_MAX_SECONDS);
    goto out;
  }
  size_t ch = (size_t)info.channels, frames = 0;
  for (;;) {
    if (reserve(&buf->raw, &buf->raw_cap, (frames + READ_BLOCK) * ch)) {
      snprintf(err, errlen, "out of memory after %zu frames", frames);
      goto out;
    }
    sf_count_t got = sf_readf_float(sf, buf->raw + frames * ch, READ_BLOCK);
    if (got < 0) got = 0;
    frames += (size_t)got;
    if ((double)frames > max_frames) {
      snprintf(err, errlen, "longer than the %.0f s limit", AUDIO_MAX_SECONDS);
      goto out;
    }
    if (got < READ_BLOCK) break;
  }
  if (sf_error(sf) != SF_ERR_NO_ERROR && frames == 0) {
    snprintf(err, errlen, "cannot decode (libsndfile: %s)", sf_strerror(sf));
    goto out;
  }
  if (frames == 0) {
    snprintf(err, errlen, "no audio samples");
    goto out;
  }
  for (size_t i = 0; i < frames * ch; i++)
    if (!(fabsf(buf->raw[i]) <= AUDIO_MAX_AMPLITUDE)) {
      if (isfinite(buf->raw[i]))
        snprintf(err, errlen, "sample of magnitude %.3g at frame %zu, beyond the %g this tool accepts "
                 "(audio is within 1)", fabsf(buf->raw[i]), i / ch, AUDIO_MAX_AMPLITUDE);
      else
        snprintf(err, errlen, "NaN or Inf sample at frame %zu", i / ch);
      goto out;
    }
  /* to mono: float32 mean over channels (in place, frame i to slot i) */
  if (ch > 1)
    for (size_t i = 0; i < frames; i++) {
      float s = 0.0f;
      for (size_t c = 0; c < ch; c++) s += buf->raw[i * ch + c];
      buf->raw[i] = s / (float)ch;
    }
  buf->source_rate = info.samplerate;
  buf->source_channels = info.channels;
  if (info.samplerate == AUDIO_SR) {
    if (reserve(&buf->x, &buf->cap, frames)) {
      snprintf(err, errlen, "out of memory");
      goto out;
    }
    memcpy(buf->x, buf->raw, frames * sizeof(float));
    buf->n = frames;
  } else if (resample(buf->raw, frames, info.samplerate, buf, err, errlen)) {
    goto out;
  }
  rc = 0;
out:
  sf_close(sf);
  return rc;
}
