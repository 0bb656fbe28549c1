"""Discretization (bucketing, adapted quantile boundaries) against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from torchbridge.data import Dataset
from torchbridge.errors import InputError
from torchbridge.layers.preprocessing.discretization import Discretization

_EDGES = np.array(
    [[0.1, 0.09999999999, 1.0, np.nan, -np.inf], [np.inf, 2.0000001, -3.0, 0.5, 2.0]],
    dtype="float64",
)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_bucketing_matches_keras(mode):
    boundaries = [0.1, 1.0, 2.0]
    theirs = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=mode)
    ours = Discretization(bin_boundaries=boundaries, output_mode=mode)
    for x in (_EDGES, _EDGES[:, :1], _EDGES[0], np.array([[0, 1, 2, 3]]), np.array(1.5)):
        expected = np.asarray(theirs(x))
        got = ours(torch.from_numpy(np.asarray(x)))
        assert str(got.dtype).removeprefix("torch.") == str(expected.dtype)
        np.testing.assert_array_equal(got.numpy(), expected)
        if x.ndim:
            assert ours.compute_output_shape(x.shape) == tuple(got.shape)


def test_integers_compare_as_float32_like_tensorflow():
    theirs = keras.layers.Discretization(bin_boundaries=[16777220.0])
    ours = Discretization(bin_boundaries=[16777220.0])
    x = np.array([16777219, 16777215])
    np.testing.assert_array_equal(ours(torch.from_numpy(x)).numpy(), np.asarray(theirs(x)))


@pytest.mark.parametrize("size", [5, 37, 400, 3000])
@pytest.mark.parametrize("num_bins,epsilon", [(4, 0.01), (10, 0.01), (3, 0.1), (7, 0.001)])
def test_adapted_boundaries_equal_keras(rng, size, num_bins, epsilon):
    x = (rng.standard_normal(size) * 2).astype("float32")
    if size == 400:
        x = np.round(x)  # many ties
    theirs = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    ours = Discretization(num_bins=num_bins, epsilon=epsilon)
    theirs.adapt(x)
    ours.adapt(x)
    assert ours.bin_boundaries == theirs.bin_boundaries
    assert ours.is_adapted
    batches = [x[: size // 3], x[size // 3 :]]
    theirs.adapt(batches)
    ours.adapt(batches)
    assert ours.bin_boundaries == theirs.bin_boundaries
    probe = np.concatenate([x[:20], np.asarray(theirs.bin_boundaries, "float32")])
    np.testing.assert_array_equal(ours(torch.from_numpy(probe)).numpy(), np.asarray(theirs(probe)))


def test_adapt_sources_agree_with_keras(rng):
    x = (rng.standard_normal((60, 4)) * 3).astype("float32")
    theirs = keras.layers.Discretization(num_bins=5)
    theirs.adapt(tf.data.Dataset.from_tensor_slices(x).batch(16))
    ours = Discretization(num_bins=5)
    ours.adapt(Dataset.from_tensor_slices(x).batch(16))
    assert ours.bin_boundaries == theirs.bin_boundaries
    ours.adapt(x, batch_size=16)
    assert ours.bin_boundaries == theirs.bin_boundaries
    whole = keras.layers.Discretization(num_bins=5)
    whole.adapt(x)
    ours.adapt(torch.from_numpy(x))
    assert ours.bin_boundaries == whole.bin_boundaries
    ours.adapt(x.astype("float64"))
    assert ours.bin_boundaries == whole.bin_boundaries
    # A Python list of numbers: Keras summarises it number by number.
    numbers = x[:, 0].tolist() * 3
    by_number = keras.layers.Discretization(num_bins=5)
    by_number.adapt(numbers)
    ours.adapt(numbers)
    assert ours.bin_boundaries == by_number.bin_boundaries


def test_no_weights_config_and_round_trip(rng):
    x = rng.standard_normal(50).astype("float32")
    theirs = keras.layers.Discretization(num_bins=4)
    theirs.adapt(x)
    ours = Discretization(num_bins=4)
    ours.adapt(x)
    assert ours.get_weights() == theirs.get_weights() == []
    assert set(ours.get_config()) == set(theirs.get_config())
    config = ours.get_config()
    assert config["bin_boundaries"] == theirs.get_config()["bin_boundaries"]
    assert config["num_bins"] == 4 and config["dtype"] == "float32"
    clone = Discretization.from_config(config)
    probe = torch.from_numpy(x)
    assert torch.equal(clone(probe), ours(probe))
    # The boundaries are a buffer: a fresh num_bins layer takes them (and their count) from
    # the saved weights.
    assert list(ours.state_dict()) == ["boundaries"]
    fresh = Discretization(num_bins=4)
    fresh.load_state_dict(ours.state_dict())
    assert fresh.bin_boundaries == ours.bin_boundaries
    assert torch.equal(fresh(probe), ours(probe))
    given = Discretization(bin_boundaries=[0.1, 0.2])
    assert given.get_config()["bin_boundaries"] == [0.1, 0.2]  # as given, not float32-rounded
    assert Discretization.from_config(given.get_config()).bin_boundaries == [0.1, 0.2]


def test_adapt_with_few_values_keeps_them_all():
    theirs = keras.layers.Discretization(num_bins=10)
    theirs.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    ours = Discretization(num_bins=10, output_mode="one_hot")
    ours.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert ours.bin_boundaries == theirs.bin_boundaries == [1.0, 2.0, 3.0, 4.0]
    assert ours(torch.tensor([[2.5]])).shape == (1, 5)


def test_errors():
    with pytest.raises(ValueError, match="either"):
        Discretization()
    with pytest.raises(ValueError, match="not both"):
        Discretization(bin_boundaries=[1.0], num_bins=3)
    with pytest.raises(ValueError, match="num_bins"):
        Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="output_mode"):
        Discretization(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="sparse"):
        Discretization(num_bins=3, output_mode="count", sparse=True)
    with pytest.raises(InputError, match=r"disc_a.*num_bins"):
        Discretization(bin_boundaries=[0.0], name="disc_a").adapt(np.ones(3))
    with pytest.raises(InputError, match=r"disc_b.*adapt"):
        Discretization(num_bins=3, name="disc_b")(torch.ones(2))
    with pytest.raises(InputError, match="no data"):
        Discretization(num_bins=3).adapt(np.zeros(0, "float32"))
    with pytest.raises(InputError, match="no data"):
        Discretization(num_bins=3).adapt([])
    with pytest.raises(InputError, match="numbers"):
        Discretization(num_bins=3).adapt(np.array(["a", "b"]))
    with pytest.raises(InputError, match="num_bins=0"):
        Discretization(num_bins=0).adapt(np.ones(3))
