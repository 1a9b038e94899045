#include "audio.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_BLOCK 65536 /* frames per sf_readf_float call */

void audio_buf_free(audio_buf_t *buf) {
  free(buf->x);
  memset(buf, 0, sizeof *buf);
}

/* Reading in blocks: decoded frames are checked and downmixed block by block,
 * and resampled as they come, so memory does not grow with the length. */
struct audio_reader {
  SNDFILE *sf;               /* NULL: samples in memory */
  const float *mem;          /* [mem_frames][channels] */
  size_t mem_frames;
  SF_INFO info;
  size_t block;             /* frames per sf_readf_float call */
  float *raw;               /* [block * channels] */
  float *mono;              /* [block] */
  unsigned long long frames; /* source frames read so far */
  double claimed;           /* frames the header's data chunk claims (libsndfile trims its count to the file) */
  double max_frames;
  soxr_t soxr;              /* NULL at 22050 Hz */
  size_t chunk;             /* python-soxr's input chunk */
  float *pending;           /* source samples not yet given to soxr */
  size_t n_pending, pending_cap;
  float *out;               /* resampled block */
  size_t out_cap;
  unsigned long long produced; /* samples returned so far */
  int eof, flushed;
};

static int reserve(float **p, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 1 << 16;
  while (c < need) c *= 2;
  float *q = realloc(*p, c * sizeof *q);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

void audio_close(audio_reader_t *r) {
  if (!r) return;
  if (r->sf) sf_close(r->sf);
  if (r->soxr) soxr_delete(r->soxr);
  free(r->raw), free(r->mono), free(r->pending), free(r->out), free(r);
}

/* The checks a file must pass before anything is decoded. 0, or -1 with err. */
static int check_file(const char *path, char *err, size_t errlen) {
  struct stat st;
  if (stat(path, &st) != 0)
    return snprintf(err, errlen, "%s", errno == ENOENT ? "no such file" : strerror(errno)), -1;
  if (S_ISDIR(st.st_mode)) return snprintf(err, errlen, "is a directory"), -1;
  if (!S_ISREG(st.st_mode)) return snprintf(err, errlen, "not a regular file (a pipe, socket or device)"), -1;
  if (st.st_size == 0) return snprintf(err, errlen, "empty file (0 bytes)"), -1;
  return 0;
}

/* What the data chunk's header claims, in frames: libsndfile trims a claim
 * larger than the file and says so in its log ("data : 529200 (should be
 * 299956)", "SSND : ..." for AIFF); 0 when it says nothing of the kind. */
static double claimed_frames(SNDFILE *sf, const SF_INFO *info) {
  char log[8192];
  sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
  log[sizeof log - 1] = '\0';
  for (char *line = log; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    unsigned long long said, real;
    if ((strncmp(line, "data", 4) == 0 || strncmp(line, "SSND", 4) == 0) &&
        sscanf(line + 4, " : %llu (should be %llu)", &said, &real) == 2 && said > real && real > 0)
      return (double)info->frames * (double)said / (double)real;
  }
  return 0;
}

static audio_reader_t *reader_setup(audio_reader_t *r, char *err, size_t errlen);

audio_reader_t *audio_open(const char *path, char *err, size_t errlen) {
  if (check_file(path, err, errlen)) return NULL;
  audio_reader_t *r = calloc(1, sizeof *r);
  if (!r) return snprintf(err, errlen, "out of memory"), NULL;
  /* libsndfile keeps the reason a file failed to open in one global, not per
     thread: the open and the reading of its reason go together */
  static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&open_lock);
  r->sf = sf_open(path, SFM_READ, &r->info);
  if (!r->sf) {
    int sys = errno;
    char why[200];
    snprintf(why, sizeof why, "%s", sf_strerror(NULL));
    pthread_mutex_unlock(&open_lock);
    if (sys == EACCES) snprintf(err, errlen, "permission denied");
    else if (strstr(why, "possibly a pipe")) /* its guess adds nothing: check_file saw a regular file */
      snprintf(err, errlen, "not a WAV/AIFF/AU/FLAC/OGG/MP3 file or corrupt header");
    else snprintf(err, errlen, "not a WAV/AIFF/AU/FLAC/OGG/MP3 file or corrupt header (libsndfile: %s)", why);
    return audio_close(r), NULL;
  }
  pthread_mutex_unlock(&open_lock);
  return reader_setup(r, err, errlen);
}

