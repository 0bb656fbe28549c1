"""The other ranks of the convolution layers and Keras's ``Convolution*`` aliases.

Conv3D, Conv1DTranspose, Conv3DTranspose, DepthwiseConv1D and SeparableConv1D
share their machinery (Keras-layout kernels, TensorFlow's SAME padding,
channels_last moves) with the 2D layers in ``convolutional.py``; this module
only fixes the rank and, where Keras differs, the argument order.
"""

from __future__ import annotations

from typing import Any

from torchbridge.layers.convolutional import Conv1D, Conv2D, Conv2DTranspose, _Conv, _ConvTranspose
from torchbridge.layers.convolutional_depthwise import (
    SeparableConv2D,
    _DepthwiseConv,
    _SeparableConv,
)

__all__ = [
    "Conv3D",
    "Conv1DTranspose",
    "Conv3DTranspose",
    "DepthwiseConv1D",
    "SeparableConv1D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]


class Conv3D(_Conv):
    """Keras's ``Conv3D``: inputs ``(batch, d1, d2, d3, channels)`` by default."""

    rank = 3


class Conv1DTranspose(_ConvTranspose):
    """Keras's ``Conv1DTranspose`` (kernel ``(k, filters, in)`` in Keras's layout)."""

    rank = 1


class Conv3DTranspose(_ConvTranspose):
    """Keras's ``Conv3DTranspose``; as in Keras, ``data_format`` comes before
    ``output_padding`` in its positional arguments (unlike Conv1D/2DTranspose)."""

    rank = 3

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        output_padding: Any = None,
        dilation_rate: Any = (1, 1, 1),
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
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class DepthwiseConv1D(_DepthwiseConv):
    """Keras's ``DepthwiseConv1D`` (kernel ``(k, in, depth_multiplier)``)."""

    rank = 1


class SeparableConv1D(_SeparableConv):
    """Keras's ``SeparableConv1D``: a depthwise conv, then a size-1 pointwise conv."""

    rank = 1


# Keras exports these names as the very same classes.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
