"""Keras's activation layers: ReLU, LeakyReLU, PReLU, ELU and Softmax.

Each applies the matching :mod:`torchbridge.activations` function with the
layer's arguments; ``PReLU`` holds one learned weight, ``alpha`` (Keras's name
and shape: the input shape without the batch axis, size 1 on ``shared_axes``).
``Softmax`` takes Keras's ``mask`` argument (masked positions get probability 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch

from torchbridge import activations, constraints, initializers, regularizers
from torchbridge.errors import InputError
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import Layer, _auto_name

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


def _check_non_negative(owner: str, name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or value < 0:
        raise ValueError(
            f"{owner}: `{name}` must be a non-negative number"
            f"{' or None' if allow_none else ''}. Received: {name}={value!r}"
        )


# Keras's default names split "ReLU" as "re_lu" (its snake-case rule)
_KERAS_NAMES = {"ReLU": "re_lu", "LeakyReLU": "leaky_re_lu", "PReLU": "p_re_lu"}


class _ShapePreserving(Layer):
    """An element-wise layer: masks pass through, the output shape is the input's."""

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("name") is None and type(self).__name__ in _KERAS_NAMES:
            kwargs["name"] = _auto_name(_KERAS_NAMES[type(self).__name__])
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class ReLU(_ShapePreserving):
    """Keras's ``ReLU``: ``relu(x, negative_slope, max_value, threshold)``."""

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_non_negative("ReLU", "max_value", max_value, allow_none=True)
        _check_non_negative("ReLU", "negative_slope", negative_slope)
        _check_non_negative("ReLU", "threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.built = True  # no weights: built at creation, as in Keras

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_ShapePreserving):
    """Keras's ``LeakyReLU`` (``negative_slope=0.3``; the Keras 2 name ``alpha`` is
    accepted with a warning, as Keras 3 does)."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "LeakyReLU: argument `alpha` is deprecated; use `negative_slope` instead.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        _check_non_negative("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ShapePreserving):
    """Keras's ``ELU``: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict[str, Any]:
        # Keras 3.15 leaves ``alpha`` out of the config (so it is lost on reload); it is
        # kept here so a round trip keeps the layer, and Keras reads it back as well.
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(_ShapePreserving):
    """Keras's ``PReLU``: ``x`` for ``x >= 0``, ``alpha * x`` below, ``alpha`` learned.

    ``alpha`` has the input's shape without the batch axis; each axis listed in
    ``shared_axes`` (1-based, as Keras counts them with the batch axis 0) has size
    1 and is shared.
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes: list[int] | None = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis <= len(shape):
                raise InputError(
                    f"Layer '{self.name}' (PReLU): shared axis {axis} is outside the input "
                    f"axes 1..{len(shape)} of shape {tuple(input_shape)}."
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise InputError(
                f"Layer '{self.name}' (PReLU): every non-shared axis must have a known size; "
                f"received shape {tuple(input_shape)}. Pass shared_axes for the unknown axes."
            )
        self.alpha = self.add_weight(
            shape=tuple(shape),
            name="alpha",
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or ())
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes if shared else {})

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.relu(inputs) - self.alpha * torch.relu(-inputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


def _large_negative(dtype: torch.dtype) -> float:
    """Keras's stand-in for ``-inf`` on masked logits (half types use their own limit)."""
    if dtype in (torch.float16, torch.bfloat16):
        return -3e4 if dtype == torch.float16 else -1e9
    return -1e9


class Softmax(_ShapePreserving):
    """Keras's ``Softmax`` over ``axis`` (an int or a list of axes).

    ``mask`` (broadcastable to the inputs; 1/True keeps) sets masked logits to a
    large negative number before the softmax and their outputs to 0 after.
    """

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis: Any = axis
        self.built = True

    def call(self, inputs: torch.Tensor, mask: Any = None) -> torch.Tensor:
        if mask is not None:
            mask = torch.as_tensor(mask, device=inputs.device)
            if mask.ndim > inputs.ndim or any(
                m != 1 and m != i for m, i in zip(reversed(mask.shape), reversed(inputs.shape))
            ):
                raise InputError(
                    f"Layer '{self.name}' (Softmax): the mask must broadcast to the inputs "
                    f"(each mask axis 1 or equal to the input's). Received inputs.shape="
                    f"{tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}."
                )
            if mask.dtype != torch.bool:
                mask = mask > 0.5
            fill = torch.tensor(_large_negative(inputs.dtype), dtype=inputs.dtype)
            inputs = torch.where(mask, inputs, fill.to(inputs.device))
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            dims = tuple(int(a) for a in self.axis)
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=dims, keepdim=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis
            outputs = torch.softmax(inputs, dim=int(axis))
        if mask is not None:
            outputs = torch.where(mask, outputs, torch.zeros((), dtype=outputs.dtype))
        return outputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
