"""genre.extract: the features genre extract writes, as DataFrames and arrays."""
import ctypes
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait, FIRST_COMPLETED
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import _lib
from ._lib import lib


class Extraction(NamedTuple):
    """What genre.extract returns (unpacks as a tuple too).

    features_3_sec: the 3-s table (a row per segment), features_3_sec.csv's columns and values.
    features_30_sec: the whole-recording table (a row per input), features_30_sec.csv's.
    mel: the log-mel spectrograms, float32 [segments, 128, 130] in dB: one array for a
        single file or array, else a dict {file name: array} in input order.
    errors: [(file, reason)] of the inputs that could not be used (errors.csv's rows).
    """
    features_3_sec: pd.DataFrame
    features_30_sec: pd.DataFrame
    mel: object
    errors: list


COLUMNS = ["filename", "length"] + _lib.FEATURE_NAMES + ["label"]


class _Extractor(threading.local):
    """One C extractor per thread (its buffers are reused from file to file)."""

    def __init__(self):
        self.handle = lib.gapi_extractor_new()
        if not self.handle:
            raise MemoryError("genre: out of memory for an extractor")

    def __del__(self):
        if getattr(self, "handle", None):
            lib.gapi_extractor_free(self.handle)
            self.handle = None


_extractors = _Extractor()


def _run_one(path, samples, rate, cancel):
    """One input's features: (rows [S,F], whole [F], mel [S,128,130], samples) or raises."""
    handle = _extractors.handle
    out, err = _lib.Extraction(), _lib.error_buffer()
    if samples is None:
        rc = lib.gapi_extract(handle, _lib.encode(path), None, 0, 0, 0, cancel, ctypes.byref(out), err, len(err))
    else:
        frames, channels = samples.shape
        rc = lib.gapi_extract(handle, None, samples.ctypes.data, frames, channels, rate, cancel,
                              ctypes.byref(out), err, len(err))
    if rc:
        message = err.value.decode(errors="replace")
        if cancel and cancel._obj.value:
            raise KeyboardInterrupt
        if rc < 0:
            raise MemoryError(message)
        raise _Refused(message)
    S, F = out.segments, len(_lib.FEATURE_NAMES)
    rows = np.ctypeslib.as_array(out.rows, (S, F)).copy() if S else np.empty((0, F))
    whole = np.ctypeslib.as_array(out.whole, (F,)).copy()
    plane = _lib.MEL_BANDS * _lib.SEGMENT_FRAMES
    mel = (np.ctypeslib.as_array(out.mel, (S * plane,)).reshape(S, _lib.MEL_BANDS, _lib.SEGMENT_FRAMES).copy()
           if S else np.empty((0, _lib.MEL_BANDS, _lib.SEGMENT_FRAMES), np.float32))
    return rows, whole, mel, out.samples


class _Refused(Exception):
    pass


def _tables(done):
    """The two DataFrames from [(name, stem, label, rows, whole, samples)]."""
    seg_rows, whole_rows = [], []
    for name, stem, label, rows, whole, samples in done:
        for k in range(len(rows)):
            seg_rows.append((f"{stem}.{k}.wav", _lib.SEGMENT_SAMPLES, rows[k], label))
        whole_rows.append((name, samples, whole, label))

    def frame(items):
        F = len(_lib.FEATURE_NAMES)
        values = np.array([r[2] for r in items]).reshape(len(items), F) if items else np.empty((0, F))
        df = pd.DataFrame(values, columns=_lib.FEATURE_NAMES)
        df.insert(0, "length", np.array([r[1] for r in items], dtype=np.int64))
        df.insert(0, "filename", pd.Series([r[0] for r in items], dtype=object))
        df["label"] = pd.Series([r[3] for r in items], dtype=object)
        return df

    return frame(seg_rows), frame(whole_rows)


def _as_samples(array, sr):
    """A 1-D (samples) or 2-D (channels, samples) array as interleaved float32 frames."""
    if sr is None:
        raise ValueError("genre.extract: an array needs its sample rate: sr=...")
    if not isinstance(sr, (int, np.integer)) or not 1000 <= sr <= 768000:
        raise ValueError(f"genre.extract: sr={sr!r}: a whole number of Hz from 1000 to 768000")
    x = np.asarray(array)
    if x.dtype.kind not in "fiu":
        raise ValueError(f"genre.extract: an array of {x.dtype}, not of numbers")
    if x.ndim not in (1, 2):
        raise ValueError(f"genre.extract: a {x.ndim}-D array; audio is 1-D (samples) or 2-D (channels, samples)")
    if x.size == 0:
        raise ValueError("genre.extract: an empty array")
    if x.ndim == 2 and x.shape[0] > 256:
        raise ValueError(f"genre.extract: a {x.shape} array is read as (channels, samples), librosa's order: "
                         f"{x.shape[0]} channels is over 256 (soundfile's (samples, channels): pass array.T)")
    if x.dtype.kind in "iu":
        raise ValueError("genre.extract: integer samples: scale them to floats in [-1, 1) first "
                         "(e.g. x / 32768 for 16-bit), as librosa.load gives them")
    x = x.astype(np.float32, copy=False)
    bad = ~np.isfinite(x)
    if bad.any():
        at = np.argwhere(bad)[0]
        raise ValueError(f"genre.extract: NaN or Inf sample at {tuple(int(i) for i in at)}")
    frames = x.reshape(1, -1) if x.ndim == 1 else x
    return np.ascontiguousarray(frames.T)  # [frames][channels]


