"""Raw-string models export to ONNX with their string layers in front (strings in, scores out,
equal to eager), or are refused with an error naming what cannot be exported."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import torchbridge as keras
from torchbridge import layers
from torchbridge.export import ExportError

pytest.importorskip("onnxruntime_extensions")
pytest.importorskip("onnxscript")

CORPUS = ["the cat sat", "a dog ran far away", "cat and dog", "free prize now"]


def text_cnn() -> keras.Model:
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=8)
    vectorize.adapt(CORPUS)
    inputs = keras.Input((1,), dtype="string", name="text")
    x = layers.Embedding(20, 4)(vectorize(inputs))
    x = layers.GlobalMaxPooling1D()(layers.Conv1D(4, 3, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


@pytest.mark.slow
def test_text_cnn_takes_raw_strings_in_onnx_runtime(tmp_path: Path) -> None:
    import onnxruntime as ort

    from torchbridge.export.onnx_strings import session_options

    model = text_cnn()
    path = os.fspath(tmp_path / "text_cnn.onnx")
    model.export(path, format="onnx", verbose=False)
    session = ort.InferenceSession(path, session_options())
    (inp,) = session.get_inputs()
    assert (inp.name, inp.type, inp.shape) == ("text", "tensor(string)", ["batch", 1])
    for texts in (["the cat"], ["Dog ran!", "A cat, and a dog sat far away, yes", ""]):
        batch = np.array(texts, dtype=object).reshape(-1, 1)
        want = model(batch).detach().numpy()
        np.testing.assert_allclose(session.run(None, {"text": batch})[0], want, atol=1e-5)


def test_string_models_that_cannot_be_split_are_refused(tmp_path: Path) -> None:
    lookup = layers.StringLookup(vocabulary=["a", "b"])
    inputs = keras.Input((1,), dtype="string", name="word")
    two = layers.Concatenate()([lookup(inputs), layers.StringLookup(vocabulary=["c"])(inputs)])
    model = keras.Model(inputs, layers.Dense(1)(layers.Lambda(lambda t: t.float())(two)))
    with pytest.raises(ExportError, match=r"'word' feeds 2 layers"):
        model.export(os.fspath(tmp_path / "m.onnx"), format="onnx", verbose=False)
    with pytest.raises(ExportError, match=r"takes strings"):
        text_cnn().export(os.fspath(tmp_path / "m.pt2"), format="torch", verbose=False)
    with pytest.raises(ExportError, match=r"openvino.*cannot take raw strings \(inputs text\)"):
        text_cnn().export(os.fspath(tmp_path / "m.xml"), format="openvino", verbose=False)
    with pytest.raises(ExportError, match=r"litert.*cannot take raw strings \(inputs text\)"):
        text_cnn().export(os.fspath(tmp_path / "m.tflite"), format="litert", verbose=False)


@pytest.mark.slow
def test_sequential_string_lookup_model_takes_raw_strings(tmp_path: Path) -> None:
    import onnxruntime as ort

    from torchbridge.export.onnx_strings import session_options

    model = keras.Sequential(
        [
            keras.Input((2,), dtype="string", name="colors"),
            layers.StringLookup(vocabulary=["red", "green", "blue"], output_mode="multi_hot"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    path = os.fspath(tmp_path / "colors.onnx")
    model.export(path, format="onnx", verbose=False)
    session = ort.InferenceSession(path, session_options())
    (inp,) = session.get_inputs()
    assert inp.type == "tensor(string)"
    for rows in ([["red", "blue"]], [["pink", "green"], ["green", "green"], ["", "red"]]):
        batch = np.array(rows, dtype=object)
        want = model(batch).detach().numpy()
        np.testing.assert_allclose(session.run(None, {inp.name: batch})[0], want, atol=1e-6)
