"""Convolution layers against Keras (TensorFlow backend) as the oracle."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.layers import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)


def _compare(ours: Any, theirs: Any, x: np.ndarray, atol: float = 1e-5) -> None:
    expected = np.asarray(theirs(x))
    with torch.no_grad():
        ours(torch.from_numpy(x))  # build
        ours.set_weights(theirs.get_weights())
        got = ours(torch.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=atol, rtol=1e-5)
    assert ours.count_params() == theirs.count_params()
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ours.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])


def _x(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype("float32")


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("strides,dilation", [(1, 1), (2, 1), (3, 1), (1, 2)])
@pytest.mark.parametrize("steps", [7, 8])
def test_conv1d_matches_keras(rng, padding, strides, dilation, steps):
    kw = dict(strides=strides, padding=padding, dilation_rate=dilation, activation="relu")
    x = _x(rng, 2, steps, 3)
    _compare(Conv1D(4, 3, **kw), keras.layers.Conv1D(4, 3, **kw), x)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2, 3, (2, 1)])
@pytest.mark.parametrize("size", [(7, 7), (8, 6)])
@pytest.mark.parametrize("kernel", [3, (2, 4)])
def test_conv2d_matches_keras(rng, padding, strides, size, kernel):
    kw = dict(strides=strides, padding=padding)
    x = _x(rng, 2, *size, 3)
    _compare(Conv2D(5, kernel, **kw), keras.layers.Conv2D(5, kernel, **kw), x)


def test_conv2d_dilation_groups_no_bias(rng):
    kw = dict(padding="same", dilation_rate=2, groups=2, use_bias=False, activation="tanh")
    x = _x(rng, 2, 9, 8, 4)
    _compare(Conv2D(6, 3, **kw), keras.layers.Conv2D(6, 3, **kw), x)


def test_conv2d_channels_first(rng):
    # TF's CPU conv has no NCHW kernel: run Keras on the transposed input.
    kw = dict(strides=2, padding="same", activation="softmax")
    x = _x(rng, 2, 3, 7, 6)
    theirs = keras.layers.Conv2D(4, 3, **kw)
    expected = np.asarray(theirs(x.transpose(0, 2, 3, 1))).transpose(0, 3, 1, 2)
    ours = Conv2D(4, 3, data_format="channels_first", **kw)
    with torch.no_grad():
        ours(torch.from_numpy(x))
        ours.set_weights(theirs.get_weights())
        got = ours(torch.from_numpy(x)).numpy()
    # softmax applies over the last axis in Keras (here: columns), so compare on the
    # channels_last layer's semantics: same weights, softmax over the last axis of NCHW.
    pre = Conv2D(4, 3, data_format="channels_first", strides=2, padding="same")
    with torch.no_grad():
        pre(torch.from_numpy(x))
        pre.set_weights(theirs.get_weights())
        logits = pre(torch.from_numpy(x))
    np.testing.assert_allclose(got, torch.softmax(logits, -1).numpy(), atol=1e-6)
    plain = keras.layers.Conv2D(4, 3, strides=2, padding="same")
    plain.build((None, 7, 6, 3))
    plain.set_weights(theirs.get_weights())
    ref = np.asarray(plain(x.transpose(0, 2, 3, 1))).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(logits.numpy(), ref, atol=1e-5)
    assert expected.shape == got.shape


def test_conv1d_channels_first(rng):
    x = _x(rng, 2, 3, 9)
    theirs = keras.layers.Conv1D(4, 3, strides=2, padding="same")
    expected = np.asarray(theirs(x.transpose(0, 2, 1))).transpose(0, 2, 1)
    ours = Conv1D(4, 3, strides=2, padding="same", data_format="channels_first")
    with torch.no_grad():
        ours(torch.from_numpy(x))
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2, 3])
@pytest.mark.parametrize("kernel", [2, 3])
def test_conv2d_transpose_matches_keras(rng, padding, strides, kernel):
    x = _x(rng, 2, 5, 4, 3)
    kw = dict(strides=strides, padding=padding)
    _compare(Conv2DTranspose(4, kernel, **kw), keras.layers.Conv2DTranspose(4, kernel, **kw), x)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_transpose_output_padding(rng, padding):
    x = _x(rng, 2, 5, 4, 3)
    kw = dict(strides=2, padding=padding, output_padding=1)
    _compare(Conv2DTranspose(4, 3, **kw), keras.layers.Conv2DTranspose(4, 3, **kw), x)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("mult", [1, 2])
def test_depthwise_matches_keras(rng, padding, strides, mult):
    x = _x(rng, 2, 7, 6, 3)
    kw = dict(strides=strides, padding=padding, depth_multiplier=mult)
    _compare(DepthwiseConv2D(3, **kw), keras.layers.DepthwiseConv2D(3, **kw), x)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_separable_matches_keras(rng, padding, strides):
    x = _x(rng, 2, 7, 6, 3)
    kw = dict(strides=strides, padding=padding, depth_multiplier=2, activation="relu")
    _compare(SeparableConv2D(5, 3, **kw), keras.layers.SeparableConv2D(5, 3, **kw), x)


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (Conv1D(2, 3), keras.layers.Conv1D(2, 3)),
        (Conv2D(2, 3), keras.layers.Conv2D(2, 3)),
        (Conv2DTranspose(2, 3), keras.layers.Conv2DTranspose(2, 3)),
        (DepthwiseConv2D(3), keras.layers.DepthwiseConv2D(3)),
        (SeparableConv2D(2, 3), keras.layers.SeparableConv2D(2, 3)),
    ],
)
def test_config_keys_match_keras(ours, theirs):
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    clone = type(ours).from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()


def test_weight_layouts_are_keras():
    layer = Conv2D(5, (2, 3), input_shape=(8, 8, 4))
    assert [w.shape for w in layer.get_weights()] == [(2, 3, 4, 5), (5,)]
    assert tuple(layer.kernel.shape) == (5, 4, 2, 3)
    t = Conv2DTranspose(5, (2, 3), input_shape=(8, 8, 4))
    assert [w.shape for w in t.get_weights()] == [(2, 3, 5, 4), (5,)]
    d = DepthwiseConv2D(3, depth_multiplier=2, input_shape=(8, 8, 4))
    assert [w.shape for w in d.get_weights()] == [(3, 3, 4, 2), (8,)]


def test_initial_kernel_scale_matches_glorot():
    layer = Conv2D(64, 3, input_shape=(8, 8, 32))
    limit = np.sqrt(6.0 / (9 * 32 + 9 * 64))
    k = layer.get_weights()[0]
    assert np.abs(k).max() <= limit
    assert np.abs(k).max() > 0.9 * limit


def test_shape_errors_name_the_layer():
    layer = Conv2D(2, 3, name="my_conv")
    with pytest.raises(InputError, match="my_conv"):
        layer(torch.zeros(2, 5, 5))
    layer(torch.zeros(1, 5, 5, 3))
    with pytest.raises(InputError, match=r"my_conv.*3 input channels"):
        layer(torch.zeros(1, 5, 5, 4))
    with pytest.raises(InputError, match=r"my_conv.*smaller than the kernel"):
        layer(torch.zeros(1, 2, 2, 3))
    with pytest.raises(InputError, match="conv1d"):
        Conv1D(2, 3, name="conv1d_x")(torch.zeros(2, 5))


def test_bad_arguments():
    with pytest.raises(ValueError, match="padding"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="groups"):
        Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="dilation"):
        Conv2D(3, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="'l3'"):  # an unknown regularizer name
        Conv2D(3, 3, kernel_regularizer="l3")


def test_gradients_flow_and_module_is_plain():
    layer = Conv2D(2, 3, padding="same")
    y = layer(torch.randn(1, 5, 5, 3))
    y.sum().backward()
    assert layer.kernel.grad is not None
    assert isinstance(layer, torch.nn.Module)
    assert [n for n, _ in layer.named_parameters()] == ["kernel", "bias"]
