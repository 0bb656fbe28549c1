"""The IoU family against keras.metrics (multi-batch, weights, ignore_class, one-hot)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from torchbridge import metrics


def _sparse_batches(rng, num_classes, weighted, shape=(4, 5)):
    out = []
    for _ in range(3):
        y_true = rng.integers(0, num_classes, size=shape)
        y_pred = np.where(rng.random(shape) < 0.6, y_true, rng.integers(0, num_classes, shape))
        kwargs = {}
        if weighted:
            kwargs["sample_weight"] = rng.integers(0, 3, size=shape).astype("int64")
        out.append(((y_true.astype("int64"), y_pred.astype("int64")), kwargs))
    return out


def _one_hot_batches(rng, num_classes, sparse_pred):
    out = []
    for _ in range(3):
        labels = rng.integers(0, num_classes, size=(8,))
        y_true = np.eye(num_classes, dtype="float32")[labels]
        scores = rng.random((8, num_classes)).astype("float32")
        y_pred = scores.argmax(-1).astype("int64") if sparse_pred else scores
        out.append(((y_true, y_pred), {}))
    return out


SPARSE_CASES = [
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 0}),
    ("MeanIoU", {"num_classes": 3}),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 2}),
    ("MeanIoU", {"num_classes": 3, "dtype": "float32"}),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("name", "kwargs"), SPARSE_CASES, ids=str)
def test_sparse_iou_matches_keras(oracle, rng, name, kwargs, weighted):
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    oracle.compare(ours, theirs, _sparse_batches(rng, kwargs["num_classes"], weighted))


def test_out_of_range_ids_do_not_count(oracle):
    batch = ((np.array([0, 1, 5, -1, 2]), np.array([0, 2, 1, 1, 7])), {})
    oracle.compare(metrics.MeanIoU(3), keras.metrics.MeanIoU(3), [batch])


@pytest.mark.parametrize("sparse_pred", [False, True])
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 1]}), ("OneHotMeanIoU", {})],
    ids=str,
)
def test_one_hot_iou_matches_keras(oracle, rng, name, kwargs, sparse_pred):
    kwargs = {"num_classes": 3, **kwargs, "sparse_y_pred": sparse_pred}
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    oracle.compare(ours, theirs, _one_hot_batches(rng, 3, sparse_pred))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"threshold": 0.3}, {"target_class_ids": [1]}, {"target_class_ids": [0]}],
    ids=str,
)
def test_binary_iou_matches_keras(oracle, rng, kwargs):
    batches = []
    for _ in range(3):
        y_true = rng.integers(0, 2, size=(10,)).astype("float32")
        y_pred = rng.random((10,)).astype("float32")
        batches.append(((y_true, y_pred), {"sample_weight": rng.integers(0, 3, (10,))}))
    oracle.compare(metrics.BinaryIoU(**kwargs), keras.metrics.BinaryIoU(**kwargs), batches)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("IoU", {"num_classes": 3, "target_class_ids": [0, 2], "ignore_class": 1}),
        ("MeanIoU", {"num_classes": 3, "axis": 1}),
        ("BinaryIoU", {"threshold": 0.3}),
        ("OneHotIoU", {"num_classes": 3, "target_class_ids": [1]}),
        ("OneHotMeanIoU", {"num_classes": 3, "sparse_y_pred": True}),
    ],
    ids=str,
)
def test_config_matches_keras(name, kwargs):
    ours = getattr(metrics, name)(name="m", **kwargs)
    theirs = getattr(keras.metrics, name)(name="m", **kwargs)
    assert ours.get_config() == theirs.get_config()
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


def test_target_class_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[2])


def test_float_weights_with_an_integer_matrix_warn_like_keras():
    weights = np.array([0.5, 1.5], dtype="float32")
    theirs = keras.metrics.MeanIoU(2)
    with pytest.warns(UserWarning, match="passing weight as `float`"):
        theirs.update_state([0, 1], [0, 1], sample_weight=weights)
    ours = metrics.MeanIoU(2)
    with pytest.warns(UserWarning, match="passing weight as `float`"):
        ours.update_state(np.array([0, 1]), np.array([0, 1]), sample_weight=weights)
    assert ours.total_cm.tolist() == np.asarray(theirs.total_cm).tolist() == [[0, 0], [0, 1]]
