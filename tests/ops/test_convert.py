"""ops._convert: the input conventions every op relies on, checked against Keras's rules."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from torchbridge.backend import config
from torchbridge.ops._convert import dtype_of, result_dtype, to_tensor, to_tensors

OPERANDS: list[Any] = [
    torch.ones(2, dtype=torch.bool),
    torch.ones(2, dtype=torch.int8),
    torch.ones(2, dtype=torch.int32),
    torch.ones(2, dtype=torch.float16),
    torch.ones(2, dtype=torch.float64),
    np.ones(2, dtype=np.uint8),
    np.ones(2, dtype=np.float32),
    np.float64(1.0),
    1,
    2.5,
    True,
]


def _keras_dtype(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return str(x.dtype).removeprefix("torch.")
    return getattr(x, "dtype", type(x))


@pytest.mark.parametrize("a", OPERANDS, ids=repr)
@pytest.mark.parametrize("b", OPERANDS, ids=repr)
def test_to_tensors_promotes_like_keras(a: Any, b: Any) -> None:
    expected = keras.backend.result_type(_keras_dtype(a), _keras_dtype(b))
    assert str(result_dtype(a, b)).removeprefix("torch.") == expected
    for keep in (False, True):
        x, y = to_tensors(a, b, keep_scalars=keep)
        for out, src in ((x, a), (y, b)):
            if (
                keep
                and type(src) in (bool, int, float)
                and isinstance(x if out is y else y, torch.Tensor)
            ):
                assert out is src
            else:
                assert isinstance(out, torch.Tensor)
                assert str(out.dtype).removeprefix("torch.") == expected


def test_same_dtype_tensors_come_back_untouched() -> None:
    a, b = torch.ones(2), torch.zeros(2)
    x, y = to_tensors(a, b)
    assert x is a and y is b


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, "float32"),
        (3, "int32"),
        (2**40, "int64"),
        (True, "bool"),
        ([1, 2], "int32"),
        ([1, 2.0], "float32"),
        ([[True], [False]], "bool"),
        (np.arange(3, dtype=np.int16), "int16"),
        (np.float64(2.0), "float64"),
        ([np.float64(1.0), 2.0], "float64"),
        ([], "float32"),
    ],
)
def test_to_tensor_dtypes_match_keras(value: Any, expected: str) -> None:
    assert str(to_tensor(value).dtype).removeprefix("torch.") == expected
    assert keras.ops.convert_to_tensor(value).dtype == expected


def test_python_floats_follow_floatx() -> None:
    try:
        config.set_floatx("float64")
        assert to_tensor(1.5).dtype == torch.float64
        assert to_tensors(torch.ones(2, dtype=torch.int32), 1.5)[0].dtype == torch.float64
        assert to_tensors(torch.ones(2, dtype=torch.float16), 1.5)[0].dtype == torch.float16
    finally:
        config.set_floatx("float32")


def test_lists_of_tensors_stack_and_read_only_arrays_copy() -> None:
    stacked = to_tensor([torch.ones(2), torch.zeros(2)])
    assert stacked.shape == (2, 2)
    frozen = np.ones(3, dtype=np.float32)
    frozen.flags.writeable = False
    assert to_tensor(frozen).dtype == torch.float32


def test_weak_scalars_are_weak() -> None:
    assert dtype_of(1) is int and dtype_of(1.0) is float and dtype_of(True) is bool


def test_unconvertible_input_names_the_fix() -> None:
    with pytest.raises(TypeError, match="NumPy array"):
        to_tensor(object())
