#!/usr/bin/python3
"""An independent check of genre embed (make test's test_onnx).

embed_check.py MODEL.onnx EMBED_DIR PREDICTIONS.csv

The default embedding is what a model's last dense layer takes: the graph's
last Gemm applied to DIR/segments.npy, then a softmax, must give genre
predict's probabilities (PREDICTIONS.csv, --segments, the same inputs in the
same order); and DIR/tracks.npy must hold each recording's mean of its
segments. Prints both worst differences. Exit 0 when it ran.
"""
import csv
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    onnx_path, edir, pred = sys.argv[1:4]
    g = onnx.load(onnx_path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    gemm = [n for n in g.node if n.op_type == "Gemm"][-1]
    w, b = init[gemm.input[1]], init[gemm.input[2]]
    seg = np.load(edir + "/segments.npy").astype(np.float64)
    z = seg @ w.T.astype(np.float64) + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = list(csv.reader(open(pred)))
    head = rows[0]
    first = head.index("probability") + 1
    want = np.array([[float(v) for v in r[first:]] for r in rows[1:]])
    tracks = np.load(edir + "/tracks.npy").astype(np.float64)
    worst_mean = 0.0
    for r in list(csv.reader(open(edir + "/tracks.csv")))[1:]:
        idx = [int(s[4]) for s in list(csv.reader(open(edir + "/segments.csv")))[1:] if s[0] == r[0]]
        worst_mean = max(worst_mean, float(np.max(np.abs(seg[idx].mean(axis=0) - tracks[int(r[2])]))))
    print("%d segments: classifier from the embedding, worst |difference| %.3g; track means, worst %.3g"
          % (len(seg), float(np.max(np.abs(p - want))) if p.shape == want.shape else float("inf"), worst_mean))


if __name__ == "__main__":
    main()
