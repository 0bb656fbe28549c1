"""Keras's Cropping1D/2D/3D: remove rows/columns/planes at the edges of the spatial axes.

Also holds :func:`pairs`, the Keras normalisation of an edge argument (``1`` →
``((1, 1), ...)``, ``(a, b)`` → ``((a, a), (b, b))``) shared with the
ZeroPadding layers in reshaping.py.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import normalize_data_format
from torchbridge.layers.input_spec import InputSpec
from torchbridge.layers.layer import Layer

__all__ = ["Cropping1D", "Cropping2D", "Cropping3D", "pair", "pairs"]


def pair(value: Any, arg: str, owner: str) -> tuple[int, int]:
    """An int or two non-negative ints → ``(before, after)``."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value, value)
    else:
        try:
            out = tuple(int(v) for v in value)  # type: ignore[assignment]
        except TypeError:
            out = ()  # type: ignore[assignment]
        if len(out) != 2:
            raise ValueError(
                f"{owner}: `{arg}` must be an int or a tuple of 2 ints, got {value!r}."
            )
    if min(out) < 0:
        raise ValueError(f"{owner}: `{arg}` must be non-negative, got {value!r}.")
    return out


def pairs(value: Any, n: int, arg: str, owner: str) -> tuple[tuple[int, int], ...]:
    """Keras's ``n``-axis edge argument: an int, ``n`` ints, or ``n`` pairs of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (pair(value, arg, owner),) * n
    if not hasattr(value, "__len__") or len(value) != n:
        raise ValueError(
            f"{owner}: `{arg}` must be an int, a tuple of {n} ints or a tuple of {n} tuples "
            f"of 2 ints. Received: {arg}={value!r}"
        )
    return tuple(pair(v, f"entry {i + 1} of {arg}", owner) for i, v in enumerate(value))


def spatial_axes(rank: int, data_format: str) -> list[int]:
    """The spatial axes of a ``rank``-D batch in ``data_format``."""
    return list(range(2, rank)) if data_format == "channels_first" else list(range(1, rank - 1))


class _Cropping(Layer):
    _n = 1

    def __init__(self, cropping: Any, data_format: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.data_format = normalize_data_format(data_format, owner)
        self._pairs = pairs(cropping, self._n, "cropping", owner)
        self.cropping: Any = self._pairs
        self.input_spec = InputSpec(ndim=self._n + 2)

    def _cropped(self, shape: Any) -> list[Any]:
        out = list(shape)
        for axis, (a, b) in zip(spatial_axes(len(shape), self.data_format), self._pairs):
            if out[axis] is None:
                continue
            out[axis] -= a + b
            if out[axis] <= 0:
                raise InputError(
                    f"Layer '{self.name}' ({type(self).__name__}): cropping {self.cropping} "
                    f"must be smaller than the spatial sizes of the input shape "
                    f"{tuple(shape)}."
                )
        return out

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._cropped(tuple(inputs.shape))
        index: list[slice] = [slice(None)] * inputs.ndim
        for axis, (a, b) in zip(spatial_axes(inputs.ndim, self.data_format), self._pairs):
            index[axis] = slice(a, inputs.shape[axis] - b)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(self._cropped(input_shape))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Keras's ``Cropping1D``: ``cropping=(start, end)`` steps off ``(batch, steps, features)``."""

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__((cropping,), None, **kwargs)
        self.cropping = self._pairs[0]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("data_format")
        return config


class Cropping2D(_Cropping):
    """Keras's ``Cropping2D``: ``cropping`` is an int, ``(h, w)`` or ``((top, bottom),
    (left, right))``."""

    _n = 2

    def __init__(
        self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Keras's ``Cropping3D``: ``cropping`` is an int, 3 ints or 3 pairs of ints."""

    _n = 3

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)
