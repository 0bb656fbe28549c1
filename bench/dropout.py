"""Dropout on the CPU: torchbridge's in-place Keras mask against ``F.dropout`` (issue 17).

Forward + backward of a 32×64×64 float32 tensor at rate 0.5 (the text CNN's activations),
one thread, 200 calls per timing, interleaved over rounds in alternating order; the median
per call of each.

Run: .venv/bin/python bench/dropout.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.nn import functional as F

from torchbridge.layers import Dropout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x = torch.randn(32, 64, 64, requires_grad=True)
    layer = Dropout(0.5)
    ways = {
        "F.dropout": lambda: F.dropout(x, 0.5, training=True),
        "torchbridge Dropout": lambda: layer(x, training=True),
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    for r in range(args.rounds):
        for name in list(ways) if r % 2 == 0 else list(reversed(ways)):
            start = time.perf_counter()
            for _ in range(200):
                ways[name]().sum().backward()
            times[name].append((time.perf_counter() - start) / 200 * 1e3)
    for name, values in times.items():
        print(f"{name:20s} {statistics.median(values):.3f} ms per forward+backward")


if __name__ == "__main__":
    main()
