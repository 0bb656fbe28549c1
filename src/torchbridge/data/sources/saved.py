"""``Dataset.load``: read a directory written by ``Dataset.save`` (or a finished
``snapshot``). Each shard is a dataset of its chunk files' elements; ``reader_func`` gets
the dataset of shard datasets (default: read them one after the other, so a dataset saved
with the default single shard loads in its saved order). State: chunk and position."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from torchbridge.data.dataset import Dataset
from torchbridge.data.persist import chunk_paths, read_chunk, read_spec
from torchbridge.data.sources.list import ListDataset

__all__ = ["ShardDataset", "load"]


class _ShardIterator:
    def __init__(self, files: list[str], compression: str | None) -> None:
        self._files, self._compression = files, compression
        self._chunk, self._position = 0, 0
        self._elements: list[Any] | None = None

    def __iter__(self) -> _ShardIterator:
        return self

    def __next__(self) -> Any:
        while True:
            if self._chunk >= len(self._files):
                raise StopIteration
            if self._elements is None:
                self._elements = read_chunk(self._files[self._chunk], self._compression)
            if self._position < len(self._elements):
                self._position += 1
                return self._elements[self._position - 1]
            self._chunk, self._position, self._elements = self._chunk + 1, 0, None

    def get_state(self) -> dict[str, Any]:
        return {"chunk": self._chunk, "position": self._position}

    def set_state(self, state: dict[str, Any]) -> None:
        self._chunk, self._position = int(state["chunk"]), int(state["position"])
        self._elements = None


class ShardDataset(Dataset):
    def __init__(self, files: list[str], compression: str | None, count: int = -2) -> None:
        self._files, self._compression, self._count = files, compression, count

    def _iterator(self) -> _ShardIterator:
        return _ShardIterator(self._files, self._compression)

    def _cardinality(self) -> int:
        return self._count


def load(
    path: str,
    element_spec: Any = None,
    compression: str | None = None,
    reader_func: Callable[[Dataset], Dataset] | None = None,
) -> Dataset:
    from torchbridge.data.persist import _check_compression

    path = os.fspath(path)
    spec = read_spec(path)
    saved = spec.get("compression")
    if compression is not None and _check_compression(compression) != saved:
        from torchbridge.errors import InputError

        raise InputError(
            f"Dataset.load: {path!r} was saved with compression={saved!r}, not {compression!r}."
        )
    shards = [ShardDataset(chunk_paths(path, name, n), saved) for name, n in spec["shards"]]
    if len(shards) == 1 and reader_func is None:
        shards[0]._count = int(spec["cardinality"])
        return shards[0]
    if not shards:
        return ListDataset([], convert=False)
    datasets = ListDataset(shards, convert=False)
    if reader_func is None:
        return datasets.flat_map(lambda d: d)
    return reader_func(datasets)
