"""torchbridge.ops reductions and quantiles against keras.ops (TensorFlow backend).

Table-driven: every reduction over every dtype Keras accepts and a set of
(shape, axis, keepdims) cases — 0-d, empty, one axis, negative axis, several
axes, ``axis=()`` — compared by the ``ops_oracle`` fixture (values, shapes,
dtype names; when Keras raises, torchbridge must raise too). NaN-skipping
variants also run on inputs with NaNs and all-NaN slices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import torchbridge.ops as ops
from torchbridge.errors import InputError

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
FLOATS = ["float16", "float32", "float64"]
# (shape, axis, keepdims)
CASES: list[tuple[str, Any, bool]] = [
    ("[2,3]", None, False),
    ("[2,3]", None, True),
    ("[2,3]", 1, False),
    ("[2,3,4]", -1, True),
    ("[2,3,4]", (0, 2), False),
    ("[]", None, False),
    ("[5]", 0, False),
    ("[2,3]", (), False),
]
EMPTY_CASES: list[tuple[str, Any, bool]] = [("[0,3]", 1, False), ("[0,3]", 0, False)]

REDUCE = [
    "sum", "prod", "mean", "std", "var", "max", "min", "amax", "amin", "all", "any", "ptp",
    "nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin",
]  # fmt: skip
ARG = ["argmax", "argmin", "nanargmax", "nanargmin"]
QUANTILE = ["median", "nanmedian"]
TOLERANT = {"std": 2e-3, "var": 2e-3, "nanstd": 2e-3, "nanvar": 2e-3, "prod": 2e-3}


def _rtol(name: str, dtype: str) -> float | None:
    if dtype == "float16":
        return 1e-2 if name in TOLERANT else 3e-3
    return None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", REDUCE + QUANTILE)
def test_reductions(ops_oracle: Any, name: str, dtype: str) -> None:
    cases = CASES + EMPTY_CASES
    if name == "ptp" or (name in ("nanmax", "nanmin") and dtype not in FLOATS):
        cases = CASES  # Keras's TensorFlow backend returns the dtype's limits; we raise (below)
    if name == "nanmedian" and dtype not in FLOATS:
        cases = [c for c in CASES if c[1] is None]  # Keras's TF backend fails along an axis
    for shape, axis, keepdims in cases:
        ops_oracle.compare(
            name, f"{dtype}{shape}", axis=axis, keepdims=keepdims, rtol=_rtol(name, dtype)
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ARG)
def test_arg_reductions(ops_oracle: Any, name: str, dtype: str) -> None:
    for shape, axis, keepdims in [*CASES[:4], ("[]", None, False), ("[5]", 0, True)]:  # int axes
        ops_oracle.compare(name, f"{dtype}{shape}", axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("dtype", DTYPES)
def test_count_nonzero(ops_oracle: Any, dtype: str) -> None:
    for shape, axis, _ in CASES + EMPTY_CASES:
        ops_oracle.compare("count_nonzero", f"{dtype}{shape}", axis=axis)


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8"])
@pytest.mark.parametrize("name", ["sum", "prod", "nansum", "cumsum", "mean", "max"])
def test_small_integer_accumulators(ops_oracle: Any, name: str, dtype: str) -> None:
    ops_oracle.compare(name, f"{dtype}[2,3]", axis=1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
def test_cumulative(ops_oracle: Any, name: str, dtype: str) -> None:
    for shape, axis in [("[2,3]", None), ("[2,3]", 1), ("[2,3,4]", -2), ("[0,3]", 0), ("[]", None)]:
        ops_oracle.compare(name, f"{dtype}{shape}", axis=axis, rtol=_rtol(name, dtype))
    for target in ["int32", "float32", "float64"]:
        ops_oracle.compare(name, f"{dtype}[2,3]", axis=0, dtype=target)


NAN_ARRAYS = [
    np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]]),
    np.array([[np.nan, 2.0, -1.0, 4.0], [0.5, 0.25, np.nan, np.nan], [1.0, 2.0, 3.0, 4.0]]),
    np.array([np.nan]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "name",
    [
        "nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanargmax",
        "nanargmin", "nancumsum", "nancumprod", "nanmedian", "median", "max", "sum", "mean",
    ],
)  # fmt: skip
def test_nan_inputs(ops_oracle: Any, name: str, dtype: str) -> None:
    for array in NAN_ARRAYS:
        x = array.astype(dtype)
        axes = [None, -1] if array.ndim > 1 and not name.startswith("nancum") else [None]
        if name.startswith("nancum") and array.ndim > 1:
            axes = [None, 0, 1]
        for axis in axes:
            kwargs: dict[str, Any] = {"axis": axis}
            if not name.startswith("nancum"):
                kwargs["keepdims"] = axis is not None
            ops_oracle.compare(name, x, rtol=_rtol(name, dtype), **kwargs)


QUANTILE_CASES: list[tuple[Any, Any, bool]] = [
    (0.3, None, False),
    (0.5, 1, True),
    (np.array([0.0, 0.25, 1.0]), None, True),
    (np.array([0.1, 0.9]), (0, 2), False),
    (np.array([[0.2], [0.7]]), -1, True),
    (1.0, 0, False),
]


METHODS = ["linear", "lower", "higher", "nearest", "midpoint"]
# nan* variants run through a slow map_fn under Keras: their methods are covered with NaNs below
QUANTILE_OPS = [(n, m) for n in ["quantile", "percentile"] for m in METHODS] + [
    ("nanquantile", "linear"),
    ("nanpercentile", "nearest"),
]


@pytest.mark.parametrize("dtype", ["int32", "float16", "float32", "float64"])
@pytest.mark.parametrize(("name", "method"), QUANTILE_OPS)
def test_quantiles(ops_oracle: Any, name: str, method: str, dtype: str) -> None:
    scale = 100.0 if "percentile" in name else 1.0
    shape = "[2,3,2]" if name.startswith("nan") else "[4,5,3]"  # Keras's nan* map over rows: slow
    for q, axis, keepdims in QUANTILE_CASES:
        if name.startswith("nan") and dtype == "int32" and axis is not None:
            continue  # Keras's TensorFlow backend fails here (map_fn dtype); see below
        ops_oracle.compare(
            name,
            f"{dtype}{shape}",
            q * scale,
            axis=axis,
            method=method,
            keepdims=keepdims,
            rtol=_rtol(name, dtype),
        )


@pytest.mark.parametrize("name", ["nanquantile", "nanpercentile"])
@pytest.mark.parametrize("method", METHODS)
def test_nan_quantiles_skip_nans(ops_oracle: Any, name: str, method: str) -> None:
    scale = 100.0 if "percentile" in name else 1.0
    x = NAN_ARRAYS[1]
    for q in [0.4, np.array([0.0, 0.5, 1.0])]:
        for axis, keepdims in [(None, False), (1, False), (0, True)]:
            ops_oracle.compare(name, x, q * scale, axis=axis, method=method, keepdims=keepdims)


def test_quantile_of_integers_skipping_nans_along_an_axis() -> None:
    """Keras's TensorFlow backend fails on int inputs here; we give quantile's float result."""
    x = np.arange(12, dtype="int32").reshape(3, 4)
    got = ops.nanquantile(torch.from_numpy(x), 0.5, axis=1)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), np.quantile(x, 0.5, axis=1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_average(ops_oracle: Any, dtype: str) -> None:
    ops_oracle.compare("average", f"{dtype}[2,3]", rtol=_rtol("average", dtype))
    ops_oracle.compare("average", f"{dtype}[2,3]", axis=1, rtol=_rtol("average", dtype))
    for wdtype in ["int32", "float32", "float64"]:
        w = np.abs(ops_oracle.inputs(f"{wdtype}[2,3]", seed=3)[0]) + 1
        ops_oracle.compare("average", f"{dtype}[2,3]", weights=w.astype(wdtype), rtol=3e-3)
        ops_oracle.compare("average", f"{dtype}[2,3]", axis=0, weights=w, rtol=3e-3)
        ops_oracle.compare("average", f"{dtype}[2,3]", axis=1, weights=w[0], rtol=3e-3)


@pytest.mark.parametrize(("a", "b"), [(DTYPES[i], DTYPES[j]) for i in range(6) for j in range(6)])
def test_allclose(ops_oracle: Any, a: str, b: str) -> None:
    ops_oracle.compare("allclose", f"{a}[2,3]", f"{b}[2,3]")
    ops_oracle.compare("allclose", f"{a}[2,3]", f"{b}[3]")
    ops_oracle.compare("allclose", f"{a}[2,3]", f"{a}[2,3]")


@pytest.mark.parametrize(
    ("x1", "x2", "kwargs"),
    [
        ([1.0, np.inf], [1.0 + 1e-6, np.inf], {}),
        ([1.0, np.nan], [1.0, np.nan], {}),
        ([1.0, np.nan], [1.0, np.nan], {"equal_nan": True}),
        ([1.0, 2.0], [1.1, 2.2], {"rtol": 0.2}),
        ([1.0, 2.0], [1.1, 2.2], {"atol": 0.05}),
        ([np.inf], [-np.inf], {}),
        (1, 1.0000001, {}),
    ],
)
def test_allclose_edges(ops_oracle: Any, x1: Any, x2: Any, kwargs: dict[str, Any]) -> None:
    ops_oracle.compare("allclose", np.array(x1), np.array(x2), **kwargs)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dtype", ["bool", "int32", "float32"])
def test_max_min_initial(ops_oracle: Any, name: str, dtype: str) -> None:
    for initial in [0, 1, 3]:
        ops_oracle.compare(name, f"{dtype}[2,3]", axis=1, initial=initial)
        ops_oracle.compare(name, f"{dtype}[2,3]", initial=initial)


def test_prod_dtype_argument_is_honoured() -> None:
    """Keras's TensorFlow backend ignores ``dtype`` in prod; we follow NumPy (and Keras on JAX/torch)."""
    x = torch.tensor([[2, 3], [4, 5]], dtype=torch.int32)
    got = ops.prod(x, axis=1, dtype="float32")
    assert got.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), [6.0, 20.0])


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("sum", ()),
        ("mean", ()),
        ("max", ()),
        ("argmax", ()),
        ("cumsum", ()),
        ("count_nonzero", ()),
        ("all", ()),
        ("nanmean", ()),
        ("std", ()),
        ("quantile", (0.5,)),
    ],
)
def test_bad_axis_names_op_axis_and_shape(
    ops_oracle: Any, name: str, args: tuple[Any, ...]
) -> None:
    ops_oracle.compare(name, "float32[2,3]", *args, axis=2)  # Keras raises too
    with pytest.raises(ValueError, match=rf"{name}: axis=2 .*shape \(2, 3\)"):
        getattr(ops, name)(torch.zeros(2, 3), *args, axis=2)


