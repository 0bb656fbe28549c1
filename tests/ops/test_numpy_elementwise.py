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

import torchbridge.ops as tb_ops
from torchbridge.backend.dtypes import standardize_dtype

# Any: mypy does not follow the two-level star re-export ops -> ops.numpy -> numpy_*
ops: Any = tb_ops

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
# other backends): isclose(inf, inf) is True, hypot(inf, x) is inf (TF: NaN).
NUMPY_SEMANTICS = {"isclose", "hypot"}
# NumPy functions to check the TF_KERNEL_GAPS results against, where NumPy's own
# function has other dtype rules.
NUMPY_REFERENCES: dict[str, Callable[..., Any]] = {
    "reciprocal": lambda x: 1.0 / np.asarray(x, dtype=np.float64),
    "sign": lambda x: np.asarray(x),
    "bitwise_invert": np.invert,
    "bitwise_not": np.invert,
}


def _array(oracle: Any, spec: str, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(oracle.make_input(spec, rng))


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
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7)


def _gap(name: str, *values: Any) -> bool:
    """Whether all operands are of one dtype that TensorFlow has no kernel for."""
    dtypes = {_keras_dtype(v) for v in values}
    return len(dtypes) == 1 and dtypes <= TF_KERNEL_GAPS.get(name, set())


@pytest.mark.parametrize("name", UNARY)
def test_unary(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(0)
    for dtype in DTYPES:
        for shape in SHAPES:
            x = _array(ops_oracle, dtype + shape, rng)
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
        x1 = _array(ops_oracle, f"{dtype}[2,3]", rng)
        x2 = _fix_x2(name, _array(ops_oracle, f"{dtype}[2,3]", rng))
        _check(ops_oracle, name, x1, x2, gap=_gap(name, x1, x2))


@pytest.mark.parametrize("name", BINARY)
def test_binary_mixed_dtypes(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(2)
    for d1, d2 in MIXED_PAIRS:
        x1 = _array(ops_oracle, f"{d1}[4]", rng)
        x2 = _fix_x2(name, _array(ops_oracle, f"{d2}[4]", rng))
        ops_oracle.compare(name, x1, x2)


@pytest.mark.parametrize("name", BINARY)
def test_binary_python_scalars(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(3)
    for a, b in SCALAR_PAIRS:
        x1 = _array(ops_oracle, f"{a}[3]", rng) if isinstance(a, str) else a
        x2 = _fix_x2(name, _array(ops_oracle, f"{b}[3]", rng)) if isinstance(b, str) else b
        if name in SHIFTS | SMALL_NONNEGATIVE_X2 and isinstance(x2, (int, float)):
            x2 = type(x2)(abs(x2))
        _check(ops_oracle, name, x1, x2, gap=_gap(name, x1, x2))


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasting(ops_oracle: Any, name: str) -> None:
    rng = np.random.default_rng(4)
    dtype = "int32" if name in {"gcd", "lcm"} | SHIFTS or name.startswith("bitwise") else "float32"
    for s1, s2 in BROADCAST:
        x1 = _array(ops_oracle, dtype + s1, rng)
        x2 = _fix_x2(name, _array(ops_oracle, ("int32" if name == "ldexp" else dtype) + s2, rng))
        ops_oracle.compare(name, x1, x2)


SPECIAL = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, -2.5, 0.5, -0.5, 2.5, 1e-30])


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_unary_special_values(ops_oracle: Any, name: str, dtype: str) -> None:
    with np.errstate(all="ignore"):
        ops_oracle.compare(name, SPECIAL.astype(dtype))


@pytest.mark.parametrize("name", sorted(set(BINARY) - NUMPY_SEMANTICS))
def test_binary_special_values(ops_oracle: Any, name: str) -> None:
    x1 = np.repeat(SPECIAL, len(SPECIAL)).astype("float32")
    x2 = np.tile(SPECIAL, len(SPECIAL)).astype("float32")
    if name in {"gcd", "lcm"} | SHIFTS or name.startswith("bitwise"):
        x1, x2 = (np.arange(-6, 7).astype("int32"), np.arange(12, -1, -1).astype("int32"))
        x2 = x2 % 8 if name in SHIFTS else x2
    elif name == "ldexp":
        x2 = np.tile(np.arange(-5, 6), len(SPECIAL)).astype("int32")
    elif name in {"mod", "fmod", "floor_divide"}:
        x1, x2 = np.arange(-7, 8).astype("int32"), np.array([3, -3, 2, -2, 5] * 3, "int32")
        ops_oracle.compare(name, x1, x2)  # integers
        x1, x2 = x1.astype("float32") + 0.5, x2.astype("float32")
    ops_oracle.compare(name, x1, x2)


def test_isclose_follows_numpy_for_infinities(ops_oracle: Any) -> None:
    x1 = np.array([np.inf, -np.inf, np.inf, np.nan, 1.0, 1.0 + 1e-6, 1.0], "float32")
    x2 = np.array([np.inf, -np.inf, -np.inf, np.nan, 1.0, 1.0, 1.1], "float32")
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.2, "atol": 0.0}):
        got = ops.isclose(torch.from_numpy(x1), torch.from_numpy(x2), **kwargs)
        np.testing.assert_array_equal(got.numpy(), np.isclose(x1, x2, **kwargs))
    # finite values and NaN: as Keras (|x1 - x2| <= atol + rtol * |x2|)
    finite = np.array([1.0, 1.0 + 1e-6, 1.0, 100.0, np.nan, 0.0], "float32")
    other = np.array([1.0, 1.0, 1.1, 100.001, np.nan, 1e-9], "float32")
    ops_oracle.compare("isclose", finite, other)
    ops_oracle.compare("isclose", finite, other, equal_nan=True)
    ops_oracle.compare("isclose", finite, other, 0.01, 0.0)
    ops_oracle.compare("isclose", finite.astype("float16"), 1.0)


