"""torchbridge's elementwise ops against keras.ops (TensorFlow backend), table-driven.

Every unary op runs over each dtype (bool, uint8, int8, int32, int64, float16,
float32, float64) and over a 0-d, an empty and a 2-d input; every binary op
over same-dtype pairs, mixed-dtype pairs, Python scalars on either side and
broadcasting shapes. Values (NaN-aware, per-dtype tolerances), shapes and
dtype names must equal Keras's; where Keras raises we must raise too.

Two explicit tables list where we do not follow Keras's TensorFlow backend:
``TF_KERNEL_GAPS`` — TensorFlow has no kernel for the dtype and raises, while
Keras's own dtype rules (its symbolic ``compute_output_spec``) give a result;
we compute it (checked against Keras's symbolic dtype and NumPy's values).
``NUMPY_SEMANTICS`` — the TensorFlow backend differs from NumPy in a way
Keras does not document; we follow NumPy (checked against NumPy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as ops
from torchbridge.backend.dtypes import standardize_dtype

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
SHAPES = ["[3]", "[]", "[0,3]", "[2,3]"]

UNARY = [
    "abs",
    "absolute",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "bitwise_invert",
    "bitwise_not",
    "cbrt",
    "ceil",
    "conj",
    "conjugate",
    "copy",
    "cos",
    "cosh",
    "deg2rad",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "floor",
    "i0",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logical_not",
    "nan_to_num",
    "negative",
    "rad2deg",
    "real",
    "reciprocal",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trunc",
]
BINARY = [
    "add",
    "arctan2",
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "divide",
    "divide_no_nan",
    "equal",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "gcd",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "isclose",
    "lcm",
    "ldexp",
    "left_shift",
    "less",
    "less_equal",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nextafter",
    "not_equal",
    "power",
    "right_shift",
    "subtract",
    "true_divide",
]
# Ops whose second operand must not be 0 (integer division raises) or negative
# (negative integer powers and shift counts are undefined/raise).
NONZERO_X2 = {"floor_divide", "mod", "fmod", "divide", "true_divide"}
SMALL_NONNEGATIVE_X2 = {
    "power",
    "bitwise_left_shift",
    "left_shift",
    "bitwise_right_shift",
    "right_shift",
    "ldexp",
}
SHIFTS = {"bitwise_left_shift", "left_shift", "bitwise_right_shift", "right_shift"}
MIXED_PAIRS = [
    ("int32", "float16"),
    ("bool", "int32"),
    ("int8", "uint8"),
    ("int64", "float32"),
    ("float16", "float64"),
    ("uint8", "int32"),
    ("int32", "int64"),
]
SCALAR_PAIRS: list[tuple[Any, Any]] = [
    ("int32", 3),
    ("int8", 2),
    ("float16", 2.0),
    ("int32", 1.5),
    ("float32", 2),
    ("bool", True),
    (2, "float32"),
    (1.5, "int8"),
    (2.5, 2),
]
BROADCAST = [("[2,1,3]", "[4,3]"), ("[]", "[3]"), ("[0,3]", "[3]"), ("[3,1]", "[1,4]")]

# TensorFlow has no kernel for these (op, dtype) but Keras's dtype rules give a
# result: we compute it (torch supports it, as Keras's own torch backend does).
TF_KERNEL_GAPS: dict[str, set[str]] = {
    "add": {"bool"},
    "multiply": {"bool"},
    "maximum": {"bool"},
    "minimum": {"bool"},
    "fmax": {"bool"},
    "fmin": {"bool"},
    "greater": {"bool"},
    "greater_equal": {"bool"},
    "less": {"bool"},
    "less_equal": {"bool"},
    "bitwise_and": {"bool"},
    "bitwise_or": {"bool"},
    "bitwise_xor": {"bool"},
    "bitwise_invert": {"bool"},
    "bitwise_not": {"bool"},
    "sign": {"bool"},
    "conj": {"bool"},
    "conjugate": {"bool"},
    "real": {"bool"},
    "imag": set(),
    "negative": {"uint8"},
    "reciprocal": {"bool", "uint8", "int8", "int32", "int64"},
    "mod": {"bool", "uint8"},
    "fmod": {"bool", "int64"},
}
# TensorFlow's formulas differ from NumPy here; we follow NumPy (and Keras's
# other backends): isclose(inf, inf) is True.
NUMPY_SEMANTICS = {"isclose"}
# NumPy functions to check the TF_KERNEL_GAPS results against, where NumPy's own
# function has other dtype rules.
NUMPY_REFERENCES: dict[str, Callable[..., Any]] = {
    "reciprocal": lambda x: 1.0 / np.asarray(x, dtype=np.float64),
    "sign": lambda x: np.asarray(x),
    "bitwise_invert": np.invert,
    "bitwise_not": np.invert,
}


def _array(spec: str, rng: np.random.Generator) -> np.ndarray:
    from tests.ops.conftest import make_input

    return np.asarray(make_input(spec, rng))


def _fix_x2(name: str, x2: Any) -> Any:
    if not isinstance(x2, np.ndarray):
        return x2
    if name in SMALL_NONNEGATIVE_X2 and x2.dtype.kind in "iub":
        return (np.abs(x2.astype(np.int64)) % 4).astype(x2.dtype)
    if name in NONZERO_X2 and x2.dtype.kind in "iub":
        return np.where(x2 == 0, np.ones_like(x2), x2)
    return x2


def _keras_dtype(value: Any) -> str:
    """The dtype Keras gives ``value`` (Python ints are int32, floats floatx)."""
    return standardize_dtype(keras.ops.convert_to_tensor(value).dtype)


def _keras_symbolic_dtype(name: str, *values: Any) -> str:
    specs = [keras.KerasTensor(np.shape(v), _keras_dtype(v)) for v in values]
    return standardize_dtype(getattr(keras.ops, name)(*specs).dtype)


def _check(oracle: Any, name: str, *values: Any, gap: bool = False) -> None:
    if not gap:
        oracle.compare(name, *values)
        return
    got = getattr(ops, name)(
        *(torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in values)
    )
    assert standardize_dtype(got.dtype) == _keras_symbolic_dtype(name, *values), name
    numpy_fn: Callable[..., Any] = NUMPY_REFERENCES.get(name) or getattr(np, name)
    with np.errstate(all="ignore"):
        expected = np.asarray(numpy_fn(*values)).astype(got.numpy().dtype)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def _gap(name: str, *values: Any) -> bool:
    """Whether all operands are of one dtype that TensorFlow has no kernel for."""
    dtypes = {_keras_dtype(v) for v in values}
    return len(dtypes) == 1 and dtypes <= TF_KERNEL_GAPS.get(name, set())


@pytest.mark.parametrize("name", UNARY)
def test_unary(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(0)
    for dtype in DTYPES:
        for shape in SHAPES:
            x = _array(dtype + shape, rng)
            _check(ops_oracle, name, x, gap=_gap(name, x))


@pytest.mark.parametrize("name", UNARY)
def test_unary_python_scalars_and_lists(ops_oracle: Any, name: str) -> None:
    for x in [3, -2.5, True, [1, 2], [0.5, -1.5]]:
        if _gap(name, x):
            _check(ops_oracle, name, x, gap=True)
        else:
            ops_oracle.compare(name, x, as_numpy=True)


@pytest.mark.parametrize("name", BINARY)
def test_binary_same_dtype(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(1)
    for dtype in DTYPES:
        x1 = _array(f"{dtype}[2,3]", rng)
        x2 = _fix_x2(name, _array(f"{dtype}[2,3]", rng))
        _check(ops_oracle, name, x1, x2, gap=_gap(name, x1, x2))


@pytest.mark.parametrize("name", BINARY)
def test_binary_mixed_dtypes(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(2)
    for d1, d2 in MIXED_PAIRS:
        x1 = _array(f"{d1}[4]", rng)
        x2 = _fix_x2(name, _array(f"{d2}[4]", rng))
        ops_oracle.compare(name, x1, x2)


@pytest.mark.parametrize("name", BINARY)
def test_binary_python_scalars(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(3)
    for a, b in SCALAR_PAIRS:
        x1 = _array(f"{a}[3]", rng) if isinstance(a, str) else a
        x2 = _fix_x2(name, _array(f"{b}[3]", rng)) if isinstance(b, str) else b
        if name in SHIFTS | SMALL_NONNEGATIVE_X2 and isinstance(x2, (int, float)):
            x2 = type(x2)(abs(x2))
        _check(ops_oracle, name, x1, x2, gap=_gap(name, x1, x2))


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasting(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(4)
    dtype = "int32" if name in {"gcd", "lcm"} | SHIFTS or name.startswith("bitwise") else "float32"
    for s1, s2 in BROADCAST:
        x1 = _array(dtype + s1, rng)
        x2 = _fix_x2(name, _array(("int32" if name == "ldexp" else dtype) + s2, rng))
        ops_oracle.compare(name, x1, x2)
