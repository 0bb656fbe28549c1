"""The tf.data ``Dataset`` methods beyond the core pipeline: reductions (``reduce``,
``get_single_element``), stateful and windowed transformations (``scan``, ``window``,
``group_by_window``, ``unique``, ``take_while``, ``rejection_resample``), mixing
datasets (``sample_from_datasets``, ``choose_from_datasets``), sources (``random``,
``counter``, ``load``), persistence (``save``, ``snapshot``), ``apply``, options,
``element_spec`` and ``fingerprint``.

:class:`DatasetExtrasMixin` is a base of :class:`~torchbridge.data.Dataset`; each method
only wires its arguments to the node in ``torchbridge.data.ops`` / ``sources``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import torch

from torchbridge.data.iterator import all_elements
from torchbridge.errors import InputError

if TYPE_CHECKING:
    from torchbridge.data.dataset import Dataset
    from torchbridge.data.options import Options

__all__ = ["DatasetExtrasMixin"]


class DatasetExtrasMixin:
    def _as_dataset(self) -> Dataset:
        return cast("Dataset", self)

    # --- whole-dataset results ------------------------------------------------------------
    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        """``transformation_func(self._as_dataset())``: chain a function that transforms datasets."""
        out = transformation_func(self._as_dataset())
        from torchbridge.data.dataset import Dataset

        if not isinstance(out, Dataset):
            raise TypeError(
                f"apply: transformation_func must return a Dataset, got {type(out).__name__}."
            )
        return out

    def reduce(
        self, initial_state: Any, reduce_func: Callable[[Any, Any], Any], name: str | None = None
    ) -> Any:
        """Fold the elements into one state: ``state = reduce_func(state, element)``."""
        from torchbridge.data.ops._call import wrap_error
        from torchbridge.data.structure import to_structure

        state = to_structure(initial_state)
        for position, element in enumerate(all_elements(self)):
            try:
                state = to_structure(reduce_func(state, element))
            except Exception as e:
                raise wrap_error("reduce", reduce_func, position, e) from e
        return state

    def get_single_element(self, name: str | None = None) -> Any:
        """The dataset's only element; an error if it has none or more than one."""
        it = all_elements(self)
        try:
            element = next(it)
        except StopIteration:
            raise InputError(
                "get_single_element: Dataset was empty. It must hold exactly one element "
                "(e.g. .batch() everything into one, or .take(1))."
            ) from None
        try:
            next(it)
        except StopIteration:
            return element
        finally:
            it.close()
        raise InputError(
            "get_single_element: Dataset had more than one element. It must hold exactly "
            "one (e.g. .take(1), or .batch() everything into one)."
        )

    @property
    def element_spec(self) -> Any:
        """The element's structure of :class:`~torchbridge.data.spec.TensorSpec` (read from
        the first element; tf.data infers it statically)."""
        from torchbridge.data.spec import spec_of

        for element in all_elements(self):
            return spec_of(element)
        raise InputError(
            "element_spec: the dataset is empty, and torchbridge reads the spec from the "
            "first element."
        )

    def fingerprint(self) -> torch.Tensor:
        """A uint64 hash of the pipeline (same pipeline, same fingerprint)."""
        from torchbridge.data.fingerprint import pipeline_fingerprint

        value = pipeline_fingerprint(self._as_dataset())
        return torch.tensor(value - 2**64 if value >= 2**63 else value, dtype=torch.int64).view(
            torch.uint64
        )

    # --- options ----------------------------------------------------------------------------
    def options(self) -> Options:
        """The options attached anywhere upstream, merged (later ones win)."""
        from torchbridge.data.options import Options

        merged = Options()
        for parent in self._as_dataset()._inputs:
            merged = merged.merge(parent.options())
        own = getattr(self, "_own_options", None)
        return merged.merge(own) if own is not None else merged

    def with_options(self, options: Options, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.with_options import WithOptionsDataset

        return WithOptionsDataset(self._as_dataset(), options)

    # --- transformations ----------------------------------------------------------------------
    def scan(
        self, initial_state: Any, scan_func: Callable[[Any, Any], Any], name: str | None = None
    ) -> Dataset:
        from torchbridge.data.ops.scan import ScanDataset

        return ScanDataset(self._as_dataset(), initial_state, scan_func)

    def window(
        self,
        size: int,
        shift: int | None = None,
        stride: int = 1,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.window import WindowDataset

        return WindowDataset(self._as_dataset(), size, shift, stride, drop_remainder)

    def unique(self, name: str | None = None) -> Dataset:
        from torchbridge.data.ops.unique import UniqueDataset

        return UniqueDataset(self._as_dataset())

    def take_while(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        from torchbridge.data.ops.take_while import TakeWhileDataset

        return TakeWhileDataset(self._as_dataset(), predicate)

    def group_by_window(
        self,
        key_func: Callable[..., Any],
        reduce_func: Callable[[Any, Dataset], Dataset],
        window_size: int | None = None,
        window_size_func: Callable[[Any], Any] | None = None,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.group_by_window import GroupByWindowDataset

        return GroupByWindowDataset(
            self._as_dataset(),
            key_func,
            reduce_func,
            window_size,
            window_size_func,
        )

    def rejection_resample(
        self,
        class_func: Callable[..., Any],
        target_dist: Any,
        initial_dist: Any = None,
        seed: int | None = None,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.rejection_resample import RejectionResampleDataset

        return RejectionResampleDataset(
            self._as_dataset(),
            class_func,
            target_dist,
            initial_dist,
            seed,
        )

    def ragged_batch(
        self,
        batch_size: int,
        drop_remainder: bool = False,
        row_splits_dtype: Any = None,
        name: str | None = None,
    ) -> Dataset:
        """tf.data makes RaggedTensors; torch has none, so this is ``padded_batch`` (each
        component padded with 0 / "" to the longest in the batch)."""
        from torchbridge.data.ops.batch import PaddedBatchDataset

        return PaddedBatchDataset(self._as_dataset(), batch_size, None, None, drop_remainder)

    def sparse_batch(
        self, batch_size: int, row_shape: Sequence[int], name: str | None = None
    ) -> Dataset:
        """Batches as sparse COO tensors of shape ``(batch, *row_shape)``."""
        from torchbridge.data.ops.batch import PaddedBatchDataset
        from torchbridge.data.ops.map import MapDataset

        padded = PaddedBatchDataset(self._as_dataset(), batch_size, list(row_shape), None, False)
        return MapDataset(padded, _to_sparse)

    # --- persistence ------------------------------------------------------------------------
    def save(
        self,
        path: str,
        compression: str | None = None,
        shard_func: Callable[..., Any] | None = None,
        checkpoint_args: Any = None,
    ) -> None:
        """Write every element under ``path`` (see :mod:`torchbridge.data.persist`)."""
        from torchbridge.data.persist import DatasetWriter

        writer = DatasetWriter(path, compression, shard_func)
        try:
            for element in all_elements(self):
                writer.add(element)
        except BaseException:
            writer.abort()
            raise
        writer.finish()

    def snapshot(
        self,
        path: str,
        compression: str | None = "AUTO",
        reader_func: Callable[[Dataset], Dataset] | None = None,
        shard_func: Callable[..., Any] | None = None,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.snapshot import SnapshotDataset

        return SnapshotDataset(self._as_dataset(), path, compression, reader_func, shard_func)

    @staticmethod
    def load(
        path: str,
        element_spec: Any = None,
        compression: str | None = None,
        reader_func: Callable[[Dataset], Dataset] | None = None,
        wait: bool = False,
    ) -> Dataset:
        from torchbridge.data.sources.saved import load

        return load(path, element_spec, compression, reader_func)

    # --- sources ------------------------------------------------------------------------------
    @staticmethod
    def sample_from_datasets(
        datasets: Sequence[Dataset],
        weights: Any = None,
        seed: int | None = None,
        stop_on_empty_dataset: bool = False,
        rerandomize_each_iteration: bool | None = None,
    ) -> Dataset:
        from torchbridge.data.ops.sample import sample_from_datasets

        return sample_from_datasets(
            datasets, weights, seed, stop_on_empty_dataset, rerandomize_each_iteration
        )

    @staticmethod
    def choose_from_datasets(
        datasets: Sequence[Dataset], choice_dataset: Dataset, stop_on_empty_dataset: bool = True
    ) -> Dataset:
        from torchbridge.data.ops.choose import ChooseFromDatasets

        return ChooseFromDatasets(datasets, choice_dataset, stop_on_empty_dataset)

    @staticmethod
    def random(
        seed: int | None = None,
        rerandomize_each_iteration: bool | None = None,
        name: str | None = None,
    ) -> Dataset:
        from torchbridge.data.sources.random import RandomDataset

        return RandomDataset(seed, rerandomize_each_iteration)

    @staticmethod
    def counter(
        start: int = 0, step: int = 1, dtype: Any = None, name: str | None = None
    ) -> Dataset:
        """``start, start + step, ...`` forever (int64 unless ``dtype``)."""
        from torchbridge.data.ops.map import MapDataset
        from torchbridge.data.sources.generator import _torch_dtype
        from torchbridge.data.sources.range import CounterDataset

        counter = CounterDataset(start, step)
        target = _torch_dtype(dtype)
        if target is None or target == torch.int64:
            return counter
        return MapDataset(counter, lambda x: x.to(target))


def _to_sparse(*components: Any) -> Any:
    from torchbridge.utils import nest

    out = nest.map_structure(
        lambda t: t.to_sparse() if isinstance(t, torch.Tensor) else t, components
    )
    return out[0] if len(out) == 1 else out
