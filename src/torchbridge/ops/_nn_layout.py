"""Layout helpers shared by the convolution and pooling ops: Keras's ``data_format``
(channels_last by default, via ``image_data_format()``) to torch's channels-first,
per-dimension argument tuples, and TensorFlow's ``"same"`` padding amounts."""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.backend import config

__all__ = [
    "check_padding",
    "data_format_of",
    "from_channels_first",
    "pad_same",
    "same_pads",
    "spatial_tuple",
    "to_channels_first",
]


def data_format_of(data_format: Any) -> str:
    """``None`` → ``image_data_format()``; otherwise one of Keras's two names."""
    if data_format is None:
        return config.image_data_format()
    fmt = str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format!r}"
        )
    return fmt


def check_padding(name: str, padding: Any) -> str:
    pad = str(padding).lower()
    if pad not in ("valid", "same"):
        raise ValueError(
            f"{name}: `padding` must be 'valid' or 'same'. Received: padding={padding!r}"
        )
    return pad


def spatial_tuple(name: str, arg: str, value: Any, n: int) -> tuple[int, ...]:
    """An int or an ``n``-sequence as an ``n``-tuple; an error naming the argument."""
    if isinstance(value, int):
        return (value,) * n
    out = tuple(int(v) for v in value)
    if len(out) == 1 and n > 1:
        return out * n
    if len(out) != n:
        raise ValueError(
            f"{name}: `{arg}` must be an int or {n} ints for {n} spatial dimensions. "
            f"Received: {arg}={value!r}"
        )
    return out


def to_channels_first(x: torch.Tensor, data_format: str) -> torch.Tensor:
    if data_format == "channels_first":
        return x
    return x.movedim(-1, 1)


def from_channels_first(x: torch.Tensor, data_format: str) -> torch.Tensor:
    if data_format == "channels_first":
        return x
    return x.movedim(1, -1)


def same_pads(
    sizes: Any, kernel: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...]
) -> list[tuple[int, int]]:
    """TensorFlow's SAME padding per spatial dimension: ``(before, after)``, the odd
    element after."""
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        effective = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + effective - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def pad_same(x: torch.Tensor, pads: list[tuple[int, int]], value: float = 0.0) -> torch.Tensor:
    """``x`` (channels-first) padded by ``pads`` on its spatial dimensions."""
    flat: list[int] = []
    for before, after in reversed(pads):
        flat += [before, after]
    if not any(flat):
        return x
    return F.pad(x, flat, value=value)
