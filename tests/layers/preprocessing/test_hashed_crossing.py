"""HashedCrossing against Keras: the same bins as TensorFlow's cross_hashed, configs, shapes."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.layers import HashedCrossing

_INTS = np.array([0, 1, 2, -4, 2**40, -(2**62), 7], dtype="int64")
_STRS = np.array(["", "a", "b", "dd", "long string " * 9, "ünïcode", "a"])

CASES: list[tuple[str, list[Any], dict[str, Any]]] = [
    ("int-str", [_INTS, _STRS], {"num_bins": 97}),
    ("str-int", [_STRS, _INTS], {"num_bins": 97}),
    ("three", [_INTS, _INTS[::-1].copy(), _STRS], {"num_bins": 1000003}),
    ("str-str-column", [_STRS[:, None], _STRS[::-1, None]], {"num_bins": 13}),
    ("one_hot", [_INTS, _STRS], {"num_bins": 5, "output_mode": "one_hot"}),
    ("one_hot-column", [_INTS[:, None], _STRS[:, None]], {"num_bins": 5, "output_mode": "one_hot"}),
    ("scalars", [np.int64(3), np.array("x")], {"num_bins": 7}),
    ("int32-dtype", [_INTS, _STRS], {"num_bins": 11, "dtype": "int32"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(case):
    _, inputs, kw = case
    theirs = keras.layers.HashedCrossing(**kw)
    ours = HashedCrossing(**kw)
    expected = np.asarray(theirs(inputs))
    got = ours(inputs).numpy()
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    config = ours.get_config()
    assert set(config) | {"dtype"} == set(theirs.get_config())
    assert {k: config[k] for k in ("num_bins", "output_mode", "sparse")} == {
        k: theirs.get_config()[k] for k in ("num_bins", "output_mode", "sparse")
    }
    assert HashedCrossing.from_config(config).get_config() == config
    shapes = tuple(tuple(np.shape(x)) for x in inputs[:2])
    if shapes[0]:
        assert ours.compute_output_shape(shapes) == theirs.compute_output_shape(shapes)


def test_torch_tensors_and_positional_arguments():
    ours = HashedCrossing(23, "int")
    a = torch.tensor([1, 2, 3])
    b = torch.tensor([4, 5, 6])
    expected = np.asarray(keras.layers.HashedCrossing(23, "int")([a.numpy(), b.numpy()]))
    np.testing.assert_array_equal(ours([a, b]).numpy(), expected)


@pytest.mark.parametrize(
    "inputs,kw,error",
    [
        (np.array([1, 2]), {}, InputError),
        ([np.array([1, 2])], {}, InputError),
        ([np.ones((2, 2), "int64"), np.ones((2, 2), "int64")], {}, InputError),
        ([np.array([1, 2]), np.array([1, 2, 3])], {}, InputError),
        ([np.array([1.0, 2.0]), np.array([1, 2])], {}, InputError),
    ],
    ids=["not-a-list", "one-input", "wide", "unequal", "floats"],
)
def test_errors(inputs, kw, error):
    with pytest.raises(error):
        HashedCrossing(3, **kw)(inputs)


def test_constructor_errors():
    with pytest.raises(ValueError, match="output_mode"):
        HashedCrossing(3, output_mode="multi_hot")
    with pytest.raises(ValueError, match="sparse"):
        HashedCrossing(3, output_mode="one_hot", sparse=True)
