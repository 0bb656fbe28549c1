"""Layers with their own ``save_own_variables`` / ``load_own_variables`` in Keras's weights file.

Keras 3 hands each layer its ``<path>/vars`` group as the ``store``: a layer that
overrides the hooks writes whatever keys it likes there (its weights under ``"0"``,
``"1"`` ... and extra state such as a counter under ``"calls"``) and reads them back
itself. :mod:`.weights_h5` does the same for torchbridge layers that override the
hooks:

* :func:`hook_owners` — the modules of a model that override a hook;
* :func:`saved_store` — what ``save_own_variables`` put in its store, as NumPy arrays
  (numbers only: strings belong in ``save_assets``), in the store's order;
* :func:`read_store` — a group's datasets as a ``{key: array}`` store (``"0"``, ``"1"``
  ... ``"10"`` in number order, then the other keys), each checked first (hard links,
  numeric data stored in the file, no compression filters, no more bytes than the file
  holds for it), so a crafted file cannot make the reader allocate more than it holds;
* :func:`load_store` — ``load_own_variables(store)``; its errors name the layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError, SavedFormatError

__all__ = ["hook_owners", "saved_store", "read_store", "load_store"]


def hook_owners(model: Any, method: str) -> set[int]:
    """``id`` of every module of ``model`` whose class overrides ``method``."""
    if not hasattr(model, "weights_module"):
        return set()
    from torchbridge.saving.layer_state import custom_loaders

    return {id(module) for _, module in custom_loaders(model, method)}


def saved_store(module: Any, label: str) -> dict[str, np.ndarray]:
    """``module.save_own_variables(store)``'s store as NumPy arrays."""
    store: dict[str, Any] = {}
    module.save_own_variables(store)
    out = {}
    for key, value in store.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
            value = value.float() if value.dtype == torch.bfloat16 else value
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise InputError(
                f"Layer {label}: save_own_variables put {array.dtype} data under {key!r}; a "
                "store holds numeric arrays only. Keep strings and other state in "
                "save_assets(dir_path)."
            )
        out[str(key)] = array
    return out


def _order(key: str) -> tuple[bool, int, str]:
    return (not key.isdigit(), int(key) if key.isdigit() else 0, key)


def _check_size(ds: Any, filepath: str) -> None:
    stored = int(ds.id.get_storage_size())
    if ds.id.get_create_plist().get_nfilters() or (ds.nbytes and stored < ds.nbytes):
        raise SavedFormatError(
            f"Refusing to read the weights file {filepath!r}: dataset '{ds.name}' declares "
            f"{ds.nbytes} bytes and stores {stored} (compressed or unallocated data). Keras "
            "writes a layer's own variables uncompressed."
        )


def read_store(h5py: Any, group: Any, filepath: str) -> dict[str, np.ndarray]:
    """Every dataset of ``group`` (a layer's ``vars``) as a store, checked before reading."""
    from torchbridge.saving.keras_format.weights_h5 import _check_dataset, _child, _read

    datasets = {}
    for key in sorted(group.keys(), key=_order):
        ds = _child(h5py, group, key, h5py.Dataset, filepath)
        if ds is None:
            raise SavedFormatError(
                f"{filepath!r}: '{group.name}/{key}' is a group, not a variable of the layer."
            )
        problem = _check_dataset(h5py, ds, filepath)
        if problem:
            raise SavedFormatError(f"{filepath!r}: {problem}.")
        _check_size(ds, filepath)
        datasets[key] = ds
    out = {}
    for key, ds in datasets.items():
        value = _read(ds)
        out[key] = (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    return out


def load_store(module: Any, store: dict[str, np.ndarray], label: str, filepath: str) -> None:
    """``module.load_own_variables(store)``; what it raises names the layer and the file."""
    try:
        module.load_own_variables(store)
    except Exception as e:  # the layer's own code: anything it raises
        raise InputError(
            f"Layer {label} could not load its own variables from {filepath!r} (its "
            f"load_own_variables raised {type(e).__name__}: {e}). The file's keys for it: "
            f"{sorted(store, key=_order)[:10]}."
        ) from e
