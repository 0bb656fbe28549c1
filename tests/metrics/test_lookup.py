"""metrics.get: names, aliases, instances, classes, configs and callables."""

from __future__ import annotations

import keras
import pytest
import torch

from torchbridge import metrics
from torchbridge.errors import UnknownNameError
from torchbridge.metrics.lookup import METRICS

KERAS_NAMES = sorted(
    name
    for name in keras.src.metrics.ALL_OBJECTS_DICT
    if getattr(metrics, keras.src.metrics.ALL_OBJECTS_DICT[name].__name__, None) is not None
    and name not in ("Metric", "metric")
)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_name_gives_the_same_class(name) -> None:
    expected = keras.src.metrics.ALL_OBJECTS_DICT[name].__name__
    try:
        theirs = keras.metrics.get(name)
    except TypeError:  # a class with required arguments (MeanIoU, PrecisionAtRecall ...)
        with pytest.raises(TypeError):
            metrics.get(name)
        return
    ours = metrics.get(name)
    assert type(ours).__name__ == expected
    assert ours.name.split("_")[0] == theirs.name.split("_")[0]


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("mse", "MeanSquaredError"),
        ("MSE", "MeanSquaredError"),
        ("mae", "MeanAbsoluteError"),
        ("mape", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("bce", "BinaryCrossentropy"),
        ("binary_accuracy", "BinaryAccuracy"),
        ("accuracy", "Accuracy"),
        ("AUC", "AUC"),
        ("auc", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("f1_score", "F1Score"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("kl_divergence", "KLDivergence"),
        ("log_cosh_error", "LogCoshError"),
    ],
)
def test_names_and_aliases(name, cls) -> None:
    assert type(metrics.get(name)).__name__ == cls
    assert type(keras.metrics.get(name)).__name__ == cls


def test_mse_metric_keeps_its_class_name() -> None:
    assert metrics.get("mse").name == keras.metrics.get("mse").name == "mean_squared_error"


def test_unknown_name_suggests() -> None:
    with pytest.raises(UnknownNameError, match="precision") as info:
        metrics.get("precison")
    assert "precision" in info.value.suggestions
    with pytest.raises(ValueError):
        metrics.get("acc")  # only compile-time resolution knows "acc", as in Keras


def test_other_identifiers() -> None:
    assert metrics.get(None) is None
    m = metrics.Mean()
    assert metrics.get(m) is m
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    auc = metrics.get({"class_name": "AUC", "config": {"curve": "PR", "name": "pr_auc"}})
    assert isinstance(auc, metrics.AUC)
    assert auc.curve == "PR"
    assert auc.name == "pr_auc"
    with pytest.raises(ValueError, match="class_name"):
        metrics.get({"config": {}})
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(42)


def test_callable_is_wrapped() -> None:
    def my_error(y_true, y_pred):
        return (y_true - y_pred).abs()

    m = metrics.get(my_error)
    assert isinstance(m, metrics.MeanMetricWrapper)
    assert m.name == "my_error"
    m.update_state(torch.ones(4), torch.zeros(4))
    assert m.result().item() == 1.0


def test_registry_lists_every_public_metric_class() -> None:
    for name in metrics.__all__:
        obj = getattr(metrics, name)
        if isinstance(obj, type) and obj is not metrics.Metric:
            assert name in METRICS, name
