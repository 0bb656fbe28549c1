"""``keras.utils.PyDataset`` (alias ``Sequence``): a dataset written as Python code, one batch
per index.

A subclass implements ``__getitem__(index)`` (a whole batch: ``x``, ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)``, or a dict) and ``__len__`` (the number of batches) or a
``num_batches`` property that may be ``None`` for an endless dataset. ``workers``,
``use_multiprocessing`` and ``max_queue_size`` only tell ``fit`` / ``evaluate`` / ``predict``
how to read it in parallel (threads, or processes); iterating over it by hand reads it
sequentially. The engine side (parallel reading, shuffling of batch order, the epoch hooks)
lives in :mod:`torchbridge.training.py_dataset_adapter`.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["PyDataset", "Sequence"]

_DEFAULTS = {"_workers": 1, "_use_multiprocessing": False, "_max_queue_size": 10}


class PyDataset:
    """Base class of a dataset whose batches Python code builds, by index (Keras's contract)."""

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = [name for name in _DEFAULTS if name not in self.__dict__]
        for name in missing:
            setattr(self, name, _DEFAULTS[name])
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        self._warn_if_super_not_called()
        return int(self._workers)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        self._warn_if_super_not_called()
        return bool(self._use_multiprocessing)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        self._warn_if_super_not_called()
        return int(self._max_queue_size)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """The batch at position ``index``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(self, index) returning one batch."
        )

    def __iter__(self) -> Iterator[Any]:
        try:
            total = self.num_batches
        except NotImplementedError:
            total = None
        indices = itertools.count() if total is None else range(total)
        for index in indices:
            yield self[index]

    @property
    def num_batches(self) -> int | None:
        """How many batches there are (``None``: the dataset never ends)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ or the num_batches property:\n\n"
            "@property\ndef num_batches(self):\n    return ...  # None for an endless dataset"
        )

    def on_epoch_begin(self) -> None:
        """Called at the start of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""


#: Keras's older name for :class:`PyDataset`.
Sequence = PyDataset
