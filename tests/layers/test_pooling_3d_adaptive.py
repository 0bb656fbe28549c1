"""3D pooling, adaptive pooling and the ``*Pool*`` aliases against Keras."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch
from tests.layers._keras_config import assert_config_like_keras

import torchbridge
from torchbridge import layers as tl

# (class name, kwargs, input shape channels_last)
CASES: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("MaxPooling3D", {}, (2, 4, 5, 6, 3)),
    ("MaxPooling3D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 6, 7, 2)),
    ("AveragePooling3D", {"pool_size": 2}, (2, 4, 5, 6, 3)),
    (
        "AveragePooling3D",
        {"pool_size": (2, 3, 2), "strides": 2, "padding": "same"},
        (2, 5, 6, 7, 2),
    ),
    ("GlobalMaxPooling3D", {}, (2, 3, 4, 5, 3)),
    ("GlobalMaxPooling3D", {"keepdims": True}, (2, 3, 4, 5, 3)),
    ("GlobalAveragePooling3D", {}, (2, 3, 4, 5, 3)),
    ("GlobalAveragePooling3D", {"keepdims": True}, (2, 3, 4, 5, 3)),
    ("AdaptiveAveragePooling1D", {"output_size": 4}, (2, 10, 3)),
    ("AdaptiveAveragePooling1D", {"output_size": 3}, (2, 7, 3)),
    ("AdaptiveAveragePooling1D", {"output_size": 5}, (2, 3, 2)),
    ("AdaptiveMaxPooling1D", {"output_size": 4}, (2, 10, 3)),
    ("AdaptiveMaxPooling1D", {"output_size": (5,)}, (2, 8, 2)),
    ("AdaptiveAveragePooling2D", {"output_size": (3, 4)}, (2, 7, 10, 3)),
    ("AdaptiveAveragePooling2D", {"output_size": 5}, (2, 8, 13, 2)),
    ("AdaptiveMaxPooling2D", {"output_size": (3, 4)}, (2, 7, 10, 3)),
    ("AdaptiveMaxPooling2D", {"output_size": 5}, (2, 8, 13, 2)),
    ("AdaptiveAveragePooling3D", {"output_size": (2, 3, 4)}, (2, 5, 7, 9, 2)),
    ("AdaptiveMaxPooling3D", {"output_size": (2, 3, 4)}, (2, 5, 7, 9, 2)),
    ("AdaptiveMaxPooling3D", {"output_size": 3}, (1, 4, 8, 5, 2)),
]


def _id(case: Any) -> str:
    name, kw, shape = case
    return f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}-{shape}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(rng, case):
    name, kw, shape = case
    x = rng.standard_normal(shape).astype("float32")
    theirs = getattr(keras.layers, name)(**kw)
    ours = getattr(tl, name)(**kw)
    expected = np.asarray(theirs(x))
    got = ours(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=1e-6)
    assert ours.compute_output_shape((None, *shape[1:])) == (None, *expected.shape[1:])
    assert_config_like_keras(ours, theirs)
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize("case", CASES[::2], ids=[_id(c) for c in CASES[::2]])
def test_channels_first(rng, case):
    # TF's CPU pools lack NCDHW kernels: Keras runs channels_last on moved axes.
    name, kw, shape = case
    x = rng.standard_normal(shape).astype("float32")
    expected = np.asarray(getattr(keras.layers, name)(**kw)(x))
    if not kw.get("keepdims") and name.startswith("Global"):
        pass  # no channel axis to move
    else:
        expected = np.moveaxis(expected, -1, 1)
    ours = getattr(tl, name)(data_format="channels_first", **kw)
    got = ours(torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)))).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=1e-6)
    first = (None, shape[-1], *shape[1:-1])
    assert ours.compute_output_shape(first) == (None, *expected.shape[1:])


def test_adaptive_bins_are_keras_bins():
    # 1..n along a dimension: each output is the mean of Keras's bin [floor(i*n/m), ceil((i+1)*n/m)).
    n, m = 11, 4
    x = np.arange(n, dtype="float32").reshape(1, n, 1)
    got = tl.AdaptiveAveragePooling1D(m)(torch.from_numpy(x)).numpy().ravel()
    bins = [(i * n // m, -(-(i + 1) * n // m)) for i in range(m)]
    assert np.allclose(got, [np.arange(a, b).mean() for a, b in bins])
    assert np.allclose(got, np.asarray(keras.layers.AdaptiveAveragePooling1D(m)(x)).ravel())


def test_symbolic_use_in_a_model():
    inp = torchbridge.Input((8, 8, 8, 2))
    y = tl.MaxPool3D()(inp)
    y = tl.AdaptiveAveragePooling3D((3, 2, 1))(y)
    y = tl.GlobalMaxPool3D()(y)
    assert tuple(y.shape) == (None, 2)
    model = torchbridge.Model(inp, y)
    assert tuple(model(torch.ones(2, 8, 8, 8, 2)).shape) == (2, 2)


@pytest.mark.parametrize(
    "alias",
    [
        "MaxPool1D",
        "MaxPool2D",
        "MaxPool3D",
        "AvgPool1D",
        "AvgPool2D",
        "AvgPool3D",
        "GlobalMaxPool1D",
        "GlobalMaxPool2D",
        "GlobalMaxPool3D",
        "GlobalAvgPool1D",
        "GlobalAvgPool2D",
        "GlobalAvgPool3D",
    ],
)
def test_aliases_are_the_same_classes(alias):
    assert getattr(tl, alias) is getattr(tl, getattr(keras.layers, alias).__name__)


def test_adaptive_output_size_errors():
    with pytest.raises(TypeError, match="output_size"):
        tl.AdaptiveAveragePooling2D((2, 3, 4))


@pytest.mark.parametrize("name", ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D"])
def test_average_pooling_needs_pool_size_as_keras(name):
    with pytest.raises(TypeError):
        getattr(keras.layers, name)()
    with pytest.raises(TypeError):
        getattr(tl, name)()
    assert getattr(tl, name)(2).pool_size == getattr(keras.layers, name)(2).pool_size
