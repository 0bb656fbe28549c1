"""Keras's size-changing image layers: ``Resizing``, ``CenterCrop``, ``RandomCrop``.

``Resizing`` and ``CenterCrop`` apply in training and inference alike.
``RandomCrop`` crops one random window (the same for the whole batch, as in
Keras) in training and, as Keras 3.15 does, returns its input unchanged at
inference.
"""

from __future__ import annotations

import random
from typing import Any

import torch

from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from torchbridge.ops import bounding_boxes as box_ops
from torchbridge.ops import image as image_ops
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = ["CenterCrop", "RandomCrop", "Resizing"]


def _with_hw(layer: BaseImagePreprocessingLayer, input_shape: Any, height: int, width: int) -> Any:
    shape = list(input_shape)
    h_axis, w_axis = layer._hw_axes()
    shape[h_axis], shape[w_axis] = height, width
    return tuple(shape)


def _clip_shift(boxes: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """xyxy boxes clipped to the window ``[left, left + width) × [top, top + height)`` and
    moved to its origin."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(
        [
            x1.clamp(left, left + width) - left,
            y1.clamp(top, top + height) - top,
            x2.clamp(left, left + width) - left,
            y2.clamp(top, top + height) - top,
        ],
        -1,
    )


class Resizing(BaseImagePreprocessingLayer):
    """Keras's ``Resizing``: resize images to ``(height, width)`` (integer images stay integer)."""

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.height_axis, self.width_axis = self._hw_axes()

    def _prepare(self, images: Any) -> torch.Tensor:
        return to_tensor(images)  # resize keeps integer images integer; floats handled below

    def _transform_images(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        if images.is_floating_point():
            images = self._cast(images)
        return image_ops.resize(
            images,
            size=(self.height, self.width),
            interpolation=interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return self._transform_images(to_tensor(images), transformation, self.interpolation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return self._transform_images(to_tensor(segmentation_masks), transformation, "nearest")

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        return self._image_hw(self._images_of(data))

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        in_h, in_w = transformation
        boxes = to_tensor(bounding_boxes["boxes"]).float()
        empty = (boxes == -1).all(-1) | (boxes == 0).all(-1)  # padding boxes stay zero
        out = box_ops.convert_format(dict(bounding_boxes), self._box_format, "xyxy", in_h, in_w)
        out["boxes"] = self._resize_xyxy(out["boxes"], float(in_h), float(in_w))
        out = box_ops.clip_to_image_size(out, self.height, self.width, bounding_box_format="xyxy")
        out["boxes"] = torch.where(empty[..., None], torch.zeros_like(out["boxes"]), out["boxes"])
        return box_ops.convert_format(out, "xyxy", self._box_format, self.height, self.width)

    def _resize_xyxy(self, boxes: torch.Tensor, in_h: float, in_w: float) -> torch.Tensor:
        """xyxy boxes mapped as the pixels are (pad, crop or stretch to the new size)."""
        if self.pad_to_aspect_ratio:
            ratio = min(self.height / in_h, self.width / in_w)
            sx = sy = ratio
            dx = (self.width - in_w * ratio) // 2
            dy = (self.height - in_h * ratio) // 2
        elif self.crop_to_aspect_ratio:
            source, target = in_w / in_h, self.width / self.height
            new_w = self.height * source if source > target else self.width
            new_h = self.height if source > target else self.width / source
            sx, sy = new_w / in_w, new_h / in_h
            dx, dy = -((new_w - self.width) // 2), -((new_h - self.height) // 2)
        else:
            sx, sy, dx, dy = self.width / in_w, self.height / in_h, 0.0, 0.0
        x1, y1, x2, y2 = boxes.unbind(-1)
        return torch.stack([x1 * sx + dx, y1 * sy + dy, x2 * sx + dx, y2 * sy + dy], -1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _with_hw(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }


class CenterCrop(BaseImagePreprocessingLayer):
    """Keras's ``CenterCrop``: the central ``(height, width)`` window; an image smaller than
    that is centre-cropped to the target aspect ratio and resized (Keras's ``smart_resize``)."""

    _USE_BASE_FACTOR = False

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        return {"input_shape": tuple(self._images_of(data).shape)}

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        images = self._cast(to_tensor(images))
        height, width = self._image_hw(images)
        h_diff, w_diff = height - self.height, width - self.width
        if h_diff >= 0 and w_diff >= 0:
            top, left = h_diff // 2, w_diff // 2
            if self.data_format == "channels_first":
                return images[..., top : top + self.height, left : left + self.width]
            return images[..., top : top + self.height, left : left + self.width, :]
        return image_ops.resize(
            images,
            size=(self.height, self.width),
            crop_to_aspect_ratio=True,
            data_format=self.data_format,
        )

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        in_h, in_w = self._hw_of_shape(transformation["input_shape"])
        out = box_ops.convert_format(dict(bounding_boxes), self._box_format, "xyxy", in_h, in_w)
        if in_h >= self.height and in_w >= self.width:
            top, left = int((in_h - self.height) / 2), int((in_w - self.width) / 2)
            out["boxes"] = _clip_shift(out["boxes"], top, left, self.height, self.width)
        else:  # the smart_resize path: crop to the target aspect ratio, then rescale
            crop_h = max(min(in_h, int(float(in_w * self.height) / self.width)), 1)
            crop_w = max(min(in_w, int(float(in_h * self.width) / self.height)), 1)
            top, left = int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2)
            out["boxes"] = _clip_shift(out["boxes"], top, left, crop_h, crop_w)
            out = box_ops.convert_format(out, "xyxy", "rel_xyxy", crop_h, crop_w)
            out = box_ops.convert_format(out, "rel_xyxy", "xyxy", self.height, self.width)
        out = box_ops.clip_to_image_size(out, self.height, self.width, bounding_box_format="xyxy")
        return box_ops.convert_format(out, "xyxy", self._box_format, self.height, self.width)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "`input_shape` must be a non-nested tuple or list of rank-1 with size 3 "
                f"(unbatched) or 4 (batched). Received: input_shape={input_shape}"
            )
        return _with_hw(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


class RandomCrop(BaseImagePreprocessingLayer):
    """Keras's ``RandomCrop``: one random ``(height, width)`` window per call in training
    (resized up when the input is smaller); the input unchanged at inference."""

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        # Keras records a random seed in the config when none is given.
        self.seed = seed if seed is not None else random.randint(1, int(1e9))
        self.generator = SeedGenerator(seed)
        self.height_axis, self.width_axis = self._hw_axes()

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        images = self._images_of(data)
        in_h, in_w = self._image_hw(images)
        if training and in_h > self.height and in_w > self.width:
            draws = self._uniform((2,), 0.0, 1.0, images, seed)
            top = int(draws[0].item() * (in_h - self.height + 1))
            left = int(draws[1].item() * (in_w - self.width + 1))
            return min(top, in_h - self.height), min(left, in_w - self.width)
        crop_h = max(min(in_h, int(float(in_w * self.height) / self.width)), 1)
        crop_w = max(min(in_w, int(float(in_h * self.width) / self.height)), 1)
        return int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = to_tensor(images)
        if not training:
            return images
        images = self._cast(images)
        top, left = (int(v) for v in transformation)
        if self.data_format == "channels_first":
            images = images[..., top : top + self.height, left : left + self.width]
        else:
            images = images[..., top : top + self.height, left : left + self.width, :]
        if self._image_hw(images) != (self.height, self.width):
            images = image_ops.resize(
                images, size=(self.height, self.width), data_format=self.data_format
            )
        return images

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training=training)

    def compute_output_shape(self, input_shape: Any, *args: Any, **kwargs: Any) -> Any:
        return _with_hw(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "seed": self.seed,
            "data_format": self.data_format,
        }
