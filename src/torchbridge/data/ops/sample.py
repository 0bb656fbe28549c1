"""``sample_from_datasets``: each element from a dataset drawn at random with ``weights``
(uniform by default). An exhausted dataset ends the output when
``stop_on_empty_dataset``; otherwise it is left out and the others keep their relative
weights. Seeded as ``shuffle``: with ``seed`` the draws are reproducible (TensorFlow's
random stream differs, so the order differs from tf.data's); ``rerandomize_each_iteration``
draws new choices for each iteration of the dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import Dataset
from torchbridge.data.ops.choose import ChooseFromDatasets, check_datasets
from torchbridge.errors import InputError

__all__ = ["sample_from_datasets"]


class _ChoiceIterator:
    """Infinite draws of an index with probabilities ``p``."""

    def __init__(self, p: np.ndarray, seed: int, iteration: int) -> None:
        self._p = p
        self._rng = np.random.Generator(np.random.PCG64([seed, iteration]))

    def __iter__(self) -> _ChoiceIterator:
        return self

    def __next__(self) -> int:
        return int(self._rng.choice(len(self._p), p=self._p))

    def get_state(self) -> dict[str, Any]:
        return {"rng": self._rng.bit_generator.state}

    def set_state(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state["rng"]


class _RandomChoices(Dataset):
    def __init__(self, p: np.ndarray, seed: int, rerandomize: bool) -> None:
        self._p, self._seed, self._rerandomize = p, seed, rerandomize
        self._iterations = 0

    def _iterator(self) -> _ChoiceIterator:
        iteration = self._iterations if self._rerandomize else 0
        self._iterations += 1
        return _ChoiceIterator(self._p, self._seed, iteration)

    def _cardinality(self) -> int:
        return -1  # INFINITE


def _probabilities(weights: Any, n: int) -> np.ndarray:
    if weights is None:
        return np.full(n, 1.0 / n)
    if isinstance(weights, Dataset):
        raise InputError(
            "sample_from_datasets: weights given as a Dataset are not supported; pass a list "
            "or tensor of floats (one per dataset)."
        )
    w = np.asarray(
        weights.detach().cpu().numpy() if isinstance(weights, torch.Tensor) else weights,
        dtype=np.float64,
    ).reshape(-1)
    if w.shape[0] != n or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise InputError(
            f"sample_from_datasets: weights must be {n} non-negative floats (one per dataset) "
            f"with a positive sum, got {w.tolist()}."
        )
    return w / w.sum()


def sample_from_datasets(
    datasets: Sequence[Dataset],
    weights: Any = None,
    seed: int | None = None,
    stop_on_empty_dataset: bool = False,
    rerandomize_each_iteration: bool | None = None,
) -> Dataset:
    datasets = check_datasets(datasets, "sample_from_datasets")
    p = _probabilities(weights, len(datasets))
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)).item())
    choices = _RandomChoices(p, int(seed), bool(rerandomize_each_iteration))
    return ChooseFromDatasets(datasets, choices, stop_on_empty_dataset)
