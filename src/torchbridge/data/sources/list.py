"""``ListDataset``: the elements of a Python list, in order (``tf.data.experimental.from_list``
and the inner datasets that ``window`` and ``group_by_window`` hand out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torchbridge.data.dataset import Dataset
from torchbridge.data.structure import to_structure

__all__ = ["ListDataset"]


class _ListIterator:
    def __init__(self, elements: Sequence[Any]) -> None:
        self._elements = elements
        self._next = 0

    def __iter__(self) -> _ListIterator:
        return self

    def __next__(self) -> Any:
        if self._next >= len(self._elements):
            raise StopIteration
        self._next += 1
        return self._elements[self._next - 1]

    def get_state(self) -> dict[str, Any]:
        return {"next": self._next}

    def set_state(self, state: dict[str, Any]) -> None:
        self._next = int(state["next"])


class ListDataset(Dataset):
    """Elements of ``elements`` (converted like ``from_tensors`` unless ``convert=False``)."""

    def __init__(self, elements: Sequence[Any], convert: bool = True) -> None:
        self._elements = [to_structure(e) for e in elements] if convert else list(elements)

    def _iterator(self) -> _ListIterator:
        return _ListIterator(self._elements)

    def _cardinality(self) -> int:
        return len(self._elements)
