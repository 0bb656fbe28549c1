"""Spatial reshaping layers: ZeroPadding1D/2D/3D and UpSampling1D/2D/3D."""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.layers._conv_utils import (
    check_rank,
    normalize_data_format,
    normalize_tuple,
    to_channels_first,
    to_channels_last,
)
from torchbridge.layers.cropping import pair, pairs, spatial_axes
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import Layer

__all__ = [
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]


class ZeroPadding2D(Layer):
    """Keras's ``ZeroPadding2D``: ``padding`` is an int, ``(h, w)`` or ``((t, b), (l, r))``."""

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if isinstance(padding, int):
            pads = ((padding, padding), (padding, padding))
        elif len(padding) == 2 and all(isinstance(p, int) for p in padding):
            pads = ((padding[0], padding[0]), (padding[1], padding[1]))
        elif len(padding) == 2:
            pads = (
                tuple(int(v) for v in padding[0]),  # type: ignore[assignment]
                tuple(int(v) for v in padding[1]),
            )
            if any(len(p) != 2 for p in pads):
                raise ValueError(f"{owner}: invalid `padding` {padding!r}.")
        else:
            raise ValueError(
                f"{owner}: `padding` must be an int, a tuple of 2 ints or a tuple of 2 "
                f"tuples of 2 ints, got {padding!r}."
            )
        if any(v < 0 for p in pads for v in p):
            raise ValueError(f"{owner}: `padding` must be non-negative, got {padding!r}.")
        self.padding: tuple[tuple[int, int], tuple[int, int]] = pads
        self.data_format = normalize_data_format(data_format, owner)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        check_rank(self, inputs, 4, "4D inputs (batch, rows, cols, channels)")
        (top, bottom), (left, right) = self.padding
        x = to_channels_first(inputs, self.data_format)
        return to_channels_last(F.pad(x, (left, right, top, bottom)), self.data_format)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class UpSampling2D(Layer):
    """Keras's ``UpSampling2D``: ``interpolation="nearest"`` (repeat) or ``"bilinear"``."""

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.size = normalize_tuple(size, 2, "size", owner)
        self.data_format = normalize_data_format(data_format, owner)
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"{owner}: interpolation={interpolation!r} is not supported; "
                "use 'nearest' or 'bilinear'."
            )
        self.interpolation = interpolation

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        check_rank(self, inputs, 4, "4D inputs (batch, rows, cols, channels)")
        x = to_channels_first(inputs, self.data_format)
        if self.interpolation == "nearest":
            y = x.repeat_interleave(self.size[0], dim=2).repeat_interleave(self.size[1], dim=3)
        else:
            if not x.is_floating_point():
                x = x.float()
            h, w = x.shape[2] * self.size[0], x.shape[3] * self.size[1]
            y = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
        return to_channels_last(y, self.data_format)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "size": self.size,
                "data_format": self.data_format,
                "interpolation": self.interpolation,
            }
        )
        return config


class _ZeroPadding(Layer):
    """Zeros added before/after each spatial axis (``self._pairs``, one pair per axis)."""

    def __init__(self, padding: Any, n: int, data_format: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.data_format = normalize_data_format(data_format, owner)
        self._pairs = pairs(padding, n, "padding", owner)
        self.padding: Any = self._pairs
        self.input_spec = InputSpec(ndim=n + 2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        pads: list[int] = []
        for a, b in reversed(self._pairs):  # F.pad lists the last axis first
            pads += [a, b]
        if self.data_format == "channels_last":
            pads = [0, 0, *pads]
        return F.pad(inputs, pads)

    def compute_output_shape(self, input_shape: Any) -> Any:
        out = list(input_shape)
        for axis, (a, b) in zip(spatial_axes(len(out), self.data_format), self._pairs):
            if out[axis] is not None:
                out[axis] += a + b
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Keras's ``ZeroPadding1D``: ``padding`` is an int or ``(start, end)`` steps."""

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__((pair(padding, "padding", "ZeroPadding1D"),), 1, data_format, **kwargs)
        self.padding = self._pairs[0]


class ZeroPadding3D(_ZeroPadding):
    """Keras's ``ZeroPadding3D``: ``padding`` is an int, 3 ints or 3 pairs of ints."""

    def __init__(
        self,
        padding: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(padding, 3, data_format, **kwargs)


class UpSampling1D(Layer):
    """Keras's ``UpSampling1D``: repeats each step ``size`` times."""

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"UpSampling1D: `size` must be an int, got {type(size).__name__}.")
        if size <= 0:
            raise ValueError(f"UpSampling1D: `size` must be a positive int. Received: size={size}")
        self.size = size
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.repeat_interleave(self.size, dim=1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class UpSampling3D(Layer):
    """Keras's ``UpSampling3D``: repeats along the three spatial axes by ``size``."""

    def __init__(
        self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.data_format = normalize_data_format(data_format, owner)
        self.size = normalize_tuple(size, 3, "size", owner)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        out = inputs
        for axis, n in zip(spatial_axes(5, self.data_format), self.size):
            out = out.repeat_interleave(n, dim=axis)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        out = list(input_shape)
        for axis, n in zip(spatial_axes(5, self.data_format), self.size):
            if out[axis] is not None:
                out[axis] *= n
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
