"""keras.visualization.plot_segmentation_mask_gallery: images beside their masks.

One row per image: the image, then (when given) the ``y_true`` and the
``y_pred`` masks drawn on it by
:func:`~.draw_segmentation_masks.draw_segmentation_masks`, plotted by
:func:`~.plot_image_gallery.plot_image_gallery` (extra keyword arguments go
there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torchbridge.backend.config import image_data_format
from torchbridge.visualization._arrays import to_numpy
from torchbridge.visualization.draw_segmentation_masks import draw_segmentation_masks
from torchbridge.visualization.plot_image_gallery import plot_image_gallery

__all__ = ["plot_segmentation_mask_gallery"]


def plot_segmentation_mask_gallery(
    images: Any,
    num_classes: int,
    value_range: Any = (0, 255),
    y_true: Any = None,
    y_pred: Any = None,
    color_mapping: dict[int, Any] | None = None,
    blend: bool = True,
    alpha: float = 0.8,
    ignore_index: int = -1,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Plot each image next to its ``y_true`` / ``y_pred`` segmentation masks."""
    data_format = data_format or image_data_format()
    pixels = to_numpy(images)
    if pixels.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={pixels.shape}"
        )
    if data_format == "channels_first":
        pixels = np.transpose(pixels, (0, 2, 3, 1))
    batch_size = pixels.shape[0]
    cols = 1 + (y_true is not None) + (y_pred is not None)

    def draw(masks: Any) -> Any:
        masks = to_numpy(masks)
        if data_format == "channels_first":
            masks = np.transpose(masks, (0, 2, 3, 1))
        return draw_segmentation_masks(
            pixels,
            masks.astype("int32"),
            num_classes=num_classes,
            color_mapping=color_mapping,
            alpha=alpha,
            ignore_index=ignore_index,
            blend=blend,
        )

    drawn = [draw(masks) for masks in (y_true, y_pred) if masks is not None]
    gallery = []
    for i in range(batch_size):
        gallery.append(pixels[i])
        gallery.extend(to_numpy(batch[i]) for batch in drawn)
    plot_image_gallery(
        np.stack(gallery, axis=0), value_range=value_range, rows=batch_size, cols=cols, **kwargs
    )
