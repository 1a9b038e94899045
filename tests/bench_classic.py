#!/usr/bin/python3
"""make bench: the classical kinds beside scikit-learn and python3-xgboost,
fit + predict over the same 10 folds, one thread each side.

bench_classic.py GENRE WORKDIR [TRACKS [KINDS]]

Writes a GTZAN-sized feature table (TRACKS tracks of 10 classes, default 999,
ten 3-s rows each, 57 features around a mean per class), the folds `genre
folds` gives, then times `genre cv KIND --threads 1 --no-calibrate` (the
whole command: reading the table too) and the Python peers' fit + predict_proba
on the same folds (the table read once, not timed). Prints a line per kind:
seconds on each side, the ratio, and each side's pooled accuracy.
"""
import csv
import os
import subprocess
import sys
import time

# one thread on the Python side too: numpy's and scikit-learn's BLAS, before they load
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

KINDS = sys.argv[4].split(",") if len(sys.argv) > 4 else ["knn", "logreg", "svm", "gbdt", "rf"]


def make_table(path, tracks):
    rng = np.random.default_rng(7)
    labels = ["c%d" % k for k in range(10)]
    means = rng.normal(0, 1, (10, 57))
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["filename", "length"] + ["f%d" % j for j in range(57)] + ["label"])
        for t in range(tracks):
            k = t % 10
            centre = means[k] + rng.normal(0, 1.2, 57)
            for s in range(10):
                x = centre + rng.normal(0, 1.0, 57)
                w.writerow(["%s.%05d.%d.wav" % (labels[k], t // 10, s), 66149] + ["%.6f" % v for v in x] + [labels[k]])


def peer(kind):
    if kind == "knn":
        from sklearn.neighbors import KNeighborsClassifier
        return lambda: KNeighborsClassifier(n_jobs=1)
    if kind == "logreg":
        from sklearn.linear_model import LogisticRegression
        return lambda: LogisticRegression()
    if kind == "svm":
        from sklearn.svm import SVC
        return lambda: SVC(probability=True, random_state=0)
    import xgboost as xgb
    if kind == "gbdt":
        return lambda: xgb.XGBClassifier(tree_method="hist", n_jobs=1, random_state=1)
    return lambda: xgb.XGBRFClassifier(tree_method="hist", n_jobs=1, random_state=1)


def python_side(kind, x, y, tracks, fold_of):
    from sklearn.preprocessing import StandardScaler
    make = peer(kind)
    folds = sorted(set(fold_of.values()))
    row_fold = np.array([fold_of[t] for t in tracks])
    right, t0 = 0, time.perf_counter()
    for f in folds:
        test = row_fold == f
        scaler = StandardScaler().fit(x[~test])
        model = make().fit(scaler.transform(x[~test]), y[~test])
        p = model.predict_proba(scaler.transform(x[test]))
        right += int((p.argmax(axis=1) == y[test]).sum())
    return time.perf_counter() - t0, right / len(y)


def main():
    genre, work = sys.argv[1:3]
    tracks = int(sys.argv[3]) if len(sys.argv) > 3 else 999
    os.makedirs(work, exist_ok=True)
    table, folds = os.path.join(work, "classic.csv"), os.path.join(work, "folds.csv")
    make_table(table, tracks)
    subprocess.run([genre, "folds", "--features", table, "--folds", "10", "-o", folds], check=True, stdout=subprocess.DEVNULL)
    fold_of = {r["track"]: int(r["fold"]) for r in csv.DictReader(open(folds))}
    rows = list(csv.reader(open(table)))[1:]
    x = np.array([[float(v) for v in r[2:-1]] for r in rows], dtype=np.float32).astype(np.float64)
    names = sorted({r[-1] for r in rows})
    y = np.array([names.index(r[-1]) for r in rows])
    track_of = [r[0].rsplit(".", 2)[0] for r in rows]
    print("  %d rows x 57 features, 10 classes, 10 folds over %d tracks; one thread each side" % (len(rows), tracks))
    for kind in KINDS:
        t0 = time.perf_counter()
        out = subprocess.run([genre, "cv", kind, "--features", table, "--folds", "10", "--threads", "1", "--no-calibrate"],
                             check=True, capture_output=True, text=True).stdout
        ours = time.perf_counter() - t0
        acc = next((l.split()[1] for l in out.splitlines() if l.startswith("accuracy ") and "+-" not in l), "?")
        theirs, their_acc = python_side(kind, x, y, track_of, fold_of)
        print("  %-6s genre %7.2f s (accuracy %s), %s %7.2f s (accuracy %.4f): %.2fx their time"
              % (kind, ours, acc, "xgboost" if kind in ("gbdt", "rf") else "scikit-learn", theirs, their_acc,
                 ours / theirs))


if __name__ == "__main__":
    main()
