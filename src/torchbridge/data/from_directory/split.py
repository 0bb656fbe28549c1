"""``split_dataset``: split a ``Dataset``, an array, or a list/tuple of arrays into two
``Dataset`` s (left, right) as Keras's tf.data path does: every element is read into
memory, optionally shuffled (Python ``random`` seeded with ``seed``, the same order as
Keras), the first ``left_size`` go left and the last ``right_size`` go right; a
dataset that was batched (``.batch(n)`` as its last step) comes back batched by ``n``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch.utils.data

from torchbridge.data.dataset import AUTOTUNE, Dataset
from torchbridge.data.structure import batch_elements, to_structure
from torchbridge.errors import InputError

__all__ = ["split_dataset"]


def _sizes(left: Any, right: Any, total: int) -> tuple[int, int]:
    """Keras's checks and rounding of ``left_size`` / ``right_size``."""
    for name, value in (("left_size", left), ("right_size", right)):
        if value is not None and type(value) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` Type. Expected: int or float or None, "
                f"Received: type({name})={type(value)}."
            )
    if left == 0 and right == 0:
        raise InputError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes "
            "must be non-zero."
        )
    for name, value in (("left_size", left), ("right_size", right)):
        if (type(value) is int and (value <= 0 or value >= total)) or (
            type(value) is float and (value <= 0 or value >= 1)
        ):
            raise InputError(
                f"`{name}` should be either a positive integer smaller than {total}, or a "
                f"float within the range `[0, 1]`. Received: {name}={value}"
            )
    if type(left) is float and type(right) is float and left + right > 1:
        raise InputError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less "
            "than or equal to 1."
        )
    lsize = round(left * total) if type(left) is float else left
    rsize = round(right * total) if type(right) is float else right
    if lsize is None:
        lsize = total - rsize
    elif rsize is None:
        rsize = total - lsize
    if lsize + rsize > total:
        raise InputError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
            f"Received: left_size + right_size = {lsize + rsize} and total_length = {total}"
        )
    for side, size in (("left", lsize), ("right", rsize)):
        if size == 0:
            raise InputError(
                f"With `dataset` of length={total}, `left_size`={left} and "
                f"`right_size`={right}. Resulting {side} side dataset split will be empty. "
                "Adjust any of the aforementioned parameters"
            )
    return int(lsize), int(rsize)


def _row(array: Any, i: int) -> Any:
    return np.asarray(array[i]) if isinstance(array, np.ndarray) else array[i]


def _elements(dataset: Any) -> tuple[list[Any], int | None]:
    """The dataset's elements (unbatched when it ends in ``.batch``) and that batch size."""
    from torchbridge.data.ops.batch import BatchDataset, PaddedBatchDataset

    if isinstance(dataset, Dataset):
        if isinstance(dataset, BatchDataset) and not isinstance(dataset, PaddedBatchDataset):
            return list(dataset.unbatch()), dataset._size
        return list(dataset), None
    if isinstance(dataset, np.ndarray):
        return [to_structure(np.asarray(row)) for row in dataset], None
    if isinstance(dataset, (list, tuple)):
        arrays = [np.asarray(a) if not hasattr(a, "shape") else a for a in dataset]
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise InputError(
                "split_dataset: the arrays of the list/tuple must have the same length; got "
                f"lengths {sorted(lengths)}."
            )
        # (np.asarray keeps a NumPy scalar's dtype: int32 stays int32)
        rows = range(lengths.pop())
        return [to_structure(tuple(_row(a, i) for a in arrays)) for i in rows], None
    if isinstance(dataset, torch.utils.data.Dataset):
        return [to_structure(dataset[i]) for i in range(len(dataset))], None  # type: ignore[arg-type]
    raise TypeError(
        "The `dataset` argument must be either a torchbridge `Dataset` (or tf.data-like "
        f"dataset), a torch Dataset, or a list/tuple of arrays. Received: dataset={dataset} "
        f"of type {type(dataset)}"
    )


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    preferred_backend: str | None = None,
) -> tuple[Dataset, Dataset]:
    """``(left, right)`` ``Dataset`` s; sizes are counts (int) or fractions (float)."""
    if left_size is None and right_size is None:
        raise InputError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    elements, batch_size = _elements(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(elements)
    lsize, rsize = _sizes(left_size, right_size, len(elements))
    out = []
    for part in (elements[:lsize], elements[-rsize:]):
        ds = Dataset.from_tensor_slices(batch_elements(part))
        if batch_size is not None:
            ds = ds.batch(batch_size)
        out.append(ds.prefetch(AUTOTUNE))
    return out[0], out[1]
