"""keras.ops.image colour conversions and cropping/padding on torch.

``rgb_to_grayscale``, ``rgb_to_hsv``, ``hsv_to_rgb``, ``crop_images`` and
``pad_images`` with Keras's signatures; ``data_format=None`` means
``image_data_format()``. Grayscale weights and the HSV formulas are those of
Keras's TensorFlow backend (``tf.image``), so values agree with it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.ops._convert import result_dtype, to_tensor
from torchbridge.ops._nn_layout import data_format_of

__all__ = ["crop_images", "hsv_to_rgb", "pad_images", "rgb_to_grayscale", "rgb_to_hsv"]

_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def check_image_rank(name: str, images: torch.Tensor, arg: str = "images") -> None:
    """Raise unless ``images`` is one image (rank 3) or a batch (rank 4)."""
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{name}: invalid {arg} rank: expected rank 3 (single image) or rank 4 (batch of "
            f"images). Received input with shape: {arg}.shape={tuple(images.shape)}"
        )


def _check_float(name: str, images: torch.Tensor) -> None:
    if not images.dtype.is_floating_point:
        raise ValueError(
            f"{name}: invalid images dtype: expected a float dtype. Received: "
            f"images.dtype={str(images.dtype).replace('torch.', '')}; cast the images first."
        )


def rgb_to_grayscale(images: Any, data_format: Any = None) -> torch.Tensor:
    """RGB images to one luminance channel (same dtype, channel axis kept with size 1)."""
    images = to_tensor(images)
    fmt = data_format_of(data_format)
    check_image_rank("rgb_to_grayscale", images)
    axis = -1 if fmt == "channels_last" else -3
    if images.shape[axis] not in (1, 3):
        raise ValueError(
            "rgb_to_grayscale: invalid channel size: expected 3 (RGB) or 1 (grayscale). "
            f"Received input with shape: images.shape={tuple(images.shape)}"
        )
    if images.shape[axis] == 1:
        return images.clone()
    compute = result_dtype(images, 1.0)
    weights = torch.tensor(_GRAY_WEIGHTS, dtype=compute, device=images.device)
    x = images.to(compute)
    gray = torch.tensordot(x.movedim(axis, -1), weights, dims=1).unsqueeze(axis)
    return gray.to(images.dtype)


def _to_last(images: torch.Tensor, fmt: str) -> torch.Tensor:
    return images if fmt == "channels_last" else images.movedim(-3, -1)


def _from_last(images: torch.Tensor, fmt: str) -> torch.Tensor:
    return images if fmt == "channels_last" else images.movedim(-1, -3)


def rgb_to_hsv(images: Any, data_format: Any = None) -> torch.Tensor:
    """RGB to HSV (hue, saturation and value in [0, 1]); float images only."""
    images = to_tensor(images)
    fmt = data_format_of(data_format)
    check_image_rank("rgb_to_hsv", images)
    _check_float("rgb_to_hsv", images)
    x = _to_last(images, fmt)
    r, g, b = x.unbind(-1)
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    zero = torch.zeros((), dtype=x.dtype, device=x.device)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1), zero)
    norm = 1.0 / (6.0 * spread)
    hue = torch.where(
        r == value,
        norm * (g - b),
        torch.where(g == value, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0),
    )
    hue = torch.where(spread > 0, hue, zero)
    hue = torch.where(hue < 0, hue + 1, hue)
    return _from_last(torch.stack([hue, saturation, value], dim=-1), fmt)


def hsv_to_rgb(images: Any, data_format: Any = None) -> torch.Tensor:
    """HSV (all channels in [0, 1]) to RGB; float images only."""
    images = to_tensor(images)
    fmt = data_format_of(data_format)
    check_image_rank("hsv_to_rgb", images)
    _check_float("hsv_to_rgb", images)
    x = _to_last(images, fmt)
    h, s, v = x.unbind(-1)
    dh = h * 6
    dr = torch.clamp(torch.abs(dh - 3) - 1, 0, 1)
    dg = torch.clamp(2 - torch.abs(dh - 2), 0, 1)
    db = torch.clamp(2 - torch.abs(dh - 4), 0, 1)
    one_minus_s = 1 - s
    rgb = [(one_minus_s + s * d) * v for d in (dr, dg, db)]
    return _from_last(torch.stack(rgb, dim=-1), fmt)


def _three_of(name: str, kind: str, first: Any, second: Any, target: Any, names: str) -> None:
    if [first, second, target].count(None) != 1:
        a, b, c = names.split()
        raise ValueError(
            f"{name}: specify exactly two of {a}, {b}, {c}. Received: {a}={first}, "
            f"{b}={second}, {c}={target}"
        )
    for arg, value in zip(names.split(), (first, second, target)):
        if value is not None and value < 0:
            raise ValueError(f"{name}: {arg} must be >= 0. Received: {arg}={value}")


def _hw(images: torch.Tensor, fmt: str) -> tuple[int, int]:
    if fmt == "channels_last":
        return images.shape[-3], images.shape[-2]
    return images.shape[-2], images.shape[-1]


def pad_images(
    images: Any,
    top_padding: Any = None,
    left_padding: Any = None,
    bottom_padding: Any = None,
    right_padding: Any = None,
    target_height: Any = None,
    target_width: Any = None,
    data_format: Any = None,
) -> torch.Tensor:
    """Zero-pad images to a size; give two of (top, bottom, target_height) and of the width trio."""
    images = to_tensor(images)
    fmt = data_format_of(data_format)
    check_image_rank("pad_images", images)
    rows = "top_padding bottom_padding target_height"
    cols = "left_padding right_padding target_width"
    _three_of("pad_images", "padding", top_padding, bottom_padding, target_height, rows)
    _three_of("pad_images", "padding", left_padding, right_padding, target_width, cols)
    height, width = _hw(images, fmt)
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    for arg, value in (
        ("top_padding", top_padding),
        ("left_padding", left_padding),
        ("right_padding", right_padding),
        ("bottom_padding", bottom_padding),
    ):
        if value < 0:
            raise ValueError(
                f"pad_images: {arg} must be >= 0 (the target size is smaller than the "
                f"image {height}x{width}). Received: {arg}={value}"
            )
    pads = [int(left_padding), int(right_padding), int(top_padding), int(bottom_padding)]
    if fmt == "channels_last":
        pads = [0, 0, *pads]
    if images.dtype == torch.bool:
        return F.pad(images.to(torch.uint8), pads).to(torch.bool)
    return F.pad(images, pads)


def crop_images(
    images: Any,
    top_cropping: Any = None,
    left_cropping: Any = None,
    bottom_cropping: Any = None,
    right_cropping: Any = None,
    target_height: Any = None,
    target_width: Any = None,
    data_format: Any = None,
) -> torch.Tensor:
    """Crop images; give two of (top, bottom, target_height) and of the width trio."""
    images = to_tensor(images)
    fmt = data_format_of(data_format)
    check_image_rank("crop_images", images)
    rows = "top_cropping bottom_cropping target_height"
    cols = "left_cropping right_cropping target_width"
    _three_of("crop_images", "cropping", top_cropping, bottom_cropping, target_height, rows)
    _three_of("crop_images", "cropping", left_cropping, right_cropping, target_width, cols)
    height, width = _hw(images, fmt)
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    for arg, value in (
        ("top_cropping", top_cropping),
        ("target_height", target_height),
        ("left_cropping", left_cropping),
        ("target_width", target_width),
    ):
        if value < 0:
            raise ValueError(
                f"crop_images: {arg} must be >= 0 (the crop is larger than the image "
                f"{height}x{width}). Received: {arg}={value}"
            )
    top, left = int(top_cropping), int(left_cropping)
    if top + target_height > height or left + target_width > width:
        raise ValueError(
            f"crop_images: the crop ({top}+{target_height}, {left}+{target_width}) exceeds "
            f"the image size {height}x{width}. Received: images.shape={tuple(images.shape)}"
        )
    rows_slice = slice(top, top + int(target_height))
    cols_slice = slice(left, left + int(target_width))
    if fmt == "channels_last":
        return images[..., rows_slice, cols_slice, :]
    return images[..., rows_slice, cols_slice]
