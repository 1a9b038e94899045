#!/usr/bin/python3
"""An independent reader of genre export's graphs (make test's test_onnx).

onnx_check.py MODEL.onnx OUTDIR PREDICTIONS.csv [--runtime opencv|torch]

Checks the graph with onnx.checker, then runs it in OpenCV's dnn module on
what genre extract wrote in OUTDIR (feature rows in the card's column order,
mel/<stem>.npy segments) and compares the probabilities with genre predict's
(PREDICTIONS.csv: --segments --format csv, or one row per file for a
whole-recording model), in batches of 10 rows. Prints one line: rows, worst |difference|, the
worst row, and the bar: 1e-5, divided by the smallest temperature below 1
(a temperature T multiplies the network's float differences by up to 1/T).
Exit 0 when it ran (the caller judges the figure), 1 on an error.
"""
import csv
import json
import os
import sys

import numpy as np

BATCH = 10


def rows_of(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        return head, [row for row in r]


def main():
    onnx_path, outdir, pred_path = sys.argv[1:4]
    import onnx
    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    card = json.load(open(onnx_path[:-5] + ".json"))
    classes = card["classes"]
    segment = card["unit"] == "3-s segment"
    inputs = {i["name"]: i for i in card["inputs"]}

    head, preds = rows_of(pred_path)
    pcols = [head.index("p_" + c) for c in classes]
    fcol = head.index("file")
    scol = head.index("segment") if segment else None

    feats = {}
    if "features" in inputs:
        table = os.path.join(outdir, "features_3_sec.csv" if segment else "features_30_sec.csv")
        th, trows = rows_of(table)
        cols = [th.index(c) for c in inputs["features"]["columns"]]
        for row in trows:
            feats[row[0]] = np.array([float(row[c]) for c in cols], dtype=np.float32)
    mels = {}
    if "logmel" in inputs:
        _, irows = rows_of(os.path.join(outdir, "mel", "index.csv"))
        for row in irows:
            mels[row[3]] = os.path.join(outdir, "mel", row[0])

    import cv2
    net = cv2.dnn.readNetFromONNX(onnx_path)
    keys, blobs, wants = [], {}, []
    for row in preds:
        src = os.path.basename(row[fcol])
        stem, ext = os.path.splitext(src)
        if "features" in inputs:
            key = "%s.%s%s" % (stem, row[scol], ext) if segment else src
            blobs.setdefault("features", []).append(feats[key])
        if "logmel" in inputs:
            blobs.setdefault("logmel", []).append(np.load(mels[src])[int(row[scol])][None, :, :].astype(np.float32))
        wants.append(np.array([float(row[c]) for c in pcols]))
        keys.append("%s segment %s" % (src, row[scol] if segment else "-"))
    # batches of BATCH rows, as a runtime serving many segments feeds them
    worst, worst_row, n = 0.0, "", len(wants)
    for at in range(0, n, BATCH):
        for name, rows in blobs.items():
            net.setInput(np.stack(rows[at:at + BATCH]), name)
        p = net.forward("probabilities")
        for i in range(p.shape[0]):
            d = float(np.max(np.abs(p[i] - wants[at + i])))
            if d > worst:
                worst, worst_row = d, keys[at + i]
    # a temperature T < 1 (p^(1/T)) multiplies the network's float differences by up to 1/T
    t_min = min([float(m.get("temperature", 1)) for m in card["models"]] + [1.0])
    print("%d rows in batches of %d, worst |difference| %.3g (%s); bar %.3g (1e-5 / min(1, T) with T %.3g)"
          % (n, BATCH, worst, worst_row or "none", 1e-5 / t_min, t_min))


if __name__ == "__main__":
    main()
