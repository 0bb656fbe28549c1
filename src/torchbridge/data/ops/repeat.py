"""``repeat(count)``: iterate the input ``count`` times (``None`` or -1: forever)."""

from __future__ import annotations

from typing import Any

from torchbridge.data.dataset import INFINITE, Dataset
from torchbridge.data.ops._args import int_arg

__all__ = ["RepeatDataset"]


class _RepeatIterator:
    def __init__(self, dataset: Dataset, count: int) -> None:
        self._ds = dataset
        self._count = count
        self._round = 0
        self._it: Any = dataset._iterator() if count != 0 else None
        self._empty_round = True

    def __iter__(self) -> _RepeatIterator:
        return self

    def __next__(self) -> Any:
        while self._it is not None:
            try:
                element = next(self._it)
            except StopIteration:
                if self._empty_round:  # an empty input repeated forever would spin
                    self._it = None
                    break
                self._round += 1
                if 0 <= self._count <= self._round:
                    self._it = None
                    break
                self._it = self._ds._iterator()
                self._empty_round = True
                continue
            self._empty_round = False
            return element
        raise StopIteration

    def get_state(self) -> dict[str, Any]:
        return {
            "round": self._round,
            "done": self._it is None,
            "empty_round": self._empty_round,
            "upstream": None if self._it is None else self._it.get_state(),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._round = state["round"]
        self._empty_round = state["empty_round"]
        if self._it is not None:
            getattr(self._it, "close", lambda: None)()
        if state["done"]:
            self._it = None
            return
        self._it = self._ds._iterator()
        self._it.set_state(state["upstream"])

    def close(self) -> None:
        if self._it is not None:
            getattr(self._it, "close", lambda: None)()


class RepeatDataset(Dataset):
    def __init__(self, input_dataset: Dataset, count: int | None = None) -> None:
        self._input = input_dataset
        self._count = (
            -1
            if count is None
            else int_arg(count, "repeat", "count", hint="Leave it out (or -1) to repeat forever.")
        )

    @property
    def _inputs(self) -> list[Dataset]:
        return [self._input]

    def _iterator(self) -> _RepeatIterator:
        return _RepeatIterator(self._input, self._count)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count == 0 or n == 0:
            return 0
        if self._count < 0:
            return INFINITE  # as tf.data, even when the input's size is unknown
        if n < 0:
            return n
        return n * self._count
