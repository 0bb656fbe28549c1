"""The recurrent layers' and cells' weight options against Keras (TensorFlow backend):
one SGD step with all six ``<weight>_regularizer`` / ``<weight>_constraint`` options and
``activity_regularizer`` (fused kernels, the step loop, ``RNN(cells)``, ``Bidirectional``),
and nested configs. Per-call penalties and flat configs are rows of the tables in
``test_regularization.py``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb

Factory = Callable[[ModuleType], Any]


def _randomize(rng: np.random.Generator, weights: list[np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(w.shape).astype(w.dtype) * 0.5 for w in weights]


def _keras_losses(layer: Any) -> float:
    return float(sum(keras.ops.convert_to_numpy(t) for t in layer.losses))


def _fit_one_step(
    build: Factory, x: np.ndarray, y: np.ndarray
) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(1)
    theirs, ours = build(keras), build(tb)
    theirs.set_weights(_randomize(rng, theirs.get_weights()))
    ours.set_weights(theirs.get_weights())
    for model, k in ((theirs, keras), (ours, tb)):
        model.compile(optimizer=k.optimizers.SGD(learning_rate=0.1), loss="mse")
    args = {"batch_size": len(x), "epochs": 1, "shuffle": False, "verbose": 0}
    return theirs, ours, theirs.fit(x, y, **args).history, ours.fit(x, y, **args).history


def _recurrent_options(k: ModuleType) -> dict[str, Any]:
    """All six weight options; the constraints act on Keras's layouts (axis 0 = inputs)."""
    return {
        "kernel_regularizer": k.regularizers.L1L2(0.01, 0.02),
        "recurrent_regularizer": k.regularizers.L2(0.03),
        "bias_regularizer": "l1",
        "kernel_constraint": k.constraints.MaxNorm(0.6, axis=0),
        "recurrent_constraint": k.constraints.UnitNorm(axis=1),
        "bias_constraint": "non_neg",
    }


# id -> the recurrent part of a model Input((4, 5)) -> ... -> Dense(1)
RECURRENT_FIT_CASES: dict[str, Callable[[ModuleType], list[Any]]] = {
    "SimpleRNN": lambda k: [k.layers.SimpleRNN(3, **_recurrent_options(k))],
    "LSTM": lambda k: [
        k.layers.LSTM(3, return_sequences=True, activity_regularizer="l2", **_recurrent_options(k)),
        k.layers.Flatten(),
    ],
    "LSTM-loop": lambda k: [
        k.layers.LSTM(3, activation="relu", activity_regularizer="l1", **_recurrent_options(k))
    ],
    "GRU": lambda k: [
        k.layers.GRU(3, activity_regularizer=k.regularizers.L1(0.05), **_recurrent_options(k))
    ],
    "GRU-reset_before": lambda k: [k.layers.GRU(3, reset_after=False, **_recurrent_options(k))],
    "RNN-cells": lambda k: [
        k.layers.RNN(
            [
                k.layers.LSTMCell(3, **_recurrent_options(k)),
                k.layers.GRUCell(2, **_recurrent_options(k)),
                k.layers.SimpleRNNCell(2, **_recurrent_options(k)),
            ],
            activity_regularizer="l2",
        )
    ],
    "Bidirectional": lambda k: [
        k.layers.Bidirectional(k.layers.LSTM(3, activity_regularizer="l1", **_recurrent_options(k)))
    ],
}


@pytest.mark.parametrize("case", list(RECURRENT_FIT_CASES))
def test_recurrent_sgd_step_with_regularizers_and_constraints_matches_keras(case: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 4, 5)).astype("float32")
    y = rng.standard_normal((6, 1)).astype("float32")

    def build(k: ModuleType) -> Any:
        return k.Sequential([k.Input((4, 5)), *RECURRENT_FIT_CASES[case](k), k.layers.Dense(1)])

    theirs, ours, h_theirs, h_ours = _fit_one_step(build, x, y)
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-5)
    for got, expected in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # the constraints bit, on the first recurrent layer's (Keras-layout) weights
    kernel, recurrent, bias = ours.get_weights()[:3]
    assert np.sqrt((kernel**2).sum(axis=0)).max() <= 0.6 + 1e-5
    np.testing.assert_allclose(np.sqrt((recurrent**2).sum(axis=1)), 1.0, rtol=1e-5)
    assert (bias >= 0).all() and (bias == 0).any()
    # the same penalty terms after a call on the stepped weights
    theirs(x)
    with torch.no_grad():
        ours(torch.from_numpy(x))
    assert len(ours.losses) == len(theirs.losses) > 0
    np.testing.assert_allclose(float(sum(ours.losses).detach()), _keras_losses(theirs), rtol=1e-5)


def _nested_options(config: Any) -> Any:
    """Every ``*_regularizer`` / ``*_constraint`` entry of a nested config, by path."""
    found: dict[str, Any] = {}

    def visit(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key.endswith(("_regularizer", "_constraint")):
                    found[f"{path}/{key}"] = item
                elif key not in ("name", "build_config"):
                    visit(item, f"{path}/{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                visit(item, f"{path}/{i}")

    visit(config, "")
    return found


NESTED_CONFIG_CASES: dict[str, Factory] = {
    "RNN-stacked-cells": lambda k: k.layers.RNN(
        [
            k.layers.LSTMCell(2, kernel_regularizer="l2", bias_constraint="non_neg"),
            k.layers.GRUCell(3, recurrent_constraint=k.constraints.MaxNorm(1.5, axis=0)),
        ],
        activity_regularizer=k.regularizers.L1(0.1),
    ),
    "Bidirectional-GRU": lambda k: k.layers.Bidirectional(
        k.layers.GRU(
            2, recurrent_regularizer="l1", activity_regularizer="l2", kernel_constraint="non_neg"
        )
    ),
}


@pytest.mark.parametrize("case", list(NESTED_CONFIG_CASES))
def test_nested_rnn_configs_equal_keras_and_round_trip(case: str) -> None:
    ours, theirs = NESTED_CONFIG_CASES[case](tb), NESTED_CONFIG_CASES[case](keras)
    config = ours.get_config()
    options = _nested_options(config)
    assert options == _nested_options(theirs.get_config())
    assert sum(v is not None for v in options.values()) >= 3
    clone = type(ours).from_config(config)
    assert _nested_options(clone.get_config()) == options


_OPTION_NAMES = [
    f"{w}_{kind}" for kind in ("regularizer", "constraint") for w in ("kernel", "recurrent", "bias")
]


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "GRUCell"])
def test_option_attributes_as_keras(name: str) -> None:
    def make(k: ModuleType) -> Any:
        return getattr(k.layers, name)(
            2,
            kernel_regularizer=k.regularizers.L1L2(0.1, 0.2),
            bias_regularizer="l2",
            recurrent_constraint=k.constraints.MaxNorm(1.5, axis=0),
            bias_constraint="non_neg",
        )

    ours, theirs = make(tb), make(keras)
    for option in _OPTION_NAMES:
        got, expected = getattr(ours, option), getattr(theirs, option)
        assert type(got).__name__ == type(expected).__name__, option
        if expected is not None:
            assert got.get_config() == expected.get_config(), option
