"""Pooling layers: Max/AveragePooling1D/2D/3D, the global poolings and Keras's
``*Pool*`` aliases (``MaxPool2D`` is ``MaxPooling2D``...).

``padding="same"`` matches TensorFlow: the extra pad goes after (bottom/right),
max pooling ignores the padding, and average pooling divides by the number of
*valid* (unpadded) elements in each window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import (
    check_rank,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    output_length,
    same_pads,
    to_channels_first,
    to_channels_last,
)
from torchbridge.layers.layer import Layer

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
]

_MAX: dict[int, Callable[..., torch.Tensor]] = {
    1: F.max_pool1d,
    2: F.max_pool2d,
    3: F.max_pool3d,
}
_AVG: dict[int, Callable[..., torch.Tensor]] = {
    1: F.avg_pool1d,
    2: F.avg_pool2d,
    3: F.avg_pool3d,
}


class _Pooling(Layer):
    rank: int = 2
    mode: str = "max"

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = (
            self.pool_size
            if strides is None
            else normalize_tuple(strides, self.rank, "strides", owner)
        )
        self.padding = normalize_padding(padding, ("valid", "same"), owner)
        self.data_format = normalize_data_format(data_format, owner)
        self.supports_masking = False

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        check_rank(self, inputs, self.rank + 2, f"inputs with {self.rank} spatial dimensions")
        x = to_channels_first(inputs, self.data_format)
        if not x.is_floating_point():
            x = x.float()
        spatial = tuple(x.shape[2:])
        if self.padding == "valid":
            if any(n < k for n, k in zip(spatial, self.pool_size)):
                raise InputError(
                    f"Layer '{self.name}' ({type(self).__name__}): the input's spatial size "
                    f"{spatial} is smaller than pool_size={self.pool_size} with "
                    "padding='valid'."
                )
            pads: list[int] = []
        else:
            pads = []
            for n, k, s in reversed(list(zip(spatial, self.pool_size, self.strides))):
                pads.extend(same_pads(n, k, s))
        if self.mode == "max":
            if any(pads):
                x = F.pad(x, pads, value=float("-inf"))
            y = _MAX[self.rank](x, self.pool_size, self.strides)
        else:
            fn = _AVG[self.rank]
            if any(pads):
                ones = torch.ones((1, 1, *spatial), dtype=x.dtype, device=x.device)
                total = fn(F.pad(x, pads), self.pool_size, self.strides)
                count = fn(F.pad(ones, pads), self.pool_size, self.strides)
                y = total / count
            else:
                y = fn(x, self.pool_size, self.strides)
        return to_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        spatial = shape[1:-1] if last else shape[2:]
        out = tuple(
            None if n is None else output_length(n, k, s, 1, self.padding)
            for n, k, s in zip(spatial, self.pool_size, self.strides)
        )
        return (shape[0], *out, shape[-1]) if last else (shape[0], shape[1], *out)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
            }
        )
        return config


class _AveragePooling(_Pooling):
    """As in Keras, the average poolings have no default ``pool_size``."""

    mode = "avg"

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(_Pooling):
    """Keras's ``MaxPooling1D`` (``pool_size=2``)."""

    rank, mode = 1, "max"


class MaxPooling2D(_Pooling):
    """Keras's ``MaxPooling2D`` (``pool_size=(2, 2)``)."""

    rank, mode = 2, "max"


class MaxPooling3D(_Pooling):
    """Keras's ``MaxPooling3D`` (``pool_size=(2, 2, 2)``)."""

    rank, mode = 3, "max"


class AveragePooling1D(_AveragePooling):
    """Keras's ``AveragePooling1D``; ``"same"`` averages the valid elements only."""

    rank = 1


class AveragePooling2D(_AveragePooling):
    """Keras's ``AveragePooling2D``; ``"same"`` averages the valid elements only."""

    rank = 2


class AveragePooling3D(_AveragePooling):
    """Keras's ``AveragePooling3D``; ``"same"`` averages the valid elements only."""

    rank = 3


class _GlobalPooling(Layer):
    rank: int = 2
    mode: str = "max"

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def _axes(self) -> tuple[int, ...]:
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def _check(self, inputs: torch.Tensor) -> torch.Tensor:
        check_rank(self, inputs, self.rank + 2, f"inputs with {self.rank} spatial dimensions")
        return inputs if inputs.is_floating_point() else inputs.float()

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    """Keras's ``GlobalMaxPooling1D``.

    As in Keras 3, it does not support masking: a mask on the input is ignored
    (masked steps take part in the max) and dropped, with a warning.
    """

    rank = 1

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check(inputs)
        return x.amax(dim=self._axes(), keepdim=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling):
    """Keras's ``GlobalMaxPooling2D``."""

    rank = 2

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check(inputs)
        return x.amax(dim=self._axes(), keepdim=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Keras's ``GlobalAveragePooling1D``; a ``(batch, steps)`` mask averages kept steps.

    The output carries no mask (Keras's ``compute_mask`` returns ``None``).
    """

    rank = 1

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self._check(inputs)
        axes = self._axes()
        if mask is None:
            return x.mean(dim=axes, keepdim=self.keepdims)
        # Keras: masked steps are replaced by 0 (not multiplied, so inf/nan there do not
        # leak), the sum is divided by the number of kept steps (0/0 = nan if none).
        keep = mask.to(torch.bool).unsqueeze(2 if axes[0] == 1 else 1)
        total = torch.where(keep, x, x.new_zeros(())).sum(dim=axes, keepdim=self.keepdims)
        return total / keep.to(x.dtype).sum(dim=axes, keepdim=self.keepdims)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """Keras's ``GlobalAveragePooling2D``."""

    rank = 2

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check(inputs)
        return x.mean(dim=self._axes(), keepdim=self.keepdims)


class GlobalMaxPooling3D(_GlobalPooling):
    """Keras's ``GlobalMaxPooling3D``."""

    rank = 3

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check(inputs)
        return x.amax(dim=self._axes(), keepdim=self.keepdims)


class GlobalAveragePooling3D(_GlobalPooling):
    """Keras's ``GlobalAveragePooling3D``."""

    rank = 3

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check(inputs)
        return x.mean(dim=self._axes(), keepdim=self.keepdims)


# Keras exports these names as the very same classes.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
)
