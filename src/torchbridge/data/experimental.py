"""``torchbridge.data.experimental`` (``tf.data.experimental``): the commonly used names.

Most are *transformations* — functions that take arguments and return a function of a
dataset, for ``ds.apply(...)`` — wrapping the ``Dataset`` methods of the same name;
the rest are constants, sources, option classes and whole-dataset helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchbridge.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from torchbridge.data.ops.group_by_reducer import Reducer
from torchbridge.data.options import (
    AutoShardPolicy,
    AutotuneAlgorithm,
    AutotuneOptions,
    DistributeOptions,
    ExternalStatePolicy,
    OptimizationOptions,
    ServiceOptions,
    ThreadingOptions,
)
from torchbridge.data.sources.csv import CsvDataset
from torchbridge.data.sources.make_csv import make_csv_dataset
from torchbridge.errors import InputError
from torchbridge.io import TFRecordWriter

__all__ = [
    "AUTOTUNE",
    "AutoShardPolicy",
    "AutotuneAlgorithm",
    "AutotuneOptions",
    "Counter",
    "CsvDataset",
    "DistributeOptions",
    "ExternalStatePolicy",
    "INFINITE_CARDINALITY",
    "OptimizationOptions",
    "RandomDataset",
    "Reducer",
    "SHARD_HINT",
    "ServiceOptions",
    "TFRecordWriter",
    "ThreadingOptions",
    "UNKNOWN_CARDINALITY",
    "assert_cardinality",
    "at",
    "bucket_by_sequence_length",
    "cardinality",
    "choose_from_datasets",
    "copy_to_device",
    "dense_to_ragged_batch",
    "dense_to_sparse_batch",
    "enable_debug_mode",
    "enumerate_dataset",
    "from_list",
    "get_single_element",
    "get_structure",
    "group_by_reducer",
    "group_by_window",
    "ignore_errors",
    "load",
    "make_csv_dataset",
    "map_and_batch",
    "pad_to_cardinality",
    "parallel_interleave",
    "parse_example_dataset",
    "prefetch_to_device",
    "rejection_resample",
    "sample_from_datasets",
    "save",
    "scan",
    "shuffle_and_repeat",
    "snapshot",
    "take_while",
    "unbatch",
    "unique",
]

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN
SHARD_HINT = -1  # tf.data's placeholder for shard(): "shard by the auto-shard policy"


Transformation = Callable[[Dataset], Dataset]


# --- whole-dataset helpers and sources ---------------------------------------------------
def cardinality(dataset: Dataset) -> torch.Tensor:
    """The element count as an int64 scalar (-1 infinite, -2 unknown)."""
    return torch.tensor(dataset.cardinality(), dtype=torch.int64)


def get_single_element(dataset: Dataset) -> Any:
    return dataset.get_single_element()


def get_structure(dataset_or_iterator: Any) -> Any:
    """The element spec (see ``Dataset.element_spec``)."""
    return dataset_or_iterator.element_spec


def at(dataset: Dataset, index: int) -> Any:
    """The element at ``index`` (reads up to it)."""
    if index < 0:
        raise IndexError(f"at: index must be >= 0, got {index}.")
    from torchbridge.data.iterator import all_elements

    for element in all_elements(dataset.skip(index).take(1)):
        return element
    raise IndexError(f"at: index {index} is out of range for the dataset.")


def from_list(elements: Sequence[Any], name: str | None = None) -> Dataset:
    from torchbridge.data.sources.list import ListDataset

    if not elements:
        raise ValueError("from_list: `elements` must be a non-empty list.")
    return ListDataset(elements)


def Counter(start: int = 0, step: int = 1, dtype: Any = None) -> Dataset:
    return Dataset.counter(start, step, dtype)


def RandomDataset(
    seed: int | None = None, rerandomize_each_iteration: bool | None = None, name: str | None = None
) -> Dataset:
    return Dataset.random(seed, rerandomize_each_iteration)


def sample_from_datasets(
    datasets: Sequence[Dataset],
    weights: Any = None,
    seed: int | None = None,
    stop_on_empty_dataset: bool = False,
) -> Dataset:
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(
    datasets: Sequence[Dataset], choice_dataset: Dataset, stop_on_empty_dataset: bool = False
) -> Dataset:
    """As ``Dataset.choose_from_datasets`` but, as in tf.data.experimental, an empty
    dataset is skipped by default."""
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def save(
    dataset: Dataset,
    path: str,
    compression: str | None = None,
    shard_func: Callable[..., Any] | None = None,
    checkpoint_args: Any = None,
) -> None:
    dataset.save(path, compression, shard_func, checkpoint_args)


def load(
    path: str,
    element_spec: Any = None,
    compression: str | None = None,
    reader_func: Callable[[Dataset], Dataset] | None = None,
) -> Dataset:
    return Dataset.load(path, element_spec, compression, reader_func)


# --- transformations for Dataset.apply ---------------------------------------------------
def assert_cardinality(expected_cardinality: int) -> Transformation:
    from torchbridge.data.ops.assert_cardinality import AssertCardinalityDataset

    return lambda ds: AssertCardinalityDataset(ds, expected_cardinality)


def scan(initial_state: Any, scan_func: Callable[[Any, Any], Any]) -> Transformation:
    return lambda ds: ds.scan(initial_state, scan_func)


def take_while(predicate: Callable[..., Any]) -> Transformation:
    return lambda ds: ds.take_while(predicate)


def unique() -> Transformation:
    return lambda ds: ds.unique()


def group_by_window(
    key_func: Callable[..., Any],
    reduce_func: Callable[[Any, Dataset], Dataset],
    window_size: int | None = None,
    window_size_func: Callable[[Any], Any] | None = None,
) -> Transformation:
    return lambda ds: ds.group_by_window(key_func, reduce_func, window_size, window_size_func)


def group_by_reducer(key_func: Callable[..., Any], reducer: Reducer) -> Transformation:
    from torchbridge.data.ops.group_by_reducer import GroupByReducerDataset

    return lambda ds: GroupByReducerDataset(ds, key_func, reducer)


def rejection_resample(
    class_func: Callable[..., Any],
    target_dist: Any,
    initial_dist: Any = None,
    seed: int | None = None,
) -> Transformation:
    return lambda ds: ds.rejection_resample(class_func, target_dist, initial_dist, seed)


def enumerate_dataset(start: int = 0) -> Transformation:
    return lambda ds: ds.enumerate(start)


def ignore_errors(log_warning: bool = False) -> Transformation:
    return lambda ds: ds.ignore_errors(log_warning)


def unbatch() -> Transformation:
    return lambda ds: ds.unbatch()


def bucket_by_sequence_length(
    element_length_func: Callable[..., int],
    bucket_boundaries: Sequence[int],
    bucket_batch_sizes: Sequence[int],
    padded_shapes: Any = None,
    padding_values: Any = None,
    pad_to_bucket_boundary: bool = False,
    no_padding: bool = False,
    drop_remainder: bool = False,
) -> Transformation:
    return lambda ds: ds.bucket_by_sequence_length(
        element_length_func,
        bucket_boundaries,
        bucket_batch_sizes,
        padded_shapes,
        padding_values,
        pad_to_bucket_boundary,
        no_padding,
        drop_remainder,
    )


def dense_to_ragged_batch(
    batch_size: int, drop_remainder: bool = False, row_splits_dtype: Any = None
) -> Transformation:
    return lambda ds: ds.ragged_batch(batch_size, drop_remainder, row_splits_dtype)


def dense_to_sparse_batch(batch_size: int, row_shape: Sequence[int]) -> Transformation:
    return lambda ds: ds.sparse_batch(batch_size, row_shape)


def shuffle_and_repeat(
    buffer_size: int, count: int | None = None, seed: int | None = None
) -> Transformation:
    return lambda ds: ds.shuffle(buffer_size, seed).repeat(count)


def map_and_batch(
    map_func: Callable[..., Any],
    batch_size: int,
    num_parallel_batches: int | None = None,
    drop_remainder: bool = False,
    num_parallel_calls: int | None = None,
) -> Transformation:
    if num_parallel_calls is None and num_parallel_batches is not None:
        num_parallel_calls = num_parallel_batches * batch_size
    return lambda ds: ds.map(map_func, num_parallel_calls).batch(batch_size, drop_remainder)


def parallel_interleave(
    map_func: Callable[..., Dataset],
    cycle_length: int,
    block_length: int = 1,
    sloppy: bool | None = False,
    buffer_output_elements: int | None = None,
    prefetch_input_elements: int | None = None,
) -> Transformation:
    return lambda ds: ds.interleave(
        map_func,
        cycle_length,
        block_length,
        num_parallel_calls=cycle_length,
        deterministic=not sloppy,
    )


def snapshot(
    path: str,
    compression: str | None = "AUTO",
    reader_func: Callable[[Dataset], Dataset] | None = None,
    shard_func: Callable[..., Any] | None = None,
) -> Transformation:
    return lambda ds: ds.snapshot(path, compression, reader_func, shard_func)


def pad_to_cardinality(cardinality: int, mask_key: str = "valid") -> Transformation:
    """Pad a dataset of dicts with zero elements (``mask_key`` False) up to ``cardinality``
    elements; the real ones get ``mask_key`` True."""

    def apply(ds: Dataset) -> Dataset:
        from torchbridge.data.iterator import all_elements
        from torchbridge.data.sources.list import ListDataset

        n = ds.cardinality()
        if n < 0:
            raise InputError(
                "pad_to_cardinality needs a dataset of known, finite cardinality; got "
                f"{n} ({'infinite' if n == INFINITE else 'unknown'}). Use "
                "assert_cardinality(n) first if you know it."
            )
        if n > cardinality:
            raise InputError(
                f"pad_to_cardinality({cardinality}): the dataset already has {n} elements."
            )
        first = next(all_elements(ds), None)
        if not isinstance(first, dict):
            raise InputError("pad_to_cardinality needs dict elements (to add the mask key).")
        filler = {k: _zeros_like(v) for k, v in first.items()}
        filler[mask_key] = torch.tensor(False)
        real = ds.map(lambda e: {**e, mask_key: torch.tensor(True)})
        return real.concatenate(ListDataset([filler] * (cardinality - n), convert=False))

    return apply


def _zeros_like(leaf: Any) -> Any:
    import numpy as np

    if isinstance(leaf, torch.Tensor):
        return torch.zeros_like(leaf)
    if isinstance(leaf, np.ndarray):
        return np.full(leaf.shape, "", dtype=object)
    return "" if isinstance(leaf, str) else b""


def parse_example_dataset(
    features: Any, num_parallel_calls: int = 1, deterministic: bool | None = None
) -> Transformation:
    """Parse batches of serialized ``tf.train.Example``s into dicts (``torchbridge.io``)."""
    from torchbridge.io import parse_example

    return lambda ds: ds.map(
        lambda serialized: parse_example(serialized, features), num_parallel_calls, deterministic
    )


def _torch_device(device: str) -> torch.device:
    """``"/gpu:0"``, ``"/device:GPU:1"``, ``"/cpu:0"`` or a torch device string."""
    text = str(device).lower().replace("/device:", "").lstrip("/")
    kind, _, index = text.partition(":")
    if kind == "gpu":
        return torch.device(f"cuda:{index or 0}")
    if kind == "cpu":
        return torch.device("cpu")
    return torch.device(str(device))


def copy_to_device(target_device: str, source_device: str = "/cpu:0") -> Transformation:
    """Move every tensor of each element to ``target_device``."""
    from torchbridge.utils import nest

    device = _torch_device(target_device)
    return lambda ds: ds.map(
        lambda *e: nest.map_structure(
            lambda x: x.to(device) if isinstance(x, torch.Tensor) else x,
            e if len(e) != 1 else e[0],
        )
    )


def prefetch_to_device(device: str, buffer_size: int | None = None) -> Transformation:
    """``copy_to_device`` then ``prefetch(buffer_size or 1)``."""
    return lambda ds: copy_to_device(device)(ds).prefetch(buffer_size or 1)


def enable_debug_mode() -> None:
    """tf.data runs its functions eagerly in debug mode; torchbridge pipelines always do."""
