"""``grain`` datasets and loaders as batches, recognised without importing grain.

A ``grain.MapDataset``, ``grain.IterDataset`` or ``grain.DataLoader`` (also
``grain.python``'s) passed to ``fit`` / ``evaluate`` / ``predict`` is read as
Keras 3's ``GrainDatasetAdapter`` reads it on the torch backend: one pass of
``iter(dataset)`` per epoch, each element a batch as it comes (batch it in the
pipeline: ``.batch(n)`` or ``grain.transforms.Batch``), its arrays converted to
tensors; the number of batches is not known in advance. As in Keras, ``y``,
``sample_weight`` and ``class_weight`` are refused beside it (the dataset yields
them) and ``shuffle=True`` is ignored with a warning (shuffle in the pipeline).
A dataset repeated without a count needs ``steps_per_epoch`` (else an epoch
never ends, as in Keras).
"""

from __future__ import annotations

import warnings
from typing import Any

from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import (
    PRIORITY_DATASETS,
    AdapterOptions,
    register_data_adapter,
)
from torchbridge.training.adapters.iterable import IterableAdapter

__all__ = ["NAME", "can_handle", "make_grain_adapter"]

NAME = "grain"

_GRAIN_TYPES = frozenset({"MapDataset", "IterDataset", "DataLoader"})
_KIND = "grain.Dataset and grain.DataLoader"


def can_handle(x: Any) -> bool:
    """A class of ``type(x).__mro__`` is grain's ``MapDataset``, ``IterDataset`` or
    ``DataLoader`` (read from ``cls.__module__``: grain is not imported)."""
    return any(
        cls.__name__ in _GRAIN_TYPES and cls.__module__.partition(".")[0] == "grain"
        for cls in type(x).__mro__
    )


def _refuse(argument: str, what: str) -> InputError:
    return InputError(
        f"When providing `x` as a {_KIND}, `{argument}` should not be passed. Instead, "
        f"{what} should be included as part of the {_KIND}."
    )


def make_grain_adapter(
    x: Any, y: Any, sample_weight: Any, options: AdapterOptions
) -> IterableAdapter:
    """The adapter for a grain dataset or loader passed as ``x``."""
    if y is not None:
        raise _refuse("y", "the targets")
    if sample_weight is not None:
        raise _refuse("sample_weights", "the sample weights")
    if options.class_weight is not None:
        raise InputError(
            f"Argument `class_weight` is not supported for {_KIND} inputs: yield (x, y, "
            f"sample_weight) batches with the weights you want. Received: "
            f"class_weight={options.class_weight}"
        )
    if options.shuffle:
        warnings.warn(
            "`shuffle=True` was passed, but will be ignored since the data `x` was provided "
            "as a grain dataset. The grain dataset is expected to already be shuffled.",
            stacklevel=4,
        )
    return IterableAdapter(x, None)  # Keras: the number of batches is unknown


register_data_adapter(
    NAME, can_handle, make_grain_adapter, priority=PRIORITY_DATASETS + 20, builtin=True
)
