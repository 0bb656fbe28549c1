"""Whole models in and out: ``save_model`` / ``load_model`` (one ``.keras`` / ``.torchbridge``
file) and ``model_from_json`` (a config alone).

The file's ``config.json`` names each class; classes are looked up among
torchbridge's layers and models and the registered custom ones (see
:mod:`torchbridge.saving.serialization`) — nothing named in the file is
imported or executed, and nothing is unpickled. Then the layers' assets
(vocabularies, ``save_assets`` files) and the safetensors weights (and
``save_own_variables`` stores) are restored, and, when the file recorded them,
the ``compile`` arguments, optimizer state and trainer counters.
"""

from __future__ import annotations

import json
import os
from typing import Any

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.layers.lambda_code import safe_mode_scope
from torchbridge.saving import checkpoint as checkpoint_io
from torchbridge.saving import serialization
from torchbridge.saving.object_registration import CustomObjectScope, scope_objects

__all__ = ["load_model", "model_from_json", "save_model"]


def save_model(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    zipped: bool | None = None,
    **kwargs: Any,
) -> None:
    """Keras's ``keras.saving.save_model``: ``model.save(filepath, overwrite=...)``.

    torchbridge writes one zip file; ``zipped=False`` (Keras's unzipped
    directory) is not offered. ``include_optimizer=False`` leaves the optimizer
    state out.
    """
    if zipped is False:
        raise InputError(
            "save_model(zipped=False) writes an unzipped directory in Keras; torchbridge "
            "writes one .keras / .torchbridge file. Leave zipped at its default."
        )
    unknown = sorted(set(kwargs) - {"include_optimizer", "save_format"})
    if unknown:
        raise TypeError(f"save_model() got unexpected keyword arguments {unknown}.")
    include_optimizer = bool(kwargs.get("include_optimizer", True))
    model.save(filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Keras's ``model_from_json``: the model ``model.to_json()`` describes, with new
    weights (a Keras-written JSON of built-in layers reads too)."""
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as e:
        raise InputError(
            f"model_from_json takes the string model.to_json() returns: {e}."
        ) from None
    return serialization.deserialize_keras_object(config, custom_objects)


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Keras's ``load_model`` for files written by ``model.save``.

    ``custom_objects`` maps names to custom classes and functions not registered
    with ``@register_keras_serializable``. ``compile=False`` returns the model
    uncompiled. Loading never unpickles; the only code a file can hold is a
    ``Lambda`` layer's Python lambda (Keras's layout), loaded only with
    ``safe_mode=False`` or after ``keras.config.enable_unsafe_deserialization()``.
    """
    path = os.fspath(filepath)
    from torchbridge.saving.keras_format import keras_archive

    if keras_archive.is_keras_archive(path):  # written by Keras 3 itself
        return keras_archive.load_keras_archive(path, custom_objects, compile, safe_mode)
    from torchbridge.saving.keras_format import legacy_h5

    if legacy_h5.is_legacy_h5(path):  # Keras's whole-model .h5
        return legacy_h5.load_legacy_h5(path, custom_objects, compile, safe_mode)
    archive = checkpoint_io.read_archive(path)
    config = archive["config"]
    if config is None:
        raise SavedFormatError(
            f"{path!r} holds no model config (the model is a Model subclass without "
            "get_config()). Build the model in code and call model.load_weights(path) — or "
            "give the class get_config() and @register_keras_serializable() before saving."
        )
    config = dict(config)
    compile_config = config.pop("compile_config", None) or archive["metadata"].get("compile_config")
    by_name = {
        entry["layer"]: entry["state"] for entry in archive["assets"].values() if entry["layer"]
    }
    with serialization.pending_assets(by_name), safe_mode_scope(safe_mode):
        model = serialization.deserialize(config, custom_objects)
    if compile and compile_config:
        with CustomObjectScope(custom_objects, scope_objects()):
            model.compile_from_config(compile_config)
    if compile and getattr(model, "compiled", False):
        checkpoint_io.load_checkpoint(model, path)
    else:
        checkpoint_io.restore_assets(model, archive["assets"])
        checkpoint_io.restore_weights(model, path)
    return model
