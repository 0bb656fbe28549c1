"""``RemoteMonitor``: POST each epoch's logs to an HTTP server, as Keras's callback does.

The payload is ``{"epoch": epoch, **logs}`` (NumPy and tensor scalars unwrapped), sent as
``application/json`` (``send_as_json=True``) or as a form field ``field`` holding the JSON
text (the default). Keras uses the ``requests`` package; this uses the standard library's
``urllib``, so nothing extra is needed. A server that cannot be reached gives a warning,
never a failed fit.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

import numpy as np
import torch

from torchbridge.callbacks.callback import Callback

__all__ = ["RemoteMonitor"]


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    return value


class RemoteMonitor(Callback):
    """Stream epoch-end logs to ``root + path`` with HTTP POST."""

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict[str, str] | None = None,
        send_as_json: bool = False,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        send = {"epoch": epoch, **{k: _plain(v) for k, v in (logs or {}).items()}}
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(
            self.root + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root} ({exc}).",
                stacklevel=2,
            )
