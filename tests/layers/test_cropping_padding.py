"""Cropping1D/2D/3D, ZeroPadding1D/3D and UpSampling1D/3D against Keras (TensorFlow
backend)."""

from __future__ import annotations

import json
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge import layers
from torchbridge.errors import InputError


def _plain(config: dict[str, Any]) -> Any:
    """A config as JSON data (tuples as lists), without the per-instance name and dtype."""
    return json.loads(json.dumps({k: v for k, v in config.items() if k not in ("name", "dtype")}))


def _check_parity(ours: Any, theirs: Any, x: Any, atol: float = 1e-5, **call_kw: Any) -> None:
    """Same config and weights (Keras's copied in) → same outputs, output shape and
    config round trip; and the layer works on a symbolic keras.Input."""
    inputs = x if isinstance(x, list) else [x]
    expected = keras.ops.convert_to_numpy(theirs(x, **call_kw))
    tensors = [torch.from_numpy(v) for v in inputs]
    arg = tensors if isinstance(x, list) else tensors[0]
    with torch.no_grad():
        ours(arg, **call_kw)
        ours.set_weights(theirs.get_weights())
        got = ours(arg, **call_kw).numpy()
    np.testing.assert_allclose(got, expected, atol=atol, rtol=1e-5)
    assert [tuple(w.shape) for w in ours.get_weights()] == [
        tuple(w.shape) for w in theirs.get_weights()
    ]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    clone = type(ours).from_config(ours.get_config())
    assert _plain(clone.get_config()) == _plain(ours.get_config())
    shapes = [(None, *v.shape[1:]) for v in inputs]
    shape_arg = shapes if isinstance(x, list) else shapes[0]
    assert tuple(ours.compute_output_shape(shape_arg)) == (None, *expected.shape[1:])
    sym = [torchbridge.Input(shape=s[1:]) for s in shapes]
    out = type(ours).from_config(ours.get_config())(sym if isinstance(x, list) else sym[0])
    assert tuple(out.shape) == (None, *expected.shape[1:])


CASES = [
    ("Cropping1D", {}, (2, 6, 3)),
    ("Cropping1D", {"cropping": 2}, (2, 6, 3)),
    ("Cropping1D", {"cropping": (0, 3)}, (2, 6, 3)),
    ("Cropping2D", {}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": 1}, (2, 5, 6, 3)),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1)), "data_format": "channels_first"}, (2, 3, 5, 6)),
    ("Cropping3D", {}, (2, 4, 5, 6, 2)),
    ("Cropping3D", {"cropping": (0, 1, 2)}, (2, 4, 5, 6, 2)),
    (
        "Cropping3D",
        {"cropping": ((0, 1), (1, 0), (2, 2)), "data_format": "channels_first"},
        (2, 2, 4, 5, 6),
    ),
    ("ZeroPadding1D", {}, (2, 4, 3)),
    ("ZeroPadding1D", {"padding": (0, 2)}, (2, 4, 3)),
    ("ZeroPadding1D", {"padding": (1, 2), "data_format": "channels_first"}, (2, 3, 4)),
    ("ZeroPadding3D", {}, (2, 2, 3, 2, 2)),
    ("ZeroPadding3D", {"padding": (1, 0, 2)}, (2, 2, 3, 2, 2)),
    (
        "ZeroPadding3D",
        {"padding": ((0, 1), (2, 0), (1, 1)), "data_format": "channels_first"},
        (2, 2, 3, 2, 2),
    ),
    ("UpSampling1D", {}, (2, 4, 3)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    ("UpSampling3D", {}, (2, 2, 3, 2, 2)),
    ("UpSampling3D", {"size": (1, 2, 3), "data_format": "channels_first"}, (2, 2, 3, 2, 2)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape"), CASES, ids=[f"{n}-{k}" for n, k, _ in CASES])
def test_cropping_padding_upsampling_match_keras(rng, name, kwargs, shape):
    x = rng.standard_normal(shape).astype("float32")
    if kwargs.get("data_format") == "channels_first" and name != "ZeroPadding1D":
        # TF's CPU kernels lack some channels_first paths: run Keras channels_last on the
        # transposed input and compare our channels_first layer's output transposed
        last = {**kwargs, "data_format": "channels_last"}
        perm = (0, *range(2, len(shape)), 1)
        expected = np.asarray(getattr(keras.layers, name)(**last)(x.transpose(perm)))
        got = getattr(layers, name)(**kwargs)(torch.from_numpy(x)).numpy()
        np.testing.assert_array_equal(got.transpose(perm), expected)
        theirs = getattr(keras.layers, name)(**kwargs)
        assert _plain(getattr(layers, name)(**kwargs).get_config()) == _plain(theirs.get_config())
        return
    _check_parity(getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (layers.Cropping1D((2, 2)), (1, 4, 3)),
        (layers.Cropping2D(((1, 1), (3, 0))), (1, 5, 3, 2)),
        (layers.Cropping3D(2), (1, 5, 5, 4, 2)),
    ],
    ids=["1d", "2d", "3d"],
)
def test_cropping_everything_is_refused(layer, shape):
    with pytest.raises(InputError, match="must be smaller"):
        layer(torch.ones(shape))
    with pytest.raises(InputError, match="must be smaller"):
        layer.compute_output_shape((None, *shape[1:]))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.Cropping2D(((1, 2, 3), (0, 0))), "tuple of 2 ints"),
        (lambda: layers.ZeroPadding3D((1, 2)), "tuple of 3"),
        (lambda: layers.ZeroPadding1D(-1), "non-negative"),
        (lambda: layers.UpSampling1D(0), "positive"),
        (lambda: layers.UpSampling1D(2.0), "int"),
    ],
)
def test_bad_arguments_are_refused(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
