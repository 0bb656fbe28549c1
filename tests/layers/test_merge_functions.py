"""keras.layers.add/subtract/multiply/average/maximum/minimum/concatenate/dot and the
Minimum layer against Keras (TensorFlow backend), eager and on keras.Input."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge import layers

FUNCTIONS = [
    ("add", {}),
    ("subtract", {}),
    ("multiply", {}),
    ("average", {}),
    ("maximum", {}),
    ("minimum", {}),
    ("concatenate", {}),
    ("concatenate", {"axis": 1}),
    ("dot", {"axes": -1}),
    ("dot", {"axes": (1, 1), "normalize": True}),
]


@pytest.mark.parametrize(("fn", "kwargs"), FUNCTIONS, ids=[f"{f}-{k}" for f, k in FUNCTIONS])
def test_merge_function_matches_keras(rng, fn, kwargs):
    a, b = (rng.standard_normal((3, 4, 5)).astype("float32") for _ in range(2))
    expected = np.asarray(getattr(keras.layers, fn)([a, b], **kwargs))
    got = getattr(layers, fn)([torch.from_numpy(a), torch.from_numpy(b)], **kwargs)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5, rtol=1e-5)
    # symbolic use builds a layer node: a functional model runs it
    ins = [torchbridge.Input(shape=(4, 5)), torchbridge.Input(shape=(4, 5))]
    out = getattr(layers, fn)(ins, name=f"merged_{fn}", **kwargs)
    assert tuple(out.shape) == (None, *expected.shape[1:])
    model = torchbridge.Model(ins, out)
    np.testing.assert_allclose(
        model([torch.from_numpy(a), torch.from_numpy(b)]).detach().numpy(), expected, atol=1e-5
    )
    assert model.layers[-1].name == f"merged_{fn}"


def test_minimum_layer_matches_keras(rng):
    xs = [rng.standard_normal(s).astype("float32") for s in [(2, 3, 4), (2, 1, 4), (2, 4)]]
    expected = np.asarray(keras.layers.Minimum()(xs))
    got = layers.Minimum()([torch.from_numpy(x) for x in xs]).numpy()
    np.testing.assert_array_equal(got, expected)
    assert set(layers.Minimum().get_config()) | {"dtype"} == set(
        keras.layers.Minimum().get_config()
    )
