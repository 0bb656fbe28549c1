"""Keras 3 ``.weights.h5`` files: ``save_weights_h5`` / ``load_weights_h5``.

The file is the one Keras 3 writes for the same architecture (HDF5 through
h5py, imported only here): one ``<path>/vars`` group per layer with datasets
``"0"``, ``"1"`` ... in Keras's layouts — see :mod:`.h5_layout` for the
paths — so a file saved by Keras loads here and the other way round.

Loading never executes anything from the file and reads with bounded memory:
every group and dataset on the way is checked first (hard links only, no
external or virtual storage, a plain numeric dtype, exactly the shape the
model expects), and nothing is read or assigned until the whole file has been
checked against the model. A file of another architecture raises an error
naming the first layer that does not fit (its path in the file, the expected
and found variable counts and shapes); ``skip_mismatch=True`` loads the layers
that fit and warns about the others, as Keras does. A variable stored in a wider
dtype than the model's (float64 into float32, which can overflow to inf) raises
``SavedFormatError`` unless ``allow_dtype_narrowing=True`` (Keras casts silently).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.saving.atomic import atomic_path
from torchbridge.saving.keras_format import optimizer_h5, own_variables
from torchbridge.saving.keras_format.h5_layout import OPTIMIZER_PATH, H5Entry, keras_h5_entries

__all__ = [
    "save_weights_h5",
    "load_weights_h5",
    "require_h5py",
    "check_narrowing",
    "H5_WEIGHTS_SUFFIX",
]

H5_WEIGHTS_SUFFIX = ".weights.h5"

_NUMERIC_KINDS = "biuf"  # bool, signed / unsigned integers, floats


def require_h5py() -> Any:
    """``h5py``, imported on first use (it is an optional dependency)."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading or writing Keras `.h5` weight files needs the h5py package: "
            "pip install torchbridge[h5]  (or: pip install h5py). "
            "Without it, save weights as `.weights.safetensors`."
        ) from None
    return h5py


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    t = tensor.detach().cpu()
    if t.dtype == torch.bfloat16:
        t = t.float()  # NumPy has no bfloat16; Keras assigns (casts) on load
    return t.numpy()


# --- writing -----------------------------------------------------------------------------------


def save_weights_h5(
    model: nn.Module, filepath: str, stores: dict[int, dict[str, np.ndarray]] | None = None
) -> None:
    """Write ``model``'s weights (and its optimizer's variables) as Keras 3 does.

    A layer that overrides ``save_own_variables`` writes its own store into its group
    (``stores``: ``{id(layer): store}`` already made by its hook, so that it runs once)."""
    h5py = require_h5py()
    entries = keras_h5_entries(model, action="saving")
    hooked = own_variables.hook_owners(model, "save_own_variables")
    with atomic_path(filepath) as tmp, h5py.File(tmp, "w") as f:
        for entry in entries:
            names = entry.dataset_names
            if entry.path == OPTIMIZER_PATH:
                arrays = optimizer_h5.keras_variables(entry.owner, model)
                names = [str(i) for i in range(len(arrays))]
            elif id(entry.owner) in hooked:  # the layer's own store, in its first group
                hooked.discard(id(entry.owner))
                store = (stores or {}).get(id(entry.owner))
                if store is None:
                    store = own_variables.saved_store(entry.owner, entry.label)
                names, arrays = list(store), list(store.values())
            else:
                arrays = [_to_numpy(w.to_keras(w.tensor.detach())) for w in entry.weights]
            if entry.name is None and not arrays:
                continue  # Keras makes a group only for named objects or ones with variables
            group = f.require_group(entry.vars_path)
            if entry.name is not None:
                group.attrs["name"] = entry.name
            for key, array in zip(names, arrays):
                group.create_dataset(key, data=array)


# --- reading: safe access to groups and datasets -------------------------------------------------


def _unsafe(path: str, what: str) -> SavedFormatError:
    return SavedFormatError(
        f"Refusing to read the weights file {path!r}: {what}. Only plain HDF5 files as Keras "
        "writes them (hard links, data stored in the file, numeric datasets) are loaded."
    )


def _child(h5py: Any, parent: Any, name: str, kind: type, filepath: str) -> Any:
    """``parent[name]`` if it exists as a hard link to a ``kind`` object, else None."""
    link = parent.get(name, default=None, getlink=True)
    if link is None:
        return None
    if not isinstance(link, h5py.HardLink):
        raise _unsafe(filepath, f"'{parent.name}/{name}' is a {type(link).__name__}")
    if parent.get(name, getclass=True) is not kind:
        raise _unsafe(filepath, f"'{parent.name}/{name}' is not an HDF5 {kind.__name__}")
    return parent[name]


