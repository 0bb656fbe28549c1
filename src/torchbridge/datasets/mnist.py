"""``keras.datasets.mnist``: 60,000 + 10,000 28x28 uint8 digit images (``mnist.npz``
in Keras's cache)."""

from __future__ import annotations

from typing import Any

import numpy as np

from torchbridge.datasets._common import ORIGIN
from torchbridge.utils.file_utils import get_file

__all__ = ["load_data"]


def load_data(path: str = "mnist.npz") -> Any:
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (N, 28, 28), uint8 labels."""
    path = get_file(
        fname=path,
        origin=f"{ORIGIN}mnist.npz",
        file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    )
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
