"""The Keras 3 members of a ``.keras`` file that torchbridge writes.

Real Keras 3 (``keras.saving.load_model``) reads three things from a
``.keras`` zip: ``config.json`` (the serialized model), ``model.weights.h5``
(every layer's variables, and the optimizer's, in Keras's weights tree — see
:mod:`.h5_layout`) and ``assets/<layer path>/`` (files that layers'
``load_assets`` read, e.g. a lookup's ``vocabulary.txt``). It ignores every
other member, and reads nothing from ``metadata.json`` beyond writing it.

:func:`keras_weights_supported` says whether a model can be written that way
(it has a config and every layer maps onto Keras's weights tree);
:func:`write_keras_members` writes ``model.weights.h5`` and the lookup
vocabularies into an open zip. torchbridge's own extra state (optimizer
tensors, trainer counters, seed generators) stays in the members
:mod:`torchbridge.saving.checkpoint` adds beside them.
"""

from __future__ import annotations

import datetime
import os
import tempfile
import zipfile
from typing import Any

from torchbridge.errors import InputError

__all__ = [
    "KERAS_WEIGHTS_MEMBER",
    "KERAS_ASSETS_DIR",
    "keras_metadata",
    "keras_weights_supported",
    "write_keras_members",
    "lookup_vocabularies",
    "keras_asset_dirs",
]

KERAS_WEIGHTS_MEMBER = "model.weights.h5"  # (checkpoint.py, which reads it, repeats the name)
KERAS_ASSETS_DIR = "assets/"
# The Keras release whose file layout these members follow (written as "keras_version").
_KERAS_LAYOUT_VERSION = "3.15.0"


def keras_metadata() -> dict[str, str]:
    """``metadata.json``'s Keras keys: the Keras version of the layout and the save time."""
    return {
        "keras_version": _KERAS_LAYOUT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }


def keras_weights_supported(model: Any) -> bool:
    """Whether ``model``'s weights map onto Keras's weights tree and h5py is installed."""
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    from torchbridge.saving.keras_format.h5_layout import keras_h5_entries

    try:
        keras_h5_entries(model, action="saving")
    except (InputError, NotImplementedError, TypeError, AttributeError):
        return False
    return True


def lookup_vocabularies(model: Any) -> dict[str, list[Any]]:
    """``{Keras asset folder: vocabulary}`` for the lookup layers Keras saves as assets.

    Keras writes a lookup's vocabulary to ``<layer path>/vocabulary.txt`` only when
    it was not passed to the constructor (then it is in the config); a
    ``TextVectorization`` writes its inner lookup's vocabulary under its own path.
    """
    from torchbridge.layers.preprocessing.index_lookup import IndexLookup
    from torchbridge.layers.preprocessing.text_vectorization import TextVectorization
    from torchbridge.saving.keras_format.h5_layout import keras_h5_entries

    out: dict[str, list[Any]] = {}
    for entry in keras_h5_entries(model, action="saving"):
        layer, path = entry.owner, entry.path
        if isinstance(layer, TextVectorization):
            layer = layer._lookup_layer  # Keras's TextVectorization saves its lookup's assets
        if not isinstance(layer, IndexLookup) or layer.input_vocabulary is not None:
            continue
        out[path] = list(layer.get_vocabulary(include_special_tokens=True))
    return out


def keras_asset_dirs(model: Any) -> dict[str, str]:
    """``{module path (or "_root"): Keras path}`` for the layers with their own
    ``save_assets``, so their files go where Keras's ``load_assets`` looks."""
    from torchbridge.saving.keras_format.h5_layout import keras_h5_entries
    from torchbridge.saving.layer_state import custom_loaders

    keras_paths = {id(e.owner): e.path for e in keras_h5_entries(model, action="saving")}
    return {
        path or "_root": keras_paths[id(module)]
        for path, module in custom_loaders(model, "save_assets")
        if id(module) in keras_paths
    }


def _hook_stores(model: Any, zf: zipfile.ZipFile) -> dict[int, dict[str, Any]]:
    """``{id(layer): store}`` of the ``save_own_variables`` hooks already written to
    ``zf`` by :func:`~torchbridge.saving.layer_state.write_layer_state` (so each hook runs
    once per save, as in Keras)."""
    from safetensors.torch import load as load_safetensors

    from torchbridge.saving.layer_state import OWN_VARIABLES_FILE, custom_loaders

    if OWN_VARIABLES_FILE not in zf.namelist():
        return {}
    by_path: dict[str, dict[str, Any]] = {}
    for key, tensor in load_safetensors(zf.read(OWN_VARIABLES_FILE)).items():
        path, _, item = key.rpartition("/")
        by_path.setdefault(path, {})[item] = tensor.numpy()
    return {
        id(module): by_path[path or "_root"]
        for path, module in custom_loaders(model, "save_own_variables")
        if (path or "_root") in by_path
    }


def write_keras_members(model: Any, zf: zipfile.ZipFile) -> None:
    """Write ``model.weights.h5`` (layers and optimizer, Keras's layout) and the lookup
    vocabularies (``assets/<path>/vocabulary.txt``) into ``zf``. A custom layer's
    ``save_own_variables`` store goes into its group, taken from ``own_variables.safetensors``
    when ``zf`` already has it."""
    from torchbridge.saving.keras_format.weights_h5 import save_weights_h5

    with tempfile.TemporaryDirectory() as tmp:
        weights_path = os.path.join(tmp, KERAS_WEIGHTS_MEMBER)
        save_weights_h5(model, weights_path, stores=_hook_stores(model, zf))
        zf.write(weights_path, KERAS_WEIGHTS_MEMBER)
    for path, vocabulary in lookup_vocabularies(model).items():
        text = "\n".join(str(token) for token in vocabulary)
        zf.writestr(f"{KERAS_ASSETS_DIR}{path}/vocabulary.txt", text.encode("utf-8"))
