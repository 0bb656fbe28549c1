"""Keras's colour-adjusting augmentation layers: ``RandomGrayscale``, ``RandomHue``,
``RandomSaturation``, ``RandomColorDegeneration``, ``RandomInvert``,
``RandomPosterization``, ``RandomSharpness`` and ``RandomColorJitter`` (brightness,
contrast, saturation and hue in that order).

Each draws one value per image in ``get_random_transformation`` (Keras's keys)
and applies it in ``transform_images``; integer images are cast to the
compute dtype. At inference they return their input.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchbridge import random as tb_random
from torchbridge.backend.config import epsilon
from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer, as_tensor_like
from torchbridge.layers.preprocessing.image.color import (
    RandomBrightness,
    RandomContrast,
    _factor_shape,
    _PixelLayer,
)
from torchbridge.ops import image as image_ops
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = [
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomSaturation",
    "RandomSharpness",
]


def checked_value_range(value_range: Any) -> list[Any]:
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return sorted(value_range)


class _SeededColorLayer(_PixelLayer):
    """A colour layer with Keras's ``(factor, value_range, data_format, seed)`` arguments."""

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = checked_value_range(value_range)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _per_image(self, data: Any, low: float, high: float, seed: Any) -> torch.Tensor:
        images = self._images_of(data)
        shape = _factor_shape(self, images)
        return self._uniform((shape[0],), low, high, images, seed)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training or transformation is None:
            return images
        return self._adjust(images, transformation)

    def _adjust(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        raise NotImplementedError

    def _hsv_channel(self, images: torch.Tensor, index: int) -> torch.Tensor:
        return images[:, index] if self.data_format == "channels_first" else images[..., index]

    def _stack_hsv(self, channels: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(channels, dim=1 if self.data_format == "channels_first" else -1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomGrayscale(_PixelLayer):
    """Keras's ``RandomGrayscale``: each image becomes grayscale (kept 3-channel) with
    probability ``factor``."""

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        factor: float = 0.5,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = self._images_of(data)
        draws = self._uniform((self._batch_size(images),), 0.0, 1.0, images, seed)
        return (draws < self.factor).reshape(-1, 1, 1, 1)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training:
            return images
        if transformation is None:
            transformation = self.get_random_transformation(images)
        apply = as_tensor_like(transformation, images, torch.bool)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return torch.where(apply, gray, images)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


class RandomHue(_SeededColorLayer):
    """Keras's ``RandomHue``: shift the hue of each image by ``± f / 2`` of the colour
    circle, ``f`` drawn from the factor range, the sign at random."""

    _FACTOR_BOUNDS = (0, 1)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        invert = self._per_image(data, 0.0, 1.0, seed)
        invert = torch.where(invert > 0.5, -1.0, 1.0)
        factor = self._per_image(data, self.factor[0], self.factor[1], seed)
        return {"factor": invert * factor * 0.5}

    def _adjust(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        images = self._transform_value_range(images, self.value_range, (0, 1))
        shift = as_tensor_like(transformation["factor"], images, images.dtype).reshape(-1, 1, 1)
        hsv = image_ops.rgb_to_hsv(images, data_format=self.data_format)
        hue = self._hsv_channel(hsv, 0) + shift
        hue = torch.where(hue > 1.0, hue - 1.0, hue)
        hue = torch.where(hue < 0.0, hue + 1.0, hue)
        hsv = self._stack_hsv([hue, self._hsv_channel(hsv, 1), self._hsv_channel(hsv, 2)])
        rgb = image_ops.hsv_to_rgb(hsv, data_format=self.data_format).clamp(0, 1)
        return self._cast(self._transform_value_range(rgb, (0, 1), self.value_range))


class RandomSaturation(_SeededColorLayer):
    """Keras's ``RandomSaturation``: scale saturation by ``f / (1 - f)``, ``f`` drawn from
    the factor range (0.5 keeps the image)."""

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        factor = self._per_image(data, self.factor[0], self.factor[1], seed)
        return {"factor": factor / (1 - factor + epsilon())}

    def _adjust(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        scale = as_tensor_like(transformation["factor"], images, images.dtype).reshape(-1, 1, 1)
        hsv = image_ops.rgb_to_hsv(images, data_format=self.data_format)
        saturation = (self._hsv_channel(hsv, 1) * scale).clamp(*self.value_range)
        hsv = self._stack_hsv([self._hsv_channel(hsv, 0), saturation, self._hsv_channel(hsv, 2)])
        return image_ops.hsv_to_rgb(hsv, data_format=self.data_format)


class RandomColorDegeneration(_SeededColorLayer):
    """Keras's ``RandomColorDegeneration``: blend each image towards its grayscale version
    by a factor drawn from the factor range."""

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        factor = self._per_image(data, self.factor[0], self.factor[1], seed)
        return {"factor": factor.reshape(-1, 1, 1, 1)}

    def _adjust(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        factor = as_tensor_like(transformation["factor"], images, images.dtype)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return (images + factor * (gray - images)).clamp(*self.value_range)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                f"images). Received: input_shape={input_shape}"
            )
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ValueError(
                f"Input images must have 3 channels, but received images with {channels} channels."
            )
        return input_shape


class RandomInvert(_PixelLayer):
    """Keras's ``RandomInvert``: ``value_range[1] - x`` for each image, with probability
    drawn from the factor range."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        batch = _factor_shape(self, images)[0]
        probability = self._uniform((batch,), self.factor[0], self.factor[1], images, seed)
        threshold = self._uniform((batch,), 0.0, 1.0, images, seed)
        return {"apply_inversion": threshold < probability}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training:
            return images
        apply = as_tensor_like(transformation["apply_inversion"], images, torch.bool)
        return torch.where(apply.reshape(-1, 1, 1, 1), self.value_range[1] - images, images)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomPosterization(_SeededColorLayer):
    """Keras's ``RandomPosterization``: keep ``b`` bits of each 8-bit channel value, ``b``
    an integer drawn from ``[factor[0], factor[1])`` (the factor when both are equal)."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = self._images_of(data)
        batch = _factor_shape(self, images)[0]
        low, high = self.factor
        if low != high:
            bits = tb_random.randint(
                (batch,), low, high, dtype="int32", seed=seed or self.generator
            ).to(images.device)
        else:
            bits = torch.full((batch,), int(low), dtype=torch.int32, device=images.device)
        return {"shift_factor": (self._MAX_FACTOR - bits).to(torch.uint8)}

    def _adjust(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        shift = as_tensor_like(transformation["shift_factor"], images, torch.uint8)
        shift = shift.reshape(-1, 1, 1, 1)
        levels = self._transform_value_range(
            images, self.value_range, (0, 255), dtype=self.compute_dtype
        ).to(torch.uint8)
        levels = torch.bitwise_left_shift(torch.bitwise_right_shift(levels, shift), shift)
        return self._transform_value_range(
            self._cast(levels), (0, 255), self.value_range, dtype=self.compute_dtype
        )


class RandomSharpness(_SeededColorLayer):
    """Keras's ``RandomSharpness``: blend each image with a 3×3 smoothed copy; a factor
    ``f`` from the factor range gives ``x + (1 - 2f)(smooth - x)`` (0.5 keeps it)."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        return {"factor": self._per_image(data, self.factor[0], self.factor[1], seed)}

    def _adjust(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        sharpness = as_tensor_like(transformation["factor"], images, images.dtype) * 2
        first = images if self.data_format == "channels_first" else images.movedim(-1, 1)
        channels = first.shape[1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = torch.tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=images.dtype)
        kernel = kernel.to(images.device).expand(channels, 1, 3, 3)
        smooth = F.conv2d(first, kernel, padding=1, groups=channels)
        out = first + (1.0 - sharpness.reshape(-1, 1, 1, 1)) * (smooth - first)
        out = out.clamp(*self.value_range)
        return out if self.data_format == "channels_first" else out.movedim(1, -1)


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Keras's ``RandomColorJitter``: ``RandomBrightness``, ``RandomContrast``,
    ``RandomSaturation`` and ``RandomHue`` (those whose factor is given), in that order,
    with draws from this layer's generator."""

    def __init__(
        self,
        value_range: Any = (0, 255),
        brightness_factor: Any = None,
        contrast_factor: Any = None,
        saturation_factor: Any = None,
        hue_factor: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self.seed = seed
        self.generator = SeedGenerator(seed)
        common = {"value_range": value_range, "seed": seed, "data_format": data_format}
        self.random_brightness = (
            RandomBrightness(brightness_factor, **common) if brightness_factor is not None else None
        )
        self.random_contrast = (
            RandomContrast(contrast_factor, **common) if contrast_factor is not None else None
        )
        self.random_saturation = (
            RandomSaturation(saturation_factor, **common) if saturation_factor is not None else None
        )
        self.random_hue = RandomHue(hue_factor, **common) if hue_factor is not None else None

    def _prepare(self, images: Any) -> torch.Tensor:
        return self._cast(to_tensor(images))

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training:
            return images
        for layer in (
            self.random_brightness,
            self.random_contrast,
            self.random_saturation,
            self.random_hue,
        ):
            if layer is not None:
                drawn = layer.get_random_transformation(images, seed=self.generator)
                images = layer.transform_images(images, drawn)
        return self._cast(images)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes  # colour only

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
            "seed": self.seed,
        }
