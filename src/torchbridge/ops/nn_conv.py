"""Convolutions of ``keras.ops.nn`` on torch: ``conv``, ``depthwise_conv``,
``separable_conv`` and ``conv_transpose``.

Arguments are Keras's: inputs ``(batch, *spatial, channels)`` for ``channels_last`` (the
default through ``image_data_format()``) or ``(batch, channels, *spatial)``; kernels in
Keras's layout — ``(*kernel_size, in_channels / groups, filters)`` for ``conv`` (fewer
kernel input channels than input channels means grouped convolution),
``(*kernel_size, in_channels, multiplier)`` for ``depthwise_conv``,
``(*kernel_size, filters, in_channels)`` for ``conv_transpose``. ``padding="same"`` is
TensorFlow's (the odd padding element after), and ``conv_transpose``'s output size
follows Keras's formula with ``output_padding``. Inputs and kernels are promoted to one
float dtype.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.ops._convert import to_tensors
from torchbridge.ops._nn_layout import (
    check_padding,
    data_format_of,
    from_channels_first,
    pad_same,
    same_pads,
    spatial_tuple,
    to_channels_first,
)

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]

_CONV = (F.conv1d, F.conv2d, F.conv3d)
_CONV_T = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)


def _prepare(
    name: str, inputs: Any, kernel: Any, data_format: Any
) -> tuple[torch.Tensor, torch.Tensor, str, int]:
    """Promoted tensors, the data format and the number of spatial dimensions."""
    x, w = to_tensors(inputs, kernel)
    if not x.is_floating_point():
        raise TypeError(
            f"{name}: needs float inputs and kernel; got {str(x.dtype).removeprefix('torch.')}. "
            "Cast them to a float dtype."
        )
    n = x.dim() - 2
    if not 1 <= n <= 3 or w.dim() != n + 2:
        raise ValueError(
            f"{name}: inputs must be rank 3, 4 or 5 (1D, 2D or 3D) with a kernel of rank "
            f"inputs.ndim. Received: inputs.shape={tuple(x.shape)}, kernel.shape={tuple(w.shape)}"
        )
    return x, w, data_format_of(data_format), n


def _channels(x: torch.Tensor, data_format: str) -> int:
    return x.shape[-1] if data_format == "channels_last" else x.shape[1]


def _run_conv(
    name: str,
    x: torch.Tensor,
    weight: torch.Tensor,
    strides: Any,
    padding: str,
    dilation_rate: Any,
    groups: int,
) -> torch.Tensor:
    """A channels-first convolution with TensorFlow's padding; errors on empty outputs."""
    n = x.dim() - 2
    stride = spatial_tuple(name, "strides", strides, n)
    dilation = spatial_tuple(name, "dilation_rate", dilation_rate, n)
    kernel_size = tuple(weight.shape[2:])
    torch_padding: Any = 0
    if padding == "same":
        pads = same_pads(x.shape[2:], kernel_size, stride, dilation)
        if all(b == a for b, a in pads):
            torch_padding = tuple(b for b, _ in pads)
        else:
            x = pad_same(x, pads)
    elif x.numel() != 0 and any(
        size < (k - 1) * d + 1 for size, k, d in zip(x.shape[2:], kernel_size, dilation)
    ):
        raise ValueError(
            f"{name}: the convolution gives an empty output: the input (shape "
            f"{tuple(x.shape)}, channels first) is too small for kernel size {kernel_size} "
            f"with dilation rate {dilation} and padding 'valid'. Use a larger input or "
            "padding='same'."
        )
    out = _CONV[n - 1](x, weight, None, stride, torch_padding, dilation, groups)
    return out


def conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: Any = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    """N-D convolution (1D, 2D or 3D, grouped when the kernel has fewer input channels)."""
    x, w, fmt, n = _prepare("conv", inputs, kernel, data_format)
    pad = check_padding("conv", padding)
    channels, kernel_in = _channels(x, fmt), w.shape[-2]
    if kernel_in == 0 or channels % kernel_in != 0:
        raise ValueError(
            "conv: the input channels must be a multiple of the kernel's input channels "
            f"(kernel.shape[-2]). Received: inputs.shape={tuple(x.shape)}, "
            f"kernel.shape={tuple(w.shape)}, data_format={fmt!r}"
        )
    weight = w.permute(n + 1, n, *range(n))
    out = _run_conv("conv", to_channels_first(x, fmt), weight, strides, pad, dilation_rate,
                    channels // kernel_in)  # fmt: skip
    return from_channels_first(out, fmt)


def _depthwise(
    name: str, x: torch.Tensor, w: torch.Tensor, fmt: str, n: int, strides: Any, pad: str,
    dilation_rate: Any,
) -> torch.Tensor:  # fmt: skip
    channels = _channels(x, fmt)
    if w.shape[-2] != channels:
        raise ValueError(
            f"{name}: the kernel's input channels (kernel.shape[-2]) must equal the input "
            f"channels. Received: inputs.shape={tuple(x.shape)}, kernel.shape={tuple(w.shape)}, "
            f"data_format={fmt!r}"
        )
    weight = w.reshape(*w.shape[:n], -1).permute(n, *range(n)).unsqueeze(1)
    return _run_conv(name, to_channels_first(x, fmt), weight, strides, pad, dilation_rate,
                     channels)  # fmt: skip


def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: Any = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    """Each input channel convolved with its own ``multiplier`` filters (channel ``c``'s
    filter ``m`` gives output channel ``c * multiplier + m``)."""
    x, w, fmt, n = _prepare("depthwise_conv", inputs, kernel, data_format)
    pad = check_padding("depthwise_conv", padding)
    out = _depthwise("depthwise_conv", x, w, fmt, n, strides, pad, dilation_rate)
    return from_channels_first(out, fmt)


def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: Any = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    """A depthwise convolution followed by a pointwise (1x1) one."""
    x, w = to_tensors(inputs, depthwise_kernel)
    x, w, fmt, n = _prepare("separable_conv", x, w, data_format)
    pad = check_padding("separable_conv", padding)
    _, pointwise = to_tensors(x, pointwise_kernel)
    pointwise = pointwise.to(x.dtype)
    depth = _depthwise("separable_conv", x, w, fmt, n, strides, pad, dilation_rate)
    if pointwise.dim() != n + 2 or pointwise.shape[-2] != depth.shape[1]:
        raise ValueError(
            "separable_conv: pointwise_kernel must be (1, ..., in_channels * multiplier, "
            f"filters). Received: pointwise_kernel.shape={tuple(pointwise.shape)} for "
            f"depthwise_kernel.shape={tuple(w.shape)}"
        )
    out = _CONV[n - 1](depth, pointwise.permute(n + 1, n, *range(n)))
    return from_channels_first(out, fmt)


def _transpose_length(
    size: int, k: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """Keras's output length of a transposed convolution and the crop offset into the
    full ``(size - 1) * stride + effective_kernel`` result."""
    effective = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        return (size - 1) * stride + effective + extra, 0
    if output_padding is None:
        length = size * stride
    else:
        length = (size - 1) * stride + effective % 2 + output_padding
    total = max((size - 1) * stride + effective - length, 0)
    return length, total // 2


def conv_transpose(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: Any = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    """The transpose (gradient) of ``conv``: kernel ``(*kernel_size, filters, in_channels)``."""
    x, w, fmt, n = _prepare("conv_transpose", inputs, kernel, data_format)
    pad = check_padding("conv_transpose", padding)
    if w.shape[-1] != _channels(x, fmt):
        raise ValueError(
            "conv_transpose: the kernel's last dimension must equal the input channels. "
            f"Received: inputs.shape={tuple(x.shape)}, kernel.shape={tuple(w.shape)}, "
            f"data_format={fmt!r}"
        )
    stride = spatial_tuple("conv_transpose", "strides", strides, n)
    dilation = spatial_tuple("conv_transpose", "dilation_rate", dilation_rate, n)
    out_pads: tuple[Any, ...] = (
        (None,) * n
        if output_padding is None
        else spatial_tuple("conv_transpose", "output_padding", output_padding, n)
    )
    xc = to_channels_first(x, fmt)
    weight = w.permute(n + 1, n, *range(n))  # (in_channels, filters, *kernel_size)
    full = _CONV_T[n - 1](xc, weight, None, stride, 0, 0, 1, dilation)
    for d in range(n):
        length, start = _transpose_length(
            xc.shape[2 + d], w.shape[d], stride[d], dilation[d], pad, out_pads[d]
        )
        available = full.shape[2 + d] - start
        if available < length:
            widths = [0, 0] * (n - 1 - d) + [0, length - available]
            full = F.pad(full, widths)
        full = full.narrow(2 + d, start, length)
    return from_channels_first(full, fmt)
