"""``torchbridge serve``: the CLI end to end in a subprocess (serve, answer, SIGTERM, exit 0, JSON
log lines) and its usage/load errors (exit 2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

import torchbridge as tb
from torchbridge.cli import COMMANDS
from torchbridge.cli import main as cli_main
from torchbridge.serving.command import _default_name, main


def test_registered_in_the_cli_and_usage_errors_exit_2(tmp_path, capsys):
    assert COMMANDS["serve"] == "torchbridge.serving.command:main"
    assert cli_main(["serve", str(tmp_path / "missing.keras")]) == 2
    assert "No model at" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["x.keras", "--backend", "tpu"]) == 2
    assert main([str(tmp_path), "--max-batch-size", "0"]) == 2
    assert _default_name("/a/b/text_cnn.keras") == "text_cnn"
    assert _default_name("/a/bundle/") == "bundle"


@pytest.mark.slow  # a fresh interpreter imports torch
def test_serve_subprocess_answers_then_shuts_down_on_sigterm(mlp_path, free_port_number):
    port = free_port_number
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "torchbridge",
            "serve",
            mlp_path,
            "--port",
            str(port),
            "--name",
            "m",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v2/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        x = np.ones((2, 4), np.float32)
        r = httpx.post(f"{url}/v1/models/m:predict", json={"instances": x.tolist()})
        expected = tb.load_model(mlp_path).predict(x, verbose=0)
        np.testing.assert_allclose(r.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see the signal
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err
    logs = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [(e["path"], e["status"]) for e in logs][-2:] == [
        ("/v2/health/ready", 200),
        ("/v1/models/m:predict", 200),
    ]
    assert "KServe /v2/models/m/infer" in err


def test_ui_flag_hands_the_loaded_runner_to_launch_ui(mlp_path, monkeypatch):
    from torchbridge.serving import ui

    calls = []

    def fake_launch_ui(model, **kwargs):
        calls.append((model, kwargs))

    monkeypatch.setattr(ui, "launch_ui", fake_launch_ui)
    assert main([mlp_path, "--ui", "--port", "7861", "--name", "demo"]) == 0
    [(runner, kwargs)] = calls
    assert runner.inputs[0].name == "features"
    assert kwargs == {"host": "127.0.0.1", "port": 7861, "title": "demo"}
