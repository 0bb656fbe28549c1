"""Worker threads and forked worker processes that run a parallel ``map``'s function.

Both pools share one protocol with the consumer (:mod:`torchbridge.data.ops.map`):
the consumer submits :class:`Task` objects (a run of consecutive input elements)
and waits on the shared condition for ``task.outcomes`` to grow, one outcome per
element, in order. ``task.started`` is when the element now running began (the
consumer uses it to enforce a ``timeout``). A task whose running call is given up
(``abandon``: it timed out) gets ``generation += 1`` and goes back to the front of
the queue; the worker still inside the old call drops its result when it returns.

* :class:`ThreadWorkers`: N daemon threads. A thread stuck in a call cannot be
  stopped; when its call is abandoned a replacement thread starts and the stuck
  one exits as soon as the call returns. Daemon threads never keep the
  interpreter alive.
* :class:`ProcessWorkers`: N forked daemon processes (the function is inherited
  by ``fork``; elements and outcomes are pickled — tensors by value — through one
  pipe per worker),
  driven by one daemon manager thread. An abandoned or crashed worker process is
  terminated and replaced; ``close()`` terminates them all at once.

Neither pool holds a reference to the consumer's iterator, so dropping the
iterator (``break``, an exception, ``del``) finalizes it and stops the pool.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from torchbridge.data.ops._call import call_on_element

__all__ = ["Task", "ThreadWorkers", "ProcessWorkers", "WorkerDied"]

Outcome = tuple[bool, Any]  # (True, result) or (False, exception)


class WorkerDied(RuntimeError):
    """A worker process exited while running the function on an element."""


class Task:
    """Consecutive input elements for one worker, and their outcomes so far."""

    __slots__ = (
        "cancelled",
        "elements",
        "generation",
        "ident",
        "outcomes",
        "position",
        "read",
        "started",
    )
    _ids = itertools.count()

    def __init__(self, position: int, elements: list[Any], outcomes: list[Outcome] | None = None):
        self.ident = next(Task._ids)
        self.position = position  # input position of elements[0]
        self.elements = elements
        self.outcomes: list[Outcome] = outcomes if outcomes is not None else []
        self.started: float | None = None  # when the element now running began
        self.generation = 0  # bumped when the running call is abandoned
        self.cancelled = False
        self.read = 0  # outcomes already handed to the consumer

    @property
    def complete(self) -> bool:
        return len(self.outcomes) >= len(self.elements)


def _run(fn: Callable[..., Any], element: Any) -> Outcome:
    try:
        return True, call_on_element(fn, element)
    except BaseException as e:  # kept in order (even SystemExit); raised in the consumer
        return False, e


class _Pool:
    """What both pools share: the lock, the queue, the cost estimate.

    ``cond`` (outcomes arrived: the consumer waits on it) and ``work`` (a task was
    queued: idle worker threads wait on it) share one lock, so that a finished
    element wakes the consumer only, not every idle worker.
    """

    kind = "worker"

    def __init__(self) -> None:
        lock = threading.Lock()
        self.cond = threading.Condition(lock)
        self.work = threading.Condition(lock)
        self.queue: collections.deque[Task] = collections.deque()
        self.stop = False
        self.cost: float | None = None  # running mean seconds per call

    def note_cost(self, seconds: float) -> None:
        self.cost = seconds if self.cost is None else 0.8 * self.cost + 0.2 * seconds

    def submit(self, task: Task) -> None:
        with self.cond:
            self.queue.append(task)
            self.work.notify()
            self._wake()

    def _wake(self) -> None:
        pass

    def abandon(self, task: Task) -> None:
        """With the lock held: give up the call running in ``task`` and go on without it."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


# --- threads -------------------------------------------------------------------------------
class ThreadWorkers(_Pool):
    kind = "thread"

    def __init__(self, fn: Callable[..., Any], workers: int) -> None:
        super().__init__()
        self.fn = fn
        self.threads: list[threading.Thread] = []
        for _ in range(workers):
            self._spawn()

    def _spawn(self) -> None:
        thread = threading.Thread(
            target=_thread_main, args=(self,), name="torchbridge-map", daemon=True
        )
        self.threads = [t for t in self.threads if t.is_alive()]
        self.threads.append(thread)
        thread.start()

    def abandon(self, task: Task) -> None:
        task.generation += 1
        task.started = None
        if not task.complete:
            self.queue.appendleft(task)
        self._spawn()  # the stuck thread leaves when its call returns
        self.work.notify_all()

    def close(self) -> None:
        with self.cond:
            self.stop = True
            for task in self.queue:
                task.cancelled = True
            self.queue.clear()
            self.cond.notify_all()
            self.work.notify_all()


