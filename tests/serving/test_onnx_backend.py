"""The ``onnx`` backend: a saved model exported by ``model.export(format="onnx")`` and run by ONNX
Runtime answers both protocols like the eager model."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient

import torchbridge as tb
from torchbridge.serving import create_app, load_runner
from torchbridge.serving.onnx_runner import OnnxRunner

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")


@pytest.mark.slow  # the dynamo exporter takes seconds
def test_onnx_backend_serves_like_eager(mlp_path, rows, tmp_path):
    runner = load_runner(mlp_path, backend="onnx")
    assert isinstance(runner, OnnxRunner) and runner.platform == "onnxruntime_onnx"
    eager = load_runner(mlp_path)
    assert runner.inputs == eager.inputs and runner.outputs == eager.outputs
    expected = tb.load_model(mlp_path).predict(rows, verbose=0)
    with TestClient(create_app(runner, "mlp")) as client:
        r = client.post("/v1/models/mlp:predict", json={"instances": rows.tolist()})
        np.testing.assert_allclose(r.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
        infer = {
            "inputs": [
                {
                    "name": "features",
                    "shape": [5, 4],
                    "datatype": "FP32",
                    "data": rows.ravel().tolist(),
                }
            ]
        }
        out = client.post("/v2/models/mlp/infer", json=infer).json()["outputs"][0]
        np.testing.assert_allclose(np.reshape(out["data"], (5, 3)), expected, rtol=1e-5, atol=1e-6)
        assert client.get("/v2/models/mlp").json()["platform"] == "onnxruntime_onnx"
        bad = client.post("/v1/models/mlp:predict", json={"instances": [[1, 2]]})
        assert bad.status_code == 400
    # a .onnx file serves directly
    tb.load_model(mlp_path).export(str(tmp_path / "m.onnx"), format="onnx", verbose=False)
    direct = load_runner(tmp_path / "m.onnx", backend="onnx")
    np.testing.assert_allclose(
        direct.run({"features": rows})["probs"], expected, rtol=1e-5, atol=1e-6
    )
