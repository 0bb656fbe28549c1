"""tf.data.Options and tf.data.experimental names: fields as tf.data, merging along the
pipeline, and the experimental transformations against real tf.data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from data_helpers import to_plain

import torchbridge.data as tbdata
from torchbridge.data import Dataset, Options, experimental
from torchbridge.errors import InputError


def test_options_fields_match_tf(tf: Any) -> None:
    def fields(o: Any) -> set[str]:
        return {n for n in dir(o) if not n.startswith("_") and not callable(getattr(o, n))}

    tf_fields = fields(tf.data.Options()) - {"experimental_deterministic", "experimental_threading"}
    assert tf_fields == set(vars(Options()))
    assert fields(tf.data.ThreadingOptions()) == set(vars(tbdata.ThreadingOptions()))
    for name in ["AutotuneOptions", "OptimizationOptions", "DistributeOptions"]:
        theirs = fields(getattr(tf.data.experimental, name)())
        assert theirs == set(vars(getattr(experimental, name)())), name
    with pytest.raises(AttributeError, match="deterministc"):
        Options().deterministc = True  # type: ignore[attr-defined]


def test_options_merge_along_pipeline() -> None:
    a = Options()
    a.deterministic = False
    a.threading.private_threadpool_size = 4
    b = Options()
    b.experimental_deterministic = True  # alias of deterministic, as tf.data
    ds = Dataset.range(3).with_options(a).map(lambda x: x).with_options(b)
    merged = ds.options()
    assert merged.deterministic is True and merged.threading.private_threadpool_size == 4
    assert Dataset.range(3).with_options(a).options() == a
    assert Dataset.range(3).options() == Options()
    assert [int(x) for x in ds] == [0, 1, 2]
    with pytest.raises(TypeError, match="Options"):
        Dataset.range(3).with_options({"deterministic": True})  # type: ignore[arg-type]


TRANSFORMS = {
    "scan": lambda e, D: D.range(5).apply(e.scan(np.int64(0), lambda s, x: (s + x, s))),
    "take_while": lambda e, D: D.range(9).apply(e.take_while(lambda x: x < 3)),
    "unique": lambda e, D: D.from_tensor_slices([3, 3, 1, 3]).apply(e.unique()),
    "enumerate_dataset": lambda e, D: D.range(3, 6).apply(e.enumerate_dataset(2)),
    "unbatch": lambda e, D: D.range(6).batch(4).apply(e.unbatch()),
    "map_and_batch": lambda e, D: D.range(7).apply(e.map_and_batch(lambda x: x + 1, 3)),
    "group_by_window": lambda e, D: D.range(8).apply(
        e.group_by_window(lambda x: x % 2, lambda k, w: w.batch(3), window_size=3)
    ),
    "choose_default_skips_empty": lambda e, D: e.choose_from_datasets(
        [D.range(2), D.range(5, 9)], D.from_tensor_slices(np.array([0, 0, 0, 1, 0, 1]))
    ),
    "from_list": lambda e, D: e.from_list([(1, "a"), (2, "b")]),
    "Counter": lambda e, D: e.Counter(4, 3).take(3),
    "group_by_reducer": lambda e, D: D.from_tensor_slices(
        np.array([11, 22, 33, 44, 10, 21], np.int64)
    ).apply(
        e.group_by_reducer(
            lambda x: x % 10, e.Reducer(lambda k: np.int64(0), lambda s, x: s + x, lambda s: s)
        )
    ),
    "group_by_reducer_tuple_state": lambda e, D: D.range(7).apply(
        e.group_by_reducer(
            lambda x: x % 3,
            e.Reducer(
                lambda k: (np.int64(0), np.int64(1)),
                lambda s, x: (s[0] + x, s[1] * (x + 1)),
                lambda total, product: total * 1000 + product,
            ),
        )
    ),
    "assert_cardinality": lambda e, D: (
        D.range(4).filter(lambda x: x > 0).apply(e.assert_cardinality(3))
    ),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_experimental_matches_tf(name: str, tf: Any) -> None:
    theirs = TRANSFORMS[name](tf.data.experimental, tf.data.Dataset)
    ours = TRANSFORMS[name](experimental, Dataset)
    assert [to_plain(e) for e in ours] == [to_plain(e) for e in theirs]


def test_experimental_helpers(tf: Any) -> None:
    ds = Dataset.range(4).apply(experimental.assert_cardinality(4))
    assert len(ds) == 4 and int(experimental.cardinality(ds)) == 4
    assert int(experimental.cardinality(Dataset.range(3).repeat())) == -1
    assert experimental.INFINITE_CARDINALITY == tf.data.experimental.INFINITE_CARDINALITY
    assert experimental.UNKNOWN_CARDINALITY == tf.data.experimental.UNKNOWN_CARDINALITY
    assert experimental.AUTOTUNE == tf.data.experimental.AUTOTUNE
    assert int(experimental.at(Dataset.range(10, 20), 3)) == 13
    assert int(experimental.get_single_element(Dataset.range(1))) == 0
    assert experimental.get_structure(Dataset.range(2)).dtype == torch.int64
    with pytest.raises(InputError, match="expected to contain 5"):
        list(Dataset.range(4).apply(experimental.assert_cardinality(5)))
    with pytest.raises(InputError, match="at least one more"):
        list(Dataset.range(4).apply(experimental.assert_cardinality(2)))
    shuffled = Dataset.range(5).apply(experimental.shuffle_and_repeat(5, count=2, seed=1))
    values = [int(x) for x in shuffled]
    assert sorted(values) == sorted(list(range(5)) * 2)


def test_experimental_names_cover_the_common_tf_ones(tf: Any) -> None:
    common = {
        "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality",
        "assert_cardinality", "sample_from_datasets", "choose_from_datasets",
        "get_single_element", "scan", "take_while", "unique", "group_by_window",
        "rejection_resample", "enumerate_dataset", "ignore_errors", "unbatch",
        "bucket_by_sequence_length", "dense_to_ragged_batch", "dense_to_sparse_batch",
        "shuffle_and_repeat", "map_and_batch", "parallel_interleave", "save", "load",
        "snapshot", "from_list", "Counter", "RandomDataset", "at", "get_structure",
        "make_csv_dataset", "CsvDataset", "AutoShardPolicy", "ExternalStatePolicy",
        "SHARD_HINT", "ServiceOptions", "Reducer", "group_by_reducer", "TFRecordWriter", "pad_to_cardinality",
        "parse_example_dataset", "prefetch_to_device", "copy_to_device", "enable_debug_mode",
    }  # fmt: skip
    assert common <= set(dir(tf.data.experimental))
    assert common <= set(experimental.__all__)


def test_pad_to_cardinality_matches_tf(tf: Any) -> None:
    def run(e: Any, D: Any) -> Any:
        return D.from_tensor_slices({"a": [1, 2], "s": ["x", "y"]}).apply(e.pad_to_cardinality(4))

    ours = run(experimental, Dataset)
    theirs = run(tf.data.experimental, tf.data.Dataset)
    assert [to_plain(e) for e in ours] == [to_plain(e) for e in theirs]
    assert experimental.SHARD_HINT == tf.data.experimental.SHARD_HINT
    with pytest.raises(InputError, match="known, finite cardinality"):
        Dataset.range(3).filter(lambda x: x > 0).map(lambda x: {"a": x}).apply(
            experimental.pad_to_cardinality(5)
        )


def test_parse_example_dataset_and_device_copies(tmp_path: Any, tf: Any) -> None:
    from torchbridge import io

    path = str(tmp_path / "r.tfrecord")
    with experimental.TFRecordWriter(path) as w:
        for i in range(3):
            w.write(io.encode_example({"v": io.int64_feature([i, i + 1])}))
    spec = {"v": io.FixedLenFeature([2], "int64")}
    ds = tbdata.TFRecordDataset(path).batch(2).apply(experimental.parse_example_dataset(spec))
    tf_spec = {"v": tf.io.FixedLenFeature([2], tf.int64)}
    theirs = (
        tf.data.TFRecordDataset(path)
        .batch(2)
        .apply(tf.data.experimental.parse_example_dataset(tf_spec))
    )
    assert [to_plain(e) for e in ds] == [to_plain(e) for e in theirs]
    moved = Dataset.range(3).map(lambda x: (x, x)).apply(experimental.prefetch_to_device("/cpu:0"))
    assert [to_plain(e) for e in moved] == [(0, 0), (1, 1), (2, 2)]
    assert experimental._torch_device("/device:GPU:1") == torch.device("cuda:1")
    assert experimental.enable_debug_mode() is None


def test_group_by_reducer_resumes_and_checks_reducer() -> None:
    from data_helpers import resume_matches

    resume_matches(TRANSFORMS["group_by_reducer_tuple_state"](experimental, Dataset), 1)
    with pytest.raises(TypeError, match="Reducer"):
        Dataset.range(3).apply(experimental.group_by_reducer(lambda x: x, lambda s, x: s))
