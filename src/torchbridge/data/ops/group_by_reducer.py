"""``tf.data.experimental.group_by_reducer``: fold the elements of each key into a state
and, when the input ends, emit ``finalize_func(state)`` for every key in increasing key
order (as tf.data). :class:`Reducer` bundles ``init_func(key)``,
``reduce_func(state, element)`` and ``finalize_func(state)``; a tuple element is unpacked
into ``key_func``'s arguments and a tuple state into ``finalize_func``'s (tf.data's rule).
State: the input's state, the per-key states and the finalized elements not yet emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.ops._call import call_on_element, wrap_error
from torchbridge.data.ops._unary import UnaryDataset
from torchbridge.data.ops.group_by_window import _as_int
from torchbridge.data.structure import to_structure
from torchbridge.errors import InputError

__all__ = ["GroupByReducerDataset", "Reducer"]


class Reducer:
    """``tf.data.experimental.Reducer(init_func, reduce_func, finalize_func)``."""

    def __init__(
        self,
        init_func: Callable[[Any], Any],
        reduce_func: Callable[[Any, Any], Any],
        finalize_func: Callable[..., Any],
    ) -> None:
        self.init_func = init_func
        self.reduce_func = reduce_func
        self.finalize_func = finalize_func


class _GroupByReducerIterator:
    def __init__(self, upstream: Any, ds: GroupByReducerDataset) -> None:
        self._up = upstream
        self._ds = ds
        self._states: dict[int, Any] = {}
        self._out: list[Any] | None = None  # finalized elements, once the input has ended
        self._position = 0

    def __iter__(self) -> _GroupByReducerIterator:
        return self

    def __next__(self) -> Any:
        reducer = self._ds._reducer
        while self._out is None:
            try:
                element = next(self._up)
            except StopIteration:
                self._out = [
                    to_structure(call_on_element(reducer.finalize_func, self._states[k]))
                    for k in sorted(self._states)
                ]
                break
            position = self._position
            self._position += 1
            try:
                key = _as_int(call_on_element(self._ds._key_func, element), "key_func")
                if key not in self._states:
                    key_tensor = torch.tensor(key, dtype=torch.int64)
                    self._states[key] = to_structure(reducer.init_func(key_tensor))
                new = reducer.reduce_func(self._states[key], element)
                self._states[key] = to_structure(new)
            except InputError:
                raise
            except Exception as e:
                raise wrap_error("group_by_reducer", reducer.reduce_func, position, e) from e
        if not self._out:
            raise StopIteration
        return self._out.pop(0)

    def get_state(self) -> dict[str, Any]:
        return {
            "upstream": self._up.get_state(),
            "states": dict(self._states),
            "out": None if self._out is None else list(self._out),
            "position": self._position,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self._up.set_state(state["upstream"])
        self._states = dict(state["states"])
        self._out = None if state["out"] is None else list(state["out"])
        self._position = state["position"]

    def close(self) -> None:
        getattr(self._up, "close", lambda: None)()


class GroupByReducerDataset(UnaryDataset):
    def __init__(
        self, input_dataset: Dataset, key_func: Callable[..., Any], reducer: Reducer
    ) -> None:
        if not isinstance(reducer, Reducer):
            raise TypeError(
                "group_by_reducer takes a Reducer(init_func, reduce_func, finalize_func), got "
                f"{type(reducer).__name__}."
            )
        super().__init__(input_dataset)
        self._key_func = key_func
        self._reducer = reducer

    def _iterator(self) -> _GroupByReducerIterator:
        return _GroupByReducerIterator(self._input._iterator(), self)

    def _cardinality(self) -> int:
        return UNKNOWN
