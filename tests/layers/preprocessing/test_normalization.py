"""Normalization (adapt, given mean/variance, invert) against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from torchbridge.data import Dataset
from torchbridge.errors import InputError
from torchbridge.layers.layer import get_mask, set_mask
from torchbridge.layers.preprocessing.normalization import Normalization


def _data(rng, shape=(20, 3, 4)):
    return (rng.standard_normal(shape) * 3 + 2).astype("float32")


def _assert_same_state(ours, theirs):
    got, expected = ours.get_weights(), theirs.get_weights()
    assert len(got) == len(expected) == 3
    for a, b in zip(got, expected):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1, (0,), (-1, 1)])
@pytest.mark.parametrize("invert", [False, True])
def test_adapt_matches_keras(rng, axis, invert):
    x = _data(rng)
    theirs = keras.layers.Normalization(axis=axis, invert=invert)
    theirs.adapt(x)
    ours = Normalization(axis=axis, invert=invert)
    ours.adapt(x)
    assert ours.is_adapted
    _assert_same_state(ours, theirs)
    got = ours(torch.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((None, 3, 4)) == (None, 3, 4)


def test_adapt_sources_agree_with_keras(rng):
    x = _data(rng, (23, 5))
    theirs = keras.layers.Normalization()
    theirs.adapt(tf.data.Dataset.from_tensor_slices(x).batch(6))
    for data in (
        x,
        torch.from_numpy(x),
        x.astype("float64"),
        x.tolist(),
        Dataset.from_tensor_slices(x).batch(6),
        Dataset.from_tensor_slices(x),  # unbatched rows: batched first, as Keras does
    ):
        ours = Normalization()
        ours.adapt(data)
        _assert_same_state(ours, theirs)
    ours = Normalization()
    ours.adapt(x, batch_size=4)
    _assert_same_state(ours, theirs)
    keras_batches = keras.layers.Normalization()
    keras_batches.adapt([x[:4], x[4:]])  # Keras: an iterable of batches
    _assert_same_state(ours, keras_batches)


def test_adapt_on_integers_and_constant_feature(rng):
    x = rng.integers(0, 5, (30, 3)).astype("int64")
    x[:, 1] = 7  # variance 0: Keras divides by epsilon
    theirs = keras.layers.Normalization()
    theirs.adapt(x)
    ours = Normalization()
    ours.adapt(torch.from_numpy(x))
    _assert_same_state(ours, theirs)
    got = ours(torch.from_numpy(x))
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    from_list = Normalization(mean=1.0, variance=4.0)(x.tolist())  # plain lists are accepted
    assert torch.equal(from_list, (torch.from_numpy(x).float() - 1.0) / 2.0)


@pytest.mark.parametrize(
    "mean,variance,axis",
    [
        (2.0, 3.0, -1),
        ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 0.0], -1),
        ([[1.0] * 4] * 3, [[2.0] * 4] * 3, (1, 2)),
        ([1.0, 2.0, 3.0, 4.0], [1.0, 0.5, 2.0, 4.0], (1, 2)),
        (0.5, 2.0, None),
    ],
)
@pytest.mark.parametrize("invert", [False, True])
def test_given_mean_and_variance_match_keras(rng, mean, variance, axis, invert):
    x = _data(rng)
    theirs = keras.layers.Normalization(axis=axis, mean=mean, variance=variance, invert=invert)
    ours = Normalization(axis=axis, mean=mean, variance=variance, invert=invert)
    got = ours(torch.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    assert ours.get_weights() == theirs.get_weights() == []
    assert "mean" not in ours.state_dict()  # rebuilt from the config, not saved twice


def test_set_weights_moves_state_both_ways(rng):
    x = _data(rng, (16, 6))
    theirs = keras.layers.Normalization()
    theirs.adapt(x)
    ours = Normalization(input_shape=(6,))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours(torch.from_numpy(x)).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5
    )
    adapted = Normalization()
    adapted.adapt(x * 2 + 1)
    back = keras.layers.Normalization()
    back.build((None, 6))
    back.set_weights(adapted.get_weights())
    back.finalize_state()  # Keras's set_weights alone leaves its cached mean/variance stale
    np.testing.assert_allclose(
        np.asarray(back(x)), adapted(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-5
    )


def test_config_and_buffers_round_trip(rng):
    x = _data(rng, (16, 6))
    ours = Normalization(axis=-1)
    ours.adapt(x)
    theirs = keras.layers.Normalization(axis=-1)
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    assert ours.get_config()["axis"] == theirs.get_config()["axis"] == (-1,)
    assert sorted(ours.state_dict()) == ["count", "mean", "variance"]
    clone = Normalization.from_config(ours.get_config())
    clone.build_from_shape((None, 6))
    clone.load_state_dict(ours.state_dict())
    assert torch.equal(clone(torch.from_numpy(x)), ours(torch.from_numpy(x)))
    given = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    config = given.get_config()
    assert config["mean"] == [1.0, 2.0] and config["variance"] == [4.0, 9.0]
    again = Normalization.from_config(config)
    probe = torch.randn(3, 2)
    assert torch.equal(again(probe), given(probe))


def test_unadapted_layer_is_identity_and_mask_passes_through():
    ours = Normalization()
    x = torch.randn(2, 5, 3)
    mask = torch.tensor([[True, True, False, False, False], [True] * 5])
    set_mask(x, mask)
    out = ours(x)
    assert torch.allclose(out, x)
    assert get_mask(out) is mask


def test_gradients_flow_to_inputs(rng):
    ours = Normalization(mean=[1.0, 2.0], variance=[4.0, 16.0])
    x = torch.zeros(3, 2, requires_grad=True)
    ours(x).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.25]] * 3)


def test_errors(rng):
    with pytest.raises(InputError, match="no data"):
        Normalization().adapt(np.zeros((0, 3), "float32"))
    with pytest.raises(ValueError, match="both"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="rank of `mean`"):
        Normalization(mean=[[1.0]], variance=[[1.0]])
    fixed = Normalization(mean=1.0, variance=1.0, name="norm_fixed")
    with pytest.raises(InputError, match=r"norm_fixed.*cannot be adapted"):
        fixed.adapt(np.ones((4, 2)))
    with pytest.raises(InputError, match="axis"):
        Normalization(axis=3)(torch.zeros(2, 3))
    adapted = Normalization(name="norm_x")
    adapted.adapt(_data(rng, (8, 4)))
    with pytest.raises(InputError, match=r"norm_x.*\(None, 4\).*\(2, 5\)"):
        adapted(torch.zeros(2, 5))
    with pytest.raises(InputError, match=r"norm_x.*\(3, 5\)"):
        adapted.adapt(np.zeros((3, 5), "float32"))
    with pytest.raises(InputError, match="numbers"):
        Normalization().adapt(["a", "b"])
