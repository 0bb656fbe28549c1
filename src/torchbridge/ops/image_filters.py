"""keras.ops.image filters and patch extraction on torch.

``extract_patches``/``extract_patches_3d`` (patch values flattened in
(rows, columns, channels) order, TensorFlow's SAME padding), ``gaussian_blur``
(zero-padded SAME depthwise blur), ``sobel_edges`` (``tf.image.sobel_edges``:
reflect-padded 3x3 Sobel, output ``(..., 2)`` holding (dy, dx)) and ``ssim``
(Gaussian-windowed SSIM over VALID windows, averaged per image).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.ops._convert import result_dtype, to_tensor
from torchbridge.ops._nn_layout import (
    check_padding,
    data_format_of,
    pad_same,
    same_pads,
    spatial_tuple,
)
from torchbridge.ops.image_color import check_image_rank

__all__ = ["extract_patches", "extract_patches_3d", "gaussian_blur", "sobel_edges", "ssim"]


def _patches(
    name: str, x: torch.Tensor, size: tuple[int, ...], strides: Any, dilation_rate: Any,
    padding: str, fmt: str,
) -> torch.Tensor:  # fmt: skip
    n = len(size)
    unbatched = x.ndim == n + 1
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(
            f"{name}: expected a rank {n + 1} input or a rank {n + 2} batch. Received: "
            f"shape={tuple(x.shape)}"
        )
    if unbatched:
        x = x.unsqueeze(0)
    if fmt == "channels_last":
        x = x.movedim(-1, 1)
    stride = spatial_tuple(name, "strides", strides if strides else size, n)
    dilation = spatial_tuple(name, "dilation_rate", dilation_rate, n)
    if check_padding(name, padding) == "same":
        x = pad_same(x, same_pads(x.shape[2:], size, stride, dilation))
    channels = x.shape[1]
    # One-hot kernel: output channel (k_0, ..., k_{n-1}, c) copies input channel c at offset k.
    out_dim = channels
    for s in size:
        out_dim *= s
    eye = torch.eye(out_dim, dtype=x.dtype, device=x.device)
    weight = eye.reshape(*size, channels, out_dim).permute(n + 1, n, *range(n)).contiguous()
    conv = F.conv2d if n == 2 else F.conv3d
    out = conv(x, weight, stride=stride, dilation=dilation)
    if fmt == "channels_last":
        out = out.movedim(1, -1)
    return out.squeeze(0) if unbatched else out


def extract_patches(
    images: Any,
    size: Any,
    strides: Any = None,
    dilation_rate: Any = 1,
    padding: str = "valid",
    data_format: Any = None,
) -> torch.Tensor:
    """Patches of ``size`` (int, 2-tuple, or 3-tuple for volumes) as the channel axis."""
    if not isinstance(size, int):
        if not isinstance(size, (tuple, list)):
            raise TypeError(
                "extract_patches: `size` must be an int or a tuple. Received: "
                f"size={size} of type {type(size).__name__}"
            )
        if len(size) not in (2, 3):
            raise ValueError(
                "extract_patches: `size` must be a tuple of length 2 or 3. Received: "
                f"size={size} with length {len(size)}"
            )
        if len(size) == 3:
            return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    fmt = data_format_of(data_format)
    patch = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    return _patches(
        "extract_patches", to_tensor(images), patch, strides, dilation_rate, padding, fmt
    )


def extract_patches_3d(
    volumes: Any,
    size: Any,
    strides: Any = None,
    dilation_rate: Any = 1,
    padding: str = "valid",
    data_format: Any = None,
) -> torch.Tensor:
    """Patches of ``size`` (int or 3-tuple) from volumes, as the channel axis."""
    patch = spatial_tuple("extract_patches_3d", "size", size, 3)
    if strides is not None and not isinstance(strides, int) and len(strides) != 3:
        raise ValueError(
            f"extract_patches_3d: `strides` must be an int or 3 ints. Received: strides={strides}"
        )
    fmt = data_format_of(data_format)
    return _patches(
        "extract_patches_3d", to_tensor(volumes), patch, strides, dilation_rate, padding, fmt
    )


def _gauss_1d(size: int, sigma: Any, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(
    images: Any, kernel_size: Any = (3, 3), sigma: Any = (1.0, 1.0), data_format: Any = None
) -> torch.Tensor:
    """Blur each channel with a ``kernel_size`` Gaussian (zero padding, SAME size)."""
    images = to_tensor(images)
    check_image_rank("gaussian_blur", images)
    fmt = data_format_of(data_format)
    ks = spatial_tuple("gaussian_blur", "kernel_size", kernel_size, 2)
    sig = (sigma, sigma) if isinstance(sigma, (int, float)) else tuple(sigma)
    if len(sig) != 2:
        raise ValueError(f"gaussian_blur: `sigma` must be a float or 2 floats. Received: {sigma}")
    dtype = images.dtype if images.dtype.is_floating_point else result_dtype(images, 1.0)
    x = images.unsqueeze(0) if images.ndim == 3 else images
    x = x.to(dtype)
    if fmt == "channels_last":
        x = x.movedim(-1, 1)
    kx = _gauss_1d(ks[0], float(sig[0]), dtype, x.device)
    ky = _gauss_1d(ks[1], float(sig[1]), dtype, x.device)
    # Keras builds the (ky x kx) outer product and reads it as a (ks[0], ks[1]) kernel.
    kernel = torch.outer(ky, kx).reshape(ks[0], ks[1])
    channels = x.shape[1]
    weight = kernel.expand(channels, 1, ks[0], ks[1])
    x = pad_same(x, same_pads(x.shape[2:], ks, (1, 1), (1, 1)))
    out = F.conv2d(x, weight, groups=channels)
    if fmt == "channels_last":
        out = out.movedim(1, -1)
    out = out.squeeze(0) if images.ndim == 3 else out
    return out.to(images.dtype)


_SOBEL = ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0))


def sobel_edges(images: Any, data_format: Any = None) -> torch.Tensor:
    """Sobel gradients of a batch of images: shape ``images.shape + (2,)``, (dy, dx) last."""
    images = to_tensor(images)
    fmt = data_format_of(data_format)
    if images.ndim != 4:
        raise ValueError(
            "sobel_edges: expected a rank 4 batch of images. Received: "
            f"images.shape={tuple(images.shape)}"
        )
    dtype = images.dtype if images.dtype.is_floating_point else result_dtype(images, 1.0)
    x = images.to(dtype)
    if fmt == "channels_last":
        x = x.movedim(-1, 1)
    n, c, h, w = x.shape
    ky = torch.tensor(_SOBEL, dtype=dtype, device=x.device)
    weight = torch.stack([ky, ky.T]).unsqueeze(1).repeat(c, 1, 1, 1)  # (2c, 1, 3, 3)
    padded = F.pad(x, [1, 1, 1, 1], mode="reflect") if h > 1 and w > 1 else x
    out = F.conv2d(padded, weight, groups=c).reshape(n, c, 2, h, w)
    out = out.permute(0, 3, 4, 1, 2) if fmt == "channels_last" else out.permute(0, 1, 3, 4, 2)
    return out.to(images.dtype) if images.dtype.is_floating_point else out


def ssim(
    image1: Any,
    image2: Any,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: Any = None,
) -> torch.Tensor:
    """Structural similarity of two images (or batches): one value per image."""
    fmt = data_format_of(data_format)
    a, b = to_tensor(image1), to_tensor(image2)
    dtype = a.dtype
    compute = result_dtype(a, 1.0)
    check_image_rank("ssim", a, "image1")
    check_image_rank("ssim", b, "image2")
    a, b = a.to(compute), b.to(compute)
    unbatched = a.ndim == 3
    if unbatched:
        a, b = a.unsqueeze(0), b.unsqueeze(0)
    if fmt == "channels_last":
        a, b = a.movedim(-1, 1), b.movedim(-1, 1)
    if a.shape != b.shape:
        raise ValueError(
            f"ssim: image1 and image2 must have the same shape. Received: "
            f"image1.shape={tuple(image1.shape)}, image2.shape={tuple(image2.shape)}"
        )
    n, c, h, w = a.shape
    g = _gauss_1d(filter_size, filter_sigma, compute, a.device)
    weight = torch.outer(g, g).reshape(1, 1, filter_size, filter_size)
    a, b = a.reshape(n * c, 1, h, w), b.reshape(n * c, 1, h, w)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, weight)

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(a), blur(b)
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s1, s2, s12 = blur(a * a) - mu1_sq, blur(b * b) - mu2_sq, blur(a * b) - mu12
    ssim_map = ((2.0 * mu12 + c1) * (2.0 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2))
    result = ssim_map.mean(dim=(1, 2, 3)).reshape(n, c).mean(dim=-1)
    if unbatched:
        result = result.squeeze(0)
    return result.to(dtype)
