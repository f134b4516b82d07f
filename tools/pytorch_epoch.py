#!/usr/bin/env python3
"""The tutorial's model and recipe in PyTorch, for the peer comparison (tools/compare-pytorch.sh).

Reads a CIFAR-10 binary folder, holds out the last 20% as Keras's validation_split does, and
times one epoch: training with Adam (lr 1e-3, eps 1e-7) at batch 64 over the first 80%,
reshuffled, then a forward pass over the validation images. Prints the epoch's seconds.
usage: pytorch_epoch.py DATA_DIR THREADS
"""
import sys
import time

import numpy as np
import torch
from torch import nn


def load(folder):
    records = [np.fromfile(f"{folder}/data_batch_{i}.bin", dtype=np.uint8).reshape(-1, 3073)
               for i in range(1, 6)]
    data = np.concatenate(records)
    labels = torch.from_numpy(data[:, 0].astype(np.int64))
    images = torch.from_numpy(data[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    return images, labels


def model():
    block = lambda c_in, c_out: [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128), nn.Flatten(),
                         nn.Linear(2048, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def main():
    folder, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    images, labels = load(folder)
    split = int(len(images) * 0.8)
    net = model()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_function = nn.CrossEntropyLoss()
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
        for first in range(split, len(images), 64):
            loss_function(net(images[first:first + 64]), labels[first:first + 64])
    print(f"{time.perf_counter() - start:.2f}")


if __name__ == "__main__":
    main()
