"""TF Serving's REST API: predict (row and columnar, named inputs), classify/regress, status,
metadata and the error bodies, compared with ``model.predict``."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from starlette.testclient import TestClient

import torchbridge as tb
from torchbridge.serving import ServerConfig, create_app, load_runner


@pytest.fixture(scope="module")
def mlp(mlp_path):
    return tb.load_model(mlp_path)


@pytest.fixture
def client(mlp_path):
    app = create_app(load_runner(mlp_path), "mlp", ServerConfig(max_batch_size=8))
    with TestClient(app) as c:
        yield c


def test_predict_row_and_columnar_formats_match_model_predict(client, mlp, rows):
    expected = mlp.predict(rows, verbose=0)
    for url in ("/v1/models/mlp:predict", "/v1/models/mlp/versions/1:predict"):
        r = client.post(url, json={"instances": rows.tolist()})
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
    for body in (
        {"inputs": rows.tolist()},
        {"inputs": {"features": rows.tolist()}, "signature_name": "serving_default"},
    ):
        r = client.post("/v1/models/mlp:predict", json=body)
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["outputs"], expected, rtol=1e-5, atol=1e-6)
    named = client.post(
        "/v1/models/mlp:predict", json={"instances": [{"features": row} for row in rows.tolist()]}
    )
    np.testing.assert_allclose(named.json()["predictions"], expected, rtol=1e-5, atol=1e-6)


def test_classify_regress_status_and_metadata(client, mlp, rows):
    expected = mlp.predict(rows[:2], verbose=0)
    r = client.post(
        "/v1/models/mlp:classify", json={"examples": [{"features": x} for x in rows[:2].tolist()]}
    )
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert [[label for label, _ in ex] for ex in result] == [["0", "1", "2"]] * 2
    np.testing.assert_allclose([[s for _, s in ex] for ex in result], expected, rtol=1e-5)
    r = client.post("/v1/models/mlp:regress", json={"examples": [{"features": [0, 0, 0, 0]}]})
    assert r.status_code == 400 and "no regress signature" in r.json()["error"]
    assert client.get("/v1/models/mlp").json() == {
        "model_version_status": [
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }
    meta = client.get("/v1/models/mlp/versions/1/metadata").json()
    assert meta["model_spec"] == {"name": "mlp", "signature_name": "", "version": "1"}
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert sig["inputs"]["features"]["dtype"] == "DT_FLOAT"
    assert sig["inputs"]["features"]["tensor_shape"]["dim"] == [
        {"size": "-1", "name": ""},
        {"size": "4", "name": ""},
    ]
    assert sig["outputs"]["probs"]["tensor_shape"]["dim"][1]["size"] == "3"


def test_named_inputs_and_several_outputs(two_input_path):
    model = tb.load_model(two_input_path)
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    b = np.ones((2, 2), np.float32)
    score, probs = model.predict([a, b], verbose=0)
    with TestClient(create_app(load_runner(two_input_path), "two")) as client:
        rows = client.post(
            "/v1/models/two:predict",
            json={"instances": [{"a": x, "b": y} for x, y in zip(a.tolist(), b.tolist())]},
        ).json()["predictions"]
        np.testing.assert_allclose([p["score"] for p in rows], score, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose([p["probs"] for p in rows], probs, rtol=1e-5, atol=1e-6)
        cols = client.post(
            "/v1/models/two:predict", json={"inputs": {"a": a.tolist(), "b": b.tolist()}}
        ).json()["outputs"]
        np.testing.assert_allclose(cols["score"], score, rtol=1e-5, atol=1e-6)
        regress = client.post(
            "/v1/models/two:regress", json={"examples": [{"a": [0, 0, 0], "b": [0, 0]}]}
        )
        assert regress.status_code == 400  # two outputs: no single regression head
        missing = client.post("/v1/models/two:predict", json={"inputs": {"a": a.tolist()}})
        assert missing.status_code == 400 and "missing input(s) ['b']" in missing.json()["error"]
        extra = client.post(
            "/v1/models/two:predict", json={"instances": [{"a": [1, 2, 3], "b": [1, 2], "c": 1}]}
        )
        assert extra.status_code == 400 and "'c'" in extra.json()["error"]


BAD_REQUESTS = [
    # (description, url, raw body or json, status, fragment of the error)
    ("non-JSON", "/v1/models/mlp:predict", b"{not json", 400, "not valid JSON"),
    ("empty body", "/v1/models/mlp:predict", b"", 400, "empty"),
    ("JSON list", "/v1/models/mlp:predict", [1, 2], 400, "JSON object"),
    ("neither key", "/v1/models/mlp:predict", {"x": 1}, 400, "Missing 'inputs' or 'instances'"),
    ("both keys", "/v1/models/mlp:predict", {"instances": [], "inputs": []}, 400, "not both"),
    ("wrong width", "/v1/models/mlp:predict", {"instances": [[1, 2, 3]]}, 400, "axis 1"),
    ("wrong rank", "/v1/models/mlp:predict", {"inputs": [1, 2, 3, 4]}, 400, "shape (4,)"),
    ("ragged", "/v1/models/mlp:predict", {"instances": [[1, 2, 3, 4], [1]]}, 400, "rectangular"),
    ("strings", "/v1/models/mlp:predict", {"instances": [["a", "b", "c", "d"]]}, 400, "numbers"),
    ("empty rows", "/v1/models/mlp:predict", {"instances": []}, 400, "non-empty"),
    ("unknown input", "/v1/models/mlp:predict", {"inputs": {"x": [[1, 2, 3, 4]]}}, 400, "'x'"),
    ("signature", "/v1/models/mlp:predict", {"signature_name": "s", "inputs": [[1]]}, 400, '"s"'),
    ("bad b64", "/v1/models/mlp:predict", {"instances": [{"b64": "%%%"}]}, 400, "base64"),
    (
        "unknown model",
        "/v1/models/nope:predict",
        {"instances": [[1, 2, 3, 4]]},
        404,
        "Latest(nope)",
    ),
    (
        "unknown version",
        "/v1/models/mlp/versions/7:predict",
        {"instances": [[1, 2, 3, 4]]},
        404,
        "Specific(mlp, 7)",
    ),
    ("unknown status", "/v1/models/other", None, 404, "Latest(other)"),
    ("unknown verb", "/v1/models/mlp:explain", {}, 405, ""),
    ("classify no examples", "/v1/models/mlp:classify", {"examples": []}, 400, "examples"),
]


@pytest.mark.parametrize(
    "what, url, body, status, fragment", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS]
)
def test_bad_requests_get_4xx_error_bodies_and_the_server_keeps_serving(
    client, what, url, body, status, fragment
):
    if body is None:
        r = client.get(url)
    elif isinstance(body, bytes):
        r = client.post(url, content=body, headers={"content-type": "application/json"})
    else:
        r = client.post(url, json=body)
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"} and fragment in r.json()["error"]
    ok = client.post("/v1/models/mlp:predict", json={"instances": [[0, 0, 0, 0]]})
    assert ok.status_code == 200


def test_raw_text_model_takes_strings_and_b64(text_path):
    model = tb.load_model(text_path)
    texts = ["free money now", "see you at lunch"]
    expected = model.predict(np.array(texts).reshape(-1, 1), verbose=0)
    with TestClient(create_app(load_runner(text_path), "text")) as client:
        plain = client.post("/v1/models/text:predict", json={"instances": texts})
        assert plain.status_code == 200, plain.text
        np.testing.assert_allclose(plain.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
        b64 = [{"b64": base64.b64encode(t.encode()).decode()} for t in texts]
        encoded = client.post("/v1/models/text:predict", json={"instances": b64})
        np.testing.assert_allclose(encoded.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
        classify = client.post(
            "/v1/models/text:classify", json={"examples": [{"text": t} for t in texts]}
        )
        assert classify.status_code == 200
        numbers = client.post("/v1/models/text:predict", json={"instances": [1.5, 2.5]})
        assert numbers.status_code == 400 and "takes strings" in numbers.json()["error"]
