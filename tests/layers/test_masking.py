"""Masking against Keras (TensorFlow backend), alone and feeding mask-aware layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.layers.layer import get_mask, set_mask
from torchbridge.layers.masking import Masking
from torchbridge.layers.pooling import GlobalAveragePooling1D


def _sequences(rng, mask_value=0.0):
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    x[0, 3:] = mask_value
    x[1, 1] = mask_value
    x[2, 0, :2] = mask_value  # only some features equal mask_value: the step is kept
    return x


@pytest.mark.parametrize("mask_value", [0.0, -1.0, 2])
def test_masking_matches_keras(rng, mask_value):
    x = _sequences(rng, mask_value)
    theirs = keras.layers.Masking(mask_value=mask_value)
    ours = Masking(mask_value=mask_value)
    expected = theirs(x)
    got = ours(torch.from_numpy(x))
    np.testing.assert_array_equal(got.numpy(), np.asarray(expected))
    keep = get_mask(got)
    np.testing.assert_array_equal(keep.numpy(), np.asarray(expected._keras_mask))
    np.testing.assert_array_equal(keep.numpy(), np.asarray(theirs.compute_mask(x)))
    assert keep.dtype == torch.bool and keep.shape == (3, 5)
    assert keep[0].tolist() == [True, True, True, False, False]
    assert keep[2].all()
    np.testing.assert_array_equal(
        ours.compute_mask(torch.from_numpy(x)).numpy(), np.asarray(theirs.compute_mask(x))
    )


def test_masked_steps_are_zeroed(rng):
    # With mask_value != 0 Keras zeroes the masked steps rather than passing them on.
    x = _sequences(rng, mask_value=-1.0)
    got = Masking(mask_value=-1.0)(torch.from_numpy(x))
    assert torch.equal(got[0, 3:], torch.zeros(2, 4))
    assert torch.equal(got[0, :3], torch.from_numpy(x[0, :3]))


def test_masking_replaces_an_incoming_mask(rng):
    x = torch.from_numpy(_sequences(rng))
    set_mask(x, torch.ones(3, 5, dtype=torch.bool))
    got = Masking()(x)
    assert get_mask(got)[0].tolist() == [True, True, True, False, False]


def test_masking_then_average_pooling_matches_keras(rng):
    x = _sequences(rng)
    expected = keras.layers.GlobalAveragePooling1D()(keras.layers.Masking()(x))
    got = GlobalAveragePooling1D()(Masking()(torch.from_numpy(x)))
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), atol=1e-6)


def test_gradients_flow_to_kept_steps_only(rng):
    x = torch.from_numpy(_sequences(rng)).requires_grad_()
    Masking()(x).sum().backward()
    assert x.grad is not None
    expected = np.broadcast_to(
        (_sequences(np.random.default_rng(0)) != 0).any(-1, keepdims=True), x.shape
    )
    np.testing.assert_array_equal(x.grad.numpy(), expected.astype("float32"))


def test_config_round_trip():
    theirs = keras.layers.Masking(mask_value=-1.0)
    ours = Masking(mask_value=-1.0, name="mask_x")
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    assert ours.get_config()["mask_value"] == theirs.get_config()["mask_value"] == -1.0
    clone = Masking.from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()
    assert ours.compute_output_shape((None, 5, 4)) == (None, 5, 4)
    assert ours.count_params() == theirs.count_params() == 0


def test_errors():
    with pytest.raises(TypeError, match="mask_value"):
        Masking(mask_value="0")
    with pytest.raises(InputError, match="mask_y"):
        Masking(name="mask_y")(torch.tensor(1.0))
