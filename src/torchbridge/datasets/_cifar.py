"""Reading one pickled CIFAR batch file (the format of both CIFAR-10 and CIFAR-100)."""

from __future__ import annotations

from typing import Any

import numpy as np

from torchbridge.datasets._common import RestrictedUnpickler

__all__ = ["load_batch"]


def load_batch(fpath: str, label_key: str = "labels") -> tuple[np.ndarray, Any]:
    """``(data (N, 3, 32, 32) uint8, labels list)`` from a CIFAR batch file."""
    with open(fpath, "rb") as f:
        d = RestrictedUnpickler(f, encoding="bytes").load()
    d = {k.decode("utf8"): v for k, v in d.items()}
    data = d["data"]
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]
