"""A saved model or a text-classifier bundle seen as one thing that predicts: :class:`Predictor`.

The Gradio UI (:mod:`torchbridge.serving.ui`) and ``torchbridge predict`` /
``evaluate`` (:mod:`torchbridge.predict_command`) need the same few facts about
what they were given, whichever it is (a Keras model, a ``.keras`` / ``.h5`` /
``.torchbridge`` file, an :class:`~torchbridge.hf.TextClassifier` or its saved
folder):

* ``kind``: ``"text"`` (raw strings in: a bundle, or a Keras model whose input
  is a string tensor) or ``"numeric"`` (one row of ``input_width`` numbers per
  example, reshaped to the model's input shape);
* ``predict(batch)``: the model's outputs for a list of texts or rows, as a
  NumPy array (a bundle gives its class probabilities);
* ``label_names`` / ``labels(outputs)``: for a classifier (a bundle, or a Keras
  model whose last layer ends in softmax or sigmoid), each output row as the
  best label, its score and every label's score. Class names come from the
  bundle, else from ``label_names=``, else the class indices.

Single-input, single-output Keras models only; a model with several inputs or
outputs is refused with an error that points at ``torchbridge serve``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from torchbridge.errors import InputError

__all__ = ["Predictor", "RunnerModel", "as_predictor", "load_model_or_bundle"]

_SCORE_ACTIVATIONS = ("softmax", "sigmoid")


def load_model_or_bundle(path: str | os.PathLike[str]) -> Any:
    """A saved model file with its compile state (``load_model``) or a ``TextClassifier`` folder."""
    path = os.fspath(path)
    if os.path.isdir(path):
        from torchbridge.hf import TextClassifier

        return TextClassifier.load(path)
    if not os.path.isfile(path):
        raise InputError(
            f"No model at {path!r}: pass a .keras, .h5 or .torchbridge file, or the folder "
            "written by torchbridge.hf.TextClassifier.save()."
        )
    from torchbridge.models.loading import load_model

    return load_model(path)


def _is_bundle(obj: Any) -> bool:
    return type(obj).__name__ == "TextClassifier" and hasattr(obj, "predict_proba")


def _activation_name(layer: Any) -> str | None:
    """``"softmax"`` / ``"sigmoid"`` when ``layer`` ends in that activation, else ``None``."""
    name = type(layer).__name__.lower()
    if name in _SCORE_ACTIVATIONS:  # a Softmax layer
        return name
    activation = getattr(layer, "activation", None)
    if isinstance(activation, str):
        found = activation.lower()
    else:
        found = str(getattr(activation, "__name__", "")).lower()
    return found if found in _SCORE_ACTIVATIONS else None


class Predictor:
    """What the UI and the command line need from a model: see the module docstring.

    Args:
        model: a Keras model (torchbridge) or a ``TextClassifier`` bundle.
        label_names: class names of a Keras classifier (index = class id);
            ignored for a bundle, which has its own.
    """

    def __init__(self, model: Any, label_names: Sequence[str] | None = None) -> None:
        self.model = model
        self.is_bundle = _is_bundle(model)
        self.activation: str | None
        self.input_shape: tuple[int, ...] = ()
        if self.is_bundle:
            self.kind = "text"
            self.activation = model._function(None)
            if self.activation == "none":
                self.activation = None
            self.label_names: list[str] | None = list(model.label_names)
            self.num_outputs = len(self.label_names)
            self.input_width: int | None = None
            return
        inputs = getattr(model, "inputs", None)
        outputs = getattr(model, "outputs", None)
        if not inputs or not outputs:
            raise InputError(
                f"{type(model).__name__} {getattr(model, 'name', '')!r} has no known inputs: "
                "build it with keras.Input (a functional model, or Sequential starting with "
                "keras.Input(shape=...)) or load a saved model."
            )
        if len(inputs) != 1 or len(outputs) != 1:
            raise InputError(
                f"Model {model.name!r} has {len(inputs)} inputs and {len(outputs)} outputs; the "
                "UI and `torchbridge predict` take one input and one output. Serve it with "
                "`torchbridge serve MODEL`, whose REST API takes named inputs."
            )
        spec = inputs[0]
        shape = tuple(spec.shape[1:])
        self.kind = "text" if str(spec.dtype) == "string" else "numeric"
        self.input_shape = tuple(int(d) if d is not None else -1 for d in shape)
        if self.kind == "numeric":
            if any(d is None for d in shape):
                raise InputError(
                    f"Model {model.name!r} takes inputs of shape {spec.shape} with unknown "
                    "dimensions; give the input a full shape, e.g. keras.Input(shape=(4,))."
                )
            self.input_width = int(np.prod(shape)) if shape else 1
        else:
            if any(d not in (None, 1) for d in shape):
                raise InputError(
                    f"Model {model.name!r} takes strings of shape {spec.shape}; one text per "
                    "example (shape (None,) or (None, 1)) is supported here."
                )
            self.input_width = None
        out_shape = tuple(outputs[0].shape[1:])
        self.num_outputs = int(np.prod(out_shape)) if None not in out_shape else 0
        if isinstance(model, RunnerModel):
            self.activation = "softmax" if model.labels else None  # probabilities out
        else:
            self.activation = _activation_name(model.layers[-1]) if model.layers else None
        self.label_names = None
        if self.activation is not None and len(out_shape) == 1:
            n = out_shape[0]
            if self.activation == "sigmoid" and n == 1:
                default = ["0", "1"]
            else:
                default = [str(i) for i in range(n)]
            if label_names is not None:
                names = [str(x) for x in label_names]
                if len(names) != len(default):
                    raise InputError(
                        f"label_names has {len(names)} names but model {model.name!r} "
                        f"scores {len(default)} classes; give one name per class."
                    )
                default = names
            self.label_names = default
        elif self.activation is not None:
            self.activation = None

    @property
    def is_classifier(self) -> bool:
        return self.label_names is not None

    def to_input(self, batch: Sequence[Any]) -> Any:
        """The array the Keras model takes for ``batch`` (texts or rows of numbers)."""
        if self.kind == "text":
            texts = np.asarray([str(t) for t in batch], dtype=object)
            return texts.reshape((len(texts), *self.input_shape))
        rows = np.asarray(batch, dtype="float32")
        width = self.input_width or 1
        if rows.ndim != 2 or rows.shape[1] != width:
            got = rows.shape[1] if rows.ndim == 2 else rows.shape
            raise InputError(
                f"Model {self.model.name!r} takes {width} numbers per example (input shape "
                f"{self.input_shape}), got rows of {got}."
            )
        return rows.reshape((len(rows), *self.input_shape))

    def predict(self, batch: Sequence[Any]) -> np.ndarray:
        """Outputs for a list of texts or numeric rows (a bundle: class probabilities)."""
        if self.is_bundle:
            return np.asarray(self.model.predict_proba(list(batch), batch_size=max(len(batch), 1)))
        x = self.to_input(batch)
        return np.asarray(self.model.predict(x, batch_size=max(len(x), 1), verbose=0))

    def scores(self, outputs: np.ndarray) -> np.ndarray:
        """One score per class name and example (a one-unit sigmoid becomes ``[1-p, p]``)."""
        outputs = np.asarray(outputs, dtype="float64").reshape(len(outputs), -1)
        if self.label_names is not None and len(self.label_names) == 2 and outputs.shape[1] == 1:
            return np.concatenate([1.0 - outputs, outputs], axis=1)
        return outputs

    def labels(self, outputs: np.ndarray) -> list[dict[str, Any]]:
        """``{"label", "score", "scores"}`` per example of a classifier's ``outputs``."""
        if self.label_names is None:
            raise InputError("labels() needs a classifier (softmax/sigmoid output or a bundle).")
        names = self.label_names
        result = []
        for row in self.scores(outputs):
            best = int(np.argmax(row))
            result.append(
                {
                    "label": names[best],
                    "score": float(row[best]),
                    "scores": {n: float(s) for n, s in zip(names, row)},
                }
            )
        return result


