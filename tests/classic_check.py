#!/usr/bin/python3
"""scikit-learn beside genre's classical kinds (make test's test_classic).

classic_check.py knn K WEIGHTS TRAIN.csv TEST.csv PREDICTIONS.csv

Fits scikit-learn's StandardScaler (population standard deviation, as genre's
scaler) and KNeighborsClassifier(n_neighbors=K, weights=WEIGHTS) on TRAIN's
feature columns (every column but filename, length and label), predicts TEST,
and compares with genre evaluate --predictions (PREDICTIONS: name, label,
predicted, p_<label>...). Prints one line: rows, labels that agree, worst
|difference| of the probabilities. Exit 0 when it ran.
"""
import csv
import sys

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler


def table(path):
    rows = list(csv.reader(open(path, newline="")))
    head = rows[0]
    cols = [i for i, h in enumerate(head) if h not in ("filename", "length", "label")]
    x = np.array([[float(r[i]) for i in cols] for r in rows[1:]], dtype=np.float32).astype(np.float64)
    return x, [r[head.index("label")] for r in rows[1:]], [r[head.index("filename")] for r in rows[1:]]


def main():
    _, k, weights, train, test, preds = sys.argv[1:7]
    xa, ya, _ = table(train)
    xb, _, names = table(test)
    scaler = StandardScaler().fit(xa)
    model = KNeighborsClassifier(n_neighbors=int(k), weights=weights).fit(scaler.transform(xa), ya)
    # genre standardises in float32, as it reads the table
    za = ((xa - scaler.mean_) / scaler.scale_).astype(np.float32).astype(np.float64)
    zb = ((xb - scaler.mean_) / scaler.scale_).astype(np.float32).astype(np.float64)
    model.fit(za, ya)
    labels, probs = model.predict(zb), model.predict_proba(zb)
    ours = {r["name"]: r for r in csv.DictReader(open(preds, newline=""))}
    agree, worst = 0, 0.0
    for name, label, p in zip(names, labels, probs):
        r = ours[name]
        agree += r["predicted"] == label
        worst = max(worst, max(abs(float(r["p_" + c]) - v) for c, v in zip(model.classes_, p)))
    print("%d rows, %d labels agree, worst |difference| of the probabilities %.3g" % (len(names), agree, worst))


if __name__ == "__main__":
    main()
