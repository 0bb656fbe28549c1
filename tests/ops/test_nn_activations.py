"""Differential tests of the keras.ops.nn activations (ops/nn_activations.py) against
Keras 3.15 on TensorFlow: values, shapes and dtype names over scalars, empty arrays and
batches in float16/32/64, integer and bool inputs, Python inputs, axes and errors."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as tb_ops

FLOATS = ["float16", "float32", "float64"]
SHAPES = ["[]", "[0]", "[3,4]", "[2,3,4]"]

#: (name, kwargs) — every activation with its default and non-default arguments.
ACTIVATIONS: list[tuple[str, dict[str, Any]]] = [
    ("relu", {}),
    ("relu6", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.5}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("threshold", {"threshold": 0.3, "default_value": -1.0}),
    ("threshold", {"threshold": 0, "default_value": 2}),
    ("gelu", {}),
    ("gelu", {"approximate": False}),
    ("silu", {}),
    ("swish", {}),
    ("softplus", {}),
    ("softsign", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1}),
    ("sparse_plus", {}),
    ("sigmoid", {}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("sparse_sigmoid", {}),
    ("log_sigmoid", {}),
    ("hard_tanh", {}),
    ("tanh_shrink", {}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.1}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 0.7}),
]
#: Activations over an axis: they need rank >= 1.
AXIS_OPS: list[tuple[str, dict[str, Any]]] = [
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("softmax", {"axis": None}),
    ("softmax", {"axis": (0, 2)}),
    ("log_softmax", {}),
    ("log_softmax", {"axis": 1}),
    ("log_softmax", {"axis": None}),
    ("log_softmax", {"axis": (1, 2)}),
    ("sparsemax", {}),
    ("sparsemax", {"axis": 1}),
    ("glu", {}),
    ("glu", {"axis": 0}),
]


def _id(case: tuple[str, dict[str, Any]]) -> str:
    return case[0] + "".join(f"-{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("case", ACTIVATIONS, ids=_id)
def test_elementwise_activation_matches_keras(ops_oracle: Any, case: Any) -> None:
    name, kwargs = case
    for dtype in FLOATS:
        for seed, shape in enumerate(SHAPES):
            ops_oracle.compare(name, f"{dtype}{shape}", seed=seed, **kwargs)
            ops_oracle.compare(f"nn.{name}", f"{dtype}{shape}", seed=seed, **kwargs)


@pytest.mark.parametrize("case", AXIS_OPS, ids=_id)
def test_axis_activation_matches_keras(ops_oracle: Any, case: Any) -> None:
    name, kwargs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # softmax's size-1 axis warning, on both sides
        for dtype in FLOATS:
            for seed, shape in enumerate(["[4,6,2]", "[2,0,4]", "[6]", "[2,4,6]"]):
                if kwargs.get("axis") is not None and len(shape.split(",")) == 1:
                    continue
                ops_oracle.compare(name, f"{dtype}{shape}", seed=seed, **kwargs)


@pytest.mark.parametrize("name", ["relu", "relu6", "soft_shrink", "threshold"])
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
def test_integer_preserving_activations_match_keras(ops_oracle: Any, name: str, dtype: str) -> None:
    if name == "threshold":
        if dtype != "bool":  # Keras refuses bool here; ours computes bool in floatx
            ops_oracle.compare(name, f"{dtype}[3,5]", 1, 0)
            ops_oracle.compare(name, f"{dtype}[]", -2, 7)
        return
    ops_oracle.compare(name, f"{dtype}[3,5]")
    ops_oracle.compare(name, f"{dtype}[]")
    if name == "soft_shrink":
        for threshold in (0.2, 1.0, 1.5, 2.5, -0.5):
            ops_oracle.compare(name, f"{dtype}[3,5]", threshold=threshold)


@pytest.mark.parametrize("case", ACTIVATIONS + AXIS_OPS[:1], ids=_id)
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
def test_integer_and_bool_inputs_compute_in_floatx(case: Any, dtype: str) -> None:
    """Keras keeps ints for relu/relu6/soft_shrink and casts for leaky_relu; its TF backend
    refuses ints elsewhere, where we compute in floatx: compare with Keras on the cast."""
    name, kwargs = case
    rng = np.random.default_rng(3)
    x = rng.integers(-4, 5, size=(3, 4)).astype(dtype)
    if dtype == "bool" and name in ("relu", "relu6"):
        return  # refused, as by Keras (test below)
    got = getattr(tb_ops, name)(torch.from_numpy(x), **kwargs)
    keeps_int = name in ("relu", "relu6", "soft_shrink") or (
        name == "threshold" and dtype != "bool"
    )
    if name == "threshold" and keeps_int and isinstance(kwargs["threshold"], float):
        return  # Keras refuses a float threshold for integer inputs; ours compares as is
    expected = keras.ops.convert_to_numpy(
        getattr(keras.ops, name)(x if keeps_int else x.astype("float32"), **kwargs)
    )
    assert str(got.dtype).removeprefix("torch.") == expected.dtype.name
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["relu", "relu6"])
def test_bool_relu_is_refused_like_keras(name: str) -> None:
    with pytest.raises(Exception):  # noqa: B017
        getattr(keras.ops, name)(np.array([True, False]))
    with pytest.raises(TypeError, match=f"{name}: a bool input"):
        getattr(tb_ops, name)(torch.tensor([True, False]))


@pytest.mark.parametrize(
    ("name", "value"),
    [("relu", 2), ("relu", [1, -2]), ("relu", -1.5), ("leaky_relu", [1, -2]), ("sigmoid", 1.5)],
)
def test_python_inputs_match_keras(ops_oracle: Any, name: str, value: Any) -> None:
    ops_oracle.compare(name, value)


def test_half_precision_threshold_compares_in_the_inputs_dtype(ops_oracle: Any) -> None:
    x = np.array([0.1, 0.2999, 0.3, 0.30004, 0.5], dtype="float16")
    for name, kwargs in [
        ("threshold", {"threshold": 0.3, "default_value": 0.0}),
        ("hard_shrink", {"threshold": 0.3}),
        ("soft_shrink", {"threshold": 0.3}),
    ]:
        ops_oracle.compare(name, x, **kwargs)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "match"),
    [
        ("glu", ("float32[3,5]",), {}, "size must be even"),
        ("glu", ("float32[4]",), {"axis": 1}, "glu: axis 1 is out of range"),
        ("softmax", ("float32[3,4]",), {"axis": 2}, "softmax: axis 2 is out of range"),
        ("softmax", ("float32[3,4]",), {"axis": (0, 3)}, "softmax: axis 3 is out of range"),
        ("log_softmax", ("float32[3,4]",), {"axis": -3}, "log_softmax: axis -3 is out"),
        ("sparsemax", ("float32[3,4]",), {"axis": 5}, "sparsemax: axis 5 is out of range"),
        ("softmax", (1.5,), {}, "softmax: axis -1 is out of range"),
    ],
)
def test_bad_axes_are_refused_naming_op_axis_and_shape(
    ops_oracle: Any, name: str, args: Any, kwargs: Any, match: str
) -> None:
    assert isinstance(ops_oracle.compare(name, *args, **kwargs), Exception)  # Keras refuses
    values = [
        torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in ops_oracle.inputs(*args)
    ]
    with pytest.raises(ValueError, match=match):
        getattr(tb_ops, name)(*values, **kwargs)


def test_softmax_warns_on_a_size_one_axis_like_keras() -> None:
    with pytest.warns(UserWarning, match="size 1"):
        keras.ops.softmax(np.ones((3, 1), "float32"))
    with pytest.warns(UserWarning, match="size 1"):
        tb_ops.softmax(torch.ones(3, 1))


def test_outputs_stay_on_the_inputs_device_and_aliases_are_shared() -> None:
    x = torch.randn(2, 3)
    assert tb_ops.nn.relu(x).device == x.device
    assert tb_ops.swish is tb_ops.silu and tb_ops.hard_swish is tb_ops.hard_silu
    assert tb_ops.nn.softmax is tb_ops.softmax
