"""Keras's legacy HDF5 weights layout, read into a model (tf.keras 2 and Keras 3 ``.h5``).

tf.keras 2's ``model.save_weights("w.h5")`` writes it at the file's root; a whole-model
``.h5`` (tf.keras 2 or Keras 3's legacy writer) keeps it in the group ``model_weights``:

* the attribute ``layer_names`` (split into ``layer_names0``, ``layer_names1`` ... when
  long) lists one group per layer, in the model's layer order;
* each layer group's ``weight_names`` lists its datasets (paths inside the group, named
  ``dense/kernel:0`` by tf.keras 2) in the legacy order: trainable weights, then the others;
* an optional ``top_level_model_weights`` group holds a subclassed model's own weights.

:func:`load_legacy_weights` matches them as Keras does — by topological order (the
model's layers that have weights against the file's layers that list weights) or, with
``by_name=True``, by layer name (file layers without a namesake are ignored).
A layer whose weight count or shapes do not fit raises ``InputError`` naming the layer,
the shapes and the fix; with ``skip_mismatch=True`` it keeps its values and a warning is
issued per skipped layer (as tf.keras 2 did; Keras 3 skips per weight). Every group and
dataset is checked (hard links, plain numeric data, the expected shapes, no narrowing
dtype) before anything is assigned; nothing is executed or unpickled.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError, SavedFormatError

__all__ = ["SavedLayer", "read_saved_layers", "legacy_weights", "load_legacy_weights", "names_attr"]

_ATTR_LIMIT = 64 * 2**20
_TOP_LEVEL = "top_level_model_weights"


@dataclass
class SavedLayer:
    """One layer group of the file: its name, weight names and (checked) datasets."""

    name: str
    weight_names: list[str] = field(default_factory=list)
    datasets: list[Any] = field(default_factory=list)


def _attr_size(attrs: Any, name: str) -> int:
    """Bytes the attribute's value takes in the file, known before it is read."""
    try:
        return int(attrs.get_id(name).get_storage_size())
    except RuntimeError:  # HDF5 reports an empty attribute's size as an error
        return 0


def names_attr(group: Any, name: str, path: str) -> list[str]:
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

    current = group
    parts = relative.split("/")
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


def _saved_layer(h5py: Any, group: Any, name: str, path: str) -> SavedLayer:
    from torchbridge.saving.keras_format.weights_h5 import _child

    layer_group = _child(h5py, group, name, h5py.Group, path)
    if layer_group is None:
        raise SavedFormatError(f"{path!r}: the layer group {name!r} is missing.")
    names = names_attr(layer_group, "weight_names", path)
    return SavedLayer(name, names, [_dataset(h5py, layer_group, n, path) for n in names])


def read_saved_layers(h5py: Any, group: Any, path: str) -> list[SavedLayer]:
    """Every layer group ``layer_names`` lists, in order, its datasets checked."""
    return [
        _saved_layer(h5py, group, name, path) for name in names_attr(group, "layer_names", path)
    ]


def legacy_weights(layer: Any) -> list[Any]:
    """The layer's :class:`KerasWeight` s in the legacy order: trainable, then the others."""
    weights = layer._all_keras_weights()
    trainable = {id(t) for t in layer.trainable_weights}
    first = [w for w in weights if id(w.tensor) in trainable]
    return first + [w for w in weights if id(w.tensor) not in trainable]


def _model_own_weights(model: Any) -> list[Any]:
    from torchbridge.layers.layer import KerasWeight

    root = model.weights_module() if hasattr(model, "weights_module") else model
    in_layers = {id(t) for layer in model.layers for t in layer.parameters()}
    in_layers |= {id(t) for layer in model.layers for t in layer.buffers()}
    own = [p for p in root.parameters() if id(p) not in in_layers]
    return [KerasWeight(p) for p in own]


def _problem(layer: Any, saved: SavedLayer, weights: list[Any], path: str) -> str | None:
    expected = [tuple(w.to_keras(w.tensor.detach()).shape) for w in weights]
    found = [tuple(ds.shape) for ds in saved.datasets]
    if expected == found:
        return None
    what = "weight count" if len(expected) != len(found) else "weight shapes"
    return (
        f"{what} mismatch for layer {getattr(layer, 'name', '')!r} (the file's layer "
        f"{saved.name!r} in {path!r}): the model expects {len(expected)} weight(s) of shapes "
        f"{expected}, the file has {len(found)} of shapes {found}"
    )


