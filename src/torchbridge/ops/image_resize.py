"""keras.ops.image ``resize`` and ``scale_and_translate`` on torch.

Resizing follows ``tf.image.resize`` (what Keras's TensorFlow backend calls):
half-pixel centres; ``nearest`` and ``bilinear`` go to ``F.interpolate``
("nearest-exact"/"bilinear", the same sampling); ``bicubic`` uses Keys' cubic
(a = -0.5) with the out-of-image taps dropped and the weights renormalised
(TensorFlow's, not torch's a = -0.75 kernel; the fractional offset is rounded
to 1/1024 as TensorFlow's coefficient table does); ``area`` averages the
covered input area; ``lanczos3``/``lanczos5`` and every ``antialias=True``
downscale use separable weight matrices (TensorFlow's ScaleAndTranslate).
The arithmetic is float32 as in TensorFlow; results are cast back to the
input dtype (integers rounded and saturated), as Keras does.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from torchbridge.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import to_tensor
from torchbridge.ops._nn_layout import data_format_of
from torchbridge.ops.image_color import check_image_rank

__all__ = ["resize", "scale_and_translate"]

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
SCALE_AND_TRANSLATE_METHODS = (
    "linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5",
)  # fmt: skip


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1.0 - np.abs(x))


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))


def _lanczos(radius: float):  # type: ignore[no-untyped-def]
    def kernel(x: np.ndarray) -> np.ndarray:
        x = np.abs(x)
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
        safe = np.where(x != 0, np.pi**2 * x**2, 1.0)
        out = np.where(x > 1e-3, y / safe, 1.0)
        return np.where(x > radius, 0.0, out)

    return kernel


_KERNELS = {
    "linear": _triangle,
    "cubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def _weight_mat(
    in_size: int, out_size: int, scale: float, translation: float, kernel: str, antialias: bool,
    dtype: Any = np.float32,
) -> np.ndarray:  # fmt: skip
    """``(in_size, out_size)`` resampling weights (Keras's ScaleAndTranslate formula)."""
    inv_scale = dtype(1.0) / dtype(scale)
    kernel_scale = max(inv_scale, dtype(1.0)) if antialias else dtype(1.0)
    sample = (np.arange(out_size, dtype=dtype) + dtype(0.5)) * inv_scale
    sample = sample - dtype(translation) * inv_scale - dtype(0.5)
    x = np.abs(sample[None, :] - np.arange(in_size, dtype=dtype)[:, None]) / kernel_scale
    weights = _KERNELS[kernel](x).astype(dtype)
    total = weights.sum(axis=0, keepdims=True)
    ok = np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps)
    weights = np.where(ok, weights / np.where(total != 0, total, 1), 0).astype(dtype)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[None, :], weights, 0).astype(dtype)


