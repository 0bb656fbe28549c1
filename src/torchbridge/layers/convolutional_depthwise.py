"""Depthwise and separable convolutions: DepthwiseConv2D, SeparableConv2D and their
rank-generic bases (``_DepthwiseConv``, ``_SeparableConv``; the 1D layers are in
``convolutional_ranks.py``). Kernels keep torch's grouped-conv layout and convert to
Keras's ``(*kernel_size, in, depth_multiplier)`` / pointwise ``(1.., in*mult, filters)``
in ``get_weights`` / ``set_weights``, like the other convolutions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from torchbridge import initializers
from torchbridge.layers.convolutional import (
    _CONV_FNS,
    _BaseConv,
    _check_filters,
    _keras_to_torch,
    _torch_to_keras,
)
from torchbridge.layers.layer import KerasWeight

__all__ = ["DepthwiseConv2D", "SeparableConv2D"]


def _depthwise_to_torch(t: torch.Tensor) -> torch.Tensor:
    """Keras depthwise kernel (*k, in, mult) → torch (in*mult, 1, *k)."""
    *k, cin, mult = t.shape
    return t.reshape(*k, cin * mult).movedim(-1, 0).unsqueeze(1)


def _make_depthwise_to_keras(cin: int, mult: int) -> Callable[[torch.Tensor], torch.Tensor]:
    def convert(t: torch.Tensor) -> torch.Tensor:
        k = t.shape[2:]
        return t.squeeze(1).movedim(0, -1).reshape(*k, cin, mult)

    return convert


class _DepthwiseMixin(_BaseConv):
    _causal = False
    depth_multiplier: int
    depthwise_initializer: Any

    def _build_depthwise(self, channels: int) -> None:
        self.input_channels = channels
        keras_shape = (*self.kernel_size, channels, self.depth_multiplier)
        k = initializers.get(self.depthwise_initializer)(keras_shape).float()
        self.depthwise_kernel = nn.Parameter(_depthwise_to_torch(k).contiguous())

    def _depthwise_weight(self) -> KerasWeight:
        return KerasWeight(
            self.depthwise_kernel,
            _make_depthwise_to_keras(self.input_channels, self.depth_multiplier),
            _depthwise_to_torch,
        )

    def _depthwise(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        x = self._pad(x, self.kernel_size)
        return _CONV_FNS[self.rank](
            x,
            self.depthwise_kernel,
            bias,
            stride=self.strides,
            dilation=self.dilation_rate,
            groups=self.input_channels,
        )


def _check_multiplier(owner: str, depth_multiplier: Any) -> int:
    if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
        raise ValueError(
            f"{owner}: `depth_multiplier` must be a positive int, got {depth_multiplier!r}."
        )
    return depth_multiplier


class _DepthwiseConv(_DepthwiseMixin):
    """DepthwiseConv1D/2D (kernel ``(*kernel_size, in, depth_multiplier)``)."""

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        owner = type(self).__name__
        self.depth_multiplier = _check_multiplier(owner, depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self._declare_options(depthwise_kernel=(depthwise_regularizer, depthwise_constraint))
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self._build_depthwise(channels)
        self._make_bias(channels * self.depth_multiplier)

    def _keras_weights(self) -> list[KerasWeight]:
        out = [self._depthwise_weight()]
        if self.bias is not None:
            out.append(KerasWeight(self.bias))
        return out

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check_call_input(inputs, self.input_channels)
        return self._finish(self._depthwise(x, self.bias))

    def _output_channels(self) -> int:
        return self.input_channels * self.depth_multiplier

    def get_config(self) -> dict[str, Any]:
        config = self._base_config()
        config.update(
            {
                "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            }
        )
        return config


class _SeparableConv(_DepthwiseMixin):
    """SeparableConv1D/2D: a depthwise conv, then a pointwise (size-1) conv."""

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        owner = type(self).__name__
        _check_filters(owner, filters)
        self.filters = filters
        self.depth_multiplier = _check_multiplier(owner, depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self._declare_options(
            depthwise_kernel=(depthwise_regularizer, depthwise_constraint),
            pointwise_kernel=(pointwise_regularizer, pointwise_constraint),
        )
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self._build_depthwise(channels)
        keras_shape = (*(1,) * self.rank, channels * self.depth_multiplier, self.filters)
        k = initializers.get(self.pointwise_initializer)(keras_shape).float()
        self.pointwise_kernel = nn.Parameter(k.permute(_keras_to_torch(self.rank)).contiguous())
        self._make_bias(self.filters)

    def _keras_weights(self) -> list[KerasWeight]:
        to_k, to_t = _torch_to_keras(self.rank), _keras_to_torch(self.rank)
        out = [
            self._depthwise_weight(),
            KerasWeight(
                self.pointwise_kernel, lambda t: t.permute(to_k), lambda t: t.permute(to_t)
            ),
        ]
        if self.bias is not None:
            out.append(KerasWeight(self.bias))
        return out

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check_call_input(inputs, self.input_channels)
        y = _CONV_FNS[self.rank](self._depthwise(x, None), self.pointwise_kernel, self.bias)
        return self._finish(y)

    def _output_channels(self) -> int:
        return self.filters

    def get_config(self) -> dict[str, Any]:
        config = self._base_config()
        config.update(
            {
                "filters": self.filters,
                "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            }
        )
        return config


class DepthwiseConv2D(_DepthwiseConv):
    """Keras's ``DepthwiseConv2D`` (kernel ``(kh, kw, in, depth_multiplier)``)."""

    rank = 2


class SeparableConv2D(_SeparableConv):
    """Keras's ``SeparableConv2D``: a depthwise conv, then a 1x1 pointwise conv."""

    rank = 2
