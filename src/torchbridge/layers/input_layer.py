"""``Input`` / ``InputLayer``: declare the shape a model takes.

``Input(shape)`` creates an :class:`InputLayer` and returns its output, a
:class:`~torchbridge.layers.symbolic.KerasTensor` — a placeholder with the
shape (batch dimension ``None``) and dtype. Calling layers on it builds a
functional graph (``Model(inputs, outputs)``); ``Sequential`` uses it to
build every layer up front, so ``summary()`` and ``count_params()`` work
before any data is seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer
from torchbridge.layers.symbolic import KerasTensor, Node

__all__ = ["Input", "InputLayer", "KerasTensor"]


class InputLayer(Layer):
    """The first "layer" of a model: passes its input through."""

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise InputError("Input(sparse=True) is not supported; use dense tensors.")
        if input_tensor is not None:
            raise InputError("Input(tensor=...) is not supported; pass shape=... instead.")
        if batch_shape is not None:
            batch_size, shape = batch_shape[0], tuple(batch_shape[1:])
        if shape is None:
            raise InputError("Input/InputLayer needs shape=(...) (without the batch dimension).")
        if isinstance(shape, int):
            shape = (shape,)
        self.input_shape_ = (batch_size, *tuple(shape))
        self.optional = optional
        self.built = True
        output = KerasTensor(self.input_shape_, dtype or "float32", name=self.name)
        output._keras_history = (self, 0, 0)
        self.__dict__["_inbound_nodes"] = [Node(self, (), {}, output)]

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": list(self.input_shape_),
            "dtype": self._dtype_arg or "float32",
            "sparse": False,
            "name": self.name,
        }


def Input(
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> KerasTensor:
    """Keras's ``Input``: a placeholder for a model input of ``shape``."""
    if shape is None and batch_shape is None:
        raise InputError("Input() needs shape=(...) (without the batch dimension).")
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output
