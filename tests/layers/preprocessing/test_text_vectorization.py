"""TextVectorization against Keras (TensorFlow backend): standardize, split, n-grams, modes."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from torchbridge.data import Dataset
from torchbridge.errors import InputError
from torchbridge.layers.preprocessing import text_vectorization
from torchbridge.layers.preprocessing.text_vectorization import TextVectorization

TRAIN = [
    "The cat sat on the mat.",
    "Don't stop—the CAT! It's 1,000.5 dollars?",
    "",
    "   ",
    "  ÀÉÎ Straße  ÇA ÀÉÎ «quoted» (paren) [x]",
    "a\u00a0b a\x1cb dog\tdog\ndog\rdog\x0bend\x0cend",
    "mat mat cat; CAT: cat-cat",
    "eightchr ninechars sixteen-bytes!! seventeen-bytes!! ééééé ééééééééé ü",
    "a-very-long-token-with-more-than-sixteen-bytes and another_very_long_token_here",
]
TEST = [*TRAIN, "unknown words here, cat", "Straße ééééé zz"]


def _keras(layer, x):
    out = layer(x)
    if hasattr(out, "to_tensor"):  # one_hot / ragged outputs
        out = out.to_tensor()
    return np.asarray(out)


CONFIGS = [
    {},
    {"output_sequence_length": 4},
    {"output_sequence_length": 40},
    {"ngrams": 2},
    {"ngrams": (1, 3), "output_sequence_length": 12},
    {"max_tokens": 8},
    {"standardize": None},
    {"standardize": "lower"},
    {"standardize": "strip_punctuation"},
    {"split": "character", "max_tokens": 20},
    {"standardize": None, "split": None},
    {"output_mode": "multi_hot"},
    {"output_mode": "count", "ngrams": 2},
    {"output_mode": "count", "ngrams": 1},
    {"output_mode": "tf_idf"},
    {"output_mode": "tf_idf", "max_tokens": 10, "pad_to_max_tokens": True},
    {"output_mode": "multi_hot", "max_tokens": 30, "pad_to_max_tokens": True},
    {"output_mode": "one_hot", "max_tokens": 12},
    {"output_mode": "tf_idf", "split": None},
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=[str(c) for c in CONFIGS])
def test_matches_keras(kwargs):
    theirs = keras.layers.TextVectorization(**kwargs)
    ours = TextVectorization(**kwargs)
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    expected = _keras(theirs, np.array(TEST))
    got = ours(TEST)
    assert got.shape == expected.shape
    int_like = kwargs.get("output_mode", "int") != "tf_idf"
    assert got.dtype == (torch.int64 if int_like else torch.float32)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7)
    if kwargs.get("output_mode") == "tf_idf":
        np.testing.assert_allclose(
            ours._lookup_layer.idf_weights.numpy(),
            theirs._lookup_layer.idf_weights.numpy(),
            rtol=1e-6,
        )
    if kwargs.get("split", "whitespace") is not None:
        single = _keras(theirs, TEST[1])  # a single string: no batch axis
        np.testing.assert_allclose(ours(TEST[1]).numpy(), single, rtol=1e-6, atol=1e-7)


def test_standardize_is_ascii_only_and_split_is_ascii_whitespace():
    ours = TextVectorization(vocabulary=["àé", "straße", "don’t", "a\u00a0b", "a\x1cb", "x"])
    vocab = ours.get_vocabulary()
    ids = ours(["ÀÉ àé STRASSE Straße DON’T a\u00a0b a\x1cb x\tx\nx"])[0].tolist()
    # "ÀÉ" is not lowercased, "’" is not ASCII punctuation, \xa0 and \x1c do not split
    assert [vocab[i] for i in ids] == [
        "[UNK]", "àé", "[UNK]", "straße", "don’t", "a\u00a0b", "a\x1cb", "x", "x", "x",
    ]  # fmt: skip
    theirs = keras.layers.TextVectorization(vocabulary=vocab[2:])
    np.testing.assert_array_equal(
        _keras(theirs, np.array(["ÀÉ àé STRASSE Straße DON’T a\u00a0b a\x1cb x\tx\nx"])),
        [ids],
    )


def _random_documents(rng, n):
    alphabet = [*"abcdefghij", "é", "ß", "ü", "中", "🙂", "-"]
    words = []
    for length in range(1, 23):  # byte lengths around the 8/16-byte packing limits
        for _ in range(3):
            words.append("".join(rng.choice(alphabet, length)))
    docs = []
    for _ in range(n):
        k = int(rng.integers(0, 12))
        seps = rng.choice([" ", "  ", "\t", "\n", " \x0c"], k)
        docs.append("".join(w + s for w, s in zip(rng.choice(words, k), seps)))
    return docs


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_vectorised_path_equals_the_exact_path(rng, monkeypatch, mode):
    docs = _random_documents(rng, 300)
    fast = TextVectorization(output_mode=mode, standardize=None)
    exact = TextVectorization(output_mode=mode, standardize=None)
    monkeypatch.setattr(exact, "_fast_tokens", lambda docs: None)
    monkeypatch.setattr(text_vectorization, "_MERGE_AT", 10)  # merge the packed counts often
    fast.adapt(docs[:200], batch_size=40)
    exact.adapt(docs[:200])
    assert fast.get_vocabulary() == exact.get_vocabulary()
    torch.testing.assert_close(fast(docs), exact(docs), rtol=0, atol=0)
    theirs = keras.layers.TextVectorization(output_mode=mode, standardize=None)
    theirs.adapt(docs[:200])
    assert fast.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_allclose(
        fast(docs).numpy(), _keras(theirs, np.array(docs)), rtol=1e-6, atol=1e-7
    )


def test_nul_bytes_and_bytes_inputs_match_keras():
    docs = ["a\x00b c", "c c a\x00b", "Zé!"]
    theirs = keras.layers.TextVectorization()
    ours = TextVectorization()
    theirs.adapt(docs)
    ours.adapt(docs)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    expected = _keras(theirs, np.array(docs))
    np.testing.assert_array_equal(ours(docs).numpy(), expected)
    encoded = [d.encode("utf-8") for d in docs]
    for x in (encoded, np.array(encoded, dtype=object), np.char.encode(np.array(docs), "utf-8")):
        np.testing.assert_array_equal(ours(x).numpy(), expected)
    np.testing.assert_array_equal(ours(np.array(docs)[:, None]).numpy(), expected)
    np.testing.assert_array_equal(ours(tuple(docs)).numpy(), expected)


def test_adapt_sources_agree_with_keras():
    theirs = keras.layers.TextVectorization(output_mode="tf_idf")
    theirs.adapt(TRAIN)
    sources = [
        TRAIN,
        np.array(TRAIN),
        np.array(TRAIN)[:, None],
        Dataset.from_tensor_slices(TRAIN),
        Dataset.from_tensor_slices(TRAIN).batch(4),
        iter([np.array(TRAIN[:5]), np.array(TRAIN[5:])]),
    ]
    for source in sources:
        ours = TextVectorization(output_mode="tf_idf")
        ours.adapt(source)
        assert ours.get_vocabulary() == theirs.get_vocabulary()
        np.testing.assert_allclose(
            ours._lookup_layer.idf_weights.numpy(),
            theirs._lookup_layer.idf_weights.numpy(),
            rtol=1e-6,
        )
    theirs = keras.layers.TextVectorization()
    theirs.adapt(TRAIN[:2])
    ours = TextVectorization()
    ours.adapt(TRAIN, batch_size=2, steps=1)  # the first two strings only
    assert ours.get_vocabulary() == theirs.get_vocabulary()


def test_callables_match_keras():
    def ours_standardize(x):  # x: a NumPy array of str; bytes.upper is ASCII-only as TF's
        return np.array([s.encode().upper().decode().replace("-", " ") for s in x.tolist()])

    def keras_standardize(x):
        return tf.strings.regex_replace(tf.strings.upper(x), "-", " ")

    theirs = keras.layers.TextVectorization(
        standardize=keras_standardize, split=lambda x: tf.strings.split(x, sep="A")
    )
    ours = TextVectorization(
        standardize=ours_standardize, split=lambda x: [s.split("A") for s in x]
    )
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_array_equal(ours(TEST).numpy(), _keras(theirs, np.array(TEST)))
    # a standardize callable with the default whitespace split takes the vectorised path
    theirs = keras.layers.TextVectorization(standardize=keras_standardize)
    ours = TextVectorization(standardize=ours_standardize)
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_array_equal(ours(TEST).numpy(), _keras(theirs, np.array(TEST)))


def test_given_vocabulary_and_idf_weights_match_keras(tmp_path):
    vocab = ["cat", "the", "mat", "dont"]
    idf = [0.5, 1.5, 2.0, 3.0]
    theirs = keras.layers.TextVectorization(vocabulary=vocab, idf_weights=idf, output_mode="tf_idf")
    ours = TextVectorization(vocabulary=vocab, idf_weights=idf, output_mode="tf_idf")
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_allclose(
        ours(TEST).numpy(), _keras(theirs, np.array(TEST)), rtol=1e-6, atol=1e-7
    )
    theirs = keras.layers.TextVectorization(vocabulary=["", "[UNK]", *vocab])
    ours = TextVectorization(vocabulary=["", "[UNK]", *vocab])
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    np.testing.assert_array_equal(ours(TEST).numpy(), _keras(theirs, np.array(TEST)))
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(vocab) + "\n")
    from_file = TextVectorization(vocabulary=str(path), output_sequence_length=6)
    keras_file = keras.layers.TextVectorization(vocabulary=str(path), output_sequence_length=6)
    assert from_file.get_vocabulary() == keras_file.get_vocabulary()
    np.testing.assert_array_equal(from_file(TEST).numpy(), _keras(keras_file, np.array(TEST)))
    ours.set_vocabulary(["mat", "cat"])
    theirs.set_vocabulary(["mat", "cat"])
    np.testing.assert_array_equal(ours(TEST).numpy(), _keras(theirs, np.array(TEST)))


def test_config_and_assets_round_trip():
    kwargs = {"output_mode": "tf_idf", "ngrams": (1, 2), "max_tokens": 40}
    theirs = keras.layers.TextVectorization(**kwargs)
    ours = TextVectorization(**kwargs)
    theirs.adapt(TRAIN)
    ours.adapt(TRAIN)
    keras_config = theirs.get_config()
    assert set(ours.get_config()) | {"dtype"} == set(keras_config)
    for key in ("ngrams", "vocabulary", "vocabulary_size", "max_tokens", "standardize"):
        assert ours.get_config()[key] == keras_config[key], key
    config = json.loads(json.dumps(ours.get_config()))  # ngrams comes back as a list
    assert ours._lookup_layer.get_assets() == {}  # saved once, under the outer layer
    clone = TextVectorization.from_config(config)
    clone.set_assets(json.loads(json.dumps(ours.get_assets())))
    assert clone.is_adapted
    torch.testing.assert_close(clone(TEST), ours(TEST), rtol=0, atol=0)
    assert clone.count_params() == 0 and list(clone.state_dict()) == []
    # a clone of a layer that was never adapted can be adapted (Keras raises RuntimeError)
    fresh = TextVectorization.from_config(TextVectorization(output_mode="count").get_config())
    fresh.adapt(["a b b"])
    assert fresh(["b a c"]).tolist() == [[1, 1, 1]]
    given = TextVectorization(vocabulary=["a", "b"], output_sequence_length=3)
    assert given.get_config()["vocabulary"] == ["a", "b"]
    again = TextVectorization.from_config(given.get_config())
    torch.testing.assert_close(again(["a b c"]), torch.tensor([[2, 3, 1]]))


def test_compute_output_shape_matches_keras():
    for kwargs in ({"output_sequence_length": 7}, {"output_mode": "multi_hot"}, {"split": None}):
        theirs = keras.layers.TextVectorization(**kwargs)
        ours = TextVectorization(**kwargs)
        theirs.adapt(TRAIN)
        ours.adapt(TRAIN)
        for shape in ((None,), (None, 1)):
            assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))


def test_errors():
    with pytest.raises(ValueError, match="standardize"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split"):
        TextVectorization(split="comma")
    with pytest.raises(ValueError, match="output_mode"):
        TextVectorization(output_mode="bag")
    with pytest.raises(ValueError, match="ngrams"):
        TextVectorization(ngrams="2")
    with pytest.raises(ValueError, match="output_sequence_length"):
        TextVectorization(output_mode="count", output_sequence_length=4)
    with pytest.raises(ValueError, match="ragged"):
        TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="sparse"):
        TextVectorization(output_mode="multi_hot", sparse=True)
    with pytest.raises(ValueError, match="idf_weights"):
        TextVectorization(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="repeated"):
        TextVectorization(vocabulary=["a", "b", "a"])
    layer = TextVectorization(name="text_x")
    with pytest.raises(InputError, match="no data"):
        layer.adapt([])
    with pytest.raises(InputError, match=r"text_x.*\(batch,\) or \(batch, 1\).*\(2, 2\)"):
        layer(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(InputError, match="text_x"):
        layer(torch.zeros(2))
    with pytest.raises(InputError, match="text_x"):
        layer.adapt(torch.zeros(2))
    fixed = TextVectorization(vocabulary=["a"], name="fixed_text")
    with pytest.raises(ValueError, match="fixed_text"):
        fixed.adapt(["a b"])
    with pytest.raises(RuntimeError, match="vocabulary"):
        TextVectorization(output_mode="multi_hot")(["a"])
