"""Keras's geometric augmentation layers: ``RandomFlip``, ``RandomRotation``, ``RandomZoom``,
``RandomTranslation``, ``RandomShear``.

Each draws per-image parameters in ``get_random_transformation`` (Keras's
dict keys: ``flips``, ``rotation_matrix``, ``height_zoom``/``width_zoom``,
``translations``, ``shear_factor``) and warps with ``ops.image.affine_transform``
(Keras's projective-row convention). At inference they return the input (cast
to the compute dtype).
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer, as_tensor_like
from torchbridge.ops import bounding_boxes as box_ops
from torchbridge.ops import image as image_ops
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = ["RandomFlip", "RandomRotation", "RandomShear", "RandomTranslation", "RandomZoom"]

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _check_warp_options(fill_mode: str, interpolation: str) -> None:
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(
            f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}."
        )
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}."
        )


def _factor_pair(
    factor: Any, name: str, low: float, high: float, message: str, open_low: bool = False
) -> tuple[float, float]:
    """``factor`` (a number ``f`` → ``(-f, f)``, or a pair) checked against ``[low, high]``
    (``(low, high]`` when ``open_low``)."""

    def check(value: float) -> None:
        if value > high or value < low or (open_low and value == low):
            raise ValueError(message + f"Received: input_number={value}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(message + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)):
        check(factor)
        return -abs(factor), abs(factor)
    raise ValueError(message + f"Received: {name}={factor}")


class _AffineLayer(BaseImagePreprocessingLayer):
    """Shared warp: ``transform_images`` applies the rows from ``_matrix(transformation)``."""

    fill_mode: str
    fill_value: float

    def _matrix(self, transformation: Any, like: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _transform_images(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        if transformation is None:
            return images
        unbatched = images.ndim == 3
        if unbatched:
            images = images[None]
        matrix = self._matrix(transformation, images).to(torch.float32)
        out = image_ops.affine_transform(
            images,
            matrix,
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        return out[0] if unbatched else out


class RandomFlip(BaseImagePreprocessingLayer):
    """Keras's ``RandomFlip``: each image flipped with probability 1/2 (``horizontal``,
    ``vertical``, or ``horizontal_and_vertical`` — both flips together)."""

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        mode: str = HORIZONTAL_AND_VERTICAL,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.mode = mode

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = tuple(images.shape)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        flips = self._uniform(flips_shape, 0.0, 1.0, images, seed) <= 0.5
        return {"flips": flips, "input_shape": shape}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if training:
            return self._flip(images, transformation)
        return images

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._hw_of_shape(transformation["input_shape"])
        boxes = box_ops.convert_format(
            dict(bounding_boxes), self._box_format, "rel_xyxy", height, width
        )
        flips = as_tensor_like(transformation["flips"], boxes["boxes"], torch.bool)
        flips = flips.reshape(-1, 1, 1)
        x1, y1, x2, y2 = boxes["boxes"].unbind(-1)
        out = boxes["boxes"]
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, torch.stack([1 - x2, y1, 1 - x1, y2], -1), out)
            x1, y1, x2, y2 = out.unbind(-1)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, torch.stack([x1, 1 - y2, x2, 1 - y1], -1), out)
        boxes["boxes"] = out
        # Keras clips the relative boxes with bounding_box_format="xyxy" (to the pixel size).
        boxes = box_ops.clip_to_image_size(boxes, height, width, bounding_box_format="xyxy")
        return box_ops.convert_format(boxes, "rel_xyxy", self._box_format, height, width)

    def _flip(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        if transformation is None:
            return images
        flips = as_tensor_like(transformation["flips"], images, torch.bool)
        unbatched = images.ndim == 3
        if unbatched:
            images = images[None]
        h_axis, w_axis = self._hw_axes()
        out = images
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, out.flip(w_axis), out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, out.flip(h_axis), out)
        return out[0] if unbatched else out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "seed": self.seed,
            "mode": self.mode,
            "data_format": self.data_format,
        }


class RandomRotation(_AffineLayer):
    """Keras's ``RandomRotation``: rotate each image by ``factor × 360°`` drawn uniformly
    from the factor's range, about the image centre."""

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        _check_warp_options(fill_mode, interpolation)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        batch = self._batch_size(images)
        height, width = self._image_hw(images)
        angle = self._uniform(
            (batch,), self.factor[0] * 360.0, self.factor[1] * 360.0, images, seed
        )
        matrix = self._rotation_matrix(angle, height, width)
        if len(images.shape) == 3:
            matrix = matrix[0]
        return {
            "angle": angle,
            "rotation_matrix": matrix,
            "image_height": height,
            "image_width": width,
            "batch_size": batch,
        }

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = transformation["image_height"], transformation["image_width"]
        batch = int(transformation["batch_size"])
        zeros, ones = torch.zeros(batch), torch.ones(batch)
        out = dict(bounding_boxes)
        # As Keras: the boxes are taken as xyxy here, whatever bounding_box_format says.
        out["boxes"] = box_ops.affine_transform(
            out["boxes"],
            as_tensor_like(transformation["angle"], zeros, torch.float32),
            zeros,
            zeros,
            ones,
            zeros,
            zeros,
            height,
            width,
        ).to(bounding_boxes["boxes"].device)
        out = box_ops.clip_to_image_size(out, height, width, bounding_box_format="xyxy")
        return box_ops.convert_format(out, "xyxy", self._box_format, height, width)

    def _rotation_matrix(self, angle: torch.Tensor, height: int, width: int) -> torch.Tensor:
        zeros = torch.zeros_like(angle)
        return self._compute_affine_matrix(
            0.5, 0.5, angle, zeros, zeros, torch.ones_like(angle), zeros, zeros, height, width
        )

    def _matrix(self, transformation: Any, like: torch.Tensor) -> torch.Tensor:
        matrix = as_tensor_like(transformation["rotation_matrix"], like, torch.float32)
        return matrix[None] if matrix.ndim == 1 else matrix

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "data_format": self.data_format,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