def test_hypot_follows_numpy_for_infinities(ops_oracle: Any) -> None:
    x1 = np.repeat(SPECIAL, len(SPECIAL))
    x2 = np.tile(SPECIAL, len(SPECIAL))
    got = ops.hypot(torch.from_numpy(x1), torch.from_numpy(x2))
    np.testing.assert_allclose(got.numpy(), np.hypot(x1, x2), rtol=1e-12)
    finite = np.isfinite(x1) & np.isfinite(x2)  # elsewhere Keras's formula gives NaN
    ops_oracle.compare("hypot", x1[finite], x2[finite])


@pytest.mark.parametrize(
    ("x", "decimals"),
    [
        ("float32[10]", 0),
        ("float32[10]", 1),
        ("float16[10]", 2),
        ("float64[10]", -1),
        (np.array([0.5, 1.5, 2.5, -0.5, -1.5], "float32"), 0),
        (np.array([1234, -1255, 5, 15, 25], "int32"), -1),
        (np.array([1234, -1255, 5], "int64"), -2),
        (np.array([1234, -1255, 5], "int32"), 2),
        ("uint8[4]", 0),
    ],
    ids=repr,
)
def test_round_decimals(ops_oracle: Any, x: Any, decimals: int) -> None:
    ops_oracle.compare("round", x, decimals)


@pytest.mark.parametrize(
    ("x", "x_min", "x_max"),
    [
        ("float32[2,3]", -0.5, 0.5),
        ("float16[5]", 0, 1),
        ("int32[6]", -1, 2),
        ("int64[6]", 0, 3),
        ("uint8[6]", 1, 3),
        ("bool[6]", 0, 1),
        ("float32[2,3]", np.array([-1.0, 0.0, -0.5], "float32"), 0.5),
        ("float64[4]", np.float64(-0.1), np.float64(0.1)),
        ("int32[4]", 0.5, 2.5),
        ("float32[0,3]", -1.0, 1.0),
        ("float32[]", -1.0, 1.0),
    ],
    ids=repr,
)
def test_clip(ops_oracle: Any, x: Any, x_min: Any, x_max: Any) -> None:
    ops_oracle.compare("clip", x, x_min, x_max)


@pytest.mark.parametrize(
    ("condition", "x1", "x2"),
    [
        ("bool[2,3]", "float32[2,3]", "float32[2,3]"),
        ("bool[3]", "int32[2,3]", "float16[1,3]"),
        ("int32[3]", "int8[3]", "uint8[3]"),
        ("float32[3]", "float64[3]", 0.0),
        ("bool[3]", 1.0, 0),
        ("bool[3]", 1, 0),
        ("bool[3]", True, 0),
        ("bool[3]", "float16[3]", 2.0),
        ("bool[3]", "int8[3]", 100),
        ("bool[0]", "float32[0]", 1.0),
        ("bool[]", "float32[]", "float32[]"),
    ],
    ids=repr,
)
def test_where(ops_oracle: Any, condition: Any, x1: Any, x2: Any) -> None:
    ops_oracle.compare("where", condition, x1, x2)


@pytest.mark.parametrize("condition", ["bool[5]", "int32[3,4]", "float32[2,2,2]", "bool[0,3]"])
def test_where_without_branches_gives_nonzero_indices(ops_oracle: Any, condition: str) -> None:
    got = ops_oracle.compare("where", condition)
    assert all(isinstance(i, torch.Tensor) and i.dtype == torch.int32 for i in got)


