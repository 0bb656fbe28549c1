"""Initializers that draw: ``RandomNormal``, ``RandomUniform``, ``TruncatedNormal``,
``VarianceScaling`` and its named cases (Glorot, He, LeCun), and ``Orthogonal``.

Seeding and the draws themselves live in :mod:`torchbridge.initializers.base`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from torchbridge.initializers.base import RandomInitializer, compute_fans

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
]

#: Stddev of a standard normal truncated to [-2, 2]: Keras divides by it so the
#: truncated draw keeps the variance asked for.
_TRUNCATED_STDDEV = 0.87962566103423978


class RandomNormal(RandomInitializer):
    """Normal values with ``mean`` and ``stddev``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return self._normal(shape, self.mean, self.stddev, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Normal values with ``mean`` and ``stddev``, none more than two stddevs away."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return self._truncated_normal(shape, self.mean, self.stddev, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Uniform values in ``[minval, maxval)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return self._uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")


class VarianceScaling(RandomInitializer):
    """Values of variance ``scale / n``, ``n`` the fan of ``mode`` (``fan_in``, ``fan_out``
    or their average): truncated normal (``"normal"`` is its alias), untruncated normal,
    or uniform on ``[-sqrt(3 * scale / n), sqrt(3 * scale / n)]``."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of {_MODES}.")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. Please use one of "
                f"{_DISTRIBUTIONS}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return self._truncated_normal(
                shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype
            )
        if self.distribution == "untruncated_normal":
            return self._normal(shape, 0.0, math.sqrt(variance), dtype)
        limit = math.sqrt(3.0 * variance)
        return self._uniform(shape, -limit, limit, dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _NamedScaling(VarianceScaling):
    """A :class:`VarianceScaling` with fixed scale, mode and distribution: only the seed
    and the fan axes are arguments (and config)."""

    _scale: float
    _mode: str
    _distribution: str

    def __init__(
        self,
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        super().__init__(
            scale=self._scale,
            mode=self._mode,
            distribution=self._distribution,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "seed": RandomInitializer.get_config(self)["seed"],
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_NamedScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``."""

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_NamedScaling):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class LecunNormal(_NamedScaling):
    """Truncated normal with ``stddev = sqrt(1 / fan_in)``."""

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_NamedScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class HeNormal(_NamedScaling):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)``."""

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_NamedScaling):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class Orthogonal(RandomInitializer):
    """``gain`` times an orthogonal matrix (from the QR decomposition of a normal draw),
    reshaped: shape ``(*dims, n)`` is orthogonal as a ``(prod(dims), n)`` matrix — its
    columns, or its rows when it is wider than tall."""

    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. Received: "
                f"shape={tuple(shape)} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), int(shape[-1])
        target, work = self._float_dtype(dtype)
        a = self._normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, work)
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(tuple(shape))).to(target)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}
