"""``RemoteMonitor`` posts each epoch's logs as Keras's does (same body, same content type)."""

from __future__ import annotations

import http.server
import threading
import urllib.parse

import numpy as np
import pytest

import torchbridge as tb


@pytest.fixture()
def server():
    received: list[tuple[str, str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def _fit(lib, root, **kwargs):
    model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), "float32")
    model.fit(
        x, x[:, :1], epochs=2, verbose=0, callbacks=[lib.callbacks.RemoteMonitor(root, **kwargs)]
    )


@pytest.mark.parametrize(
    "kwargs", [{}, {"send_as_json": True}, {"field": "f", "path": "/p/"}], ids=str
)
def test_posts_like_keras(server, kwargs):
    root, received = server
    _fit(tb, root, **kwargs)
    ours = list(received)
    assert len(ours) == 2
    path, ctype, body = ours[0]
    assert path == kwargs.get("path", "/publish/epoch/end/")
    if kwargs.get("send_as_json"):
        assert ctype == "application/json"
        assert body.startswith('{"epoch": 0, "loss": ')
    else:
        form = urllib.parse.parse_qs(body)
        assert list(form) == [kwargs.get("field", "data")]
    pytest.importorskip("requests")
    keras = pytest.importorskip("keras")
    received.clear()
    _fit(keras, root, **kwargs)
    assert [(p, c.split(";")[0]) for p, c, _ in received] == [(p, c) for p, c, _ in ours]
    key = lambda b: sorted(urllib.parse.parse_qs(b)) if not kwargs.get("send_as_json") else b[:20]  # noqa: E731
    assert [key(b) for *_, b in received] == [key(b) for *_, b in ours]


def test_unreachable_server_warns():
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        _fit(tb, "http://127.0.0.1:9")
