"""Batching: ``batch``, ``padded_batch``, ``unbatch`` and ``rebatch``.

``batch`` stacks equal-shaped elements; ``padded_batch`` pads each component to
``padded_shapes`` (``None``/-1 dimensions: the longest in the batch) with
``padding_values`` (default 0, or "" for strings); ``unbatch`` splits batches
back into elements; ``rebatch`` regroups elements into batches of new sizes
(a list of sizes is used cyclically). The last batch is smaller unless
``drop_remainder=True``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from torchbridge.data.dataset import INFINITE, UNKNOWN, Dataset
from torchbridge.data.ops._args import int_arg
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator
from torchbridge.data.structure import batch_elements, leaf_shape, pad_leaves
from torchbridge.errors import InputError
from torchbridge.utils import nest

__all__ = ["BatchDataset", "PaddedBatchDataset", "UnbatchDataset", "RebatchDataset"]


class _BatchIterator(UnaryIterator):
    _fields = ("_count",)

    def __init__(self, upstream: Any, size: int, drop_remainder: bool, combine: Any) -> None:
        super().__init__(upstream)
        self._size = size
        self._drop = drop_remainder
        self._combine = combine
        self._count = 0  # elements consumed so far (for error messages)

    def __next__(self) -> Any:
        elements = list(itertools.islice(self._up, self._size))
        if not elements or (self._drop and len(elements) < self._size):
            raise StopIteration
        offset = self._count
        self._count += len(elements)
        return self._combine(elements, offset)


def _batch_cardinality(n: int, size: int, drop: bool) -> int:
    if n < 0:
        return n
    return n // size if drop else -(-n // size)


class BatchDataset(UnaryDataset):
    def __init__(self, input_dataset: Dataset, batch_size: int, drop_remainder: bool = False):
        self._size = int_arg(batch_size, "batch", "batch_size", minimum=1)
        super().__init__(input_dataset)
        self._drop = bool(drop_remainder)

    def _iterator(self) -> _BatchIterator:
        return _BatchIterator(
            self._input._iterator(), self._size, self._drop, lambda els, _: batch_elements(els)
        )

    def _cardinality(self) -> int:
        return _batch_cardinality(self._input._cardinality(), self._size, self._drop)


def _spread(spec: Any, structure: Any, what: str) -> list[Any]:
    """Line a padded_shapes / padding_values spec up with the flattened element leaves.

    For ``padded_shapes`` a list of ints/None is one *shape* (a leaf); for
    ``padding_values`` a single value applies to every component and a tuple/dict
    gives one value per component.
    """
    leaves = nest.flatten(structure)
    if spec is None:
        return [None] * len(leaves)
    shapes = what == "padded_shapes"
    if shapes and _is_shape(spec):
        if len(leaves) == 1:
            return [spec]
        return [spec] * len(leaves) if not nest.is_nested(structure) else _mismatch(what, 1, leaves)
    if not nest.is_nested(spec):
        return [spec] * len(leaves)
    flat = _flatten_specs(spec) if shapes else nest.flatten(spec)
    if len(flat) != len(leaves):
        _mismatch(what, len(flat), leaves)
    return flat


def _mismatch(what: str, n: int, leaves: list[Any]) -> list[Any]:
    raise InputError(
        f"padded_batch: {what} has {n} entries but elements have {len(leaves)} "
        "components; give one per component, in the element's structure."
    )


def _is_shape(spec: Any) -> bool:
    return isinstance(spec, (list, tuple)) and all(s is None or isinstance(s, int) for s in spec)


def _flatten_specs(spec: Any) -> list[Any]:
    if isinstance(spec, dict):
        return [leaf for k in sorted(spec) for leaf in _flatten_specs(spec[k])]
    if isinstance(spec, (list, tuple)) and not _is_shape(spec):
        return [leaf for item in spec for leaf in _flatten_specs(item)]
    return [spec]


class PaddedBatchDataset(BatchDataset):
    def __init__(
        self,
        input_dataset: Dataset,
        batch_size: int,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
    ) -> None:
        super().__init__(input_dataset, batch_size, drop_remainder)
        self._shapes = padded_shapes
        self._values = padding_values

    def _combine(self, elements: list[Any], offset: int) -> Any:
        structure = elements[0]
        shapes = _spread(self._shapes, structure, "padded_shapes")
        values = _spread(self._values, structure, "padding_values")
        columns = list(zip(*(nest.flatten(e) for e in elements)))
        padded = [
            pad_leaves(col, shape, value, offset)
            for col, shape, value in zip(columns, shapes, values)
        ]
        return nest.pack_sequence_as(structure, padded)

    def _iterator(self) -> _BatchIterator:
        return _BatchIterator(self._input._iterator(), self._size, self._drop, self._combine)


class _UnbatchIterator(UnaryIterator):
    _fields = ("_batch", "_n", "_i")

    def __init__(self, upstream: Any) -> None:
        super().__init__(upstream)
        self._batch: Any = None
        self._n = 0
        self._i = 0

    def __next__(self) -> Any:
        while self._i >= self._n:
            self._batch = next(self._up)
            sizes = {leaf_shape(x)[0] for x in nest.flatten(self._batch) if leaf_shape(x)}
            if len(sizes) != 1:
                raise InputError(f"unbatch: components have different batch sizes {sorted(sizes)}.")
            self._n, self._i = sizes.pop(), 0
        i = self._i
        self._i += 1
        return nest.map_structure(lambda x: x[i], self._batch)


class UnbatchDataset(UnaryDataset):
    def _iterator(self) -> _UnbatchIterator:
        return _UnbatchIterator(self._input._iterator())

    def _cardinality(self) -> int:
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN


class _RebatchIterator(UnaryIterator):
    _fields = ("_k",)

    def __init__(self, upstream: Any, sizes: Sequence[int], drop: bool) -> None:
        super().__init__(upstream)
        self._sizes = list(sizes)
        self._drop = drop
        self._k = 0  # which size comes next

    def __next__(self) -> Any:
        size = self._sizes[self._k % len(self._sizes)]
        elements = list(itertools.islice(self._up, size))
        if not elements or (self._drop and len(elements) < size):
            raise StopIteration
        self._k += 1
        return batch_elements(elements)


class RebatchDataset(UnaryDataset):
    def __init__(
        self, input_dataset: Dataset, batch_size: int | Sequence[int], drop_remainder: bool
    ) -> None:
        sizes = [int(batch_size)] if isinstance(batch_size, int) else [int(s) for s in batch_size]
        if not sizes or min(sizes) < 1:
            raise ValueError(f"rebatch sizes must be >= 1, got {batch_size}.")
        super().__init__(input_dataset)
        self._sizes = sizes
        self._drop = bool(drop_remainder)

    def _iterator(self) -> _RebatchIterator:
        return _RebatchIterator(UnbatchDataset(self._input)._iterator(), self._sizes, self._drop)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        return INFINITE if n == INFINITE else UNKNOWN
