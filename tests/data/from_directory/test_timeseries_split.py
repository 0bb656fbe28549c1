"""timeseries_dataset_from_array and split_dataset against real Keras."""

from __future__ import annotations

import numpy as np
import pytest

from torchbridge.data import Dataset
from torchbridge.errors import InputError
from torchbridge.utils import split_dataset, timeseries_dataset_from_array

DATA = np.arange(100, dtype="float64").reshape(50, 2)
TARGETS = np.arange(50, dtype="int64") * 10

CASES = [
    {"sequence_length": 5},
    {"sequence_length": 4, "sequence_stride": 3, "sampling_rate": 2, "batch_size": 4},
    {"sequence_length": 3, "start_index": 5, "end_index": 30, "batch_size": 7},
    {"sequence_length": 6, "batch_size": None},
    {"sequence_length": 5, "targets": None, "batch_size": 8},
    {"sequence_length": 2, "data": list(range(20)), "targets": None, "batch_size": 5},
]


def _flat(ds):
    out = []
    for el in ds:
        el = el if isinstance(el, tuple) else (el,)
        out.append([np.asarray(t) for t in el])
    return out


@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
def test_timeseries_matches_keras(kwargs):
    import keras

    kwargs = dict({"data": DATA, "targets": TARGETS}, **kwargs)
    ours, theirs = (
        _flat(timeseries_dataset_from_array(**kwargs)),
        _flat(keras.utils.timeseries_dataset_from_array(**kwargs)),
    )
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        for u, v in zip(a, b):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_array_equal(u, v)


def test_timeseries_shuffle_uses_keras_start_positions():
    import keras

    kwargs = {"data": DATA, "targets": TARGETS, "sequence_length": 3, "shuffle": True, "seed": 5}
    ours = np.concatenate(
        [y for _, y in timeseries_dataset_from_array(**kwargs, batch_size=None).batch(100)]
    )
    theirs = np.concatenate(
        [y.numpy() for _, y in keras.utils.timeseries_dataset_from_array(**kwargs)]
    )
    assert sorted(ours.tolist()) == sorted(theirs.tolist())
    assert ours.tolist() != sorted(ours.tolist())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_index": -1}, "start_index"),
        ({"start_index": 60}, "start_index"),
        ({"start_index": 10, "end_index": 5}, "end_index"),
        ({"end_index": 60}, "end_index"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"sequence_stride": 50}, "sequence_stride"),
        ({"format": "numpy"}, "format"),
    ],
)
def test_timeseries_errors_as_keras(kwargs, match):
    import keras

    with pytest.raises(InputError, match=match):
        timeseries_dataset_from_array(DATA, None, 3, **kwargs)
    with pytest.raises(ValueError, match=match):
        keras.utils.timeseries_dataset_from_array(DATA, None, 3, **kwargs)


X = np.arange(40, dtype="float32").reshape(20, 2)
Y = np.arange(20, dtype="int32")


@pytest.mark.parametrize(
    ("make", "kwargs"),
    [
        (lambda m: X, {"left_size": 0.75}),
        (lambda m: (X, Y), {"right_size": 6}),
        (lambda m: [X, Y], {"left_size": 5, "right_size": 0.5}),
        (lambda m: m.from_tensor_slices((X, Y)), {"left_size": 0.3}),
        (lambda m: m.from_tensor_slices((X, Y)).batch(3), {"left_size": 0.5}),
        (lambda m: (X, Y), {"left_size": 0.6, "shuffle": True, "seed": 3}),
    ],
    ids=["array", "tuple", "list-both", "dataset", "batched", "shuffled"],
)
def test_split_dataset_matches_keras(make, kwargs):
    import keras
    import tensorflow as tf

    ours = split_dataset(make(Dataset), **kwargs)
    theirs = keras.utils.split_dataset(make(tf.data.Dataset), **kwargs)
    for o, t in zip(ours, theirs):
        assert isinstance(o, Dataset)
        a, b = _flat(o), _flat(t)
        assert len(a) == len(b)
        for u, v in zip(a, b):
            for p, q in zip(u, v):
                assert p.dtype == q.dtype
                np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, ValueError),
        ({"left_size": 0, "right_size": 0}, ValueError),
        ({"left_size": 1.5}, ValueError),
        ({"left_size": 25}, ValueError),
        ({"left_size": 0.7, "right_size": 0.7}, ValueError),
        ({"left_size": "half"}, TypeError),
    ],
)
def test_split_dataset_errors(kwargs, error):
    with pytest.raises(error):
        split_dataset(X, **kwargs)
