"""ExportArchive: several endpoints (inference and training-mode calls, another signature), one
file each plus a manifest; variable collections; Keras's errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import torchbridge as keras
from torchbridge.export import ExportArchive, ExportError


def dropout_model() -> keras.Model:
    inputs = keras.Input((3,), name="x")
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.Dropout(0.5)(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


@pytest.mark.slow
def test_torch_archive_writes_each_endpoint_and_a_manifest(tmp_path: Path) -> None:
    model = dropout_model()
    archive = ExportArchive()
    archive.track(model)
    spec = [keras.InputSpec(shape=(None, 3), dtype="float32")]
    archive.add_endpoint("serve", lambda x: model(x, training=False), input_signature=spec)
    archive.add_endpoint("call_training", lambda x: model(x, training=True), input_signature=spec)
    archive.add_variable_collection("weights", model.weights)
    archive.write_out(tmp_path / "archive", format="torch", verbose=False)

    manifest = json.loads((tmp_path / "archive" / "export_manifest.json").read_text())
    assert manifest["format"] == "torch" and manifest["serving_default"] == "serve"
    assert manifest["endpoints"]["serve"] == {
        "file": "serve.pt2",
        "inputs": [{"name": "input_0", "shape": [None, 3], "dtype": "float32"}],
        "outputs": ["output_0"],
    }
    x = torch.randn(5, 3)
    serve = torch.export.load(tmp_path / "archive" / "serve.pt2").module()
    with torch.no_grad():
        np.testing.assert_allclose(serve(x).numpy(), model(x).detach().numpy(), rtol=1e-6)
        training = torch.export.load(tmp_path / "archive" / "call_training.pt2").module()
        ones = torch.ones(64, 3)
        # dropout is on in the training endpoint: half the hidden units are dropped
        assert not torch.allclose(training(ones)[0], training(ones)[1])
    from safetensors.torch import load_file

    saved = load_file(tmp_path / "archive" / "variables" / "weights.safetensors")
    assert len(saved) == len(model.weights)
    assert all(
        torch.equal(t, w.detach())
        for t, w in zip(saved.values(), map(torch.as_tensor, model.weights))
    )


@pytest.mark.slow
def test_onnx_archive_endpoints_run_in_onnx_runtime(tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    model = dropout_model()
    archive = ExportArchive()
    archive.track_and_add_endpoint("serve", model, input_signature=[(None, 3)])
    archive.add_endpoint(
        "pair",
        lambda a, b: model(a + b),
        input_signature=[(None, 3), keras.InputSpec(shape=(None, 3))],
    )
    archive.write_out(os.fspath(tmp_path / "a"), verbose=False)
    manifest = json.loads((tmp_path / "a" / "export_manifest.json").read_text())
    assert manifest["format"] == "onnx"
    assert [i["name"] for i in manifest["endpoints"]["pair"]["inputs"]] == ["input_0", "input_1"]
    a, b = (np.random.default_rng(i).standard_normal((4, 3), dtype=np.float32) for i in (0, 1))
    want = model(torch.from_numpy(a + b)).detach().numpy()
    pair = ort.InferenceSession(os.fspath(tmp_path / "a" / "pair.onnx"))
    np.testing.assert_allclose(
        pair.run(None, {"input_0": a, "input_1": b})[0], want, rtol=1e-5, atol=1e-5
    )
    serve = ort.InferenceSession(os.fspath(tmp_path / "a" / "serve.onnx"))
    np.testing.assert_allclose(serve.run(None, {"input_0": a + b})[0], want, rtol=1e-5, atol=1e-5)


def test_archive_errors_say_what_to_do(tmp_path: Path) -> None:
    model = dropout_model()
    archive = ExportArchive()
    with pytest.raises(ExportError, match="No endpoints have been set yet"):
        archive.write_out(tmp_path / "empty")
    with pytest.raises(ExportError, match="needs input_signature"):
        archive.add_endpoint("serve", lambda x: model(x))
    archive.add_endpoint("serve", model.call)  # a model's method: its Input gives the signature
    with pytest.raises(ExportError, match="already taken"):
        archive.add_endpoint("serve", model.call)
    with pytest.raises(ExportError, match="not a valid identifier"):
        archive.add_endpoint("my endpoint", model.call)
    with pytest.raises(ExportError, match="Invalid resource type"):
        archive.track("model")
    with pytest.raises(ExportError, match="SavedModel needs TensorFlow"):
        ExportArchive(format="saved_model")
    with pytest.raises(ExportError, match="SaveOptions"):
        archive.write_out(tmp_path / "x", options=object())
