"""Embedding against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.layers import Embedding


def test_embedding_matches_keras(rng):
    ids = rng.integers(0, 10, (3, 7))
    theirs = keras.layers.Embedding(10, 4)
    expected = np.asarray(theirs(ids))
    ours = Embedding(10, 4)
    ours.set_weights(theirs.get_weights())
    got = ours(torch.from_numpy(ids)).detach().numpy()
    np.testing.assert_array_equal(got, expected)
    assert ours.count_params() == theirs.count_params() == 40
    assert ours.compute_output_shape((None, 7)) == (None, 7, 4)
    keras_keys = set(theirs.get_config()) - {"quantization_config"}
    assert set(ours.get_config()) | {"dtype"} == keras_keys
    clone = Embedding.from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()


def test_default_init_is_keras_uniform():
    w = Embedding(1000, 16).get_weights()[0]
    assert w.shape == (1000, 16)
    assert np.abs(w).max() <= 0.05 and np.abs(w).max() > 0.049


def test_mask_zero(rng):
    ids = np.array([[3, 1, 0, 0], [2, 0, 5, 0]])
    theirs = keras.layers.Embedding(10, 4, mask_zero=True)
    ours = Embedding(10, 4, mask_zero=True)
    expected = np.asarray(theirs.compute_mask(ids))
    np.testing.assert_array_equal(ours.compute_mask(torch.from_numpy(ids)).numpy(), expected)
    assert Embedding(10, 4).compute_mask(torch.from_numpy(ids)) is None


def test_float_indices_and_errors():
    ours = Embedding(5, 2, name="emb_x")
    out = ours(torch.tensor([[1.0, 4.0]]))
    assert out.shape == (1, 2, 2)
    with pytest.raises(InputError, match="emb_x"):
        ours(torch.tensor([[5]]))
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 3)
    with pytest.warns(DeprecationWarning):
        Embedding(5, 2, input_length=3)


def test_gradients():
    ours = Embedding(5, 2)
    ours(torch.tensor([[1, 1, 2]])).sum().backward()
    assert ours.embeddings.grad is not None
    assert ours.embeddings.grad[1].tolist() == [2.0, 2.0]


@pytest.mark.parametrize("bad", [[[1, 10]], [[-1, 2]]], ids=["too_large", "negative"])
def test_out_of_range_indices_name_the_range(bad) -> None:
    layer = Embedding(10, 3)
    with pytest.raises(InputError, match=r"indices must be in \[0, 10\)"):
        layer(torch.tensor(bad))


def test_embedding_traces_for_export() -> None:
    """The range check reads values, which tracing cannot: it is skipped while exporting
    (torch.export failed on it, so models with an Embedding could not go to ONNX)."""
    layer = Embedding(10, 3)
    ids = torch.tensor([[1, 2, 9]])
    program = torch.export.export(torch.nn.Sequential(layer), (ids,))
    torch.testing.assert_close(program.module()(ids), layer(ids))