def _pairs(model: Any, saved: list[SavedLayer], by_name: bool, path: str) -> list[tuple]:
    """(model layer, saved layer, the layer's weights) to load, in the file's order."""
    with_weights = [s for s in saved if s.weight_names and s.name != _TOP_LEVEL]
    if by_name:
        index: dict[str, list[Any]] = {}
        for layer in model.layers:
            index.setdefault(layer.name, []).append(layer)
        return [
            (layer, s, legacy_weights(layer))
            for s in with_weights
            for layer in index.get(s.name, [])
        ]
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    if len(layers) != len(with_weights):
        raise InputError(
            f"Layer count mismatch when loading weights from {path!r}: the model has "
            f"{len(layers)} layer(s) with weights {[la.name for la in layers][:10]}, the file "
            f"{len(with_weights)} {[s.name for s in with_weights][:10]}. Weights load by "
            "topological order: build the model as the one that saved the file, or pass "
            "by_name=True to load the layers whose names match."
        )
    return [(layer, s, legacy_weights(layer)) for layer, s in zip(layers, with_weights)]


def load_legacy_weights(
    h5py: Any,
    group: Any,
    model: Any,
    path: str,
    by_name: bool = False,
    skip_mismatch: bool = False,
    allow_dtype_narrowing: bool = False,
) -> tuple[list[str], dict[int, str]]:
    """Load the legacy layout in ``group`` into ``model`` (see the module docstring).

    Returns the names of the skipped layers, and ``{id(weight tensor): saved weight name
    without ":0"}`` for the loaded weights (tf.keras 2's optimizer weights are named after
    them).
    """
    from torchbridge.saving.keras_format.weights_h5 import _read, check_narrowing

    saved = read_saved_layers(h5py, group, path)
    pairs = _pairs(model, saved, by_name, path)
    top = next((s for s in saved if s.name == _TOP_LEVEL and s.weight_names), None)
    if top is not None:
        pairs.append((model, top, _model_own_weights(model)))
    plans, skipped = [], []
    for layer, s, weights in pairs:
        problem = _problem(layer, s, weights, path)
        if problem is None:
            plans.append((s, weights))
        elif skip_mismatch:
            warnings.warn(
                f"Skipping loading weights for layer {getattr(layer, 'name', s.name)!r}: "
                f"{problem}. It keeps its current values.",
                stacklevel=3,
            )
            skipped.append(s.name)
        else:
            raise InputError(
                f"{problem[0].upper()}{problem[1:]}. Build the model as the one that saved "
                "the file, or pass skip_mismatch=True to skip the layers that do not fit "
                "(by_name=True matches layers by name). Nothing was loaded."
            )
    check_narrowing(
        [
            (f"{name} (layer {s.name!r})", ds, w.tensor)
            for s, weights in plans
            for name, ds, w in zip(s.weight_names, s.datasets, weights)
        ],
        path,
        allow_dtype_narrowing,
    )
    names: dict[int, str] = {}
    with torch.no_grad():
        for s, weights in plans:
            for name, ds, w in zip(s.weight_names, s.datasets, weights):
                value = w.from_keras(_read(ds))
                w.tensor.copy_(value.to(dtype=w.tensor.dtype).reshape(w.tensor.shape))
                names[id(w.tensor)] = name.rsplit(":", 1)[0] if ":" in name else name
    return skipped, names


def load_legacy_weights_file(
    model: Any,
    filepath: str | os.PathLike[str],
    by_name: bool = False,
    skip_mismatch: bool = False,
    allow_dtype_narrowing: bool = False,
) -> list[str]:
    """``model.load_weights("w.h5")``: a legacy weights file (or a whole-model ``.h5``'s
    weights) into ``model``; returns the skipped layers' names."""
    from torchbridge.saving.keras_format.weights_h5 import _child, require_h5py

    h5py = require_h5py()
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No weights file at {path!r}.")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise SavedFormatError(f"{path!r} is not a readable HDF5 file ({e}).") from None
    with f:
        group = f
        if "layer_names" not in f.attrs:
            group = _child(h5py, f, "model_weights", h5py.Group, path)
            if group is None:
                raise SavedFormatError(
                    f"{path!r} is not a Keras weights file: it has no 'layer_names' attribute "
                    "and no 'model_weights' group. Keras 3's weights files end in "
                    "'.weights.h5'."
                )
        skipped, _ = load_legacy_weights(
            h5py, group, model, path, by_name, skip_mismatch, allow_dtype_narrowing
        )
    return skipped
