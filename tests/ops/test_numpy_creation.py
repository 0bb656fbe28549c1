"""torchbridge.ops array creation against keras.ops (TensorFlow backend), table-driven.

Each row is ``(name, args, kwargs)`` run through the ``ops_oracle`` fixture
(values, shapes and dtype names equal; Keras raising means we must raise),
plus dtype sweeps for the ``*_like`` functions and ``floatx`` defaults.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as ops
from torchbridge.backend import config
from torchbridge.errors import InputError

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]

ROWS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("zeros", ((2, 3),), {}),
    ("zeros", (4,), {"dtype": "int32"}),
    ("zeros", ((),), {}),
    ("zeros", ((0, 2),), {"dtype": "bool"}),
    ("ones", ((2, 3),), {}),
    ("ones", ([3],), {"dtype": "int64"}),
    ("ones", ((2,),), {"dtype": "float16"}),
    ("empty", ((2, 3),), {}),
    ("empty", ((2,),), {"dtype": "int32"}),
    ("full", ((2, 3), 7), {}),
    ("full", ((2, 3), 1.5), {"dtype": "float16"}),
    ("full", ((2, 3), True), {"dtype": "bool"}),
    ("full", ((2, 3), "float64[3]"), {}),
    ("full", ((2, 3), "int32[2,1]"), {"dtype": "int32"}),
    ("full", ((2,), -3), {"dtype": "int64"}),
    ("array", ([1, 2, 3],), {}),
    ("array", ([1.5, 2.0],), {}),
    ("array", ("float64[2,3]",), {}),
    ("array", ("int32[2]",), {"dtype": "float32"}),
    ("array", ([[True, False]],), {}),
    ("arange", (5,), {}),
    ("arange", (1, 7, 2), {}),
    ("arange", (0.0, 1.0, 0.25), {}),
    ("arange", (5, 0, -1), {}),
    ("arange", (0, 5), {"dtype": "float64"}),
    ("arange", (1, 2, 0.1), {"dtype": "float32"}),
    ("arange", (0,), {}),
    ("linspace", (0, 1), {}),
    ("linspace", (0, 1, 7), {}),
    ("linspace", (0, 10, 5), {"endpoint": False}),
    ("linspace", (2.0, 3.0, 1), {}),
    ("linspace", (2.0, 3.0, 0), {}),
    ("linspace", (0, 10, 5), {"dtype": "int32"}),
    ("linspace", (-3, 7, 4), {"dtype": "int64"}),
    ("linspace", ("float32[3]", "float32[3]", 4), {}),
    ("linspace", ("float32[3]", "float32[3]", 4), {"axis": -1}),
    ("linspace", ("float32[2,3]", 5.0, 3), {"axis": 1}),
    ("linspace", ("float64[2]", "float64[2]", 6), {"endpoint": False}),
    ("linspace", (0, 1, 5), {"retstep": True}),
    ("linspace", (0, 1, 5), {"retstep": True, "endpoint": False}),
    ("linspace", (0, 1, 1), {"retstep": True}),
    ("linspace", (0, 1, -1), {}),
    ("logspace", (0, 3, 4), {}),
    ("logspace", (0, 2, 5), {"base": 2}),
    ("logspace", (1, 2, 4), {"endpoint": False, "dtype": "float64"}),
    ("logspace", ("float32[2]", 3.0, 4), {"axis": 1}),
    ("geomspace", (1, 1000, 4), {}),
    ("geomspace", (-1, -100, 3), {}),
    ("geomspace", (2.0, 32.0, 5), {"endpoint": False}),
    ("geomspace", (1, 256, 9), {"dtype": "float64"}),
    ("geomspace", (np.array([1.0, -2.0]), np.array([10.0, -20.0]), 3), {}),
    ("meshgrid", ("float32[3]", "float32[2]"), {}),
    ("meshgrid", ("int32[3]", "int32[2]", "int32[4]"), {"indexing": "ij"}),
    ("meshgrid", ("float64[3]",), {}),
    ("eye", (3,), {}),
    ("eye", (3, 4), {"k": 1}),
    ("eye", (4, 3), {"k": -2}),
    ("eye", (2, 5), {"k": 3}),
    ("eye", (3,), {"dtype": "int32"}),
    ("eye", (3.0,), {}),
    ("eye", (3, 2.0), {}),
    ("identity", (3,), {}),
    ("identity", (2,), {"dtype": "bool"}),
    ("identity", (0,), {}),
    ("tri", (3,), {}),
    ("tri", (3, 4), {"k": -1}),
    ("tri", (3, 4), {"k": 2, "dtype": "int32"}),
    ("tri", (2, 3), {"k": -5}),
    ("tri", (2, 3), {"k": 9}),
    ("bartlett", (6,), {}),
    ("bartlett", (5,), {}),
    ("bartlett", (1,), {}),
    ("bartlett", (0,), {}),
    ("blackman", (6,), {}),
    ("blackman", (1,), {}),
    ("blackman", (0,), {}),
    ("hamming", (7,), {}),
    ("hamming", (1,), {}),
    ("hanning", (7,), {}),
    ("hanning", (2,), {}),
    ("kaiser", (8, 5.0), {}),
    ("kaiser", (5, 0.0), {}),
    ("kaiser", (1, 14.0), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), ROWS, ids=repr)
def test_creation(
    ops_oracle: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ops_oracle.compare(name, *args, rtol=2e-5, atol=2e-6, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like"])
def test_like(ops_oracle: Any, name: str, dtype: str) -> None:
    for shape in ["[2,3]", "[]", "[0,4]"]:
        ops_oracle.compare(name, f"{dtype}{shape}")
        for target in ["int32", "float16", "bool"]:
            ops_oracle.compare(name, f"{dtype}{shape}", dtype=target)


@pytest.mark.parametrize("dtype", DTYPES)
def test_full_like(ops_oracle: Any, dtype: str) -> None:
    for fill in [0, 3, -1.5, True]:
        ops_oracle.compare("full_like", f"{dtype}[2,3]", fill)
        ops_oracle.compare("full_like", f"{dtype}[2,3]", fill, dtype="float32")
    ops_oracle.compare("full_like", f"{dtype}[2,3]", "float32[3]")
    ops_oracle.compare("full_like", f"{dtype}[]", 2)


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64"])
def test_ranges_promote_their_arguments(ops_oracle: Any, dtype: str) -> None:
    value = ops_oracle.inputs(f"{dtype}[]")[0]
    ops_oracle.compare("linspace", value, 4.0, 3, as_numpy=True)
    ops_oracle.compare("linspace", 0, value, 3, as_numpy=True)
    ops_oracle.compare("arange", np.abs(value) + 2, as_numpy=True)


@pytest.mark.parametrize("floatx", ["float16", "float64"])
def test_floatx_defaults(ops_oracle: Any, floatx: str) -> None:
    before = keras.config.floatx()
    keras.config.set_floatx(floatx)
    config.set_floatx(floatx)
    try:
        for name, args in [
            ("zeros", ((2,),)),
            ("ones", ((2,),)),
            ("full", ((2,), 3)),
            ("eye", (2,)),
            ("tri", (2,)),
            ("arange", (0.0, 1.0, 0.5)),
            ("linspace", (0, 1, 3)),
            ("bartlett", (4,)),
            ("hamming", (4,)),
        ]:
            ops_oracle.compare(name, *args, rtol=1e-3, atol=1e-3)
    finally:
        keras.config.set_floatx(before)
        config.set_floatx(before)


def test_errors_name_the_argument() -> None:
    with pytest.raises(InputError, match=r"linspace: num must be a non-negative integer"):
        ops.linspace(0, 1, -1)
    with pytest.raises(TypeError, match=r"eye: N must be an integer"):
        ops.eye(2.0)
    with pytest.raises(InputError, match=r"indexing='yx'"):
        ops.meshgrid(torch.arange(3), indexing="yx")
    with pytest.raises(InputError, match=r"hamming: the window length must be non-negative"):
        ops.hamming(-1)


def test_like_functions_keep_the_device_and_take_tensors() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.ones(2, 3, device=device, dtype=torch.int32)
    for fn in [ops.zeros_like, ops.ones_like, ops.empty_like]:
        out = fn(x)
        assert out.device == x.device and out.dtype == torch.int32 and out.shape == x.shape
    out = ops.full_like(x, torch.tensor([1.0, 2.0, 3.0], device=device))
    assert out.device == x.device and out.tolist() == [[1, 2, 3], [1, 2, 3]]
    assert ops.arange(torch.tensor(3, device=device)).device == x.device


def test_numpy_semantics_where_keras_tensorflow_fails() -> None:
    """Keras's TensorFlow backend raises on these; torchbridge gives NumPy's answers."""
    got = ops.geomspace(np.array([1.0, -2.0]), np.array([10.0, -20.0]), 3, axis=1)
    want = np.geomspace(np.array([1.0, -2.0]), np.array([10.0, -20.0]), 3, axis=1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(ops.eye(2, 5, k=7).numpy(), np.eye(2, 5, k=7))
