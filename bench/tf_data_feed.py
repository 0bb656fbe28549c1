"""What feeding ``fit`` a ``tf.data.Dataset`` costs against the same data as a torchbridge Dataset.

Issue 20's target: under 5% of fit time on the MLP and the convnet. The same arrays are
batched two ways — ``tf.data.Dataset.from_tensor_slices((x, y)).batch(B).prefetch(2)``
and ``torchbridge.data.Dataset.from_tensor_slices((x, y)).batch(B).prefetch(2)`` — and
each model is fitted one epoch on each, interleaved over rounds in alternating order,
one torch thread (TensorFlow's own threads left at their defaults, as a user has them).
The overhead is the median of the per-round ratios ``tf.data time / torchbridge time - 1``.

Run: .venv/bin/python bench/tf_data_feed.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
import torch

import torchbridge as keras
from torchbridge.data import Dataset

BATCH = 64


def mlp() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10),
        ]
    )


def convnet() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10),
        ]
    )


def fit_seconds(build, source) -> float:
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=False
    )
    start = time.perf_counter()
    model.fit(source, epochs=1, verbose=0)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    cases = {
        "mlp": (mlp, rng.random((16_384, 784), dtype=np.float32)),
        "convnet": (convnet, rng.random((4_096, 28, 28, 1), dtype=np.float32)),
    }
    print(f"torch {torch.__version__}, tensorflow {tf.__version__}, batch {BATCH}, 1 torch thread")
    for name, (build, x) in cases.items():
        y = rng.integers(0, 10, len(x))
        feeds = {
            "tf.data": lambda x=x, y=y: (
                tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).prefetch(2)
            ),
            "torchbridge": lambda x=x, y=y: (
                Dataset.from_tensor_slices((x, y)).batch(BATCH).prefetch(2)
            ),
        }
        fit_seconds(build, feeds["tf.data"]())  # warm-up of both paths
        fit_seconds(build, feeds["torchbridge"]())
        times: dict[str, list[float]] = {k: [] for k in feeds}
        for r in range(args.rounds):
            order = list(feeds) if r % 2 == 0 else list(reversed(feeds))
            for kind in order:
                times[kind].append(fit_seconds(build, feeds[kind]()))
        ratios = [a / b - 1 for a, b in zip(times["tf.data"], times["torchbridge"])]
        print(
            f"{name:8s} fit epoch: tf.data {statistics.median(times['tf.data']):.3f} s, "
            f"torchbridge Dataset {statistics.median(times['torchbridge']):.3f} s, "
            f"overhead {100 * statistics.median(ratios):+.1f}% "
            f"(rounds: {', '.join(f'{100 * r:+.1f}%' for r in ratios)})"
        )


if __name__ == "__main__":
    main()
