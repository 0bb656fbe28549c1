"""Keras's everyday ``keras.utils`` helpers: ``set_random_seed``, ``to_categorical``, ``normalize``."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

__all__ = ["add_seed_listener", "normalize", "set_random_seed", "to_categorical"]

_SEED_LISTENERS: list[Callable[[int], None]] = []


def add_seed_listener(listener: Callable[[int], None]) -> None:
    """Call ``listener(seed)`` on every :func:`set_random_seed` (how higher floors,
    such as :mod:`torchbridge.random`'s global ``SeedGenerator``, get reseeded)."""
    _SEED_LISTENERS.append(listener)


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator, torch (CPU and CUDA) and
    the global generator of ``torchbridge.random`` (draws with ``seed=None``)."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"set_random_seed: `seed` must be an int, got {seed!r}.")
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    for listener in _SEED_LISTENERS:
        listener(seed)


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """Class indices → one-hot rows (float64, as Keras 3); a trailing axis of 1 is dropped."""
    arr = np.asarray(x.cpu() if isinstance(x, torch.Tensor) else x).astype("int64")
    shape = arr.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = arr.reshape(-1)
    if flat.size and flat.min() < 0:
        raise ValueError(f"to_categorical: class indices must be >= 0, got {int(flat.min())}.")
    n = int(num_classes) if num_classes is not None else (int(flat.max()) + 1 if flat.size else 0)
    if flat.size and flat.max() >= n:
        raise ValueError(f"to_categorical: index {int(flat.max())} does not fit num_classes={n}.")
    out = np.zeros((flat.size, n), dtype="float64")
    out[np.arange(flat.size), flat] = 1.0
    return out.reshape((*shape, n))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Keras's ``normalize``: divide by the ``order``-norm along ``axis`` (zeros stay zero)."""
    arr = np.asarray(x, dtype="float32")
    norm = np.linalg.norm(arr, ord=order, axis=axis, keepdims=True)
    return arr / np.where(norm == 0, 1.0, norm)
