"""Keras's per-layer saving hooks in a model file: ``save_own_variables`` / ``save_assets``.

A custom layer (or model) that overrides Keras's hooks gets them called by
``model.save`` and ``load_model``, with Keras's argument types:

* ``save_own_variables(store)`` / ``load_own_variables(store)``: ``store`` is a
  dict of string keys (Keras writes ``"0"``, ``"1"`` ...) to arrays. The stores
  travel in ``own_variables.safetensors`` under ``"<module path>/<key>"``; on
  load each layer gets a dict of NumPy arrays, after the ``state_dict`` weights
  are in place (so its own method has the last word).
* ``save_assets(dir_path)`` / ``load_assets(dir_path)``: a fresh directory per
  layer; its files travel in the zip under ``assets/<module path>/`` — or, in a
  ``.keras`` file in Keras's layout, under ``assets/<Keras path>/`` where real
  Keras's loader looks (the mapping is in ``metadata.json``'s ``asset_dirs``).

Only overridden hooks are called (torchbridge's own layers keep their weights
in the ``state_dict``). The root model's path is ``""`` (stored as ``_root``).

The ``state`` (``[seed, counter]``) of every ``keras.random.SeedGenerator`` a layer
holds as an attribute travels in ``seed_generators.safetensors`` under
``"<module path>/<attribute>"`` (``"<attribute>/<index or key>"`` inside a list or
dict), so a loaded model continues its random draws where the saved one stopped.
(Keras's own ``.keras`` files leave that state out; its loader ignores this file.)
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.saving.zip_members import read_member


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
    "OWN_VARIABLES_FILE",
    "ASSETS_DIR",
    "custom_loaders",
    "write_layer_state",
    "restore_layer_state",
    "relax_weights_for_custom_loaders",
]

OWN_VARIABLES_FILE = "own_variables.safetensors"
SEED_GENERATORS_FILE = "seed_generators.safetensors"
ASSETS_DIR = "assets/"
_ROOT = "_root"


def _overrides(module: nn.Module, method: str) -> bool:
    """Whether ``module``'s class defines ``method`` itself (not torchbridge's default)."""
    from torchbridge.layers.layer import Layer
    from torchbridge.models.model import Model

    fn = getattr(type(module), method, None)
    if fn is None:
        return False
    return all(fn is not getattr(base, method, None) for base in (Layer, Model))


def _modules(model: Any) -> Iterator[tuple[str, nn.Module]]:
    root = model.weights_module()
    yield from root.named_modules()
    if root is not model:
        yield "", model


def custom_loaders(model: Any, method: str) -> list[tuple[str, nn.Module]]:
    """``(path, module)`` for the modules of ``model`` that override ``method``."""
    seen: set[int] = set()
    out = []
    for path, module in _modules(model):
        if id(module) not in seen and _overrides(module, method):
            seen.add(id(module))
            out.append((path, module))
    return out


def _to_tensor(key: str, value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().contiguous()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise InputError(
            f"save_own_variables put {array.dtype} data under {key!r}; a store holds numeric "
            "arrays only. Keep strings and other state in save_assets(dir_path)."
        )
    return torch.from_numpy(np.array(array, order="C"))  # (ascontiguousarray makes 0-d 1-d)


def _seed_generators(model: Any) -> dict[str, Any]:
    """``{"<module path>/<attribute>[/<index or key>]": SeedGenerator}`` over ``model``."""
    from torchbridge.random.seed_generator import SeedGenerator

    out: dict[str, Any] = {}
    seen: set[int] = set()
    for path, module in _modules(model):
        for attr, value in vars(module).items():
            items: Any = {"": value}
            if isinstance(value, dict):
                items = {f"/{k}": v for k, v in value.items()}
            elif isinstance(value, (list, tuple)):
                items = {f"/{i}": v for i, v in enumerate(value)}
            for suffix, item in items.items():
                if isinstance(item, SeedGenerator) and id(item) not in seen:
                    seen.add(id(item))
                    out[f"{path or _ROOT}/{attr}{suffix}"] = item
    return out


def _asset_dir(path: str, asset_dirs: dict[str, str] | None) -> str:
    """The folder (under ``assets/``) of the module at ``path``: its Keras path when the
    file is in Keras's layout (``asset_dirs``; ``""`` is ``assets/`` itself), else its
    module path."""
    key = path or _ROOT
    if asset_dirs is not None and key in asset_dirs:
        folder = asset_dirs[key]
        return f"{ASSETS_DIR}{folder}/" if folder else ASSETS_DIR
    return f"{ASSETS_DIR}{key}/"


def write_layer_state(
    model: Any, zf: zipfile.ZipFile, asset_dirs: dict[str, str] | None = None
) -> None:
    """Call the overridden ``save_own_variables`` / ``save_assets`` hooks into ``zf``, and
    store the seed generators' states. ``asset_dirs`` (``{module path or "_root": folder}``)
    puts a layer's asset files where Keras's loader looks for them."""
    seeds = {key: gen.state.clone() for key, gen in _seed_generators(model).items()}
    if seeds:
        zf.writestr(SEED_GENERATORS_FILE, save_safetensors(seeds))
    tensors: dict[str, torch.Tensor] = {}
    for path, module in custom_loaders(model, "save_own_variables"):
        store: dict[str, Any] = {}
        module.save_own_variables(store)  # type: ignore[operator]
        for key, value in store.items():
            name = f"{path or _ROOT}/{key}"
            tensors[name] = _to_tensor(name, value)
    if tensors:
        zf.writestr(OWN_VARIABLES_FILE, save_safetensors(tensors))
    for path, module in custom_loaders(model, "save_assets"):
        with tempfile.TemporaryDirectory() as tmp:
            module.save_assets(tmp)  # type: ignore[operator]
            for folder, _, files in os.walk(tmp):
                for file in sorted(files):
                    full = os.path.join(folder, file)
                    relative = os.path.relpath(full, tmp).replace(os.sep, "/")
                    zf.write(full, f"{_asset_dir(path, asset_dirs)}{relative}")


def relax_weights_for_custom_loaders(model: Any, weights: dict[str, torch.Tensor]) -> None:
    """Let a module with its own ``load_own_variables`` differ from the file in its own
    tensors (it may create them there): drop the file's extras, keep the model's current."""
    own_state = model.weights_module().state_dict()
    for path, module in custom_loaders(model, "load_own_variables"):
        prefix = f"{path}." if path else ""
        own = [prefix + n for n, _ in module.named_parameters(recurse=False)]
        own += [prefix + n for n, _ in module.named_buffers(recurse=False)]
        for key in list(weights):
            rest = key[len(prefix) :]
            if key.startswith(prefix) and "." not in rest and key not in own_state:
                del weights[key]
        for key in own:
            if key not in weights and key in own_state:
                weights[key] = own_state[key]


def restore_layer_state(
    model: Any, zf: zipfile.ZipFile, asset_dirs: dict[str, str] | None = None
) -> None:
    """Restore the seed generators' states, then call the overridden
    ``load_own_variables`` / ``load_assets`` hooks from ``zf`` (``asset_dirs``: as the
    file was written with, see :func:`write_layer_state`)."""
    names = set(zf.namelist())
    if SEED_GENERATORS_FILE in names:
        saved = load_safetensors(read_member(zf, str(zf.filename), SEED_GENERATORS_FILE))
        for key, gen in _seed_generators(model).items():
            state = saved.get(key)
            if state is not None and state.shape == (2,) and not state.is_floating_point():
                gen.state = state
    stores: dict[str, dict[str, np.ndarray]] = {}
    if OWN_VARIABLES_FILE in names:
        for key, tensor in load_safetensors(
            read_member(zf, str(zf.filename), OWN_VARIABLES_FILE)
        ).items():
            path, _, item = key.rpartition("/")
            stores.setdefault(path, {})[item] = tensor.numpy()
    for path, module in custom_loaders(model, "load_own_variables"):
        store = stores.get(path or _ROOT)
        if store is None:
            raise SavedFormatError(
                f"Layer {getattr(module, 'name', path)!r} loads its own variables, but the file "
                "has none for it (it was saved before the layer had save_own_variables)."
            )
        module.load_own_variables(_sorted_store(store))  # type: ignore[operator]
    for path, module in custom_loaders(model, "load_assets"):
        prefix = _asset_dir(path, asset_dirs)
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(n for n in names if n.startswith(prefix)):
                target = os.path.realpath(os.path.join(tmp, name[len(prefix) :]))
                if not target.startswith(os.path.realpath(tmp) + os.sep):
                    raise SavedFormatError(f"The asset path {name!r} leaves its directory.")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(read_member(zf, str(zf.filename), name))
            module.load_assets(tmp)  # type: ignore[operator]


def _sorted_store(store: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keys in Keras's order ("0", "1", ..., "10" after "9")."""

    def order(key: str) -> tuple[bool, int, str]:
        return (not key.isdigit(), int(key) if key.isdigit() else 0, key)

    return {key: store[key] for key in sorted(store, key=order)}
