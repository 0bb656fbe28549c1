"""DynamicBatcher: requests merged along the batch axis and split back, bad requests isolated,
graceful close."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from torchbridge.errors import InputError
from torchbridge.serving import DynamicBatcher
from torchbridge.serving.errors import ServiceUnavailableError


class Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.sizes: list[int] = []
        self.delay = delay

    def __call__(self, batch):
        x = batch["x"]
        if np.any(x < 0):
            raise InputError("negative input")
        self.sizes.append(len(x))
        time.sleep(self.delay)
        return {"y": x * 2, "s": x.sum(axis=1)}


@pytest.mark.parametrize("max_batch, expect_merged", [(64, True), (1, False)])
def test_concurrent_requests_merge_and_split_back(max_batch, expect_merged):
    run = Recorder(delay=0.01)
    batcher = DynamicBatcher(run, max_batch_size=max_batch, max_delay_ms=20)
    futures = [batcher.submit({"x": np.full((i % 3 + 1, 2), i, np.float32)}) for i in range(24)]
    for i, f in enumerate(futures):
        out = f.result(timeout=10)
        np.testing.assert_array_equal(out["y"], np.full((i % 3 + 1, 2), 2 * i))
        np.testing.assert_array_equal(out["s"], np.full(i % 3 + 1, 2 * i))
    assert sum(run.sizes) == sum(i % 3 + 1 for i in range(24))
    assert max(run.sizes) <= max(max_batch, 3)  # a request bigger than a batch runs alone
    assert (len(run.sizes) < 24) is expect_merged
    batcher.close()


def test_incompatible_shapes_are_not_merged_and_a_bad_request_fails_alone():
    run = Recorder()
    batcher = DynamicBatcher(run, max_batch_size=32, max_delay_ms=30)
    good = batcher.submit({"x": np.ones((2, 2), np.float32)})
    other = batcher.submit({"x": np.ones((1, 3), np.float32)})
    bad = batcher.submit({"x": -np.ones((1, 2), np.float32)})
    assert good.result(5)["y"].shape == (2, 2)
    assert other.result(5)["y"].shape == (1, 3)
    with pytest.raises(InputError, match="negative"):
        bad.result(5)
    batcher.close()


def test_close_finishes_queued_requests_then_refuses_new_ones():
    run = Recorder(delay=0.05)
    batcher = DynamicBatcher(run, max_batch_size=1, max_delay_ms=0)
    futures = [batcher.submit({"x": np.ones((1, 2), np.float32)}) for _ in range(4)]
    closer = threading.Thread(target=batcher.close)
    closer.start()
    closer.join(10)
    assert all(f.done() and f.exception() is None for f in futures)
    with pytest.raises(ServiceUnavailableError):
        batcher.submit({"x": np.ones((1, 2), np.float32)})


def test_cancelled_requests_are_skipped_and_arguments_checked():
    run = Recorder(delay=0.05)
    batcher = DynamicBatcher(run, max_batch_size=1, max_delay_ms=0)
    first = batcher.submit({"x": np.ones((1, 2), np.float32)})
    second = batcher.submit({"x": np.ones((5, 2), np.float32)})
    assert second.cancel()
    first.result(5)
    batcher.close()
    assert run.sizes == [1]
    with pytest.raises(InputError, match="same number of rows"):
        DynamicBatcher(run).submit({"x": np.ones((1, 2)), "z": np.ones((2, 2))})
    with pytest.raises(InputError, match="max_batch_size"):
        DynamicBatcher(run, max_batch_size=0)
