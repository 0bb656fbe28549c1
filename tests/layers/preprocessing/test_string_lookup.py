"""StringLookup against Keras (TensorFlow backend): vocabularies, indices, encodings, saving."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from torchbridge.data import Dataset
from torchbridge.errors import InputError
from torchbridge.layers.preprocessing.string_lookup import StringLookup

# Frequencies with ties (b/c/d twice, e/f/é/ß once), unicode, the empty string, and "[UNK]".
TRAIN = np.array(
    [
        ["a", "b", "a", "c"],
        ["d", "a", "é", "b"],
        ["", "c", "ß", "d"],
        ["[UNK]", "e", "f", "Ω"],
    ]
)
TEST = np.array([["a", "zz", "", "é"], ["Ω", "b", "[UNK]", "nope"]])


def _np(x):
    return x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mask_token": ""},
        {"max_tokens": 5},
        {"max_tokens": 5, "mask_token": "", "num_oov_indices": 2},
        {"num_oov_indices": 2},
        {"num_oov_indices": 3, "salt": 7},
        {"num_oov_indices": 2, "salt": (1, 2), "mask_token": ""},
        {"oov_token": "<oov>"},
    ],
)
def test_adapt_vocabulary_and_indices_match_keras(kwargs):
    theirs = keras.layers.StringLookup(**kwargs)
    ours = StringLookup(**kwargs)
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert ours.get_vocabulary(False) == theirs.get_vocabulary(include_special_tokens=False)
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    got = ours(TEST)
    assert got.dtype == torch.int64
    np.testing.assert_array_equal(got.numpy(), _np(theirs(TEST)))
    np.testing.assert_array_equal(ours(TEST.tolist()).numpy(), _np(theirs(TEST)))
    assert int(ours("a")) == int(theirs("a"))
    assert ours("a").shape == ()


def test_vocabulary_order_breaks_ties_by_token_descending():
    ours = StringLookup()
    ours.adapt(["x", "y", "y", "b", "a", "b", "é", "Z"])
    # counts: y=2, b=2 (ties: larger first), then the 1-count tokens in descending order
    assert ours.get_vocabulary() == ["[UNK]", "y", "b", "é", "x", "a", "Z"]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
@pytest.mark.parametrize("pad", [False, True])
@pytest.mark.parametrize("mask", [None, ""])
def test_output_modes_match_keras(mode, pad, mask):
    kwargs = {"output_mode": mode, "mask_token": mask}
    if pad:
        kwargs.update(pad_to_max_tokens=True, max_tokens=12)
    theirs = keras.layers.StringLookup(**kwargs)
    ours = StringLookup(**kwargs)
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    inputs = [TEST, TEST[0], TEST[:, :1], "é"]
    if mode == "one_hot":
        # Rank 3: multi_hot/count/tf_idf differ (Keras reduces axis 1 there, the shared
        # encoder the last axis; see the report), one_hot is element-wise.
        inputs.append(TEST.reshape(2, 2, 2))
    for x in inputs:
        expected = _np(theirs(x))
        got = ours(x)
        assert got.shape == expected.shape, (x, got.shape, expected.shape)
        assert got.dtype == (torch.float32 if mode == "tf_idf" else torch.int64)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7)
        shape = ours.compute_output_shape(np.shape(x)) if np.ndim(x) else None
        if shape is not None:
            assert shape == tuple(theirs.compute_output_shape(np.shape(x)))


def test_tf_idf_weights_match_keras():
    theirs = keras.layers.StringLookup(output_mode="tf_idf", max_tokens=6)
    ours = StringLookup(output_mode="tf_idf", max_tokens=6)
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    np.testing.assert_allclose(
        ours.idf_weights.numpy(), theirs.idf_weights.numpy(), rtol=1e-6, atol=1e-7
    )
    # idf = log(1 + N / (1 + df)); the OOV slot gets the mean of the learned weights
    df_a = 2  # "a" appears in 2 of the 4 rows
    assert ours.get_vocabulary()[1] == "a"
    np.testing.assert_allclose(
        float(ours.idf_weights[1]), np.log(1 + 4 / (1 + df_a)), rtol=1e-6, atol=1e-7
    )
    np.testing.assert_allclose(
        float(ours.idf_weights[0]), ours.idf_weights[1:].mean(), rtol=1e-6, atol=1e-7
    )
    assert ours.get_weights() == theirs.get_weights() == []


def test_adapt_sources_agree_with_keras():
    words = ["a", "b", "a", "c", "b", "a", "d", "é", "d", "a"]
    # a flat list: every element is a document
    theirs = keras.layers.StringLookup(output_mode="tf_idf")
    theirs.adapt(words)
    for source in (
        words,
        np.array(words),
        np.char.encode(np.array(words), "utf-8"),
        np.array(words)[:, None],
    ):
        ours = StringLookup(output_mode="tf_idf")
        ours.adapt(source)
        assert ours.get_vocabulary() == theirs.get_vocabulary()
        np.testing.assert_allclose(
            ours.idf_weights.numpy(), theirs.idf_weights.numpy(), rtol=1e-6, atol=1e-7
        )
    # a dataset of single strings: every element is a document
    ours = StringLookup(output_mode="tf_idf")
    ours.adapt(Dataset.from_tensor_slices(words))
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_allclose(
        ours.idf_weights.numpy(), theirs.idf_weights.numpy(), rtol=1e-6, atol=1e-7
    )
    # a dataset of 1-D batches: as Keras, each batch is ONE document
    theirs = keras.layers.StringLookup(output_mode="tf_idf")
    theirs.adapt(tf.data.Dataset.from_tensor_slices(words).batch(3))
    ours = StringLookup(output_mode="tf_idf")
    ours.adapt(Dataset.from_tensor_slices(words).batch(3))
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_allclose(
        ours.idf_weights.numpy(), theirs.idf_weights.numpy(), rtol=1e-6, atol=1e-7
    )
    counted = StringLookup()
    counted.adapt(Dataset.from_tensor_slices(words).batch(3), steps=2)  # the first 6 words
    assert counted.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    # re-adapting may change the vocabulary in "int" mode, not in the encoded modes (Keras)
    counted.adapt(words)
    assert counted.get_vocabulary() == ["[UNK]", "a", "d", "b", "é", "c"]
    with pytest.raises(RuntimeError, match="cannot change"):
        ours.adapt(words[:3])


def test_invert_matches_keras():
    for kwargs in ({}, {"mask_token": ""}, {"num_oov_indices": 2, "mask_token": "[M]"}):
        vocab = ["x", "y", "é"]
        theirs = keras.layers.StringLookup(vocabulary=vocab, invert=True, **kwargs)
        ours = StringLookup(vocabulary=vocab, invert=True, **kwargs)
        idx = np.array([[0, 1, 2], [3, 4, 5], [6, -1, 9]])
        expected = np.vectorize(lambda b: b.decode())(theirs(idx).numpy())
        got = ours(torch.from_numpy(idx))
        assert isinstance(got, np.ndarray) and got.dtype == object
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(ours(idx.tolist()), expected)
        # forward then inverse gives the tokens back (OOV -> oov_token)
        forward = StringLookup(vocabulary=vocab, **kwargs)
        back = ours(forward(np.array(["é", "x", "new"])))
        assert back.tolist() == ["é", "x", ours.oov_token]


def test_given_vocabulary_matches_keras(tmp_path):
    # leading special tokens are recognised and stripped
    for vocab in (["a", "b", "c"], ["[UNK]", "a", "b", "c"], np.array(["a", "b", "c"])):
        theirs = keras.layers.StringLookup(vocabulary=vocab)
        ours = StringLookup(vocabulary=vocab)
        assert ours.get_vocabulary() == theirs.get_vocabulary()
        np.testing.assert_array_equal(ours(TEST).numpy(), _np(theirs(TEST)))
    theirs = keras.layers.StringLookup(vocabulary=["", "[UNK]", "a"], mask_token="")
    ours = StringLookup(vocabulary=["", "[UNK]", "a"], mask_token="")
    assert ours.get_vocabulary() == theirs.get_vocabulary() == ["", "[UNK]", "a"]
    # from a file: one term per line, "\r\n" accepted, a special token in it is a plain term
    path = tmp_path / "vocab.txt"
    path.write_bytes("[UNK]\r\nb\né\n".encode())
    theirs = keras.layers.StringLookup(vocabulary=str(path))
    ours = StringLookup(vocabulary=str(path))
    assert ours.get_vocabulary() == theirs.get_vocabulary() == ["[UNK]", "[UNK]", "b", "é"]
    np.testing.assert_array_equal(ours(TEST).numpy(), _np(theirs(TEST)))
    assert ours.get_config()["vocabulary"] is None
    # idf weights given with the vocabulary: the OOV slot gets their average
    theirs = keras.layers.StringLookup(
        vocabulary=["a", "b"], idf_weights=[0.5, 2.0], output_mode="tf_idf"
    )
    ours = StringLookup(vocabulary=["a", "b"], idf_weights=[0.5, 2.0], output_mode="tf_idf")
    np.testing.assert_allclose(ours(TEST).numpy(), _np(theirs(TEST)), rtol=1e-6, atol=1e-7)
    ours.set_vocabulary(["[UNK]", "b", "a"], idf_weights=[1.0, 2.0, 3.0])
    theirs.set_vocabulary(["[UNK]", "b", "a"], idf_weights=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(ours(TEST).numpy(), _np(theirs(TEST)), rtol=1e-6, atol=1e-7)


def test_config_and_assets_round_trip():
    theirs = keras.layers.StringLookup(mask_token="", num_oov_indices=2, output_mode="tf_idf")
    ours = StringLookup(mask_token="", num_oov_indices=2, output_mode="tf_idf")
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    assert set(ours.get_config()) | {"dtype"} == set(theirs.get_config())
    config, assets = ours.get_config(), ours.get_assets()
    assert config["vocabulary_size"] == theirs.get_config()["vocabulary_size"]
    clone = StringLookup.from_config(json.loads(json.dumps(config)))
    clone.set_assets(json.loads(json.dumps(assets)))
    assert clone.get_vocabulary() == ours.get_vocabulary()
    np.testing.assert_array_equal(clone(TEST).numpy(), ours(TEST).numpy())
    assert clone.is_adapted
    # a vocabulary given at construction travels in the config, as Keras
    given = StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    keras_given = keras.layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    assert given.get_config()["vocabulary"] == keras_given.get_config()["vocabulary"]
    clone = StringLookup.from_config(given.get_config())
    np.testing.assert_array_equal(clone(TEST).numpy(), given(TEST).numpy())
    assert clone.count_params() == 0 and list(clone.state_dict()) == []


def test_errors():
    with pytest.raises(ValueError, match="repeated"):
        StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="output_mode"):
        StringLookup(output_mode="bag")
    with pytest.raises(ValueError, match="idf_weights"):
        StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="idf_weights"):
        StringLookup(idf_weights=[1.0], vocabulary=["a"])
    with pytest.raises(ValueError, match="invert"):
        StringLookup(invert=True, output_mode="multi_hot")
    with pytest.raises(ValueError, match="sparse"):
        StringLookup(output_mode="multi_hot", sparse=True)
    with pytest.raises(ValueError, match="max_tokens"):
        StringLookup(max_tokens=1)
    with pytest.raises(ValueError, match="max_tokens"):
        StringLookup(pad_to_max_tokens=True)
    with pytest.raises(ValueError, match="mask token"):
        StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="max_tokens=3"):
        StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="empty"):
        StringLookup(vocabulary=[])
    with pytest.raises(ValueError, match="does not exist"):
        StringLookup(vocabulary="/no/such/vocab.txt")
    layer = StringLookup(name="lookup_x")
    with pytest.raises(InputError, match="no data"):
        layer.adapt([])
    with pytest.raises(InputError, match="lookup_x"):
        layer(torch.zeros(3))
    fixed = StringLookup(vocabulary=["a"], name="fixed_x")
    with pytest.raises(ValueError, match="fixed_x"):
        fixed.adapt(["a", "b"])
    strict = StringLookup(vocabulary=["a"], num_oov_indices=0, name="strict_x")
    assert strict(["a"]).tolist() == [0]
    with pytest.raises(InputError, match=r"strict_x.*'zz'"):
        strict(["a", "zz"])
    unset = StringLookup(output_mode="multi_hot", name="unset_x")
    with pytest.raises(RuntimeError, match="unset_x"):
        unset(["a"])
    frozen = StringLookup(output_mode="count")
    frozen.adapt(["a", "b"])
    with pytest.raises(RuntimeError, match="cannot change"):
        frozen.set_vocabulary(["a", "b", "c"])


def test_no_oov_lookup_in_a_functional_model_saves_and_loads(tmp_path):
    """Shape inference feeds stand-in values a num_oov_indices=0 lookup would refuse: the
    model still builds and reloads, and real out-of-vocabulary input is still an error."""
    import torchbridge as tb

    lookup = tb.layers.StringLookup(vocabulary=["x", "y"], num_oov_indices=0)
    i = tb.Input((1,), dtype="string")
    model = tb.Model(i, lookup(i))
    model.save(tmp_path / "m.keras")
    loaded = tb.saving.load_model(tmp_path / "m.keras")
    assert loaded(np.array([["y"], ["x"]])).tolist() == [[1], [0]]
    with pytest.raises(InputError, match="num_oov_indices=0"):
        loaded(np.array([["q"]]))
