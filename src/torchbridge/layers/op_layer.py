"""``keras.ops`` on symbolic tensors: ``ops.add(a, b)``, ``ops.cast(mask, "float32")`` in a
functional model.

Keras records an op called on KerasTensors as a graph operation; here the call
becomes a small :class:`OpLayer` (no weights) that holds the op's name and its
non-tensor arguments as JSON, with a placeholder where each KerasTensor was.
Calling it on the KerasTensors records a node like any layer call (probe runs
give the output shapes), and its config saves and loads with the model.
``ops.shape`` / ``ops.dtype`` of a KerasTensor answer statically, as in Keras.
The handler is registered with ``torchbridge.ops`` when ``layers`` is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.layers.layer import Layer, _auto_name
from torchbridge.layers.symbolic import KerasTensor
from torchbridge.ops._symbolic import find_op, register_symbolic_handler

__all__ = ["OpLayer", "record_op"]

_TENSOR, _TUPLE, _ARRAY = "__keras_tensor__", "__tuple__", "__array__"


class OpLayer(Layer):
    """One ``keras.ops`` call in a functional graph (what ``ops.X(keras_tensor)`` records)."""

    def __init__(self, op: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        fn = find_op(op)
        if fn is None:
            raise ValueError(f"OpLayer: unknown op {op!r} (a name of torchbridge.ops).")
        self.op = op
        self.arguments = arguments or {"args": [], "kwargs": {}}
        self._fn = fn
        self.supports_masking = True  # ops drop masks silently, as Keras's operations do
        self.built = True

    def call(self, inputs: Any) -> Any:
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        args = _decode(self.arguments["args"], tensors)
        kwargs = _decode(self.arguments["kwargs"], tensors)
        return self._fn(*args, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "op": self.op, "arguments": self.arguments}


def record_op(name: str, op: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The symbolic handler of ``torchbridge.ops``: record ``op(*args, **kwargs)``."""
    short = name.rpartition(".")[2]
    if short in ("shape", "dtype", "ndim") and len(args) == 1 and not kwargs:
        x = args[0]
        return {"shape": tuple(x.shape), "dtype": x.dtype, "ndim": len(x.shape)}[short]
    tensors: list[KerasTensor] = []
    arguments = {
        "args": _encode(list(args), tensors, name),
        "kwargs": _encode(dict(kwargs), tensors, name),
    }
    layer = OpLayer(name, arguments, name=_auto_name(_camel(short)))
    return layer(tensors if len(tensors) > 1 else tensors[0])


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _encode(value: Any, tensors: list[KerasTensor], op: str) -> Any:
    if isinstance(value, KerasTensor):
        tensors.append(value)
        return {_TENSOR: len(tensors) - 1}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v, tensors, op) for v in value]}
    if isinstance(value, list):
        return [_encode(v, tensors, op) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v, tensors, op) for k, v in value.items()}
    if isinstance(value, torch.dtype):
        return str(value).replace("torch.", "")
    if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        array = np.asarray(array)
        if array.dtype.kind in "biuf":
            return {_ARRAY: array.tolist(), "dtype": str(array.dtype)}
    raise TypeError(
        f"ops.{op} on a KerasTensor: the argument {value!r} ({type(value).__name__}) cannot be "
        "recorded in the functional graph (numbers, strings, lists, arrays and KerasTensors "
        "can). Compute it inside a layer's call() instead."
    )


def _decode(value: Any, tensors: list[Any]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if isinstance(value, dict):
        if _TENSOR in value:
            return tensors[value[_TENSOR]]
        if _TUPLE in value:
            return tuple(_decode(v, tensors) for v in value[_TUPLE])
        if _ARRAY in value:
            return np.asarray(value[_ARRAY], dtype=value["dtype"])
        return {k: _decode(v, tensors) for k, v in value.items()}
    return value


register_symbolic_handler(KerasTensor, record_op)
