"""keras.regularizers against Keras (TensorFlow backend) as the oracle."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

import torchbridge
from torchbridge import regularizers
from torchbridge.errors import UnknownNameError

# (class name, constructor kwargs): built the same way in Keras and torchbridge
CASES: list[tuple[str, dict[str, Any]]] = [
    ("L1", {}),
    ("L1", {"l1": 0.3}),
    ("L2", {}),
    ("L2", {"l2": 0.5}),
    ("L2", {"l2": None}),
    ("L1L2", {}),
    ("L1L2", {"l1": 0.01, "l2": 0.02}),
    ("L1L2", {"l2": 0.1}),
    ("L1L2", {"l1": None, "l2": None}),
    ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.2, "mode": "columns"}),
    ("l1", {"l1": 0.05}),
    ("l2", {}),
    ("l1_l2", {"l1": 0.2, "l2": 0.3}),
    ("orthogonal_regularizer", {"mode": "columns"}),
]
SHAPES = [(3,), (4, 5), (3, 3, 2, 4)]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


def _both(name: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    return getattr(regularizers, name)(**kwargs), getattr(keras.regularizers, name)(**kwargs)


def _keras_value(reg: Any, x: np.ndarray) -> np.ndarray:
    return keras.ops.convert_to_numpy(reg(keras.ops.convert_to_tensor(x)))


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_penalty_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...], seed: int, dtype: str
) -> None:
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    ours, theirs = _both(name, kwargs)
    if isinstance(ours, regularizers.OrthogonalRegularizer) and len(shape) != 2:
        with pytest.raises(ValueError, match="rank 2"):
            theirs(keras.ops.convert_to_tensor(x))
        with pytest.raises(ValueError, match="rank 2"):
            ours(torch.from_numpy(x))
        return
    if isinstance(ours, regularizers.OrthogonalRegularizer) and dtype == "float64":
        # Keras's TF backend cannot mix its float32 factor with float64 inputs
        expected = _keras_value(theirs, x.astype("float32"))
    else:
        expected = _keras_value(theirs, x)
    got = ours(torch.from_numpy(x))
    assert isinstance(got, torch.Tensor) and got.ndim == 0
    assert got.dtype == getattr(torch, dtype)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_penalty_gradient_matches_keras(name: str, kwargs: dict[str, Any]) -> None:
    x = np.random.default_rng(3).standard_normal((4, 5)).astype("float32")
    ours, theirs = _both(name, kwargs)
    variable = tf.Variable(x)
    with tf.GradientTape() as tape:
        penalty = theirs(variable)
    expected = tape.gradient(penalty, variable)
    t = torch.from_numpy(x).requires_grad_(True)
    penalty_t = ours(t)
    if expected is None:  # all factors 0: the penalty does not depend on x
        assert not penalty_t.requires_grad and float(penalty_t) == 0.0
        return
    penalty_t.backward()
    assert t.grad is not None
    np.testing.assert_allclose(t.grad.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_base_regularizer_is_a_zero_tensor() -> None:
    x = torch.ones(2, 3, dtype=torch.float64)
    got = regularizers.Regularizer()(x)
    assert got.ndim == 0 and got.dtype == torch.float64 and float(got) == 0.0
    assert float(keras.regularizers.Regularizer()(np.ones((2, 3)))) == 0.0


def test_accepts_numpy_input() -> None:
    x = np.arange(6, dtype="float32").reshape(2, 3)
    assert float(regularizers.L2(0.5)(x)) == pytest.approx(
        float(_keras_value(keras.regularizers.L2(0.5), x))
    )


# --- names, config and serialization ------------------------------------------------------


def test_public_names_equal_keras() -> None:
    keras_names = {n for n in dir(keras.regularizers) if not n.startswith("_")}
    assert set(regularizers.__all__) == keras_names
    for alias, cls in [("l1", "L1"), ("l2", "L2"), ("l1_l2", "L1L2")]:
        assert getattr(regularizers, alias) is getattr(regularizers, cls)
        assert getattr(keras.regularizers, alias) is getattr(keras.regularizers, cls)
    assert torchbridge.regularizers.L2 is regularizers.L2


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_serialize_equals_keras_and_round_trips(name: str, kwargs: dict[str, Any]) -> None:
    ours, theirs = _both(name, kwargs)
    config = regularizers.serialize(ours)
    assert config == keras.regularizers.serialize(theirs)
    assert ours.get_config() == theirs.get_config()
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    for rebuilt in (
        regularizers.deserialize(config),
        regularizers.get(config),
        type(ours).from_config(ours.get_config()),
    ):
        assert type(rebuilt) is type(ours)
        assert rebuilt.get_config() == ours.get_config()
        np.testing.assert_allclose(
            rebuilt(torch.from_numpy(x)).numpy(), ours(torch.from_numpy(x)).numpy()
        )


def _keras_string_names() -> list[str]:
    from keras.src import regularizers as keras_src

    return sorted(keras_src.ALL_OBJECTS_DICT)


@pytest.mark.parametrize("name", _keras_string_names())
def test_get_by_name_matches_keras(name: str) -> None:
    theirs = keras.regularizers.get(name)
    ours = regularizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    if type(theirs) is not keras.regularizers.Regularizer:
        assert ours.get_config() == theirs.get_config()
    assert regularizers.deserialize(name).__class__ is type(ours)


def test_get_passes_objects_and_callables_through() -> None:
    reg = regularizers.L1L2(0.1, 0.2)
    assert regularizers.get(reg) is reg
    assert regularizers.get(None) is None
    assert regularizers.serialize(None) is None
    assert regularizers.serialize("l2") == keras.regularizers.serialize("l2") == "l2"
    assert isinstance(regularizers.get(regularizers.L2), regularizers.L2)

    def penalty(x: torch.Tensor) -> torch.Tensor:
        return x.sum()

    assert regularizers.get(penalty) is penalty
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5
    assert regularizers.get("l2").l2 == keras.regularizers.get("l2").l2 == 0.01


def test_reads_keras_configs_without_module() -> None:
    legacy = {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.25}}
    assert regularizers.deserialize(legacy).get_config() == (
        keras.regularizers.deserialize(legacy).get_config()
    )


# --- custom regularizers ------------------------------------------------------------------


@torchbridge.saving.register_keras_serializable(package="tb_reg_test")
class ScaledSum(regularizers.Regularizer):
    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x.sum()

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale}


@keras.saving.register_keras_serializable(package="tb_reg_test")
class KerasScaledSum(keras.regularizers.Regularizer):
    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, x: Any) -> Any:
        return self.scale * keras.ops.sum(x)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale}


@torchbridge.saving.register_keras_serializable(package="tb_reg_test")
def abs_max(x: torch.Tensor) -> torch.Tensor:
    return x.abs().max()


@keras.saving.register_keras_serializable(package="tb_reg_test")
def keras_abs_max(x: Any) -> Any:
    return keras.ops.max(keras.ops.abs(x))


class Unregistered(regularizers.Regularizer):
    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x.sum()

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale}


def test_registered_subclass_serializes_like_keras_and_resolves_by_name() -> None:
    config = regularizers.serialize(ScaledSum(2.0))
    keras_config = keras.regularizers.serialize(KerasScaledSum(2.0))
    assert config == {
        "module": __name__,
        "class_name": "ScaledSum",
        "config": {"scale": 2.0},
        "registered_name": "tb_reg_test>ScaledSum",
    }
    assert keras_config["module"] == __name__
    assert keras_config["registered_name"] == "tb_reg_test>KerasScaledSum"
    rebuilt = regularizers.deserialize(config)
    assert isinstance(rebuilt, ScaledSum) and rebuilt.scale == 2.0
    assert isinstance(regularizers.get("tb_reg_test>ScaledSum"), ScaledSum)
    assert float(regularizers.get(config)(torch.ones(3))) == 6.0


def test_registered_function_serializes_like_keras_and_resolves_by_name() -> None:
    config = regularizers.serialize(abs_max)
    keras_config = keras.regularizers.serialize(keras_abs_max)
    assert config == {**keras_config, "config": "tb_reg_test>abs_max"}
    assert keras_config["config"] == "tb_reg_test>keras_abs_max"
    assert regularizers.deserialize(config) is abs_max
    assert regularizers.get("tb_reg_test>abs_max") is abs_max
    assert keras.regularizers.deserialize(keras_config) is keras_abs_max


def test_unregistered_subclass_needs_custom_objects() -> None:
    config = regularizers.serialize(Unregistered(3.0))
    assert config["registered_name"] == "Unregistered"
    with pytest.raises(UnknownNameError, match="register_keras_serializable"):
        regularizers.deserialize(config)
    rebuilt = regularizers.deserialize(config, custom_objects={"Unregistered": Unregistered})
    assert isinstance(rebuilt, Unregistered) and rebuilt.scale == 3.0
    with torchbridge.saving.custom_object_scope({"Unregistered": Unregistered}):
        assert isinstance(regularizers.get(config), Unregistered)


# --- errors -------------------------------------------------------------------------------

BAD_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("L1", {"l1": -0.1}),
    ("L2", {"l2": -1}),
    ("L2", {"l2": math.inf}),
    ("L1", {"l1": math.nan}),
    ("L1L2", {"l1": "0.1"}),
    ("L1L2", {"l2": -0.5}),
    ("OrthogonalRegularizer", {"factor": -1.0}),
    ("OrthogonalRegularizer", {"mode": "diagonal"}),
]


@pytest.mark.parametrize(("name", "kwargs"), BAD_ARGS)
def test_bad_arguments_raise_like_keras(name: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        getattr(keras.regularizers, name)(**kwargs)
    arg = next(iter(kwargs))
    with pytest.raises(ValueError, match=arg):
        getattr(regularizers, name)(**kwargs)


@pytest.mark.parametrize(
    ("bad", "suggestion"),
    [("l1_l2", "l1l2"), ("orthogonal_regulariser", "orthogonal_regularizer"), ("L3", None)],
)
def test_unknown_name_names_it_and_close_matches(bad: str, suggestion: str | None) -> None:
    with pytest.raises(ValueError):
        keras.regularizers.get(bad)
    with pytest.raises(UnknownNameError) as info:
        regularizers.get(bad)
    message = str(info.value)
    assert repr(bad) in message and "register_keras_serializable" in message
    assert "L1L2, L2, OrthogonalRegularizer" in message  # the known names are listed
    if suggestion is not None:
        assert f"Did you mean {suggestion!r}" in message


def test_unknown_dict_and_non_callable_raise() -> None:
    with pytest.raises(UnknownNameError, match="'Nope'"):
        regularizers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(UnknownNameError):
        regularizers.get("Dense")  # a layer is not a regularizer
    with pytest.raises(ValueError):
        keras.regularizers.get(3)
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 3"):
        regularizers.get(3)
    with pytest.raises(ValueError, match="class_name"):
        regularizers.deserialize([1, 2])
    with pytest.raises(ValueError, match="lambda"):
        regularizers.serialize(lambda x: x.sum())
    with pytest.raises(NotImplementedError, match="get_config"):
        regularizers.Regularizer().get_config()