def test_where_needs_both_branches() -> None:
    with pytest.raises(ValueError, match=r"x1.*x2"):
        ops.where(torch.tensor([True]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"x1.*x2"):
        keras.ops.where(np.array([True]), x2=np.array([1.0]))


@pytest.mark.parametrize(
    ("name", "args", "error", "match"),
    [
        ("add", ("float32[3]", "float32[4]"), ValueError, r"add: .*\(3,\).*\(4,\)"),
        ("greater", ("int32[2,3]", "int32[3,2]"), ValueError, r"greater: .*\(2, 3\).*\(3, 2\)"),
        ("where", ("bool[2]", "float32[3]", "float32[3]"), ValueError, r"where: .*\(2,\)"),
        ("bitwise_and", ("float32[3]", "float32[3]"), TypeError, "bitwise_and.*float32"),
        ("left_shift", ("float32[3]", 1), TypeError, "left_shift.*float32"),
        ("bitwise_invert", ("float64[3]",), TypeError, "bitwise_invert.*float64"),
        ("gcd", ("float32[3]", "int32[3]"), TypeError, "gcd.*integers"),
        ("lcm", ("bool[3]", "int32[3]"), TypeError, "lcm.*integers.*bool"),
        ("ldexp", ("float32[3]", "float32[3]"), TypeError, "ldexp exponent.*float32"),
        ("fabs", ("complex64[3]",), TypeError, "fabs.*complex"),
        ("negative", ("bool[3]",), TypeError, "negative.*bool"),
        ("clip", ("int32[3]", 0.5, 2.5), TypeError, "clip: x_min=0.5.*int32"),
        ("subtract", ("bool[3]", "bool[3]"), TypeError, "subtract.*bool"),
        ("floor_divide", ("bool[3]", "bool[3]"), TypeError, "floor_divide.*bool"),
    ],
)
def test_errors_name_the_op_and_inputs(
    ops_oracle: Any, name: str, args: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    values = ops_oracle.inputs(*args)
    with pytest.raises(Exception):  # noqa: B017 - Keras refuses these too
        getattr(keras.ops, name)(*values)
    with pytest.raises(error, match=match):
        getattr(ops, name)(
            *(torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in values)
        )


@pytest.mark.parametrize(
    "name", ["abs", "angle", "real", "imag", "conj", "exp", "sqrt", "isreal", "sign", "log"]
)
def test_unary_complex(ops_oracle: Any, name: str) -> None:
    ops_oracle.compare(name, "complex64[2,3]")
    ops_oracle.compare(name, "complex128[3]")


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "equal", "not_equal"])
def test_binary_complex(ops_oracle: Any, name: str) -> None:
    ops_oracle.compare(name, "complex64[2,3]", "complex64[3]")
    ops_oracle.compare(name, "complex64[3]", 2.0)


def test_numpy_inputs_and_copy_does_not_share_memory() -> None:
    source = np.array([1.0, 2.0], "float32")
    copied = ops.copy(source)
    source[0] = 5.0
    assert copied.tolist() == [1.0, 2.0]
    x = torch.tensor([1.0, 2.0])
    assert ops.copy(x).data_ptr() != x.data_ptr()


def test_numpy_namespace_exposes_the_same_functions() -> None:
    for name in UNARY + BINARY + ["clip", "where"]:
        assert getattr(ops.numpy, name) is getattr(ops, name), name
        assert name in dir(keras.ops.numpy), name


def test_outputs_stay_on_the_input_device() -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x = torch.randn(3, device=device)
    for name in ["add", "greater", "mod", "arctan2", "heaviside", "ldexp"]:
        other = torch.tensor([1, 2, 3], dtype=torch.int32) if name == "ldexp" else 2
        assert getattr(ops, name)(x, other).device == x.device, name
    assert ops.where(x > 0, 1.0, 0).device == x.device
    assert ops.clip(x, 0, 1).device == x.device
    assert ops.sin(x).device == x.device


def test_parameters_and_variables_are_tensors_too() -> None:
    """torch Parameters (and so torchbridge Variables) take the tensor paths."""
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.0]))
    assert ops.add(p, 1.0).tolist() == [2.0, -1.0, 1.0]
    assert ops.divide(p, 2).tolist() == [0.5, -1.0, 0.0]
    assert ops.divide(2.0, p)[0].item() == 2.0
    assert ops.divide_no_nan(1.0, p).tolist() == [1.0, -0.5, 0.0]
    assert ops.maximum(p, 0.0).tolist() == [1.0, 0.0, 0.0]
    assert ops.minimum(0.0, p).tolist() == [0.0, -2.0, 0.0]
    assert ops.power(p, 2).tolist() == [1.0, 4.0, 0.0]
    assert ops.greater(p, 0).tolist() == [True, False, False]
    assert ops.mod(p, 2.0).tolist() == [1.0, 0.0, 0.0]
    assert ops.where(p > 0, p, 0.0).tolist() == [1.0, 0.0, 0.0]
    assert ops.sin(p).shape == (3,)
    (grad,) = torch.autograd.grad(ops.multiply(ops.square(p), 0.5).sum(), p)
    assert grad.tolist() == [1.0, -2.0, 0.0]  # gradients flow through the ops


def test_where_converts_branches_to_the_condition_device() -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    condition = torch.tensor([True, False], device=device)
    got = ops.where(condition, np.array([1.0, 2.0], "float32"), np.array([3.0, 4.0], "float32"))
    assert got.device == device and got.tolist() == [1.0, 4.0]
