"""The tf.keras 2 dialect of whole-model ``.h5`` files, brought to Keras 3's terms.

tf.keras 2 (and the ``tf_keras`` package) wrote the same HDF5 layout as Keras 3's
legacy writer, with older spellings inside. This module translates them; the
reading itself is in :mod:`.legacy_h5` and :mod:`.legacy_weights`.

* :func:`upgrade_model_config` — the ``model_config`` JSON: ``batch_input_shape``
  (an ``InputLayer``'s ``batch_shape``, the first layer's ``input_shape`` in a
  Sequential; dropped elsewhere, where it meant nothing), one-element ``axis`` lists,
  call nodes as ``[[layer, node, tensor, kwargs]]`` lists (a nested model that starts
  with an ``InputLayer`` counted its built-in node first: tf.keras's
  ``_should_skip_first_node``), ``Lambda`` functions as ``[code, defaults, closure]``,
  and arguments Keras 3 removed: the recurrent layers' ``time_major`` (only ``False``
  exists now), depthwise/separable convolutions' ``groups``, ``MultiHeadAttention``'s
  build shapes. Keras 3's own legacy loader applies the first two and the lambda.
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
_MODEL_CLASSES = {"Functional", "Model", "Sequential"}
# Arguments tf.keras 2 wrote that Keras 3 dropped (its defaults only).
_REMOVED = {
    "DepthwiseConv1D": ("groups",),
    "DepthwiseConv2D": ("groups",),
    "SeparableConv1D": ("groups",),
    "SeparableConv2D": ("groups",),
    "MultiHeadAttention": ("query_shape", "key_shape", "value_shape"),
    "Lambda": ("module", "function_type", "output_shape_type", "output_shape_module"),
}


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
            if item["class_name"] in _MODEL_CLASSES and isinstance(inner.get("layers"), list):
                _upgrade_model_layers(item["class_name"], inner)
            _upgrade_layer(item["class_name"], inner)
        stack.extend(item.values())


def _starts_with_input(entry: Any) -> bool:
    inner = entry.get("config") if isinstance(entry, dict) else None
    layers = inner.get("layers") if isinstance(inner, dict) else None
    return (
        entry.get("class_name") in _MODEL_CLASSES
        and isinstance(layers, list)
        and bool(layers)
        and isinstance(layers[0], dict)
        and layers[0].get("class_name") == "InputLayer"
    )


def _entry_name(entry: dict[str, Any]) -> str:
    config = entry.get("config")
    return str(entry.get("name") or (config.get("name") if isinstance(config, dict) else ""))


def _upgrade_model_layers(class_name: str, inner: dict[str, Any]) -> None:
    """A model's own layer list: ``batch_input_shape`` where it meant nothing, and node
    indices of nested models that have a built-in first node."""
    layers = [e for e in inner["layers"] if isinstance(e, dict)]
    for k, entry in enumerate(layers):
        config = entry.get("config")
        keeps_shape = entry.get("class_name") == "InputLayer" or (
            class_name == "Sequential" and k == 0
        )
        if isinstance(config, dict) and not keeps_shape:
            config.pop("batch_input_shape", None)
    names = {_entry_name(e) for e in layers}
    nested = {_entry_name(e) for e in layers if _starts_with_input(e)}

    def shift(ref: Any) -> None:
        if isinstance(ref, list) and len(ref) >= 3 and isinstance(ref[0], str):
            if ref[0] in nested and isinstance(ref[1], int) and ref[1] > 0:
                ref[1] -= 1
        elif isinstance(ref, (list, dict)):
            for value in ref if isinstance(ref, list) else ref.values():
                shift(value)

    for key in ("input_layers", "output_layers"):
        shift(inner.get(key))
    for entry in layers:
        if isinstance(entry.get("inbound_nodes"), list):
            for node in entry["inbound_nodes"]:
                shift(node)
            entry["inbound_nodes"] = [_upgrade_node(n, names) for n in entry["inbound_nodes"]]


def _upgrade_layer(class_name: Any, inner: dict[str, Any]) -> None:
    shape = inner.pop("batch_input_shape", None)
    if shape is not None:
        inner.setdefault("batch_shape" if class_name == "InputLayer" else "input_shape", shape)
    axis = inner.get("axis")
    if isinstance(axis, list) and len(axis) == 1:
        inner["axis"] = int(axis[0])
    for key in _REMOVED.get(class_name, ()):
        inner.pop(key, None)
    if class_name == "MultiHeadAttention" and inner.get("softmax_robust_masking") is False:
        del inner["softmax_robust_masking"]
    if class_name == "Lambda" and isinstance(inner.get("function"), list):
        code, defaults, closure = [*inner["function"], None, None][:3]
        inner["function"] = {
            "class_name": "__lambda__",
            "config": {"code": code, "defaults": defaults, "closure": closure},
        }
    if class_name in _RNN_CLASSES and inner.pop("time_major", False):
        raise SavedFormatError(
            f"The {class_name} layer {inner.get('name')!r} was saved with time_major=True, "
            "which Keras 3 (and torchbridge) removed: rebuild it with time_major=False "
            "(inputs as (batch, time, features)) and load the weights with load_weights."
        )


def _tensor(ref: list[Any]) -> dict[str, Any]:
    history = [str(ref[0]), int(ref[1]), int(ref[2])]
    return {"class_name": "__keras_tensor__", "config": {"keras_history": history}}


def _tensor_refs(value: Any, names: set[str]) -> Any:
    """tf.keras 2 wrote tensors among call kwargs as ``[layer, node, tensor]`` lists."""
    if isinstance(value, list):
        if len(value) == 3 and value[0] in names and all(isinstance(v, int) for v in value[1:]):
            return _tensor(value)
        return [_tensor_refs(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _tensor_refs(v, names) for k, v in value.items()}
    return value


def _upgrade_node(node: Any, names: set[str]) -> Any:
    """A tf.keras 2 call node ``[[layer, node_index, tensor_index, kwargs], ...]`` in Keras 3's
    form ``{"args": [tensor or list of tensors], "kwargs": ...}``."""
    if not isinstance(node, list) or not all(isinstance(e, list) and len(e) >= 3 for e in node):
        return node
    tensors = [_tensor(e) for e in node]
    kwargs = node[0][3] if len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    args = [tensors[0] if len(tensors) == 1 else tensors]
    return {"args": args, "kwargs": _tensor_refs(kwargs, names)}


# --- training_config ---------------------------------------------------------------------


def upgrade_training_config(
    training_config: dict[str, Any], output_names: list[str]
) -> dict[str, Any]:
    """A copy of tf.keras 2's ``training_config`` in Keras 3's terms (``output_names``: the
    model's, in order)."""
    out = dict(training_config)
    if isinstance(out.get("optimizer_config"), dict):
        out["optimizer_config"] = _upgrade_optimizer(out["optimizer_config"])
    out["loss"] = _upgrade_losses(out.get("loss"))
    for key in ("metrics", "weighted_metrics"):
        metrics: Any = out.get(key)
        per_output = isinstance(metrics, list) and all(isinstance(m, list) for m in metrics)
        if per_output and len(metrics) == len(output_names) > 1:
            # tf.keras 2 named them "<output>_<metric>": the names given to compile again
            metrics = [_upgrade_metrics(m, f"{name}_") for m, name in zip(metrics, output_names)]
        else:
            metrics = _upgrade_metrics(metrics, "")
        if per_output and len(output_names) == 1 and len(metrics) == 1:
            metrics = metrics[0]  # tf.keras 2 nests them per output
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


def _upgrade_metrics(metrics: Any, prefix: str) -> Any:
    if isinstance(metrics, list):
        return [_upgrade_metrics(item, prefix) for item in metrics]
    if not isinstance(metrics, dict):
        return metrics
    if "class_name" not in metrics:
        return {key: _upgrade_metrics(value, prefix) for key, value in metrics.items()}
    inner = dict(metrics.get("config") or {})
    name = str(inner.get("name", ""))
    if prefix and name.startswith(prefix):
        inner["name"] = name = name[len(prefix) :]
    if metrics["class_name"] == "MeanMetricWrapper" and isinstance(inner.get("fn"), str):
        return _metric_name(name, inner["fn"])
    return {**metrics, "config": inner}


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
