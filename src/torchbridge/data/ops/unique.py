"""``unique``: each distinct element once, in order of first appearance. As tf.data, the
elements must be scalars of an integer type or strings. State: the input's state and the
values seen so far."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import UNKNOWN
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator
from torchbridge.errors import InputError

__all__ = ["UniqueDataset"]

_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


def _key(element: Any) -> Any:
    if isinstance(element, torch.Tensor) and element.ndim == 0 and element.dtype in _INT_DTYPES:
        return int(element.item())
    if isinstance(element, (str, bytes)):
        return element
    if isinstance(element, np.ndarray) and element.ndim == 0 and element.dtype.kind in "OUS":
        return element.item()
    what = (
        f"a tensor of shape {tuple(element.shape)} and dtype {element.dtype}"
        if isinstance(element, torch.Tensor)
        else type(element).__name__
    )
    raise InputError(
        f"unique() takes scalar integer or string elements (as tf.data), got {what}. "
        "Map the elements to such a key first."
    )


class _UniqueIterator(UnaryIterator):
    _fields = ("_seen",)

    def __init__(self, upstream: Any) -> None:
        super().__init__(upstream)
        self._seen: set[Any] = set()

    def __next__(self) -> Any:
        while True:
            element = next(self._up)
            key = _key(element)
            if key not in self._seen:
                self._seen.add(key)
                return element

    def get_state(self) -> dict[str, Any]:
        return {"_seen": set(self._seen), "upstream": self._up.get_state()}

    def set_state(self, state: dict[str, Any]) -> None:
        self._up.set_state(state["upstream"])
        self._seen = set(state["_seen"])


class UniqueDataset(UnaryDataset):
    def _iterator(self) -> _UniqueIterator:
        return _UniqueIterator(self._input._iterator())

    def _cardinality(self) -> int:
        return UNKNOWN