def _vars_group(h5py: Any, f: Any, entry: H5Entry, filepath: str) -> Any:
    current = f
    for part in entry.vars_path.split("/"):
        current = _child(h5py, current, part, h5py.Group, filepath)
        if current is None:
            return None
    return current


@dataclass
class _Planned:
    """One entry checked against the file: the datasets to read, or why it does not fit."""

    entry: H5Entry
    datasets: list[Any]
    expected: list[tuple[int, ...]]
    problem: str | None = None
    store: dict[str, np.ndarray] | None = None  # for the layer's own load_own_variables


def _check_dataset(h5py: Any, ds: Any, filepath: str) -> str | None:
    """Refuse storage we will not read; None when ``ds`` is a plain numeric dataset."""
    if ds.external:
        raise _unsafe(filepath, f"dataset '{ds.name}' keeps its data in external files")
    if ds.is_virtual:
        raise _unsafe(filepath, f"dataset '{ds.name}' is a virtual dataset")
    dtype = ds.dtype
    if dtype.kind in _NUMERIC_KINDS and dtype.names is None and dtype.shape == ():
        return None
    if dtype.itemsize == 2 and dtype.kind == "V" and ds.attrs.get("dtype") == "bfloat16":
        return None
    return f"dataset '{ds.name}' has dtype {dtype}, not a number type"


def _found_shapes(datasets: list[Any]) -> list[tuple[int, ...]]:
    return [tuple(ds.shape) for ds in datasets]


def _plan(
    h5py: Any, f: Any, entry: H5Entry, filepath: str, hooked: set[int], call_hooks: bool
) -> _Planned | None:
    expected = [tuple(w.to_keras(w.tensor.detach()).shape) for w in entry.weights]
    group = _vars_group(h5py, f, entry, filepath)
    if id(entry.owner) in hooked:  # the layer reads its own store, in its first group
        hooked.discard(id(entry.owner))
        if not call_hooks:
            return None
        if group is None:
            return _Planned(entry, [], [], f"layer {entry.label} has no group in the file")
        return _Planned(entry, [], [], store=own_variables.read_store(h5py, group, filepath))
    count = 0 if group is None else len(group)
    if count != len(expected):
        found = "no group" if group is None else f"{count} variable(s)"
        return _Planned(
            entry,
            [],
            expected,
            f"layer {entry.label} expects {len(expected)} variable(s) of shapes {expected}, "
            f"the file has {found} there",
        )
    datasets = []
    for key in entry.dataset_names:
        ds = _child(h5py, group, key, h5py.Dataset, filepath)
        if ds is None:
            return _Planned(
                entry, [], expected, f"layer {entry.label} has no dataset '{key}' in the file"
            )
        bad_dtype = _check_dataset(h5py, ds, filepath)
        if bad_dtype:
            return _Planned(entry, [], expected, f"layer {entry.label}: {bad_dtype}")
        datasets.append(ds)
    found_shapes = _found_shapes(datasets)
    if found_shapes != expected:
        return _Planned(
            entry,
            [],
            expected,
            f"layer {entry.label} expects shapes {expected}, the file has {found_shapes}",
        )
    return _Planned(entry, datasets, expected)


