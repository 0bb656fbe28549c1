"""``interleave`` and ``flat_map``: map each element to a dataset and mix their elements.

Order (tf.data's, also with ``num_parallel_calls`` unless ``deterministic=False``):
``cycle_length`` slots are visited round-robin; from the slot's dataset up to
``block_length`` consecutive elements are taken before moving to the next
slot. An empty slot is filled, when the cycle reaches it, with the dataset of
the next input element; a slot whose dataset is exhausted is emptied and the
cycle moves on. ``flat_map`` is ``cycle_length=1, block_length=1``.

Defaults as in tf.data: ``block_length=1``; ``cycle_length=None``/``AUTOTUNE``
is the number of schedulable CPUs — with ``num_parallel_calls=N`` it is
``min(N, CPUs)``, and with ``num_parallel_calls=AUTOTUNE`` ``ceil(CPUs / 3)``.
``num_parallel_calls`` larger than a fixed ``cycle_length`` is a ValueError
(as tf.data); ``AUTOTUNE`` means ``cycle_length`` workers.

With ``num_parallel_calls``, worker threads advance the open datasets ahead of
the consumer (``2 * block_length + 1`` elements each, as tf.data's default
buffer), e.g. reading several files at once; the output order is unchanged.
With ``deterministic=False`` the consumer takes from whichever open dataset
has an element ready when the current one has none (an order tf.data leaves
undefined too). ``map_func`` runs in the caller's thread.

Errors: an exception in ``map_func`` is re-raised naming the input element's
position (the element is consumed; the next call goes on). An exception from a
slot's dataset surfaces at its place in the order; as in tf.data, the
sequential op retries that slot on the next call while the parallel op counts
the error as the slot's element (so ``ignore_errors()`` orders match tf.data's).

Stopping (``close()``, or dropping the iterator: ``break``, an exception,
``del``) never waits for a worker: the worker threads are daemons and leave after
the element they are fetching.

State: the input's state, for each open slot its input element, its position
in the input, its dataset's iterator state and (parallel) the elements already
prefetched, plus the cycle position — a restored iterator (which re-creates
each slot's dataset with ``map_func``) continues with exactly the same elements.
"""

from __future__ import annotations

import collections
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

from torchbridge.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from torchbridge.data.ops._call import call_on_element, describe, wrap_error

__all__ = ["InterleaveDataset"]


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _close(it: Any) -> None:
    close = getattr(it, "close", None)
    if close is not None:
        close()


class _Error:
    """An exception raised by a slot's iterator, delivered in order."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Slot:
    """One open cycle element: its source element, its iterator and (parallel) a buffer."""

    def __init__(self, element: Any, position: int, iterator: Any) -> None:
        self.element = element
        self.position = position
        self.it = iterator
        self.buffer: collections.deque[Any] = collections.deque()
        self.exhausted = False  # the iterator ended (after `buffer` is drained)
        self.busy = False  # a worker is inside next(self.it)
        self.queued = False  # waiting for a worker
        self.failed = False  # the last fetch raised; wait for the consumer to take it


class _Shared:
    """What the consumer and the worker threads share (never the iterator object)."""

    def __init__(self, workers: int, capacity: int) -> None:
        self.workers = workers
        self.capacity = capacity
        self.cond = threading.Condition()
        self.queue: collections.deque[_Slot] = collections.deque()
        self.stop = False
        self.paused = False
        self.threads: list[threading.Thread] = []

    def wants_fill(self, slot: _Slot) -> bool:
        return not (
            slot.busy
            or slot.queued
            or slot.exhausted
            or slot.failed
            or len(slot.buffer) >= self.capacity
        )

    def schedule(self, slot: _Slot) -> None:
        """With the lock held: queue ``slot`` for a worker if it needs elements."""
        if self.workers and not self.stop and self.wants_fill(slot):
            slot.queued = True
            self.queue.append(slot)
            self.cond.notify_all()
            if len(self.threads) < self.workers:  # threads start on demand
                thread = threading.Thread(
                    target=_work, args=(self,), name="torchbridge-interleave", daemon=True
                )
                self.threads.append(thread)
                thread.start()


def _work(shared: _Shared) -> None:
    cond = shared.cond
    while True:
        with cond:
            while not shared.stop and (shared.paused or not shared.queue):
                cond.wait()
            if shared.stop:
                return
            slot = shared.queue.popleft()
            slot.queued = False
            if not shared.wants_fill(slot):
                continue
            slot.busy = True
        try:  # the slow part, without the lock
            item: Any = next(slot.it)
            ended = False
        except StopIteration:
            item, ended = None, True
        except Exception as e:  # delivered to the consumer at this point of the order
            item, ended = _Error(e), False
        with cond:
            slot.busy = False
            if shared.stop:  # stopped while we were fetching: closing this slot is ours
                break
            if ended:
                slot.exhausted = True
            else:
                slot.buffer.append(item)
                if isinstance(item, _Error):
                    slot.failed = True
            # An error's traceback will reach the consumer's frames (and the iterator):
            # this idle frame must not keep it alive.
            item = None
            if not shared.stop and not shared.paused:
                shared.schedule(slot)
            cond.notify_all()
    _close(slot.it)


def _stop(shared: _Shared, slots: list[_Slot | None], upstream: Any) -> None:
    """Stop the workers without waiting for them: a worker inside ``next()`` of a
    slot's iterator closes that iterator itself when the call returns."""
    with shared.cond:
        shared.stop = True
        shared.queue.clear()
        shared.cond.notify_all()
        idle = [slot for slot in slots if slot is not None and not slot.busy]
        slots[:] = [None] * len(slots)
    for slot in idle:
        _close(slot.it)
    _close(upstream)


