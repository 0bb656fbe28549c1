"""Shared fixtures of the serving tests: tiny saved models and a live server on loopback.

* ``mlp_path`` — a 4 -> 8 -> 3 softmax MLP saved as ``.keras`` (input ``features``);
* ``text_path`` — a raw-text CNN (``TextVectorization`` -> Embedding -> Conv1D ->
  pooling -> softmax) saved as ``.keras`` (string input ``text``);
* ``two_input_path`` — a model with named inputs ``a`` (3,) and ``b`` (2,) and two outputs;
* ``live_server(app)`` — a context manager that runs an app under uvicorn on a free 127.0.0.1 port in a thread
  and yields its base URL; leaving the block shuts it down gracefully.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

import torchbridge as tb

TEXTS = [
    "free money now click here",
    "meeting notes for the review",
    "win a free trip today",
    "please send the report",
    "cheap pills discount offer",
    "lunch with the team at noon",
]


@pytest.fixture(scope="session")
def mlp_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    tb.utils.set_random_seed(1)
    inp = tb.Input(shape=(4,), name="features")
    hidden = tb.layers.Dense(8, activation="relu")(inp)
    out = tb.layers.Dense(3, activation="softmax", name="probs")(hidden)
    path = str(tmp_path_factory.mktemp("models") / "mlp.keras")
    tb.Model(inp, out).save(path)
    return path


@pytest.fixture(scope="session")
def text_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    tb.utils.set_random_seed(2)
    vectorize = tb.layers.TextVectorization(max_tokens=64, output_sequence_length=8)
    vectorize.adapt(TEXTS)
    inp = tb.Input(shape=(1,), dtype="string", name="text")
    x = vectorize(inp)
    x = tb.layers.Embedding(64, 8)(x)
    x = tb.layers.Conv1D(6, 3, activation="tanh")(x)
    x = tb.layers.GlobalMaxPooling1D()(x)
    out = tb.layers.Dense(2, activation="softmax", name="scores")(x)
    path = str(tmp_path_factory.mktemp("models") / "text_cnn.keras")
    tb.Model(inp, out).save(path)
    return path


@pytest.fixture(scope="session")
def two_input_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    tb.utils.set_random_seed(3)
    a = tb.Input(shape=(3,), name="a")
    b = tb.Input(shape=(2,), name="b")
    merged = tb.layers.Concatenate()([a, b])
    score = tb.layers.Dense(1, name="score")(merged)
    probs = tb.layers.Dense(2, activation="softmax", name="probs")(merged)
    path = str(tmp_path_factory.mktemp("models") / "two.keras")
    tb.Model([a, b], [score, probs]).save(path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: object, **config: object) -> Iterator[tuple[str, object]]:
    """``(base_url, uvicorn.Server)`` of ``app`` served on loopback in a thread."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            **config,  # type: ignore[arg-type]
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(20)


@pytest.fixture
def free_port_number() -> int:
    return free_port()


@pytest.fixture
def live_server():  # type: ignore[no-untyped-def]
    """``live_server(app, **uvicorn_config)``: a context manager giving ``(base_url, server)``."""
    return serve_in_thread


@pytest.fixture
def rows() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
