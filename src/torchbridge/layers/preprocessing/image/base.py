"""``BaseImagePreprocessingLayer``: the structure every Keras image preprocessing layer shares.

A layer's call is split as in Keras: ``get_random_transformation(data, training)``
draws the parameters of one call (angles, flips, crop offsets ...; ``None`` or
neutral values at inference), then ``transform_images`` / ``transform_labels`` /
``transform_segmentation_masks`` apply them. Tests and users can pass their
own transformation to ``transform_images`` to check a fixed draw.

Inputs are a batch ``(N, H, W, C)`` / ``(N, C, H, W)`` or one image (rank 3),
or a dict with ``"images"`` and optionally ``"labels"``,
``"segmentation_masks"`` and ``"bounding_boxes"`` (``{"boxes", "labels"}`` in
the layer's ``bounding_box_format``; ragged lists are padded) — the same draw
applies to all of them. Layers that move pixels implement
``transform_bounding_boxes`` where torchbridge supports it (the others raise
an error naming the layers that do). Float inputs are cast to the layer's
compute dtype, as Keras's layers autocast.

Training mode: Keras's image layers default to ``training=True`` in their
``call`` signature, so a direct ``layer(x)`` — or ``Dataset.map(layer)`` —
augments. Here too: a direct call augments unless ``training=False`` is passed
or the layer sits in a module whose mode was chosen (``model.eval()``,
``predict``), where the module's mode decides.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge import random as tb_random
from torchbridge.backend.dtypes import to_torch_dtype
from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer
from torchbridge.layers.layer import _arrays_to_tensors as arrays_to_tensors
from torchbridge.layers.symbolic import any_symbolic
from torchbridge.ops._convert import to_tensor
from torchbridge.ops._nn_layout import data_format_of

__all__ = [
    "BaseImagePreprocessingLayer",
    "TrainingByDefault",
    "as_tensor_like",
    "densify_bounding_boxes",
]


def as_tensor_like(
    value: Any, like: torch.Tensor, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """``value`` (NumPy, Python or torch) as a tensor on ``like``'s device."""
    out = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    return out.to(device=like.device, dtype=dtype or out.dtype)


