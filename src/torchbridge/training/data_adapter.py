"""Turn what users pass to ``fit``/``evaluate``/``predict`` into batches of tensors.

:func:`make_adapter` looks ``x`` up in the one registry of adapters
(:mod:`torchbridge.training.adapter_registry`) and builds the adapter of the
first kind that accepts it; :func:`split_validation` is Keras's
``validation_split`` through the same entry's splitter (only arrays and a
Hugging Face ``datasets.Dataset`` have one). Neither knows any kind of input:
the kinds are the modules of :mod:`torchbridge.training.adapters` (arrays,
torchbridge / torch datasets and loaders, ``tf.data``, ``grain``, generators,
``PyDataset``) and the adapters packages register (``torchbridge.hf``'s).

Every adapter has the same small interface (:class:`DataAdapter`):
``num_batches`` (or ``None`` if unknown) and ``iter_epoch(epoch)`` yielding each
batch in the form Keras 3 hands it to ``train_step`` / ``test_step`` /
``predict_step``: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` with
tensors inside (:func:`pack_x_y_sample_weight`; a step reads it with
:func:`unpack_x_y_sample_weight`, or ``x, y = data`` as in Keras's guides).

The adapter classes and helpers are re-exported here under their old names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import (
    AdapterOptions,
    adapter_for,
    validation_split_refused,
)
from torchbridge.training.adapters.array import ArrayAdapter
from torchbridge.training.adapters.batches import (
    Batch,
    DataAdapter,
    StepData,
    class_weight_to_sample_weight,
    pack_x_y_sample_weight,
    standardize_batch,
    to_tensors,
    unpack_x_y_sample_weight,
)
from torchbridge.training.adapters.generator import GeneratorAdapter
from torchbridge.training.adapters.iterable import IterableAdapter
from torchbridge.training.foreign_data import is_foreign_array

__all__ = [
    "Batch",
    "DataAdapter",
    "StepData",
    "ArrayAdapter",
    "IterableAdapter",
    "GeneratorAdapter",
    "make_adapter",
    "split_validation",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "to_tensors",
    "class_weight_to_sample_weight",
]

_standardize_batch = standardize_batch  # the old private name (torchbridge.training.distributed)


def make_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    batch_size: int | None = None,
    shuffle: bool | str = False,
    class_weight: Mapping[int, float] | None = None,
    pin_memory: bool = False,
    for_what: str = "fit",
) -> DataAdapter:
    """The adapter of the registered kind that accepts ``x`` (with ``y`` / ``sample_weight``
    beside it for in-memory data)."""
    if x is None:
        raise InputError(f"{for_what}() needs data: pass x (and y), a DataLoader or a generator.")
    entry = adapter_for(x)
    if entry is None:  # only when the built-in "arrays" entry was unregistered
        raise InputError(
            f"No data adapter accepts a {type(x).__module__}.{type(x).__name__} as x. Pass "
            "arrays, a DataLoader or a generator, or register an adapter for it with "
            "torchbridge.training.adapter_registry.register_data_adapter."
        )
    options = AdapterOptions(batch_size, shuffle, class_weight, pin_memory, for_what)
    return entry.factory(x, y, sample_weight, options)


def split_validation(
    x: Any, y: Any, sample_weight: Any, validation_split: float
) -> tuple[Batch, Batch]:
    """Keras's ``validation_split``: the last fraction of the samples, before shuffling,
    through the splitter of ``x``'s adapter (refused for kinds without one)."""
    if not 0.0 < validation_split < 1.0:
        raise InputError(f"validation_split must be in (0, 1), got {validation_split}.")
    if is_foreign_array(x):  # a DataFrame, a tf.Tensor ...: arrays, split as arrays
        x = to_tensors(x, "x")
    entry = adapter_for(x)
    if entry is None or entry.split is None:
        raise validation_split_refused(x)
    return entry.split(x, y, sample_weight, validation_split)