audio_reader_t *audio_open_memory(const float *x, size_t frames, int channels, int rate, char *err, size_t errlen) {
  if (frames == 0) return snprintf(err, errlen, "no audio samples"), NULL;
  audio_reader_t *r = calloc(1, sizeof *r);
  if (!r) return snprintf(err, errlen, "out of memory"), NULL;
  r->mem = x, r->mem_frames = frames;
  r->info.channels = channels, r->info.samplerate = rate, r->info.frames = (sf_count_t)frames;
  return reader_setup(r, err, errlen);
}

/* What follows opening: the header's checks, the buffers, the resampler. */
static audio_reader_t *reader_setup(audio_reader_t *r, char *err, size_t errlen) {
  SF_INFO *info = &r->info;
  if (info->channels < 1 || info->channels > 256 || info->samplerate < 1000 || info->samplerate > 768000) {
    snprintf(err, errlen, "implausible header: %d channels at %d Hz", info->channels, info->samplerate);
    return audio_close(r), NULL;
  }
  /* A header may claim any length: an absurd claim is refused before decoding. */
  r->max_frames = AUDIO_MAX_SECONDS * info->samplerate;
  if (info->frames > 0 && info->frames < SF_COUNT_MAX && (double)info->frames > r->max_frames) {
    snprintf(err, errlen, "header declares %.0f s of audio, over the %.0f s limit",
             (double)info->frames / info->samplerate, AUDIO_MAX_SECONDS);
    return audio_close(r), NULL;
  }
  r->claimed = r->sf ? claimed_frames(r->sf, info) : 0;
  r->block = READ_BLOCK / (size_t)info->channels < 4096 ? 4096 : READ_BLOCK / (size_t)info->channels;
  r->raw = malloc(r->block * (size_t)info->channels * sizeof(float));
  r->mono = malloc(r->block * sizeof(float));
  if (!r->raw || !r->mono) return snprintf(err, errlen, "out of memory"), audio_close(r), NULL;
  if (info->samplerate != AUDIO_SR) {
    soxr_error_t e = NULL;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    r->soxr = soxr_create(info->samplerate, AUDIO_SR, 1, &e, &io, &q, NULL);
    if (e) {
      snprintf(err, errlen, "cannot resample from %d Hz (soxr: %s)", info->samplerate, e);
      return audio_close(r), NULL;
    }
    r->chunk = (size_t)(48000.0 * info->samplerate / AUDIO_SR);
  }
  return r;
}

double audio_missing_seconds(const audio_reader_t *r) {
  if (r->claimed <= (double)r->frames) return 0;
  return (r->claimed - (double)r->frames) / r->info.samplerate;
}

void audio_downmix(const float *x, size_t frames, size_t channels, float *mono) {
  for (size_t i = 0; i < frames; i++) {
    if (channels == 1) {
      mono[i] = x[i];
      continue;
    }
    float s = 0.0f;
    for (size_t c = 0; c < channels; c++) s += x[i * channels + c];
    mono[i] = s / (float)channels;
  }
}

/* The next block of source frames, checked and downmixed into r->mono.
 * Frames read (0 at the end), or -1 with err. */
static long read_mono(audio_reader_t *r, char *err, size_t errlen) {
  size_t ch = (size_t)r->info.channels;
  sf_count_t got;
  if (r->sf) got = sf_readf_float(r->sf, r->raw, (sf_count_t)r->block);
  else { /* from memory: the same blocks */
    got = (sf_count_t)(r->mem_frames - r->frames < r->block ? r->mem_frames - r->frames : r->block);
    memcpy(r->raw, r->mem + r->frames * ch, (size_t)got * ch * sizeof(float));
  }
  if (got <= 0) {
    if (r->sf && sf_error(r->sf) != SF_ERR_NO_ERROR && r->frames == 0)
      return snprintf(err, errlen, "cannot decode (libsndfile: %s)", sf_strerror(r->sf)), -1;
    if (r->frames == 0) return snprintf(err, errlen, "no audio samples"), -1;
    return 0;
  }
  size_t n = (size_t)got;
  if ((double)(r->frames + n) > r->max_frames)
    return snprintf(err, errlen, "longer than the %.0f s limit", AUDIO_MAX_SECONDS), -1;
  for (size_t i = 0; i < n * ch; i++)
    if (!(fabsf(r->raw[i]) <= AUDIO_MAX_AMPLITUDE)) {
      unsigned long long at = r->frames + i / ch;
      if (isfinite(r->raw[i]))
        snprintf(err, errlen, "sample of magnitude %.3g at frame %llu, beyond the %g this tool accepts "
                 "(audio is within 1)", fabsf(r->raw[i]), at, AUDIO_MAX_AMPLITUDE);
      else
        snprintf(err, errlen, "NaN or Inf sample at frame %llu", at);
      return -1;
    }
  audio_downmix(r->raw, n, ch, r->mono);
  r->frames += n;
  return (long)n;
}

