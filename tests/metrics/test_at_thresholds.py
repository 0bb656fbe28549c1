"""SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from torchbridge import metrics

CLASSES = [
    ("SensitivityAtSpecificity", "specificity"),
    ("SpecificityAtSensitivity", "sensitivity"),
    ("PrecisionAtRecall", "recall"),
    ("RecallAtPrecision", "precision"),
]


def _batches(oracle, rng, shape, weighted):
    out = []
    for _ in range(3):
        y_true = rng.integers(0, 2, size=shape).astype("float32")
        y_pred = oracle.f32(np.clip(0.4 * y_true + 0.6 * rng.random(shape), 0, 1))
        kwargs = {"sample_weight": oracle.f32(rng.uniform(0, 2, shape[:1]))} if weighted else {}
        out.append(((y_true, y_pred), kwargs))
    return out


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "options",
    [{}, {"num_thresholds": 1}, {"num_thresholds": 2}, {"num_thresholds": 7}, {"class_id": 1}],
    ids=str,
)
@pytest.mark.parametrize("value", [0.4, 0.8])
@pytest.mark.parametrize(("name", "key"), CLASSES)
def test_matches_keras(oracle, rng, name, key, value, options, weighted):
    kwargs = {key: value, **options}
    shape = (16, 3) if "class_id" in options else (16,)
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    oracle.compare(ours, theirs, _batches(oracle, rng, shape, weighted))


@pytest.mark.parametrize(("name", "key"), CLASSES)
def test_config_and_range(name, key):
    ours = getattr(metrics, name)(0.3, num_thresholds=5, class_id=2, name="m")
    theirs = getattr(keras.metrics, name)(0.3, num_thresholds=5, class_id=2, name="m")
    assert ours.get_config() == theirs.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match=key):
        getattr(metrics, name)(1.5)
    with pytest.raises(ValueError, match="num_thresholds"):
        getattr(metrics, name)(0.5, num_thresholds=0)
