#!/usr/bin/python3
"""Independent readers of genre experiment's report (make test's test_suite).

suite_check.py holm METRICS.json
    Recomputes every comparison's Holm-adjusted p-value from the `p` values
    of metrics.json's comparisons[] (Holm 1979, per metric and test) and
    prints the worst |difference| from `p_holm`, and the pairs compared.

suite_check.py sklearn FEATURES.csv FOLDS.csv OUT.csv
    The README's recipe for a model trained elsewhere: reads folds.csv
    (track,repeat,fold) and the 3-s feature table, trains scikit-learn's
    StandardScaler + LogisticRegression on every fold's other folds, and
    writes each test segment's probabilities as track,segment,p_<label>...
    for genre experiment --import.
"""
import csv
import json
import sys


def holm(path):
    comps = json.load(open(path))["comparisons"]
    worst, families = 0.0, {}
    for c in comps:
        families.setdefault((c["metric"], c["test"]), []).append(c)
    for rows in families.values():
        rows = sorted(rows, key=lambda c: c["p"])
        m, run = len(rows), 0.0
        for i, c in enumerate(rows):
            run = max(run, min(1.0, (m - i) * c["p"]))
            worst = max(worst, abs(run - c["p_holm"]))
    pairs = len({(c["a"], c["b"]) for c in comps})
    print(f"holm worst {worst:.3g} pairs {pairs} rows {len(comps)}")


def sklearn(features, folds, out):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = list(csv.reader(open(features, newline="")))
    head = rows[0]
    cols = [i for i, h in enumerate(head) if h not in ("filename", "length", "label")]
    x = np.array([[float(r[i]) for i in cols] for r in rows[1:]])
    names = [r[head.index("filename")] for r in rows[1:]]
    y = np.array([r[head.index("label")] for r in rows[1:]])
    track = [n.rsplit(".", 2)[0] for n in names]  # <stem>.<k>.wav
    fold = {r["track"]: int(r["fold"]) for r in csv.DictReader(open(folds)) if r["repeat"] == "1"}
    f = np.array([fold.get(t, 0) for t in track])
    labels = sorted(set(y))
    with open(out, "w", newline="") as o:
        w = csv.writer(o)
        w.writerow(["track", "segment"] + ["p_" + l for l in labels])
        for k in sorted(set(fold.values())):
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
            model.fit(x[(f != k) & (f > 0)], y[(f != k) & (f > 0)])
            p = model.predict_proba(x[f == k])
            order = [list(model.classes_).index(l) for l in labels]
            for i, row in zip(np.flatnonzero(f == k), p):
                w.writerow([track[i], names[i]] + [f"{row[j]:.9f}" for j in order])
    print("written", out)


if __name__ == "__main__":
    if sys.argv[1] == "holm":
        holm(sys.argv[2])
    else:
        sklearn(*sys.argv[2:5])
