"""Conv3D, Conv1D/3DTranspose, DepthwiseConv1D, SeparableConv1D and the aliases, against Keras."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch
from tests.layers._keras_config import assert_config_like_keras

import torchbridge
from torchbridge import layers as tl

# (class name, positional args, kwargs, input shape channels_last)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, ...]]] = [
    ("Conv3D", (4, 3), {}, (2, 5, 6, 7, 3)),
    ("Conv3D", (4, (2, 3, 1)), {"strides": 2, "padding": "same"}, (2, 5, 6, 7, 3)),
    ("Conv3D", (4, 3), {"dilation_rate": 2, "padding": "same", "groups": 2}, (1, 6, 6, 6, 2)),
    ("Conv1DTranspose", (4, 3), {}, (2, 7, 3)),
    ("Conv1DTranspose", (4, 3), {"strides": 2, "padding": "same"}, (2, 7, 3)),
    ("Conv1DTranspose", (4, 4), {"strides": 3, "output_padding": 1}, (2, 5, 3)),
    ("Conv1DTranspose", (4, 3), {"activation": "relu", "use_bias": False}, (2, 6, 2)),
    ("Conv3DTranspose", (2, 3), {"strides": 2, "padding": "same"}, (2, 3, 4, 5, 3)),
    ("Conv3DTranspose", (2, (2, 3, 2)), {"strides": (2, 1, 3)}, (1, 3, 4, 2, 2)),
    ("Conv3DTranspose", (2, 3), {"strides": 2, "output_padding": 1}, (1, 3, 3, 3, 2)),
    ("DepthwiseConv1D", (3,), {}, (2, 8, 3)),
    ("DepthwiseConv1D", (3,), {"strides": 2, "padding": "same", "depth_multiplier": 2}, (2, 9, 3)),
    ("DepthwiseConv1D", (2,), {"dilation_rate": 3, "use_bias": False}, (2, 9, 3)),
    ("SeparableConv1D", (5, 3), {}, (2, 8, 3)),
    (
        "SeparableConv1D",
        (5, 3),
        {"strides": 2, "padding": "same", "depth_multiplier": 2},
        (2, 9, 3),
    ),
    ("SeparableConv1D", (4, 2), {"dilation_rate": 2, "activation": "tanh"}, (2, 9, 2)),
]


def _ids(case: Any) -> str:
    name, args, kw, _ = case
    return f"{name}-{args}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"


def _run(ours: Any, theirs: Any, x_ours: np.ndarray, x_theirs: np.ndarray) -> np.ndarray:
    theirs(x_theirs)
    with torch.no_grad():
        ours(torch.from_numpy(x_ours))
        ours.set_weights(theirs.get_weights())
        return ours(torch.from_numpy(x_ours)).numpy()


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_keras(rng, case):
    name, args, kw, shape = case
    x = rng.standard_normal(shape).astype("float32")
    theirs = getattr(keras.layers, name)(*args, **kw)
    ours = getattr(tl, name)(*args, **kw)
    expected = np.asarray(theirs(x))
    got = _run(ours, theirs, x, x)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    assert ours.count_params() == theirs.count_params()
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ours.compute_output_shape((None, *shape[1:])) == (None, *expected.shape[1:])
    assert_config_like_keras(ours, theirs)
    # from_config round trip, and the positional-argument order of Keras.
    clone = type(ours).from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()


@pytest.mark.parametrize("case", CASES[::2], ids=[_ids(c) for c in CASES[::2]])
def test_channels_first(rng, case):
    # TF's CPU kernels lack most NC... layouts: run Keras channels_last on moved axes.
    name, args, kw, shape = case
    x = rng.standard_normal(shape).astype("float32")
    theirs = getattr(keras.layers, name)(*args, **kw)
    expected = np.moveaxis(np.asarray(theirs(x)), -1, 1)
    ours = getattr(tl, name)(*args, data_format="channels_first", **kw)
    got = _run(ours, theirs, np.ascontiguousarray(np.moveaxis(x, -1, 1)), x)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    first = (None, shape[-1], *shape[1:-1])
    assert ours.compute_output_shape(first) == (None, *expected.shape[1:])


def test_symbolic_use_in_a_model(rng):
    inp = torchbridge.Input((6, 6, 6, 2))
    y = tl.Conv3D(3, 2, padding="same")(inp)
    y = tl.Conv3DTranspose(2, 2, strides=2)(y)
    model = torchbridge.Model(inp, y)
    assert tuple(y.shape) == (None, 12, 12, 12, 2)
    out = model(torch.from_numpy(rng.standard_normal((1, 6, 6, 6, 2)).astype("float32")))
    assert tuple(out.shape) == (1, 12, 12, 12, 2)


def test_conv3d_transpose_argument_order():
    # Keras's Conv3DTranspose takes data_format before output_padding (Conv2DTranspose: after).
    a = tl.Conv3DTranspose(2, 3, 2, "valid", "channels_first", 1)
    b = keras.layers.Conv3DTranspose(2, 3, 2, "valid", "channels_first", 1)
    assert a.data_format == b.data_format == "channels_first"
    assert a.output_padding == tuple(b.output_padding) == (1, 1, 1)


@pytest.mark.parametrize(
    "alias",
    [
        "Convolution1D",
        "Convolution2D",
        "Convolution3D",
        "Convolution1DTranspose",
        "Convolution2DTranspose",
        "Convolution3DTranspose",
        "SeparableConvolution1D",
        "SeparableConvolution2D",
    ],
)
def test_aliases_are_the_same_classes(alias):
    target = getattr(keras.layers, alias).__name__
    assert getattr(tl, alias) is getattr(tl, target)


@pytest.mark.parametrize("name", ["DepthwiseConv1D", "SeparableConv1D", "Conv1DTranspose"])
def test_causal_padding_only_on_conv1d(name):
    args = (3,) if name == "DepthwiseConv1D" else (2, 3)
    with pytest.raises(ValueError, match="padding"):
        getattr(tl, name)(*args, padding="causal")
    with pytest.raises(ValueError):
        getattr(keras.layers, name)(*args, padding="causal")
