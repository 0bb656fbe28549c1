"""``Input`` / ``InputLayer``: declare the shape a model takes.

``Input(shape)`` creates an :class:`InputLayer` and returns its output, a
:class:`~torchbridge.layers.symbolic.KerasTensor` — a placeholder with the
shape (batch dimension ``None``) and dtype. Calling layers on it builds a
functional graph (``Model(inputs, outputs)``); ``Sequential`` uses it to
build every layer up front, so ``summary()`` and ``count_params()`` work
before any data is seen. Keras's ``sparse`` / ``ragged`` / ``optional`` are
accepted as ``False`` (their config keys are Keras's); ``True`` is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer, dtype_name_of
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
        ragged: bool | None = None,
        batch_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if batch_shape is None and "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise InputError("Input(sparse=True) is not supported; use dense tensors.")
        if ragged:
            raise InputError(
                "Input(ragged=True) is not supported: torchbridge has no ragged tensors. Pad "
                "the sequences to one length (keras.utils.pad_sequences) and mask the padding."
            )
        if optional:
            raise InputError(
                "Input(optional=True) is not supported: a model's inputs cannot be None in "
                "torchbridge. Pass a tensor for every input (e.g. zeros) instead."
            )
        if input_tensor is not None:
            raise InputError("Input(tensor=...) is not supported; pass shape=... instead.")
        if batch_shape is not None:
            batch_size, shape = batch_shape[0], tuple(batch_shape[1:])
        if shape is None:
            raise InputError("Input/InputLayer needs shape=(...) (without the batch dimension).")
        if isinstance(shape, int):
            shape = (shape,)
        shape = _checked_shape(shape)
        self.input_shape_ = (batch_size, *tuple(shape))
        self.sparse = False
        self.ragged = False
        self.optional = False
        self.built = True
        output = KerasTensor(self.input_shape_, self._dtype_arg or "float32", name=self.name)
        output._keras_history = (self, 0, 0)
        self.__dict__["_inbound_nodes"] = [Node(self, (), {}, output)]

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": list(self.input_shape_),
            "dtype": dtype_name_of(self._dtype_arg or "float32"),
            "sparse": self.sparse,
            "ragged": self.ragged,
            "name": self.name,
            "optional": self.optional,
        }


def Input(
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    ragged: bool | None = None,
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
        ragged=ragged,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output


def _checked_shape(shape: Any) -> tuple[int | None, ...]:
    """Each dimension ``None`` (any size) or an integer >= 0, as Keras's ``standardize_shape``."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise InputError(
            f"Input shape must be a tuple of integers (or None for any size), got {shape!r}. "
            "E.g. Input(shape=(28, 28, 1)), without the batch dimension."
        ) from None
    checked: list[int | None] = []
    for d in dims:
        if d is None:
            checked.append(None)
            continue
        if isinstance(d, bool) or not hasattr(d, "__index__") or int(d) < 0:
            raise InputError(
                f"Input shape {dims!r} has the dimension {d!r}: each must be an integer >= 0 or "
                "None (any size). E.g. Input(shape=(None, 16)) for sequences of any length."
            )
        checked.append(int(d))
    return tuple(checked)