def test_quantile_errors_name_the_argument() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(InputError, match=r"method='cubic'.*linear"):
        ops.quantile(x, 0.5, method="cubic")
    with pytest.raises(InputError, match=r"q must lie in \[0, 1\]"):
        ops.quantile(x, 1.5)
    with pytest.raises(InputError, match=r"q must lie in \[0, 100\]"):
        ops.percentile(x, -1)


def test_extrema_of_empty_inputs() -> None:
    with pytest.raises(InputError, match=r"max: cannot compute the max of an empty tensor"):
        ops.max(torch.zeros(0, 3))
    assert ops.max(torch.zeros(0, 3), initial=2.0).tolist() == 2.0
    assert ops.min(torch.zeros(0, 3), axis=0, initial=-1.0).tolist() == [-1.0] * 3
    with pytest.raises(InputError, match=r"ptp: cannot compute the range of an empty tensor"):
        ops.ptp(torch.zeros(0, 3), axis=0)
    with pytest.raises(InputError, match=r"nanmax: cannot compute the nanmax of an empty"):
        ops.nanmax(torch.zeros(0, 3, dtype=torch.int32), axis=0)
    assert torch.isnan(ops.nanmin(torch.zeros(0, 3), axis=0)).all()


@pytest.mark.parametrize("name", ["sum", "mean", "max", "argmax", "cumsum", "median"])
def test_python_and_numpy_inputs(ops_oracle: Any, name: str) -> None:
    for x in [[1, 2, 3], [[1.5, 2.0], [0.5, 4.0]], 3.0, np.float64(2.5), True]:
        ops_oracle.compare(name, x, as_numpy=True)


def test_reductions_stay_on_the_input_device() -> None:
    x = torch.randn(2, 3, device="cuda" if torch.cuda.is_available() else "cpu")
    for name in ["sum", "mean", "max", "argmax", "median", "nanvar", "cumsum"]:
        assert getattr(ops, name)(x).device == x.device


@pytest.mark.parametrize("name", ["sum", "mean", "max", "argmax", "cumsum", "count_nonzero", "std"])
def test_axis_spellings(ops_oracle: Any, name: str) -> None:
    """NumPy integer axes and lists reduce like ints and tuples."""
    axes: list[Any] = [[1]]  # Keras's argmax refuses lists, and so do we
    if name != "argmax":  # (it refuses NumPy integers too; we take them, checked below)
        axes += [np.int32(1), [np.int32(0)]]
    if name not in ("argmax", "cumsum"):
        axes += [np.int64(1), [0, 1]]
    for axis in axes:
        ops_oracle.compare(name, "float32[2,3]", axis=axis)
    assert ops.argmax(torch.eye(3), axis=np.int64(1)).tolist() == [0, 1, 2]
