"""In-memory arrays as batches: NumPy arrays, torch tensors, other libraries' arrays, nested.

:class:`ArrayAdapter` slices batches from tensors and shuffles once per epoch
with one gather; the shuffle order of epoch *e* is a pure function of
``(seed, e)``, so resuming at an epoch reproduces the same order.
:func:`make_array_adapter` applies Keras's rules around it (equal numbers of
samples, ``class_weight`` or ``sample_weight``, a list of number lists refused),
and :func:`split_arrays` is Keras's ``validation_split`` (the last fraction,
taken before shuffling). Registered last: whatever no other adapter takes is
read as arrays (:func:`can_handle` is true for everything).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import (
    PRIORITY_ARRAYS,
    AdapterOptions,
    register_data_adapter,
    validation_split_refused,
)
from torchbridge.training.adapters.batches import (
    Batch,
    StepData,
    class_weight_to_sample_weight,
    pack_x_y_sample_weight,
    to_tensors,
)
from torchbridge.utils import nest

__all__ = [
    "NAME",
    "ArrayAdapter",
    "can_handle",
    "is_array_structure",
    "make_array_adapter",
    "split_arrays",
]

NAME = "arrays"

_ARRAY_STRUCTURES = (np.ndarray, torch.Tensor, Mapping, list, tuple)


def is_array_structure(x: Any) -> bool:
    """An array, a tensor, or a dict / list / tuple of them (not a foreign array)."""
    return isinstance(x, _ARRAY_STRUCTURES)


def _num_samples(structure: Any) -> set[int]:
    return {
        int(t.shape[0])
        for t in nest.flatten(structure)
        if isinstance(t, (torch.Tensor, np.ndarray)) and t.ndim > 0
    }


def _take(t: Any, order: torch.Tensor) -> Any:
    if isinstance(t, torch.Tensor):
        return t.index_select(0, order)
    if isinstance(t, np.ndarray):  # text
        return t[order.numpy()]
    return t


def _rows(t: Any, start: int, stop: int | None) -> Any:
    return t[start:stop] if isinstance(t, (torch.Tensor, np.ndarray)) else t


def _check_cardinality(x: Any, y: Any, sample_weight: Any) -> int:
    sizes = {
        name: _num_samples(part)
        for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight))
    }
    all_sizes = set().union(*sizes.values())
    if len(all_sizes) > 1:
        detail = ", ".join(f"{k}: {sorted(v)}" for k, v in sizes.items() if v)
        raise InputError(
            f"Data cardinality is ambiguous: the arrays have different numbers of samples "
            f"({detail}). Make sure x, y and sample_weight all have the same first dimension."
        )
    if not all_sizes:
        raise InputError("x contains no arrays or tensors to train on.")
    return all_sizes.pop()


class ArrayAdapter:
    """Batches sliced from in-memory tensors; shuffled once per epoch with one gather."""

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        *,
        batch_size: int | None = None,
        shuffle: bool | str = False,
        seed: int | None = None,
        pin_memory: bool = False,
    ) -> None:
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.num_samples = _check_cardinality(x, y, sample_weight)
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise InputError(f"batch_size must be a positive integer, got {batch_size}.")
        self.shuffle = shuffle
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())  # follows torch.manual_seed
        self.seed = seed
        self.pin_memory = pin_memory
        self.num_batches: int | None = math.ceil(self.num_samples / self.batch_size)

    def _order(self, epoch: int) -> torch.Tensor | None:
        if not self.shuffle:
            return None
        g = torch.Generator().manual_seed(self.seed + epoch)
        if self.shuffle == "batch":  # Keras: shuffle whole batches, keep order inside
            starts = torch.randperm(self.num_batches or 0, generator=g) * self.batch_size
            return torch.cat(
                [
                    torch.arange(s, min(s + self.batch_size, self.num_samples))
                    for s in starts.tolist()
                ]
            )
        return torch.randperm(self.num_samples, generator=g)

    def iter_epoch(self, epoch: int) -> Iterator[StepData]:
        data = pack_x_y_sample_weight(self.x, self.y, self.sample_weight)
        order = self._order(epoch)
        if order is not None:
            # One gather per epoch, then contiguous slices: the same work a hand-written
            # loop over pre-shuffled tensors does.
            data = nest.map_structure(lambda t: _take(t, order), data)
        if self.pin_memory:
            data = nest.map_structure(
                lambda t: (
                    t.pin_memory() if isinstance(t, torch.Tensor) and t.device.type == "cpu" else t
                ),
                data,
            )
        bs, n = self.batch_size, self.num_samples
        # Fast paths (one input tensor, one target tensor or none): the batch is built
        # directly, with no walk over the structure.
        if isinstance(data, torch.Tensor):
            for i in range(0, n, bs):
                yield data[i : i + bs]
            return
        if type(data) is tuple and len(data) == 2:
            x, y = data
            if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
                for i in range(0, n, bs):
                    yield x[i : i + bs], y[i : i + bs]
                return
        for i in range(0, n, bs):
            yield nest.map_structure(lambda t, i=i: _rows(t, i, i + bs), data)


def _is_number_rows(x: Any) -> bool:
    """A list of lists of Python numbers (``array.tolist()``), which Keras refuses as ``x``."""
    return (
        isinstance(x, list)
        and len(x) > 1
        and all(
            isinstance(row, (list, tuple))
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
            for row in x[:8]
        )
    )


def can_handle(x: Any) -> bool:
    """Arrays are the default reading: every ``x`` no adapter before this one took."""
    return True


def make_array_adapter(x: Any, y: Any, sample_weight: Any, options: AdapterOptions) -> ArrayAdapter:
    """The adapter for in-memory ``x`` / ``y`` / ``sample_weight`` (and ``class_weight``)."""
    if _is_number_rows(x):
        raise InputError(
            f"x is a Python list of {len(x)} lists of numbers. A list passed as x holds several "
            "inputs (one per model input), so it is not read as one array, as in Keras 3. "
            "Pass np.asarray(x) for a single input."
        )
    x = to_tensors(x, "x")
    y = to_tensors(y, "y")
    sample_weight = to_tensors(sample_weight, "sample_weight")
    if options.class_weight is not None:
        if sample_weight is not None:
            raise InputError(
                "Pass either class_weight or sample_weight, not both (Keras rule): fold the "
                "class weights into sample_weight yourself if you need both."
            )
        if y is None:
            raise InputError("class_weight needs targets y.")
        sample_weight = class_weight_to_sample_weight(y, options.class_weight)
    return ArrayAdapter(
        x,
        y,
        sample_weight,
        batch_size=options.batch_size,
        shuffle=options.shuffle,
        pin_memory=options.pin_memory,
    )


def split_arrays(
    x: Any, y: Any, sample_weight: Any, validation_split: float
) -> tuple[Batch, Batch]:
    """Keras's ``validation_split``: the last fraction of the samples, before shuffling."""
    if not is_array_structure(x):
        raise validation_split_refused(x)
    data = (to_tensors(x, "x"), to_tensors(y, "y"), to_tensors(sample_weight, "sample_weight"))
    n = _check_cardinality(*data)
    split_at = math.floor(n * (1.0 - validation_split))
    if split_at in (0, n):
        raise InputError(
            f"Training data contains {n} samples, which is not enough to split off "
            f"validation_split={validation_split}. Provide more data or a different split."
        )
    train = nest.map_structure(lambda t: _rows(t, 0, split_at), data)
    val = nest.map_structure(lambda t: _rows(t, split_at, None), data)
    return train, val


register_data_adapter(
    NAME, can_handle, make_array_adapter, split=split_arrays, priority=PRIORITY_ARRAYS, builtin=True
)
