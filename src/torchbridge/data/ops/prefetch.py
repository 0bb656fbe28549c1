"""``prefetch(buffer_size)``: a background thread keeps up to ``buffer_size``
elements ready, so the pipeline runs while the model trains.

``AUTOTUNE`` uses a buffer of 2 elements per CPU (at least 2). An exception in
the pipeline is re-raised in the consumer at the position it happened. State
(``get_state``) pauses the thread briefly and records the input's state plus
the buffered elements. The thread stops on ``close()``, as soon as the iterator
is dropped (``break``, an exception, ``del``), or at interpreter exit (it is a
daemon); stopping never waits for an element being fetched — the thread closes
the input itself once that fetch returns.
"""

from __future__ import annotations

import collections
import os
import threading
import weakref
from typing import Any

from torchbridge.data.dataset import AUTOTUNE, Dataset
from torchbridge.data.ops._args import int_arg
from torchbridge.data.ops._unary import UnaryDataset

__all__ = ["PrefetchDataset"]

_END = object()


class _Shared:
    """State shared by the consumer and the producer thread (no reference to the
    iterator object itself, so the iterator can be garbage-collected)."""

    def __init__(self, upstream: Any, size: int) -> None:
        self.up = upstream
        self.size = size
        self.buffer: collections.deque[Any] = collections.deque()
        self.cond = threading.Condition()
        self.stop = False
        self.paused = False
        self.busy = False  # the producer is inside next(upstream), without the lock
        self.finished = False


def _produce(shared: _Shared) -> None:
    while True:
        with shared.cond:
            while not shared.stop and (shared.paused or len(shared.buffer) >= shared.size):
                shared.cond.wait()
            if shared.stop:
                return
            shared.busy = True
        try:  # the slow part runs without the lock, overlapping with the consumer
            item = next(shared.up)
        except StopIteration:
            item = _END
        except BaseException as e:  # hand every error to the consumer
            item = e
        with shared.cond:
            shared.busy = False
            if shared.stop:  # stopped while we were fetching: closing the input is ours
                break
            shared.buffer.append(item)
            if item is _END:
                shared.finished = True
            shared.cond.notify_all()
            if item is _END:
                return
            # An error's traceback will reach the consumer's frames (and the iterator):
            # this idle frame must not keep it alive.
            item = None
    _close_input(shared)


def _close_input(shared: _Shared) -> None:
    getattr(shared.up, "close", lambda: None)()


def _stop(shared: _Shared, thread: threading.Thread) -> None:
    """Stop the producer without waiting for it: if it is inside ``next(input)`` it
    closes the input itself when that returns; otherwise the input is closed here."""
    with shared.cond:
        shared.stop = True
        shared.cond.notify_all()
        busy = shared.busy and thread.is_alive()
    if not busy:
        _close_input(shared)


class _PrefetchIterator:
    def __init__(self, upstream: Any, size: int) -> None:
        self._shared = _Shared(upstream, size)
        self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(
            target=_produce, args=(self._shared,), name="torchbridge-prefetch", daemon=True
        )
        self._thread.start()
        self._finalizer = weakref.finalize(self, _stop, self._shared, self._thread)

    def __iter__(self) -> _PrefetchIterator:
        return self

    def __next__(self) -> Any:
        shared = self._shared
        with shared.cond:
            while not shared.buffer:
                shared.cond.wait()
            item = shared.buffer[0]
            if item is _END:
                raise StopIteration
            shared.buffer.popleft()
            shared.cond.notify_all()
        if isinstance(item, BaseException):
            try:
                raise item
            finally:  # no frame -> exception cycle: a dropped iterator is freed at once
                item = None
        return item

    def get_state(self) -> dict[str, Any]:
        shared = self._shared
        with shared.cond:
            self._pause()
            try:
                # The producer is between elements: the input's state and the buffer
                # describe the same point.
                # Errors stay at their positions: a restored iterator raises them too.
                buffered = [x for x in shared.buffer if x is not _END]
                return {
                    "upstream": shared.up.get_state(),
                    "buffer": buffered,
                    "finished": shared.finished,
                }
            finally:
                shared.paused = False
                shared.cond.notify_all()

    def _pause(self) -> None:
        """With the lock held: stop the producer between two elements."""
        shared = self._shared
        shared.paused = True
        while shared.busy:
            shared.cond.wait()

    def set_state(self, state: dict[str, Any]) -> None:
        shared = self._shared
        with shared.cond:
            self._pause()
            shared.up.set_state(state["upstream"])
            shared.buffer = collections.deque(state["buffer"])
            if state["finished"]:
                shared.buffer.append(_END)
            restart = shared.finished and not state["finished"]
            shared.finished = state["finished"]
            shared.paused = False
            shared.cond.notify_all()
        if restart:
            self._start()

    def close(self) -> None:
        self._finalizer()


class PrefetchDataset(UnaryDataset):
    def __init__(self, input_dataset: Dataset, buffer_size: int) -> None:
        if buffer_size == AUTOTUNE:
            buffer_size = max(2, 2 * (os.cpu_count() or 1))
        self._size = int_arg(
            buffer_size, "prefetch", "buffer_size", minimum=1, hint="Or pass AUTOTUNE."
        )
        super().__init__(input_dataset)

    def _iterator(self) -> _PrefetchIterator:
        return _PrefetchIterator(self._input._iterator(), self._size)
