"""``keras.datasets.cifar100``: 50,000 + 10,000 32x32 colour images with 100 fine or 20
coarse labels, from Keras's cached ``cifar-100-python.tar.gz``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from torchbridge.backend import config
from torchbridge.datasets._cifar import load_batch
from torchbridge.utils.file_utils import get_file

__all__ = ["load_data"]


def load_data(label_mode: str = "fine") -> Any:
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (N, 32, 32, 3) and int64
    labels (N, 1) of ``label_mode`` "fine" or "coarse"."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    path = get_file(
        fname="cifar-100-python-target",
        origin="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        extract=True,
        file_hash="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    )
    path = os.path.join(path, "cifar-100-python")
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=f"{label_mode}_labels")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
