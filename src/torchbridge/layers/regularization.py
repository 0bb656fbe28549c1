"""Keras's regularization layers beyond ``Dropout``: GaussianNoise, GaussianDropout,
AlphaDropout, SpatialDropout1D/2D/3D and ActivityRegularization.

The noise layers act in training only (``training=True``, or a module in
``train()`` mode) and are the identity in inference. Their draws come from a
:class:`torchbridge.random.SeedGenerator` held as ``seed_generator`` (Keras's
attribute), so a ``seed`` makes the noise reproducible and the generator's state
travels with saved models, as in Keras. ``ActivityRegularization`` is the identity
that adds an L1/L2 penalty on its output to the layer's losses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from torchbridge import random as tb_random
from torchbridge.layers._conv_utils import normalize_data_format
from torchbridge.layers.core import Dropout
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import Layer
from torchbridge.random.seed_generator import make_generator

__all__ = [
    "ActivityRegularization",
    "AlphaDropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]

# SELU's constants (the fixed point AlphaDropout keeps the mean and variance at).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _draw(
    kind: str, shape: Sequence[int], like: torch.Tensor, seed: tb_random.SeedGenerator
) -> torch.Tensor:
    """Standard normal (``kind="normal"``) or U[0, 1) draws on ``like``'s device, in its
    dtype (half types drawn in float32), from the layer's SeedGenerator."""
    dtype = like.dtype if like.dtype in (torch.float32, torch.float64) else torch.float32
    generator = make_generator(seed, like.device)
    draw = torch.randn if kind == "normal" else torch.rand
    out = draw(tuple(shape), generator=generator, dtype=dtype, device=like.device)
    return out.to(like.dtype) if like.is_floating_point() else out


def _check_unit_interval(owner: str, name: str, value: Any) -> None:
    if not 0 <= value <= 1:
        raise ValueError(
            f"{owner}: `{name}` must be a float between 0 and 1. Received: {name}={value!r}"
        )


class _Noise(Layer):
    """Shared parts: identity shapes and masks, a SeedGenerator when the layer is active."""

    def __init__(self, amount: float, seed: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.supports_masking = True
        if amount > 0:
            self.seed_generator = tb_random.SeedGenerator(seed)
        self.built = True  # no weights: built at creation, as in Keras

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class GaussianNoise(_Noise):
    """Keras's ``GaussianNoise``: adds ``N(0, stddev²)`` noise in training."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        _check_unit_interval("GaussianNoise", "stddev", stddev)
        super().__init__(stddev, seed, **kwargs)
        self.stddev = stddev

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.stddev <= 0:
            return inputs
        return inputs + self.stddev * _draw("normal", inputs.shape, inputs, self.seed_generator)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Keras's ``GaussianDropout``: multiplies by ``N(1, rate / (1 - rate))`` noise in
    training."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        _check_unit_interval("GaussianDropout", "rate", rate)
        super().__init__(rate, seed, **kwargs)
        self.rate = rate

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.rate <= 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = 1.0 + stddev * _draw("normal", inputs.shape, inputs, self.seed_generator)
        return inputs * noise

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_Noise):
    """Keras's ``AlphaDropout``: dropout for SELU networks, keeping mean and variance.

    Dropped entries become SELU's negative saturation value, then all entries are
    moved by the affine map that restores the inputs' mean and variance.
    ``noise_shape`` (``None`` entries take the input's size) shares the draw.
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        _check_unit_interval("AlphaDropout", "rate", rate)
        super().__init__(rate, seed, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.rate <= 0:
            return inputs
        if self.noise_shape is None:
            shape = tuple(inputs.shape)
        else:
            shape = tuple(
                n if d is None else int(d) for d, n in zip(self.noise_shape, inputs.shape)
            )
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = (_draw("uniform", shape, inputs, self.seed_generator) >= self.rate).to(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per (sample, channel)."""

    _rank = 3

    def __init__(
        self,
        rate: float,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.seed_generator = tb_random.SeedGenerator(seed)
        self.input_spec = InputSpec(ndim=self._rank)
        self.data_format = "channels_last"
        self.built = True

    def _noise_shape(self, inputs: torch.Tensor) -> tuple[int, ...]:
        ones = (1,) * (inputs.ndim - 2)
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1], *ones)
        return (inputs.shape[0], *ones, inputs.shape[-1])

    def call(self, inputs: torch.Tensor, training: bool | None = False) -> torch.Tensor:
        if not training or self.rate <= 0:
            return inputs
        return tb_random.dropout(
            inputs, self.rate, noise_shape=self._noise_shape(inputs), seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Keras's ``SpatialDropout1D``: drops whole channels of ``(batch, steps, channels)``."""

    _rank = 3


class _ImageSpatialDropout(_SpatialDropout):
    """SpatialDropout2D/3D: ``data_format`` says where the channels are."""

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_ImageSpatialDropout):
    """Keras's ``SpatialDropout2D``: drops whole 2D feature maps."""

    _rank = 4


class SpatialDropout3D(_ImageSpatialDropout):
    """Keras's ``SpatialDropout3D``: drops whole 3D feature maps."""

    _rank = 5


class ActivityRegularization(Layer):
    """Keras's ``ActivityRegularization``: the identity, adding
    ``l1 * sum(|x|) + l2 * sum(x²)`` (over the batch size) to the layer's losses."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        from torchbridge import regularizers

        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
