"""torchbridge.activations against keras.activations (Keras 3.15, TensorFlow backend).

Every activation is called under both libraries on the same seeded inputs — scalars,
empty tensors, vectors holding each function's break points, and batches — in float16,
float32 and float64: values within tolerance, dtypes and shapes equal. The table must
name every activation Keras exports, so coverage cannot silently regress.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge as tb
from torchbridge.errors import UnknownNameError

_API = ("get", "serialize", "deserialize")
KERAS_NAMES = sorted(n for n in dir(keras.activations) if not n.startswith("_"))
KERAS_FUNCTIONS = [n for n in KERAS_NAMES if n not in _API]

# (function name, keyword arguments): every function of keras.activations at least once,
# with its defaults and with each argument changed.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("relu", {}),
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 1.5}),
    ("relu", {"threshold": 0.5}),
    ("relu", {"threshold": -0.5}),
    ("relu", {"negative_slope": 0.1, "max_value": 2.5}),
    ("relu", {"negative_slope": 0.2, "threshold": 0.5, "max_value": 2.0}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.05}),
    ("relu6", {}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("threshold", {"threshold": 0.3, "default_value": -1.0}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("silu", {}),
    ("swish", {}),
    ("mish", {}),
    ("glu", {}),
    ("glu", {"axis": 0}),
    ("softplus", {}),
    ("softsign", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
    ("sparse_plus", {}),
    ("sigmoid", {}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("sparse_sigmoid", {}),
    ("log_sigmoid", {}),
    ("tanh", {}),
    ("hard_tanh", {}),
    ("tanh_shrink", {}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 0.2}),
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("softmax", {"axis": (0, 1)}),
    ("softmax", {"axis": None}),
    ("log_softmax", {}),
    ("log_softmax", {"axis": 0}),
    ("log_softmax", {"axis": (0, 1)}),
    ("log_softmax", {"axis": None}),
    ("sparsemax", {}),
    ("sparsemax", {"axis": 0}),
    ("linear", {}),
    ("exponential", {}),
]

#: The break points of the piecewise functions (and the values around them).
EDGES = np.array([-3.5, -3.0, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 3.0, 6.0, 7.5, 0.2, 1.5, 2.5])
SHAPES: list[tuple[int, ...]] = [(), (0,), (14,), (4, 6), (2, 3, 4)]
DTYPES = ["float16", "float32", "float64"]
# float64: TensorFlow holds some constants (leaky_relu's slope, gelu's erf) in float32.
TOLERANCE = {"float16": 5e-3, "float32": 1e-5, "float64": 1e-7}


def _input(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    if shape == (14,):
        return EDGES.astype(dtype)
    rng = np.random.default_rng(sum(shape) + len(shape))
    return np.asarray(rng.standard_normal(shape) * 3, dtype=dtype)


def _keras(name: str, x: np.ndarray, kwargs: dict[str, Any]) -> np.ndarray | None:
    """Keras's result, or ``None`` where Keras refuses the input (a rank its op lacks)."""
    try:
        return np.asarray(keras.ops.convert_to_numpy(getattr(keras.activations, name)(x, **kwargs)))
    except Exception:
        return None


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_activation_matches_keras(case: tuple[str, dict[str, Any]], dtype: str) -> None:
    name, kwargs = case
    compared = 0
    for shape in SHAPES:
        x = _input(shape, dtype)
        expected = _keras(name, x, kwargs)
        fn = getattr(tb.activations, name)
        if expected is None:  # Keras refuses (an axis the input lacks): so do we, clearly
            with pytest.raises(ValueError, match="axis"):
                fn(torch.from_numpy(x.copy()), **kwargs)
            continue
        got = fn(torch.from_numpy(x.copy()), **kwargs)
        assert isinstance(got, torch.Tensor)
        assert str(got.dtype).removeprefix("torch.") == expected.dtype.name, (name, shape)
        assert tuple(got.shape) == expected.shape, (name, shape)
        tol = TOLERANCE[dtype]
        np.testing.assert_allclose(
            got.double().numpy(), expected.astype("float64"), rtol=tol, atol=tol, err_msg=name
        )
        compared += 1
    # softmax over a tuple of axes needs rank 2; everything else takes every shape
    assert compared >= (2 if isinstance(kwargs.get("axis"), tuple) else 4), (name, compared)


def test_every_keras_activation_is_in_the_table() -> None:
    assert sorted({name for name, _ in CASES}) == sorted(KERAS_FUNCTIONS)


def test_every_public_name_exists() -> None:
    ours = set(dir(tb.activations))
    assert [n for n in KERAS_NAMES if n not in ours] == []
    assert set(KERAS_NAMES) <= set(tb.activations.__all__)


@pytest.mark.parametrize("name", KERAS_FUNCTIONS)
def test_signature_is_keras(name: str) -> None:
    def params(fn: Any) -> list[tuple[str, Any, Any]]:
        sig = inspect.signature(fn)
        return [(p.name, p.kind, p.default) for p in sig.parameters.values()]

    assert params(getattr(tb.activations, name)) == params(getattr(keras.activations, name))
    assert getattr(tb.activations, name).__name__ == getattr(keras.activations, name).__name__


@pytest.mark.parametrize("name", KERAS_FUNCTIONS)
def test_get_serialize_deserialize_as_keras(name: str) -> None:
    fn = tb.activations.get(name)
    assert fn is getattr(tb.activations, name)  # aliases are the same function, as in Keras
    written = tb.activations.serialize(fn)
    assert written == keras.activations.serialize(keras.activations.get(name))
    assert tb.activations.deserialize(written) is fn
    assert tb.activations.get(written) is fn


def test_get_other_identifiers() -> None:
    assert tb.activations.get(None) is tb.activations.linear
    assert tb.activations.get(torch.relu) is torch.relu
    config = {"module": "builtins", "class_name": "function", "config": "relu"}
    assert tb.activations.get(config) is tb.activations.relu
    with pytest.raises(UnknownNameError, match="relu"):
        tb.activations.get("reluu")


def test_dense_keeps_the_fused_relu() -> None:
    layer = tb.layers.Dense(3, activation="relu")
    assert layer.activation is tb.activations.relu
    x = torch.randn(5, 4)
    out = layer(x)
    assert layer.kernel is not None and layer.bias is not None
    assert torch.equal(out, torch.relu(x @ layer.kernel + layer.bias))


@pytest.mark.parametrize(
    ("value", "dtype"),
    [(1.5, "float32"), ([1.0, -2.0], "float32"), (2, "int32"), (np.float64(-1.0), "float64")],
)
def test_python_and_numpy_inputs(value: Any, dtype: str) -> None:
    got = tb.activations.relu(value)
    expected = keras.ops.convert_to_numpy(keras.activations.relu(value))
    assert str(got.dtype).removeprefix("torch.") == np.asarray(expected).dtype.name == dtype
    np.testing.assert_allclose(got.numpy(), expected)


def test_glu_names_the_axis_that_cannot_split() -> None:
    with pytest.raises(ValueError, match=r"x.shape=\(2, 3\) with axis=-1"):
        tb.activations.glu(torch.ones(2, 3))


def test_softmax_over_a_single_element_axis_warns_as_keras() -> None:
    with pytest.warns(UserWarning, match="axis has size 1"):
        out = tb.activations.softmax(torch.ones(2, 1))
    assert torch.equal(out, torch.ones(2, 1))


def test_a_symbolic_input_gets_an_error_naming_the_layer_to_use() -> None:
    with pytest.raises(TypeError, match=r"layers\.Activation"):
        tb.activations.relu(tb.Input((4,)))
