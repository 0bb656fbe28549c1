"""CategoryEncoding and the shared ``encode_categorical`` against Keras (TensorFlow backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.layers.preprocessing._encoding import encode_categorical, resolve_dtype
from torchbridge.layers.preprocessing.category_encoding import CategoryEncoding

_INPUTS = [
    np.array(2),
    np.array([0, 1, 1, 3]),
    np.array([[1], [2], [0]]),
    np.array([[0, 1, 1], [3, 3, 2]]),
]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("index", range(len(_INPUTS)))
def test_matches_keras(mode, index):
    x = _INPUTS[index]
    theirs = keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    ours = CategoryEncoding(num_tokens=4, output_mode=mode)
    expected = np.asarray(theirs(x))
    got = ours(torch.from_numpy(x))
    assert got.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), expected)
    np.testing.assert_array_equal(ours(x.tolist()).numpy(), expected)  # plain lists work too
    if x.ndim:
        assert ours.compute_output_shape(x.shape) == theirs.compute_output_shape(x.shape)
        assert ours.compute_output_shape(x.shape) == tuple(got.shape)
    assert ours.get_weights() == theirs.get_weights() == []


def test_count_weights_match_keras_and_carry_gradients(rng):
    x = rng.integers(0, 5, (3, 6))
    w = rng.random((3, 6)).astype("float32")
    theirs = keras.layers.CategoryEncoding(num_tokens=5, output_mode="count")
    ours = CategoryEncoding(num_tokens=5, output_mode="count")
    expected = np.asarray(theirs(x, count_weights=w))
    weights = torch.from_numpy(w).requires_grad_()
    got = ours(torch.from_numpy(x), count_weights=weights)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    got[:, 2].sum().backward()
    assert weights.grad is not None
    np.testing.assert_array_equal(weights.grad.numpy(), (x == 2).astype("float32"))


def test_config_matches_keras():
    theirs = keras.layers.CategoryEncoding(num_tokens=6, output_mode="count")
    ours = CategoryEncoding(num_tokens=6, output_mode="count")
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    clone = CategoryEncoding.from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()
    x = torch.tensor([[0, 5, 5]])
    assert torch.equal(clone(x), ours(x))
    assert CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"


def test_rank3_multi_hot_encodes_the_last_axis():
    # Keras's docs (and compute_output_shape) say the last axis is the sample axis;
    # torchbridge does that for every rank (see docs/keras-differences.md).
    x = torch.tensor([[[0, 1], [2, 2], [3, 3]], [[1, 1], [0, 3], [2, 0]]])
    ours = CategoryEncoding(num_tokens=4, output_mode="count")
    got = ours(x)
    assert got.shape == (2, 3, 4) == ours.compute_output_shape((2, 3, 2))
    expected = torch.stack([torch.bincount(row, minlength=4) for row in x.reshape(-1, 2)])
    assert torch.equal(got, expected.reshape(2, 3, 4).float())


def test_errors():
    ours = CategoryEncoding(num_tokens=4, name="cat_x")
    with pytest.raises(InputError, match=r"cat_x.*num_tokens=4.*\[0, 4\).*from 0 to 4"):
        ours(torch.tensor([[0, 4]]))
    with pytest.raises(InputError, match="from -1 to 1"):
        ours(torch.tensor([[-1, 1]]))
    with pytest.raises(InputError, match="integers"):
        ours(torch.tensor([[0.5, 1.0]]))
    with pytest.raises(InputError, match="count_weights"):
        ours(torch.tensor([[0, 1]]), count_weights=torch.ones(1, 2))
    counting = CategoryEncoding(num_tokens=4, output_mode="count")
    with pytest.raises(InputError, match=r"shape of the inputs \(1, 2\)"):
        counting(torch.tensor([[0, 1]]), count_weights=torch.ones(2, 2))
    with pytest.raises(ValueError, match="num_tokens"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="num_tokens"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match="output_mode"):
        CategoryEncoding(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="sparse"):
        CategoryEncoding(3, sparse=True)


def test_integral_float_inputs_are_accepted():
    ours = CategoryEncoding(num_tokens=3, output_mode="one_hot")
    np.testing.assert_array_equal(ours(torch.tensor([2.0, 0.0])).numpy(), [[0, 0, 1], [1, 0, 0]])


# --- encode_categorical (shared with the lookup layers) -------------------------------------
def test_encode_categorical_modes():
    x = torch.tensor([[0, 2, 2], [1, 1, 3]])
    assert encode_categorical(x, "int", 4).dtype == torch.float32
    assert torch.equal(encode_categorical(x, "int", 4, dtype=torch.int64), x)
    assert encode_categorical(torch.tensor(1), "one_hot", 3).tolist() == [[0.0, 1.0, 0.0]]
    assert encode_categorical(torch.tensor(1), "multi_hot", 3).tolist() == [0.0, 1.0, 0.0]
    assert encode_categorical(x, "multi_hot", 4).tolist() == [[1, 0, 1, 0], [0, 1, 0, 1]]
    assert encode_categorical(x, "count", 4).tolist() == [[1, 0, 2, 0], [0, 2, 0, 1]]
    assert encode_categorical(x, "one_hot", 4).shape == (2, 3, 4)
    assert encode_categorical(torch.tensor([[3]]), "one_hot", 4).tolist() == [[0, 0, 0, 1]]
    idf = torch.tensor([0.5, 1.0, 2.0, 4.0])
    tfidf = encode_categorical(x, "tf_idf", 4, idf_weights=idf)
    assert tfidf.tolist() == [[0.5, 0.0, 4.0, 0.0], [0.0, 2.0, 0.0, 4.0]]
    weighted = encode_categorical(x, "count", 4, count_weights=torch.full((2, 3), 0.5))
    assert weighted.tolist() == [[0.5, 0, 1.0, 0], [0, 1.0, 0, 0.5]]
    empty = encode_categorical(torch.zeros(2, 0, dtype=torch.int64), "multi_hot", 3)
    assert empty.tolist() == [[0.0] * 3] * 2


def test_encode_categorical_tf_idf_matches_keras_formula():
    # Keras's IndexLookup: count encoding times idf weights.
    import tensorflow as tf
    from keras.src.utils.tf_utils import tf_encode_categorical_inputs

    x = np.array([[0, 2, 2, 1], [1, 1, 3, 0]])
    idf = np.array([0.3, 1.5, 2.0, 0.7], dtype="float32")
    expected = np.asarray(
        tf_encode_categorical_inputs(tf.constant(x), "tf_idf", 4, idf_weights=idf)
    )
    got = encode_categorical(torch.from_numpy(x), "tf_idf", 4, idf_weights=torch.from_numpy(idf))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_encode_categorical_errors():
    x = torch.tensor([[0, 5]])
    with pytest.raises(InputError, match=r"\[0, 5\)"):
        encode_categorical(x, "multi_hot", 5)
    with pytest.raises(InputError, match="output_mode"):
        encode_categorical(x, "binary", 6)
    with pytest.raises(InputError, match="idf_weights"):
        encode_categorical(x, "tf_idf", 6)
    with pytest.raises(InputError, match=r"shape \(6,\)"):
        encode_categorical(x, "tf_idf", 6, idf_weights=torch.ones(5))
    with pytest.raises(InputError, match="count_weights"):
        encode_categorical(x, "multi_hot", 6, count_weights=torch.ones(1, 2))
    with pytest.raises(InputError, match="dtype"):
        resolve_dtype("float33", torch.float32)
    assert resolve_dtype("int32", torch.float32) == torch.int32
    assert resolve_dtype(None, torch.int64) == torch.int64
