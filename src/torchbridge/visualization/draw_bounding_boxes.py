"""keras.visualization.draw_bounding_boxes: boxes and class labels drawn onto images.

A pure array function: images in (NumPy or torch, batched), a uint8 NumPy
array out, drawn with OpenCV (``cv2``, imported on first use; the ``plot``
extra installs ``opencv-python-headless``) exactly as Keras draws them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torchbridge.backend.config import image_data_format
from torchbridge.ops.bounding_boxes.converters import convert_format
from torchbridge.visualization._arrays import to_numpy

__all__ = ["draw_bounding_boxes"]


def _cv2() -> Any:
    try:
        import cv2
    except ImportError:
        raise ImportError(
            "The `draw_bounding_boxes` function requires the `cv2` package (OpenCV). "
            "Install it with `pip install opencv-python-headless` (or `pip install "
            "torchbridge[plot]`)."
        ) from None
    return cv2


def draw_bounding_boxes(
    images: Any,
    bounding_boxes: Any,
    bounding_box_format: str,
    class_mapping: dict[int, str] | None = None,
    color: Any = (128, 128, 128),
    line_thickness: int = 2,
    text_thickness: int = 1,
    font_scale: float = 1.0,
    data_format: str | None = None,
) -> np.ndarray:
    """Draw ``bounding_boxes`` (``{"boxes", "labels"[, "confidences"]}``, boxes in
    ``bounding_box_format``) on a batch of images; label ``-1`` marks padding. Float
    images in ``[0, 1]`` are scaled to ``[0, 255]``. Returns the annotated uint8 images."""
    cv2 = _cv2()
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or image_data_format()
    images_shape = tuple(images.shape) if hasattr(images, "shape") else np.shape(images)
    if len(images_shape) != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images_shape}"
        )
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "`bounding_boxes` should be a dict. "
            f"Received: bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and "
            f"'labels' keys. Received: bounding_boxes={bounding_boxes}"
        )
    h_axis, w_axis = (-3, -2) if data_format == "channels_last" else (-2, -1)
    height, width = images_shape[h_axis], images_shape[w_axis]
    boxes = to_numpy(
        convert_format(bounding_boxes["boxes"], bounding_box_format, "xyxy", height, width)
    )

    pixels = to_numpy(images)
    if pixels.dtype.kind == "f" and pixels.size > 0:
        pixels = np.clip(pixels, 0, 1) * 255 if pixels.max() <= 1.0 else np.clip(pixels, 0, 255)
    pixels = pixels.astype("uint8")  # a copy: the caller's images are never drawn on
    labels = to_numpy(bounding_boxes["labels"])
    confidences = (
        to_numpy(bounding_boxes["confidences"]) if "confidences" in bounding_boxes else None
    )
    result = []
    for i in range(pixels.shape[0]):
        image = pixels[i]
        for box_i in range(boxes[i].shape[0]):
            x1, y1, x2, y2 = (int(v) for v in boxes[i][box_i].astype("int32"))
            class_id = int(labels[i][box_i].astype("int32"))
            if class_id == -1:
                continue
            cv2.rectangle(image, (x1, y1), (x2, y2), color, line_thickness)
            if class_id in class_mapping:
                label = class_mapping[class_id]
                if confidences is not None:
                    label = f"{label} | {confidences[i][box_i]:.2f}"
                cv2.putText(
                    img=image,
                    text=label,
                    org=_text_origin(x1, y1, font_scale, text_thickness),
                    fontFace=cv2.FONT_HERSHEY_SIMPLEX,
                    fontScale=font_scale,
                    color=color,
                    thickness=text_thickness,
                )
        result.append(image)
    return np.stack(result, axis=0)


def _text_origin(x: int, y: int, font_scale: float, thickness: int) -> tuple[int, int]:
    """Keras's label placement: above the box when it fits, else inside its top-left corner."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3
