"""``Dataset``: tf.data's API on plain Python and PyTorch.

A ``Dataset`` is an immutable description of a pipeline: a source (tensor
slices, files, a generator ...) followed by transformations, each of which
returns a new ``Dataset``. Nothing runs until it is iterated. Every node lives
in its own module (``torchbridge.data.sources.*``, ``torchbridge.data.ops.*``);
this class only wires the fluent methods to them (the less common ones live in
``dataset_extras.py``).

A ``Dataset`` is also a ``torch.utils.data.IterableDataset``: hand it to a
``DataLoader(ds, batch_size=None)`` or loop over it yourself. ``iter(ds)``
gives a resumable :class:`~torchbridge.data.iterator.DatasetIterator`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from torch.utils.data import IterableDataset

from torchbridge.data.dataset_extras import DatasetExtrasMixin
from torchbridge.data.iterator import DatasetIterator

__all__ = ["Dataset", "AUTOTUNE", "INFINITE", "UNKNOWN"]

AUTOTUNE = -1
INFINITE = -1  # tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # tf.data.UNKNOWN_CARDINALITY


class Dataset(DatasetExtrasMixin, IterableDataset):  # type: ignore[type-arg]
    """Base class of every pipeline node; subclasses implement :meth:`_iterator`.

    The core methods are here; the rest of tf.data's (``reduce``, ``scan``, ``window``,
    ``save`` ...) come from :class:`~torchbridge.data.dataset_extras.DatasetExtrasMixin`.
    """

    # --- what a node implements ---------------------------------------------------
    def _iterator(self) -> Any:
        """A fresh node iterator (``__next__``, ``get_state``, ``set_state``)."""
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN

    @property
    def _inputs(self) -> list[Dataset]:
        return []

    # --- iteration ----------------------------------------------------------------
    def __iter__(self) -> DatasetIterator:
        from torchbridge.data.ops.shard import worker_sharded

        return DatasetIterator(worker_sharded(self)._iterator())

    def as_numpy_iterator(self) -> Iterator[Any]:
        """Iterate with tensors converted to NumPy arrays (strings stay ``str``/arrays)."""
        from torchbridge.data.ops.numpy_iter import as_numpy

        for element in self:
            yield as_numpy(element)

    def cardinality(self) -> int:
        """Number of elements; ``INFINITE`` (-1) or ``UNKNOWN`` (-2) as in tf.data."""
        return self._cardinality()

    def __len__(self) -> int:
        n = self._cardinality()
        if n < 0:
            raise TypeError(
                "The length of this dataset is "
                + ("infinite" if n == INFINITE else "unknown")
                + "; use cardinality() (returns -1 infinite / -2 unknown)."
            )
        return n

    def __repr__(self) -> str:
        return f"<{type(self).__name__} cardinality={self._cardinality()}>"

    # --- sources --------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        from torchbridge.data.sources.tensors import TensorSlicesDataset

        return TensorSlicesDataset(tensors)

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        from torchbridge.data.sources.tensors import TensorsDataset

        return TensorsDataset(tensors)

    @staticmethod
    def from_generator(
        generator: Callable[..., Any],
        output_types: Any = None,
        output_shapes: Any = None,
        args: Sequence[Any] | None = None,
        output_signature: Any = None,
    ) -> Dataset:
        from torchbridge.data.sources.generator import GeneratorDataset

        signature = output_signature if output_signature is not None else output_types
        return GeneratorDataset(generator, args=args, signature=signature)

    @staticmethod
    def range(*args: int, dtype: Any = None) -> Dataset:
        from torchbridge.data.sources.range import RangeDataset

        return RangeDataset(*args)

    @staticmethod
    def zip(*datasets: Any) -> Dataset:
        from torchbridge.data.ops.zip import ZipDataset

        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list, dict)):
            return ZipDataset(datasets[0])
        return ZipDataset(tuple(datasets))

    @staticmethod
    def list_files(
        file_pattern: str | Sequence[str], shuffle: bool | None = None, seed: int | None = None
    ) -> Dataset:
        from torchbridge.data.sources.files import list_files

        return list_files(file_pattern, shuffle=shuffle, seed=seed)

    @staticmethod
    def from_torch(dataset: Any) -> Dataset:
        """Adapt a map-style or iterable ``torch.utils.data.Dataset``."""
        from torchbridge.data.sources.torch_dataset import TorchDataset

        return TorchDataset(dataset)

    @staticmethod
    def from_hf(dataset: Any, columns: Sequence[str] | None = None) -> Dataset:
        """Adapt a Hugging Face ``datasets.Dataset`` / ``IterableDataset`` (dict elements)."""
        from torchbridge.data.sources.torch_dataset import HFDataset

        return HFDataset(dataset, columns=columns)

    # --- element-wise -----------------------------------------------------------------
    def map(
        self,
        map_func: Callable[..., Any],
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        synchronous: bool | None = None,
        use_unbounded_threadpool: bool = False,
        name: str | None = None,
        *,
        use_processes: bool = False,
        timeout: float | None = None,
    ) -> Dataset:
        """tf.data's ``map``; ``synchronous`` and ``use_unbounded_threadpool`` are accepted
        and ignored. torchbridge's keywords: ``use_processes=True`` runs the function in
        forked worker processes; ``timeout=seconds`` makes a call that runs longer raise
        ``PipelineTimeoutError`` (see :mod:`torchbridge.data.ops.map`)."""
        from torchbridge.data.ops.map import MapDataset

        return MapDataset(self, map_func, num_parallel_calls, deterministic, use_processes, timeout)

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        from torchbridge.data.ops.filter import FilterDataset

        if not callable(predicate):
            raise TypeError(
                f"filter() needs a callable predicate (element -> bool), got "
                f"{type(predicate).__name__}."
            )
        return FilterDataset(self, predicate)

    def enumerate(self, start: int = 0, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.zip import ZipDataset
        from torchbridge.data.sources.range import CounterDataset

        return ZipDataset((CounterDataset(start), self))

    def ignore_errors(self, log_warning: bool = False, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.ignore_errors import IgnoreErrorsDataset

        return IgnoreErrorsDataset(self, log_warning)

    # --- order ------------------------------------------------------------------------
    def shuffle(
        self,
        buffer_size: int,
        seed: int | None = None,
        reshuffle_each_iteration: bool = True,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.shuffle import ShuffleDataset

        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: int | None = None, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.repeat import RepeatDataset

        return RepeatDataset(self, count)

    def take(self, count: int, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.take_skip import TakeDataset

        return TakeDataset(self, count)

    def skip(self, count: int, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.take_skip import SkipDataset

        return SkipDataset(self, count)

    def shard(self, num_shards: int, index: int, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.shard import ShardDataset

        return ShardDataset(self, num_shards, index)

    def concatenate(self, dataset: Dataset, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.concatenate import ConcatenateDataset

        return ConcatenateDataset(self, dataset)

    # --- batching ---------------------------------------------------------------------
    def batch(
        self,
        batch_size: int,
        drop_remainder: bool = False,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.batch import BatchDataset

        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(
        self,
        batch_size: int,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.batch import PaddedBatchDataset

        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def unbatch(self, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.batch import UnbatchDataset

        return UnbatchDataset(self)

    def rebatch(
        self,
        batch_size: int | Sequence[int],
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.batch import RebatchDataset

        return RebatchDataset(self, batch_size, drop_remainder)

    def bucket_by_sequence_length(
        self,
        element_length_func: Callable[..., int],
        bucket_boundaries: Sequence[int],
        bucket_batch_sizes: Sequence[int],
        padded_shapes: Any = None,
        padding_values: Any = None,
        pad_to_bucket_boundary: bool = False,
        no_padding: bool = False,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.bucket import BucketBySequenceLengthDataset

        return BucketBySequenceLengthDataset(
            self,
            element_length_func,
            bucket_boundaries,
            bucket_batch_sizes,
            padded_shapes,
            padding_values,
            pad_to_bucket_boundary,
            no_padding,
            drop_remainder,
        )

    # --- nesting ----------------------------------------------------------------------
    def flat_map(self, map_func: Callable[..., Dataset], name: str | None = None) -> Dataset:
        from torchbridge.data.ops.interleave import InterleaveDataset

        return InterleaveDataset(self, map_func, cycle_length=1, block_length=1)

    def interleave(
        self,
        map_func: Callable[..., Dataset],
        cycle_length: int | None = None,
        block_length: int | None = None,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.interleave import InterleaveDataset

        return InterleaveDataset(
            self, map_func, cycle_length, block_length, num_parallel_calls, deterministic
        )

    # --- performance ----------------------------------------------------------------------
    def cache(self, filename: str = "", name: str | None = None) -> Dataset:
        from torchbridge.data.ops.cache import CacheDataset

        return CacheDataset(self, filename)

    def prefetch(self, buffer_size: int, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.prefetch import PrefetchDataset

        return PrefetchDataset(self, buffer_size)
