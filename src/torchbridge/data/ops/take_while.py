"""``take_while``: the elements up to (not including) the first one for which ``predicate``
is false; the input is not read further."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.ops._call import call_on_element, wrap_error
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator

__all__ = ["TakeWhileDataset"]


class _TakeWhileIterator(UnaryIterator):
    _fields = ("_position", "_done")

    def __init__(self, upstream: Any, predicate: Callable[..., Any]) -> None:
        super().__init__(upstream)
        self._pred = predicate
        self._position = 0
        self._done = False

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        element = next(self._up)
        position = self._position
        self._position += 1
        try:
            keep = call_on_element(self._pred, element)
        except Exception as e:
            raise wrap_error("take_while", self._pred, position, e) from e
        if not bool(keep):
            self._done = True
            raise StopIteration
        return element


class TakeWhileDataset(UnaryDataset):
    def __init__(self, input_dataset: Dataset, predicate: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._pred = predicate

    def _iterator(self) -> _TakeWhileIterator:
        return _TakeWhileIterator(self._input._iterator(), self._pred)

    def _cardinality(self) -> int:
        return UNKNOWN
