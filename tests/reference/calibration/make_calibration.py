#!/usr/bin/python3
"""Reference values for test_stats' calibration checks, computed by
sklearn 1.2 (Debian's python3-sklearn) and numpy, not by genre.

make_calibration.py DIR  writes DIR/probs.csv (label,p0..p9: 600 rows from a
seeded generator, some of them overconfident, some with the top probability on
a bin edge) and DIR/values.csv (ece,brier,log_loss, then per bin:
bin,count,confidence,accuracy).
"""
import csv
import sys

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import log_loss

K, N, BINS = 10, 600, 15


def rows():
    rng = np.random.RandomState(2026)
    z = rng.normal(size=(N, K)) * rng.uniform(0.3, 4.0, size=(N, 1))
    y = rng.randint(0, K, size=N)
    z[np.arange(N), y] += rng.uniform(-1, 3, size=N)   # right more often than chance
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    for i, top in enumerate([0.6, 1.0, 1 / 3, 0.2, 0.8]):  # top probabilities on bin edges
        p[i] = (1 - top) / (K - 1)
        p[i, i % K] = top
    return p, y


def main():
    out = sys.argv[1]
    p, y = rows()
    with open(out + "/probs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label"] + ["p%d" % k for k in range(K)])
        for yi, pi in zip(y, p):
            w.writerow([yi] + ["%.17g" % v for v in pi])
    conf = p.max(1)
    hit = (p.argmax(1) == y).astype(float)
    prob_true, prob_pred = calibration_curve(hit, conf, n_bins=BINS, strategy="uniform")
    bins = np.linspace(0.0, 1.0, BINS + 1)
    ids = np.searchsorted(bins[1:-1], conf)
    counts = np.bincount(ids, minlength=BINS)
    ece = float(np.sum(counts[counts > 0] / N * np.abs(prob_true - prob_pred)))
    onehot = np.eye(K)[y]
    brier = float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    ll = float(log_loss(y, p, labels=list(range(K))))
    with open(out + "/values.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ece", "brier", "log_loss"])
        w.writerow(["%.17g" % ece, "%.17g" % brier, "%.17g" % ll])
        w.writerow(["bin", "count", "confidence", "accuracy"])
        nonempty = iter(zip(prob_pred, prob_true))
        for b in range(BINS):
            c, a = next(nonempty) if counts[b] else (float("nan"), float("nan"))
            w.writerow([b, counts[b], "%.17g" % c, "%.17g" % a])


if __name__ == "__main__":
    main()
