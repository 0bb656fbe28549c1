"""The data adapter of :class:`torchbridge.utils.PyDataset` (Keras's ``PyDatasetAdapter``).

Each pass goes over the batch indices (shuffled with Python's ``random`` when
``fit(shuffle=True)``, as Keras). The dataset's ``on_epoch_begin()`` / ``on_epoch_end()``
are this adapter's hooks, which the epoch iterator calls around every epoch (also when a
shorter ``steps_per_epoch`` makes one pass span several epochs) and, for ``on_epoch_end``,
when fit / evaluate reset it — the calls Keras makes. A dataset with ``workers > 1`` is read by a pool of threads, one with
``use_multiprocessing=True`` by a pool of processes (the dataset is sent to each worker
once); at most ``max_queue_size`` batches are read ahead, and they come out in index order.
An endless dataset (``num_batches is None``) needs ``steps_per_epoch``.

Registered first in :mod:`torchbridge.training.adapter_registry` (a ``PyDataset``
is also iterable); :func:`make_py_dataset_adapter` is its factory and
:func:`can_handle` its test.
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.training.adapter_registry import (
    PRIORITY_PY_DATASET,
    AdapterOptions,
    register_data_adapter,
)
from torchbridge.training.adapters.batches import (
    StepData,
    class_weight_to_sample_weight,
    to_tensors,
)
from torchbridge.utils.py_dataset import PyDataset

__all__ = ["NAME", "PyDatasetAdapter", "can_handle", "make_py_dataset_adapter"]

NAME = "py_dataset"

_worker_dataset: PyDataset | None = None  # the dataset inside a worker process


def _init_worker(dataset: PyDataset) -> None:
    global _worker_dataset
    _worker_dataset = dataset


def _get_in_worker(index: int) -> Any:
    assert _worker_dataset is not None
    return _worker_dataset[index]


class PyDatasetAdapter:
    """Batches of a ``PyDataset``, read sequentially or by a pool of workers."""

    def __init__(
        self,
        dataset: PyDataset,
        class_weight: Mapping[int, float] | None = None,
        shuffle: bool | str = False,
    ) -> None:
        self.dataset = dataset
        self.class_weight = class_weight
        self.shuffle = bool(shuffle)
        self.workers = dataset.workers
        self.use_multiprocessing = dataset.use_multiprocessing
        self.max_queue_size = max(1, dataset.max_queue_size)
        self.num_batches: int | None = dataset.num_batches
        self.infinite = self.num_batches is None

    def _standardize(self, batch: Any) -> StepData:
        if isinstance(batch, Mapping):
            return to_tensors(batch, "x")
        if isinstance(batch, (np.ndarray, torch.Tensor)):
            batch = (batch,)
        if isinstance(batch, list):
            batch = tuple(batch)
        if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
            raise InputError(
                "PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must be "
                "ordered either (input,) or (inputs, targets) or (inputs, targets, "
                f"sample_weights). Received: {str(batch)[:100]}... of type {type(batch)}"
            )
        batch = tuple(
            to_tensors(part, what) for part, what in zip(batch, ("x", "y", "sample_weight"))
        )
        if self.class_weight is not None:
            if len(batch) == 3:
                raise InputError(
                    "You cannot specify `class_weight` and `sample_weight` at the same time: "
                    "the PyDataset already returns sample weights."
                )
            if len(batch) == 2:
                batch = (*batch, class_weight_to_sample_weight(batch[1], self.class_weight))
        return batch

    def _indices(self) -> Iterable[int]:
        if self.num_batches is None:
            return itertools.count()
        indices = list(range(self.num_batches))
        if self.shuffle:
            random.shuffle(indices)  # Python's random, as Keras (keras.utils.set_random_seed)
        return indices

    def _executor(self) -> Executor:
        # Imported here: concurrent.futures loads its process pool (and multiprocessing's
        # queues) only when these names are asked for, which import torchbridge should not.
        from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

        if self.use_multiprocessing:
            return ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context(),
                initializer=_init_worker,
                initargs=(self.dataset,),
            )
        return ThreadPoolExecutor(self.workers, thread_name_prefix="PyDataset")

    def _read_parallel(self, indices: Iterable[int]) -> Iterator[Any]:
        executor = self._executor()
        get = _get_in_worker if self.use_multiprocessing else self.dataset.__getitem__
        pending: deque[Future[Any]] = deque()
        todo = iter(indices)
        try:
            for index in itertools.islice(todo, self.max_queue_size):
                pending.append(executor.submit(get, index))
            while pending:
                batch = pending.popleft().result()
                for index in itertools.islice(todo, 1):
                    pending.append(executor.submit(get, index))
                yield batch
        finally:
            for future in pending:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)

    def on_epoch_begin(self) -> None:
        """Called by the epoch iterator before every epoch (Keras's adapter hook)."""
        self.dataset.on_epoch_begin()

    def on_epoch_end(self) -> None:
        """Called by the epoch iterator after every epoch and on reset (Keras's hook)."""
        self.dataset.on_epoch_end()

    def iter_epoch(self, epoch: int) -> Iterator[StepData]:
        indices = self._indices()
        if self.workers > 1 or (self.workers > 0 and self.use_multiprocessing):
            source: Iterator[Any] = self._read_parallel(indices)
        else:
            source = (self.dataset[i] for i in indices)
        try:
            for batch in source:
                yield self._standardize(batch)
        finally:
            # The pass is over: read to the end, or left by the epoch loop once it has its
            # steps (the loop drops this generator, which closes it right away).
            getattr(source, "close", lambda: None)()


def make_py_dataset_adapter(
    x: PyDataset, y: Any, sample_weight: Any, options: AdapterOptions
) -> PyDatasetAdapter:
    """The adapter for a ``PyDataset`` passed as ``x`` (which must carry its own targets)."""
    for value, name in ((y, "y"), (sample_weight, "sample_weight")):
        if value is not None:
            raise InputError(
                f"When providing `x` as a PyDataset, `{name}` should not be passed. Instead, "
                f"the {name.replace('_', ' ')}s should be included as part of the PyDataset "
                "(return them from __getitem__)."
            )
    return PyDatasetAdapter(x, class_weight=options.class_weight, shuffle=options.shuffle)


def can_handle(x: Any) -> bool:
    """A ``keras.utils.PyDataset`` (``torchbridge.utils.PyDataset``)."""
    return isinstance(x, PyDataset)


register_data_adapter(
    NAME, can_handle, make_py_dataset_adapter, priority=PRIORITY_PY_DATASET, builtin=True
)
