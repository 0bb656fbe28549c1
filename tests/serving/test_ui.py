"""The Gradio page without a browser: its API (gradio_client, over loopback) answers what the
model predicts, for numeric models, text models and TextClassifier bundles; and the errors."""

from __future__ import annotations

import asyncio
import gc
import socket
import sys

import numpy as np
import pytest

import torchbridge as keras
from torchbridge.errors import InputError
from torchbridge.serving.ui import build_ui, launch_ui

# Gradio makes a fresh asyncio loop for each lock it creates outside a running loop and drops
# the previous one unclosed (gradio/utils.py safe_get_lock): not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(autouse=True)
def _drop_gradio_event_loop():
    yield
    asyncio.set_event_loop(None)
    gc.collect()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(model, endpoint, payload, **build_kwargs):
    """Launch the page on loopback, call one endpoint with gradio_client, stop the page."""
    from gradio_client import Client

    port = _free_port()
    page = launch_ui(model, port=port, block=False, quiet=True, **build_kwargs)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        return client.predict(payload, api_name=endpoint)
    finally:
        page.close()


def _mlp(activation):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input(shape=(2, 2)), keras.layers.Flatten(), keras.layers.Dense(3, activation)]
    )


@pytest.mark.parametrize("activation", ["softmax", None])
def test_numeric_page_predicts_every_row(activation):
    model = _mlp(activation)
    rows = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.0, -1.0, 2.0]], dtype="float32")
    table = {"headers": ["x0", "x1", "x2", "x3"], "data": rows.tolist()}
    expected = model.predict(rows.reshape(2, 2, 2), verbose=0)
    names = ["a", "b", "c"] if activation else None
    result = _call(model, "/predict", table, label_names=names)
    if activation:  # a classifier: the table of scores and the first row's Label
        frame, label = result
        assert frame["headers"] == names
        assert label["label"] == names[int(expected[0].argmax())]
        shown = {c["label"]: c["confidence"] for c in label["confidences"]}
        np.testing.assert_allclose([shown[n] for n in names], expected[0], rtol=1e-6)
    else:
        frame = result
        assert frame["headers"] == ["y0", "y1", "y2"]
    np.testing.assert_allclose(frame["data"], expected, rtol=1e-6, atol=1e-7)


def _text_model(activation, units):
    keras.utils.set_random_seed(0)
    vec = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vec.adapt(np.array(["free money now", "see you at the meeting"]))
    inp = keras.Input(shape=(), dtype="string")
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(vec(inp)))
    return keras.Model(inp, keras.layers.Dense(units, activation=activation)(x))


@pytest.mark.parametrize(
    "activation,units,names",
    [("softmax", 3, ["0", "1", "2"]), ("sigmoid", 1, ["0", "1"]), (None, 2, None)],
)
def test_text_page_answers_like_the_model(activation, units, names):
    model = _text_model(activation, units)
    text = "free money at the meeting"
    expected = model.predict(np.array([text], dtype=object), verbose=0)[0]
    result = _call(model, "/classify", text)
    if names is None:  # not a classifier: the outputs as JSON
        np.testing.assert_allclose(result, expected, rtol=1e-6)
        return
    scores = {c["label"]: c["confidence"] for c in result["confidences"]}
    if units == 1:  # one sigmoid unit: classes "0" (1 - p) and "1" (p)
        expected = np.array([1.0 - expected[0], expected[0]])
    assert sorted(scores) == names
    np.testing.assert_allclose([scores[n] for n in names], expected, rtol=1e-6)
    assert result["label"] == names[int(np.argmax(expected))]


@pytest.mark.slow  # transformers: build, save and load a bundle
def test_bundle_folder_page_uses_its_label_names(tokenizer, tmp_path):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from torchbridge.hf import TextClassifier

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=20,
        max_position_embeddings=64,
        num_labels=3,
    )
    names = ["neg", "neutral", "pos"]
    clf = TextClassifier(BertForSequenceClassification(config), tokenizer, names)
    clf.save(tmp_path / "bundle")
    text = "the build failed again"
    expected = clf.predict_proba([text])[0]
    result = _call(str(tmp_path / "bundle"), "/classify", text, top_k=2)
    assert result["label"] == names[int(expected.argmax())]
    shown = {c["label"]: c["confidence"] for c in result["confidences"]}
    best_two = [names[i] for i in np.argsort(-expected)[:2]]
    assert sorted(shown) == sorted(best_two)  # top_k=2: the two best classes
    np.testing.assert_allclose([shown[n] for n in best_two], np.sort(expected)[::-1][:2], rtol=1e-5)


def test_errors_name_the_fix(monkeypatch):
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(3,))
    two_inputs = keras.Model([a, b], keras.layers.Dense(1)(keras.layers.Concatenate()([a, b])))
    with pytest.raises(InputError, match="torchbridge serve"):
        build_ui(two_inputs)
    with pytest.raises(InputError, match=r"label_names has 2 names but .* scores 3 classes"):
        build_ui(_mlp("softmax"), label_names=["a", "b"])
    with pytest.raises(InputError, match="No model at"):
        build_ui("/nonexistent/model.keras")
    monkeypatch.setitem(sys.modules, "gradio", None)  # as if gradio were not installed
    with pytest.raises(ImportError, match=r"pip install 'torchbridge\[ui\]'"):
        build_ui(_mlp("softmax"))
