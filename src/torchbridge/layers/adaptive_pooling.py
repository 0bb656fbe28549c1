"""Adaptive pooling layers: AdaptiveAverage/MaxPooling1D/2D/3D.

Each output cell ``i`` of a dimension of length ``n`` pooled to ``m`` covers
the input ``[floor(i*n/m), ceil((i+1)*n/m))``: Keras's TensorFlow backend gets
these bins by its two-window gather, torch's ``adaptive_*_pool`` uses them
directly, so the outputs agree. The work is done by ``ops.adaptive_*_pool``.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge import backend
from torchbridge.layers._conv_utils import check_rank
from torchbridge.layers.layer import Layer
from torchbridge.ops.nn_pooling import adaptive_average_pool, adaptive_max_pool

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
]

_DIMS = {1: "length", 2: "(height, width)", 3: "(depth, height, width)"}


class _AdaptivePooling(Layer):
    rank: int = 2
    mode: str = "avg"

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        owner, n = type(self).__name__, self.rank
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            size: tuple[int, ...] = (output_size,) * n
        elif isinstance(output_size, (tuple, list)) and len(output_size) == n:
            size = tuple(int(v) for v in output_size)
        else:
            raise TypeError(
                f"{owner}: `output_size` must be an int or a tuple of {n} ints "
                f"{_DIMS[n]}, got {output_size!r}."
            )
        super().__init__(**kwargs)
        self.output_size = size
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_first", "channels_last"):
            raise ValueError(
                f"{owner}: `data_format` must be 'channels_last' or 'channels_first', "
                f"got {data_format!r}."
            )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        check_rank(self, inputs, self.rank + 2, f"inputs with {self.rank} spatial dimensions")
        x = inputs if inputs.is_floating_point() else inputs.float()
        fn = adaptive_average_pool if self.mode == "avg" else adaptive_max_pool
        return fn(x, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (shape[0], *self.output_size, shape[-1])
        return (shape[0], shape[1], *self.output_size)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Keras's ``AdaptiveAveragePooling1D``: average to ``output_size`` steps."""

    rank, mode = 1, "avg"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Keras's ``AdaptiveAveragePooling2D``: average to ``output_size`` (h, w)."""

    rank, mode = 2, "avg"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Keras's ``AdaptiveAveragePooling3D``: average to ``output_size`` (d, h, w)."""

    rank, mode = 3, "avg"


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Keras's ``AdaptiveMaxPooling1D``: max to ``output_size`` steps."""

    rank, mode = 1, "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Keras's ``AdaptiveMaxPooling2D``: max to ``output_size`` (h, w)."""

    rank, mode = 2, "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Keras's ``AdaptiveMaxPooling3D``: max to ``output_size`` (d, h, w)."""

    rank, mode = 3, "max"
