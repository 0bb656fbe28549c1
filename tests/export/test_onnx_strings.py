"""Raw-string preprocessing inside ONNX (torchbridge.export.onnx_strings) against the layers.

Every supported option combination runs the ONNX graph in ONNX Runtime (with
onnxruntime-extensions registered) on real e-mails from the packaged
SpamAssassin corpus plus hand-picked edge cases, and must give the
torchbridge layer's output exactly (integers equal, tf-idf floats equal).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchbridge as tb

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxruntime_extensions")
keras = pytest.importorskip("keras")  # the oracle (TensorFlow backend, see tests/conftest.py)

from torchbridge.demos.spam_data import load_spam_records  # noqa: E402
from torchbridge.export.errors import ExportError  # noqa: E402
from torchbridge.export.onnx_strings import (  # noqa: E402
    prepend_string_layers,
    prepend_string_preprocessing,
    session_options,
    string_preprocessing_graph,
)

EDGE_CASES = [
    "",
    "   ",
    "Héllo Wörld! ÄBC Äbc ÉCOLE",
    "naïve café, ok? «quoted» — dash",
    "日本語 テキスト 한국어 ΑΒΓ σς İstanbul",
    "don't stop-believing... (really) [x] {y} <z> a_b a\\b",
    "a\tb\nc\x0bd\x0ce\rf\x1cg\x85h\xa0i\u2003j",
    "MIXED Case WORDS 123 4.56 $7",
    "emoji 😀 ok 👍🏽",
    "x" * 300,
]


@pytest.fixture(scope="module")
def texts() -> np.ndarray:
    records = load_spam_records()
    picked = [r["text"] for r in records[:: max(1, len(records) // 250)]]
    arr = np.empty(len(EDGE_CASES) + len(picked), dtype=object)
    arr[:] = EDGE_CASES + picked
    return arr


@pytest.fixture(scope="module")
def vocabulary(texts: np.ndarray) -> list[str]:
    layer = tb.layers.TextVectorization(max_tokens=400)
    layer.adapt(texts)
    return layer.get_vocabulary(include_special_tokens=False)


def _run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), session_options())
    return session.run(None, feeds)


def _assert_same(layer: tb.layers.Layer, x: np.ndarray, input_rank: int = 1) -> None:
    (got,) = _run(string_preprocessing_graph(layer, input_rank=input_rank), {"inputs": x})
    want = layer(x).numpy()
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


CHARACTERS = list("abcdefghijklmnopqrstuvwxyzABCé日 ,.!")
STANDARDIZE = ["lower_and_strip_punctuation", "lower", "strip_punctuation", None]
MODES = [("int", None), ("int", 7), ("int", 600), ("multi_hot", None), ("count", None)]


@pytest.mark.parametrize("standardize", STANDARDIZE, ids=str)
@pytest.mark.parametrize("split", ["whitespace", "character", None], ids=str)
@pytest.mark.parametrize("mode,length", [*MODES, ("tf_idf", None)], ids=str)
def test_text_vectorization_matches_the_layer(
    texts: np.ndarray, vocabulary: list[str], standardize, split, mode, length
) -> None:
    if mode == "tf_idf":  # learned vocabulary and idf weights
        layer = tb.layers.TextVectorization(
            standardize=standardize, split=split, output_mode=mode, max_tokens=300
        )
        layer.adapt(texts)
    else:
        layer = tb.layers.TextVectorization(
            standardize=standardize,
            split=split,
            output_mode=mode,
            output_sequence_length=length,
            vocabulary=CHARACTERS if split == "character" else vocabulary,
        )
    if split is not None:
        _assert_same(layer, texts)
        _assert_same(layer, texts[:20].reshape(-1, 1), input_rank=2)
    elif mode == "int":  # one token a string; (batch, 1) and (batch, k) inputs
        _assert_same(layer, texts[:40].reshape(-1, 1), input_rank=2)
        _assert_same(layer, texts[:40].reshape(8, 5), input_rank=2)
    else:  # a bag of tokens per row
        _assert_same(layer, texts[:40].reshape(8, 5), input_rank=2)
        _assert_same(layer, texts[:5], input_rank=1)


def test_text_vectorization_pad_to_max_tokens_and_all_empty_batch(vocabulary) -> None:
    layer = tb.layers.TextVectorization(
        max_tokens=500, output_mode="count", pad_to_max_tokens=True, vocabulary=vocabulary
    )
    _assert_same(layer, np.array(["the cat", "", "THE the"], dtype=object))
    layer = tb.layers.TextVectorization(vocabulary=vocabulary)
    _assert_same(layer, np.array(["", "  ", "\t"], dtype=object))  # (3, 0) int64


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mask_token": ""},
        {"mask_token": "[MASK]", "oov_token": "?"},
        {"output_mode": "multi_hot"},
        {"output_mode": "count", "mask_token": ""},
        {"output_mode": "count", "pad_to_max_tokens": True, "max_tokens": 40},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
def test_string_lookup_matches_the_layer(texts: np.ndarray, kwargs) -> None:
    words = " ".join(texts[:60].tolist()).split()
    vocab = sorted(set(words[:400]))[:30]
    layer = tb.layers.StringLookup(vocabulary=vocab, **kwargs)
    x = np.array((words[:200] + ["", "[MASK]", "unknown-token"] * 4)[:210], dtype=object)
    _assert_same(layer, x.reshape(42, 5), input_rank=2)
    if layer.output_mode == "int":
        _assert_same(layer, x, input_rank=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mask_token": 0},
        {"num_oov_indices": 3},
        {"output_mode": "multi_hot", "mask_token": 0},
        {"output_mode": "count"},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
def test_integer_lookup_matches_the_layer(kwargs) -> None:
    layer = tb.layers.IntegerLookup(vocabulary=[12, 7, 300, -4, 99], **kwargs)
    x = np.random.default_rng(0).choice([12, 7, 300, -4, 99, 0, 1, -9, 1000], size=(30, 4))
    _assert_same(layer, x.astype(np.int64), input_rank=2)


@pytest.mark.parametrize(
    "make,option",
    [
        (lambda v: tb.layers.TextVectorization(standardize=lambda s: s, vocabulary=v), "callable"),
        (lambda v: tb.layers.TextVectorization(split=lambda s: s, vocabulary=v), "callable"),
        (lambda v: tb.layers.TextVectorization(ngrams=2, vocabulary=v), "ngrams=2"),
        (lambda v: tb.layers.TextVectorization(output_mode="one_hot", vocabulary=v), "one_hot"),
        (lambda v: tb.layers.TextVectorization(max_tokens=10), "empty vocabulary"),
        (lambda v: tb.layers.StringLookup(num_oov_indices=2, vocabulary=v), "num_oov_indices=2"),
        (lambda v: tb.layers.StringLookup(num_oov_indices=0, vocabulary=v), "num_oov_indices=0"),
        (lambda v: tb.layers.StringLookup(invert=True, vocabulary=v), "invert=True"),
        (lambda v: tb.layers.StringLookup(encoding="latin-1", vocabulary=v), "encoding"),
        (
            lambda v: tb.layers.IntegerLookup(
                num_oov_indices=2, oov_method="farmhash", vocabulary=[1, 2]
            ),
            "num_oov_indices=2",
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_options_that_cannot_be_exact_are_refused(vocabulary, make, option) -> None:
    layer = make(vocabulary[:20])
    with pytest.raises(ExportError, match=option):
        string_preprocessing_graph(layer)


def test_wrong_layer_and_opset_are_refused(vocabulary) -> None:
    with pytest.raises(ExportError, match="Dense"):
        string_preprocessing_graph(tb.layers.Dense(2))
    with pytest.raises(ExportError, match="opset"):
        string_preprocessing_graph(tb.layers.StringLookup(vocabulary=vocabulary), opset=13)


def _dense_model(in_dtype: int, vocab_size: int) -> onnx.ModelProto:
    """A tiny stand-in for an exported model: ids [N, L] -> scores [N, 2]."""
    from onnx import helper, numpy_helper

    weights = np.random.default_rng(1).normal(size=(vocab_size, 2)).astype(np.float32)
    nodes = [
        helper.make_node("Cast", ["ids"], ["ids64"], to=onnx.TensorProto.INT64),
        helper.make_node("Gather", ["table", "ids64"], ["emb"]),
        helper.make_node("ReduceSum", ["emb", "axes"], ["summed"], keepdims=0),
        helper.make_node("Softmax", ["summed"], ["scores"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "m",
        [helper.make_tensor_value_info("ids", in_dtype, ["batch", "length"])],
        [helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT, ["batch", 2])],
        [numpy_helper.from_array(weights, "table"), numpy_helper.from_array(np.array([1]), "axes")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_prepend_gives_strings_in_scores_out(texts, vocabulary, dtype) -> None:
    layer = tb.layers.TextVectorization(vocabulary=vocabulary, output_sequence_length=50)
    elem = onnx.TensorProto.INT32 if dtype == "int32" else onnx.TensorProto.INT64
    model = _dense_model(elem, layer.vocabulary_size())
    merged = prepend_string_preprocessing(string_preprocessing_graph(layer), model)
    onnx.checker.check_model(merged)
    assert [v.name for v in merged.graph.input] == ["inputs"]
    assert [v.name for v in merged.graph.output] == ["scores"]
    (got,) = _run(merged, {"inputs": texts[:50]})
    ids = layer(texts[:50]).numpy().astype(dtype)
    (want,) = _run(model, {"ids": ids})
    np.testing.assert_array_equal(got, want)


def test_prepend_names_a_missing_model_input(vocabulary) -> None:
    layer = tb.layers.TextVectorization(vocabulary=vocabulary)
    model = _dense_model(onnx.TensorProto.INT64, layer.vocabulary_size())
    with pytest.raises(ExportError, match="no input 'tokens'"):
        prepend_string_preprocessing(string_preprocessing_graph(layer), model, "tokens")


def test_prepend_string_layers_reads_and_writes_files(tmp_path, texts, vocabulary) -> None:
    layer = tb.layers.TextVectorization(vocabulary=vocabulary, output_sequence_length=20)
    model = _dense_model(onnx.TensorProto.INT64, layer.vocabulary_size())
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    prepend_string_layers(path, [("text", layer)], ["ids"], path, input_ranks=[2])
    merged = onnx.load(path)
    assert [v.name for v in merged.graph.input] == ["text"]
    (got,) = _run(merged, {"text": texts[:30].reshape(-1, 1)})
    (want,) = _run(model, {"ids": layer(texts[:30]).numpy()})
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("standardize", STANDARDIZE, ids=str)
@pytest.mark.parametrize("split", ["whitespace", "character"])
def test_text_vectorization_graph_matches_keras(texts, vocabulary, standardize, split) -> None:
    """The oracle itself: Keras 3 on TensorFlow gives the graph's integers."""
    vocab = CHARACTERS if split == "character" else vocabulary
    kwargs = {"standardize": standardize, "split": split, "output_sequence_length": 64}
    ours = tb.layers.TextVectorization(vocabulary=vocab, **kwargs)
    theirs = keras.layers.TextVectorization(vocabulary=vocab, **kwargs)
    (got,) = _run(string_preprocessing_graph(ours), {"inputs": texts})
    np.testing.assert_array_equal(got, np.asarray(theirs(texts.astype(str))))