def densify_bounding_boxes(bounding_boxes: Any, batched: bool) -> dict[str, Any]:
    """``{"boxes", "labels"}`` as tensors (float32 boxes); ragged Python lists of a batch are
    padded with zero boxes and label -1, as Keras pads ragged boxes."""
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise InputError(
            "`bounding_boxes` must be a dict with 'boxes' (and 'labels'); received "
            f"{type(bounding_boxes).__name__}."
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes.get("labels")
    out = dict(bounding_boxes)
    if batched and isinstance(boxes, list) and boxes and isinstance(boxes[0], list):
        longest = max(len(b) for b in boxes)
        boxes = [list(b) + [[0, 0, 0, 0]] * (longest - len(b)) for b in boxes]
        if labels is not None:
            labels = [list(lab) + [-1] * (longest - len(lab)) for lab in labels]
    out["boxes"] = to_tensor(
        np.asarray(boxes, dtype="float32") if not isinstance(boxes, torch.Tensor) else boxes.float()
    )
    if labels is not None:
        out["labels"] = to_tensor(labels)
    return out


class TrainingByDefault:
    """Keras's image layers (and ``Pipeline``) declare ``call(..., training=True)``: a direct
    call augments. Mixed in before ``Layer``: a call without ``training`` on a layer whose
    mode nobody chose (no ``train()``/``eval()`` on it or on a module holding it) trains.
    Such direct calls change no state on the layer (``Layer.__call__`` would switch it to
    inference mode), so concurrent calls from ``Dataset.map`` threads are safe."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_mode_chosen", False) or any_symbolic(args, kwargs):
            return super().__call__(*args, **kwargs)  # type: ignore[misc]
        if kwargs.get("training") is None and len(args) < 2:
            kwargs["training"] = True
        if args and isinstance(args[0], (np.ndarray, list, tuple)):
            args = (arrays_to_tensors(args[0]), *args[1:])  # NumPy in, as Layer.__call__
        return nn.Module.__call__(self, *args, **kwargs)  # type: ignore[arg-type]


class BaseImagePreprocessingLayer(TrainingByDefault, Layer):
    """Keras's ``BaseImagePreprocessingLayer`` (see the module docstring)."""

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS: tuple[float, float] = (-1, 1)
    factor: Any  # (lower, upper) after _set_factor; some layers keep a plain number

    def __init__(
        self,
        factor: Any = None,
        bounding_box_format: str | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = data_format_of(data_format)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(
                f"Layer {type(self).__name__} does not take a `factor` argument. "
                f"Received: factor={factor}"
            )

    # --- factor and value range ------------------------------------------------------------
    def _set_factor(self, factor: Any) -> None:
        low, high = self._FACTOR_BOUNDS
        message = (
            "The `factor` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={factor}"
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > high or factor[1] < low:
                raise ValueError(message)
            lower, upper = sorted(factor)
        elif isinstance(factor, (int, float)):
            if factor < low or factor > high:
                raise ValueError(message)
            factor = abs(factor)
            lower, upper = max(-factor, low), factor
        else:
            raise ValueError(message)
        self.factor = (lower, upper)

    def _transform_value_range(
        self, images: torch.Tensor, original_range: Any, target_range: Any, dtype: Any = "float32"
    ) -> torch.Tensor:
        """Map ``images`` linearly from ``original_range`` onto ``target_range``."""
        if original_range[0] == target_range[0] and original_range[1] == target_range[1]:
            return images
        images = images.to(to_torch_dtype(dtype))
        low, high = float(original_range[0]), float(original_range[1])
        new_low, new_high = float(target_range[0]), float(target_range[1])
        return (images - low) / (high - low) * (new_high - new_low) + new_low

    # --- helpers for subclasses --------------------------------------------------------------
    @property
    def _torch_compute_dtype(self) -> torch.dtype:
        return to_torch_dtype(self.compute_dtype)

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(self._torch_compute_dtype)

    @property
    def _box_format(self) -> str:
        if not self.bounding_box_format:
            raise ValueError(
                f"{type(self).__name__}: transforming bounding boxes needs a "
                "`bounding_box_format` argument, e.g. `bounding_box_format='xyxy'`."
            )
        return str(self.bounding_box_format)

    def _hw_axes(self) -> tuple[int, int]:
        return (-2, -1) if self.data_format == "channels_first" else (-3, -2)

    def _image_hw(self, images: Any) -> tuple[int, int]:
        return self._hw_of_shape(images.shape)

    def _hw_of_shape(self, shape: Any) -> tuple[int, int]:
        h_axis, w_axis = self._hw_axes()
        shape = tuple(shape)
        return int(shape[h_axis]), int(shape[w_axis])

    def _batch_size(self, images: Any) -> int:
        return int(images.shape[0]) if len(images.shape) == 4 else 1

    def _uniform(
        self, shape: Any, minval: Any, maxval: Any, like: Any, seed: Any = None
    ) -> torch.Tensor:
        """A seeded U[minval, maxval) draw on ``like``'s device (the layer's generator)."""
        draw = tb_random.uniform(
            shape,
            minval,
            maxval,
            dtype="float32",
            seed=seed if seed is not None else self.generator,
        )
        return draw.to(like.device) if isinstance(like, torch.Tensor) else draw

    @staticmethod
    def _images_of(data: Any) -> Any:
        return data["images"] if isinstance(data, dict) else data

    def _compute_affine_matrix(
        self,
        center_x: Any,
        center_y: Any,
        angle: torch.Tensor,
        translate_x: Any,
        translate_y: Any,
        scale: Any,
        shear_x: Any,
        shear_y: Any,
        height: int,
        width: int,
    ) -> torch.Tensor:
        """Rows ``[a0, a1, a2, b0, b1, b2, 0, 0]`` of scale·shear·rotation about the centre
        (angles in degrees; centres as fractions of ``(size - 1)``)."""
        radians = math.pi / 180.0
        angle = angle * radians
        cx = center_x * (width - 1)
        cy = center_y * (height - 1)
        cos, sin = torch.cos(angle), torch.sin(angle)
        tan_x = torch.tan(torch.as_tensor(shear_x, dtype=angle.dtype) * radians)
        tan_y = torch.tan(torch.as_tensor(shear_y, dtype=angle.dtype) * radians)
        a0 = scale * (cos + tan_x * sin)
        a1 = scale * (-sin + tan_x * cos)
        a2 = translate_x + cx - cx * a0 - cy * a1
        b0 = scale * (tan_y * cos + sin)
        b1 = scale * (tan_y * -sin + cos)
        b2 = translate_y + cy - cx * b0 - cy * b1
        zeros = torch.zeros_like(a0)
        return torch.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], dim=1)

    # --- the transformation protocol (Keras's names) -----------------------------------------
    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        return None

    def _transform_images(
        self, images: torch.Tensor, transformation: Any, interpolation: str
    ) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define _transform_images.")

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if training:
            images = self._transform_images(images, transformation, self.interpolation)
        return images

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return labels

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        raise InputError(
            f"{type(self).__name__}: bounding boxes are not supported by this layer in "
            "torchbridge yet (RandomFlip, Resizing, CenterCrop, RandomRotation, "
            "RandomTranslation, MaxNumBoundingBoxes and the colour layers support them); "
            "transform the boxes with your own code."
        )

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        masks = to_tensor(segmentation_masks)
        if training:
            masks = self._transform_images(masks, transformation, "nearest")
        return masks

    def transform_single_image(
        self, image: Any, transformation: Any, training: bool = True
    ) -> torch.Tensor:
        out = self.transform_images(to_tensor(image)[None], transformation, training=training)
        return out[0]

    def transform_single_label(self, label: Any, transformation: Any, training: bool = True) -> Any:
        out = self.transform_labels(to_tensor(label)[None], transformation, training=training)
        return out[0]

    def transform_single_segmentation_mask(
        self, mask: Any, transformation: Any, training: bool = True
    ) -> Any:
        out = self.transform_segmentation_masks(
            to_tensor(mask)[None], transformation, training=training
        )
        return out[0]

    def _is_batched(self, images: Any) -> bool:
        rank = len(images.shape)
        if rank not in (3, 4):
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) expects an image (rank 3) or a "
                f"batch of images (rank 4); received shape {tuple(images.shape)}."
            )
        return rank == 4

    # --- calling -----------------------------------------------------------------------------
    def _prepare(self, images: Any) -> torch.Tensor:
        images = to_tensor(images)
        if images.is_floating_point() and images.dtype != self._torch_compute_dtype:
            images = self._cast(images)  # Keras autocasts float inputs to the compute dtype
        return images

    def call(self, data: Any, training: bool = True) -> Any:
        if not isinstance(data, dict):
            images = self._prepare(data)
            transformation = self.get_random_transformation(images, training=training)
            if self._is_batched(images):
                return self.transform_images(images, transformation, training=training)
            return self.transform_single_image(images, transformation, training=training)
        data = dict(data)
        data["images"] = self._prepare(data["images"])
        batched = self._is_batched(data["images"])
        transformation = self.get_random_transformation(data, training=training)
        data["images"] = (
            self.transform_images(data["images"], transformation, training=training)
            if batched
            else self.transform_single_image(data["images"], transformation, training=training)
        )
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                    f"bounding box format. Pass a `bounding_box_format` argument to your "
                    f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
                )
            boxes = densify_bounding_boxes(data["bounding_boxes"], batched)
            if batched:
                boxes = self.transform_bounding_boxes(boxes, transformation, training=training)
            else:
                boxes = {k: v[None] if k in ("boxes", "labels") else v for k, v in boxes.items()}
                boxes = self.transform_bounding_boxes(boxes, transformation, training=training)
                boxes = {k: v[0] if k in ("boxes", "labels") else v for k, v in boxes.items()}
            data["bounding_boxes"] = boxes
        if "labels" in data:
            labels = to_tensor(data["labels"])
            data["labels"] = (
                self.transform_labels(labels, transformation, training=training)
                if batched
                else self.transform_single_label(labels, transformation, training=training)
            )
        if "segmentation_masks" in data:
            masks = to_tensor(data["segmentation_masks"])
            data["segmentation_masks"] = (
                self.transform_segmentation_masks(masks, transformation, training=training)
                if batched
                else self.transform_single_segmentation_mask(
                    masks, transformation, training=training
                )
            )
        return data

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
