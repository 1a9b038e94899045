/* Decoding as librosa.load(path, sr=22050, mono=True) does it: samples as
 * float32 in [-1, 1) (libsndfile: wav, aiff, au, flac, ogg/vorbis/opus, mp3),
 * channels averaged, resampled with soxr at its "HQ" recipe when the file is
 * not at 22050 Hz. */
#ifndef GENRE_AUDIO_H
#define GENRE_AUDIO_H

#include <stddef.h>

#define AUDIO_SR 22050
/* Longer inputs (or headers claiming more) are refused: no recording runs for
 * a week, and decoding one would take hours. Below it, memory does not
 * depend on the length (audio_read streams). */
#define AUDIO_MAX_SECONDS 604800.0
/* Float files may hold any value; beyond this magnitude (120 dB over full
 * scale) the power spectra would overflow float32, so such files are refused
 * like NaN and Inf samples. */
#define AUDIO_MAX_AMPLITUDE 1e6

/* A reusable sample buffer: it keeps its allocation between files. */
typedef struct audio_buf {
  float *x;   /* mono samples at AUDIO_SR */
  size_t n;   /* samples */
  size_t cap; /* allocated samples */
  int source_rate, source_channels;
} audio_buf_t;

/* Interleaved frames to mono: the float32 mean over channels, in channel
 * order (librosa's to_mono on float32 samples). */
void audio_downmix(const float *x, size_t frames, size_t channels, float *mono);

/* A file decoded block by block: mono float32 at AUDIO_SR, exactly the
 * samples audio_load gives, without holding them. */
typedef struct audio_reader audio_reader_t;
/* Opens and checks path; NULL with the reason in err. */
audio_reader_t *audio_open(const char *path, char *err, size_t errlen);
/* The same reader over samples already in memory: x[frames][channels]
 * (interleaved float32, as libsndfile decodes a file) at `rate` Hz, which
 * must stay valid until audio_close. Every check and step of a file's
 * samples applies (downmix, soxr, librosa's length). NULL with the reason. */
audio_reader_t *audio_open_memory(const float *x, size_t frames, int channels, int rate, char *err, size_t errlen);
/* The next samples (*out is valid until the next call): their count, 0 at the
 * end, or -1 with the reason (a bad sample, a decoding error, too long). */
long audio_read(audio_reader_t *r, const float **out, char *err, size_t errlen);
void audio_close(audio_reader_t *r);
/* After the end: the seconds the header claimed beyond what the file held (a
 * header that promises more data than was written), else 0. */
double audio_missing_seconds(const audio_reader_t *r);

/* Loads path into buf. 0 on success; -1 with a reason in err (the caller adds
 * the file name), e.g. "not a WAV/AIFF/AU/FLAC/OGG/MP3 file (libsndfile: ...)". */
int audio_load(const char *path, audio_buf_t *buf, char *err, size_t errlen);
void audio_buf_free(audio_buf_t *buf);

#endif
