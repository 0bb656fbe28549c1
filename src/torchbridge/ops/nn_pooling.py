"""Pooling and patch ops of ``keras.ops.nn`` on torch: ``max_pool``, ``average_pool``,
``adaptive_max_pool``, ``adaptive_average_pool``, ``unfold``/``fold`` and
``depth_to_space``/``space_to_depth``.

Pools take ``(batch, *spatial, channels)`` for ``channels_last`` (the default through
``image_data_format()``) or channels first, 1D to 3D. ``padding="same"`` is
TensorFlow's: the odd padding element after, max pools ignore the padding and average
pools divide by the number of real elements in each window. Adaptive pools use
PyTorch's windows (``floor(i * n / out)`` to ``ceil((i + 1) * n / out)``), the ones
Keras's backends compute. ``unfold``/``fold`` work on ``(N, C, H, W)`` and
``(N, C * kh * kw, L)`` as torch's; ``depth_to_space``/``space_to_depth`` use
TensorFlow's channel order (block row, block column, then channel).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.ops._convert import to_tensor
from torchbridge.ops._nn_layout import (
    check_padding,
    data_format_of,
    from_channels_first,
    pad_same,
    same_pads,
    spatial_tuple,
    to_channels_first,
)

__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "depth_to_space",
    "fold",
    "max_pool",
    "space_to_depth",
    "unfold",
]

_Tensor = torch.Tensor
_MAX = (F.max_pool1d, F.max_pool2d, F.max_pool3d)
_AVG = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)
_ADAPTIVE_MAX = (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d)
_ADAPTIVE_AVG = (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d)


def _spatial_input(name: str, inputs: Any, data_format: Any) -> tuple[torch.Tensor, str, int]:
    x = inputs if type(inputs) is _Tensor else to_tensor(inputs)
    n = x.dim() - 2
    if not 1 <= n <= 3:
        raise ValueError(
            f"{name}: inputs must be rank 3, 4 or 5 (1D, 2D or 3D pooling). Received: "
            f"inputs.shape={tuple(x.shape)}"
        )
    fmt = data_format_of(data_format)
    return to_channels_first(x, fmt), fmt, n


def _pool_args(
    name: str, n: int, pool_size: Any, strides: Any
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    size = spatial_tuple(name, "pool_size", pool_size, n)
    stride = size if strides is None else spatial_tuple(name, "strides", strides, n)
    return size, stride


def max_pool(
    inputs: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: Any = None,
) -> torch.Tensor:
    """The maximum over each ``pool_size`` window (``strides`` default: ``pool_size``)."""
    x, fmt, n = _spatial_input("max_pool", inputs, data_format)
    pad = check_padding("max_pool", padding)
    size, stride = _pool_args("max_pool", n, pool_size, strides)
    if pad == "same":
        low = float("-inf") if x.is_floating_point() else torch.iinfo(x.dtype).min
        x = pad_same(x, same_pads(x.shape[2:], size, stride, (1,) * n), value=low)
    return from_channels_first(_MAX[n - 1](x, size, stride), fmt)


def average_pool(
    inputs: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: Any = None,
) -> torch.Tensor:
    """The mean over each ``pool_size`` window (``strides`` default: ``pool_size``)."""
    x, fmt, n = _spatial_input("average_pool", inputs, data_format)
    pad = check_padding("average_pool", padding)
    size, stride = _pool_args("average_pool", n, pool_size, strides)
    if pad == "same":
        pads = same_pads(x.shape[2:], size, stride, (1,) * n)
        if any(b or a for b, a in pads):
            ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
            sums = _AVG[n - 1](pad_same(x, pads), size, stride)
            counts = _AVG[n - 1](pad_same(ones, pads), size, stride)
            return from_channels_first(sums / counts, fmt)
    return from_channels_first(_AVG[n - 1](x, size, stride), fmt)


def _adaptive(name: str, table: Any, inputs: Any, output_size: Any, data_format: Any) -> Any:
    x, fmt, n = _spatial_input(name, inputs, data_format)
    size = spatial_tuple(name, "output_size", output_size, n)
    out = table[n - 1](x, size)
    if isinstance(out, tuple):  # adaptive max pools may return indices
        out = out[0]
    return from_channels_first(out, fmt)


def adaptive_max_pool(inputs: Any, output_size: Any, data_format: Any = None) -> torch.Tensor:
    """Max pooling to a fixed ``output_size`` per spatial dimension."""
    return _adaptive("adaptive_max_pool", _ADAPTIVE_MAX, inputs, output_size, data_format)  # type: ignore[no-any-return]


def adaptive_average_pool(inputs: Any, output_size: Any, data_format: Any = None) -> torch.Tensor:
    """Average pooling to a fixed ``output_size`` per spatial dimension."""
    return _adaptive("adaptive_average_pool", _ADAPTIVE_AVG, inputs, output_size, data_format)  # type: ignore[no-any-return]


def unfold(
    x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> torch.Tensor:
    """Sliding ``kernel_size`` blocks of an ``(N, C, H, W)`` tensor as columns:
    ``(N, C * kh * kw, blocks)``."""
    x = x if type(x) is _Tensor else to_tensor(x)
    if x.dim() != 4:
        raise ValueError(
            f"unfold: input must be a 4D tensor. Received: input.shape={tuple(x.shape)}"
        )
    return F.unfold(x, kernel_size, dilation, padding, stride)


def fold(
    x: Any,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> torch.Tensor:
    """The inverse arrangement of :func:`unfold` (overlapping values summed):
    ``(N, C * kh * kw, L)`` → ``(N, C, *output_size)``."""
    x = x if type(x) is _Tensor else to_tensor(x)
    if x.dim() != 3:
        raise ValueError(f"fold: input must be a 3D tensor. Received: input.shape={tuple(x.shape)}")
    return F.fold(x, output_size, kernel_size, dilation, padding, stride)


def _block_args(name: str, x: Any, block_size: int, data_format: Any) -> tuple[torch.Tensor, str]:
    if block_size < 2:
        raise ValueError(
            f"{name}: `block_size` must be at least 2. Received: block_size={block_size}"
        )
    x = x if type(x) is _Tensor else to_tensor(x)
    if x.dim() != 4:
        raise ValueError(
            f"{name}: input must be a 4D tensor (N, H, W, C) or (N, C, H, W). Received: "
            f"x.shape={tuple(x.shape)}"
        )
    fmt = data_format_of(data_format)
    return (x if fmt == "channels_last" else x.permute(0, 2, 3, 1)), fmt


def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> torch.Tensor:
    """Channel blocks moved into ``block_size x block_size`` spatial blocks."""
    x, fmt = _block_args("depth_to_space", x, block_size, data_format)
    n, h, w, c = x.shape
    if c % (block_size * block_size):
        raise ValueError(
            f"depth_to_space: the channels ({c}) must be divisible by block_size**2 "
            f"({block_size * block_size}). Received: x.shape={tuple(x.shape)} (channels last)"
        )
    out = x.reshape(n, h, w, block_size, block_size, c // (block_size * block_size))
    out = out.permute(0, 1, 3, 2, 4, 5).reshape(n, h * block_size, w * block_size, -1)
    return out if fmt == "channels_last" else out.permute(0, 3, 1, 2)


def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> torch.Tensor:
    """``block_size x block_size`` spatial blocks moved into channels."""
    x, fmt = _block_args("space_to_depth", x, block_size, data_format)
    n, h, w, c = x.shape
    if h % block_size or w % block_size:
        raise ValueError(
            f"space_to_depth: height and width ({h}, {w}) must be divisible by block_size "
            f"({block_size}). Received: x.shape={tuple(x.shape)} (channels last)"
        )
    out = x.reshape(n, h // block_size, block_size, w // block_size, block_size, c)
    out = out.permute(0, 1, 3, 2, 4, 5).reshape(n, h // block_size, w // block_size, -1)
    return out if fmt == "channels_last" else out.permute(0, 3, 1, 2)
