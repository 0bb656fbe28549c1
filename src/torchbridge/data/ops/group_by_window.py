"""``group_by_window``: group elements by ``key_func(element)`` (an integer) and hand each
full group — ``window_size`` elements, or ``window_size_func(key)`` — to
``reduce_func(key, window_dataset)``, whose output dataset's elements are emitted. When
the input ends, the unfinished groups are reduced in increasing key order (as tf.data).

A tuple element is unpacked into ``key_func``'s arguments (tf.data's rule). State: the
input's state, the waiting groups and the reduced elements not yet emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.iterator import all_elements
from torchbridge.data.ops._call import call_on_element, wrap_error
from torchbridge.data.ops._unary import UnaryDataset
from torchbridge.data.sources.list import ListDataset
from torchbridge.errors import InputError

__all__ = ["GroupByWindowDataset"]


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return int(value.item())
    if isinstance(value, int) or hasattr(value, "__index__"):
        return int(value)
    raise InputError(f"group_by_window: {what} must return an integer scalar, got {value!r}.")


class _GroupByWindowIterator:
    def __init__(self, upstream: Any, ds: GroupByWindowDataset) -> None:
        self._up = upstream
        self._ds = ds
        self._groups: dict[int, list[Any]] = {}
        self._pending: list[Any] = []
        self._position = 0
        self._exhausted = False

    def __iter__(self) -> _GroupByWindowIterator:
        return self

    def _reduce(self, key: int, elements: list[Any]) -> None:
        # Unlike window(), the group is one dataset of whole elements (as tf.data).
        window = ListDataset(elements, convert=False)
        out = self._ds._reduce_func(torch.tensor(key, dtype=torch.int64), window)
        if not isinstance(out, Dataset):
            raise InputError(
                f"group_by_window: reduce_func must return a Dataset, got {type(out).__name__} "
                "(e.g. `lambda key, window: window.batch(n)`)."
            )
        self._pending.extend(all_elements(out))

    def __next__(self) -> Any:
        ds = self._ds
        while not self._pending:
            if self._exhausted:
                if not self._groups:
                    raise StopIteration
                key = min(self._groups)
                self._reduce(key, self._groups.pop(key))
                continue
            try:
                element = next(self._up)
            except StopIteration:
                self._exhausted = True
                continue
            position = self._position
            self._position += 1
            try:
                key = _as_int(call_on_element(ds._key_func, element), "key_func")
            except InputError:
                raise
            except Exception as e:
                raise wrap_error("group_by_window", ds._key_func, position, e) from e
            group = self._groups.setdefault(key, [])
            group.append(element)
            if len(group) >= ds._size_of(key):
                self._reduce(key, self._groups.pop(key))
        return self._pending.pop(0)

    def get_state(self) -> dict[str, Any]:
        return {
            "upstream": self._up.get_state(),
            "groups": {k: list(v) for k, v in self._groups.items()},
            "pending": list(self._pending),
            "position": self._position,
            "exhausted": self._exhausted,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._up.set_state(state["upstream"])
        self._groups = {k: list(v) for k, v in state["groups"].items()}
        self._pending = list(state["pending"])
        self._position = state["position"]
        self._exhausted = state["exhausted"]

    def close(self) -> None:
        getattr(self._up, "close", lambda: None)()


class GroupByWindowDataset(UnaryDataset):
    def __init__(
        self,
        input_dataset: Dataset,
        key_func: Callable[..., Any],
        reduce_func: Callable[[Any, Any], Dataset],
        window_size: int | None = None,
        window_size_func: Callable[[Any], Any] | None = None,
    ) -> None:
        if (window_size is None) == (window_size_func is None):
            raise ValueError(
                "group_by_window needs exactly one of window_size or window_size_func."
            )
        super().__init__(input_dataset)
        self._key_func = key_func
        self._reduce_func = reduce_func
        self._window_size = window_size
        self._window_size_func = window_size_func

    def _size_of(self, key: int) -> int:
        if self._window_size_func is None:
            return int(self._window_size)  # type: ignore[arg-type]
        size = self._window_size_func(torch.tensor(key, dtype=torch.int64))
        return _as_int(size, "window_size_func")

    def _iterator(self) -> _GroupByWindowIterator:
        return _GroupByWindowIterator(self._input._iterator(), self)

    def _cardinality(self) -> int:
        return UNKNOWN
