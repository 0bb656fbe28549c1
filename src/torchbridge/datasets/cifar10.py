"""``keras.datasets.cifar10``: 50,000 + 10,000 32x32 colour images in 10 classes, from
Keras's cached ``cifar-10-python.tar.gz`` (extracted as Keras extracts it)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from torchbridge.backend import config
from torchbridge.datasets._cifar import load_batch
from torchbridge.utils.file_utils import get_file

__all__ = ["load_data"]


def load_data() -> Any:
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (N, 32, 32, 3) — (N, 3, 32, 32)
    with channels_first — and uint8 labels (N, 1)."""
    path = get_file(
        fname="cifar-10-batches-py-target",
        origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        extract=True,
        file_hash="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    )
    path = os.path.join(path, "cifar-10-batches-py")
    batches = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    # (Keras fills fixed 10,000-row slices; concatenating gives the same arrays)
    x_train = np.concatenate([np.asarray(x, dtype="uint8") for x, _ in batches])
    y_train = np.concatenate([np.asarray(y, dtype="uint8") for _, y in batches])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test.astype(y_train.dtype))
