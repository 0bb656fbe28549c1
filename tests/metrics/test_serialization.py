"""metrics.serialize/deserialize, the re-exported metric functions, and names compile takes."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from torchbridge import losses, metrics

FUNCTIONS = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
]


def test_every_public_keras_metric_name_exists():
    keras_names = {n for n in dir(keras.metrics) if not n.startswith("_")}
    assert sorted(keras_names - set(metrics.__all__)) == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_metric_functions_are_the_losses_and_match_keras(oracle, rng, name):
    assert getattr(metrics, name) is getattr(losses, name)
    y_true = oracle.f32(rng.integers(0, 2, size=(4, 3)))
    y_pred = oracle.f32(rng.uniform(0.05, 0.95, size=(4, 3)))
    ours = getattr(metrics, name)(torch.as_tensor(y_true), torch.as_tensor(y_pred))
    oracle.close(ours, getattr(keras.metrics, name)(y_true, y_pred))


@pytest.mark.parametrize(
    "name", ["r2_score", "pearson_correlation", "concordance_correlation", "mean_io_u"]
)
def test_compile_names_resolve_like_keras(oracle, rng, name):
    y_true = oracle.f32(rng.integers(0, 2, size=(6, 2)))
    y_pred = oracle.f32(rng.uniform(0.05, 0.95, size=(6, 2)))
    if name == "mean_io_u":  # needs num_classes: Keras cannot build it from its name either
        with pytest.raises(TypeError):
            metrics.resolve_metric(name, y_true, y_pred)
        return
    ours = metrics.resolve_metric(name, y_true, y_pred)
    assert ours.name == name
    model = keras.Sequential([keras.Input((2,))])  # the identity: predictions = inputs
    model.compile(loss="mse", metrics=[name])
    theirs_value = model.evaluate(y_pred, y_true, verbose=0, return_dict=True)[name]
    ours.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred))
    np.testing.assert_allclose(float(ours.result()), theirs_value, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "metric",
    [
        lambda m: m.MeanIoU(3, name="miou"),
        lambda m: m.R2Score("variance_weighted_average", name="r2"),
        lambda m: m.PrecisionAtRecall(0.4, name="par"),
        lambda m: m.AUC(curve="PR", name="auc"),
    ],
    ids=["MeanIoU", "R2Score", "PrecisionAtRecall", "AUC"],
)
def test_serialize_matches_keras_and_round_trips(metric):
    ours, theirs = (
        metrics.serialize(metric(metrics)),
        keras.metrics.serialize(metric(keras.metrics)),
    )
    assert ours == theirs
    back = metrics.deserialize(ours)
    assert type(back).__name__ == ours["class_name"]
    assert back.get_config() == ours["config"]


@pytest.mark.parametrize("name", ["log_cosh", "huber"])
def test_function_names_are_not_metric_names_as_in_keras(name):
    with pytest.raises(ValueError):
        keras.metrics.get(name)
    with pytest.raises(ValueError, match=name):
        metrics.get(name)


def test_functions_and_names():
    assert metrics.serialize(metrics.log_cosh) == keras.metrics.serialize(keras.metrics.log_cosh)
    assert metrics.deserialize(metrics.serialize(metrics.log_cosh)) is metrics.log_cosh
    assert metrics.serialize("mse") == keras.metrics.serialize("mse")
    for name in ("mse", "r2_score", "binary_crossentropy"):
        assert (
            type(metrics.deserialize(name)).__name__
            == type(keras.metrics.deserialize(name)).__name__
        )
    with pytest.raises(ValueError, match="class_name"):
        metrics.deserialize({"config": {}})
