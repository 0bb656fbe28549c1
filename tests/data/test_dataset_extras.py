"""The tf.data methods from dataset_extras.py against real tf.data: the same pipeline code
runs on both (``D`` is tf.data.Dataset or ours) and must give the same elements, in the
same order, and the same cardinality; plus resume, seeding and the errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from data_helpers import resume_matches, to_plain

from torchbridge.data import Dataset
from torchbridge.errors import InputError


def _pairs(D: Any) -> Any:
    return D.from_tensor_slices(([1, 2, 3, 4, 5], [5, 6, 7, 8, 9]))


CASES: dict[str, Callable[[Any], Any]] = {
    "window": lambda D: D.range(7).window(3, shift=2).flat_map(lambda w: w.batch(3)),
    "window_stride": lambda D: D.range(10).window(3, 1, 3).flat_map(lambda w: w.batch(3)),
    "window_wide_shift": lambda D: D.range(7).window(2, shift=5).flat_map(lambda w: w.batch(2)),
    "window_drop": lambda D: (
        D.range(7).window(3, 2, drop_remainder=True).flat_map(lambda w: w.batch(3))
    ),
    "window_tuple": lambda D: (
        _pairs(D).window(2).flat_map(lambda a, b: D.zip((a.batch(2), b.batch(2))))
    ),
    "scan": lambda D: D.range(6).scan(np.int64(0), lambda s, x: (s + x, s * x)),
    "scan_tuple": lambda D: _pairs(D).scan(0, lambda s, e: (s + e[0], e[1] * s)),
    "group_by_window": lambda D: D.range(10).group_by_window(
        lambda x: x % 3, lambda k, w: w.batch(10), window_size=2
    ),
    "group_by_window_flush_order": lambda D: D.range(10).group_by_window(
        lambda x: (9 - x) % 3, lambda k, w: w.batch(10), window_size=5
    ),
    "group_by_window_size_func": lambda D: D.range(20).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(5), window_size_func=lambda k: k + 2
    ),
    "group_by_window_tuple": lambda D: D.zip((D.range(1, 6), D.range(5, 10))).group_by_window(
        lambda a, b: a % 2 + b * 0, lambda k, w: w.batch(9), window_size=5
    ),
    "unique": lambda D: D.from_tensor_slices([1, 1, 2, 3, 2, 5, 1]).unique(),
    "unique_strings": lambda D: D.from_tensor_slices(["a", "b", "a", "c", "b"]).unique(),
    "take_while": lambda D: D.range(10).take_while(lambda x: x < 4),
    "choose": lambda D: D.choose_from_datasets(
        [D.range(0, 3), D.range(10, 12)], D.from_tensor_slices(np.array([0, 1, 1, 1, 0, 0, 0]))
    ),
    "choose_no_stop": lambda D: D.choose_from_datasets(
        [D.range(0, 3), D.range(10, 12)],
        D.from_tensor_slices(np.array([0, 1, 1, 1, 0, 0, 0])),
        stop_on_empty_dataset=False,
    ),
    "counter": lambda D: D.counter(3, 2).take(4),
    "counter_negative": lambda D: D.counter(5, -3).take(3),
    "apply": lambda D: D.range(5).apply(lambda ds: ds.map(lambda x: x * 2)),
    "enumerate_take_while": lambda D: D.range(3, 9).enumerate(1).take_while(lambda i, x: i < 4),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_elements_and_cardinality_as_tf(case: str, tf: Any) -> None:
    theirs = CASES[case](tf.data.Dataset)
    ours = CASES[case](Dataset)
    assert [to_plain(e) for e in ours] == [to_plain(e) for e in theirs]
    tf_card = int(theirs.cardinality().numpy())
    if tf_card >= 0 or tf_card == -1:  # ours may know a count tf.data leaves unknown
        assert ours.cardinality() == tf_card


@pytest.mark.parametrize(
    "case",
    ["window_stride", "window_tuple", "scan", "group_by_window_size_func", "unique", "choose"],
)
def test_resume_restores_exactly(case: str) -> None:
    resume_matches(CASES[case](Dataset), 2)


def test_counter_dtype_and_window_cardinality(tf: Any) -> None:
    assert Dataset.counter(dtype=torch.int32).take(1).get_single_element().dtype == torch.int32
    assert Dataset.counter().cardinality() == -1
    for kwargs in [
        {"size": 3, "shift": 2},
        {"size": 3, "shift": 2, "drop_remainder": True},
        {"size": 4, "stride": 2, "drop_remainder": True},
        {"size": 9},
    ]:
        tf_card = int(tf.data.Dataset.range(7).window(**kwargs).cardinality().numpy())
        assert Dataset.range(7).window(**kwargs).cardinality() == tf_card


def test_reduce_and_get_single_element(tf: Any) -> None:
    fn = lambda s, e: s + e[0] * e[1]  # noqa: E731
    theirs = _pairs(tf.data.Dataset).reduce(0, fn)
    ours = _pairs(Dataset).reduce(0, fn)
    assert int(ours) == int(theirs)
    assert int(Dataset.range(5).reduce(np.int64(0), lambda s, _: s + 1)) == 5
    assert to_plain(_pairs(Dataset).batch(5).get_single_element()) == to_plain(
        _pairs(tf.data.Dataset).batch(5).get_single_element()
    )
    with pytest.raises(InputError, match="more than one element"):
        Dataset.range(2).get_single_element()
    with pytest.raises(InputError, match="was empty"):
        Dataset.range(0).get_single_element()


def test_ragged_and_sparse_batch(tf: Any) -> None:
    def pipeline(D: Any, arange: Callable[..., Any]) -> Any:
        return D.range(1, 5).map(lambda x: arange(x))

    theirs = [b.to_tensor().numpy() for b in pipeline(tf.data.Dataset, tf.range).ragged_batch(3)]
    ours = [b.numpy() for b in pipeline(Dataset, torch.arange).ragged_batch(3)]
    assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
    theirs_sp = [
        tf.sparse.to_dense(b).numpy()
        for b in pipeline(tf.data.Dataset, tf.range).sparse_batch(3, [6])
    ]
    ours_sp = list(pipeline(Dataset, torch.arange).sparse_batch(3, [6]))
    assert all(b.is_sparse for b in ours_sp)
    assert [b.to_dense().tolist() for b in ours_sp] == [t.tolist() for t in theirs_sp]


def test_unique_rejects_non_scalar_elements() -> None:
    with pytest.raises(InputError, match="scalar integer or string"):
        list(Dataset.from_tensor_slices(np.ones((3, 2), np.float32)).unique())


def test_group_by_window_needs_exactly_one_size() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Dataset.range(3).group_by_window(lambda x: x, lambda k, w: w)


def test_random_is_seeded_and_rerandomizes() -> None:
    a = [int(x) for x in Dataset.random(seed=7).take(5)]
    b = [int(x) for x in Dataset.random(seed=7).take(5)]
    assert a == b and all(0 <= v < 2**32 for v in a) and len(set(a)) == 5
    assert Dataset.random(seed=7).cardinality() == -1
    epochs = Dataset.random(seed=7, rerandomize_each_iteration=True).take(3).repeat(2)
    values = [int(x) for x in epochs]
    assert values[:3] != values[3:]
    same = [int(x) for x in Dataset.random(seed=7).take(3).repeat(2)]
    assert same[:3] == same[3:]


def test_sample_from_datasets_weights_seed_and_exhaustion(tf: Any) -> None:
    def run(**kw: Any) -> list[int]:
        ds = Dataset.sample_from_datasets([Dataset.range(0, 500), Dataset.range(1000, 1500)], **kw)
        return [int(x) for x in ds]

    first = run(weights=[0.8, 0.2], seed=3)
    assert first == run(weights=[0.8, 0.2], seed=3)
    assert sorted(first) == list(range(500)) + list(range(1000, 1500))  # nothing lost
    head = first[:200]
    assert 0.7 < sum(v < 1000 for v in head) / 200 < 0.9
    stopped = run(weights=[0.5, 0.5], seed=0, stop_on_empty_dataset=True)
    assert 500 <= len(stopped) < 1000
    # cardinality as tf.data: unknown for finite inputs, infinite for infinite ones
    fin = Dataset.sample_from_datasets([Dataset.range(3), Dataset.range(4)])
    inf = Dataset.sample_from_datasets([Dataset.range(3).repeat(), Dataset.range(4).repeat()])
    tf_fin = tf.data.Dataset.sample_from_datasets([tf.data.Dataset.range(3)] * 2)
    assert fin.cardinality() == int(tf_fin.cardinality()) and inf.cardinality() == -1
    with pytest.raises(InputError, match="weights"):
        Dataset.sample_from_datasets([Dataset.range(3)] * 2, weights=[1.0])
    resume_matches(
        Dataset.sample_from_datasets([Dataset.range(20), Dataset.range(50, 60)], seed=1), 7
    )


def test_rejection_resample_reaches_target_distribution() -> None:
    labels = np.array([0] * 900 + [1] * 100)
    np.random.default_rng(0).shuffle(labels)
    ds = Dataset.from_tensor_slices(labels).rejection_resample(
        lambda x: x, target_dist=[0.5, 0.5], initial_dist=[0.9, 0.1], seed=0
    )
    out = list(ds)
    classes = np.array([int(c) for c, _ in out])
    assert all(int(c) == int(x) for c, x in out)  # (class, element) pairs, as tf.data
    assert 0.35 < classes.mean() < 0.65 and len(out) > 150
    again = [
        int(x)
        for _, x in Dataset.from_tensor_slices(labels).rejection_resample(
            lambda x: x, target_dist=[0.5, 0.5], initial_dist=[0.9, 0.1], seed=0
        )
    ]
    assert again == [int(x) for _, x in out]
    estimated = Dataset.from_tensor_slices(labels).rejection_resample(
        lambda x: x, target_dist=[0.5, 0.5], seed=0
    )
    est = np.array([int(c) for c, _ in estimated])
    assert 0.3 < est.mean() < 0.7


def test_element_spec_and_fingerprint() -> None:
    ds = Dataset.from_tensor_slices((np.zeros((4, 3), np.float32), ["a", "b", "c", "d"]))
    x_spec, s_spec = ds.batch(2).element_spec
    assert (x_spec.shape, x_spec.dtype) == ((2, 3), torch.float32)
    assert (s_spec.shape, s_spec.dtype) == ((2,), "string")
    assert x_spec.is_compatible_with(torch.ones(2, 3))
    assert not x_spec.is_compatible_with(torch.ones(2, 4))

    def build() -> Dataset:
        return Dataset.range(10).map(lambda x: x * 2).batch(3)

    assert build().fingerprint().dtype == torch.uint64
    assert int(build().fingerprint().view(torch.int64)) == int(
        build().fingerprint().view(torch.int64)
    )
    other = Dataset.range(10).map(lambda x: x * 3).batch(3)
    assert int(other.fingerprint().view(torch.int64)) != int(
        build().fingerprint().view(torch.int64)
    )


def test_whole_dataset_operations_ignore_worker_sharding(monkeypatch: Any) -> None:
    """Inside a DataLoader worker / rank, iter() reads a shard; reduce, save, nested
    group windows ... still see every element, as tf.data."""
    import torchbridge.data.ops.shard as shard

    monkeypatch.setattr(shard, "reader_shard", lambda: (2, 1))
    assert [int(x) for x in Dataset.range(6)] == [1, 3, 5]
    assert int(Dataset.range(6).reduce(np.int64(0), lambda s, x: s + x)) == 15
    grouped = Dataset.range(6).group_by_window(lambda x: x % 2, lambda k, w: w.batch(3), 3)
    assert [b.tolist() for b in grouped] == [[1, 3, 5]]  # shard 1 of [[0, 2, 4], [1, 3, 5]]
    assert int(Dataset.range(6).skip(5).get_single_element()) == 5


def test_from_generator_output_signature_casts_and_checks_shapes(tf: Any) -> None:
    def gen() -> Any:
        yield np.array([1.5, 2.5]), 1
        yield np.array([3.5, 4.5, 5.5]), 2

    def signature(T: Any, f32: Any, i64: Any, n: int | None) -> Any:
        return (T([n], f32), T([], i64))

    from torchbridge.data import TensorSpec

    theirs = tf.data.Dataset.from_generator(
        gen, output_signature=signature(tf.TensorSpec, tf.float32, tf.int64, None)
    )
    ours = Dataset.from_generator(
        gen, output_signature=signature(TensorSpec, torch.float32, torch.int64, None)
    )
    assert [to_plain(e) for e in ours] == [to_plain(e) for e in theirs]
    assert [e[0].dtype for e in ours] == [torch.float32] * 2
    # tf.TensorSpec works too
    via_tf = Dataset.from_generator(
        gen, output_signature=signature(tf.TensorSpec, tf.float32, tf.int64, None)
    )
    assert [to_plain(e) for e in via_tf] == [to_plain(e) for e in theirs]
    fixed = Dataset.from_generator(
        gen, output_signature=signature(TensorSpec, torch.float32, torch.int64, 2)
    )
    with pytest.raises(InputError, match=r"shape \(3,\) where an element of shape \(2,\)"):
        list(fixed)
