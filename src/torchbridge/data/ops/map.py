"""``map``: apply a function to each element, sequentially or in parallel.

* ``num_parallel_calls=None``: in the caller's thread.
* ``num_parallel_calls=N`` or ``AUTOTUNE``: N daemon worker threads (AUTOTUNE =
  the number of CPUs). Threads pay off for functions that release the GIL —
  torch and NumPy ops, tokenizers. Elements are pulled from the input in the
  caller's thread and handed to the workers as tasks of consecutive elements,
  at most 2·N tasks in flight. A task starts as one element (the first result
  comes after one call) and grows, up to 32 elements (256 for processes), while
  the measured cost of a call is small next to the hand-off. ``deterministic=False`` yields results
  as they finish instead of in input order.
* ``use_processes=True``: N forked daemon worker processes, for pure-Python
  work that holds the GIL (the function is inherited by fork, not pickled; the
  elements and results are pickled). See :mod:`torchbridge.data.ops._workers`.
* ``timeout=seconds`` (torchbridge's): a call running longer raises
  :class:`~torchbridge.data.ops._call.PipelineTimeoutError` at its place in the
  order, naming the function, the element and the timeout; the map then goes on
  (so ``ignore_errors()`` skips such elements). A stuck process is terminated;
  a stuck thread cannot be, and is left to finish as a daemon. With a timeout,
  a sequential map calls the function on one helper thread, one call at a time.

State (``get_state``) is the input's state plus the results of the elements
already in flight, so a restored iterator yields exactly the same sequence.
Workers stop on ``close()``, as soon as the iterator is dropped (``break``, an
exception, ``del``) or at exit; none of them keeps the interpreter alive.
"""

from __future__ import annotations

import collections
import os
import time
import weakref
from collections.abc import Callable
from typing import Any

from torchbridge.data.dataset import AUTOTUNE, Dataset
from torchbridge.data.ops._call import call_on_element, timeout_error, wrap_error
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator, close_iterator
from torchbridge.data.ops._workers import ProcessWorkers, Task, ThreadWorkers

__all__ = ["MapDataset"]


def _workers(num_parallel_calls: int | None) -> int:
    if num_parallel_calls is None:
        return 0
    if num_parallel_calls == AUTOTUNE:
        return max(1, os.cpu_count() or 1)
    if num_parallel_calls < 1:
        raise ValueError(f"num_parallel_calls must be >= 1 or AUTOTUNE, got {num_parallel_calls}.")
    return int(num_parallel_calls)


class _SequentialMap(UnaryIterator):
    _fields = ("_position",)

    def __init__(self, upstream: Any, fn: Callable[..., Any]) -> None:
        super().__init__(upstream)
        self._fn = fn
        self._position = 0

    def __next__(self) -> Any:
        element = next(self._up)
        position = self._position
        self._position = position + 1
        try:
            return call_on_element(self._fn, element)
        except Exception as e:
            raise wrap_error("map", self._fn, position, e) from e


# A task's target duration: long enough to amortise a hand-off, short enough that
# the first results come quickly. Tasks never hold more than _CHUNK elements (a
# process round trip costs more than a thread hand-off, so its tasks may grow larger).
_CHUNK = {"thread": 32, "process": 256}
_TASK_SECONDS = {"thread": 0.002, "process": 0.01}

Outcome = tuple[bool, Any]  # (True, result) or (False, exception)


