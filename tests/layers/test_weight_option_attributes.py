"""Keras's ``<weight>_regularizer`` / ``<weight>_constraint`` attributes, against Keras:
each layer's attributes hold the same classes with the same configs (``None`` where
unset), and setting one changes the config as in Keras."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import keras
import pytest
import torch

import torchbridge as tb

Factory = Callable[[ModuleType, dict[str, Any]], Any]


def _options(k: ModuleType, *weights: str) -> dict[str, Any]:
    """A different regularizer and constraint per weight (the last weight keeps None)."""
    makers = [
        (lambda: k.regularizers.L1L2(0.1, 0.2), lambda: k.constraints.MaxNorm(1.5, axis=0)),
        (lambda: k.regularizers.L2(0.3), lambda: k.constraints.NonNeg()),
        (lambda: k.regularizers.L1(0.4), lambda: k.constraints.UnitNorm(axis=0)),
    ]
    out: dict[str, Any] = {}
    for weight, (reg, con) in zip(weights[:-1], makers):
        out[f"{weight}_regularizer"] = reg()
        out[f"{weight}_constraint"] = con()
    return out


# layer factory, Keras's option-weight names (attribute prefixes), private attributes
CASES: dict[str, tuple[Factory, tuple[str, ...]]] = {
    "Dense": (lambda k, o: k.layers.Dense(3, **o), ("kernel", "bias")),
    "Conv1D": (lambda k, o: k.layers.Conv1D(2, 3, **o), ("kernel", "bias")),
    "Conv2D": (lambda k, o: k.layers.Conv2D(2, 3, **o), ("bias", "kernel")),
    "Conv2DTranspose": (lambda k, o: k.layers.Conv2DTranspose(2, 3, **o), ("kernel", "bias")),
    "DepthwiseConv2D": (lambda k, o: k.layers.DepthwiseConv2D(3, **o), ("depthwise", "bias")),
    "SeparableConv2D": (
        lambda k, o: k.layers.SeparableConv2D(2, 3, **o),
        ("depthwise", "pointwise", "bias"),
    ),
    "Embedding": (lambda k, o: k.layers.Embedding(5, 2, **o), ("embeddings", "extra")),
    "BatchNormalization": (lambda k, o: k.layers.BatchNormalization(**o), ("gamma", "beta")),
    "LayerNormalization": (lambda k, o: k.layers.LayerNormalization(**o), ("beta", "gamma")),
    "SimpleRNN": (lambda k, o: k.layers.SimpleRNN(2, **o), ("kernel", "recurrent", "bias")),
    "LSTMCell": (lambda k, o: k.layers.LSTMCell(2, **o), ("recurrent", "bias", "kernel")),
}


def _check_attribute(ours: Any, theirs: Any, attribute: str) -> None:
    assert hasattr(theirs, attribute), attribute
    got, expected = getattr(ours, attribute), getattr(theirs, attribute)
    assert type(got).__name__ == type(expected).__name__, attribute
    if expected is not None:
        assert got.get_config() == expected.get_config(), attribute


@pytest.mark.parametrize("name", CASES)
def test_option_attributes_hold_keras_objects(name: str) -> None:
    factory, weights = CASES[name]
    theirs = factory(keras, _options(keras, *weights))
    ours = factory(tb, _options(tb, *weights))
    for weight in weights:
        if weight == "extra":
            continue
        for kind in ("regularizer", "constraint"):
            _check_attribute(ours, theirs, f"{weight}_{kind}")


def test_multi_head_attention_keeps_keras_private_attributes() -> None:
    def make(k: ModuleType) -> Any:
        return k.layers.MultiHeadAttention(
            2, 4, kernel_regularizer=k.regularizers.L2(0.5), bias_constraint=k.constraints.NonNeg()
        )

    ours, theirs = make(tb), make(keras)
    for attribute in ("_kernel_regularizer", "_bias_regularizer", "_kernel_constraint"):
        _check_attribute(ours, theirs, attribute)
    _check_attribute(ours, theirs, "_bias_constraint")


@pytest.mark.parametrize("name", ["Dense", "Conv2D", "Embedding", "SimpleRNN"])
def test_an_undeclared_weight_has_no_option_attribute(name: str) -> None:
    factory, _ = CASES[name]
    ours, theirs = factory(tb, {}), factory(keras, {})
    for attribute in ("gamma_regularizer", "moving_mean_constraint"):
        assert hasattr(ours, attribute) == hasattr(theirs, attribute) == False, attribute  # noqa: E712


def _numpy(t: Any) -> Any:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else keras.ops.convert_to_numpy(t)


@pytest.mark.parametrize("built", [False, True])
def test_setting_an_option_changes_the_config_as_in_keras(built: bool) -> None:
    def run(k: ModuleType) -> tuple[Any, Any, list[float]]:
        layer = k.layers.Dense(2, kernel_initializer="ones")
        build = layer.build_from_shape if k is tb else layer.build  # (build() is not wrapped)
        if built:
            build((None, 3))
        layer.kernel_regularizer = k.regularizers.L2(0.5)
        layer.bias_constraint = k.constraints.NonNeg()
        if not built:
            build((None, 3))
        config = layer.get_config()
        penalties = [float(_numpy(t)) for t in layer.losses]
        return config["kernel_regularizer"]["config"], config["bias_constraint"], penalties

    ours, theirs = run(tb), run(keras)
    assert ours[0] == theirs[0]
    assert ours[1]["class_name"] == theirs[1]["class_name"] == "NonNeg"
    assert ours[2] == pytest.approx(theirs[2])  # built first: the weights keep no penalty


def test_a_constraint_that_is_not_callable_is_refused_when_set() -> None:
    layer = tb.layers.Dense(2)
    with pytest.raises(ValueError, match="constraint"):
        layer.kernel_constraint = 3
    assert layer.kernel_constraint is None
