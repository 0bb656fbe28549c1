"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose and the rank-generic bases.

DepthwiseConv2D / SeparableConv2D (and their bases) are in ``convolutional_depthwise.py``;
the other ranks (Conv3D, Conv1D/3DTranspose, DepthwiseConv1D, SeparableConv1D) and the
``Convolution*`` aliases in ``convolutional_ranks.py``.

Kernels are stored in torch's layout (``kernel``: OIL / OIHW, what ``F.conv*``
takes) and converted to and from Keras's layout (``(*kernel_size, in, out)``)
by ``get_weights`` / ``set_weights``. They are initialised by drawing the
Keras-shaped tensor (so fans match Keras) and permuting. ``channels_last``
inputs are moved to channels-first around the torch op; ``padding="same"``
pads exactly as TensorFlow (the extra row/column goes at the bottom/right).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from torchbridge import activations, initializers, regularizers
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
from torchbridge.layers.layer import KerasWeight, Layer

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose"]

_CONV_FNS: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T_FNS: dict[int, Callable[..., torch.Tensor]] = {
    1: F.conv_transpose1d,
    2: F.conv_transpose2d,
    3: F.conv_transpose3d,
}


def _keras_to_torch(rank: int) -> tuple[int, ...]:
    """Permutation of a Keras kernel (*spatial, a, b) into torch's (b, a, *spatial)."""
    return (rank + 1, rank, *range(rank))


def _torch_to_keras(rank: int) -> tuple[int, ...]:
    """Inverse of ``_keras_to_torch``: (b, a, *spatial) → (*spatial, a, b)."""
    return (*range(2, rank + 2), 1, 0)


def _serialize_activation(fn: Any) -> Any:
    return activations.serialize(fn)


# Keras names the options of these weights by a shorter prefix ("depthwise_regularizer").
_OPTION_PREFIX = {"depthwise_kernel": "depthwise", "pointwise_kernel": "pointwise"}


def _check_filters(owner: str, filters: Any) -> None:
    if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
        raise ValueError(f"{owner}: `filters` must be a positive int, got {filters!r}.")