class _InputError(Exception):
    """An exception raised by the *input* of the map, carried in order."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _TimedOut:
    """The outcome of a call that outlived the timeout (picklable, for the state)."""

    def __init__(self, elapsed: float, worker: str) -> None:
        self.elapsed = elapsed
        self.worker = worker


class _ParallelMap:
    def __init__(
        self,
        upstream: Any,
        fn: Callable[..., Any],
        workers: int,
        deterministic: bool,
        use_processes: bool,
        timeout: float | None = None,
        max_tasks: int | None = None,
        max_chunk: int | None = None,
    ) -> None:
        self._up = upstream
        self._fn = fn
        self._deterministic = deterministic
        self._timeout = timeout
        self._max_tasks = max_tasks or 2 * workers
        self._max_chunk = max_chunk or _CHUNK["process" if use_processes else "thread"]
        self._chunk = 1
        pool_type = ProcessWorkers if use_processes else ThreadWorkers
        self._pool = pool_type(fn, workers)
        self._cond = self._pool.cond
        self._pending: collections.deque[Task] = collections.deque()
        self._ready: collections.deque[tuple[int, Outcome]] = collections.deque()
        self._position = 0
        self._exhausted = False
        # The pool holds no reference to this iterator: dropping it stops the workers.
        self._finalizer = weakref.finalize(self, self._pool.close)

    def __iter__(self) -> _ParallelMap:
        return self

    def _chunk_size(self) -> int:
        cost = self._pool.cost
        if cost is None:
            return 1
        want = int(_TASK_SECONDS[self._pool.kind] / max(cost, 1e-7))
        self._chunk = max(1, min(want, 2 * self._chunk, self._max_chunk))
        return self._chunk

    def _fill(self) -> None:
        while not self._exhausted and len(self._pending) < self._max_tasks:
            chunk: list[Any] = []
            error: Exception | None = None
            for _ in range(self._chunk_size()):
                try:
                    chunk.append(next(self._up))
                except StopIteration:
                    self._exhausted = True
                    break
                except Exception as e:  # the input failed: keep it in order, after the chunk
                    error = e
                    break
            if chunk:
                task = Task(self._position, chunk)
                self._pending.append(task)
                self._pool.submit(task)
                self._position += len(chunk)
            if error is not None:
                self._pending.append(Task(self._position, [None], [(False, _InputError(error))]))
                # The error's traceback holds this frame: drop the frame's reference to it,
                # or the cycle keeps the iterator (and its workers) alive until a gc pass.
                error = None
                return

    def _wait(self, tasks: Any) -> None:
        """With the lock held: wait for an outcome of ``tasks``, or time out a call in them."""
        timeout = self._timeout
        if timeout is None:
            self._cond.wait()
            return
        now = time.monotonic()
        wait = timeout
        for task in tasks:
            if task.started is None or task.complete:
                continue
            elapsed = now - task.started
            if elapsed >= timeout:
                task.outcomes.append((False, _TimedOut(elapsed, self._pool.kind)))
                self._pool.abandon(task)
                return
            wait = min(wait, timeout - elapsed)
        self._cond.wait(wait)

    def _take(self) -> tuple[int, Outcome] | None:
        if self._ready:
            return self._ready.popleft()
        self._fill()
        if not self._pending:
            return None
        with self._cond:
            while True:
                if self._deterministic:
                    candidates: Any = (self._pending[0],)
                else:
                    candidates = self._pending
                task = next((t for t in candidates if t.read < len(t.outcomes)), None)
                if task is not None:
                    break
                self._wait(candidates)
            # Take every outcome already there: the next calls need no lock.
            start, outcomes = task.read, task.outcomes
            task.read = len(outcomes)
            ready = [(task.position + k, outcomes[k]) for k in range(start + 1, task.read)]
            item = (task.position + start, outcomes[start])
        self._ready.extend(ready)
        if task.read >= len(task.elements):
            self._pending.remove(task)
        self._fill()  # keep the workers busy while the consumer works on this element
        return item

    def __next__(self) -> Any:
        item = self._take()
        if item is None:
            raise StopIteration
        position, (ok, value) = item
        if ok:
            return value
        if isinstance(value, _InputError):
            error = value.error
            try:
                raise error  # raised before our function ran: pass it on unchanged
            finally:  # no frame -> exception cycle: a dropped iterator is freed at once
                del error, value, item
        if isinstance(value, _TimedOut):
            timeout = float(self._timeout or 0.0)
            raise timeout_error(self._fn, position, timeout, value.elapsed, value.worker)
        raise wrap_error("map", self._fn, position, value) from value

    def get_state(self) -> dict[str, Any]:
        # Results already in flight become part of the state: wait for them.
        with self._cond:
            for task in self._pending:
                while not task.complete:
                    self._wait((task,))
        for task in self._pending:
            outcomes = task.outcomes
            self._ready.extend(
                (task.position + k, outcomes[k]) for k in range(task.read, len(outcomes))
            )
        self._pending.clear()
        return {
            "upstream": self._up.get_state(),
            "position": self._position,
            "exhausted": self._exhausted,
            "in_flight": list(self._ready),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        with self._cond:
            for task in self._pending:
                task.cancelled = True
        self._pending.clear()
        self._up.set_state(state["upstream"])
        self._position = state["position"]
        self._exhausted = state["exhausted"]
        self._ready = collections.deque(state["in_flight"])

    def close(self) -> None:
        self._finalizer()
        close_iterator(self._up)


def _check_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"map() timeout must be None or a number of seconds > 0, got {timeout!r}.")
    return float(timeout)


class MapDataset(UnaryDataset):
    def __init__(
        self,
        input_dataset: Dataset,
        fn: Callable[..., Any],
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        use_processes: bool = False,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"map() needs a callable, got {type(fn).__name__}.")
        super().__init__(input_dataset)
        self._fn = fn
        self._workers = _workers(num_parallel_calls)
        self._deterministic = True if deterministic is None else bool(deterministic)
        self._use_processes = use_processes
        self._timeout = _check_timeout(timeout)

    def _iterator(self) -> Any:
        upstream = self._input._iterator()
        if self._workers == 0 and not self._use_processes:
            if self._timeout is None:
                return _SequentialMap(upstream, self._fn)
            # One helper thread, one call at a time: the caller can stop waiting.
            return _ParallelMap(
                upstream, self._fn, 1, True, False, self._timeout, max_tasks=1, max_chunk=1
            )
        return _ParallelMap(
            upstream,
            self._fn,
            max(1, self._workers),
            self._deterministic,
            self._use_processes,
            self._timeout,
        )
