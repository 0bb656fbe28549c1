"""Keras's filtering and warping augmentation layers: ``RandomGaussianBlur``,
``RandomPerspective``, ``RandomElasticTransform``.

Each image is transformed with a probability drawn from ``factor`` (Keras's
``should_apply_blur`` / ``apply_perspective`` / ``apply_transform`` masks),
through ``ops.image.gaussian_blur`` / ``perspective_transform`` /
``elastic_transform``. The elastic displacement field comes from torch's
generator, so its values differ from TensorFlow's stream (its scale does not).
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge import random as tb_random
from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer, as_tensor_like
from torchbridge.ops import image as image_ops
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = ["RandomElasticTransform", "RandomGaussianBlur", "RandomPerspective"]


def _bounded_pair(layer: BaseImagePreprocessingLayer, value: Any, name: str) -> tuple[Any, Any]:
    saved = getattr(layer, "factor", None)
    try:
        layer._set_factor(value)
    except ValueError:
        low, high = layer._FACTOR_BOUNDS
        raise ValueError(
            f"The `{name}` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={value}"
        ) from None
    pair, layer.factor = layer.factor, saved
    return pair


class _ProbabilityLayer(BaseImagePreprocessingLayer):
    """Draws, per image, whether to apply the transformation (probability from ``factor``)."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _apply_mask(self, images: Any, seed: Any) -> torch.Tensor:
        batch = self._batch_size(images)
        probability = self._uniform((batch,), self.factor[0], self.factor[1], images, seed)
        return self._uniform((batch,), 0.0, 1.0, images, seed) < probability


class RandomGaussianBlur(_ProbabilityLayer):
    """Keras's ``RandomGaussianBlur``: blur with a ``kernel_size`` Gaussian whose
    (y, x) sigmas are drawn from ``sigma``, then clip to ``value_range``."""

    def __init__(
        self,
        factor: Any = 1.0,
        kernel_size: Any = 3,
        sigma: Any = 1.0,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = self._kernel_size(kernel_size)
        self.sigma = _bounded_pair(self, sigma, "sigma")
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    @staticmethod
    def _kernel_size(value: Any) -> tuple[Any, Any]:
        message = f"kernel_size must be an odd number. Received: kernel_size={value}"
        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise ValueError(
                    "The `kernel_size` argument should be a number (or a list of two numbers) "
                    f"Received: kernel_size={value}"
                )
            if value[0] % 2 == 0 or value[1] % 2 == 0:
                raise ValueError(message)
            return value[0], value[1]
        if isinstance(value, (int, float)):
            if value % 2 == 0:
                raise ValueError(message)
            return value, value
        raise ValueError(message)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        seed = seed if seed is not None else self.generator
        apply = self._apply_mask(images, seed)
        sigma = self._uniform((2,), self.sigma[0], self.sigma[1], images, seed) + 1e-6
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training or transformation is None:
            return images
        sigma = as_tensor_like(transformation["blur_factor"], images, torch.float32)
        apply = as_tensor_like(transformation["should_apply_blur"], images, torch.bool)
        blurred = image_ops.gaussian_blur(
            images,
            kernel_size=tuple(int(k) for k in self.kernel_size),
            sigma=tuple(float(s) for s in sigma),
            data_format=self.data_format,
        )
        out = torch.where(apply.reshape(-1, 1, 1, 1), blurred, images)
        return out.clamp(self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes  # blur only

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomPerspective(_ProbabilityLayer):
    """Keras's ``RandomPerspective``: move the 4 corners by up to ``scale / 2`` of their
    coordinates and warp the image accordingly."""

    def __init__(
        self,
        factor: Any = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)
        if scale < 0.0 or scale > 1.0:
            raise ValueError(
                f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}"
            )
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one ('nearest', 'bilinear')."
            )

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        batch = self._batch_size(images)
        height, width = self._image_hw(images)
        seed = seed if seed is not None else self.generator
        apply = self._apply_mask(images, seed)
        factor = self._uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, images, seed)
        corners = [[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0], [width - 1.0, height - 1.0]]
        start = torch.tensor([corners], device=factor.device).repeat(batch, 1, 1)
        return {
            "apply_perspective": apply,
            "start_points": start,
            "end_points": start + start * factor,
            "input_shape": tuple(images.shape),
        }

    def _transform_images(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        if transformation is None:
            return images
        unbatched = images.ndim == 3
        if unbatched:
            images = images[None]
        warped = image_ops.perspective_transform(
            images,
            as_tensor_like(transformation["start_points"], images, torch.float32),
            as_tensor_like(transformation["end_points"], images, torch.float32),
            interpolation=interpolation,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        apply = as_tensor_like(transformation["apply_perspective"], images, torch.bool)
        out = torch.where(apply.reshape(-1, 1, 1, 1), warped, images)
        return out[0] if unbatched else out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }


class RandomElasticTransform(_ProbabilityLayer):
    """Keras's ``RandomElasticTransform``: displace pixels by a smoothed random field
    (strength ``0.1 × max(H, W) × s``, smoothness ``0.05 × min(H, W) × s``, ``s`` drawn
    from ``scale``), then clip to ``value_range``."""

    _FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = _bounded_pair(self, scale, "scale")
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one ('nearest', 'bilinear')."
            )
        if fill_mode not in self._FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {set(self._FILL_MODES)}."
            )

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = self._images_of(data)
        seed = seed if seed is not None else self.generator
        apply = self._apply_mask(images, seed)
        distortion = self._uniform((), self.scale[0], self.scale[1], images, seed)
        # ops.image.elastic_transform seeds its field from an int: draw one from our stream.
        field_seed = int(tb_random.randint((), 0, 2**31 - 1, seed=seed))
        return {"apply_transform": apply, "distortion_factor": distortion, "seed": field_seed}

    def get_elastic_transform_params(self, height: int, width: int, factor: Any) -> tuple[Any, Any]:
        return max(height, width) * 0.1 * factor, min(height, width) * 0.05 * factor

    def _transform_images(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        if transformation is None:
            return images
        height, width = self._image_hw(images)
        factor = float(transformation["distortion_factor"])
        alpha, sigma = self.get_elastic_transform_params(height, width, factor)
        warped = image_ops.elastic_transform(
            images,
            alpha=alpha,
            sigma=sigma,
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            seed=transformation["seed"],
            data_format=self.data_format,
        )
        apply = as_tensor_like(transformation["apply_transform"], images, torch.bool)
        apply = apply.reshape(-1, 1, 1) if images.ndim == 3 else apply.reshape(-1, 1, 1, 1)
        out = torch.where(apply, warped, images)
        return self._cast(out.clamp(self.value_range[0], self.value_range[1]))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
