"""The tf.keras 2 dialect of whole-model ``.h5`` files, brought to Keras 3's terms.

tf.keras 2 (and the ``tf_keras`` package) wrote the same HDF5 layout as Keras 3's
legacy writer, with older spellings inside. This module translates them; the
reading itself is in :mod:`.legacy_h5` and :mod:`.legacy_weights`.

* :func:`upgrade_model_config` — the ``model_config`` JSON: ``batch_input_shape``
  (an ``InputLayer``'s ``batch_shape``, another layer's ``input_shape``), one-element
  ``axis`` lists, call nodes as ``[[layer, node, tensor, kwargs]]`` lists, and the
  recurrent layers' ``time_major`` switch (only ``False`` exists in Keras 3).
  Keras 3's own legacy loader applies the first two.
* :func:`upgrade_training_config` — the ``compile`` arguments: optimizer classes
  registered as ``Custom>Adam``, the ``is_legacy_optimizer`` / ``jit_compile`` keys,
  the legacy optimizers' ``decay`` (the same rule as an ``InverseTimeDecay``
  schedule), losses with ``reduction="auto"``, metrics wrapped as
  ``MeanMetricWrapper`` (back to the name the user gave) and nested per output.
* :func:`is_tf_keras2_file` / :func:`optimizer_arrays` — optimizer weights by
  *name*: tf.keras 2 stores ``iteration:0`` and ``Adam/m/dense/kernel:0``
  (legacy optimizers: ``Adam/iter:0``, ``Adam/dense/kernel/m:0``) and no learning
  rate variable; they are matched to Keras 3's slot variables through the
  model weights' saved names.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from torchbridge.errors import SavedFormatError

__all__ = [
    "is_tf_keras2_file",
    "upgrade_model_config",
    "upgrade_training_config",
    "optimizer_arrays",
]

_RNN_CLASSES = {"SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}


def is_tf_keras2_file(attrs: Any) -> bool:
    """Whether an HDF5 file's (or group's) attributes say tf.keras 2 (or Keras 1) wrote it."""
    version = attrs.get("keras_version", b"1") if hasattr(attrs, "get") else b"1"
    if isinstance(version, bytes):
        version = version.decode("utf-8", "replace")
    return str(version).split(".")[0] in ("1", "2")


# --- model_config ------------------------------------------------------------------------


def upgrade_model_config(config: Any) -> None:
    """In place: tf.keras 2's layer configs in Keras 3's terms (see the module docstring)."""
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        inner = item.get("config")
        if "class_name" in item and isinstance(inner, dict):
            _upgrade_layer(item["class_name"], inner)
            if isinstance(item.get("inbound_nodes"), list):
                item["inbound_nodes"] = [_upgrade_node(n) for n in item["inbound_nodes"]]
        stack.extend(item.values())


def _upgrade_layer(class_name: Any, inner: dict[str, Any]) -> None:
    shape = inner.pop("batch_input_shape", None)
    if shape is not None:
        inner.setdefault("batch_shape" if class_name == "InputLayer" else "input_shape", shape)
    axis = inner.get("axis")
    if isinstance(axis, list) and len(axis) == 1:
        inner["axis"] = int(axis[0])
    if class_name in _RNN_CLASSES and inner.pop("time_major", False):
        raise SavedFormatError(
            f"The {class_name} layer {inner.get('name')!r} was saved with time_major=True, "
            "which Keras 3 (and torchbridge) removed: rebuild it with time_major=False "
            "(inputs as (batch, time, features)) and load the weights with load_weights."
        )


def _upgrade_node(node: Any) -> Any:
    """A tf.keras 2 call node ``[[layer, node_index, tensor_index, kwargs], ...]`` in Keras 3's
    form ``{"args": [tensor or list of tensors], "kwargs": ...}``."""
    if not isinstance(node, list) or not all(isinstance(e, list) and len(e) >= 3 for e in node):
        return node
    tensors = [
        {
            "class_name": "__keras_tensor__",
            "config": {"keras_history": [str(e[0]), int(e[1]), int(e[2])]},
        }
        for e in node
    ]
    kwargs = node[0][3] if len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


# --- training_config ---------------------------------------------------------------------


def upgrade_training_config(training_config: dict[str, Any], n_outputs: int) -> dict[str, Any]:
    """A copy of tf.keras 2's ``training_config`` in Keras 3's terms."""
    out = dict(training_config)
    if isinstance(out.get("optimizer_config"), dict):
        out["optimizer_config"] = _upgrade_optimizer(out["optimizer_config"])
    out["loss"] = _upgrade_losses(out.get("loss"))
    for key in ("metrics", "weighted_metrics"):
        metrics = _upgrade_metrics(out.get(key))
        nested = isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list)
        if n_outputs == 1 and nested:  # tf.keras 2 nests the metrics per output
            metrics = metrics[0]
        out[key] = metrics
    return out


def _upgrade_optimizer(config: dict[str, Any]) -> dict[str, Any]:
    from torchbridge.optimizers.resolve import OPTIMIZERS

    out = dict(config)
    name = str(out.get("class_name", ""))
    if name.startswith("Custom>") and name[len("Custom>") :].lower() in OPTIMIZERS:
        out["class_name"] = name[len("Custom>") :]  # tf_keras registers its own under Custom>
    inner = dict(out.get("config") or {})
    for key in ("is_legacy_optimizer", "jit_compile"):
        inner.pop(key, None)
    decay = inner.pop("decay", None)
    if decay:  # legacy optimizers: lr / (1 + decay * iterations)
        rate = inner.get("learning_rate", 0.001)
        if isinstance(rate, dict):
            raise SavedFormatError(
                "The saved legacy optimizer combines a learning-rate schedule with decay="
                f"{decay}, which Keras 3 removed: compile the loaded model again yourself."
            )
        inner["learning_rate"] = {
            "module": "keras.optimizers.schedules",
            "class_name": "InverseTimeDecay",
            "config": {"initial_learning_rate": rate, "decay_steps": 1, "decay_rate": decay},
            "registered_name": None,
        }
    out["config"] = inner
    return out


def _upgrade_losses(loss: Any) -> Any:
    if isinstance(loss, list):
        return [_upgrade_losses(item) for item in loss]
    if not isinstance(loss, dict):
        return loss
    if "class_name" not in loss:
        return {key: _upgrade_losses(value) for key, value in loss.items()}
    inner = dict(loss.get("config") or {})
    if inner.get("reduction") == "auto":
        inner["reduction"] = "sum_over_batch_size"
    if loss["class_name"] != "LossFunctionWrapper":
        inner.pop("fn", None)  # tf.keras 2 lists the wrapped function of built-in losses too
    return {**loss, "config": inner}


def _upgrade_metrics(metrics: Any) -> Any:
    if isinstance(metrics, list):
        return [_upgrade_metrics(item) for item in metrics]
    if not isinstance(metrics, dict):
        return metrics
    if "class_name" not in metrics:
        return {key: _upgrade_metrics(value) for key, value in metrics.items()}
    inner = metrics.get("config") or {}
    if metrics["class_name"] == "MeanMetricWrapper" and isinstance(inner.get("fn"), str):
        return _metric_name(str(inner.get("name", "")), inner["fn"])
    return metrics


def _metric_name(name: str, fn: str) -> str:
    """What the user passed to compile: the metric's name when it resolves ("acc",
    "accuracy", "mae"), else the wrapped function's name."""
    from torchbridge import metrics

    if name in ("accuracy", "acc", "crossentropy", "ce"):
        return name
    try:
        metrics.get(name)
    except (ValueError, TypeError, KeyError):
        return fn
    return name


