"""Objects inside layer configs, against Keras: a registered custom initializer object
(and function) is written in Keras's layout and read back by ``from_config``; a layer
made from Keras's dtype-policy config keeps the policy and writes it back as Keras does."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb


def _fill_class(k: ModuleType) -> type:
    base: type = k.initializers.Initializer if k is keras else object

    @k.saving.register_keras_serializable(package="config_objects")
    class Fill(base):  # type: ignore[misc, valid-type]
        def __init__(self, value: float = 0.1) -> None:
            self.value = value

        def __call__(self, shape: Any, dtype: Any = None) -> Any:
            if k is keras:
                return k.ops.full(shape, self.value, dtype=dtype)
            return torch.full(tuple(shape), self.value)

        def get_config(self) -> dict[str, Any]:
            return {"value": self.value}

    return Fill


Factory = Callable[[ModuleType, Any], Any]

# layer, its initializer argument that the test fills, the input shape to build for
CASES: dict[str, tuple[Factory, str, tuple[int | None, ...]]] = {
    "Dense": (lambda k, i: k.layers.Dense(2, kernel_initializer=i), "kernel", (None, 3)),
    "Conv1D": (lambda k, i: k.layers.Conv1D(2, 2, bias_initializer=i), "bias", (None, 5, 3)),
    "DepthwiseConv2D": (
        lambda k, i: k.layers.DepthwiseConv2D(2, depthwise_initializer=i),
        "depthwise",
        (None, 4, 4, 2),
    ),
    "Embedding": (
        lambda k, i: k.layers.Embedding(4, 3, embeddings_initializer=i),
        "embeddings",
        (None, 2),
    ),
    "BatchNormalization": (
        lambda k, i: k.layers.BatchNormalization(gamma_initializer=i),
        "gamma",
        (None, 3),
    ),
    "LSTMCell": (lambda k, i: k.layers.LSTMCell(2, recurrent_initializer=i), "recurrent", None),
    "GRU": (lambda k, i: k.layers.GRU(2, recurrent_initializer=i), "recurrent", (None, 4, 3)),
    "MultiHeadAttention": (
        lambda k, i: k.layers.MultiHeadAttention(2, 2, kernel_initializer=i),
        "kernel",
        None,
    ),
}


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("name", CASES)
def test_a_registered_initializer_object_is_written_as_keras_writes_it(name: str) -> None:
    factory, weight, _ = CASES[name]
    ours = factory(tb, _fill_class(tb)(0.25)).get_config()
    theirs = factory(keras, _fill_class(keras)(0.25)).get_config()
    key = f"{weight}_initializer"
    expected = {k: v for k, v in _json(theirs[key]).items() if k != "module"}
    assert {k: v for k, v in _json(ours[key]).items() if k != "module"} == expected
    assert expected["registered_name"] == "config_objects>Fill"


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case[2] is not None])
def test_from_config_reads_the_initializer_back(name: str) -> None:
    factory, weight, shape = CASES[name]
    fill = _fill_class(tb)
    config = _json(factory(tb, fill(0.25)).get_config())
    layer = type(factory(tb, "zeros")).from_config(config)
    assert isinstance(getattr(layer, f"{weight}_initializer"), fill)
    assert shape is not None
    layer.build_from_shape(shape)
    reference = factory(keras, _fill_class(keras)(0.25))
    reference.build(shape)
    filled = [i for i, w in enumerate(reference.get_weights()) if np.all(w == np.float32(0.25))]
    assert filled
    for i in filled:
        np.testing.assert_array_equal(layer.get_weights()[i], reference.get_weights()[i])


def test_a_registered_initializer_function_is_written_as_keras_writes_it() -> None:
    def make(k: ModuleType) -> dict[str, Any]:
        @k.saving.register_keras_serializable(package="config_objects")
        def point_three(shape: Any, dtype: Any = None) -> Any:
            return k.ops.full(shape, 0.3) if k is keras else torch.full(tuple(shape), 0.3)

        return _json(k.layers.Dense(2, kernel_initializer=point_three).get_config())

    ours, theirs = make(tb), make(keras)
    assert ours["kernel_initializer"] == theirs["kernel_initializer"]
    layer = tb.layers.Dense.from_config(ours)
    layer.build_from_shape((None, 2))
    assert torch.all(layer.kernel == 0.3)


def test_an_unserializable_initializer_names_the_problem() -> None:
    layer = tb.layers.Dense(2, kernel_initializer=lambda shape, dtype=None: torch.ones(shape))
    with pytest.raises(ValueError, match=r"lambda.*register_keras_serializable"):
        layer.get_config()


POLICIES = ["float64", "mixed_float16", "mixed_bfloat16", "float32"]


@pytest.mark.parametrize("policy", POLICIES)
def test_a_keras_dtype_policy_config_round_trips(policy: str) -> None:
    theirs = keras.layers.Dense(2, dtype=policy)
    config = _json(theirs.get_config())
    ours = tb.layers.Dense.from_config(config)
    assert (ours.dtype, ours.compute_dtype) == (theirs.dtype, theirs.compute_dtype)
    assert _json(ours.get_config())["dtype"] == config["dtype"]


@pytest.mark.parametrize("dtype", ["float64", torch.float64, np.float64])
def test_a_dtype_is_written_as_keras_policy(dtype: Any) -> None:
    expected = _json(keras.layers.Dense(2, dtype="float64").get_config())["dtype"]
    assert _json(tb.layers.Dense(2, dtype=dtype).get_config())["dtype"] == expected


KERAS_CONFIGS: dict[str, Callable[[ModuleType], Any]] = {
    "Dense": lambda k: k.layers.Dense(3, dtype="float64"),
    "Embedding": lambda k: k.layers.Embedding(10, 4, embeddings_regularizer="l2"),
    "Conv2D": lambda k: k.layers.Conv2D(2, 3, dtype="mixed_float16"),
    "BatchNormalization": lambda k: k.layers.BatchNormalization(gamma_constraint="non_neg"),
    "LSTM": lambda k: k.layers.LSTM(2, return_sequences=True),
    "MultiHeadAttention": lambda k: k.layers.MultiHeadAttention(2, 3),
}


@pytest.mark.parametrize("name", KERAS_CONFIGS)
def test_a_keras_layer_config_loads_unchanged_and_goes_back(name: str) -> None:
    theirs = KERAS_CONFIGS[name](keras)
    config = _json(theirs.get_config())
    ours = getattr(tb.layers, name).from_config(config)
    assert ours.name == theirs.name and ours.dtype == theirs.dtype
    back = getattr(keras.layers, name).from_config(_json(ours.get_config()))
    assert _json(back.get_config())["dtype"] == config["dtype"]
