"""Hashing (FarmHash Fingerprint64 / SipHash-2-4 bins) against Keras and TensorFlow."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from torchbridge.errors import InputError
from torchbridge.layers.preprocessing.hashing import (
    Hashing,
    fingerprint64,
    hash_to_bins,
    siphash24,
)


def _random_strings(rng) -> list[str]:
    """ASCII and non-ASCII strings of every byte length 0..200 (all FarmHash branches)."""
    out = []
    for length in range(201):
        out.append("".join(map(chr, rng.integers(32, 127, length))))
        out.append("".join(map(chr, rng.integers(0x80, 0x3000, length // 2))))
    out += ["", "\x00", "a\x00", "é", "🙂" * 40, "[UNK]", "-12", "true"]
    return out


def test_fingerprint64_equals_tensorflow(rng):
    strings = _random_strings(rng)
    expected = tf.fingerprint(tf.constant(strings), method="farmhash64").numpy()
    expected = np.frombuffer(expected.tobytes(), dtype="<u8")
    np.testing.assert_array_equal(fingerprint64(strings), expected)
    raw = [s.encode("utf-8") for s in strings[:50]]
    np.testing.assert_array_equal(fingerprint64(raw), expected[:50])


def test_bins_equal_tensorflow(rng):
    strings = _random_strings(rng)
    array = np.array(strings, dtype=object)
    bins = [1, 7, 1000, 2**40 + 3]
    fast = fingerprint64(strings)
    for n in bins:
        expected = tf.strings.to_hash_bucket_fast(strings, n).numpy()
        np.testing.assert_array_equal((fast % np.uint64(n)).astype(np.int64), expected)
    np.testing.assert_array_equal(
        hash_to_bins(array, 7), tf.strings.to_hash_bucket_fast(strings, 7)
    )
    for key in ([1, 2], [12345, 12345], [-1, 2**62]):
        strong = siphash24(strings, key)
        for n in bins:
            expected = tf.strings.to_hash_bucket_strong(strings, n, key=key).numpy()
            np.testing.assert_array_equal((strong % np.uint64(n)).astype(np.int64), expected)
        expected = tf.strings.to_hash_bucket_strong(strings, 7, key=key).numpy()
        np.testing.assert_array_equal(hash_to_bins(array, 7, key), expected)


def test_siphash24_reference_vector():
    # The SipHash paper's test vector: key 00..0f, message 00..0e.
    key = [int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little")]
    assert siphash24([bytes(range(15))], key)[0] == 0xA129CA6149BE45E5


_CASES = [
    ({"num_bins": 7}, [["a", "b"], ["c", "a"]]),
    ({"num_bins": 7, "mask_value": ""}, np.array([["a", ""], ["c", "a"]])),
    ({"num_bins": 7, "salt": 133}, np.array([["a", ""], ["c", "a"]])),
    ({"num_bins": 7, "salt": [1, 2], "mask_value": 3}, np.array([[3, 4], [5, -6]])),
    ({"num_bins": 5}, np.array([[1.7, -2.5], [3.0, 0.2]])),
    ({"num_bins": 5, "mask_value": 1.7}, np.array([[1.7, -2.5], [3.0, 0.2]])),
    ({"num_bins": 1, "mask_value": "a"}, np.array(["a", "b"])),
    ({"num_bins": 5}, "abc"),
    ({"num_bins": 5}, np.array([True, False])),
    ({"num_bins": 9, "dtype": "int32"}, np.array([[10, 2**40, -7]])),
    ({"num_bins": 5, "output_mode": "one_hot"}, np.array([["a"], ["b"]])),
    ({"num_bins": 5, "output_mode": "one_hot"}, np.array(["a", "b", "z"])),
    ({"num_bins": 5, "output_mode": "multi_hot"}, np.array([["a", "b"], ["b", "c"]])),
    (
        {"num_bins": 5, "output_mode": "count", "mask_value": "a"},
        [["a", "b", "a"], ["b", "c", "d"]],
    ),
]


@pytest.mark.parametrize("index", range(len(_CASES)))
def test_layer_matches_keras(index):
    kwargs, x = _CASES[index]
    theirs = keras.layers.Hashing(**kwargs)
    ours = Hashing(**kwargs)
    expected = np.asarray(theirs(x))
    got = ours(x)
    assert str(got.dtype).removeprefix("torch.") == str(expected.dtype)
    np.testing.assert_array_equal(got.numpy(), expected)
    if not isinstance(x, str):
        assert ours.compute_output_shape(np.shape(x)) == tuple(got.shape)


def test_tensor_inputs_match_keras(rng):
    ints = rng.integers(-(10**6), 10**6, (4, 5))
    theirs = keras.layers.Hashing(num_bins=11, salt=7)
    ours = Hashing(num_bins=11, salt=7)
    expected = np.asarray(theirs(ints))
    np.testing.assert_array_equal(ours(torch.from_numpy(ints)).numpy(), expected)
    np.testing.assert_array_equal(ours(torch.from_numpy(ints).to(torch.int32)).numpy(), expected)
    np.testing.assert_array_equal(ours(torch.from_numpy(ints).double()).numpy(), expected)


def test_config_round_trip():
    theirs = keras.layers.Hashing(num_bins=4, salt=3, mask_value="x")
    ours = Hashing(num_bins=4, salt=3, mask_value="x")
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    for key in ("num_bins", "salt", "mask_value", "output_mode", "sparse"):
        assert ours.get_config()[key] == theirs.get_config()[key]
    clone = Hashing.from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()
    x = np.array([["x", "y", "zz"]])
    assert torch.equal(clone(x), ours(x))
    assert torch.equal(ours(np.array([b"x", b"y"])), ours(np.array(["x", "y"])))  # bytes = str
    assert ours(np.array(["x"]))[0] == 0  # the mask value keeps bin 0
    assert ours.get_weights() == theirs.get_weights() == []


def test_errors():
    with pytest.raises(ValueError, match="num_bins"):
        Hashing(0)
    with pytest.raises(ValueError, match="output_mode"):
        Hashing(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt"):
        Hashing(3, salt="pepper")
    with pytest.raises(ValueError, match="dtype"):
        Hashing(3, dtype="float32")
    with pytest.raises(ValueError, match="sparse"):
        Hashing(3, output_mode="count", sparse=True)
    with pytest.raises(InputError, match="dtype"):
        Hashing(3)(np.array([1 + 2j]))
    with pytest.raises(InputError, match="two integers"):
        siphash24(["a"], [1])
