"""Keras's value-remapping image layers: ``Solarization``, ``AutoContrast``, ``Equalization``.

``AutoContrast`` stretches each image's channels to the full ``value_range``
in training and inference alike; ``Equalization`` (histogram equalization per
channel, the histogram taken over the whole batch as in Keras) and
``Solarization`` apply in training only, as Keras's do.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.layers.preprocessing.image.base import as_tensor_like
from torchbridge.layers.preprocessing.image.color import _PixelLayer
from torchbridge.layers.preprocessing.image.color_adjust import checked_value_range
from torchbridge.ops._convert import to_tensor
from torchbridge.random import SeedGenerator

__all__ = ["AutoContrast", "Equalization", "Solarization"]


class Solarization(_PixelLayer):
    """Keras's ``Solarization``: add a random amount, then invert the pixels at or above a
    random threshold (both drawn per image, on a 0-255 scale)."""

    _USE_BASE_FACTOR = False
    _MESSAGE = (
        "The `addition_factor` and `threshold_factor` arguments should be a number (or a list "
        "of two numbers) in the range [0, 1]. "
    )

    def __init__(
        self,
        addition_factor: Any = 0.0,
        threshold_factor: Any = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.addition_factor = self._checked(addition_factor, "addition_factor")
        self.threshold_factor = self._checked(threshold_factor, "threshold_factor")
        self.value_range = checked_value_range(value_range)

    def _checked(self, factor: Any, name: str) -> tuple[float, float]:
        def check(value: float) -> None:
            if value > 1.0 or value < 0:
                raise ValueError(self._MESSAGE + f"Received: input_number={value}")

        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(self._MESSAGE + f"Received: {name}={factor}")
            check(factor[0])
            check(factor[1])
            low, high = sorted(factor)
            return low, high
        if isinstance(factor, (int, float)):
            check(factor)
            return 0, factor
        raise ValueError(self._MESSAGE + f"Received: {name}={factor}")

    def _prepare(self, images: Any) -> torch.Tensor:
        return to_tensor(images)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = (int(images.shape[0]), 1, 1, 1) if len(images.shape) == 4 else (1, 1, 1)
        low, high = self.addition_factor
        additions = self._uniform(shape, low, high * 255, images, seed)
        low, high = self.threshold_factor
        thresholds = self._uniform(shape, low, high * 255, images, seed)
        return {"additions": additions, "thresholds": thresholds}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training or transformation is None:
            return images
        thresholds = as_tensor_like(transformation["thresholds"], images, images.dtype)
        additions = as_tensor_like(transformation["additions"], images, images.dtype)
        scaled = self._transform_value_range(images, self.value_range, (0, 255), self.compute_dtype)
        results = (scaled + additions).clamp(0, 255)
        results = torch.where(results < thresholds, results, 255 - results)
        return self._transform_value_range(results, (0, 255), self.value_range, self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "seed": self.seed,
        }


class AutoContrast(_PixelLayer):
    """Keras's ``AutoContrast``: map each image's per-channel [min, max] onto ``value_range``
    (a constant channel is left as it is)."""

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value_range = checked_value_range(value_range)

    def _prepare(self, images: Any) -> torch.Tensor:
        images = to_tensor(images)
        return self._cast(images) if images.is_floating_point() else images

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        original = to_tensor(images)
        scaled = self._transform_value_range(
            original, self.value_range, (0, 255), dtype=self.compute_dtype
        )
        scaled = self._cast(scaled)
        h_axis, w_axis = self._hw_axes()
        low = scaled.amin(dim=(h_axis, w_axis), keepdim=True)
        high = scaled.amax(dim=(h_axis, w_axis), keepdim=True)
        scale = 255.0 / (high - low)
        results = (scaled * scale - low * scale).clamp(0.0, 255.0)
        results = self._transform_value_range(
            results, (0, 255), self.value_range, dtype=self.compute_dtype
        )
        results = torch.where(torch.isnan(results), original.to(results.dtype), results)
        return results  # float, integer inputs included (as Keras)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range}


class Equalization(_PixelLayer):
    """Keras's ``Equalization``: histogram equalization of each channel (``bins`` bins on a
    0-255 scale, one histogram over the batch)."""

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        bins: int = 256,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = checked_value_range(value_range)

    def _equalize(self, channel: torch.Tensor) -> torch.Tensor:
        low, high = (float(v) for v in self.value_range)
        channel = (channel - low) * (255.0 / (high - low))
        index = ((channel.float() * (self.bins - 1)) / 255.0).to(torch.int32)
        index = index.clamp(0, self.bins - 1).reshape(-1).long()
        hist = torch.bincount(index, minlength=self.bins)
        if int(torch.count_nonzero(hist)) <= 1:
            equalized = channel
        else:
            cdf = torch.cumsum(hist, 0)
            cdf_min = cdf[torch.nonzero(cdf)[0, 0]]
            denominator = cdf[-1] - cdf_min
            denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
            table = ((cdf - cdf_min) * 255 / denominator).round().clamp(0, 255)
            lookup = (channel / 255.0 * (self.bins - 1)).clamp(0, self.bins - 1).to(torch.int32)
            equalized = table[lookup.long()].to(channel.dtype)
        return equalized * ((high - low) / 255.0) + low

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = self._cast(to_tensor(images))
        if not training:
            return images
        axis = -3 if self.data_format == "channels_first" else -1
        channels = [self._equalize(c) for c in images.unbind(axis)]
        return self._cast(torch.stack(channels, dim=axis))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}
