"""Keras's image helpers on Pillow and NumPy: ``load_img``, ``img_to_array``,
``array_to_img``, ``save_img`` and ``smart_resize`` (``keras.utils.*`` and
``keras.preprocessing.image.*``).

Pillow is imported only when a function needs it; without it the error names the
package to install. ``smart_resize`` crops to the target aspect ratio and resizes with
:func:`torchbridge.ops.image.resize` (imported on call: ops is a higher floor).
"""

from __future__ import annotations

import io
import pathlib
import warnings
from typing import Any

import numpy as np

from torchbridge.backend import config as _config

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def pil_image(function: str) -> Any:
    """``PIL.Image``, or an ImportError that says how to get it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            f"`{function}` needs Pillow to read and write images: pip install pillow"
        ) from None
    return Image


def _resampling(image: Any) -> dict[str, Any]:
    r = getattr(image, "Resampling", image)
    return {
        "nearest": r.NEAREST,
        "bilinear": r.BILINEAR,
        "bicubic": r.BICUBIC,
        "hamming": r.HAMMING,
        "box": r.BOX,
        "lanczos": r.LANCZOS,
    }


def _data_format(data_format: str | None) -> str:
    fmt = _config.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format!r}"
        )
    return fmt


def to_mode(img: Any, color_mode: str) -> Any:
    """Convert a PIL image to ``color_mode`` ("grayscale" keeps 16/32-bit grey as is)."""
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if color_mode == "rgba":
        return img if img.mode == "RGBA" else img.convert("RGBA")
    if color_mode == "rgb":
        return img if img.mode == "RGB" else img.convert("RGB")
    raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba". Received: {color_mode!r}')


def load_img(
    path: Any,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Read an image file (path or ``io.BytesIO``) into a PIL image, optionally resized
    to ``target_size = (height, width)`` (center-cropped first with ``keep_aspect_ratio``)."""
    image = pil_image("load_img")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    img = to_mode(img, color_mode)
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])
    if img.size == size:
        return img
    methods = _resampling(image)
    if interpolation not in methods:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            + ", ".join(methods)
        )
    if not keep_aspect_ratio:
        return img.resize(size, methods[interpolation])
    width, height = img.size
    crop_h = min(height, width * size[1] // size[0])
    crop_w = min(width, height * size[0] // size[1])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(size, methods[interpolation], box=[left, top, left + crop_w, top + crop_h])


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A PIL image (or array) as a 3-D NumPy array of ``dtype`` (default floatx)."""
    fmt = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or _config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if fmt == "channels_first" else x
    if x.ndim == 2:
        shape = (1, *x.shape) if fmt == "channels_first" else (*x.shape, 1)
        return x.reshape(shape)
    raise ValueError(f"Unsupported image shape: {x.shape}")


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None
) -> Any:
    """A 3-D array as a PIL image (1, 3 or 4 channels); ``scale`` maps its range to 0-255."""
    fmt = _data_format(data_format)
    image = pil_image("array_to_img")
    x = np.array(x, dtype=dtype or _config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if fmt == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(
    path: Any,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Write an image array to ``path`` (format from the suffix unless ``file_format``)."""
    fmt = _data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=fmt, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def smart_resize(
    x: Any,
    size: Any,
    interpolation: str = "bilinear",
    data_format: str = "channels_last",
    **kwargs: Any,
) -> Any:
    """Resize an image (or batch) to ``size`` without distorting it: crop the largest
    centred window of the target aspect ratio, then resize. NumPy in, NumPy out."""
    from torchbridge.ops import image as image_ops
    from torchbridge.ops.core import convert_to_tensor

    kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs)}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = convert_to_tensor(x)
    if img.ndim < 3 or img.ndim > 4:
        raise ValueError(
            "Expected an image array with shape `(height, width, channels)`, or "
            "`(batch_size, height, width, channels)`, but got input with incorrect rank, "
            f"of shape {tuple(img.shape)}."
        )
    h_axis = -3 if data_format == "channels_last" else -2
    height, width = int(img.shape[h_axis]), int(img.shape[h_axis + 1])
    target_h, target_w = size
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    img = img.narrow(h_axis, top, crop_h).narrow(h_axis + 1, left, crop_w)
    out = image_ops.resize(img, size=size, interpolation=interpolation, data_format=data_format)
    if isinstance(x, np.ndarray):
        return out.numpy()
    return out
