"""``load_model``: rebuild a model from a ``.keras`` / ``.torchbridge`` file alone.

The file's ``config.json`` names each class; classes are looked up among
torchbridge's layers and models and the registered custom ones (see
:mod:`torchbridge.saving.serialization`) — nothing named in the file is
imported or executed, and nothing is unpickled. Then the layers' assets
(vocabularies) and the safetensors weights are restored, and, when the file
recorded them, the ``compile`` arguments, optimizer state and trainer counters.
"""

from __future__ import annotations

import os
from typing import Any

from torchbridge.errors import SavedFormatError
from torchbridge.saving import checkpoint as checkpoint_io
from torchbridge.saving import serialization
from torchbridge.saving.compile_config import deserialize_compile_config

__all__ = ["load_model"]


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Keras's ``load_model`` for files written by ``model.save``.

    ``custom_objects`` maps class names to custom classes not registered with
    ``@register_serializable``. ``compile=False`` returns the model uncompiled.
    ``safe_mode`` is accepted for Keras compatibility: loading is always safe
    (no pickle, no code from the file), so there is nothing to switch off.
    """
    path = os.fspath(filepath)
    archive = checkpoint_io.read_archive(path)
    config = archive["config"]
    if config is None:
        raise SavedFormatError(
            f"{path!r} holds no model config (the model is a Model subclass without "
            "get_config()). Build the model in code and call model.load_weights(path) — or "
            "give the class get_config() and @register_serializable() before saving."
        )
    by_name = {
        entry["layer"]: entry["state"] for entry in archive["assets"].values() if entry["layer"]
    }
    with serialization.pending_assets(by_name):
        model = serialization.deserialize(config, custom_objects)
    build = config.get("build_config")
    if build is not None and hasattr(model, "build_from_config"):
        model.build_from_config(build["input_shape"])  # lazily built layers get their weights
    compile_config = archive["metadata"].get("compile_config")
    if compile and compile_config is not None:
        model.compile(**deserialize_compile_config(compile_config, custom_objects))
        checkpoint_io.load_checkpoint(model, path)
    else:
        checkpoint_io.restore_assets(model, archive["assets"])
        model.load_weights(path)
    return model
