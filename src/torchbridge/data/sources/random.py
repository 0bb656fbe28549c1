"""``Dataset.random``: an infinite stream of pseudo-random int64 scalars in ``[0, 2**32)``
(tf.data's range of values; the stream itself differs from TensorFlow's).

With ``seed`` the stream is reproducible; without, the seed is drawn from torch's global
generator (``torch.manual_seed`` makes it reproducible). With
``rerandomize_each_iteration=True`` iteration *k* of the dataset (an epoch, a ``repeat``
round) uses the seed ``(seed, k)``; otherwise every iteration repeats the same stream.
State: the generator state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import INFINITE, Dataset

__all__ = ["RandomDataset"]


class _RandomIterator:
    def __init__(self, seed: int, iteration: int) -> None:
        self._rng = np.random.Generator(np.random.PCG64([seed, iteration]))

    def __iter__(self) -> _RandomIterator:
        return self

    def __next__(self) -> torch.Tensor:
        return torch.tensor(int(self._rng.integers(0, 2**32)), dtype=torch.int64)

    def get_state(self) -> dict[str, Any]:
        return {"rng": self._rng.bit_generator.state}

    def set_state(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state["rng"]


class RandomDataset(Dataset):
    def __init__(self, seed: int | None = None, rerandomize_each_iteration: bool | None = None):
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())
        self._seed = int(seed)
        self._rerandomize = bool(rerandomize_each_iteration)
        self._iterations = 0

    def _iterator(self) -> _RandomIterator:
        iteration = self._iterations if self._rerandomize else 0
        self._iterations += 1
        return _RandomIterator(self._seed, iteration)

    def _cardinality(self) -> int:
        return INFINITE
