"""Pearson and concordance correlation (functions and metrics) against keras.metrics."""

from __future__ import annotations

import keras
import pytest
import torch

from torchbridge import metrics

NAMES = [
    ("PearsonCorrelation", "pearson_correlation"),
    ("ConcordanceCorrelation", "concordance_correlation"),
]


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize(("cls", "fn"), NAMES)
def test_function_matches_keras(oracle, rng, cls, fn, axis):
    y_true = oracle.f32(rng.normal(size=(5, 7)))
    y_pred = oracle.f32(0.7 * y_true + rng.normal(size=(5, 7)))
    ours = getattr(metrics, fn)(torch.as_tensor(y_true), torch.as_tensor(y_pred), axis=axis)
    oracle.close(ours, getattr(keras.metrics, fn)(y_true, y_pred, axis=axis))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("cls", "fn"), NAMES)
def test_metric_matches_keras(oracle, rng, cls, fn, weighted):
    batches = []
    for _ in range(3):
        y_true = oracle.f32(rng.normal(size=(4, 6)))
        y_pred = oracle.f32(0.5 * y_true + rng.normal(size=(4, 6)))
        kwargs = {"sample_weight": oracle.f32(rng.uniform(0, 1, (4,)))} if weighted else {}
        batches.append(((y_true, y_pred), kwargs))
    oracle.compare(getattr(metrics, cls)(), getattr(keras.metrics, cls)(), batches)


@pytest.mark.parametrize(("cls", "fn"), NAMES)
def test_config_matches_keras(cls, fn):
    ours, theirs = getattr(metrics, cls)(axis=0), getattr(keras.metrics, cls)(axis=0)
    assert ours.get_config() == theirs.get_config()
    assert ours.name == fn
