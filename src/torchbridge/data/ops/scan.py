"""``scan``: a running state through the elements; ``scan_func(state, element)`` returns
``(new_state, output)``. As tf.data, the element is passed as one argument (a tuple element
stays a tuple). State: the input's state and the current running state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchbridge.data.dataset import Dataset
from torchbridge.data.ops._call import wrap_error
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator
from torchbridge.data.structure import to_structure
from torchbridge.errors import InputError

__all__ = ["ScanDataset"]


class _ScanIterator(UnaryIterator):
    _fields = ("_state", "_position")

    def __init__(self, upstream: Any, state: Any, fn: Callable[..., Any]) -> None:
        super().__init__(upstream)
        self._state = state
        self._fn = fn
        self._position = 0

    def __next__(self) -> Any:
        element = next(self._up)
        position = self._position
        self._position += 1
        try:
            result = self._fn(self._state, element)
        except Exception as e:
            raise wrap_error("scan", self._fn, position, e) from e
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise InputError(
                "scan_func must return a pair (new_state, output_element), got "
                f"{type(result).__name__}."
            )
        self._state = to_structure(result[0])
        return to_structure(result[1])


class ScanDataset(UnaryDataset):
    def __init__(
        self, input_dataset: Dataset, initial_state: Any, scan_func: Callable[..., Any]
    ) -> None:
        super().__init__(input_dataset)
        self._initial = to_structure(initial_state)
        self._fn = scan_func

    def _iterator(self) -> _ScanIterator:
        return _ScanIterator(self._input._iterator(), self._initial, self._fn)
