"""Reading whole-model ``.h5`` files in Keras's legacy layout (``model.save("m.h5")`` in Keras 3).

The HDF5 file holds

* the attribute ``model_config`` — the model's config as JSON (classes by name);
* ``training_config`` (when the model was compiled) — the ``compile`` arguments, the
  optimizer under ``optimizer_config``;
* the group ``model_weights`` — attribute ``layer_names``, and per layer a group
  whose ``weight_names`` attribute lists its datasets (paths inside the group) in the
  legacy order: trainable weights, then the others;
* the group ``optimizer_weights`` — its ``weight_names`` in the optimizer's variable
  order (iterations, learning rate, then the slots), as in ``.weights.h5``.

Weights are matched as Keras does: the model's layers that have weights, in order,
against the file's layers that list weight names. Every group and dataset is
checked (hard links, plain numeric data, the shapes the model expects) before
anything is read; nothing is executed or unpickled.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from torchbridge.errors import SavedFormatError

__all__ = ["is_legacy_h5", "load_legacy_h5"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ATTR_LIMIT = 64 * 2**20


def is_legacy_h5(filepath: str | os.PathLike[str]) -> bool:
    """Whether ``filepath`` is an HDF5 file (a whole model saved as ``.h5``)."""
    path = os.fspath(filepath)
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return f.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE


def _attr_size(attrs: Any, name: str) -> int:
    """Bytes the attribute's value takes in the file, known before it is read."""
    try:
        return int(attrs.get_id(name).get_storage_size())
    except RuntimeError:  # HDF5 reports an empty attribute's size as an error
        return 0


def _text_attr(attrs: Any, name: str, path: str) -> str | None:
    if name not in attrs:
        return None
    size = _attr_size(attrs, name)
    if size > _ATTR_LIMIT:
        raise SavedFormatError(f"{path!r}: the attribute {name!r} holds {size} bytes, too many.")
    value = attrs[name]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        raise SavedFormatError(f"{path!r}: the attribute {name!r} is not text.")
    return value