def _progress(done, total, start, show):
    if not show:
        return
    elapsed = time.monotonic() - start
    width = 24
    bar = "=" * int(width * done / total) + " " * (width - int(width * done / total))
    eta = elapsed / done * (total - done) if done else 0
    sys.stderr.write(f"\rextract [{bar}] {done}/{total} files  {elapsed:.0f} s  ETA {eta:.0f} s")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def extract(source, sr=None, jobs=None, labels=None, name="array", label="", mel=True, progress=None):
    """The features genre extract computes, in memory: no files written.

    source: an audio file, a folder (walked as the command walks it: audio files by
        extension, each labelled by its folder's name), a list of them, or a numpy
        array of samples — 1-D, or 2-D (channels, samples) as librosa's — at `sr` Hz
        (floats in [-1, 1) as librosa.load gives them; any rate: resampled as files are).
    jobs: files analysed at once (threads; default: every core).
    labels: a CSV of file -> label, as extract --labels.
    name, label: an array's file name and label in the tables.
    mel: keep the spectrograms (66 KB per 3-s segment: 0.66 GB for GTZAN's 1,000 tracks);
        False returns mel=None and holds the tables alone.
    progress: a progress line on stderr (default: on a terminal or in a notebook).

    Returns Extraction(features_3_sec, features_30_sec, mel, errors): the two tables
    with exactly the columns and values of features_3_sec.csv and features_30_sec.csv
    (the same doubles), the log-mel spectrograms as float32 [segments, 128, 130] (an
    array for one file or array, a dict {file name: array} for a folder or a list),
    and the inputs that failed as [(file, reason)] (a single file that fails raises).
    Ctrl-C stops it. The GIL is released while files are analysed.
    """
    if isinstance(source, np.ndarray):
        frames = _as_samples(source, sr)
        stem = os.path.splitext(name)[0] if "." in name else name
        cancel = ctypes.c_int(0)
        try:
            with _lib.single_blas:
                rows, whole, spectrograms, samples = _lib.interruptible(
                    lambda: _run_one(None, frames, int(sr), ctypes.byref(cancel)), cancel)
        except _Refused as e:
            raise _lib.InputError(f"genre.extract: the array: {e}") from None
        t3, t30 = _tables([(name, stem, label, rows, whole, samples)])
        return Extraction(t3, t30, spectrograms if mel else None, [])
    if sr is not None:
        raise ValueError("genre.extract: sr= is for arrays; files are read at their own rate")
    args = [source] if isinstance(source, (str, bytes, os.PathLike)) else list(source)
    single = len(args) == 1 and not os.path.isdir(args[0])
    inputs = _list_inputs(args, labels)
    with _lib.single_blas:
        done, errors = _run_all(inputs, jobs, _lib.interactive() if progress is None else progress, mel)
    if single and errors:
        _lib.raise_for(f"{errors[0][0]}: {errors[0][1]}", errors[0][0])
    t3, t30 = _tables([d[:3] + d[4:] for d in done])
    spectrograms = None if not mel else done[0][3] if single else {d[0]: d[3] for d in done}
    return Extraction(t3, t30, spectrograms, errors)


def _list_inputs(args, labels):
    err = _lib.error_buffer()
    handle, text = _lib.run_command(lib.gapi_inputs, _lib.strings(args), len(args),
                                    _lib.encode(labels) if labels else None, err, len(err))
    if not handle:
        raise _lib.InputError(err.value.decode(errors="replace") or _lib.last_error(text, "genre.extract: no inputs"))
    def text(value):
        return value.decode(errors="surrogateescape") if value is not None else None

    try:  # (path, name, stem, label, error) of each input
        return [tuple(text(lib.gapi_input(handle, i, f)) for f in range(5))
                for i in range(lib.gapi_inputs_count(handle))]
    finally:
        lib.gapi_inputs_free(handle)


def _run_all(inputs, jobs, show, keep_mel):
    """Every input through a pool of threads (each call releases the GIL), in input order."""
    jobs = jobs or os.cpu_count() or 1
    cancel = ctypes.c_int(0)
    cancel_ref = ctypes.byref(cancel)
    results = [None] * len(inputs)
    start = time.monotonic()

    def one(i):
        path, name, stem, label, error = inputs[i]
        if error:
            return i, None, error
        try:
            rows, whole, mel, samples = _run_one(path, None, 0, cancel_ref)
            return i, (rows, whole, mel if keep_mel else None, samples), None
        except _Refused as e:
            return i, None, str(e)

    with ThreadPoolExecutor(max_workers=min(jobs, len(inputs))) as pool:
        pending = {pool.submit(one, i) for i in range(len(inputs))}
        finished = 0
        try:
            while pending:
                ready, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for f in ready:
                    i, value, error = f.result()
                    results[i] = (value, error)
                    finished += 1
                if ready:
                    _progress(finished, len(inputs), start, show)
        except KeyboardInterrupt:
            cancel.value = 1
            for f in pending:
                f.cancel()
            raise
    done, errors = [], []
    for (path, name, stem, label, _), (value, error) in zip(inputs, results):
        if error:
            errors.append((path, error))
        else:
            rows, whole, mel, samples = value
            done.append((name, stem, label, mel, rows, whole, samples))
    return done, errors