class _InterleaveIterator:
    def __init__(
        self,
        upstream: Any,
        fn: Callable[..., Any],
        cycle_length: int,
        block_length: int,
        workers: int,
        deterministic: bool,
    ) -> None:
        self._up = upstream
        self._fn = fn
        self._cycle = cycle_length
        self._block = block_length
        self._parallel = workers > 0
        self._deterministic = deterministic
        self._slots: list[_Slot | None] = [None] * cycle_length
        self._cycle_index = 0
        self._block_index = 0
        self._num_open = 0
        self._end_of_input = False
        self._input_position = 0  # index of the next input element
        self._shared = _Shared(workers, 2 * block_length + 1)
        self._finalizer = weakref.finalize(self, _stop, self._shared, self._slots, upstream)

    def __iter__(self) -> _InterleaveIterator:
        return self

    # --- the cycle ------------------------------------------------------------------------
    def _advance_to_next_in_cycle(self) -> None:
        self._block_index = 0
        self._cycle_index = (self._cycle_index + 1) % self._cycle

    def _make_iterator(self, element: Any, position: int) -> Any:
        try:
            dataset = call_on_element(self._fn, element)
        except Exception as e:
            raise wrap_error("interleave", self._fn, position, e) from e
        if not isinstance(dataset, Dataset):
            raise TypeError(
                f"interleave()/flat_map() function {describe(self._fn)} must return a "
                f"torchbridge.data.Dataset, got {type(dataset).__name__} for element "
                f"{position} of its input."
            )
        return dataset._iterator()

    def _open(self, index: int) -> None:
        """Fill the empty slot ``index`` with the next input element's dataset."""
        try:
            element = next(self._up)
        except StopIteration:
            self._end_of_input = True
            return
        position = self._input_position
        self._input_position += 1
        slot = _Slot(element, position, self._make_iterator(element, position))
        self._slots[index] = slot
        self._num_open += 1
        if self._parallel:
            with self._shared.cond:
                self._shared.schedule(slot)

    def _retire(self, index: int) -> None:
        slot = self._slots[index]
        self._slots[index] = None
        self._num_open -= 1
        if slot is not None:
            _close(slot.it)

    def _produced(self, slot: _Slot) -> None:
        self._block_index += 1
        if self._block_index == self._block:
            self._advance_to_next_in_cycle()

    def __next__(self) -> Any:
        if self._shared.stop:
            raise StopIteration
        while not self._end_of_input or self._num_open > 0:
            slot = self._slots[self._cycle_index]
            if slot is None:
                if not self._end_of_input:
                    self._open(self._cycle_index)
                else:
                    self._advance_to_next_in_cycle()
                continue
            if self._parallel:
                kind, item = self._take(slot)
                if kind == "switch":
                    continue
            else:
                try:
                    kind, item = "element", next(slot.it)
                except StopIteration:
                    kind, item = "end", None
            if kind == "end":
                self._retire(self._cycle_index)
                self._advance_to_next_in_cycle()
                continue
            if kind == "error":
                if self._parallel:  # tf.data's parallel interleave counts an error as an element
                    self._produced(slot)
                try:
                    raise item
                finally:  # no frame -> exception cycle: a dropped iterator is freed at once
                    item = slot = None
            self._produced(slot)
            return item
        raise StopIteration

    def _take(self, slot: _Slot) -> tuple[str, Any]:
        """Parallel: the next item of ``slot`` (waiting for the workers), or ``switch``."""
        shared = self._shared
        with shared.cond:
            while True:
                if slot.buffer:
                    item = slot.buffer.popleft()
                    if isinstance(item, _Error):
                        slot.failed = False
                    shared.schedule(slot)
                    if isinstance(item, _Error):
                        return "error", item.error
                    return "element", item
                if slot.exhausted:
                    return "end", None
                if shared.stop:
                    return "end", None
                if not self._deterministic and self._switch():
                    return "switch", None
                shared.schedule(slot)
                shared.cond.wait()

    def _switch(self) -> bool:
        """Non-deterministic: move to another slot that can make progress now."""
        for step in range(1, self._cycle):
            index = (self._cycle_index + step) % self._cycle
            other = self._slots[index]
            ready = other.buffer or other.exhausted if other is not None else not self._end_of_input
            if ready:
                self._cycle_index = index
                self._block_index = 0
                return True
        return False

    # --- state ----------------------------------------------------------------------------
    def _pause(self) -> None:
        """With the lock held: let every worker finish the element it is fetching."""
        shared = self._shared
        shared.paused = True
        while any(s is not None and s.busy for s in self._slots):
            shared.cond.wait()

    def _resume(self) -> None:
        shared = self._shared
        shared.paused = False
        for slot in self._slots:
            if slot is not None:
                shared.schedule(slot)
        shared.cond.notify_all()

    def get_state(self) -> dict[str, Any]:
        shared = self._shared
        with shared.cond:
            self._pause()
            try:
                slots: list[dict[str, Any] | None] = []
                for slot in self._slots:
                    if slot is None:
                        slots.append(None)
                        continue
                    buffered = [x for x in slot.buffer if not isinstance(x, _Error)]
                    slots.append(
                        {
                            "element": slot.element,
                            "position": slot.position,
                            "iterator": slot.it.get_state(),
                            "buffer": buffered,
                            "exhausted": slot.exhausted,
                        }
                    )
                return {
                    "upstream": self._up.get_state(),
                    "slots": slots,
                    "cycle_index": self._cycle_index,
                    "block_index": self._block_index,
                    "end_of_input": self._end_of_input,
                    "input_position": self._input_position,
                }
            finally:
                self._resume()

    def set_state(self, state: dict[str, Any]) -> None:
        if len(state["slots"]) != self._cycle:
            raise ValueError(
                f"interleave state has {len(state['slots'])} cycle slots but this pipeline "
                f"has cycle_length={self._cycle}; restore into the same pipeline."
            )
        shared = self._shared
        with shared.cond:
            self._pause()
            old = list(self._slots)
            shared.queue.clear()
        for slot in old:
            if slot is not None:
                _close(slot.it)
        try:
            self._up.set_state(state["upstream"])
            slots: list[_Slot | None] = []
            for saved in state["slots"]:
                if saved is None:
                    slots.append(None)
                    continue
                it = self._make_iterator(saved["element"], saved["position"])
                it.set_state(saved["iterator"])
                slot = _Slot(saved["element"], saved["position"], it)
                slot.buffer.extend(saved["buffer"])
                slot.exhausted = saved["exhausted"]
                slots.append(slot)
            with shared.cond:
                self._slots[:] = slots
                self._num_open = sum(1 for s in slots if s is not None)
                self._cycle_index = state["cycle_index"]
                self._block_index = state["block_index"]
                self._end_of_input = state["end_of_input"]
                self._input_position = state["input_position"]
        finally:
            with shared.cond:
                self._resume()

    def close(self) -> None:
        self._finalizer()


