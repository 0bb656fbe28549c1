"""KServe v2 / Open Inference Protocol: tritonclient's HTTP client against a live server (binary
and JSON tensors), typed-tensor errors, and the health/metadata routes."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.testclient import TestClient

import torchbridge as tb
from torchbridge.serving import ServerConfig, create_app, load_runner
from torchbridge.serving.kserve import decode_bytes_tensor, encode_bytes_tensor

tritonclient_http = pytest.importorskip("tritonclient.http")


@pytest.fixture(scope="module")
def mlp(mlp_path):
    return tb.load_model(mlp_path)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_tritonclient_infer_matches_model_predict(mlp_path, mlp, rows, live_server, binary):
    app = create_app(load_runner(mlp_path), "mlp", ServerConfig(max_batch_size=16))
    with live_server(app) as (url, _):
        client = tritonclient_http.InferenceServerClient(url.removeprefix("http://"))
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("mlp") and not client.is_model_ready("other")
        meta = client.get_model_metadata("mlp")
        assert meta["inputs"] == [{"name": "features", "datatype": "FP32", "shape": [-1, 4]}]
        assert meta["outputs"] == [{"name": "probs", "datatype": "FP32", "shape": [-1, 3]}]
        assert client.get_server_metadata()["name"] == "torchbridge"
        tensor = tritonclient_http.InferInput("features", list(rows.shape), "FP32")
        tensor.set_data_from_numpy(rows, binary_data=binary)
        wanted = [tritonclient_http.InferRequestedOutput("probs", binary_data=binary)]
        result = client.infer("mlp", [tensor], outputs=wanted, request_id="r-1")
        np.testing.assert_allclose(
            result.as_numpy("probs"), mlp.predict(rows, verbose=0), rtol=1e-5, atol=1e-6
        )
        assert result.get_response()["id"] == "r-1"
        assert result.get_response()["model_version"] == "1"
        bad = tritonclient_http.InferInput("features", [2, 3], "FP32")
        bad.set_data_from_numpy(np.zeros((2, 3), np.float32), binary_data=binary)
        with pytest.raises(tritonclient_http.InferenceServerException, match="axis 1"):
            client.infer("mlp", [bad])
        with pytest.raises(tritonclient_http.InferenceServerException, match="unknown model"):
            client.infer("other", [tensor])
        again = client.infer("mlp", [tensor])  # the server keeps serving
        assert again.as_numpy("probs").shape == (5, 3)
        client.close()


def test_tritonclient_sends_strings_as_bytes(text_path, live_server):
    model = tb.load_model(text_path)
    texts = np.array([["free money now"], ["lunch at noon"], ["win a prize"]], dtype=object)
    expected = model.predict(texts.astype(str), verbose=0)
    with live_server(create_app(load_runner(text_path), "text")) as (url, _):
        client = tritonclient_http.InferenceServerClient(url.removeprefix("http://"))
        assert client.get_model_metadata("text")["inputs"][0]["datatype"] == "BYTES"
        for binary in (True, False):
            tensor = tritonclient_http.InferInput("text", [3, 1], "BYTES")
            tensor.set_data_from_numpy(texts, binary_data=binary)
            result = client.infer("text", [tensor])
            np.testing.assert_allclose(result.as_numpy("scores"), expected, rtol=1e-5, atol=1e-6)
        numbers = tritonclient_http.InferInput("text", [3, 1], "FP32")
        numbers.set_data_from_numpy(np.zeros((3, 1), np.float32))
        with pytest.raises(tritonclient_http.InferenceServerException, match="BYTES"):
            client.infer("text", [numbers])
        client.close()


def _infer(data, shape=(1, 4), datatype="FP32", name="features"):
    return {"inputs": [{"name": name, "shape": list(shape), "datatype": datatype, "data": data}]}


BAD_INFERS = [
    ("non-JSON", b"{oops", 400, "not valid JSON"),
    ("no inputs", {"id": "x"}, 400, "'inputs'"),
    ("unknown input", _infer([1, 2, 3, 4], name="x"), 400, "Unexpected inference input 'x'"),
    ("missing input", {"inputs": []}, 400, "Missing input(s) ['features']"),
    ("count mismatch", _infer([1, 2, 3]), 400, "holds 3"),
    ("wrong shape", _infer([1, 2, 3], shape=(1, 3)), 400, "axis 1"),
    ("wrong datatype", _infer([1, 2, 3, 4], datatype="INT64"), 400, "expects FP32"),
    ("not a datatype", _infer([1, 2, 3, 4], datatype="FLOAT"), 400, "not a v2 datatype"),
    ("strings", _infer(["a", "b", "c", "d"]), 400, "non-numbers"),
    ("bad shape", _infer([1], shape=(-1, 4)), 400, "non-negative"),
    ("unknown output", {**_infer([1, 2, 3, 4]), "outputs": [{"name": "z"}]}, 400, "'z'"),
    ("id not string", {**_infer([1, 2, 3, 4]), "id": 3}, 400, "'id'"),
]


@pytest.mark.parametrize("what, body, status, fragment", BAD_INFERS, ids=[b[0] for b in BAD_INFERS])
def test_bad_infer_requests_get_4xx_error_bodies(mlp_path, what, body, status, fragment):
    with TestClient(create_app(load_runner(mlp_path), "mlp")) as client:
        if isinstance(body, bytes):
            r = client.post("/v2/models/mlp/infer", content=body)
        else:
            r = client.post("/v2/models/mlp/infer", json=body)
        assert r.status_code == status, r.text
        assert set(r.json()) == {"error"} and fragment in r.json()["error"]
        ok = client.post("/v2/models/mlp/versions/1/infer", json=_infer([1, 2, 3, 4]))
        assert ok.status_code == 200 and ok.json()["outputs"][0]["shape"] == [1, 3]


def test_health_and_unknown_versions(mlp_path):
    with TestClient(create_app(load_runner(mlp_path), "mlp")) as client:
        assert client.get("/v2/health/live").status_code == 200
        assert client.get("/v2/health/ready").json() == {"ready": True}
        assert client.get("/v2/models/mlp/versions/1/ready").json() == {
            "name": "mlp",
            "ready": True,
        }
        r = client.get("/v2/models/mlp/versions/3")
        assert r.status_code == 404 and "version 3" in r.json()["error"]
        assert client.get("/v2").json()["extensions"] == ["binary_tensor_data"]


def test_bytes_tensor_framing_round_trips():
    values = np.array([b"", "caf\u00e9".encode(), b"x" * 300], dtype=object)
    raw = encode_bytes_tensor(values)
    assert raw[:4] == b"\x00\x00\x00\x00" and len(raw) == 12 + 0 + 5 + 300
    assert decode_bytes_tensor(raw, 3, "t") == list(values)
    from torchbridge.serving.errors import RequestError

    with pytest.raises(RequestError, match="ends inside"):
        decode_bytes_tensor(raw[:-1], 3, "t")
    with pytest.raises(RequestError, match="declares 2 elements"):
        decode_bytes_tensor(raw, 2, "t")
