"""keras.visualization.draw_segmentation_masks: class masks painted over images.

Each class gets a colour (``color_mapping`` or Keras's generated palette); the
painted image is blended with the original (``alpha``) except where the mask
equals ``ignore_index``. With ``blend=True`` the result is a uint8 NumPy array;
with ``blend=False`` the painted float32 images come back as a tensor (a torch
tensor here, the backend tensor in Keras).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.backend.config import image_data_format
from torchbridge.visualization._arrays import to_numpy

__all__ = ["draw_segmentation_masks"]


def draw_segmentation_masks(
    images: Any,
    segmentation_masks: Any,
    num_classes: int | None = None,
    color_mapping: dict[int, Any] | None = None,
    alpha: float = 0.8,
    blend: bool = True,
    ignore_index: int = -1,
    data_format: str | None = None,
) -> Any:
    """Overlay integer ``segmentation_masks`` (``(batch, height, width, 1)``) on ``images``."""
    data_format = data_format or image_data_format()
    pixels = to_numpy(images)
    if pixels.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={pixels.shape}"
        )
    masks = to_numpy(segmentation_masks)
    if data_format == "channels_first":
        pixels = np.transpose(pixels, (0, 2, 3, 1))
        masks = np.transpose(masks, (0, 2, 3, 1))
    pixels = pixels.astype("float32")
    if masks.dtype.kind not in "iu":
        raise TypeError(
            "`segmentation_masks` must be in integer dtype. "
            f"Received: segmentation_masks.dtype={masks.dtype.name}"
        )
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _generate_color_palette(num_classes)
    else:
        colors = [color_mapping[i] for i in range(num_classes)]

    valid = np.squeeze(masks != ignore_index, axis=-1)
    classes = masks[..., 0]
    painted = pixels.copy()
    for class_id, color in zip(range(num_classes), colors):
        painted[classes == class_id, ...] = np.array(color, dtype=painted.dtype)[None, :]
    if not blend:
        return torch.from_numpy(painted)
    outputs = pixels * (1 - alpha) + painted * alpha
    outputs = np.where(valid[..., None], outputs, pixels)
    return outputs.astype("uint8")


def _generate_color_palette(num_classes: int) -> list[list[int]]:
    """Keras's default colours: class ``i`` → ``(i * [2**25-1, 2**15-1, 2**21-1]) % 255``."""
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]
