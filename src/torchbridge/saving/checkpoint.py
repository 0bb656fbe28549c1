"""Whole-model checkpoints: one ``.torchbridge`` file, no pickle.

The file (``.keras`` or ``.torchbridge``) is a zip archive (stored,
uncompressed) holding

* ``metadata.json`` — format version, model class, torchbridge version, the
  trainer's counters (epoch, global step), the ``compile`` arguments and the
  optimizer's non-tensor state (param groups, step counts) as JSON;
* ``config.json`` — the model's Keras config (classes by name), when it has one;
* ``assets.json`` — non-tensor state of layers (vocabularies), by module path;
* the weights: for a ``.keras`` file of a model Keras can express (it has a
  config and its layers map onto Keras's weights tree), ``model.weights.h5`` in
  Keras 3's layout plus Keras's lookup vocabularies under ``assets/`` (see
  :mod:`.keras_format.keras_archive_writer`), so real Keras 3 loads the file;
  otherwise (``.torchbridge``, or a model Keras cannot express)
  ``model.weights.safetensors`` (the module's own keys). Never both;
* ``optimizer.safetensors`` — the optimizer's tensors, if it has been built;
* ``resume.safetensors`` — the tensors of the exact-resume state (random
  generators, seed generators, metric totals, callback states such as
  ``EarlyStopping``'s best weights; its JSON part is ``metadata.json``'s
  ``"resume"``): see :mod:`torchbridge.training.resume` and docs/resume.md;
* ``own_variables.safetensors`` and ``assets/`` — what custom layers'
  ``save_own_variables`` / ``save_assets`` wrote (see :mod:`.layer_state`).

:func:`save_checkpoint` writes it atomically; :func:`load_checkpoint` restores
the weights, and the optimizer and trainer counters when the model is compiled
with the same optimizer (``for_resume=True`` first checks that the file's model
and optimizer are the model's, naming the first difference, and hands back the
resume state for ``fit(resume_from=...)``); ``torchbridge.models.load_model`` rebuilds the model
from the file alone. Nothing in the file is ever executed or unpickled.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import torch

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.saving import serialization
from torchbridge.saving.atomic import atomic_path
from torchbridge.saving.compile_config import serialize_compile_config
from torchbridge.saving.layer_state import (
    relax_weights_for_custom_loaders,
    restore_layer_state,
    write_layer_state,
)
from torchbridge.saving.weights import load_state_into
from torchbridge.saving.zip_members import read_json_member, read_member
from torchbridge.training.resume import capture_resume_state


def save_safetensors(
    tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
) -> bytes:
    """``safetensors.torch.save``, imported on first use (keeps ``import torchbridge`` light)."""
    from safetensors.torch import save

    return save(tensors, metadata=metadata)


def load_safetensors(data: bytes) -> dict[str, torch.Tensor]:
    """``safetensors.torch.load``, imported on first use."""
    from safetensors.torch import load

    return load(data)


__all__ = [
    "save_checkpoint",
    "load_checkpoint",
    "read_archive",
    "read_checkpoint_weights",
    "load_archive_weights",
    "restore_assets",
    "restore_weights",
    "CHECKPOINT_SUFFIX",
    "MODEL_SUFFIXES",
]

CHECKPOINT_SUFFIX = ".torchbridge"
MODEL_SUFFIXES = (".keras", CHECKPOINT_SUFFIX)
FORMAT_VERSION = 2
RESUME_MEMBER = "resume.safetensors"
# Config keys that name layers (auto-numbered per process), built shapes (the weights are
# checked when loaded) or compile arguments: not what tells two models apart.
_NOT_ARCHITECTURE = {
    "name", "inbound_nodes", "input_layers", "output_layers", "build_config", "compile_config"
}  # fmt: skip
SAFETENSORS_WEIGHTS_MEMBER = "model.weights.safetensors"
KERAS_WEIGHTS_MEMBER = "model.weights.h5"  # Keras's layout (keras_format.keras_archive_writer)


def _split_state(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Replace tensors in a nested state dict by ``{"__tensor__": key}`` references."""
    if isinstance(obj, torch.Tensor):
        key = prefix.lstrip("/")
        tensors[key] = obj.detach().cpu().contiguous()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        return {
            "__dict__": [
                [_json_key(k), _split_state(v, f"{prefix}/{k}", tensors)] for k, v in obj.items()
            ]
        }
    if isinstance(obj, (list, tuple)):
        return [_split_state(v, f"{prefix}/{i}", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise InputError(
        f"Cannot store a state value of type {type(obj).__name__} (at {prefix or '/'}) safely: "
        "a checkpoint holds tensors, numbers, strings, lists and dicts only."
    )


def _json_key(k: Any) -> Any:
    if isinstance(k, (str, int)):
        return k
    raise InputError(f"Cannot store a state-dict key of type {type(k).__name__}.")


def _join_state(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        return {k: _join_state(v, tensors) for k, v in obj["__dict__"]}
    if isinstance(obj, list):
        return [_join_state(v, tensors) for v in obj]
    return obj


def _model_config(model: Any) -> dict[str, Any] | None:
    """The serialized model (with its ``build_config`` / ``compile_config``), or ``None``
    when it has no config (a subclass without one)."""
    try:
        return serialization.serialize(model)
    except NotImplementedError:
        return None


def _assets(model: Any) -> dict[str, Any]:
    """``{module path: {"layer": layer name, "state": assets}}`` for layers with assets."""
    out = {}
    for path, module in model.weights_module().named_modules():
        get_assets = getattr(module, "get_assets", None)
        if get_assets is not None:
            assets = get_assets()
            if assets:
                out[path] = {"layer": getattr(module, "name", None), "state": assets}
    return out


def _state_weights(model: Any) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The module's ``state_dict`` with each tied storage once, and ``{alias: stored name}``."""
    module = model.weights_module()
    weights = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    aliases: dict[str, str] = {}
    seen: dict[tuple[Any, ...], str] = {}
    for key, t in list(module.state_dict().items()):
        # Same memory, shape, strides and dtype: the same tensor (not e.g. a transposed view).
        ident = (t.data_ptr(), tuple(t.shape), t.stride(), t.dtype)
        if ident in seen and t.numel():
            aliases[key] = seen[ident]
            del weights[key]
        else:
            seen[ident] = key
    return weights, aliases


def save_checkpoint(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    include_optimizer: bool = True,
) -> None:
    path = os.fspath(filepath)
    if not path.endswith(MODEL_SUFFIXES):
        raise InputError(
            f"Model files end in '.keras' or '{CHECKPOINT_SUFFIX}'; got {path!r}. For "
            "weights only, use save_weights('....weights.safetensors')."
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")
    from torchbridge import __version__
    from torchbridge.saving.keras_format.keras_archive_writer import (
        keras_asset_dirs,
        keras_metadata,
        keras_weights_supported,
        write_keras_members,
    )

    config = _model_config(model)
    keras_layout = path.endswith(".keras") and config is not None and keras_weights_supported(model)
    weights, aliases = ({}, {}) if keras_layout else _state_weights(model)
    meta: dict[str, Any] = {
        **(keras_metadata() if keras_layout else {}),
        "format": "torchbridge",
        "format_version": FORMAT_VERSION,
        "torchbridge_version": __version__,
        "class_name": f"{type(model).__module__}.{type(model).__qualname__}",
        "weight_aliases": aliases,
        "trainer_state": model._trainer.state.state_dict(include_rng=False),
        "compile_config": serialize_compile_config(model),
    }
    asset_dirs = None
    if keras_layout:
        meta["weights"] = KERAS_WEIGHTS_MEMBER
        asset_dirs = meta["asset_dirs"] = keras_asset_dirs(model)
    assets = _assets(model)
    opt_tensors: dict[str, torch.Tensor] = {}
    optimizer = getattr(model, "optimizer", None) if include_optimizer else None
    if optimizer is not None and getattr(optimizer, "built", True):
        meta["optimizer"] = {
            "class_name": type(optimizer).__name__,
            "state": _split_state(optimizer.state_dict(), "", opt_tensors),
        }
    # Written in the same atomic save as the weights and the optimizer: consistent counters.
    resume_tensors: dict[str, torch.Tensor] = {}
    if getattr(model, "_trainer", None) is not None:
        meta["resume"] = _split_state(capture_resume_state(model), "", resume_tensors)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps(meta, indent=1))
        if config is not None:
            zf.writestr("config.json", json.dumps(config, indent=1))
        if assets:
            zf.writestr("assets.json", json.dumps(assets))
        write_layer_state(model, zf, asset_dirs)  # first: model.weights.h5 reuses its stores
        if keras_layout:
            write_keras_members(model, zf)
        else:
            zf.writestr(SAFETENSORS_WEIGHTS_MEMBER, save_safetensors(weights))
        if opt_tensors or "optimizer" in meta:
            zf.writestr("optimizer.safetensors", save_safetensors(opt_tensors))
        if "resume" in meta:
            zf.writestr(RESUME_MEMBER, save_safetensors(resume_tensors))


def _tensors(zf: zipfile.ZipFile, path: str, name: str) -> dict[str, torch.Tensor]:
    """A safetensors member, bounded (zip_members) and with a malformed one named."""
    data = read_member(zf, path, name)
    try:
        return load_safetensors(data)
    except Exception as e:  # safetensors raises its own error types for a bad header
        raise SavedFormatError(
            f"{path!r}: the member {name!r} is not valid safetensors ({e})."
        ) from None


def _open(path: str) -> zipfile.ZipFile:
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise SavedFormatError(
            f"{path!r} is not a torchbridge model file (not a zip archive; e.g. a pickle or "
            "torch.save file). torchbridge never loads pickled files: save the model with "
            "model.save(...), or its weights with save_weights(...) as safetensors."
        ) from None
    names = zf.namelist()
    if "metadata.json" not in names:
        zf.close()
        what = (
            "a Keras .keras file"
            if "model.weights.h5" in names
            else "not torchbridge's format (torchbridge never loads pickled files)"
        )
        raise SavedFormatError(
            f"{path!r} has no metadata.json: {what}. Move weights from Keras with "
            "keras_model.get_weights() -> model.set_weights(...)."
        )
    meta = read_json_member(zf, path, "metadata.json")
    if not isinstance(meta, dict):
        zf.close()
        raise SavedFormatError(f"{path!r}: metadata.json is not a JSON object.")
    version = meta.get("format_version")
    if meta.get("format") != "torchbridge" or not isinstance(version, int):
        zf.close()
        raise SavedFormatError(f"{path!r}: metadata.json does not describe a torchbridge file.")
    if version > FORMAT_VERSION:
        zf.close()
        raise SavedFormatError(
            f"{path!r} was written in format version {version} by torchbridge "
            f"{meta.get('torchbridge_version')}; this torchbridge reads versions up to "
            f"{FORMAT_VERSION}. Upgrade torchbridge to load it."
        )
    return zf


def read_archive(filepath: str | os.PathLike[str]) -> dict[str, Any]:
    """``metadata``, ``config`` (or ``None``) and ``assets`` of a model file (JSON only)."""
    path = os.fspath(filepath)
    with _open(path) as zf:
        names = zf.namelist()
        return {
            "metadata": read_json_member(zf, path, "metadata.json"),
            "config": read_json_member(zf, path, "config.json") if "config.json" in names else None,
            "assets": read_json_member(zf, path, "assets.json") if "assets.json" in names else {},
        }


def restore_assets(model: Any, assets: dict[str, Any]) -> None:
    """Give each layer its saved non-tensor state (before the weights are loaded)."""
    modules = dict(model.weights_module().named_modules())
    for path, entry in assets.items():
        module = modules.get(path)
        if module is None or not hasattr(module, "set_assets"):
            raise SavedFormatError(
                f"The file has assets for layer {path!r}, which this model does not have."
            )
        module.set_assets(entry["state"])


def read_checkpoint_weights(filepath: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The weights stored in a checkpoint, with tied names filled back in."""
    path = os.fspath(filepath)
    if _has_keras_weights(path):
        raise InputError(
            f"{path!r} keeps its weights in Keras's model.weights.h5; load them into a model "
            "with model.load_weights(path) (or torchbridge.models.load_model(path))."
        )
    with _open(path) as zf:
        meta = read_json_member(zf, path, "metadata.json")
        weights = _tensors(zf, path, SAFETENSORS_WEIGHTS_MEMBER)
    for alias, source in meta.get("weight_aliases", {}).items():
        weights[alias] = weights[source]
    return weights


def _has_keras_weights(path: str) -> bool:
    """Whether the file keeps its weights in Keras's ``model.weights.h5`` (not safetensors)."""
    with _open(path) as zf:
        names = set(zf.namelist())
    return KERAS_WEIGHTS_MEMBER in names and SAFETENSORS_WEIGHTS_MEMBER not in names


def _load_keras_weights(
    model: Any, path: str, skip_mismatch: bool = False, call_hooks: bool = True
) -> list[str]:
    """``model.weights.h5`` of the archive into ``model`` (the layers' variables only:
    torchbridge's exact optimizer state is in ``optimizer.safetensors``). ``call_hooks=False``
    leaves ``load_own_variables`` to :func:`restore_layer_state`."""
    from torchbridge.saving.keras_format.weights_h5 import load_weights_h5

    optimizer = getattr(model, "optimizer", None)
    with _open(path) as zf, tempfile.TemporaryDirectory() as tmp:
        zf.extract(KERAS_WEIGHTS_MEMBER, tmp)
        return load_weights_h5(
            model,
            os.path.join(tmp, KERAS_WEIGHTS_MEMBER),
            skip_mismatch,
            objects_to_skip=[optimizer] if optimizer is not None else None,
            call_hooks=call_hooks,
        )


def load_archive_weights(
    model: Any, filepath: str | os.PathLike[str], skip_mismatch: bool = False
) -> dict[str, Any]:
    """``model.load_weights`` of a ``.keras`` / ``.torchbridge`` file: its weights alone,
    from whichever layout it stores them in (returns ``load_weights``'s report)."""
    path = os.fspath(filepath)
    if _has_keras_weights(path):
        skipped = _load_keras_weights(model, path, skip_mismatch)
        return {"missing_keys": [], "unexpected_keys": [], "skipped": skipped}
    weights = read_checkpoint_weights(path)
    return load_state_into(model.weights_module(), weights, path, skip_mismatch)


def restore_weights(model: Any, filepath: str | os.PathLike[str]) -> None:
    """The file's weights into ``model``, then custom layers' own variables and asset files."""
    path = os.fspath(filepath)
    if _has_keras_weights(path):
        _load_keras_weights(model, path, call_hooks=False)  # (restore_layer_state calls them)
    else:
        weights = read_checkpoint_weights(path)
        relax_weights_for_custom_loaders(model, weights)
        load_state_into(model.weights_module(), weights, path)
    with _open(path) as zf:
        asset_dirs = read_json_member(zf, path, "metadata.json").get("asset_dirs")
        restore_layer_state(model, zf, asset_dirs if isinstance(asset_dirs, dict) else None)


def _config_difference(saved: Any, mine: Any, where: str = "") -> str | None:
    """The first place two model configs differ (layer names and wiring ignored), or None."""
    if isinstance(saved, dict) and isinstance(mine, dict):
        for key in sorted(set(saved) | set(mine), key=str):
            if key in _NOT_ARCHITECTURE:
                continue
            if key not in saved or key not in mine:
                side = "the file" if key in saved else "this model"
                return f"{where}/{key} (only in {side})"
            found = _config_difference(saved[key], mine[key], f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(saved, list) and isinstance(mine, list):
        if len(saved) != len(mine):
            return f"{where} ({len(saved)} entries in the file, {len(mine)} in this model)"
        for i, (a, b) in enumerate(zip(saved, mine)):
            found = _config_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if saved == mine else f"{where}: {saved!r} in the file, {mine!r} in this model"


def _check_same_model(model: Any, path: str, meta: dict[str, Any], config: Any) -> None:
    """For a resume: the file's model and optimizer must be this model's."""
    mine = _model_config(model)
    if config is not None and mine is not None:
        found = _config_difference(config, mine)
        if found:
            raise InputError(
                f"{path!r} holds a different model than the one being resumed: its config "
                f"differs at {found}. Resume with the model (same layers and arguments) that "
                "wrote the checkpoint, or load only the weights with load_weights(...)."
            )
    opt_meta = meta.get("optimizer")
    optimizer = getattr(model, "optimizer", None)
    if opt_meta is None and optimizer is not None and _optimizer_stepped(meta):
        raise InputError(
            f"{path!r} was saved without its optimizer (include_optimizer=False), so training "
            "cannot resume exactly from it. Resume from a checkpoint written with the optimizer."
        )


def _optimizer_stepped(meta: dict[str, Any]) -> bool:
    """Whether the file's resume state says the optimizer had taken steps."""
    resume = meta.get("resume")
    if not isinstance(resume, dict):
        return False
    entries = dict(resume.get("__dict__", []))
    return bool(entries.get("optimizer_iterations"))


def _load_optimizer(model: Any, zf: zipfile.ZipFile, path: str, opt_meta: dict[str, Any]) -> None:
    optimizer = model.optimizer
    if type(optimizer).__name__ != opt_meta["class_name"]:
        raise InputError(
            f"The checkpoint's optimizer is {opt_meta['class_name']} but the model is "
            f"compiled with {type(optimizer).__name__}; compile with the same optimizer "
            "to resume, or use load_weights() for the weights alone."
        )
    if not getattr(optimizer, "built", True):
        model._build_optimizer()
    tensors = _tensors(zf, path, "optimizer.safetensors")
    state = _join_state(opt_meta["state"], tensors)
    try:
        optimizer.load_state_dict(state)
    except (ValueError, KeyError) as e:  # torch: parameter groups of another size
        raise InputError(
            f"The optimizer state in {path!r} does not fit this model's optimizer ({e}). "
            "Compile the model that wrote the checkpoint with the same optimizer to resume."
        ) from None


def load_checkpoint(
    model: Any, filepath: str | os.PathLike[str], for_resume: bool = False
) -> dict[str, Any]:
    """Restore weights, and optimizer state + trainer counters when available. The returned
    metadata's ``"resume"`` is the exact-resume state (tensors filled in), if the file has one;
    ``for_resume`` first checks that the file's model and optimizer are ``model``'s."""
    path = os.fspath(filepath)
    archive = read_archive(path)
    if for_resume:
        _check_same_model(model, path, archive["metadata"], archive["config"])
    restore_assets(model, archive["assets"])
    restore_weights(model, path)
    with _open(path) as zf:
        meta = read_json_member(zf, path, "metadata.json")
        opt_meta = meta.get("optimizer")
        if opt_meta is not None and getattr(model, "optimizer", None) is not None:
            _load_optimizer(model, zf, path, opt_meta)
        if "resume" in meta:
            meta["resume"] = _join_state(meta["resume"], _tensors(zf, path, RESUME_MEMBER))
    model._trainer.state.load_state_dict(meta.get("trainer_state", {}))
    return meta
