"""backend.dtypes against Keras 3 (TensorFlow backend): names, promotion, predicates."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import pytest
import torch

from torchbridge.backend import config, dtypes

NAMES = [
    "bool",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "bfloat16",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]
OPERANDS: list[Any] = [*NAMES, int, float, bool, None]


def _outcome(fn: Any, *args: Any) -> str:
    try:
        return str(fn(*args))
    except ValueError:
        return "ValueError"


@pytest.fixture(params=["float32", "float16", "float64", "bfloat16"])
def floatx(request: pytest.FixtureRequest) -> Iterator[str]:
    keras.config.set_floatx(request.param)
    config.set_floatx(request.param)
    yield request.param
    keras.config.set_floatx("float32")
    config.set_floatx("float32")


def test_result_type_matches_keras_for_every_pair_and_triple(floatx: str) -> None:
    combos = [(a,) for a in OPERANDS] + list(itertools.product(OPERANDS, repeat=2))
    combos += list(itertools.product(["int8", "uint8", "float16", int, float, "bool"], repeat=3))
    mismatches = [
        (c, _outcome(keras.backend.result_type, *c), _outcome(dtypes.result_type, *c))
        for c in combos
        if _outcome(keras.backend.result_type, *c) != _outcome(dtypes.result_type, *c)
    ]
    assert mismatches == []
    assert len(combos) > 400


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "float32"),
        (("int64", "int64"), "int64"),
        (("float64", "float64"), "float64"),
        (("int32", float), "float32"),
        (("bfloat16", int), "bfloat16"),
        (("uint8", "int8"), "int16"),
        (("uint64",), "uint32"),
        (("int64", "uint64"), "float32"),
    ],
)
def test_result_type_known_values(args: tuple[Any, ...], expected: str) -> None:
    assert dtypes.result_type(*args) == expected == keras.backend.result_type(*args)


@pytest.mark.parametrize("bad", [("float8_e4m3fn", "float32"), ("string", "int32")])
def test_result_type_refuses_what_keras_refuses(bad: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        keras.backend.result_type(*bad)
    with pytest.raises(ValueError, match="cast"):
        dtypes.result_type(*bad)


SPELLINGS: list[Any] = [
    *NAMES,
    "string",
    "int",
    int,
    float,
    bool,
    str,
    complex,
    None,
    np.float32,
    np.int64,
    np.bool_,
    np.dtype("float16"),
    np.dtype("uint8"),
    "torch.float32",
]


@pytest.mark.parametrize("spelling", SPELLINGS, ids=repr)
def test_standardize_dtype_matches_keras(spelling: Any) -> None:
    assert dtypes.standardize_dtype(spelling) == keras.backend.standardize_dtype(spelling)


@pytest.mark.parametrize("name", [n for n in NAMES if hasattr(torch, n)])
def test_torch_dtypes_standardize_to_their_keras_name(name: str) -> None:
    assert dtypes.standardize_dtype(getattr(torch, name)) == name
    assert dtypes.to_torch_dtype(name) is getattr(torch, name)
    assert dtypes.keras_dtype_name(getattr(torch, name)) == name


@pytest.mark.parametrize("bad", ["float", "half", "foo", object, 3])
def test_standardize_dtype_refuses_what_keras_refuses(bad: Any) -> None:
    with pytest.raises(ValueError):
        keras.backend.standardize_dtype(bad)
    with pytest.raises(ValueError, match=r"Invalid dtype.*float32"):
        dtypes.standardize_dtype(bad)


@pytest.mark.parametrize("spelling", [*NAMES, int, float, np.float64, "string"], ids=repr)
def test_is_float_and_is_int_match_keras(spelling: Any) -> None:
    assert dtypes.is_float_dtype(spelling) == keras.backend.is_float_dtype(spelling)
    assert dtypes.is_int_dtype(spelling) == keras.backend.is_int_dtype(spelling)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("float", torch.float32),
        ("double", torch.float64),
        ("half", torch.float16),
        ("mixed_float16", torch.float32),
        (np.dtype("int16"), torch.int16),
        (int, torch.int64),
        (torch.bool, torch.bool),
    ],
)
def test_to_torch_dtype_accepts_torch_and_policy_spellings(spelling: Any, expected: Any) -> None:
    assert dtypes.to_torch_dtype(spelling) is expected


def test_to_torch_dtype_error_names_the_fix() -> None:
    with pytest.raises(ValueError, match="'float32'"):
        dtypes.to_torch_dtype("string")
    with pytest.raises(ValueError, match="'float32'"):
        dtypes.to_torch_dtype("nope")