def _json_attr(attrs: Any, name: str, path: str) -> Any:
    text = _text_attr(attrs, name, path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise SavedFormatError(
            f"{path!r}: the attribute {name!r} is not valid JSON ({e})."
        ) from None


def _names_attr(group: Any, name: str, path: str) -> list[str]:
    """A list-of-strings attribute, also when Keras split it into ``name0``, ``name1`` ..."""
    attrs = group.attrs
    chunks = [name] if name in attrs else []
    while not chunks or chunks[0] != name:
        key = f"{name}{len(chunks)}"
        if key not in attrs:
            break
        chunks.append(key)
    out: list[str] = []
    for key in chunks:
        if _attr_size(attrs, key) > _ATTR_LIMIT:
            raise SavedFormatError(f"{path!r}: the attribute {key!r} is too large.")
        values = np.asarray(attrs[key])
        if values.dtype.kind not in "OSU" and values.size:
            raise SavedFormatError(f"{path!r}: the attribute {key!r} does not list names.")
        out += [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values.ravel()]
    return out


def _dataset(h5py: Any, group: Any, relative: str, path: str) -> Any:
    from torchbridge.saving.keras_format.weights_h5 import _check_dataset, _child

    parts = relative.split("/")
    current = group
    for part in parts[:-1]:
        current = _child(h5py, current, part, h5py.Group, path)
        if current is None:
            break
    ds = None if current is None else _child(h5py, current, parts[-1], h5py.Dataset, path)
    if ds is None:
        raise SavedFormatError(f"{path!r}: the weight {group.name}/{relative} is missing.")
    problem = _check_dataset(h5py, ds, path)
    if problem:
        raise SavedFormatError(f"{path!r}: {problem}.")
    return ds


def _upgrade_config(config: Any) -> None:
    """In place, the renames Keras's legacy loader applies to configs written by tf.keras 2:
    ``batch_input_shape`` (``batch_shape`` of an ``InputLayer``, else ``input_shape``) and a
    one-element ``axis`` list (an int)."""
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
            shape = inner.pop("batch_input_shape", None)
            if shape is not None:
                key = "batch_shape" if item["class_name"] == "InputLayer" else "input_shape"
                inner.setdefault(key, shape)
            if isinstance(item.get("inbound_nodes"), list):
                item["inbound_nodes"] = [_upgrade_node(n) for n in item["inbound_nodes"]]
            axis = inner.get("axis")
            if isinstance(axis, list) and len(axis) == 1:
                inner["axis"] = int(axis[0])
        stack.extend(item.values())


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


def _legacy_weights(layer: Any) -> list[Any]:
    """The layer's :class:`KerasWeight` s in the legacy order: trainable, then the others."""
    weights = layer._all_keras_weights()
    trainable = {id(t) for t in layer.trainable_weights}
    first = [w for w in weights if id(w.tensor) in trainable]
    return first + [w for w in weights if id(w.tensor) not in trainable]


def _load_layer_weights(h5py: Any, f: Any, model: Any, path: str) -> None:
    import torch

    from torchbridge.saving.keras_format.weights_h5 import _child, _read

    group = _child(h5py, f, "model_weights", h5py.Group, path)
    if group is None:
        raise SavedFormatError(f"{path!r} has no 'model_weights' group: not a Keras model file.")
    saved = []
    for name in _names_attr(group, "layer_names", path):
        layer_group = _child(h5py, group, name, h5py.Group, path)
        if layer_group is None:
            raise SavedFormatError(f"{path!r}: the layer group {name!r} is missing.")
        names = _names_attr(layer_group, "weight_names", path)
        if names:
            saved.append((name, [_dataset(h5py, layer_group, n, path) for n in names]))
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if len(layers) != len(saved):
        raise SavedFormatError(
            f"{path!r} has weights for {len(saved)} layer(s), the model built from its config "
            f"has {len(layers)} layer(s) with weights; the file is inconsistent."
        )
    plans = []
    for layer, (name, datasets) in zip(layers, saved):
        weights = _legacy_weights(layer)
        expected = [tuple(w.to_keras(w.tensor.detach()).shape) for w in weights]
        found = [tuple(ds.shape) for ds in datasets]
        if expected != found:
            raise SavedFormatError(
                f"{path!r}: layer {layer.name!r} expects weights of shapes {expected}, the "
                f"file's layer {name!r} has {found}."
            )
        plans.append((weights, datasets))
    with torch.no_grad():
        for weights, datasets in plans:
            for w, ds in zip(weights, datasets):
                value = w.from_keras(_read(ds))
                w.tensor.copy_(value.to(dtype=w.tensor.dtype).reshape(w.tensor.shape))


def _compile(model: Any, training_config: Any, custom_objects: Any, path: str) -> None:
    from torchbridge.saving.object_registration import CustomObjectScope, scope_objects

    if not isinstance(training_config, dict) or "optimizer_config" not in training_config:
        raise SavedFormatError(f"{path!r}: training_config has no optimizer_config.")
    compile_config = {
        "optimizer": training_config["optimizer_config"],
        **{
            key: training_config.get(key)
            for key in ("loss", "loss_weights", "metrics", "weighted_metrics")
        },
        "run_eagerly": bool(training_config.get("run_eagerly", False)),
        "steps_per_execution": int(training_config.get("steps_per_execution", 1)),
        "jit_compile": bool(training_config.get("jit_compile", False)),
    }
    with CustomObjectScope(custom_objects, scope_objects()):
        model.compile_from_config(compile_config)


def _load_optimizer(h5py: Any, f: Any, model: Any, path: str) -> None:
    from torchbridge.saving.keras_format import optimizer_h5
    from torchbridge.saving.keras_format.weights_h5 import _child

    group = _child(h5py, f, "optimizer_weights", h5py.Group, path)
    optimizer = getattr(model, "optimizer", None)
    if group is None or optimizer is None:
        return
    datasets = [_dataset(h5py, group, n, path) for n in _names_attr(group, "weight_names", path)]
    if not getattr(optimizer, "built", True):
        model._build_optimizer()
    optimizer_h5.load_keras_variables(optimizer, model, datasets)


def load_legacy_h5(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """The model in a whole-model Keras ``.h5`` file, with its weights and (when
    ``compile``) its compile arguments and optimizer state."""
    from torchbridge.layers.lambda_code import safe_mode_scope
    from torchbridge.saving import serialization
    from torchbridge.saving.keras_format.weights_h5 import require_h5py

    h5py = require_h5py()
    path = os.fspath(filepath)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise SavedFormatError(f"{path!r} is not a readable HDF5 file ({e}).") from None
    with f:
        config = _json_attr(f.attrs, "model_config", path)
        if not isinstance(config, dict) or "class_name" not in config:
            raise SavedFormatError(
                f"{path!r} has no model_config: it holds weights only. Build the model in code "
                "and call model.load_weights(path)."
            )
        _upgrade_config(config)
        with safe_mode_scope(safe_mode):
            model = serialization.deserialize(config, custom_objects)
        _load_layer_weights(h5py, f, model, path)
        training_config = _json_attr(f.attrs, "training_config", path)
        if compile and training_config is not None:
            _compile(model, training_config, custom_objects, path)
            _load_optimizer(h5py, f, model, path)
    return model
