#!/usr/bin/env python3
"""The PyTorch peer of the GPU kit (tools/gpu-kit.sh): one training step of a model's recipe at
batch 64, eager, timed as `clcnn bench` times its steps (a step, then wait for the device).

The networks and optimizers are torch_epoch.py's. Random pixels and labels of the dataset's
shape, resident on the device; 10 warm-up steps, then STEPS timed ones.
usage: torch_step.py MODEL DEVICE STEPS   (MODEL: tutorial | fashion-bn; DEVICE: cuda, cpu)
Prints one JSON object: the peer, its versions, the device and the median/min/max step in ms.
"""
import json
import statistics
import sys
import time

import torch
from torch import nn

from torch_epoch import fashion_bn, tutorial


def main():
    name, device, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.manual_seed(0)
    net, optimizer, shape = {"tutorial": tutorial, "fashion-bn": fashion_bn}[name]()
    net = net.to(device)
    # the optimizer was made for the parameters before the move; make it again for the moved ones
    optimizer = type(optimizer)(net.parameters(), **optimizer.defaults)
    images = torch.rand((64, *shape), device=device)
    labels = torch.randint(0, 10, (64,), device=device)
    loss_function = nn.CrossEntropyLoss()
    net.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_function(net(images), labels)
        loss.backward()
        optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    for _ in range(10):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000.0)
    print(json.dumps({
        "peer": f"PyTorch {torch.__version__} eager",
        "device": torch.cuda.get_device_name() if device.startswith("cuda") else device,
        "model": name, "batch": 64, "steps": steps,
        "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}))


if __name__ == "__main__":
    main()