# --- optimizer weights -------------------------------------------------------------------

# Keras 3 slot (as torchbridge keeps it in torch's state) -> the names tf.keras 2 gave it.
_SLOT_NAMES = {
    "exp_avg": ("m",),
    "exp_avg_sq": ("v",),
    "max_exp_avg_sq": ("vhat",),
    "momentum_buffer": ("m", "momentum"),
    "square_avg": ("velocity", "rms"),
    "grad_avg": ("average_gradient", "mg"),
    "momentum": ("m", "momentum"),
    "accumulator": ("accumulator",),
    "linear": ("linear",),
}
_ITERATION = re.compile(r"^(?:[^/]+/)?iter(?:ation|ations)?(?::\d+)?$")


def _strip(name: str) -> str:
    return re.sub(r":\d+$", "", name)


def optimizer_arrays(
    optimizer: Any,
    model: Any,
    names: list[str],
    datasets: list[Any],
    variable_names: dict[int, str],
) -> list[Any] | None:
    """The file's optimizer datasets in Keras 3's variable order (``iterations``, the
    learning rate, the slots), ready for :func:`.optimizer_h5.load_keras_variables`, or None
    when some slot has no dataset (the caller then skips the state, as Keras does).

    ``variable_names``: ``id(model weight tensor) -> its saved name`` (``dense/kernel``).
    """
    from torchbridge.saving.keras_format import optimizer_h5

    by_name = {_strip(n): ds for n, ds in zip(names, datasets)}
    iterations = [ds for n, ds in by_name.items() if _ITERATION.match(n)]
    if len(iterations) != 1:
        return None
    prefix = f"{names[0].split('/')[0]}/" if "/" in names[0] else ""
    if not prefix:
        prefix = next((f"{n.split('/')[0]}/" for n in by_name if "/" in n), "")
    n_scalars, order = optimizer_h5.slot_layout(optimizer, model)
    out: list[Any] = [iterations[0]]
    if n_scalars == 2:
        out.append(np.asarray(float(optimizer.learning_rate), dtype=np.float32))
    for (key, _, _), weight in order:
        variable = variable_names.get(id(weight.tensor))
        candidates = [f"{prefix}{slot}/{variable}" for slot in _SLOT_NAMES.get(key, ())] + [
            f"{prefix}{variable}/{slot}" for slot in _SLOT_NAMES.get(key, ())
        ]
        found = next((by_name[c] for c in candidates if variable and c in by_name), None)
        if found is None:
            return None
        out.append(found)
    return out