class InterleaveDataset(Dataset):
    def __init__(
        self,
        input: Dataset,
        map_func: Callable[..., Any],
        cycle_length: int | None = None,
        block_length: int | None = None,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
    ) -> None:
        if not callable(map_func):
            raise TypeError(f"interleave() needs a callable, got {type(map_func).__name__}.")
        self._input = input
        self._fn = map_func
        block = 1 if block_length is None else int(block_length)
        if block < 1:
            raise ValueError(f"block_length must be >= 1, got {block_length}.")
        auto_cycle = cycle_length is None or cycle_length == AUTOTUNE
        if not auto_cycle and int(cycle_length) < 1:  # type: ignore[arg-type]
            raise ValueError(f"cycle_length must be >= 1 or AUTOTUNE, got {cycle_length}.")
        workers = 0
        if num_parallel_calls is None:
            cycle = _cpus() if auto_cycle else int(cycle_length)  # type: ignore[arg-type]
        else:
            if num_parallel_calls != AUTOTUNE and int(num_parallel_calls) < 1:
                raise ValueError(
                    f"num_parallel_calls must be >= 1 or AUTOTUNE, got {num_parallel_calls}."
                )
            if auto_cycle:
                cycle = (
                    -(-_cpus() // 3)
                    if num_parallel_calls == AUTOTUNE
                    else min(int(num_parallel_calls), _cpus())
                )
            else:
                cycle = int(cycle_length)  # type: ignore[arg-type]
                if num_parallel_calls != AUTOTUNE and int(num_parallel_calls) > cycle:
                    raise ValueError(
                        "If `cycle_length` is set to a fixed value, `num_parallel_calls` must "
                        "be AUTOTUNE or a value <= `cycle_length`; got num_parallel_calls="
                        f"{num_parallel_calls} and cycle_length={cycle_length}."
                    )
            workers = cycle if num_parallel_calls == AUTOTUNE else int(num_parallel_calls)
        self._cycle = cycle
        self._block = block
        self._workers = workers
        self._deterministic = True if deterministic is None else bool(deterministic)

    @property
    def _inputs(self) -> list[Dataset]:
        return [self._input]

    def _iterator(self) -> _InterleaveIterator:
        return _InterleaveIterator(
            self._input._iterator(),
            self._fn,
            self._cycle,
            self._block,
            self._workers,
            self._deterministic,
        )

    def _cardinality(self) -> int:
        if self._workers and self._input._cardinality() == INFINITE:
            return INFINITE
        return UNKNOWN
