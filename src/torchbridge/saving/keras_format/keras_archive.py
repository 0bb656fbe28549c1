"""Reading ``.keras`` archives written by Keras 3 (``model.save("m.keras")``), without TensorFlow.

Keras's archive is a zip of

* ``metadata.json`` — ``{"keras_version", "date_saved"}`` (no torchbridge marker);
* ``config.json`` — the model's Keras config, with ``build_config`` and, for a
  compiled model, ``compile_config``;
* ``model.weights.h5`` — the weights (and optimizer variables) in the
  ``.weights.h5`` layout of :mod:`.weights_h5`;
* ``assets/<path>/...`` — per-layer asset folders at the layer's path in the
  weights tree (``assets/layers/text_vectorization/vocabulary.txt``).

:func:`is_keras_archive` tells such a file from torchbridge's own format;
:func:`load_keras_archive` rebuilds the model from the config (classes by name,
nothing imported or unpickled), gives lookup layers their vocabularies
(``vocabulary.txt``, one token a line, as Keras's ``save_assets`` writes it) and
custom layers that override ``load_assets`` their folder, compiles it from
``compile_config`` when asked, then loads the weights and optimizer variables.
Every member is read with its size checked against the zip's record and a cap;
the weights are streamed to a temporary file, never held whole in memory twice.
"""

from __future__ import annotations

import os
import tempfile
import warnings
import zipfile
from typing import Any

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.saving.zip_members import read_json_member, read_member

__all__ = [
    "is_keras_archive",
    "load_keras_archive",
    "KERAS_CONFIG_FILE",
    "KERAS_METADATA_FILE",
    "KERAS_WEIGHTS_FILE",
]

KERAS_CONFIG_FILE = "config.json"
KERAS_METADATA_FILE = "metadata.json"
KERAS_WEIGHTS_FILE = "model.weights.h5"
_ASSETS_PREFIX = "assets/"
#: Upper bounds on what one member may hold (a config or a vocabulary file).
_ASSET_FILE_LIMIT = 256 * 2**20
_CHUNK = 2**20


def _open_zip(path: str) -> zipfile.ZipFile:
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise SavedFormatError(f"{path!r} is not a zip archive, so not a .keras file.") from None


def _read_json(zf: zipfile.ZipFile, path: str, name: str) -> Any:
    return read_json_member(zf, path, name)


def is_keras_archive(filepath: str | os.PathLike[str]) -> bool:
    """Whether ``filepath`` is a zip in Keras 3's ``.keras`` layout (not torchbridge's)."""
    path = os.fspath(filepath)
    if not os.path.isfile(path) or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if KERAS_CONFIG_FILE not in names or KERAS_WEIGHTS_FILE not in names:
                return False
            if KERAS_METADATA_FILE not in names:
                return True
            meta = _read_json(zf, path, KERAS_METADATA_FILE)
    except (zipfile.BadZipFile, SavedFormatError):
        return False
    return not (isinstance(meta, dict) and meta.get("format") == "torchbridge")


def _asset_folders(zf: zipfile.ZipFile, path: str) -> dict[str, dict[str, bytes]]:
    """``{folder path in the weights tree: {relative file name: bytes}}``."""
    folders: dict[str, dict[str, bytes]] = {}
    for info in zf.infolist():
        name = info.filename
        if not name.startswith(_ASSETS_PREFIX) or info.is_dir():
            continue
        folder, _, file = name[len(_ASSETS_PREFIX) :].rpartition("/")
        parts = folder.split("/") if folder else []
        if any(p in ("", ".", "..") for p in parts) or not file or "\\" in name:
            raise SavedFormatError(f"{path!r}: the asset path {name!r} is not a plain path.")
        folders.setdefault(folder, {})[file] = read_member(zf, path, name, _ASSET_FILE_LIMIT)
    return folders


def _vocabulary(data: bytes, owner: Any) -> list[Any]:
    """Keras's ``vocabulary.txt``: one token a line, trailing empty lines dropped."""
    lines = data.decode("utf-8").splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    dtype = str(getattr(owner, "vocabulary_dtype", "string"))
    if "int" in dtype:
        return [int(line) for line in lines]
    return lines


def _restore_assets(model: Any, folders: dict[str, dict[str, bytes]], path: str) -> None:
    from torchbridge.saving.keras_format.h5_layout import keras_h5_entries
    from torchbridge.saving.layer_state import custom_loaders

    owners = {e.path: e.owner for e in keras_h5_entries(model, action="loading")}
    custom = {id(module) for _, module in custom_loaders(model, "load_assets")}
    for folder, files in sorted(folders.items()):
        owner = owners.get(folder)
        if owner is None:
            warnings.warn(
                f"{path!r} has assets for {folder!r}, which the rebuilt model does not have; "
                "they are ignored.",
                stacklevel=3,
            )
        elif id(owner) in custom:
            with tempfile.TemporaryDirectory() as tmp:
                for name, data in files.items():
                    with open(os.path.join(tmp, name), "wb") as f:
                        f.write(data)
                owner.load_assets(tmp)
        elif "vocabulary.txt" in files and hasattr(owner, "set_assets"):
            owner.set_assets({"vocabulary": _vocabulary(files["vocabulary.txt"], owner)})


def _build_optimizer(model: Any) -> None:
    """Create the optimizer's slots now, as Keras's ``compile_from_config`` does, so the
    file's optimizer variables have somewhere to go."""
    optimizer = getattr(model, "optimizer", None)
    has_params = any(p.requires_grad for p in model.weights_module().parameters())
    if optimizer is not None and not getattr(optimizer, "built", True) and has_params:
        model._build_optimizer()


def _load_weights(model: Any, zf: zipfile.ZipFile, path: str) -> None:
    from torchbridge.saving.keras_format.weights_h5 import load_weights_h5

    info = zf.getinfo(KERAS_WEIGHTS_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, KERAS_WEIGHTS_FILE)
        written = 0
        try:
            with zf.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > info.file_size:
                        break
                    dst.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise SavedFormatError(f"{path!r}: {KERAS_WEIGHTS_FILE} is corrupt ({e}).") from None
        if written != info.file_size:
            raise SavedFormatError(
                f"{path!r}: {KERAS_WEIGHTS_FILE} does not hold the {info.file_size} bytes the "
                "archive declares."
            )
        try:
            load_weights_h5(model, target)
        except (InputError, SavedFormatError) as e:
            message = str(e).replace(repr(target), f"{path!r} ({KERAS_WEIGHTS_FILE})")
            raise SavedFormatError(message) from None


def load_keras_archive(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """The model in a Keras 3 ``.keras`` file, with its weights, assets and (when
    ``compile``) its compile arguments and optimizer variables."""
    from torchbridge.layers.lambda_code import safe_mode_scope
    from torchbridge.saving import serialization
    from torchbridge.saving.object_registration import CustomObjectScope, scope_objects

    path = os.fspath(filepath)
    with _open_zip(path) as zf:
        config = _read_json(zf, path, KERAS_CONFIG_FILE)
        if not isinstance(config, dict) or "class_name" not in config:
            raise SavedFormatError(f"{path!r}: config.json does not describe a Keras object.")
        folders = _asset_folders(zf, path)
        config = dict(config)
        compile_config = config.pop("compile_config", None)
        with safe_mode_scope(safe_mode):
            model = serialization.deserialize(config, custom_objects)
        _restore_assets(model, folders, path)
        if compile and compile_config:
            with CustomObjectScope(custom_objects, scope_objects()):
                model.compile_from_config(compile_config)
            _build_optimizer(model)
        _load_weights(model, zf, path)
    return model