def as_predictor(model: Any, label_names: Sequence[str] | None = None) -> Predictor:
    """A :class:`Predictor` for a model, a bundle, a saved path, a serving runner or a Predictor.

    A path is loaded by :func:`torchbridge.serving.runner.load_runner` (without the
    compile state; use :func:`load_model_or_bundle` to keep it).
    """
    if isinstance(model, Predictor):
        return model
    if isinstance(model, (str, os.PathLike)):
        try:
            from torchbridge.serving.runner import load_runner
        except ImportError:  # the server's runner module is not there (yet)
            model = load_model_or_bundle(model)
        else:
            model = load_runner(model)
    if not _is_bundle(model) and hasattr(model, "run") and hasattr(model, "inputs"):
        # a serving runner: the model (or bundle) it holds, and its class names; a runner
        # without one (ONNX Runtime) is called through its run()
        if label_names is None:
            label_names = getattr(model, "labels", None)
        held = getattr(model, "classifier", None) or getattr(model, "model", None)
        model = held if held is not None else RunnerModel(model)
    return Predictor(model, label_names)


class RunnerModel:
    """A serving runner (``inputs`` / ``outputs`` specs, ``labels``, ``run``) with the few
    attributes of a Keras model that :class:`Predictor` reads; its outputs are class
    probabilities when the runner has ``labels``."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.inputs = list(runner.inputs)
        self.outputs = list(runner.outputs)
        self.labels = getattr(runner, "labels", None)
        self.name = type(runner).__name__
        self.layers: list[Any] = []

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = 0) -> np.ndarray:
        result = self.runner.run({self.inputs[0].name: x})
        return np.asarray(result[self.outputs[0].name])
