"""IntegerLookup against Keras (TensorFlow backend)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import torch

from torchbridge.data import Dataset
from torchbridge.errors import InputError
from torchbridge.layers.preprocessing.integer_lookup import IntegerLookup

# Ties in frequency, negative values, the default oov_token -1, and 0.
TRAIN = np.array([[3, 3, 5, -1], [7, 7, 7, 0], [12, 5, 42, 0], [-8, 9, 9, 1000]])
TEST = np.array([[3, 0, 99, -1], [1000, -8, 6, 12]])


def _np(x):
    return x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mask_token": 0},
        {"max_tokens": 5},
        {"num_oov_indices": 3},
        {"num_oov_indices": 3, "mask_token": 0},
        {"num_oov_indices": 2, "oov_method": "farmhash"},
        {"num_oov_indices": 2, "oov_method": "farmhash", "salt": 11},
        {"oov_token": 99},
    ],
)
def test_adapt_vocabulary_and_indices_match_keras(kwargs):
    theirs = keras.layers.IntegerLookup(**kwargs)
    ours = IntegerLookup(**kwargs)
    theirs.adapt(TRAIN)
    ours.adapt(torch.from_numpy(TRAIN))
    assert ours.get_vocabulary() == [int(v) for v in theirs.get_vocabulary()]
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    for x in (TEST, torch.from_numpy(TEST), TEST.tolist(), TEST[0]):
        got = ours(x)
        assert got.dtype == torch.int64
        np.testing.assert_array_equal(got.numpy(), _np(theirs(np.asarray(x))))
    assert ours(5).shape == () and int(ours(5)) == int(theirs(5))


def test_vocabulary_order_and_special_tokens():
    ours = IntegerLookup()
    ours.adapt([4, 4, 9, 9, 2, -1, -1, -1, 0])
    # -1 (the OOV token) is never learned; ties: the larger value first
    assert ours.get_vocabulary() == [-1, 9, 4, 2, 0]
    assert ours.get_vocabulary(include_special_tokens=False) == [9, 4, 2, 0]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
@pytest.mark.parametrize("mask", [None, 0])
def test_output_modes_match_keras(mode, mask):
    theirs = keras.layers.IntegerLookup(output_mode=mode, mask_token=mask)
    ours = IntegerLookup(output_mode=mode, mask_token=mask)
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    for x in (TEST, TEST[0], TEST[:, :1]):
        expected = _np(theirs(x))
        got = ours(torch.from_numpy(x))
        assert got.shape == expected.shape
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7)
    if mode == "tf_idf":
        np.testing.assert_allclose(
            ours.idf_weights.numpy(), theirs.idf_weights.numpy(), rtol=1e-6, atol=1e-7
        )


def test_invert_matches_keras():
    vocab = [12, 36, 1138, 42]
    for kwargs in ({}, {"mask_token": 0}):
        theirs = keras.layers.IntegerLookup(vocabulary=vocab, invert=True, **kwargs)
        ours = IntegerLookup(vocabulary=vocab, invert=True, **kwargs)
        idx = np.array([[0, 1, 2, 3], [4, 5, 6, -3]])
        np.testing.assert_array_equal(ours(torch.from_numpy(idx)).numpy(), _np(theirs(idx)))
    forward = IntegerLookup(vocabulary=vocab)
    inverse = IntegerLookup(vocabulary=forward.get_vocabulary(), invert=True)
    assert inverse(forward(torch.tensor([42, 1000, 36]))).tolist() == [42, -1, 36]


def test_given_vocabulary_file_and_dataset(tmp_path):
    path = tmp_path / "ids.txt"
    path.write_text("7\n-3\n12\n")
    theirs = keras.layers.IntegerLookup(vocabulary=str(path))
    ours = IntegerLookup(vocabulary=str(path))
    assert ours.get_vocabulary() == [int(v) for v in theirs.get_vocabulary()] == [-1, 7, -3, 12]
    np.testing.assert_array_equal(ours(TEST).numpy(), _np(theirs(TEST)))
    flat = TRAIN.reshape(-1)
    from_list = IntegerLookup(output_mode="tf_idf")
    from_list.adapt(flat.tolist())
    from_dataset = IntegerLookup(output_mode="tf_idf")
    from_dataset.adapt(Dataset.from_tensor_slices(flat))  # single values: one document each
    assert from_dataset.get_vocabulary() == from_list.get_vocabulary()
    torch.testing.assert_close(from_dataset.idf_weights, from_list.idf_weights)


def test_config_and_assets_round_trip():
    theirs = keras.layers.IntegerLookup(mask_token=0, output_mode="count")
    ours = IntegerLookup(mask_token=0, output_mode="count")
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    clone = IntegerLookup.from_config(json.loads(json.dumps(ours.get_config())))
    clone.set_assets(json.loads(json.dumps(ours.get_assets())))
    np.testing.assert_array_equal(clone(TEST).numpy(), ours(TEST).numpy())
    given = IntegerLookup(vocabulary=np.array([5, 6]))
    assert given.get_config()["vocabulary"] == [5, 6]
    assert IntegerLookup.from_config(given.get_config())(TEST).tolist() == given(TEST).tolist()


def test_outputs_carry_no_gradient_and_no_weights():
    ours = IntegerLookup(vocabulary=[1, 2, 3], output_mode="tf_idf", idf_weights=[1.0, 2.0, 3.0])
    out = ours(torch.tensor([[1, 2, 2, 7]]))
    assert not out.requires_grad and ours.count_params() == 0
    torch.testing.assert_close(out, torch.tensor([[2.0, 1.0, 4.0, 0.0]]))


def test_errors():
    with pytest.raises(ValueError, match="vocabulary_dtype"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="repeated"):
        IntegerLookup(vocabulary=[1, 2, 1])
    with pytest.raises(ValueError, match="salt"):
        IntegerLookup(salt=3)
    with pytest.raises(ValueError, match="oov_method"):
        IntegerLookup(oov_method="random")
    with pytest.raises(ValueError, match="num_oov_indices"):
        IntegerLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match="OOV token"):
        IntegerLookup(vocabulary=[3, -1], invert=True)
    layer = IntegerLookup(vocabulary=[1, 2], num_oov_indices=0, name="ints_x")
    with pytest.raises(InputError, match=r"ints_x.*\[5\]"):
        layer(torch.tensor([1, 5]))
    with pytest.raises(InputError, match="ints_x"):
        layer(np.array(["a", "b"]))
    with pytest.raises(InputError, match="no data"):
        IntegerLookup().adapt(np.zeros((0,), dtype=np.int64))
