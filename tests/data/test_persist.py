"""Dataset.save / load / snapshot: exact round trips (tensors of every dtype, strings,
dicts, gzip, shards), atomic writes, and no pickle in the files."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
import torch
from data_helpers import to_plain

from torchbridge.data import Dataset, experimental
from torchbridge.errors import InputError


def _rich() -> Dataset:
    n = 300  # more than one chunk
    return Dataset.from_tensor_slices(
        {
            "x": np.arange(n * 2, dtype=np.float32).reshape(n, 2),
            "i": np.arange(n, dtype=np.int16),
            "b": np.arange(n) % 2 == 0,
            "s": np.array([f"row {k} é" for k in range(n)]),
        }
    ).map(lambda e: (e, e["i"].to(torch.int64) * 3))


def _same(a: Dataset, b: Dataset) -> None:
    ea, eb = list(a), list(b)
    assert [to_plain(e) for e in ea] == [to_plain(e) for e in eb]
    for x, y in zip(ea[:2], eb[:2]):
        assert x[0]["i"].dtype == y[0]["i"].dtype and x[0]["b"].dtype == y[0]["b"].dtype


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_save_load_round_trip(tmp_path: Any, compression: str | None) -> None:
    path = str(tmp_path / "saved")
    _rich().save(path, compression=compression)
    loaded = Dataset.load(path, compression=compression)
    assert loaded.cardinality() == 300
    _same(loaded, _rich())
    for root, _, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                assert b"\x80\x04\x95" not in f.read()[:4]  # no pickle stream


def test_batched_strings_and_shards(tmp_path: Any) -> None:
    ds = Dataset.from_tensor_slices(["a", "bb", "ccc", "d", "e"]).batch(2)
    ds.save(str(tmp_path / "s"))
    assert [to_plain(e) for e in Dataset.load(str(tmp_path / "s"))] == [to_plain(e) for e in ds]
    nums = Dataset.range(10)
    experimental.save(nums, str(tmp_path / "sh"), shard_func=lambda x: x % 3)
    loaded = experimental.load(str(tmp_path / "sh"))
    assert sorted(int(x) for x in loaded) == list(range(10))
    # a reader_func sees the dataset of shard datasets
    interleaved = Dataset.load(
        str(tmp_path / "sh"), reader_func=lambda shards: shards.interleave(lambda d: d, 3)
    )
    assert [int(x) for x in interleaved] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_failed_save_leaves_nothing(tmp_path: Any) -> None:
    def boom(x: Any) -> Any:
        if int(x) == 5:
            raise ValueError("bad element")
        return x

    path = tmp_path / "never"
    with pytest.raises(Exception, match="bad element"):
        Dataset.range(10).map(boom).save(str(path))
    assert not path.exists() and os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match=r"Dataset\.save"):
        Dataset.load(str(path))
    with pytest.raises(InputError, match="compression"):
        Dataset.range(3).save(str(tmp_path / "z"), compression="SNAPPY")


def test_snapshot_writes_once_then_reads(tmp_path: Any) -> None:
    calls: list[int] = []

    def traced(x: Any) -> Any:
        calls.append(int(x))
        return x * 10

    def pipeline() -> Dataset:
        return Dataset.range(6).map(traced).snapshot(str(tmp_path / "snap"))

    ds = pipeline()
    it = iter(ds)
    next(it), next(it)  # an unfinished pass writes nothing
    del it
    assert [int(x) for x in ds] == [0, 10, 20, 30, 40, 50]
    assert len(calls) == 8
    assert [int(x) for x in ds] == [0, 10, 20, 30, 40, 50]
    assert [int(x) for x in pipeline()] == [0, 10, 20, 30, 40, 50]  # a later program too
    assert len(calls) == 8
    (folder,) = os.listdir(tmp_path / "snap")
    assert folder == f"{int(ds._input.fingerprint().view(torch.int64)) % 2**64:016x}"


def test_unsavable_component_is_a_clear_error(tmp_path: Any) -> None:
    ds = Dataset.from_generator(lambda: iter([object()]))
    with pytest.raises(InputError, match="cannot store"):
        ds.save(str(tmp_path / "x"))