def _thread_main(pool: ThreadWorkers) -> None:
    cond = pool.cond
    fn = pool.fn
    task: Task | None = None
    outcome: Outcome | None = None
    while True:
        task = outcome = None  # an idle frame keeps no elements or errors alive
        with cond:
            while not pool.stop and not pool.queue:
                pool.work.wait()
            if pool.stop:
                return
            task = pool.queue.popleft()
            if task.cancelled or task.complete:
                continue
            generation = task.generation
            index = len(task.outcomes)
            task.started = time.monotonic()
        while True:
            t0 = time.monotonic()
            outcome = _run(fn, task.elements[index])
            elapsed = time.monotonic() - t0
            with cond:
                if task.generation != generation:
                    return  # this call was abandoned (timed out); a new thread took over
                if pool.stop or task.cancelled:
                    task.started = None
                    break
                task.outcomes.append(outcome)
                pool.note_cost(elapsed)
                index += 1
                task.started = time.monotonic() if index < len(task.elements) else None
                cond.notify_all()
                if index >= len(task.elements):
                    break


# --- processes -----------------------------------------------------------------------------
# A worker process sends its outcomes in batches at most this old (one message per
# element would cost more than a cheap function); the parent's estimate of when the
# running element started is off by at most this much.
_FLUSH_SECONDS = 0.002


def _send(conn: Any, obj: Any) -> None:
    # Plain pickle, not multiprocessing's: tensors travel by value instead of as shared
    # memory handed over by a resource-sharer connection per tensor, which is slower for
    # small elements and prints connection errors when a worker is terminated.
    conn.send_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _recv(conn: Any) -> Any:
    return pickle.loads(conn.recv_bytes())


def _sendable(conn: Any, task_id: int, outcomes: list[Outcome], seconds: float) -> None:
    """Send ``outcomes``; one that does not pickle becomes an error outcome."""
    try:
        _send(conn, (task_id, outcomes, seconds))
        return
    except (EOFError, OSError):
        raise
    except Exception:  # some result or exception does not pickle: find which
        pass
    fixed: list[Outcome] = []
    for ok, value in outcomes:
        try:
            pickle.dumps(value)
            fixed.append((ok, value))
        except Exception as e:
            what = "result" if ok else f"{type(value).__name__} exception"
            fixed.append(
                (
                    False,
                    TypeError(
                        f"the map function's {what} could not be sent back from the worker "
                        f"process ({type(e).__name__}: {e}); return picklable values, or use "
                        "threads (use_processes=False)."
                    ),
                )
            )
    _send(conn, (task_id, fixed, seconds))


