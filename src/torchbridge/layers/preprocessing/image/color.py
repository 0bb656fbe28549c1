"""Keras's colour augmentation layers: ``RandomContrast``, ``RandomBrightness``.

They work on pixel values in ``value_range`` (default ``(0, 255)``), draw one
factor per image and clip the result to ``value_range``. Integer images are
cast to the compute dtype first (Keras's TensorFlow ops fail on them).
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer, as_tensor_like
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = ["RandomBrightness", "RandomContrast"]  # plus helpers for color_adjust.py


def _factor_shape(layer: BaseImagePreprocessingLayer, images: Any) -> tuple[int, ...]:
    rank = len(images.shape)
    if rank not in (3, 4):
        raise ValueError(
            f"Expected the input image to be rank 3 or 4. Received inputs.shape="
            f"{tuple(images.shape)}"
        )
    return (1, 1, 1) if rank == 3 else (int(images.shape[0]), 1, 1, 1)


class _PixelLayer(BaseImagePreprocessingLayer):
    """A colour layer: integer inputs become the compute dtype; masks pass unchanged."""

    def _prepare(self, images: Any) -> torch.Tensor:
        return self._cast(to_tensor(images))

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes  # pixel values change, geometry does not


class RandomContrast(_PixelLayer):
    """Keras's ``RandomContrast``: ``(x - mean) * c + mean`` per image and channel, with
    ``c`` drawn from ``[1 - lower, 1 + upper]``, clipped to ``value_range``."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = self._images_of(data)
        shape = _factor_shape(self, images)
        if not training:
            return {"contrast_factor": torch.zeros(shape, device=images.device)}
        factor = self._uniform(shape, 1.0 - self.factor[0], 1.0 + self.factor[1], images, seed)
        return {"contrast_factor": factor}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = to_tensor(images)
        if not training:
            return images
        images = images if images.is_floating_point() else self._cast(images)
        factor = as_tensor_like(transformation["contrast_factor"], images, images.dtype)
        h_axis, w_axis = self._hw_axes()
        mean = images.mean(dim=(h_axis, w_axis), keepdim=True)
        out = (images - mean) * factor + mean
        return out.clamp(self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomBrightness(_PixelLayer):
    """Keras's ``RandomBrightness``: add ``f × (max - min)`` of ``value_range`` per image,
    ``f`` drawn from the factor range, then clip to ``value_range``."""

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(factor=factor, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                "The `value_range` argument should be a list of two numbers. "
                f"Received: value_range={value_range}"
            )
        self.value_range = sorted(value_range)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = self._images_of(data)
        shape = _factor_shape(self, images)
        if not training:
            return {"rgb_delta": torch.zeros(shape, device=images.device)}
        delta = self._uniform(shape, self.factor[0], self.factor[1], images, seed)
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = to_tensor(images)
        if not training:
            return images
        images = images if images.is_floating_point() else self._cast(images)
        delta = as_tensor_like(transformation["rgb_delta"], images, images.dtype)
        return (images + delta).clamp(self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
