"""``take(count)`` and ``skip(count)`` (``count=-1``: all / everything)."""

from __future__ import annotations

from typing import Any

from torchbridge.data.dataset import INFINITE, UNKNOWN, Dataset
from torchbridge.data.ops._args import int_arg
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator

__all__ = ["TakeDataset", "SkipDataset"]


class _TakeIterator(UnaryIterator):
    _fields = ("_left",)

    def __init__(self, upstream: Any, count: int) -> None:
        super().__init__(upstream)
        self._left = count

    def __next__(self) -> Any:
        if self._left == 0:
            raise StopIteration
        element = next(self._up)
        if self._left > 0:
            self._left -= 1
        return element


class _SkipIterator(_TakeIterator):
    def __next__(self) -> Any:
        while self._left != 0:
            next(self._up)
            if self._left > 0:
                self._left -= 1
        return next(self._up)


class TakeDataset(UnaryDataset):
    def __init__(self, input_dataset: Dataset, count: int) -> None:
        super().__init__(input_dataset)
        method = "skip" if isinstance(self, SkipDataset) else "take"
        self._count = int_arg(count, method, "count", hint=f"-1 {method}s every element.")

    def _iterator(self) -> _TakeIterator:
        return _TakeIterator(self._input._iterator(), self._count)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE:
            return self._count
        if n == UNKNOWN:
            return UNKNOWN
        return min(n, self._count)


class SkipDataset(TakeDataset):
    def _iterator(self) -> _SkipIterator:
        return _SkipIterator(self._input._iterator(), self._count)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        if self._count < 0:
            return 0
        return max(0, n - self._count)
