"""The app around the protocols: size and time limits, /metrics, JSON request logs, graceful
shutdown, a schemathesis run over the OpenAPI schema and a bounded load run (concurrency 32)."""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

import torchbridge as tb
from torchbridge.serving import ServerConfig, TensorSpec, create_app, load_runner
from torchbridge.serving.app import LOGGER_NAME


class SlowRunner:
    """A stand-in model: doubles its input after ``delay`` seconds."""

    platform = "test"
    labels = None

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.inputs = [TensorSpec("x", "float32", (None, 2))]
        self.outputs = [TensorSpec("y", "float32", (None, 2))]

    def run(self, batch):
        time.sleep(self.delay)
        return {"y": batch["x"] * 2}


def test_oversized_bodies_get_413_in_each_protocols_shape(mlp_path):
    app = create_app(load_runner(mlp_path), "mlp", ServerConfig(max_body_bytes=2000))
    big = {"instances": [[0.0, 0.0, 0.0, 0.0]] * 200}
    with TestClient(app) as client:
        for url in ("/v1/models/mlp:predict", "/v2/models/mlp/infer"):
            r = client.post(url, json=big)
            assert r.status_code == 413 and "limit of 2000 bytes" in r.json()["error"]

            def chunks():  # no Content-Length: the limit is enforced while reading
                for _ in range(40):
                    yield b" " * 100

            r = client.post(url, content=chunks())
            assert r.status_code == 413 and set(r.json()) == {"error"}
        ok = client.post("/v1/models/mlp:predict", json={"instances": [[0, 0, 0, 0]]})
        assert ok.status_code == 200


def test_a_request_over_the_time_limit_gets_504_and_the_server_recovers():
    app = create_app(SlowRunner(0.3), "slow", ServerConfig(request_timeout_s=0.1))
    with TestClient(app) as client:
        r = client.post("/v1/models/slow:predict", json={"instances": [[1, 2]]})
        assert r.status_code == 504 and "within 0.1 s" in r.json()["error"]
        r = client.post(
            "/v2/models/slow/infer",
            json={"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]},
        )
        assert r.status_code == 504 and set(r.json()) == {"error"}
    app = create_app(SlowRunner(0.0), "slow", ServerConfig(request_timeout_s=5))
    with TestClient(app) as client:
        r = client.post("/v1/models/slow:predict", json={"instances": [[1, 2]]})
        assert r.json() == {"predictions": [[2.0, 4.0]]}


def test_metrics_and_one_json_log_line_per_request(mlp_path, caplog):
    app = create_app(load_runner(mlp_path), "mlp")
    with TestClient(app) as client, caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        for _ in range(3):
            client.post("/v1/models/mlp:predict", json={"instances": [[1, 2, 3, 4]] * 2})
        client.post("/v1/models/mlp:predict", json={"instances": [[1]]})
        client.get("/v2/models/nope")
        text = client.get("/metrics").text
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]
    assert [r["status"] for r in records] == [200, 200, 200, 400, 404, 200]
    assert records[0]["route"] == "/v1/models/{name}:predict" and records[0]["method"] == "POST"
    assert all(r["ms"] >= 0 and r["path"].startswith("/") for r in records)
    lines = text.splitlines()
    assert "# TYPE torchbridge_requests_total counter" in lines
    assert (
        'torchbridge_requests_total{route="/v1/models/{name}:predict",method="POST",status="200"} 3'
        in lines
    )
    assert (
        'torchbridge_requests_total{route="/v2/models/{name}",method="GET",status="404"} 1' in lines
    )
    assert "torchbridge_batch_size_sum 6" in lines and "torchbridge_batch_size_count 3" in lines
    assert 'torchbridge_batch_size_bucket{le="2"} 3' in lines
    count = 'torchbridge_request_duration_seconds_count{route="/v1/models/{name}:predict"} 4'
    assert count in lines
    assert (
        'torchbridge_request_duration_seconds_bucket{route="/v1/models/{name}:predict",le="+Inf"} 4'
        in lines
    )


def test_graceful_shutdown_lets_the_request_in_flight_finish(live_server):
    app = create_app(SlowRunner(0.5), "slow")
    results = []
    with live_server(app, timeout_graceful_shutdown=10) as (url, server):

        def call():
            results.append(
                httpx.post(
                    f"{url}/v1/models/slow:predict", json={"instances": [[1, 2]]}, timeout=10
                )
            )

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 5
        while app.state.server.metrics.inflight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.should_exit = True  # what SIGTERM does
        caller.join(10)
    assert results and results[0].status_code == 200
    assert results[0].json() == {"predictions": [[2.0, 4.0]]}


def test_load_run_concurrency_32_has_no_failed_request(text_path, live_server):
    model = tb.load_model(text_path)
    texts = ["free money now", "team lunch at noon", "win a trip", "send the report"]
    expected = model.predict(np.array(texts).reshape(-1, 1), verbose=0)
    app = create_app(load_runner(text_path), "text", ServerConfig(max_batch_size=32))
    with live_server(app) as (url, _), httpx.Client(timeout=30) as client:

        def one(i: int) -> tuple[int, list[float], float]:
            start = time.perf_counter()
            r = client.post(f"{url}/v1/models/text:predict", json={"instances": [texts[i % 4]]})
            return r.status_code, r.json()["predictions"][0], time.perf_counter() - start

        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(one, range(256)))
        metrics = client.get(f"{url}/metrics").text
    assert [s for s, _, _ in results] == [200] * 256
    for i, (_, scores, _) in enumerate(results):
        np.testing.assert_allclose(scores, expected[i % 4], rtol=1e-5, atol=1e-6)
    calls = int(
        next(
            ln for ln in metrics.splitlines() if ln.startswith("torchbridge_batch_size_count")
        ).split()[-1]
    )
    assert calls < 256  # concurrent requests were merged


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(mlp_path):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    app = create_app(load_runner(mlp_path), "mlp", ServerConfig(max_batch_size=4))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[tuple[str, str, int, str]] = []
    calls = [0]
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            # reach the model half of the time (a random name is a 404, tested above)
            if case.method == "POST" and case.path_parameters and calls[0] % 2 == 0:
                case.path_parameters["name"] = "mlp"
                if "version" in case.path_parameters:
                    case.path_parameters["version"] = "1"
            calls[0] += 1
            response = case.call()
            if response.status_code >= 500:
                failures.append(
                    (case.method, case.formatted_path, response.status_code, response.text)
                )

        check()
    assert calls[0] > 100
    assert failures == []
