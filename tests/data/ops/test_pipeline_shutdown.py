"""Pipelines that end: map(timeout=), prompt worker shutdown, first-element latency,
and a stuck function never keeping the interpreter alive.

Wall-time bounds are generous (the suite shares 2 loaded cores): each asserts a
difference of an order of magnitude from the behaviour being guarded against.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from data_helpers import to_plain

from torchbridge.data import Dataset, PipelineFunctionError
from torchbridge.data.ops._call import PipelineTimeoutError

_COST = 0.02  # seconds per call of the slow function


def _slow(x: Any) -> Any:
    time.sleep(_COST)
    return x


def _workers_alive() -> list[str]:
    threads = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("torchbridge-map", "torchbridge-prefetch", "torchbridge-interleave"))
    ]
    procs = [p.name for p in multiprocessing.active_children() if p.name == "torchbridge-map"]
    return threads + procs


def _wait_no_workers(limit: float = 1.0) -> float:
    """Seconds until no pipeline worker thread/process is left (fails after ``limit``)."""
    t0 = time.perf_counter()
    while _workers_alive():
        if time.perf_counter() - t0 > limit:
            raise AssertionError(f"workers still alive after {limit} s: {_workers_alive()}")
        time.sleep(0.01)
    return time.perf_counter() - t0


PIPELINES: dict[str, Callable[[Callable[..., Any]], Dataset]] = {
    "map-threads": lambda f: Dataset.range(10_000).map(f, num_parallel_calls=4),
    "map-processes": lambda f: Dataset.range(10_000).map(
        f, num_parallel_calls=2, use_processes=True
    ),
    "map-unordered": lambda f: Dataset.range(10_000).map(
        f, num_parallel_calls=4, deterministic=False
    ),
    "prefetch": lambda f: Dataset.range(10_000).map(f).prefetch(8),
    "threads+prefetch": lambda f: Dataset.range(10_000).map(f, num_parallel_calls=4).prefetch(4),
    "interleave": lambda f: Dataset.range(100).interleave(
        lambda i: Dataset.range(100).map(f), cycle_length=4, num_parallel_calls=4
    ),
}


class _ConsumerError(Exception):
    pass


def _end_by(how: str, make: Callable[[Callable[..., Any]], Dataset]) -> None:
    """Consume a few elements, then stop the way ``how`` says."""

    def fn(x: Any) -> Any:
        if how == "function-error" and int(x) == 3:
            raise ValueError("boom")
        return _slow(x)

    ds = make(fn)
    if how == "break":
        for i, _ in enumerate(ds):
            if i == 3:
                break
    elif how == "consumer-error":
        with pytest.raises(_ConsumerError):
            for i, _ in enumerate(ds):
                if i == 3:
                    raise _ConsumerError
    elif how == "function-error":
        with pytest.raises(PipelineFunctionError):
            for _ in ds:
                pass
    else:  # "del": an iterator dropped without close() (no gc pass needed: no cycles)
        it = iter(ds)
        for _ in range(4):
            next(it)
        del it


@pytest.mark.parametrize("how", ["break", "consumer-error", "function-error", "del"])
@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_workers_stop_promptly(pipeline: str, how: str) -> None:
    gc.collect()  # iterators other tests left in reference cycles (e.g. a caught exception)
    _wait_no_workers(limit=5.0)
    t0 = time.perf_counter()
    _end_by(how, PIPELINES[pipeline])
    stopped = time.perf_counter() - t0
    # 4 elements cost ~0.1 s (plus a fork for processes); the old pipeline filled
    # whole buffers first (seconds), and its workers outlived the loop.
    assert stopped < 3.0, f"leaving the loop took {stopped:.2f} s"
    gone = _wait_no_workers(limit=1.0)
    assert gone < 1.0


@pytest.mark.parametrize("use_processes", [False, True], ids=["threads", "processes"])
def test_first_element_costs_about_one_call(use_processes: bool) -> None:
    cost = 0.1

    def fn(x: Any) -> Any:
        time.sleep(cost)
        return x

    ds = Dataset.range(1000).map(fn, num_parallel_calls=4, use_processes=use_processes)
    t0 = time.perf_counter()
    it = iter(ds)
    first = next(it)
    latency = time.perf_counter() - t0
    it.close()
    assert to_plain(first) == 0
    # A whole buffer (2 workers x 32-element chunks) would take >= 3.2 s.
    assert latency < min(1.0, 10 * cost), f"first element after {latency:.2f} s"
    _wait_no_workers()


def test_throughput_of_cheap_functions_is_kept() -> None:
    # Tasks grow while calls are cheap: 20k trivial calls stay well under a second each.
    ds = Dataset.range(20_000).map(lambda x: x + 1, num_parallel_calls=2)
    t0 = time.perf_counter()
    out = to_plain(list(ds))
    assert out == list(range(1, 20_001))
    assert time.perf_counter() - t0 < 10.0


RELEASE = threading.Event()  # frees the "stuck" threads at the end of a test


def _stuck_at_3(x: Any) -> Any:
    if int(x) == 3:
        RELEASE.wait(30)
    return int(x)


TIMEOUT_CASES = {
    "sequential": {},
    "threads": {"num_parallel_calls": 2},
    "unordered": {"num_parallel_calls": 2, "deterministic": False},
    "processes": {"num_parallel_calls": 2, "use_processes": True},
}


@pytest.mark.parametrize("case", sorted(TIMEOUT_CASES))
def test_timeout_names_function_element_and_fix(case: str) -> None:
    kwargs = TIMEOUT_CASES[case]
    RELEASE.clear()
    try:
        t0 = time.perf_counter()
        with pytest.raises(PipelineTimeoutError) as info:
            list(Dataset.range(6).map(_stuck_at_3, timeout=0.5, **kwargs))
        assert time.perf_counter() - t0 < 3.0
        message = str(info.value)
        assert "_stuck_at_3" in message
        assert "element 3 of its input" in message
        assert "timeout=0.5 s" in message
        assert "ignore_errors()" in message
        assert isinstance(info.value, TimeoutError)
        del info  # its traceback holds the iterator (as any exception does)
        # The map goes on after a timed-out call: ignore_errors() skips only that element.
        out = list(Dataset.range(6).map(_stuck_at_3, timeout=0.5, **kwargs).ignore_errors())
        assert sorted(to_plain(out)) == [0, 1, 2, 4, 5]
    finally:
        RELEASE.set()
    _wait_no_workers(limit=2.0)


def _dies_at_2(x: Any) -> Any:
    if int(x) == 2:
        os._exit(3)  # a crash (segfault, OOM kill ...) of the worker process
    return int(x)


def _unpicklable_at_1(x: Any) -> Any:
    return (lambda: None) if int(x) == 1 else int(x)


def test_a_crashed_worker_process_is_an_error_and_is_replaced() -> None:
    ds = Dataset.range(6).map(_dies_at_2, num_parallel_calls=2, use_processes=True)
    with pytest.raises(PipelineFunctionError, match=r"element 2 of its input.*exit code 3"):
        list(ds)
    assert to_plain(list(ds.ignore_errors())) == [0, 1, 3, 4, 5]
    _wait_no_workers(limit=2.0)


def test_an_unpicklable_result_is_an_error_for_that_element() -> None:
    ds = Dataset.range(4).map(_unpicklable_at_1, num_parallel_calls=2, use_processes=True)
    with pytest.raises(PipelineFunctionError, match=r"element 1 of its input.*could not be sent"):
        list(ds)
    assert to_plain(list(ds.ignore_errors())) == [0, 2, 3]


@pytest.mark.parametrize("timeout", [0, -1, "1", True])
def test_bad_timeout_is_rejected(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout must be None or a number of seconds > 0"):
        Dataset.range(3).map(_slow, timeout=timeout)


def test_timeout_keeps_exact_resume() -> None:
    ds = Dataset.range(20).map(_slow, num_parallel_calls=3, timeout=5)
    it = iter(ds)
    head = [next(it) for _ in range(7)]
    state = it.get_state()
    rest = list(it)
    it2 = iter(ds)
    it2.set_state(state)
    assert to_plain(list(it2)) == to_plain(rest) == list(range(7, 20))
    assert to_plain(head) == list(range(7))


def test_map_keeps_tf_data_argument_order(tf) -> None:
    import inspect

    ours = list(inspect.signature(Dataset.map).parameters)
    theirs = list(inspect.signature(tf.data.Dataset.map).parameters)
    assert ours[: len(theirs)] == theirs
    assert ours[len(theirs) :] == ["use_processes", "timeout"]


_EXIT_SCRIPT = textwrap.dedent(
    """
    import threading
    from torchbridge.data import Dataset

    def stuck(x):
        if int(x) == 1:
            threading.Event().wait()  # never returns
        return x

    for processes in (False, True):
        it = iter(Dataset.range(4).map(stuck, num_parallel_calls=2, use_processes=processes))
        next(it)  # a worker is now stuck on element 1, for ever
        globals()[f"it_{processes}"] = it  # still referenced at exit
    print("leaving", flush=True)
    """
)


@pytest.mark.slow  # a fresh interpreter imports torchbridge (~5 s on a loaded machine)
def test_a_stuck_function_does_not_keep_the_interpreter_alive(tmp_path) -> None:
    script = tmp_path / "stuck.py"
    script.write_text(_EXIT_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "leaving"
        t0 = time.perf_counter()
        rc = proc.wait(timeout=30)
        assert time.perf_counter() - t0 < 5.0  # before: never (non-daemon threads joined)
        assert rc == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