def _process_main(fn: Callable[..., Any], conn: Any) -> None:
    """A forked worker: run the function on each element received, send the outcomes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            message = _recv(conn)
        except (EOFError, OSError):
            return
        if message is None:
            return
        task_id, elements = message
        batch: list[Outcome] = []
        flushed = time.monotonic()
        try:
            # An empty batch first: "started", so a timeout counts from here, not from
            # the dispatch (which may include this process's start-up on a busy machine).
            _send(conn, (task_id, [], 0.0))
            for i, element in enumerate(elements):
                batch.append(_run(fn, element))
                now = time.monotonic()
                if now - flushed >= _FLUSH_SECONDS or i == len(elements) - 1:
                    _sendable(conn, task_id, batch, now - flushed)
                    batch, flushed = [], now
        except (EOFError, OSError):
            return


class _Proc:
    __slots__ = ("conn", "generation", "process", "task")

    def __init__(self, process: Any, conn: Any) -> None:
        self.process = process
        self.conn = conn
        self.task: Task | None = None
        self.generation = 0


def _terminate(process: Any, grace: float = 0.5) -> None:
    if process.is_alive():
        process.terminate()
    process.join(grace)
    if process.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
        process.kill()
        process.join(grace)


class ProcessWorkers(_Pool):
    kind = "process"

    def __init__(self, fn: Callable[..., Any], workers: int) -> None:
        import multiprocessing

        super().__init__()
        self.fn = fn
        self.ctx = multiprocessing.get_context("fork")
        self.wake_r, self.wake_w = os.pipe()
        self.procs = [self._spawn() for _ in range(workers)]
        self.manager = threading.Thread(
            target=_manage, args=(self,), name="torchbridge-map-manager", daemon=True
        )
        self.manager.start()

    def _spawn(self) -> _Proc:
        parent, child = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(
            target=_process_main, args=(self.fn, child), name="torchbridge-map", daemon=True
        )
        process.start()
        child.close()
        return _Proc(process, parent)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # closed: the pool is shutting down
            os.write(self.wake_w, b"x")

    def abandon(self, task: Task) -> None:
        # The manager sees the new generation, terminates the worker and requeues the task.
        task.generation += 1
        task.started = None
        self.cond.notify_all()
        self._wake()

    def close(self) -> None:
        with self.cond:
            if self.stop:
                return
            self.stop = True
            for task in self.queue:
                task.cancelled = True
            self.queue.clear()
            procs = list(self.procs)
            self.cond.notify_all()
        self._wake()
        for proc in procs:
            if proc.process.is_alive():
                proc.process.terminate()
        for proc in procs:
            _terminate(proc.process)
            proc.conn.close()
        self.manager.join(1.0)
        if not self.manager.is_alive():  # else it still may wake on them: leave them open
            for fd in (self.wake_r, self.wake_w):
                os.close(fd)

    def _replace(self, proc: _Proc) -> None:
        """With the lock held: terminate ``proc`` and start a fresh worker in its place."""
        _terminate(proc.process)
        proc.conn.close()
        task = proc.task
        if task is not None and not task.complete and not task.cancelled:
            task.started = None
            self.queue.appendleft(task)
        self.procs[self.procs.index(proc)] = self._spawn()

    def _dispatch(self) -> list[tuple[_Proc, Task]]:
        """With the lock held: hand queued tasks to idle workers (sent by the caller)."""
        sends = []
        for proc in self.procs:
            if proc.task is not None or not self.queue:
                continue
            while self.queue:
                task = self.queue.popleft()
                if not (task.cancelled or task.complete):
                    break
            else:
                break
            proc.task = task
            proc.generation = task.generation
            task.started = None  # set when the worker says it has started
            sends.append((proc, task))
        return sends

    def _received(self, proc: _Proc, message: Any) -> None:
        """With the lock held: record the outcomes ``proc`` sent."""
        task = proc.task
        task_id, outcomes, seconds = message
        if task is None or task_id != task.ident or task.generation != proc.generation:
            return  # a late answer for an abandoned call
        task.outcomes.extend(outcomes)  # also when cancelled: the worker is busy until complete
        if outcomes:
            self.note_cost(seconds / len(outcomes))
        if task.complete:
            task.started = None
            proc.task = None
        else:
            task.started = time.monotonic()
        self.cond.notify_all()


def _manage(pool: ProcessWorkers) -> None:
    from multiprocessing.connection import wait

    cond = pool.cond
    while True:
        with cond:
            if pool.stop:
                break
            for proc in list(pool.procs):
                task = proc.task
                if task is not None and task.generation != proc.generation:
                    pool._replace(proc)  # its call was abandoned: kill it
            sends = pool._dispatch()
            by_conn = {p.conn: p for p in pool.procs if p.task is not None}
        for proc, task in sends:
            start = len(task.outcomes)
            try:
                _send(proc.conn, (task.ident, task.elements[start:]))
            except (EOFError, OSError):  # the idle worker is gone: replace it, send again
                with cond:
                    if pool.stop:
                        break
                    proc.task = None
                    task.started = None
                    pool.queue.appendleft(task)
                    pool._replace(proc)
            except Exception as e:  # an element that does not pickle fails the whole task
                with cond:
                    error = TypeError(
                        f"an input element could not be sent to a map worker process "
                        f"({type(e).__name__}: {e}); use threads (use_processes=False)."
                    )
                    task.outcomes.extend([(False, error)] * (len(task.elements) - start))
                    task.started = None
                    proc.task = None
                    cond.notify_all()
        try:
            ready = wait([*by_conn, pool.wake_r])
        except OSError:  # a pipe closed under us: the pool is closing
            continue
        for conn in ready:
            if conn == pool.wake_r:
                with contextlib.suppress(OSError):
                    os.read(pool.wake_r, 4096)
                continue
            proc = by_conn[conn]  # type: ignore[index]
            try:
                message = _recv(proc.conn)
            except Exception as e:
                with cond:
                    if pool.stop:
                        break
                    _worker_failed(pool, proc, e)
                continue
            with cond:
                pool._received(proc, message)


def _worker_failed(pool: ProcessWorkers, proc: _Proc, error: Exception) -> None:
    """With the lock held: the worker died (or sent garbage) while running an element."""
    task = proc.task
    if isinstance(error, (EOFError, OSError)):
        proc.process.join(0.5)
        error = WorkerDied(
            f"the map worker process exited (exit code {proc.process.exitcode}) while "
            "running the function on this element; it was replaced."
        )
    if task is not None and task.generation == proc.generation and not task.complete:
        task.outcomes.append((False, error))
        task.generation += 1
    pool._replace(proc)
    pool.cond.notify_all()