/* Gives soxr what python-soxr would: chunks of r->chunk source samples while
 * more than a chunk is pending, the rest at the end, then the flush. */
static int resample_pending(audio_reader_t *r, size_t *n_out, char *err, size_t errlen) {
  size_t fed = 0, odone;
  *n_out = 0;
  for (;;) {
    size_t left = r->n_pending - fed, give = left > r->chunk ? r->chunk : r->eof ? left : 0;
    int flush = r->eof && left == 0 && !r->flushed;
    if (!give && !flush) break;
    size_t room = (size_t)((double)(give ? give : r->chunk) * AUDIO_SR / r->info.samplerate) + 8192;
    if (reserve(&r->out, &r->out_cap, *n_out + room)) return snprintf(err, errlen, "out of memory resampling"), -1;
    soxr_error_t e = soxr_process(r->soxr, give ? r->pending + fed : NULL, give, NULL, r->out + *n_out,
                                  r->out_cap - *n_out, &odone);
    if (e) return snprintf(err, errlen, "resampling failed (soxr: %s)", e), -1;
    *n_out += odone;
    fed += give;
    if (flush) {
      if (odone == 0) r->flushed = 1; /* drained */
      continue;
    }
    if (give < r->chunk && !r->eof) break;
  }
  memmove(r->pending, r->pending + fed, (r->n_pending - fed) * sizeof(float));
  r->n_pending -= fed;
  return 0;
}

long audio_read(audio_reader_t *r, const float **out, char *err, size_t errlen) {
  for (;;) {
    if (r->flushed || (r->eof && !r->soxr)) return 0;
    long n = r->eof ? 0 : read_mono(r, err, errlen);
    if (n < 0) return -1;
    if (n == 0) r->eof = 1;
    if (!r->soxr) {
      *out = r->mono;
      if (n) return r->produced += (unsigned long long)n, n;
      continue;
    }
    if (reserve(&r->pending, &r->pending_cap, r->n_pending + (size_t)n))
      return snprintf(err, errlen, "out of memory"), -1;
    memcpy(r->pending + r->n_pending, r->mono, (size_t)n * sizeof(float));
    r->n_pending += (size_t)n;
    size_t got;
    if (resample_pending(r, &got, err, errlen)) return -1;
    /* librosa cuts the result to ceil(n * out / in) samples */
    if (r->eof) {
      unsigned long long want = (unsigned long long)ceil((double)r->frames * AUDIO_SR / r->info.samplerate);
      if (r->produced + got > want) got = want > r->produced ? (size_t)(want - r->produced) : 0;
      if (r->flushed && r->produced + got < want) { /* and zero-pads it */
        size_t pad = (size_t)(want - r->produced - got);
        if (reserve(&r->out, &r->out_cap, got + pad)) return snprintf(err, errlen, "out of memory"), -1;
        memset(r->out + got, 0, pad * sizeof(float));
        got += pad;
      }
    }
    if (got) {
      *out = r->out;
      r->produced += got;
      return (long)got;
    }
  }
}

int audio_load(const char *path, audio_buf_t *buf, char *err, size_t errlen) {
  audio_reader_t *r = audio_open(path, err, errlen);
  if (!r) return -1;
  buf->n = 0;
  const float *x;
  long n;
  while ((n = audio_read(r, &x, err, errlen)) > 0) {
    if (reserve(&buf->x, &buf->cap, buf->n + (size_t)n)) {
      snprintf(err, errlen, "out of memory after %zu samples", buf->n);
      n = -1;
      break;
    }
    memcpy(buf->x + buf->n, x, (size_t)n * sizeof(float));
    buf->n += (size_t)n;
  }
  buf->source_rate = r->info.samplerate;
  buf->source_channels = r->info.channels;
  audio_close(r);
  return n < 0 ? -1 : 0;
}
