"""``tf.data.experimental.assert_cardinality``: declare the number of elements (so
``cardinality()`` and ``len()`` know it) and fail while iterating if the input has fewer
or more."""

from __future__ import annotations

from typing import Any

from torchbridge.data.dataset import Dataset
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator
from torchbridge.errors import InputError

__all__ = ["AssertCardinalityDataset"]


class _AssertIterator(UnaryIterator):
    _fields = ("_count",)

    def __init__(self, upstream: Any, expected: int) -> None:
        super().__init__(upstream)
        self._expected = expected
        self._count = 0

    def __next__(self) -> Any:
        try:
            element = next(self._up)
        except StopIteration:
            if self._expected >= 0 and self._count != self._expected:
                raise InputError(
                    f"Input dataset was expected to contain {self._expected} elements but "
                    f"contained only {self._count} elements."
                ) from None
            raise
        self._count += 1
        if self._expected >= 0 and self._count > self._expected:
            raise InputError(
                f"Input dataset was expected to contain {self._expected} elements but "
                "contained at least one more."
            )
        return element


class AssertCardinalityDataset(UnaryDataset):
    def __init__(self, input_dataset: Dataset, expected_cardinality: int) -> None:
        super().__init__(input_dataset)
        self._expected = int(expected_cardinality)

    def _iterator(self) -> _AssertIterator:
        return _AssertIterator(self._input._iterator(), self._expected)

    def _cardinality(self) -> int:
        return self._expected
