#!/usr/bin/python3
"""scikit-learn beside genre's classical kinds (make test's test_classic).

classic_check.py knn K WEIGHTS TRAIN.csv TEST.csv PREDICTIONS.csv
classic_check.py svm C KERNEL TRAIN.csv TEST.csv PREDICTIONS.csv
classic_check.py logreg C - TRAIN.csv TEST.csv PREDICTIONS.csv
classic_check.py gbdt|rf SEED - TRAIN.csv TEST.csv PREDICTIONS.csv

Standardises TRAIN's feature columns (every column but filename, length and
label) as genre does (population standard deviation, values rounded to
float32), fits KNeighborsClassifier(n_neighbors=K, weights=WEIGHTS),
SVC(C=C, kernel=KERNEL, gamma='scale', probability=True, random_state=0) or
LogisticRegression(C=C) (its defaults: lbfgs, multinomial), or trains
python3-xgboost with the parameters genre's gbdt and rf presets give the C
API (hist trees, multi:softprob, seed SEED, one thread),
predicts TEST, and compares with genre evaluate --predictions (PREDICTIONS:
name, label, predicted, p_<label>...): genre's `predicted` is the arg-max of
its probabilities, compared with the arg-max of predict_proba (like with
like). Prints one line: rows, labels that agree, worst |difference| of the
probabilities, and how often SVC.predict's one-against-one vote agrees with
genre's (its `vote` column for an SVM). Exit 0 when it ran.
"""
import csv
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def table(path):
    rows = list(csv.reader(open(path, newline="")))
    head = rows[0]
    cols = [i for i, h in enumerate(head) if h not in ("filename", "length", "label")]
    x = np.array([[float(r[i]) for i in cols] for r in rows[1:]], dtype=np.float32).astype(np.float64)
    return x, [r[head.index("label")] for r in rows[1:]], [r[head.index("filename")] for r in rows[1:]]


def trees(kind, seed, za, ya, zb, names, preds):
    import xgboost as xgb
    classes = sorted(set(ya))
    params = {"objective": "multi:softprob", "num_class": len(classes), "tree_method": "hist", "max_depth": 6,
              "seed": seed, "nthread": 1, "verbosity": 0}
    if kind == "gbdt":
        params.update({"eta": 0.3, "subsample": 1.0, "colsample_bytree": 1.0})
        rounds = 100
    else:
        params.update({"eta": 1.0, "subsample": 0.8, "colsample_bynode": 0.8, "num_parallel_tree": 100, "lambda": 1e-5})
        rounds = 1
    train = xgb.DMatrix(za.astype(np.float32), label=[classes.index(y) for y in ya])
    probs = xgb.train(params, train, rounds).predict(xgb.DMatrix(zb.astype(np.float32)))
    ours = {r["name"]: r for r in csv.DictReader(open(preds, newline=""))}
    agree, worst = 0, 0.0
    for name, p in zip(names, probs):
        r = ours[name]
        agree += r["predicted"] == classes[int(p.argmax())]
        worst = max(worst, max(abs(float(r["p_" + c]) - v) for c, v in zip(classes, p)))
    print("%d rows, %d labels agree, worst |difference| of the probabilities %.3g; predict's votes agree on %d"
          % (len(names), agree, worst, agree))


def main():
    kind, a, b, train, test, preds = sys.argv[1:7]
    xa, ya, _ = table(train)
    xb, _, names = table(test)
    scaler = StandardScaler().fit(xa)
    # genre standardises in float32, as it reads the table
    za = ((xa - scaler.mean_) / scaler.scale_).astype(np.float32).astype(np.float64)
    zb = ((xb - scaler.mean_) / scaler.scale_).astype(np.float32).astype(np.float64)
    if kind == "knn":
        model = KNeighborsClassifier(n_neighbors=int(a), weights=b)
    elif kind in ("gbdt", "rf"):
        return trees(kind, int(a), za, ya, zb, names, preds)
    elif kind == "svm":
        model = SVC(C=float(a), kernel=b, gamma="scale", probability=True, random_state=0)
    else:
        model = LogisticRegression(C=float(a))
    model.fit(za, ya)
    probs = model.predict_proba(zb)
    labels = model.classes_[probs.argmax(axis=1)]
    votes = model.predict(zb)
    ours = {r["name"]: r for r in csv.DictReader(open(preds, newline=""))}
    agree, agree_votes, worst = 0, 0, 0.0
    for name, label, vote, p in zip(names, labels, votes, probs):
        r = ours[name]
        agree += r["predicted"] == label
        agree_votes += r.get("vote", r["predicted"]) == vote
        worst = max(worst, max(abs(float(r["p_" + c]) - v) for c, v in zip(model.classes_, p)))
    print("%d rows, %d labels agree, worst |difference| of the probabilities %.3g; predict's votes agree on %d"
          % (len(names), agree, worst, agree_votes))


if __name__ == "__main__":
    main()
