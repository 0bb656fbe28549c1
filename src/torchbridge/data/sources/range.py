"""``Dataset.range(start, stop, step)``: int64 scalar tensors, like Python's ``range``;
``Dataset.counter``: the same without an end."""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.data.dataset import INFINITE, Dataset

__all__ = ["RangeDataset", "CounterDataset"]


class _RangeIterator:
    def __init__(self, start: int, stop: int, step: int) -> None:
        self._next, self._stop, self._step = start, stop, step

    def __iter__(self) -> _RangeIterator:
        return self

    def __next__(self) -> torch.Tensor:
        v = self._next
        if (self._step > 0 and v >= self._stop) or (self._step < 0 and v <= self._stop):
            raise StopIteration
        self._next = v + self._step
        return torch.tensor(v, dtype=torch.int64)

    def get_state(self) -> dict[str, Any]:
        return {"next": self._next}

    def set_state(self, state: dict[str, Any]) -> None:
        self._next = int(state["next"])


class CounterDataset(Dataset):
    """``start, start + step, ...`` forever (int64): ``Dataset.counter`` and the index
    stream of ``enumerate``."""

    def __init__(self, start: int = 0, step: int = 1) -> None:
        self._start = int(start)
        self._step = int(step)

    def _iterator(self) -> _RangeIterator:
        stop = 2**63 - 1 if self._step >= 0 else -(2**63)
        return _RangeIterator(self._start, stop, self._step)

    def _cardinality(self) -> int:
        return INFINITE


class RangeDataset(Dataset):
    def __init__(self, *args: int) -> None:
        r = range(*args)  # validates arguments like Python (step 0 raises)
        self._start, self._stop, self._step = r.start, r.stop, r.step
        self._len = len(r)

    def _iterator(self) -> _RangeIterator:
        return _RangeIterator(self._start, self._stop, self._step)

    def _cardinality(self) -> int:
        return self._len
