"""``snapshot(path)``: the first full pass over the input writes its elements under
``path/<fingerprint>``; later passes (and later programs building the same pipeline) read
them back instead of recomputing. The snapshot appears only when a pass finishes, so an
interrupted pass leaves nothing half-written. ``reader_func`` / ``shard_func`` as in
``load`` / ``save``. State while writing: the input's state (a restored pass does not
write); while reading: the reader's state.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from torchbridge.data.dataset import Dataset
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator
from torchbridge.data.persist import DatasetWriter, _check_compression

__all__ = ["SnapshotDataset"]


class _WritingIterator(UnaryIterator):
    def __init__(self, upstream: Any, writer: DatasetWriter | None) -> None:
        super().__init__(upstream)
        self._writer = writer

    def __next__(self) -> Any:
        try:
            element = next(self._up)
        except StopIteration:
            if self._writer is not None:
                self._writer.finish()
                self._writer = None
            raise
        if self._writer is not None:
            self._writer.add(element)
        return element

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.close_writer()  # a resumed pass has not seen every element: do not write

    def close_writer(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def close(self) -> None:
        self.close_writer()
        super().close()

    def __del__(self) -> None:
        self.close_writer()


class SnapshotDataset(UnaryDataset):
    def __init__(
        self,
        input_dataset: Dataset,
        path: str,
        compression: str | None = "AUTO",
        reader_func: Callable[[Dataset], Dataset] | None = None,
        shard_func: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(input_dataset)
        self._compression = _check_compression(compression)
        self._reader_func = reader_func
        self._shard_func = shard_func
        self._dir = os.path.join(os.fspath(path), f"{input_dataset.fingerprint():016x}")

    def _iterator(self) -> Any:
        if os.path.isfile(os.path.join(self._dir, "dataset_spec.json")):
            from torchbridge.data.sources.saved import load

            return load(self._dir, reader_func=self._reader_func)._iterator()
        writer = DatasetWriter(self._dir, self._compression, self._shard_func)
        return _WritingIterator(self._input._iterator(), writer)
