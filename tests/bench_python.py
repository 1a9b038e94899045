"""make bench: import genre beside the command (figures, not tests).
usage: bench_python.py GENRE CORPUS WORKDIR MODEL
  extraction per file, one thread: genre.extract(folder, jobs=1) against genre extract -j 1;
  a folder with jobs=2 against -j 2; predict_proba on 1,000 feature rows: the call's
  overhead beyond the library's own time (the same C call made bare)."""
import ctypes
import os
import shutil
import subprocess
import sys
import time

import numpy as np

import genre
from genre import _lib


def best(fn, runs=3):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def command(genre_bin, corpus, out, jobs):
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([genre_bin, "extract", "-o", out, "-j", str(jobs), "--no-progress", corpus], check=True,
                   stdout=subprocess.DEVNULL)


def main(genre_bin, corpus, work, model_path):
    files = sum(len([f for f in fs if f.endswith((".wav", ".au", ".mp3", ".flac", ".ogg"))])
                for _, _, fs in os.walk(corpus))
    out = os.path.join(work, "bench-python-out")
    for jobs in (1, 2):
        cmd = best(lambda: command(genre_bin, corpus, out, jobs))
        py = best(lambda: genre.extract(corpus, jobs=jobs, progress=False))
        print(f"  extract, {jobs} thread{'s' if jobs > 1 else ''}: genre.extract {1000 * py / files:.1f} ms/file, "
              f"genre extract -j {jobs} {1000 * cmd / files:.1f} ms/file ({files} files; python / command "
              f"{py / cmd:.3f})")
    t = genre.extract(corpus, jobs=2, progress=False).features_3_sec
    model = genre.load(model_path)
    X = t.iloc[np.arange(1000) % len(t)].reset_index(drop=True)
    rows = np.ascontiguousarray(X[model.inputs].to_numpy(np.float64))
    out_p = np.empty((1000, len(model.classes)))
    err = _lib.error_buffer()

    def bare():
        with _lib.single_blas:
            _lib.lib.gapi_model_proba(model._h, rows.ctypes.data, None, 1000, out_p.ctypes.data, err, len(err))

    reps = 200
    raw = best(lambda: [bare() for _ in range(reps)]) / reps
    df = best(lambda: [model.predict_proba(X) for _ in range(reps)]) / reps
    arr = best(lambda: [model.predict_proba(rows) for _ in range(reps)]) / reps
    print(f"  predict_proba, 1,000 rows ({model.kind}, {len(model.inputs)} features): the library {1000 * raw:.3f} ms; "
          f"from an array {1000 * arr:.3f} ms (+{1000 * (arr - raw):.3f} ms), from a DataFrame by column name "
          f"{1000 * df:.3f} ms (+{1000 * (df - raw):.3f} ms)")
    try:
        import librosa  # noqa: F401
        print("  librosa is importable here: time its recipe with the reference generator beside these figures")
    except ImportError:
        print("  librosa: not importable here (Debian 12 does not package it and no other registry is reachable); "
              "README compares with librosa 0.10.1's recorded time per track")


if __name__ == "__main__":
    main(*sys.argv[1:5])
