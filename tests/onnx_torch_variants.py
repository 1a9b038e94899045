#!/usr/bin/python3
"""Ordinary PyTorch models, exported as torch.onnx.export writes them (make
test's test_onnx: genre predict must give PyTorch's probabilities, or refuse
with a message that says what to write instead).

onnx_torch_variants.py OUTDIR WORK

For each variant a small CNN on genre extract's spectrograms (OUTDIR/mel),
with random weights from a fixed seed and batch-norm statistics that are not
the identity, differing from the plain one in one thing:
  add      the input scaled as (x + 20) / 20 (an Add on the input)
  affine   x * 0.05 - 1
  leaky    LeakyReLU(0.1) for ReLU
  sigmoid  Sigmoid for ReLU
  tanh     Tanh for ReLU
  avgpool  AvgPool2d(2) for MaxPool2d(2) (torch writes a Pad before it)
  stride2  the first convolution with stride 2 and padding 1 (ResNet's)
  view     x.view(x.size(0), -1) for Flatten (Shape, Gather, Unsqueeze,
           Concat, Reshape)
  gelu     GELU for ReLU (not among genre's layers: refused)
Writes WORK/torch_<variant>.onnx (opset 13, dynamic batch) and
WORK/torch_<variant>_probs.csv (source,segment,p_<label>...), and
WORK/labels.txt.
"""
import csv
import os
import sys

import numpy as np
import torch
from torch import nn

VARIANTS = ["add", "affine", "leaky", "sigmoid", "tanh", "avgpool", "stride2", "view", "gelu"]


def load(outdir):
    rows = list(csv.reader(open(os.path.join(outdir, "mel", "index.csv"))))[1:]
    labels = sorted({r[1] for r in rows})
    xs, keys = [], []
    for r in rows:
        m = np.load(os.path.join(outdir, "mel", r[0])).astype(np.float32)
        for k in range(m.shape[0]):
            xs.append(m[k]), keys.append((r[3], k))
    return np.stack(xs)[:, None], keys, labels


class Net(nn.Module):
    def __init__(self, variant, mean, std, k):
        super().__init__()
        self.variant = variant
        self.register_buffer("mean", torch.tensor(mean).reshape(1, -1, 1))
        self.register_buffer("std", torch.tensor(std).reshape(1, -1, 1))
        act = {"leaky": lambda: nn.LeakyReLU(0.1), "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "gelu": nn.GELU}.get(variant, nn.ReLU)
        first = nn.Conv2d(1, 4, 3, stride=2, padding=1) if variant == "stride2" else nn.Conv2d(1, 4, 3, padding=1)
        pool = nn.AvgPool2d(2) if variant == "avgpool" else nn.MaxPool2d(2)
        self.body = nn.Sequential(first, nn.BatchNorm2d(4), act(), pool, nn.Conv2d(4, 8, 3, padding=1), act(),
                                  nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(8, k)
        with torch.no_grad():
            bn = self.body[1]
            bn.running_mean.uniform_(-0.5, 0.5), bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5), bn.bias.uniform_(-0.2, 0.2)
            self.fc.weight.mul_(40)  # confident probabilities: a wrong layer moves them far

    def forward(self, x):
        if self.variant == "add":
            x = (x + 20) / 20
        elif self.variant == "affine":
            x = x * 0.05 - 1
        else:
            x = (x - self.mean) / self.std
        h = self.body(x)
        h = h.view(h.size(0), -1) if self.variant == "view" else torch.flatten(h, 1)
        return self.fc(h)


def main():
    outdir, work = sys.argv[1:3]
    x, keys, labels = load(outdir)
    mean = x.mean(axis=(0, 1, 3)).astype(np.float32)
    std = x.std(axis=(0, 1, 3)).astype(np.float32) + 1e-3
    xt = torch.tensor(x)
    for i, v in enumerate(VARIANTS):
        torch.manual_seed(i)
        net = Net(v, mean, std, len(labels)).eval()
        torch.onnx.export(net, xt[:2], os.path.join(work, "torch_%s.onnx" % v), input_names=["logmel"],
                          output_names=["logits"], dynamic_axes={"logmel": {0: "N"}, "logits": {0: "N"}},
                          opset_version=13)
        with torch.no_grad():
            p = torch.softmax(net(xt), dim=1).double().numpy()
        with open(os.path.join(work, "torch_%s_probs.csv" % v), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["source", "segment"] + ["p_" + l for l in labels])
            for (src, k), row in zip(keys, p):
                w.writerow([src, k] + ["%.9g" % v for v in row])
    open(os.path.join(work, "labels.txt"), "w").write(",".join(labels))
    print("%d variants exported on %d segments" % (len(VARIANTS), len(x)))


if __name__ == "__main__":
    main()
