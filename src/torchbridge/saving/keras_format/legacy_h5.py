"""Reading whole-model ``.h5`` files: ``model.save("m.h5")`` in Keras 3 and in tf.keras 2.

The HDF5 file holds

* the attribute ``model_config`` — the model's config as JSON (classes by name);
* ``training_config`` (when the model was compiled) — the ``compile`` arguments, the
  optimizer under ``optimizer_config``;
* the group ``model_weights`` — the legacy weights layout, read by
  :mod:`.legacy_weights` (per layer, its ``weight_names`` in the legacy order);
* the group ``optimizer_weights`` — its ``weight_names``: Keras 3 lists the optimizer's
  variables in order (iterations, learning rate, then the slots), as in ``.weights.h5``;
  tf.keras 2 names them after the model's weights and has no learning rate.

Files from tf.keras 2 (the root attribute ``keras_version`` is ``2.x``) are brought to
Keras 3's terms by :mod:`.tf_keras2` (configs, compile arguments, optimizer weights).
Every group and dataset is checked (hard links, plain numeric data, the shapes the model
expects) before anything is read; nothing is executed or unpickled.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.saving.keras_format.legacy_weights import _attr_size

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
    """The attribute's JSON, its nesting bounded (never a RecursionError later)."""
    from torchbridge.saving.serialization import load_config_json

    text = _text_attr(attrs, name, path)
    if text is None:
        return None
    return load_config_json(text, f"{path!r}: the attribute {name!r}")


def _load_layer_weights(h5py: Any, f: Any, model: Any, path: str) -> dict[int, str]:
    from torchbridge.saving.keras_format.legacy_weights import load_legacy_weights
    from torchbridge.saving.keras_format.weights_h5 import _child

    group = _child(h5py, f, "model_weights", h5py.Group, path)
    if group is None:
        raise SavedFormatError(f"{path!r} has no 'model_weights' group: not a Keras model file.")
    try:
        _, names = load_legacy_weights(h5py, group, model, path)
    except InputError as e:  # the model was built from the file's own config
        raise SavedFormatError(f"{e} The file is inconsistent.") from None
    return names


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


def _load_optimizer(
    h5py: Any, f: Any, model: Any, path: str, variable_names: dict[int, str]
) -> None:
    from torchbridge.saving.keras_format import optimizer_h5, tf_keras2
    from torchbridge.saving.keras_format.legacy_weights import _dataset, names_attr
    from torchbridge.saving.keras_format.weights_h5 import _child

    group = _child(h5py, f, "optimizer_weights", h5py.Group, path)
    optimizer = getattr(model, "optimizer", None)
    if group is None or optimizer is None:
        return
    names = names_attr(group, "weight_names", path)
    datasets = [_dataset(h5py, group, n, path) for n in names]
    if not getattr(optimizer, "built", True):
        model._build_optimizer()
    if names and tf_keras2.is_tf_keras2_file(f.attrs):  # matched by name, no learning rate
        arrays = tf_keras2.optimizer_arrays(optimizer, model, names, datasets, variable_names)
        if arrays is None:
            warnings.warn(
                f"Skipping variable loading for optimizer '{optimizer.name}': the saved "
                f"optimizer's {len(names)} variables ({names[:4]} ...) do not match its slots. "
                "It starts from a fresh state.",
                stacklevel=3,
            )
            return
        datasets = arrays
    optimizer_h5.load_keras_variables(optimizer, model, datasets, path)


def _output_names(model: Any) -> list[str]:
    names = getattr(model, "output_names", None)
    return [str(n) for n in names] if isinstance(names, (list, tuple)) and names else [""]


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
    from torchbridge.saving.keras_format import tf_keras2
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
        tf_keras2.upgrade_model_config(config)
        with safe_mode_scope(safe_mode):
            model = serialization.deserialize(config, custom_objects)
        variable_names = _load_layer_weights(h5py, f, model, path)
        training_config = _json_attr(f.attrs, "training_config", path)
        if compile and training_config is not None:
            if not isinstance(training_config, dict):
                raise SavedFormatError(f"{path!r}: training_config is not a JSON object.")
            if tf_keras2.is_tf_keras2_file(f.attrs):
                training_config = tf_keras2.upgrade_training_config(
                    training_config, _output_names(model)
                )
            _compile(model, training_config, custom_objects, path)
            _load_optimizer(h5py, f, model, path, variable_names)
    return model
