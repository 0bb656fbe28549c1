"""``keras.utils.bounding_boxes.compute_iou`` and ``compute_ciou`` on torch tensors.

``compute_iou`` gives the pairwise IoU matrix (``(N, M)``, or ``(B, N, M)`` batched) with
Keras's optional masking of padded boxes; ``compute_ciou`` gives the element-wise Complete IoU
(IoU minus the centre-distance and aspect-ratio penalties).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from torchbridge.backend import epsilon
from torchbridge.ops.bounding_boxes.converters import as_boxes, convert_format

__all__ = ["compute_ciou", "compute_iou"]


def _area(yxyx: torch.Tensor) -> torch.Tensor:
    y1, x1, y2, x2 = torch.split(yxyx[..., :4], 1, dim=-1)
    return ((y2 - y1) * (x2 - x1)).squeeze(-1)


def _intersection(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    y1a, x1a, y2a, x2a = torch.split(boxes1[..., :4], 1, dim=-1)
    y1b, x1b, y2b, x2b = torch.split(boxes2[..., :4], 1, dim=-1)

    def row(t: torch.Tensor) -> torch.Tensor:  # (..., M, 1) -> (..., 1, M)
        return t.transpose(-1, -2)

    height = torch.clamp(torch.minimum(y2a, row(y2b)) - torch.maximum(y1a, row(y1b)), min=0)
    width = torch.clamp(torch.minimum(x2a, row(x2b)) - torch.maximum(x1a, row(x1b)), min=0)
    return height * width


def compute_iou(
    boxes1: Any,
    boxes2: Any,
    bounding_box_format: str,
    use_masking: bool = False,
    mask_val: float = -1,
    image_shape: Any = None,
) -> torch.Tensor:
    """The IoU of every box of ``boxes1`` with every box of ``boxes2``."""
    boxes1, boxes2 = as_boxes(boxes1), as_boxes(boxes2)
    for which, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if boxes.dim() not in (2, 3):
            raise ValueError(
                f"compute_iou() expects {which} to be batched, or to be unbatched. Received "
                f"len(boxes1.shape)={boxes1.dim()}, len(boxes2.shape)={boxes2.dim()}. Expected "
                f"either len({which}.shape)=2 or len({which}.shape)=3."
            )
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
            f"argument must be provided. Received `image_shape`: {image_shape}"
        )
    height, width = (None, None) if image_shape is None else image_shape[:2]
    b1 = convert_format(boxes1, bounding_box_format, "yxyx", height, width)
    b2 = convert_format(boxes2, bounding_box_format, "yxyx", height, width)
    intersection = _intersection(b1, b2)
    area1 = _area(b1).unsqueeze(-1)
    area2 = _area(b2)
    area2 = area2.unsqueeze(1 if area2.dim() == 2 else 0)
    iou = intersection / (area1 + area2 - intersection + epsilon())
    if not use_masking:
        return iou
    background = (b1.amax(dim=-1, keepdim=True) < 0) | (
        b2.amax(dim=-1, keepdim=True) < 0
    ).transpose(-1, -2)
    return torch.where(background, torch.full_like(iou, float(mask_val)), iou)


def compute_ciou(
    boxes1: Any, boxes2: Any, bounding_box_format: str, image_shape: Any = None
) -> torch.Tensor:
    """The Complete IoU of ``boxes1[i]`` with ``boxes2[i]`` (element-wise)."""
    if "rel" in bounding_box_format:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
            f"argument must be provided. Received `image_shape`: {image_shape}"
        )
    height, width = (None, None) if image_shape is None else image_shape[:2]
    b1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    b2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    eps = epsilon()
    x1a, y1a, x2a, y2a = torch.split(b1[..., :4], 1, dim=-1)
    x1b, y1b, x2b, y2b = torch.split(b2[..., :4], 1, dim=-1)
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    inter = torch.clamp(torch.minimum(x2a, x2b) - torch.maximum(x1a, x1b), min=0) * torch.clamp(
        torch.minimum(y2a, y2b) - torch.maximum(y1a, y1b), min=0
    )
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = (inter / (union + eps)).squeeze(-1)
    hull_w = torch.maximum(x2a, x2b) - torch.minimum(x1a, x1b)
    hull_h = torch.maximum(y2a, y2b) - torch.minimum(y1a, y1b)
    diagonal2 = (hull_w**2 + hull_h**2 + eps).squeeze(-1)
    centres2 = (
        ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    ).squeeze(-1)
    v = ((4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2).squeeze(-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres2 / diagonal2 + v * alpha)
