"""Differential tests of keras.ops.nn convolutions, pools and patch ops (ops/nn_conv.py,
ops/nn_pooling.py) against Keras 3.15 on TensorFlow: values, shapes and dtype names for
1D/2D/3D, both data formats, valid/same padding, strides, dilation, groups, and errors."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as tb_ops

FLOATS = ["float16", "float32", "float64"]


def _spec(dtype: str, shape: tuple[int, ...]) -> str:
    return f"{dtype}[{','.join(map(str, shape))}]"


def _cf(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[0], shape[-1], *shape[1:-1])


def _check_format(
    ops_oracle: Any, name: str, specs: tuple[Any, ...], data_format: str, tol: float = 1e-5,
    **kwargs: Any,
) -> None:  # fmt: skip
    """Compare ``name`` with Keras. For channels_first, Keras runs on the channels_last
    transpose (TensorFlow's CPU kernels refuse most NCHW ops) and its result is transposed
    back, while ours runs on the channels_first input. Keras gets TF tensors (its adaptive
    pools read ``inputs.shape.as_list()``)."""
    values = ops_oracle.inputs(*specs)
    x = values[0]
    expected = keras.ops.convert_to_numpy(
        getattr(keras.ops, name)(
            keras.ops.convert_to_tensor(x), *values[1:], data_format="channels_last", **kwargs
        )
    )
    if data_format == "channels_first":
        expected = np.moveaxis(expected, -1, 1)
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    got = getattr(tb_ops, name)(
        torch.from_numpy(x),
        *[torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in values[1:]],
        data_format=data_format, **kwargs,
    )  # fmt: skip
    assert tuple(got.shape) == expected.shape, (name, got.shape, expected.shape)
    assert str(got.dtype).removeprefix("torch.") == expected.dtype.name, name
    np.testing.assert_allclose(got.numpy(), expected, rtol=tol, atol=tol, err_msg=name)


#: (label, input shape channels_last, kernel shape, kwargs)
CONVS: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("1d", (2, 9, 3), (3, 3, 4), {}),
    ("1d-same-stride", (2, 9, 3), (4, 3, 4), {"padding": "same", "strides": 2}),
    ("2d", (2, 7, 6, 3), (3, 2, 3, 5), {}),
    ("2d-same", (2, 7, 6, 3), (3, 4, 3, 5), {"padding": "same"}),
    ("2d-strides", (2, 8, 7, 2), (3, 3, 2, 4), {"strides": (2, 3), "padding": "same"}),
    ("2d-dilation", (1, 9, 9, 2), (3, 3, 2, 3), {"dilation_rate": 2, "padding": "same"}),
    ("2d-groups", (2, 6, 6, 4), (3, 3, 2, 6), {}),
    ("3d", (1, 5, 6, 4, 2), (2, 3, 2, 2, 3), {"padding": "same"}),
]


@pytest.mark.parametrize("case", CONVS, ids=lambda c: c[0])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_matches_keras(ops_oracle: Any, case: Any, data_format: str) -> None:
    _, shape, kernel, kwargs = case
    for dtype in ("float32", "float64"):
        specs = (_spec(dtype, shape), _spec(dtype, kernel))
        _check_format(ops_oracle, "conv", specs, data_format, tol=1e-4, **kwargs)


def test_conv_half_precision_and_default_format(ops_oracle: Any) -> None:
    ops_oracle.compare("conv", "float16[2,7,6,3]", "float16[3,3,3,4]", padding="same",
                       rtol=5e-3, atol=5e-3)  # fmt: skip
    ops_oracle.compare("nn.conv", "float32[2,7,3]", "float32[3,3,4]", rtol=1e-4, atol=1e-5)


DEPTHWISE: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("1d", (2, 9, 3), (3, 3, 2), {}),
    ("1d-same", (2, 9, 3), (4, 3, 1), {"padding": "same", "strides": 2}),
    ("2d", (2, 7, 6, 3), (3, 2, 3, 2), {}),
    ("2d-same-dilation", (1, 8, 8, 2), (3, 3, 2, 3), {"padding": "same", "dilation_rate": 2}),
    ("2d-strides", (1, 8, 7, 2), (3, 3, 2, 2), {"strides": 2}),
]


@pytest.mark.parametrize("case", DEPTHWISE, ids=lambda c: c[0])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_and_separable_conv_match_keras(
    ops_oracle: Any, case: Any, data_format: str
) -> None:
    _, shape, kernel, kwargs = case
    n = len(shape) - 2
    pointwise = (1,) * n + (kernel[-2] * kernel[-1], 4)
    for dtype in ("float32", "float64"):
        x, k, p = _spec(dtype, shape), _spec(dtype, kernel), _spec(dtype, pointwise)
        _check_format(ops_oracle, "depthwise_conv", (x, k), data_format, tol=1e-4, **kwargs)
        _check_format(ops_oracle, "separable_conv", (x, k, p), data_format, tol=1e-4, **kwargs)


TRANSPOSE: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("1d", (2, 5, 3), (3, 4, 3), {}),
    ("1d-stride", (2, 5, 3), (3, 4, 3), {"strides": 2}),
    ("1d-same", (2, 5, 3), (3, 4, 3), {"strides": 2, "padding": "same"}),
    ("1d-same-even", (2, 5, 3), (4, 2, 3), {"strides": 3, "padding": "same"}),
    ("1d-outpad", (2, 5, 3), (3, 4, 3), {"strides": 3, "output_padding": 1}),
    (
        "1d-same-outpad",
        (2, 5, 3),
        (3, 4, 3),
        {"strides": 2, "padding": "same", "output_padding": 1},
    ),
    ("2d", (2, 4, 5, 3), (3, 2, 4, 3), {"strides": (2, 1)}),
    ("2d-same", (2, 4, 5, 3), (3, 3, 4, 3), {"strides": 2, "padding": "same"}),
    ("3d", (1, 3, 4, 2, 2), (2, 2, 2, 3, 2), {"strides": 2, "padding": "same"}),
]


@pytest.mark.parametrize("case", TRANSPOSE, ids=lambda c: c[0])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_transpose_matches_keras(ops_oracle: Any, case: Any, data_format: str) -> None:
    _, shape, kernel, kwargs = case
    for dtype in ("float32", "float64"):
        specs = (_spec(dtype, shape), _spec(dtype, kernel))
        _check_format(ops_oracle, "conv_transpose", specs, data_format, tol=1e-4, **kwargs)


POOLS: list[tuple[str, tuple[int, ...], dict[str, Any]]] = [
    ("1d", (2, 9, 3), {"pool_size": 2}),
    ("1d-same", (2, 9, 3), {"pool_size": 4, "strides": 2, "padding": "same"}),
    ("2d", (2, 7, 6, 3), {"pool_size": (2, 3)}),
    ("2d-strides", (2, 7, 6, 3), {"pool_size": 3, "strides": (2, 1)}),
    ("2d-same", (2, 7, 6, 3), {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("2d-same-1", (1, 5, 5, 1), {"pool_size": 2, "strides": 1, "padding": "same"}),
    ("3d", (1, 5, 6, 4, 2), {"pool_size": 2, "padding": "same"}),
]


@pytest.mark.parametrize("case", POOLS, ids=lambda c: c[0])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pools_match_keras(ops_oracle: Any, case: Any, data_format: str) -> None:
    label, shape, kwargs = case
    for dtype in FLOATS:
        for name in ("max_pool", "average_pool"):
            if name == "max_pool" and dtype != "float32":
                continue  # TensorFlow's CPU max pools give float32 (or refuse) for these
            if dtype != "float32" and label == "3d":
                continue  # TensorFlow's CPU 3D pools are float32 only
            tol = 2e-3 if dtype == "float16" else 1e-6
            _check_format(ops_oracle, name, (_spec(dtype, shape),), data_format, tol=tol, **kwargs)


ADAPTIVE: list[tuple[tuple[int, ...], Any]] = [
    ((2, 9, 3), 4),
    ((2, 10, 3), (5,)),
    ((2, 7, 9, 3), (3, 4)),
    ((2, 8, 8, 3), 3),
    ((1, 5, 7, 6, 2), (2, 3, 4)),
]


@pytest.mark.parametrize("case", ADAPTIVE, ids=lambda c: str(c[0]))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_pools_match_keras(ops_oracle: Any, case: Any, data_format: str) -> None:
    shape, output_size = case
    for dtype in ("float32",) if len(shape) == 5 else ("float32", "float64"):
        for name in ("adaptive_max_pool", "adaptive_average_pool"):
            specs = (_spec(dtype, shape), output_size)
            _check_format(ops_oracle, name, specs, data_format, tol=1e-6)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((2, 3, 6, 5), {"kernel_size": 2}),
        ((1, 2, 7, 7), {"kernel_size": (3, 2), "stride": 2, "padding": 1}),
        ((1, 2, 8, 8), {"kernel_size": 3, "dilation": 2, "stride": (1, 2)}),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unfold_and_fold_match_keras(ops_oracle: Any, shape: Any, kwargs: Any, dtype: str) -> None:
    columns = ops_oracle.compare("unfold", _spec(dtype, shape), **kwargs)
    ops_oracle.compare("fold", columns.numpy(), shape[2:], **kwargs)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("dtype", ["int32", "float16", "float32"])
def test_depth_and_space_rearrangements_match_keras(
    ops_oracle: Any, data_format: str, dtype: str
) -> None:
    deep = (2, 3, 4, 12) if data_format == "channels_last" else (2, 12, 3, 4)
    wide = (2, 6, 4, 3) if data_format == "channels_last" else (2, 3, 6, 4)
    ops_oracle.compare("depth_to_space", _spec(dtype, deep), 2, data_format=data_format)
    ops_oracle.compare("space_to_depth", _spec(dtype, wide), 2, data_format=data_format)
    x = torch.arange(2 * 6 * 4 * 3).reshape(*wide)
    back = tb_ops.depth_to_space(tb_ops.space_to_depth(x, 2, data_format), 2, data_format)
    assert torch.equal(back, x)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "match"),
    [
        ("conv", ("float32[2,3,3]", "float32[3,2,4]"), {}, "multiple of the kernel's input"),
        ("conv", ("float32[2,4]", "float32[3,4]"), {}, "rank 3, 4 or 5"),
        ("conv", ("float32[1,2,3]", "float32[5,3,4]"), {}, "empty output"),
        ("conv", ("float32[1,9,3]", "float32[3,3,4]"), {"padding": "full"}, "`padding` must be"),
        ("depthwise_conv", ("float32[2,5,3]", "float32[3,2,1]"), {}, "must equal the input"),
        ("conv_transpose", ("float32[2,5,3]", "float32[3,4,2]"), {}, "must equal the input"),
        ("max_pool", ("float32[2,4]", 2), {}, "rank 3, 4 or 5"),
        ("average_pool", ("float32[1,4,4,1]", (2, 2, 2)), {}, "`pool_size` must be"),
        ("unfold", ("float32[2,3,4]", 2), {}, "4D"),
        ("fold", ("float32[2,3,4,4]", 4, 2), {}, "3D"),
        ("depth_to_space", ("float32[1,2,2,4]", 1), {}, "at least 2"),
        ("depth_to_space", ("float32[1,2,2,6]", 2), {}, "divisible by block_size"),
        ("space_to_depth", ("float32[1,3,2,4]", 2), {}, "divisible by block_size"),
    ],
)
def test_errors_name_the_op_and_shapes(
    ops_oracle: Any, name: str, args: Any, kwargs: Any, match: str
) -> None:
    assert isinstance(ops_oracle.compare(name, *args, **kwargs), Exception)  # Keras refuses too
    values = [
        torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in ops_oracle.inputs(*args)
    ]
    with pytest.raises(ValueError, match=match):
        getattr(tb_ops, name)(*values, **kwargs)
