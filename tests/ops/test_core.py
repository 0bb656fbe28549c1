"""torchbridge.ops core ops against keras.ops (TensorFlow backend), table-driven."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as ops

ARRAY_SPECS = [
    "bool[3]",
    "int8[2,2]",
    "uint8[4]",
    "int32[2,3]",
    "int64[3]",
    "float16[2,3]",
    "float32[]",
    "float32[0,3]",
    "float64[2,2]",
]
PY_VALUES: list[Any] = [
    1,
    1.5,
    True,
    -(2**40),
    [1, 2],
    [1.0, 2],
    [[1, 2], [3, 4]],
    [True, False],
    [],
]


@pytest.mark.parametrize("x", ARRAY_SPECS + PY_VALUES, ids=repr)
def test_convert_to_tensor(ops_oracle: Any, x: Any) -> None:
    got = ops_oracle.compare("convert_to_tensor", x, as_numpy=True)
    assert isinstance(got, torch.Tensor)


@pytest.mark.parametrize("x", ["int32[3]", 1.5, [1, 2], "float64[2]"], ids=repr)
@pytest.mark.parametrize("dtype", ["float16", "float32", "int32", "int64", "bool"])
def test_convert_to_tensor_with_dtype(ops_oracle: Any, x: Any, dtype: str) -> None:
    ops_oracle.compare("convert_to_tensor", x, dtype=dtype, as_numpy=True)


@pytest.mark.parametrize("x", ARRAY_SPECS, ids=repr)
@pytest.mark.parametrize(
    "dtype", ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
)
def test_cast(ops_oracle: Any, x: str, dtype: str) -> None:
    ops_oracle.compare("cast", x, dtype)


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (np.array([-300.0, -1.5, 0.0, 2.7, 300.0, np.inf, -np.inf], "float32"), "uint8"),
        (np.array([-300.0, -1.5, 0.0, 2.7, 300.0], "float32"), "int8"),
        (np.array([-70000.0, 1.0, 70000.0], "float32"), "float16"),
        (np.array([-1000, 5, 1000], "int32"), "uint8"),
        (np.array([-1000, 5, 1000], "int64"), "int16"),
        (np.array([True, False]), "int32"),
    ],
)
def test_saturate_cast(ops_oracle: Any, values: np.ndarray, dtype: str) -> None:
    ops_oracle.compare("saturate_cast", values, dtype)


def test_saturate_cast_float32_to_int32_saturates() -> None:
    # Keras-on-TensorFlow wraps 3e9 to -2**31 here; saturating is what the op promises.
    got = ops.saturate_cast(torch.tensor([-3e9, 0.0, 3e9]), "int32")
    assert got.tolist() == [-(2**31), 0, 2**31 - 128]


@pytest.mark.parametrize("x", ARRAY_SPECS, ids=repr)
def test_shape_dtype_is_tensor_convert_to_numpy(ops_oracle: Any, x: str) -> None:
    (value,) = ops_oracle.inputs(x)
    t = torch.from_numpy(value.copy())
    assert ops.shape(t) == tuple(keras.ops.shape(value))
    assert ops.dtype(t) == keras.ops.dtype(keras.ops.convert_to_tensor(value))
    assert ops.is_tensor(t) and not ops.is_tensor(value)
    np.testing.assert_array_equal(ops.convert_to_numpy(t), value)


def test_convert_to_numpy_of_bfloat16_and_lists() -> None:
    t = torch.tensor([1.5, 2.0], dtype=torch.bfloat16, requires_grad=True)
    assert ops.convert_to_numpy(t).dtype.name == "bfloat16"
    assert ops.convert_to_numpy([torch.ones(2), torch.zeros(2)]).shape == (2, 2)


@pytest.mark.parametrize(
    ("x", "start", "shape"),
    [
        ("float32[4,5]", [1, 2], [2, 3]),
        ("int32[4,5]", [0, 0], [4, 5]),
        ("float32[3,4,2]", [1, 0, 1], [-1, 2, 1]),
        ("float32[3]", [1], [0]),
    ],
)
def test_slice(ops_oracle: Any, x: str, start: list[int], shape: list[int]) -> None:
    ops_oracle.compare("slice", x, start, shape)


@pytest.mark.parametrize(
    ("x", "start", "updates"),
    [
        ("float32[4,5]", [1, 2], "float32[2,3]"),
        ("int32[3,3]", [0, 0], "int32[1,3]"),
        ("float64[2,3,4]", [1, 1, 0], "float64[1,2,4]"),
    ],
)
def test_slice_update(ops_oracle: Any, x: str, start: list[int], updates: str) -> None:
    ops_oracle.compare("slice_update", x, start, updates)


@pytest.mark.parametrize(
    ("indices", "values", "shape"),
    [
        ([[0, 1], [1, 1]], "float32[2]", (2, 2)),
        ([[0, 1], [0, 1]], "float32[2]", (2, 2)),  # duplicates add up
        ([[1], [3]], "int32[2,3]", (4, 3)),
        (np.array([[[0, 0]], [[2, 1]]]), "float64[2,1]", (3, 2)),
    ],
)
def test_scatter(ops_oracle: Any, indices: Any, values: str, shape: tuple[int, ...]) -> None:
    ops_oracle.compare("scatter", indices, values, shape)


@pytest.mark.parametrize("reduction", [None, "add", "max", "min", "mul", "MAX"])
@pytest.mark.parametrize(
    ("x", "indices", "updates"),
    [
        ("float32[4]", [[0], [0], [2]], "float32[3]"),
        ("float32[4,4,4]", [[1, 2, 3], [0, 1, 3]], "float32[2]"),
        ("int32[4,3]", [[1], [2]], "int32[2,3]"),
    ],
)
def test_scatter_update(
    ops_oracle: Any, x: str, indices: list[list[int]], updates: str, reduction: str | None
) -> None:
    if reduction is None and x == "float32[4]":
        pytest.skip("duplicate indices without reduction: the winner is unspecified")
    ops_oracle.compare("scatter_update", x, indices, updates, reduction=reduction)


def test_scatter_update_refuses_unknown_reduction() -> None:
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(torch.zeros(3), [[0]], torch.ones(1), reduction="mean")


@pytest.mark.parametrize(
    ("x", "axis"), [("float32[3,2]", 0), ("int32[2,3,4]", 1), ("bool[2,2]", -1)]
)
def test_unstack(ops_oracle: Any, x: str, axis: int) -> None:
    ops_oracle.compare("unstack", x, axis=axis)


@pytest.mark.parametrize("pred", [True, False])
def test_cond(ops_oracle: Any, pred: bool) -> None:
    ops_oracle.compare("cond", pred, lambda: np.float32(1.0), lambda: np.float32(2.0))


@pytest.mark.parametrize("index", [-1, 0, 1, 5])
def test_switch_clamps_the_index(ops_oracle: Any, index: int) -> None:
    branches = [lambda x: x + 1, lambda x: x * 2]
    ops_oracle.compare("switch", index, branches, "float32[3]")


@pytest.mark.parametrize("maximum_iterations", [None, 3])
def test_while_loop(ops_oracle: Any, maximum_iterations: int | None) -> None:
    ops_oracle.compare(
        "while_loop",
        lambda i, x: i < 5,
        lambda i, x: (i + 1, x * 2),
        (0, np.ones(2, "float32")),
        maximum_iterations=maximum_iterations,
    )
    ops_oracle.compare("while_loop", lambda i: i < 10, lambda i: i + 1, 0)


def test_fori_loop(ops_oracle: Any) -> None:
    ops_oracle.compare("fori_loop", 0, 4, lambda i, v: v + i, np.zeros(2, "int32"))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan(ops_oracle: Any, reverse: bool) -> None:
    def step(carry: Any, x: Any) -> Any:
        return carry + x, carry * x

    ops_oracle.compare("scan", step, np.zeros(3, "float32"), "float32[4,3]", reverse=reverse)
    ops_oracle.compare(
        "scan", lambda c, _: (c + 1, c), np.float32(0.0), None, length=3, reverse=reverse
    )


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(("x", "axis"), [("float32[7]", 0), ("float32[3,5]", 1), ("int32[6,2]", 0)])
def test_associative_scan(ops_oracle: Any, x: str, axis: int, reverse: bool) -> None:
    ops_oracle.compare("associative_scan", lambda a, b: a + b, x, reverse=reverse, axis=axis)


def test_associative_scan_over_a_structure(ops_oracle: Any) -> None:
    def combine(a: Any, b: Any) -> Any:
        return (a[0] * b[0], a[1] + b[1])

    ops_oracle.compare("associative_scan", combine, ("float32[5]", "float32[5]"))


@pytest.mark.parametrize("name", ["map", "vectorized_map"])
def test_map_and_vectorized_map(ops_oracle: Any, name: str) -> None:
    ops_oracle.compare(name, lambda x: x * 2 + 1, "float32[4,3]")
    ops_oracle.compare(name, lambda xs: xs[0] + xs[1], ("float32[3,2]", "float32[3,2]"))


def test_stop_gradient_blocks_the_gradient(ops_oracle: Any) -> None:
    ops_oracle.compare("stop_gradient", "float32[3]")
    x = torch.ones(3, requires_grad=True)
    (x * 2 + ops.stop_gradient(x * 3)).sum().backward()
    assert x.grad is not None and torch.equal(x.grad, torch.full((3,), 2.0))


@pytest.mark.parametrize("style", ["tensorflow", "torch", "agnostic"])
def test_custom_gradient_styles(style: str) -> None:
    @ops.custom_gradient
    def log1pexp(x: Any) -> Any:
        e = torch.exp(x)
        if style == "tensorflow":

            def grad(upstream: Any) -> Any:
                return upstream * (1.0 - 1.0 / (1 + e))
        elif style == "torch":

            def grad(*args: Any, upstream: Any) -> Any:  # type: ignore[misc]
                return upstream * (1.0 - 1.0 / (1 + e))
        else:

            def grad(*args: Any, upstream: Any = None) -> Any:  # type: ignore[misc]
                if upstream is None:
                    (upstream,) = args
                return upstream * (1.0 - 1.0 / (1 + e))

        return torch.log(1 + e), grad

    x = torch.tensor([0.0, 10.0], requires_grad=True)
    y = log1pexp(x)
    y.sum().backward()
    assert x.grad is not None
    torch.testing.assert_close(x.grad, torch.sigmoid(x.detach()))
    torch.testing.assert_close(y.detach(), torch.nn.functional.softplus(x.detach()))


def test_convert_to_tensor_keeps_device_and_refuses_sparse() -> None:
    t = torch.ones(2)
    assert ops.convert_to_tensor(t) is t
    with pytest.raises(ValueError, match="sparse"):
        ops.convert_to_tensor(t, sparse=True)
