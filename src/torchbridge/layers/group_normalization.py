"""Per-sample normalization layers: GroupNormalization, RMSNormalization and
UnitNormalization (Keras's names, defaults, weights and configs).

Unlike ``BatchNormalization`` these keep no moving statistics: each sample is
normalised with its own statistics, the same in training and inference.
Weights: ``GroupNormalization`` has ``gamma`` then ``beta`` (each of the
channel axis's size), ``RMSNormalization`` has ``scale``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchbridge import constraints, initializers, regularizers
from torchbridge.errors import InputError
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import Layer

__all__ = ["GroupNormalization", "RMSNormalization", "UnitNormalization"]


def _axes(axis: Any) -> list[int]:
    return list(axis) if isinstance(axis, (list, tuple)) else [int(axis)]


def _check_axes(layer: Layer, axis: Any, input_shape: Any) -> Any:
    rank = len(input_shape)
    for a in _axes(axis):
        if not -rank <= a < rank:
            raise InputError(
                f"Layer '{layer.name}' ({type(layer).__name__}): axis {a} is out of bounds for "
                f"input shape {tuple(input_shape)}. Received: axis={axis}"
            )
    return input_shape


class UnitNormalization(Layer):
    """Keras's ``UnitNormalization``: scales each sample to unit L2 norm along ``axis``
    (``x * min(1 / ||x||, 1e12)``)."""

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: int | list[int] = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "UnitNormalization: `axis` must be an int or a list/tuple of ints. "
                f"Received: axis={axis!r}"
            )
        self.supports_masking = True
        self.built = True  # no weights: built at creation, as in Keras

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        square_sum = torch.sum(torch.square(inputs), dim=_axes(self.axis), keepdim=True)
        return inputs * torch.clamp(torch.rsqrt(square_sum), max=1e12)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _check_axes(self, self.axis, input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Keras's ``RMSNormalization``: ``x / sqrt(mean(x², axis) + epsilon) * scale``.

    ``scale`` (initialised to ones) has the sizes of the normalised axes; after
    build ``axis`` is a sorted list, as in Keras.
    """

    def __init__(
        self, axis: int | Sequence[int] = -1, epsilon: float = 1e-6, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.axis: Any = axis
        self.epsilon = epsilon

    def build(self, input_shape: Any) -> None:
        _check_axes(self, self.axis, input_shape)
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise InputError(
                f"Layer '{self.name}' (RMSNormalization): the normalised axes {self.axis} "
                f"must have known sizes; received shape {tuple(input_shape)}."
            )
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.float() if inputs.dtype in (torch.float16, torch.bfloat16) else inputs
        rrms = torch.rsqrt(torch.mean(torch.square(x), dim=self.axis, keepdim=True) + self.epsilon)
        return (x * rrms * self.scale.to(x.dtype)).to(inputs.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _check_axes(self, self.axis, input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class GroupNormalization(Layer):
    """Keras's ``GroupNormalization``: the channels on ``axis`` split into ``groups``
    contiguous groups, each normalised per sample over its channels and all
    other non-batch axes; then ``gamma`` / ``beta`` per channel.

    ``groups=-1`` is one group per channel (instance normalization); after build
    ``groups`` holds the channel count, as in Keras.
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive integer (or -1 for instance "
                f"normalization). Received: groups={groups!r}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        _check_axes(self, self.axis, input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise InputError(
                f"Layer '{self.name}' (GroupNormalization): axis {self.axis} of the input must "
                f"have a known size; received shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise InputError(
                f"Layer '{self.name}' (GroupNormalization): groups={self.groups} must divide "
                f"the {dim} channels of axis {self.axis}; pick a divisor of {dim}."
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.gamma: Any = None
        self.beta: Any = None
        if self.scale:
            self.gamma = self.add_weight(
                shape=(dim,),
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(dim,),
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
            )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        axis = self.axis % inputs.ndim
        x = torch.movedim(inputs, axis, 1)
        moved_shape = x.shape
        compute = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        grouped = compute.reshape(x.shape[0], self.groups, -1)
        var, mean = torch.var_mean(grouped, dim=2, keepdim=True, unbiased=False)
        normalized = ((grouped - mean) * torch.rsqrt(var + self.epsilon)).reshape(moved_shape)
        bshape = (1, -1) + (1,) * (inputs.ndim - 2)
        if self.gamma is not None:
            normalized = normalized * self.gamma.to(normalized.dtype).reshape(bshape)
        if self.beta is not None:
            normalized = normalized + self.beta.to(normalized.dtype).reshape(bshape)
        return torch.movedim(normalized.to(inputs.dtype), 1, axis)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _check_axes(self, self.axis, input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
