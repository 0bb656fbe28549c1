"""Dynamic batching: concurrent requests merged along the batch axis, run once, split back.

:class:`DynamicBatcher` owns one worker thread (the only thread that runs the
model, so torch's intra-op threads are not oversubscribed). ``submit(inputs)``
queues a request and returns a ``concurrent.futures.Future`` (async code
awaits it with ``asyncio.wrap_future``, so the batcher works under any event
loop). The worker takes the oldest request, then waits at most
``max_delay_ms`` for more until ``max_batch_size`` rows are gathered;
requests whose arrays cannot be stacked with the first (another trailing
shape or dtype) wait for the next batch. ``max_batch_size=1`` is the
no-batching mode: one request per model call, in arrival order.

A merged batch that fails is rerun request by request, so one bad request
fails alone. Cancelled futures (a request that timed out while queued) are skipped.
``close()`` stops taking work and lets the queued requests finish
(graceful shutdown). ``on_batch(rows)`` reports each executed batch size
(the ``/metrics`` histogram).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from torchbridge.errors import InputError
from torchbridge.serving.errors import ServiceUnavailableError

__all__ = ["DynamicBatcher"]

Batch = dict[str, np.ndarray]


@dataclass(eq=False)  # identity: deque.remove must not compare arrays
class _Pending:
    inputs: Batch
    rows: int
    key: tuple[Any, ...]
    future: Future[Batch] = field(default_factory=Future)


def _key(inputs: Batch) -> tuple[Any, ...]:
    return tuple(sorted((k, v.dtype.str, v.shape[1:]) for k, v in inputs.items()))


class DynamicBatcher:
    """Runs ``run_fn`` on merged batches of queued requests in one worker thread."""

    def __init__(
        self,
        run_fn: Callable[[Batch], Batch],
        max_batch_size: int = 32,
        max_delay_ms: float = 2.0,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        if int(max_batch_size) < 1:
            raise InputError(f"max_batch_size must be >= 1, got {max_batch_size}.")
        if float(max_delay_ms) < 0:
            raise InputError(f"max_delay_ms must be >= 0, got {max_delay_ms}.")
        self.run_fn = run_fn
        self.max_batch_size = int(max_batch_size)
        self.max_delay_s = float(max_delay_ms) / 1000.0
        self.on_batch = on_batch
        self._queue: deque[_Pending] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    # --- public -----------------------------------------------------------------------------
    def submit(self, inputs: Batch) -> Future[Batch]:
        """Queue one request (arrays sharing a first axis); its future gets its own rows."""
        rows = {int(v.shape[0]) for v in inputs.values()}
        if len(rows) != 1:
            raise InputError(
                f"All inputs of one request must have the same number of rows, got {sorted(rows)}."
            )
        pending = _Pending(inputs, rows.pop(), _key(inputs))
        with self._cond:
            if self._closed:
                raise ServiceUnavailableError("The server is shutting down; retry elsewhere.")
            self._queue.append(pending)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="torchbridge-batcher", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return pending.future

    def close(self, timeout: float | None = None) -> None:
        """Take no new requests; finish the queued ones, then stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def queued(self) -> int:
        with self._cond:
            return len(self._queue)

    # --- worker -----------------------------------------------------------------------------
    def _take(self) -> list[_Pending] | None:
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            first = self._queue.popleft()
            group = [first]
            rows = first.rows
            deadline = time.monotonic() + self.max_delay_s
            while rows < self.max_batch_size:
                fits = [
                    p
                    for p in self._queue
                    if p.key == first.key and rows + p.rows <= self.max_batch_size
                ]
                for p in fits:
                    if rows + p.rows > self.max_batch_size:
                        break
                    self._queue.remove(p)
                    group.append(p)
                    rows += p.rows
                left = deadline - time.monotonic()
                if rows >= self.max_batch_size or left <= 0 or self._closed:
                    break
                self._cond.wait(left)
            return group

    def _work(self) -> None:
        while True:
            group = self._take()
            if group is None:
                return
            live = [p for p in group if p.future.set_running_or_notify_cancel()]
            if live:
                self._run(live)

    def _run(self, group: list[_Pending]) -> None:
        try:
            if len(group) == 1:
                merged = group[0].inputs
            else:
                merged = {
                    k: np.concatenate([p.inputs[k] for p in group], axis=0) for k in group[0].inputs
                }
            total = sum(p.rows for p in group)
            if self.on_batch is not None:
                self.on_batch(total)
            outputs = self.run_fn(merged)
        except Exception as e:
            if len(group) > 1:  # one bad request must not fail the others merged with it
                for p in group:
                    self._run([p])
                return
            group[0].future.set_exception(e)
            return
        start = 0
        for p in group:
            stop = start + p.rows
            p.future.set_result({k: v[start:stop] for k, v in outputs.items()})
            start = stop
