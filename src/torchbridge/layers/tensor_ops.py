"""Python operators on KerasTensors: ``x + y``, ``2 * x``, ``-x``, ``x[:, 0]`` in a functional model.

Keras records such expressions as graph operations; here each one becomes a
small :class:`TensorOperator` layer (no weights) whose config — the operator's
name, a JSON constant or a JSON-encoded index — saves and loads like any
other layer.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch

from torchbridge.layers.layer import Layer

__all__ = ["TensorOperator", "apply_operator"]

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "floor_divide": operator.floordiv,
    "mod": operator.mod,
    "power": operator.pow,
    "matmul": operator.matmul,
}
_UNARY: dict[str, Callable[[Any], Any]] = {"negative": operator.neg, "absolute": operator.abs}


def _encode_index(index: Any) -> Any:
    items = index if isinstance(index, tuple) else (index,)
    out: list[Any] = []
    for item in items:
        if item is None:
            out.append("newaxis")
        elif item is Ellipsis:
            out.append("...")
        elif isinstance(item, slice):
            out.append({"slice": [item.start, item.stop, item.step]})
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(item)
        else:
            raise TypeError(
                f"Indexing a KerasTensor supports ints, slices, None and ...; got {item!r}."
            )
    return out


def _decode_index(items: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for item in items:
        if item == "newaxis":
            out.append(None)
        elif item == "...":
            out.append(Ellipsis)
        elif isinstance(item, dict):
            out.append(slice(*item["slice"]))
        else:
            out.append(int(item))
    return tuple(out)


class TensorOperator(Layer):
    """One Python operator applied to tensors (what ``x + y`` on KerasTensors records)."""

    def __init__(
        self,
        op: str,
        constant: Any = None,
        reverse: bool = False,
        index: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if op not in _BINARY and op not in _UNARY and op != "getitem":
            raise ValueError(f"TensorOperator: unknown operator {op!r}.")
        self.op = op
        self.constant = constant
        self.reverse = bool(reverse)
        self.index = index
        self._index = _decode_index(index) if index is not None else None
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        if self.op == "getitem":
            return inputs[self._index]
        if self.op in _UNARY:
            return _UNARY[self.op](inputs)
        fn = _BINARY[self.op]
        if isinstance(inputs, (list, tuple)):
            return fn(inputs[0], inputs[1])
        other = torch.as_tensor(self.constant, dtype=inputs.dtype, device=inputs.device)
        return fn(other, inputs) if self.reverse else fn(inputs, other)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if self.op == "getitem" or isinstance(mask, (list, tuple)):
            return None  # the mask's axes no longer line up (or two masks meet)
        return mask

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "op": self.op,
            "constant": self.constant,
            "reverse": self.reverse,
            "index": self.index,
        }


def _constant(value: Any) -> Any:
    if isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    try:
        import numpy as np

        arr = np.asarray(value)
    except Exception:  # pragma: no cover - anything numpy cannot read
        arr = None
    if arr is not None and arr.dtype.kind in "biuf":
        return arr.tolist()
    raise TypeError(
        f"A KerasTensor can be combined with numbers, lists/arrays of numbers or another "
        f"KerasTensor; got {type(value).__name__}. Wrap other computations in a layer."
    )


def apply_operator(op: str, x: Any, other: Any = None, reverse: bool = False) -> Any:
    """Record ``op`` on a KerasTensor ``x`` (and ``other``: a KerasTensor or a constant)."""
    from torchbridge.layers.symbolic import KerasTensor

    if op == "getitem":
        return TensorOperator("getitem", index=_encode_index(other))(x)
    if op in _UNARY:
        return TensorOperator(op)(x)
    if isinstance(other, KerasTensor):
        pair = [other, x] if reverse else [x, other]
        return TensorOperator(op)(pair)
    return TensorOperator(op, constant=_constant(other), reverse=reverse)(x)
