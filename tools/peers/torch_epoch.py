#!/usr/bin/env python3
"""A peer for tools/compare-peers.sh: the tutorial's recipe in PyTorch (eager), timed per epoch.

The same networks as keras_epoch.py, written the PyTorch way: the tutorial's CNN with Adam
(lr 1e-3, eps 1e-7 as Keras's) and examples/fashion-mnist-bn.model's with AdamW (weight decay
0.004 and batch norm momentum 0.01, eps 1e-3, as Keras's). Random pixels and labels of the
dataset's shape: STEPS * 64 training images, reshuffled each epoch, then a forward pass over
VAL validation images. Prints one line per timed epoch: seconds.
usage: torch_epoch.py MODEL THREADS STEPS VAL EPOCHS [LAYOUT]   (MODEL: tutorial | fashion-bn;
LAYOUT: nchw, PyTorch's default, or nhwc, channels_last; the first epoch is a warm-up)
"""
import sys
import time

import numpy as np
import torch
from torch import nn


def tutorial():
    def block(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    net = nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128), nn.Flatten(),
                        nn.Linear(2048, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    return net, torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7), (3, 32, 32)


def fashion_bn():
    def block(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01), nn.ReLU()]
    net = nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2),
                        *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
                        *block(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                        nn.Linear(128, 10))
    optimizer = torch.optim.AdamW(net.parameters(), lr=0.003, eps=1e-7, weight_decay=0.004)
    return net, optimizer, (1, 28, 28)


def main():
    name, threads, steps, val, epochs = sys.argv[1], *map(int, sys.argv[2:6])
    layout = sys.argv[6] if len(sys.argv) > 6 else "nchw"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net, optimizer, shape = {"tutorial": tutorial, "fashion-bn": fashion_bn}[name]()
    rng = np.random.default_rng(0)
    count = steps * 64 + val
    images = torch.from_numpy(
        rng.integers(0, 256, size=(count, *shape), dtype=np.uint8).astype(np.float32) / 255.0)
    labels = torch.from_numpy(rng.integers(0, 10, size=count))
    if layout == "nhwc":
        net = net.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    loss_function = nn.CrossEntropyLoss()
    split = steps * 64
    for epoch in range(epochs + 1):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(split)
        for first in range(0, split, 64):
            batch = order[first:first + 64]
            optimizer.zero_grad()
            loss = loss_function(net(images[batch]), labels[batch])
            loss.backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            for first in range(split, count, 64):
                loss_function(net(images[first:first + 64]), labels[first:first + 64])
        if epoch > 0:
            print(f"{time.perf_counter() - start:.4f}")


if __name__ == "__main__":
    main()
