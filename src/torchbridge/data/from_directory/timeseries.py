"""``timeseries_dataset_from_array``: sliding windows over an array (optionally with
the target at each window's start) as a batched ``Dataset``, with Keras's window
positions, argument checks and seeded start-position shuffle.

Windows keep the data's dtype (NumPy arrays keep theirs; Python lists become
int32/float32 as tf.data converts them). With ``shuffle=True`` the start positions
are shuffled with ``np.random.RandomState(seed)`` as in Keras, then a seeded
shuffle buffer mixes the windows (torchbridge's buffer order, not tf.data's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import AUTOTUNE, Dataset
from torchbridge.data.structure import to_leaf
from torchbridge.errors import InputError

__all__ = ["timeseries_dataset_from_array"]


def _check(
    data: Any,
    sequence_stride: int,
    sampling_rate: int,
    start_index: int | None,
    end_index: int | None,
    format: str,
) -> None:
    n = len(data)
    if start_index:
        if start_index < 0:
            raise InputError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= n:
            raise InputError(
                "`start_index` must be lower than the length of the data. "
                f"Received: start_index={start_index}, for data of length {n}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise InputError(
                "`end_index` must be higher than `start_index`. "
                f"Received: start_index={start_index}, and end_index={end_index} "
            )
        if end_index >= n:
            raise InputError(
                "`end_index` must be lower than the length of the data. "
                f"Received: end_index={end_index}, for data of length {n}"
            )
        if end_index <= 0:
            raise InputError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise InputError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= n:
            raise InputError(
                f"`{name}` must be lower than the length of the data. "
                f"Received: {name}={value}, for data of length {n}"
            )
    if format not in ("tf", "grain"):
        raise InputError(f'`format` should be either "tf" or "grain". Received: format={format}')


class _Windows:
    """``index -> data[start + positions[index] + arange(length) * rate]``."""

    def __init__(self, steps: torch.Tensor, offsets: torch.Tensor) -> None:
        self.steps = steps
        self.offsets = offsets

    def __call__(self, position: torch.Tensor) -> torch.Tensor:
        return self.steps[position + self.offsets]


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",
) -> Dataset:
    """Keras's ``timeseries_dataset_from_array``: windows of ``sequence_length`` steps
    (``sampling_rate`` apart, starting every ``sequence_stride`` steps) of
    ``data[start_index:end_index]``, paired with ``targets[i]`` for the window that
    starts at step ``i`` when targets are given."""
    _check(data, sequence_stride, sampling_rate, start_index, end_index, format)
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1_000_000))
        np.random.RandomState(seed).shuffle(positions)
    steps = to_leaf(data[start:end])
    if not isinstance(steps, torch.Tensor):
        steps = torch.as_tensor(np.asarray(steps))
    windows = _Windows(steps, torch.arange(sequence_length) * sampling_rate)
    position_tensor = torch.from_numpy(positions)
    if targets is not None:
        target_steps = to_leaf(targets[start:end])
        if not isinstance(target_steps, torch.Tensor):
            target_steps = torch.as_tensor(np.asarray(target_steps))
        ds = Dataset.from_tensor_slices(position_tensor).map(
            lambda p: (windows(p), target_steps[p])
        )
    else:
        ds = Dataset.from_tensor_slices(position_tensor).map(windows)
    ds = ds.prefetch(AUTOTUNE)
    if batch_size is not None:
        if shuffle:
            ds = ds.shuffle(buffer_size=batch_size * 8, seed=seed)
        ds = ds.batch(batch_size)
    elif shuffle:
        ds = ds.shuffle(buffer_size=1024, seed=seed)
    return ds
