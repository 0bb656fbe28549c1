"""The iterator protocol every pipeline node implements, and the user-facing iterator.

A node's iterator is a plain Python iterator with two more methods:

* ``get_state() -> dict`` — everything needed to continue from the next
  element (plain Python values, NumPy arrays or tensors; no open handles);
* ``set_state(state)`` — continue exactly from there on a fresh iterator of
  the same pipeline.

:class:`DatasetIterator` is what ``iter(dataset)`` returns: it forwards to the
root node's iterator and adds ``state_dict`` / ``load_state_dict`` aliases and
``close()`` (which stops worker threads of parallel stages). :func:`all_elements` reads
a whole dataset, bypassing the DataLoader-worker / rank sharding of ``iter()`` — what
whole-dataset operations (``reduce``, ``save`` ...) and nested datasets need.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["NodeIterator", "DatasetIterator", "all_elements"]


@runtime_checkable
class NodeIterator(Protocol):
    def __next__(self) -> Any: ...

    def get_state(self) -> dict[str, Any]: ...

    def set_state(self, state: dict[str, Any]) -> None: ...


class DatasetIterator(Iterator[Any]):
    """The iterator of a :class:`~torchbridge.data.Dataset` (resumable)."""

    def __init__(self, node_iterator: Any) -> None:
        self._it = node_iterator

    def __iter__(self) -> DatasetIterator:
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def get_state(self) -> dict[str, Any]:
        return self._it.get_state()

    def set_state(self, state: dict[str, Any]) -> None:
        self._it.set_state(state)

    # PyTorch spelling of the same thing.
    state_dict = get_state
    load_state_dict = set_state

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()

    def __del__(self) -> None:
        # No module globals here: at interpreter exit they may already be None.
        try:  # noqa: SIM105 - contextlib may be gone at interpreter exit
            self.close()
        except Exception:
            pass


def all_elements(dataset: Any) -> Generator[Any, None, None]:
    """Every element of ``dataset`` (not this worker's / rank's shard of them)."""
    it = DatasetIterator(dataset._iterator())
    try:
        yield from it
    finally:
        it.close()