class RandomZoom(_AffineLayer):
    """Keras's ``RandomZoom``: zoom each image by ``1 + f`` with ``f`` drawn from the
    height (and width) factor ranges; negative factors zoom in."""

    _USE_BASE_FACTOR = False
    _MESSAGE = (
        "The `height_factor` and `width_factor` arguments should be a number (or a list of two "
        "numbers) in the range (-1.0, 1.0]. "
    )

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _factor_pair(
            height_factor, "height_factor", -1.0, 1.0, self._MESSAGE, open_low=True
        )
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _factor_pair(
                width_factor, "width_factor", -1.0, 1.0, self._MESSAGE, open_low=True
            )
        _check_warp_options(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = (self._batch_size(images), 1)
        height_zoom = self._uniform(
            shape, 1.0 + self.height_lower, 1.0 + self.height_upper, images, seed
        )
        if self.width_factor is not None:
            width_zoom = self._uniform(
                shape, 1.0 + self.width_lower, 1.0 + self.width_upper, images, seed
            )
        else:
            width_zoom = height_zoom
        return {
            "height_zoom": height_zoom,
            "width_zoom": width_zoom,
            "input_shape": tuple(images.shape),
        }

    def _matrix(self, transformation: Any, like: torch.Tensor) -> torch.Tensor:
        height, width = self._image_hw(like)
        zx = as_tensor_like(transformation["width_zoom"], like, torch.float32).reshape(-1, 1)
        zy = as_tensor_like(transformation["height_zoom"], like, torch.float32).reshape(-1, 1)
        zeros = torch.zeros_like(zx)
        x_offset = (width - 1.0) / 2.0 * (1.0 - zx)
        y_offset = (height - 1.0) / 2.0 * (1.0 - zy)
        return torch.cat([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], dim=1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
            "data_format": self.data_format,
        }


class RandomTranslation(_AffineLayer):
    """Keras's ``RandomTranslation``: shift each image by fractions of its height and
    width drawn from the factor ranges."""

    _USE_BASE_FACTOR = False
    _MESSAGE = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        "[-1.0, 1.0]. "
    )

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _factor_pair(
            height_factor, "height_factor", -1.0, 1.0, self._MESSAGE
        )
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _factor_pair(
            width_factor, "width_factor", -1.0, 1.0, self._MESSAGE
        )
        _check_warp_options(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = (self._batch_size(images), 1)
        height, width = self._image_hw(images)
        dy = self._uniform(shape, self.height_lower, self.height_upper, images, seed) * height
        dx = self._uniform(shape, self.width_lower, self.width_upper, images, seed) * width
        return {"translations": torch.cat([dx, dy], dim=1), "input_shape": tuple(images.shape)}

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._hw_of_shape(transformation["input_shape"])
        boxes = box_ops.convert_format(
            dict(bounding_boxes), self._box_format, "xyxy", height, width
        )
        shifts = as_tensor_like(transformation["translations"], boxes["boxes"], torch.float32)
        # The inverse map sends (0, 0) to (-dx, -dy): Keras shifts the boxes by that amount.
        dx, dy = -shifts[:, 0], -shifts[:, 1]
        if boxes["boxes"].ndim == 3:
            dx, dy = dx[:, None], dy[:, None]
        x1, y1, x2, y2 = boxes["boxes"].unbind(-1)
        boxes["boxes"] = torch.stack([x1 - dx, y1 - dy, x2 - dx, y2 - dy], -1)
        boxes = box_ops.clip_to_image_size(boxes, height, width, bounding_box_format="xyxy")
        return box_ops.convert_format(boxes, "xyxy", self._box_format, height, width)

    def _matrix(self, transformation: Any, like: torch.Tensor) -> torch.Tensor:
        shifts = as_tensor_like(transformation["translations"], like, torch.float32)
        ones = torch.ones_like(shifts[:, :1])
        zeros = torch.zeros_like(ones)
        return torch.cat(
            [ones, zeros, -shifts[:, :1], zeros, ones, -shifts[:, 1:], zeros, zeros], dim=1
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
            "data_format": self.data_format,
        }


class RandomShear(_AffineLayer):
    """Keras's ``RandomShear``: shear along x and y by amounts drawn from the factor ranges,
    with a random sign per image."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _MESSAGE = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        "[0, 1.0]. "
    )

    def __init__(
        self,
        x_factor: Any = 0.0,
        y_factor: Any = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = _factor_pair(x_factor, "x_factor", 0.0, 1.0, self._MESSAGE)
        self.y_factor = _factor_pair(y_factor, "y_factor", 0.0, 1.0, self._MESSAGE)
        _check_warp_options(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = (self._batch_size(images), 1)
        invert = torch.where(self._uniform(shape, 0.0, 1.0, images, seed) > 0.5, -1.0, 1.0)
        shear_y = self._uniform(shape, self.y_factor[0], self.y_factor[1], images, seed)
        shear_x = self._uniform(shape, self.x_factor[0], self.x_factor[1], images, seed)
        factor = torch.cat([shear_x, shear_y], dim=1) * invert
        return {"shear_factor": factor, "input_shape": tuple(images.shape)}

    def _matrix(self, transformation: Any, like: torch.Tensor) -> torch.Tensor:
        shear = as_tensor_like(transformation["shear_factor"], like, torch.float32)
        ones = torch.ones_like(shear[:, 0])
        zeros = torch.zeros_like(ones)
        return torch.stack(
            [ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], dim=1
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "x_factor": self.x_factor,
            "y_factor": self.y_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
            "data_format": self.data_format,
        }
