"""``window(size, shift, stride, drop_remainder)``: a dataset of windows, each window the
element's structure with every component a small :class:`Dataset` (as tf.data: ``flat_map``
them, e.g. ``ds.window(3).flat_map(lambda w: w.batch(3))``).

Window *i* holds the input elements ``i*shift + k*stride`` for ``k < size``; the last
windows may be shorter unless ``drop_remainder``. State: the input's state, the buffered
elements and the next window start.
"""

from __future__ import annotations

from typing import Any

from torchbridge.data.dataset import INFINITE, UNKNOWN, Dataset
from torchbridge.data.ops._unary import UnaryDataset
from torchbridge.data.sources.list import ListDataset
from torchbridge.utils import nest

__all__ = ["WindowDataset", "window_of"]


def window_of(elements: list[Any]) -> Any:
    """The element structure with each component a dataset of that component's values."""
    first = elements[0]
    columns = list(zip(*(nest.flatten(e) for e in elements)))
    datasets = [ListDataset(list(c), convert=False) for c in columns]
    return nest.pack_sequence_as(first, datasets) if nest.is_nested(first) else datasets[0]


class _WindowIterator:
    def __init__(self, upstream: Any, size: int, shift: int, stride: int, drop: bool) -> None:
        self._up = upstream
        self._size, self._shift, self._stride, self._drop = size, shift, stride, drop
        self._buffer: list[Any] = []
        self._base = 0  # input position of self._buffer[0]
        self._start = 0  # input position where the next window starts
        self._exhausted = False

    def __iter__(self) -> _WindowIterator:
        return self

    def _fill_to(self, position: int) -> None:
        while not self._exhausted and self._base + len(self._buffer) <= position:
            try:
                self._buffer.append(next(self._up))
            except StopIteration:
                self._exhausted = True

    def __next__(self) -> Any:
        # Skip (read and discard) what lies before the window's start.
        while self._base < self._start:
            if self._buffer:
                self._buffer.pop(0)
            elif self._exhausted:
                break
            else:
                try:
                    next(self._up)
                except StopIteration:
                    self._exhausted = True
                    break
            self._base += 1
        last = self._start + (self._size - 1) * self._stride
        self._fill_to(last)
        picked = [
            self._buffer[p - self._base]
            for p in range(self._start, last + 1, self._stride)
            if p - self._base < len(self._buffer) and p >= self._base
        ]
        if not picked or (self._drop and len(picked) < self._size):
            raise StopIteration
        self._start += self._shift
        return window_of(picked)

    def get_state(self) -> dict[str, Any]:
        return {
            "upstream": self._up.get_state(),
            "buffer": list(self._buffer),
            "base": self._base,
            "start": self._start,
            "exhausted": self._exhausted,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._up.set_state(state["upstream"])
        self._buffer = list(state["buffer"])
        self._base, self._start = state["base"], state["start"]
        self._exhausted = state["exhausted"]

    def close(self) -> None:
        getattr(self._up, "close", lambda: None)()


class WindowDataset(UnaryDataset):
    def __init__(
        self,
        input_dataset: Dataset,
        size: int,
        shift: int | None = None,
        stride: int = 1,
        drop_remainder: bool = False,
    ) -> None:
        super().__init__(input_dataset)
        self._size = int(size)
        self._shift = self._size if shift is None else int(shift)
        self._stride = int(stride)
        for name, value in (("size", self._size), ("shift", self._shift), ("stride", self._stride)):
            if value < 1:
                raise ValueError(f"window: {name} must be a positive integer, got {value}.")
        self._drop = bool(drop_remainder)

    def _iterator(self) -> _WindowIterator:
        return _WindowIterator(
            self._input._iterator(), self._size, self._shift, self._stride, self._drop
        )

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n in (INFINITE, UNKNOWN):
            return n
        if self._drop:
            span = (self._size - 1) * self._stride + 1
            return 0 if n < span else (n - span) // self._shift + 1
        return -(-n // self._shift)
