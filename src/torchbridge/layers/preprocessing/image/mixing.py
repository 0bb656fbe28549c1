"""Keras's sample-mixing and erasing layers: ``MixUp``, ``CutMix``, ``RandomErasing``.

``MixUp`` and ``CutMix`` mix each image (and, in a dict input, its
``"labels"``) with another image of the batch chosen by a random permutation;
``RandomErasing`` fills a random rectangle. Rectangles are boolean masks over
the image (Keras's ``batch_masks``), so a fixed draw can be replayed.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge import random as tb_random
from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer, as_tensor_like
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = ["CutMix", "MixUp", "RandomErasing"]


def _permutation(batch: int, seed: Any, like: torch.Tensor) -> torch.Tensor:
    order = torch.arange(batch, dtype=torch.int64)
    return tb_random.shuffle(order, seed=seed).to(like.device)


def _mix_labels(labels: Any, transformation: Any) -> torch.Tensor:
    labels = to_tensor(labels)
    order = as_tensor_like(transformation["permutation_order"], labels, torch.int64)
    weight = as_tensor_like(transformation["mix_weight"], labels, labels.dtype).reshape(-1, 1)
    return weight * labels + (1.0 - weight) * labels[order]


class _BoxMaskLayer(BaseImagePreprocessingLayer):
    """Rectangles drawn as Keras draws them, as masks of the images' shape."""

    def _crop_bounds(
        self, batch: int, length: int, ratio: torch.Tensor, like: torch.Tensor, seed: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        crop = ratio * length
        start = self._uniform((batch,), 0.0, 1.0, like, seed) * (length - crop)
        return start, start + crop

    def _box_masks(self, shape: tuple[int, ...], corners: Any, like: torch.Tensor) -> torch.Tensor:
        height, width = self._image_hw(like)
        grid_y, grid_x = torch.meshgrid(
            torch.arange(height, dtype=torch.float32, device=like.device),
            torch.arange(width, dtype=torch.float32, device=like.device),
            indexing="ij",
        )
        if self.data_format == "channels_last":
            grid_y, grid_x = grid_y[None, :, :, None], grid_x[None, :, :, None]
        else:
            grid_y, grid_x = grid_y[None, None], grid_x[None, None]
        x0, x1, y0, y1 = (c.reshape(-1, 1, 1, 1) for c in corners)
        masks = (grid_x >= x0) & (grid_x < x1) & (grid_y >= y0) & (grid_y < y1)
        channel_axis = -1 if self.data_format == "channels_last" else -3
        return masks.repeat_interleave(int(shape[channel_axis]), dim=channel_axis)


class MixUp(BaseImagePreprocessingLayer):
    """Keras's ``MixUp``: ``w x + (1 - w) x[perm]`` with ``w ~ Beta(alpha, alpha)`` per
    image; labels (dict input) mixed with the same weights."""

    _USE_BASE_FACTOR = True

    def __init__(
        self,
        alpha: float = 0.2,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.alpha = alpha
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = self._images_of(data)
        batch = self._batch_size(images)
        seed = seed if seed is not None else self.generator
        order = _permutation(batch, seed, images)
        weight = tb_random.beta((batch,), self.alpha, self.alpha, seed=seed).to(images.device)
        return {"mix_weight": weight, "permutation_order": order}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training:
            return images
        order = as_tensor_like(transformation["permutation_order"], images, torch.int64)
        weight = as_tensor_like(transformation["mix_weight"], images, images.dtype)
        weight = weight.reshape(-1, 1, 1, 1)
        return weight * images + (1.0 - weight) * images[order]

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return _mix_labels(labels, transformation) if training else labels

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training:
            return segmentation_masks
        masks = to_tensor(segmentation_masks)
        masks = masks if masks.is_floating_point() else self._cast(masks)
        order = as_tensor_like(transformation["permutation_order"], masks, torch.int64)
        weight = as_tensor_like(transformation["mix_weight"], masks, masks.dtype)
        weight = weight.reshape(-1, 1, 1, 1)
        return weight * masks + (1.0 - weight) * masks[order]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}


class CutMix(_BoxMaskLayer):
    """Keras's ``CutMix``: paste a random rectangle of another image of the batch (area
    ``1 - w``, ``w ~ Beta(a, a)`` with ``a`` drawn from the factor range); labels mixed by
    the pasted area. A single image is returned unchanged."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        if len(images.shape) == 3:
            return None
        batch = int(images.shape[0])
        height, width = self._image_hw(images)
        seed = seed if seed is not None else self.generator
        alpha = self._uniform((), self.factor[0], self.factor[1], images, seed) + 1e-6
        weight = tb_random.beta((batch,), alpha.item(), alpha.item(), seed=seed).to(images.device)
        ratio = torch.sqrt(1.0 - weight)
        x0, x1 = self._crop_bounds(batch, width, ratio, images, seed)
        y0, y1 = self._crop_bounds(batch, height, ratio, images, seed)
        masks = self._box_masks(tuple(images.shape), (x0, x1, y0, y1), images)
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = _permutation(batch, seed, images)
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": weight}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training or transformation is None:
            return images
        order = as_tensor_like(transformation["permutation_order"], images, torch.int64)
        masks = as_tensor_like(transformation["batch_masks"], images, torch.bool)
        return torch.where(masks, images[order], images)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        if not training or transformation is None:
            return labels
        return _mix_labels(labels, transformation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class RandomErasing(_BoxMaskLayer):
    """Keras's ``RandomErasing``: with a probability drawn from the factor range, fill a
    rectangle (each side ``sqrt(s)`` of the image, ``s`` from ``scale``) with
    ``fill_value`` (Gaussian noise × ``value_range[1]`` when ``None``), clipped to
    ``value_range``."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = (0.02, 0.33),
        fill_value: Any = None,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        saved = self.factor
        try:
            self._set_factor(scale)
        except ValueError:
            raise ValueError(
                "The `scale` argument should be a number (or a list of two numbers) in the range "
                f"[0, 1]. Received: factor={scale}"
            ) from None
        self.scale, self.factor = self.factor, saved
        if (
            fill_value is not None
            and not isinstance(fill_value, (int, float))
            and (not isinstance(fill_value, (tuple, list)) or len(fill_value) != 3)
        ):
            raise ValueError(
                "The `fill_value` argument should be a number (or a list of three numbers) "
                f"Received: fill_value={fill_value}"
            )
        self.fill_value = fill_value
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _fill(self, images: torch.Tensor, seed: Any) -> torch.Tensor:
        shape = tuple(images.shape)
        if self.fill_value is None:
            noise = tb_random.normal(shape, dtype="float32", seed=seed).to(images.device)
            fill = noise * self.value_range[1]
        elif isinstance(self.fill_value, (tuple, list)):
            fill = torch.empty(shape, device=images.device)
            fill[...] = torch.as_tensor(self.fill_value, dtype=torch.float32)
        else:
            fill = torch.full(shape, float(self.fill_value), device=images.device)
        return fill.clamp(self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        batch = self._batch_size(images)
        height, width = self._image_hw(images)
        seed = seed if seed is not None else self.generator
        sides = torch.sqrt(self._uniform((batch, 2), self.scale[0], self.scale[1], images, seed))
        x0, x1 = self._crop_bounds(batch, width, sides[:, 0], images, seed)
        y0, y1 = self._crop_bounds(batch, height, sides[:, 1], images, seed)
        masks = self._box_masks(tuple(images.shape), (x0, x1, y0, y1), images)
        probability = self._uniform((batch,), self.factor[0], self.factor[1], images, seed)
        threshold = self._uniform((batch,), 0.0, 1.0, images, seed)
        return {
            "apply_erasing": threshold < probability,
            "batch_masks": masks,
            "fill_value": self._fill(images, seed),
        }

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training:
            return images
        masks = as_tensor_like(transformation["batch_masks"], images, torch.bool)
        apply = as_tensor_like(transformation["apply_erasing"], images, torch.bool)
        fill = as_tensor_like(transformation["fill_value"], images, images.dtype)
        erased = torch.where(masks, fill, images)
        return torch.where(apply.reshape(-1, 1, 1, 1), erased, images)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes  # as Keras: boxes kept

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
