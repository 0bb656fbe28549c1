"""keras.constraints against Keras (TensorFlow backend) as the oracle."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge
from torchbridge import constraints
from torchbridge.errors import UnknownNameError

# (class name, constructor kwargs, lowest input rank the axes need)
CASES: list[tuple[str, dict[str, Any], int]] = [
    ("Constraint", {}, 1),
    ("MaxNorm", {}, 1),
    ("MaxNorm", {"max_value": 0.5}, 1),
    ("MaxNorm", {"max_value": 1.5, "axis": 1}, 2),
    ("MaxNorm", {"max_value": 1, "axis": [0, 1, 2]}, 4),
    ("MaxNorm", {"axis": -1}, 1),
    ("MinMaxNorm", {}, 1),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5, "axis": 1}, 2),
    ("MinMaxNorm", {"min_value": 3.0, "max_value": 4.0}, 1),
    ("NonNeg", {}, 1),
    ("UnitNorm", {}, 1),
    ("UnitNorm", {"axis": [0, 1]}, 2),
    ("max_norm", {"max_value": 0.7}, 1),
    ("min_max_norm", {"max_value": 0.3}, 1),
    ("non_neg", {}, 1),
    ("unit_norm", {"axis": -1}, 1),
]
SHAPES = [(3,), (4, 5), (3, 3, 2, 4)]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw, _ in CASES]


def _both(name: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    return getattr(constraints, name)(**kwargs), getattr(keras.constraints, name)(**kwargs)


# --- values --------------------------------------------------------------------------------


VALUE_CASES = [
    pytest.param(name, kwargs, shape, id=f"{case_id}-{shape}")
    for (name, kwargs, min_rank), case_id in zip(CASES, IDS)
    for shape in SHAPES
    if len(shape) >= min_rank  # the case's axes exist
]


@pytest.mark.parametrize(("name", "kwargs", "shape"), VALUE_CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_projection_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...], seed: int
) -> None:
    w = np.random.default_rng(seed).standard_normal(shape).astype("float32")
    ours, theirs = _both(name, kwargs)
    expected = keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(w)))
    got = ours(torch.from_numpy(w))
    assert isinstance(got, torch.Tensor) and got.shape == w.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_projection_keeps_dtype_and_gradient() -> None:
    w = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    out = constraints.MaxNorm(0.5)(w)
    assert out.dtype == torch.float64
    out.sum().backward()
    assert w.grad is not None


# --- names, config and serialization ------------------------------------------------------


def test_public_names_equal_keras() -> None:
    keras_names = {n for n in dir(keras.constraints) if not n.startswith("_")}
    assert set(constraints.__all__) == keras_names
    for alias, cls in [
        ("max_norm", "MaxNorm"),
        ("min_max_norm", "MinMaxNorm"),
        ("non_neg", "NonNeg"),
        ("unit_norm", "UnitNorm"),
    ]:
        assert getattr(constraints, alias) is getattr(constraints, cls)
        assert getattr(keras.constraints, alias) is getattr(keras.constraints, cls)
    assert torchbridge.constraints.MaxNorm is constraints.MaxNorm


@pytest.mark.parametrize(("name", "kwargs", "min_rank"), CASES, ids=IDS)
def test_serialize_equals_keras_and_round_trips(
    name: str, kwargs: dict[str, Any], min_rank: int
) -> None:
    ours, theirs = _both(name, kwargs)
    config = constraints.serialize(ours)
    assert config == keras.constraints.serialize(theirs)
    assert ours.get_config() == theirs.get_config()
    w = np.random.default_rng(0).standard_normal((3, 3, 2, 4)).astype("float32")
    for rebuilt in (
        constraints.deserialize(config),
        constraints.get(config),
        type(ours).from_config(ours.get_config()),
    ):
        assert type(rebuilt) is type(ours)
        assert rebuilt.get_config() == ours.get_config()
        np.testing.assert_array_equal(rebuilt(torch.from_numpy(w)), ours(torch.from_numpy(w)))


def _keras_string_names() -> list[str]:
    from keras.src import constraints as keras_src

    return sorted(keras_src.ALL_OBJECTS_DICT)


@pytest.mark.parametrize("name", _keras_string_names())
def test_get_by_name_matches_keras(name: str) -> None:
    theirs = keras.constraints.get(name)
    ours = constraints.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == theirs.get_config()
    assert type(constraints.deserialize(name)) is type(ours)


def test_get_passes_objects_and_callables_through() -> None:
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    assert constraints.get(None) is None
    assert constraints.serialize(None) is None
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)

    def clip(w: torch.Tensor) -> torch.Tensor:
        return w.clamp(-1, 1)

    assert constraints.get(clip) is clip
    assert constraints.get({"class_name": "UnitNorm", "config": {"axis": 1}}).axis == 1


# --- custom constraints -------------------------------------------------------------------


@torchbridge.saving.register_keras_serializable(package="tb_con_test")
class Clip(constraints.Constraint):
    def __init__(self, limit: float = 1.0) -> None:
        self.limit = limit

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w.clamp(-self.limit, self.limit)

    def get_config(self) -> dict[str, Any]:
        return {"limit": self.limit}


@keras.saving.register_keras_serializable(package="tb_con_test")
class KerasClip(keras.constraints.Constraint):
    def __init__(self, limit: float = 1.0) -> None:
        self.limit = limit

    def __call__(self, w: Any) -> Any:
        return keras.ops.clip(w, -self.limit, self.limit)

    def get_config(self) -> dict[str, Any]:
        return {"limit": self.limit}


@torchbridge.saving.register_keras_serializable(package="tb_con_test")
def halve(w: torch.Tensor) -> torch.Tensor:
    return w / 2


def test_registered_subclass_serializes_like_keras_and_resolves_by_name() -> None:
    config = constraints.serialize(Clip(0.5))
    keras_config = keras.constraints.serialize(KerasClip(0.5))
    assert config == {
        **keras_config,
        "class_name": "Clip",
        "registered_name": "tb_con_test>Clip",
    }
    rebuilt = constraints.deserialize(config)
    assert isinstance(rebuilt, Clip) and rebuilt.limit == 0.5
    assert isinstance(constraints.get("tb_con_test>Clip"), Clip)
    assert float(constraints.get(config)(torch.tensor(3.0))) == 0.5


def test_registered_function_resolves_by_name() -> None:
    config = constraints.serialize(halve)
    assert config == {
        "module": "builtins",
        "class_name": "function",
        "config": "tb_con_test>halve",
        "registered_name": "function",
    }
    assert constraints.deserialize(config) is halve
    assert constraints.get("tb_con_test>halve") is halve


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(("bad", "suggestion"), [("maxnorm", "MaxNorm"), ("nonneg", "non_neg")])
def test_unknown_name_names_it_and_close_matches(bad: str, suggestion: str) -> None:
    with pytest.raises(ValueError):
        keras.constraints.get(bad)
    with pytest.raises(UnknownNameError) as info:
        constraints.get(bad)
    message = str(info.value)
    assert repr(bad) in message and "register_keras_serializable" in message
    assert repr(suggestion) in message.split("Known")[0]


def test_bad_identifiers_raise() -> None:
    with pytest.raises(ValueError):
        keras.constraints.get(3)
    with pytest.raises(
        ValueError,
        match=r"Could not interpret constraint identifier: 3\. Pass a constraint name such as .max_norm.",
    ):
        constraints.get(3)
    with pytest.raises(UnknownNameError, match="'Nope'"):
        constraints.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(UnknownNameError):
        constraints.get("Dense")
