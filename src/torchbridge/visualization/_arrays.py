"""Small helpers shared by keras.visualization: arrays in, NumPy out, and box formats.

``to_numpy`` accepts NumPy arrays, torch tensors and nested lists.
``boxes_to_xyxy`` converts Keras's bounding-box formats (``"xyxy"``, ``"yxyx"``,
``"xywh"``, ``"center_xywh"``, ``"center_yxhw"`` and the ``"rel_*"`` variants)
into absolute ``xyxy`` float32 corners, as Keras's ``convert_format`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["SUPPORTED_FORMATS", "boxes_to_xyxy", "to_numpy"]

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (a torch tensor is detached and moved to the CPU)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()  # type: ignore[no-any-return]
    return np.asarray(x)


def boxes_to_xyxy(boxes: Any, source: str, height: int, width: int) -> np.ndarray:
    """Boxes of format ``source`` (last axis 4) as float32 absolute ``[x1, y1, x2, y2]``."""
    boxes = to_numpy(boxes)
    if boxes.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(boxes.shape)}"
        )
    source = source.lower()
    if source not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    boxes = boxes.astype("float32")
    if source == "xyxy":
        return boxes  # type: ignore[no-any-return]
    a, b, c, d = (boxes[..., i : i + 1] for i in range(4))
    w, h = np.float32(width), np.float32(height)
    if source == "yxyx":
        corners = (b, a, d, c)
    elif source == "xywh":
        corners = (a, b, a + c, b + d)
    elif source == "center_xywh":
        corners = (a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0)
    elif source == "center_yxhw":
        corners = (b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0)
    elif source == "rel_xyxy":
        corners = (a * w, b * h, c * w, d * h)
    elif source == "rel_yxyx":
        corners = (b * w, a * h, d * w, c * h)
    elif source == "rel_xywh":
        corners = (a * w, b * h, (a + c) * w, (b + d) * h)
    else:  # rel_center_xywh
        corners = ((a - c / 2.0) * w, (b - d / 2.0) * h, (a + c / 2.0) * w, (b + d / 2.0) * h)
    return np.concatenate(corners, axis=-1)