def _bicubic_mat(in_size: int, out_size: int) -> np.ndarray:
    """TensorFlow's half-pixel bicubic (Keys a=-0.5, table-rounded offsets, edge renorm)."""
    scale = np.float32(in_size) / np.float32(out_size)
    loc = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    base = np.floor(loc)
    delta = np.rint((loc - base) * 1024).astype(np.float64) / 1024
    taps = base[:, None].astype(np.int64) + np.arange(-1, 3)[None, :]
    weights = _keys_cubic(delta[:, None] - np.arange(-1, 3)[None, :])
    weights = np.where((taps >= 0) & (taps < in_size), weights, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    weights = weights / np.where(total != 0, total, 1)
    mat = np.zeros((in_size, out_size))
    cols = np.broadcast_to(np.arange(out_size)[:, None], taps.shape)
    np.add.at(mat, (np.clip(taps, 0, in_size - 1), cols), weights)
    return mat.astype(np.float32)


def _area_mat(in_size: int, out_size: int) -> np.ndarray:
    """Each output averages the input interval it covers (TensorFlow's resize_area)."""
    scale = in_size / out_size
    mat = np.zeros((in_size, out_size))
    for o in range(out_size):
        start, end = o * scale, (o + 1) * scale
        for i in range(math.floor(start), min(math.ceil(end), in_size)):
            overlap = min(i + 1.0, end) - max(float(i), start)
            if overlap > 0:
                mat[i, o] += overlap / scale
    return mat.astype(np.float32)


@lru_cache(maxsize=256)
def _resize_mat(in_size: int, out_size: int, method: str, antialias: bool) -> np.ndarray:
    if method == "area":
        return _area_mat(in_size, out_size)
    if method == "bicubic" and not antialias:
        return _bicubic_mat(in_size, out_size)
    kernel = {"bilinear": "linear", "bicubic": "cubic"}.get(method, method)
    return _weight_mat(in_size, out_size, out_size / in_size, 0.0, kernel, antialias)


def _apply_mats(x: torch.Tensor, mat_h: np.ndarray, mat_w: np.ndarray) -> torch.Tensor:
    """``x`` (..., H, W) resampled by the (H, H') and (W, W') weight matrices."""
    wh = torch.from_numpy(mat_h).to(device=x.device, dtype=x.dtype)
    ww = torch.from_numpy(mat_w).to(device=x.device, dtype=x.dtype)
    x = torch.matmul(x, ww)
    return torch.matmul(x.transpose(-1, -2), wh).transpose(-1, -2)


def _aspect_crop(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    height, width = x.shape[-2], x.shape[-1]
    th, tw = size
    crop_h = max(min(height, int(np.float32(width * th) / np.float32(tw))), 1)
    crop_w = max(min(width, int(np.float32(height * tw) / np.float32(th))), 1)
    top = int(np.float32(height - crop_h) / np.float32(2))
    left = int(np.float32(width - crop_w) / np.float32(2))
    return x[..., top : top + crop_h, left : left + crop_w]


def _aspect_pad(x: torch.Tensor, size: tuple[int, int], fill_value: Any) -> torch.Tensor:
    height, width = x.shape[-2], x.shape[-1]
    th, tw = size
    pad_h = max(height, int(np.float32(width * th) / np.float32(tw)))
    pad_w = max(width, int(np.float32(height * tw) / np.float32(th)))
    top = int(np.float32(pad_h - height) / np.float32(2))
    left = int(np.float32(pad_w - width) / np.float32(2))
    if top <= 0 and left <= 0:
        return x
    # TensorFlow pads both sides by the same (floored) amount.
    return F.pad(x, [max(left, 0)] * 2 + [max(top, 0)] * 2, value=float(fill_value))


def resize(
    images: Any,
    size: Any,
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: Any = None,
) -> torch.Tensor:
    """Resize images to ``size = (height, width)`` (see the module docstring for the methods)."""
    if len(size) != 2:
        raise ValueError(
            f"resize: `size` must be a tuple of 2 integers (height, width). Received: size={size}"
        )
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(
            f"resize: `size` must have positive height and width. Received: size={size}"
        )
    images = to_tensor(images)
    check_image_rank("resize", images)
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "resize: only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` can be True."
        )
    fmt = data_format_of(data_format)
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"resize: invalid `interpolation`; expected one of {RESIZE_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "resize: only fill_mode='constant' is supported (padding for "
            f"pad_to_aspect_ratio). Received: fill_mode={fill_mode!r}"
        )
    size = (int(size[0]), int(size[1]))
    x = images if fmt == "channels_first" else images.movedim(-1, -3)
    if crop_to_aspect_ratio:
        x = _aspect_crop(x, size)
    elif pad_to_aspect_ratio:
        x = _aspect_pad(x, size, fill_value)
    dtype = images.dtype
    if dtype == torch.bool or dtype.is_complex:
        raise TypeError(
            f"resize: needs real numeric images; received images.dtype="
            f"{standardize_dtype(dtype)}. Cast them to a float dtype first."
        )
    if interpolation == "nearest":
        out = _nearest(x, size)
    else:
        xf = x.to(torch.float32)
        if interpolation == "bilinear" and not antialias:
            out = _interpolate(xf, size, "bilinear")
        else:
            anti = antialias and interpolation != "area"
            mat_h = _resize_mat(x.shape[-2], size[0], interpolation, anti)
            mat_w = _resize_mat(x.shape[-1], size[1], interpolation, anti)
            out = _apply_mats(xf, mat_h, mat_w)
        out = _cast_back(out, dtype)
    return out if fmt == "channels_first" else out.movedim(-3, -1)


def _interpolate(x: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    lead = x.shape[:-2]
    flat = x.reshape(1, -1, *x.shape[-2:]) if x.ndim == 3 else x
    if flat.numel() == 0:
        return x.new_zeros((*lead, *size))
    kwargs: dict[str, Any] = {} if mode == "nearest-exact" else {"align_corners": False}
    out = F.interpolate(flat, size=size, mode=mode, **kwargs)
    return out.reshape(*lead, *size)


def _nearest(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Half-pixel nearest neighbour by index gathering (any dtype, bool included)."""
    rows = _nearest_index(x.shape[-2], size[0], x.device)
    cols = _nearest_index(x.shape[-1], size[1], x.device)
    return x.index_select(-2, rows).index_select(-1, cols)


def _nearest_index(in_size: int, out_size: int, device: torch.device) -> torch.Tensor:
    scale = np.float32(in_size) / np.float32(out_size)
    idx = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale)
    idx = np.minimum(idx.astype(np.int64), in_size - 1)
    return torch.from_numpy(idx).to(device)


def _cast_back(out: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    if out.dtype == dtype:
        return out
    if dtype.is_floating_point:
        return out.to(dtype)
    info = torch.iinfo(dtype)
    return torch.clamp(torch.round(out.double()), info.min, info.max).to(dtype)


def scale_and_translate(
    images: Any,
    output_shape: Any,
    scale: Any,
    translation: Any,
    spatial_dims: Any,
    method: str,
    antialias: bool = True,
) -> torch.Tensor:
    """Resample ``images`` along ``spatial_dims``: output ``o`` samples input ``(o + 0.5 -
    translation) / scale - 0.5`` with the ``method`` kernel (widened when ``antialias``)."""
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(
            f"scale_and_translate: invalid `method`; expected one of "
            f"{SCALE_AND_TRANSLATE_METHODS}. Received: method={method!r}"
        )
    if method in ("linear", "bilinear", "trilinear"):
        kernel = "linear"
    elif method in ("cubic", "bicubic", "tricubic"):
        kernel = "cubic"
    else:
        kernel = method
    x = to_tensor(images)
    scale_t = to_tensor(scale)
    translation_t = to_tensor(translation)
    dtype = result_type(scale_t.dtype, translation_t.dtype)
    np_dtype = np.dtype(standardize_dtype(dtype)).type
    scales = scale_t.to(to_torch_dtype(dtype)).reshape(-1).tolist()
    shifts = translation_t.to(to_torch_dtype(dtype)).reshape(-1).tolist()
    dims = list(spatial_dims)
    if len(dims) == 0:
        return x
    rounding = not (x.dtype.is_floating_point or x.dtype.is_complex)
    out = x.to(torch.float32) if rounding else x
    for i, d in enumerate(dims):
        d = d % x.ndim
        mat = _weight_mat(
            x.shape[d], int(output_shape[d]), scales[i], shifts[i], kernel, antialias, np_dtype
        )
        w = torch.from_numpy(mat).to(device=x.device, dtype=out.dtype)
        out = torch.tensordot(out, w, dims=([d], [0])).movedim(-1, d)
    if rounding:
        low, high = x.min().to(torch.float32), x.max().to(torch.float32)
        out = torch.clamp(torch.round(out), low, high).to(x.dtype)
    return out
