"""R2Score against keras.metrics.R2Score (aggregations, adjusted R², weights, batches)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from torchbridge import metrics


def _batches(oracle, rng, columns, weight_shape):
    out = []
    for _ in range(3):
        y_true = oracle.f32(rng.normal(size=(6, columns)))
        y_pred = oracle.f32(y_true + 0.5 * rng.normal(size=(6, columns)))
        kwargs = {}
        if weight_shape is not None:
            kwargs["sample_weight"] = oracle.f32(rng.uniform(0, 2, weight_shape))
        out.append(((y_true, y_pred), kwargs))
    return out


@pytest.mark.parametrize("weight_shape", [None, (6,), (6, 3)], ids=str)
@pytest.mark.parametrize("num_regressors", [0, 2])
@pytest.mark.parametrize("aggregation", [None, "uniform_average", "variance_weighted_average"])
def test_matches_keras(oracle, rng, aggregation, num_regressors, weight_shape):
    kwargs = {"class_aggregation": aggregation, "num_regressors": num_regressors}
    oracle.compare(
        metrics.R2Score(**kwargs),
        keras.metrics.R2Score(**kwargs),
        _batches(oracle, rng, 3, weight_shape),
    )


def test_one_dimensional_labels_against_a_column(oracle, rng):
    y_true = oracle.f32(rng.normal(size=(8,)))
    y_pred = oracle.f32(rng.normal(size=(8, 1)))
    oracle.compare(metrics.R2Score(), keras.metrics.R2Score(), [((y_true, y_pred), {})])


def test_too_many_regressors_warns_and_falls_back(oracle, rng):
    ours, theirs = metrics.R2Score(num_regressors=10), keras.metrics.R2Score(num_regressors=10)
    y = oracle.f32(rng.normal(size=(4, 1)))
    ours.update_state(y, y * 0.5)
    theirs.update_state(y, y * 0.5)
    with pytest.warns(UserWarning, match="More independent predictors"):
        value = ours.result()
    with pytest.warns(UserWarning, match="More independent predictors"):
        expected = theirs.result()
    oracle.close(value, expected)


def test_config_and_errors():
    ours = metrics.R2Score("variance_weighted_average", 1, name="r2")
    theirs = keras.metrics.R2Score("variance_weighted_average", 1, name="r2")
    assert ours.get_config() == theirs.get_config()
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
