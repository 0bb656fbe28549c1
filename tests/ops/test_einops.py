"""torchbridge.ops.rearrange against keras.ops.rearrange (TensorFlow backend):
einops patterns that permute, merge, split (with given and inferred lengths)
and combine these, over several dtypes; and the errors for bad patterns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import torchbridge.ops as ops

CASES: list[tuple[str, str, dict[str, int]]] = [
    ("[2,3,4,5]", "b h w c -> b c h w", {}),
    ("[2,3,4,5]", "b h w c -> (b h) w c", {}),
    ("[2,3,4,5]", "b h w c -> h (b w) c", {}),
    ("[2,3,4,5]", "b h w c -> b (c h w)", {}),
    ("[2,4,6,3]", "b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2}),
    ("[2,4,6,3]", "b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 3}),
    ("[2,6]", "a (b c) -> c a b", {"b": 2, "c": 3}),
    ("[6]", "(a b) -> b a", {"a": 3}),
    ("[3]", "a -> a", {}),
    ("[0,4]", "a b -> b a", {}),
    ("[2,0,3]", "a b c -> (a b) c", {}),
]


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float16", "float32", "float64"])
def test_rearrange(ops_oracle: Any, dtype: str) -> None:
    for shape, pattern, lengths in CASES:
        ops_oracle.compare("rearrange", f"{dtype}{shape}", pattern, **lengths)


@pytest.mark.parametrize(
    ("shape", "pattern", "lengths", "match"),
    [
        ((2, 3), "a b c -> a b c", {}, "3 input axes"),
        ((2, 3), "a b -> a c", {}, "same axes"),
        ((2, 3), "a b -> a a", {}, "repeats"),
        ((2, 3), "a b c", {}, "form"),
        ((2, 6), "a (b c) -> a b c", {}, "infer"),
        ((2, 6), "a (b c) -> a b c", {"b": 4}, "cannot be split"),
        ((2, 6), "a (b c) -> a b c", {"b": 2, "c": 2}, "multiply to 4"),
        ((2, 6), "a (b c -> a b c", {"b": 2}, "parentheses"),
    ],
)
def test_rearrange_errors(
    shape: tuple[int, ...], pattern: str, lengths: dict[str, int], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        ops.rearrange(torch.zeros(shape), pattern, **lengths)


def test_rearrange_takes_numpy_and_keeps_values() -> None:
    x = np.arange(24).reshape(2, 3, 4)
    got = ops.rearrange(x, "a b c -> c (a b)")
    np.testing.assert_array_equal(got.numpy(), x.transpose(2, 0, 1).reshape(4, 6))


def test_rearrange_signature(ops_oracle: Any) -> None:
    ops_oracle.assert_same_signature("rearrange")
