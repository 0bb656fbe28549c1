"""Shared helpers of the convolution, pooling and reshaping layers.

Keras's argument normalisation (``kernel_size=3`` → ``(3, 3)``), TensorFlow's
``padding="same"`` arithmetic (the extra pad goes after: bottom/right) and the
channels_last ↔ channels_first moves around torch's channels-first ops.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from torchbridge.errors import InputError

__all__ = [
    "normalize_tuple",
    "normalize_data_format",
    "normalize_padding",
    "same_pads",
    "output_length",
    "to_channels_first",
    "to_channels_last",
    "check_rank",
    "reject_unsupported",
]


def normalize_tuple(value: Any, n: int, arg: str, owner: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints → a tuple of ``n`` positive ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        out: tuple[int, ...] = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(
                f"{owner}: `{arg}` must be an int or a tuple of {n} ints, got {value!r}."
            ) from None
        if len(out) != n:
            raise ValueError(
                f"{owner}: `{arg}` must be an int or a tuple of {n} ints, got {value!r}."
            )
    if any(v <= 0 for v in out):
        raise ValueError(f"{owner}: `{arg}` must be positive, got {value!r}.")
    return out


def normalize_data_format(value: str | None, owner: str) -> str:
    fmt = "channels_last" if value is None else str(value).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{owner}: `data_format` must be 'channels_last' or 'channels_first', got {value!r}."
        )
    return fmt


def normalize_padding(value: str, allowed: Sequence[str], owner: str) -> str:
    pad = str(value).lower()
    if pad not in allowed:
        raise ValueError(f"{owner}: `padding` must be one of {list(allowed)}, got {value!r}.")
    return pad


def same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME padding of one dimension: (before, after), extra pad after."""
    eff = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def output_length(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Output length of a convolution/pooling over one dimension (Keras's rule)."""
    if padding == "same":
        return math.ceil(size / stride)
    eff = (kernel - 1) * dilation + 1
    if padding == "causal":
        return math.ceil(size / stride)
    return (size - eff) // stride + 1


def to_channels_first(x: torch.Tensor, data_format: str) -> torch.Tensor:
    """The channels-first view of ``x``. A channels-last 4-D batch keeps channels-last
    *memory* (stride 1 on channels): torch's CPU convolution and pooling kernels follow
    the input's memory format, and their NCHW paths are several times slower (max-pool
    forward ~10x). A batch whose memory is NCHW-like (e.g. after a resampling layer) is
    copied once into channels-last memory; the common path is a free view."""
    if data_format != "channels_last":
        return x
    y = x.movedim(-1, 1)
    if y.dim() == 4 and y.stride(1) != 1:
        y = y.clone(memory_format=torch.channels_last)
    return y


def to_channels_last(x: torch.Tensor, data_format: str) -> torch.Tensor:
    return x.movedim(1, -1) if data_format == "channels_last" else x


def check_rank(layer: Any, inputs: torch.Tensor, rank: int, what: str) -> None:
    """Raise an ``InputError`` naming ``layer`` unless ``inputs.ndim == rank``."""
    if not isinstance(inputs, torch.Tensor):
        raise InputError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects a tensor, "
            f"got {type(inputs).__name__}."
        )
    if inputs.ndim != rank:
        raise InputError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects {what} (rank {rank}), "
            f"but received an input of shape {tuple(inputs.shape)}."
        )


def reject_unsupported(owner: str, **options: Any) -> None:
    """Keras options accepted for config compatibility but only as ``None``."""
    for key, value in options.items():
        if value is not None:
            raise NotImplementedError(
                f"{owner}: `{key}` is not supported by torchbridge yet (got {value!r}); "
                "apply the penalty/constraint in your training loop instead."
            )
