"""Elements of a pipeline: nested structures of tensors and strings.

Numeric leaves are ``torch.Tensor``s; text leaves are Python ``str`` (or
``bytes``) for one element and NumPy ``object`` arrays once batched — the
counterpart of tf.data's string tensors. This module converts source data
into that form and stacks / pads elements into batches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.utils import nest

__all__ = [
    "to_leaf",
    "to_structure",
    "is_string_leaf",
    "leaf_shape",
    "stack_leaves",
    "batch_elements",
    "pad_leaves",
    "slice_leaf",
]

_STRING_KINDS = "OUS"


def is_string_leaf(x: Any) -> bool:
    if isinstance(x, (str, bytes)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind in _STRING_KINDS


def to_leaf(x: Any) -> Any:
    """One leaf as torchbridge stores it: a tensor, a ``str``/``bytes`` or a string array."""
    if isinstance(x, (torch.Tensor, str, bytes)):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind in _STRING_KINDS:
            return x.astype(object)
        # (np.ascontiguousarray would turn a 0-d array into shape (1,))
        return torch.from_numpy(x if x.flags.c_contiguous else np.ascontiguousarray(x))
    if isinstance(x, np.generic):
        return torch.as_tensor(x.item()) if x.dtype.kind not in _STRING_KINDS else x.item()
    if isinstance(x, (bool, int, float)):
        return torch.as_tensor(_python_numbers(np.asarray(x)))
    if isinstance(x, (list, tuple)):
        arr = np.asarray(x)
        if arr.dtype.kind in _STRING_KINDS:
            return arr.astype(object)
        if arr.dtype != object:
            arr = _python_numbers(arr)
        if arr.dtype == object:
            raise InputError(
                "A list of mixed or ragged values cannot become one tensor; pad it first or "
                "use Dataset.from_generator."
            )
        return torch.from_numpy(arr)
    if hasattr(x, "__array__"):  # pandas Series/DataFrame and other array-likes, as tf.data
        return to_leaf(np.array(x))  # a copy: pandas hands out read-only views
    return x


def _python_numbers(arr: np.ndarray) -> np.ndarray:
    """Python ints/floats become int32/float32, as tf.data converts them (NumPy arrays
    keep their dtype)."""
    if arr.dtype == np.float64:
        return arr.astype(np.float32)
    if arr.dtype == np.int64:
        return arr.astype(np.int32)
    return arr


def to_structure(x: Any) -> Any:
    """Convert a nested structure's leaves with :func:`to_leaf` (lists of scalars are leaves)."""
    if isinstance(x, Mapping):
        return {k: to_structure(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(to_structure(v) for v in x))
    if isinstance(x, tuple):
        return tuple(to_structure(v) for v in x)
    return to_leaf(x)


def leaf_shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    if isinstance(x, np.ndarray):
        return tuple(x.shape)
    return ()


def slice_leaf(x: Any, index: Any) -> Any:
    """``x[index]`` for a tensor or string array (a scalar string comes out as ``str``)."""
    return x[index]


def stack_leaves(leaves: Sequence[Any], where: str = "") -> Any:
    first = leaves[0]
    if isinstance(first, torch.Tensor):
        try:
            return torch.stack(list(leaves))
        except RuntimeError:
            shapes = sorted({tuple(t.shape) for t in leaves})
            raise InputError(
                f"Cannot batch elements{where} of different shapes {shapes[:4]}: batch() needs "
                "equal shapes. Use padded_batch() (or bucket_by_sequence_length) for "
                "variable-length elements."
            ) from None
    if isinstance(first, (str, bytes)):
        out = np.empty(len(leaves), dtype=object)
        out[:] = list(leaves)
        return out
    if isinstance(first, np.ndarray):
        try:
            stacked = np.stack(list(leaves))
        except ValueError:
            shapes = sorted({x.shape for x in leaves})
            raise InputError(
                f"Cannot batch elements{where} of different shapes {shapes[:4]}; "
                "use padded_batch()."
            ) from None
        # Numeric NumPy results of a map become one tensor per batch.
        return stacked if stacked.dtype.kind in "OUS" else torch.from_numpy(stacked)
    return torch.as_tensor(np.asarray(leaves))


def batch_elements(elements: Sequence[Any]) -> Any:
    """Stack a list of same-structure elements along a new first dimension."""
    return nest.map_structure(lambda *leaves: stack_leaves(leaves), *elements)


def pad_leaves(
    leaves: Sequence[Any],
    padded_shape: Sequence[int | None] | None,
    padding_value: Any,
    element_offset: int = 0,
) -> Any:
    """Pad each leaf to ``padded_shape`` (``None``/-1 dims: the batch's longest) and stack."""
    shapes = [leaf_shape(x) for x in leaves]
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise InputError(f"padded_batch: elements have different ranks: {sorted(set(shapes))}.")
    longest = [max(s[d] for s in shapes) for d in range(rank)]
    if padded_shape is None:
        target = longest
    else:
        padded = list(padded_shape)
        if len(padded) != rank:
            raise InputError(
                f"padded_shapes {tuple(padded_shape)} has rank {len(padded)} but the elements "
                f"have rank {rank} (e.g. shape {shapes[0]})."
            )
        target = [longest[d] if p is None or p == -1 else int(p) for d, p in enumerate(padded)]
        for i, s in enumerate(shapes):
            if any(s[d] > target[d] for d in range(rank)):
                raise InputError(
                    f"padded_batch: element {element_offset + i} has shape {s}, larger than "
                    f"padded_shapes {tuple(target)}. Raise padded_shapes, pass None for that "
                    "dimension (pad to the longest in the batch), or truncate the element."
                )
    first = leaves[0]
    if isinstance(first, torch.Tensor):
        value = 0 if padding_value is None else padding_value
        out = torch.full((len(leaves), *target), value, dtype=first.dtype)
        for i, t in enumerate(leaves):
            region: tuple[Any, ...] = (i, *(slice(0, n) for n in t.shape))
            out[region] = t
        return out
    if isinstance(first, np.ndarray) and first.dtype.kind not in _STRING_KINDS:
        # Numeric NumPy results of a map: pad in NumPy, hand back one tensor.
        value = 0 if padding_value is None else padding_value
        out_num = np.full((len(leaves), *target), value, dtype=first.dtype)
        for i, a in enumerate(leaves):
            region_num: tuple[Any, ...] = (i, *(slice(0, n) for n in a.shape))
            out_num[region_num] = a
        return torch.from_numpy(out_num)
    value = "" if padding_value is None else padding_value
    out_np = np.full((len(leaves), *target), value, dtype=object)
    for i, a in enumerate(leaves):
        a = np.asarray(a, dtype=object)
        region_np: tuple[Any, ...] = (i, *(slice(0, n) for n in a.shape))
        out_np[region_np] = a
    return out_np
