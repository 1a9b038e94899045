#!/usr/bin/python3
"""A CNN trained in PyTorch on genre extract's spectrograms, exported to ONNX
(make test's test_onnx: genre predict must give PyTorch's numbers).

onnx_torch.py OUTDIR WORK

Builds our default CNN's layers in PyTorch 1.13 (per-band standardisation,
5 x [Conv 3x3 "same", BatchNorm, ReLU], max-pooling 2 after the first four,
global average pooling, dropout, a linear layer: no Softmax, which genre adds),
trains it for a few steps on OUTDIR/mel/*.npy, writes WORK/torch.onnx with
torch.onnx.export, WORK/labels.txt (the classes, comma-separated) and
WORK/torch_probs.csv (source,segment,p_<label>...: the softmax of the model's
logits in eval mode for every segment).
"""
import csv
import os
import sys

import numpy as np
import torch
from torch import nn


def load(outdir):
    rows = list(csv.reader(open(os.path.join(outdir, "mel", "index.csv"))))[1:]
    labels = sorted({r[1] for r in rows})
    xs, ys, keys = [], [], []
    for r in rows:
        m = np.load(os.path.join(outdir, "mel", r[0])).astype(np.float32)
        for k in range(m.shape[0]):
            xs.append(m[k]), ys.append(labels.index(r[1])), keys.append((r[3], k))
    return np.stack(xs)[:, None], np.array(ys), keys, labels


class Net(nn.Module):
    def __init__(self, mean, std, k):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).reshape(1, 1, -1, 1))
        self.register_buffer("std", torch.tensor(std).reshape(1, 1, -1, 1))
        layers, c = [], 1
        for i, f in enumerate([8, 16, 32, 64, 128]):
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.BatchNorm2d(f), nn.ReLU()]
            if i < 4:
                layers.append(nn.MaxPool2d(2))
            c = f
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(c, k)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body((x - self.mean) / self.std)


def main():
    outdir, work = sys.argv[1:3]
    torch.manual_seed(0)
    x, y, keys, labels = load(outdir)
    mean = x.mean(axis=(0, 1, 3)).astype(np.float32)
    std = x.std(axis=(0, 1, 3)).astype(np.float32) + 1e-3
    net = Net(mean, std, len(labels))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for step in range(40):
        idx = torch.randint(0, len(x), (32,))
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    net.eval()
    torch.onnx.export(net, xt[:2], os.path.join(work, "torch.onnx"), input_names=["logmel"],
                      output_names=["logits"], dynamic_axes={"logmel": {0: "N"}, "logits": {0: "N"}},
                      opset_version=13)
    with torch.no_grad():
        p = torch.softmax(net(xt), dim=1).double().numpy()
    open(os.path.join(work, "labels.txt"), "w").write(",".join(labels))
    with open(os.path.join(work, "torch_probs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source", "segment"] + ["p_" + l for l in labels])
        for (src, k), row in zip(keys, p):
            w.writerow([src, k] + ["%.9g" % v for v in row])
    print("trained %d steps on %d segments (loss %.3f), %d classes" % (40, len(x), float(loss), len(labels)))


if __name__ == "__main__":
    main()