class _BaseConv(Layer):
    """Argument handling and padding shared by the convolution layers."""

    rank: int = 2
    _causal: bool = True  # Keras allows padding="causal" on Conv1D only

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        bias_initializer: Any = "zeros",
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        r = self.rank
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size", owner)
        self.strides = normalize_tuple(strides, r, "strides", owner)
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate", owner)
        allowed = ("valid", "same", "causal") if r == 1 and self._causal else ("valid", "same")
        self.padding = normalize_padding(padding, allowed, owner)
        self.data_format = normalize_data_format(data_format, owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` is not compatible with `dilation_rate > 1` "
                f"(got strides={self.strides}, dilation_rate={self.dilation_rate})."
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = bias_initializer
        self._bias_options = (bias_regularizer, bias_constraint)
        self.supports_masking = False

    def _declare_options(self, **weights: tuple[Any, Any]) -> None:
        """Keras's ``<weight>_regularizer`` / ``<weight>_constraint`` arguments (keyed by
        Keras's weight names), the bias's included; call before building."""
        self._declare_weight_options(**weights, bias=self._bias_options)

    def _options_config(self) -> dict[str, Any]:
        """The options as Keras's config keys (``depthwise_kernel`` → ``depthwise_...``)."""
        config: dict[str, Any] = {}
        for key, value in self._weight_options_config().items():
            weight, _, kind = key.rpartition("_")
            config[f"{_OPTION_PREFIX.get(weight, weight)}_{kind}"] = value
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    # --- shapes ------------------------------------------------------------------------
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape: Any) -> int:
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of rank "
                f"{self.rank + 2}, but received input_shape={shape}."
            )
        channels = shape[self._channel_axis()]
        if channels is None:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): the channel dimension of "
                f"the inputs must be known, got input_shape={shape}."
            )
        return int(channels)

    def _check_call_input(self, inputs: torch.Tensor, channels: int) -> torch.Tensor:
        dims = {1: "steps", 2: "rows, cols", 3: "dim1, dim2, dim3"}[self.rank]
        what = f"(batch, {dims}, channels)"
        if self.data_format == "channels_first":
            what = f"(batch, channels, {dims})"
        check_rank(self, inputs, self.rank + 2, f"inputs of shape {what}")
        got = inputs.shape[self._channel_axis()]
        if got != channels:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) was built for {channels} input "
                f"channels, but received an input of shape {tuple(inputs.shape)}."
            )
        x = to_channels_first(inputs, self.data_format)
        if not x.is_floating_point():
            x = x.float()
        return x

    def _pad(self, x: torch.Tensor, kernel_size: tuple[int, ...]) -> torch.Tensor:
        """Pad channels-first ``x`` for ``self.padding`` (TensorFlow's SAME / causal)."""
        spatial = x.shape[2:]
        if self.padding == "valid":
            for size, k, d in zip(spatial, kernel_size, self.dilation_rate):
                if (k - 1) * d + 1 > size:
                    raise InputError(
                        f"Layer '{self.name}' ({type(self).__name__}): the input's spatial "
                        f"size {tuple(spatial)} is smaller than the kernel {kernel_size} "
                        f"(dilation {self.dilation_rate}) with padding='valid'."
                    )
            return x
        pads: list[tuple[int, int]] = []
        for size, k, s, d in zip(spatial, kernel_size, self.strides, self.dilation_rate):
            if self.padding == "causal":
                pads.append(((k - 1) * d, 0))
            else:
                pads.append(same_pads(size, k, s, d))
        flat: list[int] = []
        for before, after in reversed(pads):
            flat.extend((before, after))
        if not any(flat):
            return x
        return F.pad(x, flat)

    def _finish(self, y: torch.Tensor) -> torch.Tensor:
        return self.activation(to_channels_last(y, self.data_format))

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        out_spatial = tuple(
            None if n is None else output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        ch = self._output_channels()
        if self.data_format == "channels_last":
            return (shape[0], *out_spatial, ch)
        return (shape[0], ch, *out_spatial)

    def _output_channels(self) -> int:
        raise NotImplementedError

    def _base_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": _serialize_activation(self.activation),
                "use_bias": self.use_bias,
                "bias_initializer": initializers.serialize(self.bias_initializer),
                **self._options_config(),
            }
        )
        return config

    def _make_bias(self, n: int) -> None:
        if self.use_bias:
            self.bias = nn.Parameter(initializers.get(self.bias_initializer)((n,)).float())
        else:
            self.bias = None  # type: ignore[assignment]


class _Conv(_BaseConv):
    """Conv1D / Conv2D."""

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
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
        if not isinstance(groups, int) or groups <= 0 or filters % groups != 0:
            raise ValueError(
                f"{owner}: `groups` must be a positive int dividing filters={filters}, "
                f"got {groups!r}."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_initializer = kernel_initializer
        self._declare_options(kernel=(kernel_regularizer, kernel_constraint))
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        if channels % self.groups != 0:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): the number of input channels "
                f"({channels}) must be divisible by groups={self.groups}."
            )
        self.input_channels = channels
        keras_shape = (*self.kernel_size, channels // self.groups, self.filters)
        k = initializers.get(self.kernel_initializer)(keras_shape).float()
        self.kernel = nn.Parameter(k.permute(_keras_to_torch(self.rank)).contiguous())
        self._make_bias(self.filters)

    def _keras_weights(self) -> list[KerasWeight]:
        to_k, to_t = _torch_to_keras(self.rank), _keras_to_torch(self.rank)
        out = [KerasWeight(self.kernel, lambda t: t.permute(to_k), lambda t: t.permute(to_t))]
        if self.bias is not None:
            out.append(KerasWeight(self.bias))
        return out

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check_call_input(inputs, self.input_channels)
        x = self._pad(x, self.kernel_size)
        y = _CONV_FNS[self.rank](
            x,
            self.kernel,
            self.bias,
            stride=self.strides,
            dilation=self.dilation_rate,
            groups=self.groups,
        )
        return self._finish(y)

    def _output_channels(self) -> int:
        return self.filters

    def get_config(self) -> dict[str, Any]:
        config = self._base_config()
        config.update(
            {
                "filters": self.filters,
                "groups": self.groups,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
            }
        )
        return config

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
            f"strides={self.strides}, padding={self.padding!r}, data_format={self.data_format!r}"
        )


class Conv1D(_Conv):
    """Keras's ``Conv1D``: inputs ``(batch, steps, channels)`` by default."""

    rank = 1


class Conv2D(_Conv):
    """Keras's ``Conv2D``: inputs ``(batch, rows, cols, channels)`` by default."""

    rank = 2


class _ConvTranspose(_BaseConv):
    """Conv1D/2D/3DTranspose (kernel ``(*kernel_size, filters, in)`` in Keras's layout)."""

    _causal = False

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
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
        self.output_padding: tuple[int, ...] | None = None
        if output_padding is not None:
            if isinstance(output_padding, int):
                output_padding = (output_padding,) * self.rank
            self.output_padding = tuple(int(v) for v in output_padding)
            for op, s in zip(self.output_padding, self.strides):
                if not 0 <= op < s:
                    raise ValueError(
                        f"{owner}: each `output_padding` must be >= 0 and < the stride, got "
                        f"output_padding={output_padding!r}, strides={self.strides}."
                    )
        self.kernel_initializer = kernel_initializer
        self._declare_options(kernel=(kernel_regularizer, kernel_constraint))
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self.input_channels = channels
        keras_shape = (*self.kernel_size, self.filters, channels)
        k = initializers.get(self.kernel_initializer)(keras_shape).float()
        # Keras (kh, kw, out, in) → torch's conv_transpose layout (in, out, kh, kw).
        self.kernel = nn.Parameter(k.permute(_keras_to_torch(self.rank)).contiguous())
        self._make_bias(self.filters)

    def _keras_weights(self) -> list[KerasWeight]:
        to_k, to_t = _torch_to_keras(self.rank), _keras_to_torch(self.rank)
        out = [KerasWeight(self.kernel, lambda t: t.permute(to_k), lambda t: t.permute(to_t))]
        if self.bias is not None:
            out.append(KerasWeight(self.bias))
        return out

    def _lengths(self, size: int, i: int) -> tuple[int, int]:
        """(output length, crop at the start) of spatial dimension ``i`` (TF's rule)."""
        k, s, d = self.kernel_size[i], self.strides[i], self.dilation_rate[i]
        eff = (k - 1) * d + 1
        op = None if self.output_padding is None else self.output_padding[i]
        if self.padding == "valid":
            extra = max(eff, s) - eff if op is None else op
            return (size - 1) * s + eff + extra, 0
        length = size * s if op is None else (size - 1) * s + eff % 2 + op
        total = max((size - 1) * s + eff - length, 0)
        return length, total // 2

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self._check_call_input(inputs, self.input_channels)
        y = _CONV_T_FNS[self.rank](
            x, self.kernel, None, stride=self.strides, dilation=self.dilation_rate
        )
        for i, size in enumerate(x.shape[2:]):
            length, start = self._lengths(int(size), i)
            dim = 2 + i
            y = y.narrow(dim, start, min(length, y.shape[dim] - start))
            if y.shape[dim] < length:
                pad = [0, 0] * (y.ndim - dim - 1) + [0, length - y.shape[dim]]
                y = F.pad(y, pad)
        if self.bias is not None:
            y = y + self.bias.view(1, -1, *([1] * self.rank))
        return self._finish(y)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        out = tuple(None if n is None else self._lengths(n, i)[0] for i, n in enumerate(spatial))
        if self.data_format == "channels_last":
            return (shape[0], *out, self.filters)
        return (shape[0], self.filters, *out)

    def get_config(self) -> dict[str, Any]:
        config = self._base_config()
        config.update(
            {
                "filters": self.filters,
                "output_padding": self.output_padding,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
            }
        )
        return config


class Conv2DTranspose(_ConvTranspose):
    """Keras's ``Conv2DTranspose`` (kernel ``(kh, kw, filters, in)`` in Keras's layout)."""

    rank = 2
