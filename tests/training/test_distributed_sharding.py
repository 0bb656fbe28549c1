"""Per-rank slices of each global batch, in one process: for arrays, torchbridge Datasets
and Hugging Face datasets, the slices of ranks 0..W-1 put together are the single-process
batches (each example once, same order); the gradient weights are the batch shares."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.training.data_adapter import make_adapter
from torchbridge.training.distributed import DataParallelPlan, shard_bounds


@pytest.mark.parametrize(("n", "world"), [(32, 2), (5, 2), (7, 4), (4, 4)])
def test_shard_bounds_cover_the_batch_once(n: int, world: int) -> None:
    bounds = [shard_bounds(n, r, world) for r in range(world)]
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    sizes = [e - s for s, e in bounds]
    assert max(sizes) - min(sizes) <= 1


def _plan(rank: int, world: int) -> DataParallelPlan:
    plan = DataParallelPlan.__new__(DataParallelPlan)
    plan.world, plan.rank, plan.is_main = world, rank, rank == 0
    plan.weight = type("W", (), {"value": 1.0 / world})()
    plan._warned_drop = True
    plan._check_same_batches = lambda batch: None  # type: ignore[method-assign]
    return plan


def _x_of(batch):
    x = batch[0] if isinstance(batch, tuple) else batch
    if isinstance(x, dict):
        x = x["input_ids"]
    return torch.as_tensor(x)


def _sources():
    x = np.arange(22 * 3, dtype="float32").reshape(22, 3)
    y = np.arange(22, dtype="float32")

    def arrays():
        torch.manual_seed(5)  # the shuffle seed is drawn from torch's generator
        return make_adapter(x, y, None, batch_size=8, shuffle=True)

    yield "arrays", arrays
    yield (
        "dataset",
        lambda: make_adapter(
            tb.data.Dataset.from_tensor_slices((x, y)).shuffle(22, seed=1).batch(8), None, None
        ),
    )
    datasets = pytest.importorskip("datasets")
    hf = datasets.Dataset.from_dict({"input_ids": [[i, i + 1] for i in range(22)], "label": y})
    yield "hf", lambda: make_adapter(hf, None, None, batch_size=8, shuffle=False)


@pytest.mark.parametrize("world", [2, 4])
@pytest.mark.parametrize("source", ["arrays", "dataset", "hf"])
def test_rank_slices_make_up_the_single_process_batches(source: str, world: int) -> None:
    make = dict(_sources())[source]
    single = [_x_of(b) for b in make().iter_epoch(0)]
    per_rank = []
    with mock.patch.object(torch.distributed, "broadcast_object_list"):
        for rank in range(world):
            plan = _plan(rank, world)
            batches, weights = [], []
            for b in plan.shard(make()).iter_epoch(0):
                batches.append(_x_of(b))
                weights.append(plan.weight.value)
            per_rank.append((batches, weights))
    for step, expected in enumerate(single):
        parts = [per_rank[r][0][step] for r in range(world)]
        torch.testing.assert_close(torch.cat(parts), expected)
        shares = [per_rank[r][1][step] for r in range(world)]
        assert sum(shares) == pytest.approx(1.0)
        assert shares == [len(p) / len(expected) for p in parts]