def _read(ds: Any) -> torch.Tensor:
    """The dataset's values; its shape was checked against the model, so the size is bounded."""
    out = np.empty(ds.shape, dtype=ds.dtype)
    if out.size:
        ds.read_direct(out)
    if out.dtype.kind == "V":  # Keras's bfloat16 convention: 2-byte opaque + attrs["dtype"]
        return torch.from_numpy(out.view(np.uint16).astype(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(out)


def _file_dtype(ds: Any) -> torch.dtype:
    if ds.dtype.kind == "V":  # checked: Keras's bfloat16 convention
        return torch.bfloat16
    return torch.from_numpy(np.empty(0, dtype=ds.dtype)).dtype


def check_narrowing(
    pairs: list[tuple[str, Any, torch.Tensor]], filepath: str, allow: bool = False
) -> None:
    """Refuse (``SavedFormatError``) to cast a dataset into a narrower dtype than its own
    (float64 into float32 can overflow to inf), unless ``allow``. ``pairs``: (the variable's
    name for messages, its dataset, the tensor it fills)."""
    from torchbridge.saving.weights import dtype_narrows

    if allow:
        return
    narrowed = [
        f"{label} is {_file_dtype(ds)} in the file, {tensor.dtype} in the model"
        for label, ds, tensor in pairs
        if dtype_narrows(_file_dtype(ds), tensor.dtype)
    ]
    if narrowed:
        raise SavedFormatError(
            f"The weights in {filepath!r} would lose range or precision when loaded: "
            + "; ".join(narrowed[:10])
            + f" ({len(narrowed)} variable(s) in all). Nothing was loaded. Cast the model to "
            "the file's dtype first (e.g. build it with dtype='float64'), or pass "
            "allow_dtype_narrowing=True to load_weights to cast (values beyond the model "
            "dtype's range become inf)."
        )


def _assign(planned: _Planned, filepath: str) -> None:
    if planned.store is not None:
        entry = planned.entry
        own_variables.load_store(entry.owner, planned.store, entry.label, filepath)
        return
    with torch.no_grad():
        for w, ds in zip(planned.entry.weights, planned.datasets):
            value = w.from_keras(_read(ds))
            w.tensor.copy_(value.to(dtype=w.tensor.dtype).reshape(w.tensor.shape))


def load_weights_h5(
    model: nn.Module,
    filepath: str,
    skip_mismatch: bool = False,
    objects_to_skip: list[Any] | None = None,
    allow_dtype_narrowing: bool = False,
    call_hooks: bool = True,
) -> list[str]:
    """Load a Keras 3 ``.weights.h5`` file into ``model``; returns the skipped layers' paths.

    ``allow_dtype_narrowing``: cast variables stored in a wider dtype than the model's
    (otherwise ``SavedFormatError``). ``call_hooks=False`` leaves the layers that override
    ``load_own_variables`` alone (the caller gives them their store)."""
    h5py = require_h5py()
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No weights file at {filepath!r}.")
    entries = keras_h5_entries(model, objects_to_skip, action="loading")
    try:
        f = h5py.File(filepath, "r")
    except OSError as e:
        raise SavedFormatError(f"{filepath!r} is not a readable HDF5 file ({e}).") from None
    with f:
        optimizer_entries = [e for e in entries if e.path == OPTIMIZER_PATH]
        hooked = own_variables.hook_owners(model, "load_own_variables")
        made = [
            _plan(h5py, f, e, filepath, hooked, call_hooks)
            for e in entries
            if e.path != OPTIMIZER_PATH
        ]
        plans = [p for p in made if p is not None]
        bad = [p for p in plans if p.problem]
        if bad and not skip_mismatch:
            raise InputError(
                f"The weights in {filepath!r} do not fit model '{getattr(model, 'name', '')}': "
                f"{bad[0].problem}. {len(bad)} layer(s) in all do not match: "
                f"{[p.entry.vars_path for p in bad[:10]]}. The file holds the weights of a "
                "different architecture: build the model exactly as the one that saved it "
                "(same layers, order and sizes) before load_weights, or pass "
                "skip_mismatch=True to load the layers that fit and skip the others. "
                "Nothing was loaded."
            )
        if bad:
            warnings.warn(
                f"Skipping {len(bad)} layer(s) whose weights in {filepath!r} do not fit the "
                f"model (they keep their current values). First: {bad[0].problem}. Skipped: "
                f"{[p.entry.vars_path for p in bad]}",
                stacklevel=3,
            )
        check_narrowing(
            [
                (f"variable {key!r} of layer {p.entry.label}", ds, w.tensor)
                for p in plans
                if p.problem is None and p.store is None
                for key, ds, w in zip(p.entry.dataset_names, p.datasets, p.entry.weights)
            ],
            filepath,
            allow_dtype_narrowing,
        )
        optimizer_data = [(e, _optimizer_datasets(h5py, f, e, filepath)) for e in optimizer_entries]
        for entry, datasets in optimizer_data:  # before anything is assigned
            optimizer_h5.check_dtypes(entry.owner, model, datasets, filepath, allow_dtype_narrowing)
        for plan in plans:
            if plan.problem is None:
                _assign(plan, filepath)
        for entry, datasets in optimizer_data:
            optimizer_h5.load_keras_variables(
                entry.owner, model, datasets, filepath, allow_dtype_narrowing
            )
    return [p.entry.vars_path for p in bad]


def _optimizer_datasets(h5py: Any, f: Any, entry: H5Entry, filepath: str) -> list[Any]:
    """The datasets "0", "1" ... of the optimizer's group (stops at the first missing or
    non-numeric one, so the count no longer fits and the optimizer is skipped)."""
    group = _vars_group(h5py, f, entry, filepath)
    if group is None:
        return []
    out = []
    for i in range(len(group)):
        ds = _child(h5py, group, str(i), h5py.Dataset, filepath)
        if ds is None or _check_dataset(h5py, ds, filepath):
            break
        out.append(ds)
    return out
