"""Keras's ``MaxNumBoundingBoxes``: pad or truncate a batch's bounding boxes to a fixed count.

Images, labels and masks pass through; ``{"bounding_boxes": {"boxes": (N, B, 4),
"labels": (N, B)}}`` become ``max_number`` boxes per image, padded with
``fill_value``. (The other image layers here do not transform boxes yet.)
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from torchbridge.ops._convert import to_tensor

__all__ = ["MaxNumBoundingBoxes"]


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Keras's ``MaxNumBoundingBoxes(max_number, fill_value=-1)``."""

    def __init__(self, max_number: int, fill_value: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def _prepare(self, images: Any) -> torch.Tensor:
        return to_tensor(images)

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return images

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return segmentation_masks

    def _fit(self, values: torch.Tensor) -> torch.Tensor:
        values = values[:, : self.max_number]
        missing = self.max_number - values.shape[1]
        if missing > 0:
            pad = [0, 0] * (values.ndim - 2) + [0, missing]
            values = F.pad(values, pad, value=float(self.fill_value))
        return values

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        out = dict(bounding_boxes)
        out["boxes"] = self._fit(to_tensor(bounding_boxes["boxes"]))
        out["labels"] = self._fit(to_tensor(bounding_boxes["labels"]))
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            boxes = input_shape["bounding_boxes"]
            extra = set(boxes) - {"boxes", "labels"}
            if extra:
                raise KeyError(
                    f"There are unsupported keys in `bounding_boxes`: {sorted(extra)}. Only "
                    "`boxes` and `labels` are supported."
                )
            boxes["boxes"] = [boxes["boxes"][0], self.max_number, *list(boxes["boxes"])[2:]]
            boxes["labels"] = [boxes["labels"][0], self.max_number]
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_number": self.max_number}
