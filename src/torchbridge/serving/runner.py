"""Model runners: one saved model behind one small interface the server calls.

* :class:`ModelRunner` — the protocol: ``inputs`` / ``outputs``
  (:class:`~torchbridge.serving.tensors.TensorSpec` lists, batch axis first),
  ``labels`` (class names, or ``None``), ``platform`` and ``run(batch)``:
  a dict of input arrays with a shared first axis in, a dict of output
  arrays with the same first axis out.
* :class:`KerasRunner` — a torchbridge/Keras model (``.keras``, ``.h5``,
  ``.torchbridge``): its ``inputs`` give the signature (string inputs for
  raw-text models such as a ``TextVectorization`` front end); runs in eval
  mode under ``torch.inference_mode``.
* :class:`TextClassifierRunner` — an :class:`torchbridge.hf.TextClassifier`
  bundle folder: one string input ``text``, one output ``probabilities``
  (one column per label name; the names of its ONNX export).
* :func:`load_runner` — picks the runner for a path and a backend
  (``"eager"``, or ``"onnx"``: :mod:`torchbridge.serving.onnx_runner`).
"""

from __future__ import annotations

import os
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.serving.tensors import TensorSpec

__all__ = ["ModelRunner", "KerasRunner", "TextClassifierRunner", "load_runner", "BACKENDS"]

BACKENDS = ("eager", "onnx")
_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".torchbridge")


@runtime_checkable
class ModelRunner(Protocol):
    """What the server needs from a model."""

    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    labels: list[str] | None
    platform: str

    def run(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs for a batch of inputs (every array shares its first axis)."""
        ...


def _shape(shape: Any) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in shape)


def _dtype_name(dtype: Any) -> str:
    name = str(dtype).replace("torch.", "")
    return "string" if name in ("string", "str", "object") else name


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.cpu().numpy()
    return np.asarray(value)


class KerasRunner:
    """Serves a torchbridge model whose inputs are known (a Functional or built Sequential)."""

    platform = "torchbridge_eager"

    def __init__(self, model: Any, labels: list[str] | None = None) -> None:
        model_inputs = getattr(model, "inputs", None)
        model_outputs = getattr(model, "outputs", None)
        if not model_inputs or not model_outputs:
            raise InputError(
                f"Cannot serve {type(model).__name__}: it has no known inputs/outputs to describe. "
                "Build it from keras.Input(...) (a Functional model or a Sequential that starts "
                "with an Input) and save it again."
            )
        names = [str(getattr(t, "name", f"input_{i}")) for i, t in enumerate(model_inputs)]
        self.inputs = [
            TensorSpec(n, _dtype_name(t.dtype), _shape(t.shape))
            for n, t in zip(names, model_inputs)
        ]
        out_names = list(getattr(model, "output_names", None) or [])
        if len(out_names) != len(model_outputs):
            out_names = [f"output_{i}" for i in range(len(model_outputs))]
        self.outputs = [
            TensorSpec(n, _dtype_name(t.dtype), _shape(t.shape))
            for n, t in zip(out_names, model_outputs)
        ]
        self.labels = labels
        self.model = model
        if isinstance(model, torch.nn.Module):
            model.eval()

    def run(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        args = [batch[spec.name] for spec in self.inputs]
        with torch.inference_mode():
            result = self.model(args[0] if len(args) == 1 else args, training=False)
        if isinstance(result, dict):
            values = [result[spec.name] for spec in self.outputs]
        elif isinstance(result, (list, tuple)):
            values = list(result)
        else:
            values = [result]
        return {spec.name: _to_numpy(v) for spec, v in zip(self.outputs, values)}


class TextClassifierRunner:
    """Serves a ``torchbridge.hf.TextClassifier``: texts in, label probabilities out."""

    platform = "torchbridge_eager"

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier
        self.labels: list[str] | None = list(classifier.label_names)
        self.inputs = [TensorSpec("text", "string", (None,))]
        self.outputs = [TensorSpec("probabilities", "float32", (None, len(classifier.label_names)))]

    def run(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in np.asarray(batch["text"]).reshape(-1).tolist()]
        scores = self.classifier.predict_proba(texts, batch_size=max(len(texts), 1))
        return {"probabilities": np.asarray(scores, dtype=np.float32)}


def _is_bundle(path: str) -> bool:
    return os.path.isdir(path) and (
        os.path.exists(os.path.join(path, "torchbridge.json"))
        or os.path.exists(os.path.join(path, "config.json"))
    )


def load_runner(path: str | os.PathLike[str], backend: str = "eager") -> ModelRunner:
    """The runner for a saved model file or a TextClassifier bundle folder.

    ``backend="onnx"`` runs the model's ONNX export in ONNX Runtime
    (:func:`torchbridge.serving.onnx_runner.load_onnx_runner`).
    """
    path = os.fspath(path)
    if backend not in BACKENDS:
        raise InputError(f"backend={backend!r} is not one of {list(BACKENDS)}.")
    if not os.path.exists(path):
        raise InputError(
            f"No model at {path!r}: pass a .keras/.h5/.torchbridge file or a TextClassifier "
            "bundle folder."
        )
    if backend == "onnx":
        from torchbridge.serving.onnx_runner import load_onnx_runner

        return load_onnx_runner(path)
    if _is_bundle(path):
        from torchbridge.hf import TextClassifier

        return TextClassifierRunner(TextClassifier.load(path))
    if path.endswith(".onnx"):
        raise InputError(
            f"{path!r} is an ONNX file: serve it with backend='onnx' (--backend onnx)."
        )
    if path.endswith(_MODEL_SUFFIXES):
        from torchbridge.models.loading import load_model

        return KerasRunner(load_model(path, compile=False))
    raise InputError(
        f"Cannot serve {path!r}: expected a .keras, .h5 or .torchbridge model file or a "
        "TextClassifier bundle folder (with config.json / torchbridge.json)."
    )
