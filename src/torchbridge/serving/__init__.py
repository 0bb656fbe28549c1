"""``torchbridge.serving``: serve a saved model over HTTP (TF Serving REST + KServe v2).

* :mod:`~torchbridge.serving.runner` — :class:`ModelRunner` and
  :func:`load_runner` (a ``.keras``/``.h5``/``.torchbridge`` file or a
  TextClassifier bundle; eager or ONNX Runtime backend);
* :mod:`~torchbridge.serving.tensors` — :class:`TensorSpec` and input checks;
* :mod:`~torchbridge.serving.batching` — :class:`DynamicBatcher`;
* :mod:`~torchbridge.serving.app` — :func:`create_app` (FastAPI, imported
  lazily), :class:`ServerConfig`; protocol routes in
  :mod:`~torchbridge.serving.tfserving` and :mod:`~torchbridge.serving.kserve`;
  :mod:`~torchbridge.serving.metrics` writes ``/metrics``;
* :mod:`~torchbridge.serving.command` — ``torchbridge serve``;
* :mod:`~torchbridge.serving.predictions` — :class:`Predictor` for the Gradio
  UI (:mod:`~torchbridge.serving.ui`) and ``torchbridge predict``.

``import torchbridge`` does not import this package; importing it imports
neither FastAPI nor uvicorn.
"""

from __future__ import annotations

from torchbridge.serving.app import ModelServer, ServerConfig, create_app
from torchbridge.serving.batching import DynamicBatcher
from torchbridge.serving.runner import (
    KerasRunner,
    ModelRunner,
    TextClassifierRunner,
    load_runner,
)
from torchbridge.serving.tensors import TensorSpec

__all__ = [
    "DynamicBatcher",
    "KerasRunner",
    "ModelRunner",
    "ModelServer",
    "ServerConfig",
    "TensorSpec",
    "TextClassifierRunner",
    "create_app",
    "load_runner",
]
