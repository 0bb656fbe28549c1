"""keras.random's draws on torch: shapes and dtypes equal real Keras's (TensorFlow backend),
and large draws have the moments the distributions' formulas give (within sampling error)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.random as tbr

N = 200_000  # draws per moment check; tolerances are 6 standard errors


def _close(estimate: float, expected: float, std: float, n: int = N) -> None:
    assert abs(estimate - expected) < 6 * std / math.sqrt(n) + 1e-9, (estimate, expected)


# --- shapes and dtypes vs Keras ----------------------------------------------------------------
# (case id, function name, keyword arguments); inputs are NumPy so both libraries get the same.
X = np.arange(12, dtype="float32").reshape(3, 4)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("normal-default", "normal", {"shape": (2, 3)}),
    ("normal-scalar", "normal", {"shape": ()}),
    ("normal-empty", "normal", {"shape": (0, 3)}),
    ("normal-f16", "normal", {"shape": [2, 3], "dtype": "float16"}),
    ("normal-bf16", "normal", {"shape": (4,), "dtype": "bfloat16"}),
    ("normal-f64", "normal", {"shape": (4,), "mean": 2.0, "stddev": 3.0, "dtype": "float64"}),
    ("uniform-default", "uniform", {"shape": (5,)}),
    ("uniform-scalar", "uniform", {"shape": ()}),
    (
        "uniform-f64",
        "uniform",
        {"shape": (2, 2), "minval": -1.0, "maxval": 1.0, "dtype": "float64"},
    ),
    ("truncnorm-default", "truncated_normal", {"shape": (3, 2)}),
    ("truncnorm-f16", "truncated_normal", {"shape": (3,), "dtype": "float16"}),
    ("randint-default", "randint", {"shape": (2, 3), "minval": 0, "maxval": 5}),
    ("randint-int64", "randint", {"shape": (2,), "minval": -3, "maxval": 3, "dtype": "int64"}),
    ("randint-uint8", "randint", {"shape": (2,), "minval": 0, "maxval": 200, "dtype": "uint8"}),
    ("randint-int16", "randint", {"shape": (), "minval": 0, "maxval": 5, "dtype": "int16"}),
    ("categorical", "categorical", {"logits": np.zeros((2, 4), "float32"), "num_samples": 5}),
    (
        "categorical-int64",
        "categorical",
        {"logits": np.zeros((3, 2)), "num_samples": 1, "dtype": "int64"},
    ),
    (
        "categorical-float",
        "categorical",
        {"logits": np.zeros((2, 4)), "num_samples": 3, "dtype": "float32"},
    ),
    ("dropout-f32", "dropout", {"inputs": X, "rate": 0.5}),
    ("dropout-f64", "dropout", {"inputs": X.astype("float64"), "rate": 0.2}),
    ("dropout-list", "dropout", {"inputs": [[1.0, 2.0]], "rate": 0.5}),
    ("dropout-noise-shape", "dropout", {"inputs": X, "rate": 0.5, "noise_shape": (3, 1)}),
    ("dropout-rate-0", "dropout", {"inputs": X, "rate": 0.0}),
    ("dropout-rate-1", "dropout", {"inputs": X, "rate": 1.0}),
    ("shuffle-int64", "shuffle", {"x": np.arange(10)}),
    ("shuffle-axis1", "shuffle", {"x": np.ones((3, 4)), "axis": 1}),
    ("shuffle-list", "shuffle", {"x": [1.0, 2.0, 3.0]}),
    ("gamma-default", "gamma", {"shape": (2, 3), "alpha": 2.0}),
    ("gamma-f64", "gamma", {"shape": (2,), "alpha": 0.5, "dtype": "float64"}),
    ("gamma-f16", "gamma", {"shape": (2,), "alpha": 2.0, "dtype": "float16"}),
    ("gamma-array-alpha", "gamma", {"shape": (2, 3), "alpha": np.array([1.0, 2.0, 3.0])}),
    ("beta-default", "beta", {"shape": (2, 3), "alpha": 2.0, "beta": 3.0}),
    ("beta-f64", "beta", {"shape": (2,), "alpha": 2.0, "beta": 3.0, "dtype": "float64"}),
    ("binomial-default", "binomial", {"shape": (2, 3), "counts": 10, "probabilities": 0.3}),
    (
        "binomial-int32",
        "binomial",
        {"shape": (2,), "counts": 10, "probabilities": 0.3, "dtype": "int32"},
    ),
    (
        "binomial-f64",
        "binomial",
        {"shape": (2,), "counts": 10.0, "probabilities": 0.3, "dtype": "float64"},
    ),
]


@pytest.mark.parametrize(("name", "kwargs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_shape_and_dtype_match_keras(name: str, kwargs: dict[str, Any]) -> None:
    expected = getattr(keras.random, name)(**kwargs, seed=1)
    got = getattr(tbr, name)(**kwargs, seed=1)
    assert isinstance(got, torch.Tensor)
    assert tuple(got.shape) == tuple(expected.shape)
    assert str(got.dtype).removeprefix("torch.") == keras.backend.standardize_dtype(expected.dtype)


# Calls both libraries refuse with a ValueError (ours: torchbridge.errors.InputError, a ValueError).
BAD: list[tuple[str, Callable[[Any], Any]]] = [
    ("uniform-int-dtype", lambda r: r.uniform((2,), dtype="int32")),
    ("randint-float-dtype", lambda r: r.randint((2,), 0, 5, dtype="float32")),
    ("categorical-1d", lambda r: r.categorical(np.zeros(4), 2)),
    ("dropout-int-inputs", lambda r: r.dropout(np.ones((2, 2), "int32"), 0.5)),
    ("dropout-rate-1.5", lambda r: r.dropout(np.ones((2, 2), "float32"), 1.5)),
    ("seed-str", lambda r: r.normal((2,), seed="a")),
    ("seed-float", lambda r: r.normal((2,), seed=1.5)),
]


@pytest.mark.parametrize("call", [b[1] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments_raise_value_error_as_keras(call: Callable[[Any], Any]) -> None:
    with pytest.raises(ValueError):
        call(keras.random)
    with pytest.raises(ValueError, match=r"keras\.random\.|seed"):
        call(tbr)


# --- moments ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_mean_and_variance(dtype: str) -> None:
    x = tbr.normal((N,), mean=2.0, stddev=3.0, dtype=dtype, seed=0).double()
    _close(x.mean().item(), 2.0, 3.0)
    _close(x.var().item(), 9.0, 9.0 * math.sqrt(2))


def test_normal_tensor_parameters_broadcast() -> None:
    mean = torch.tensor([-5.0, 5.0])
    x = tbr.normal((N // 2, 2), mean=mean, stddev=0.5, seed=3)
    assert x.shape == (N // 2, 2)
    _close(x[:, 0].mean().item(), -5.0, 0.5, N // 2)
    _close(x[:, 1].mean().item(), 5.0, 0.5, N // 2)


def test_uniform_bounds_and_moments() -> None:
    x = tbr.uniform((N,), minval=-2.0, maxval=6.0, seed=1).double()
    assert x.min().item() >= -2.0 and x.max().item() < 6.0
    width = 8.0
    _close(x.mean().item(), 2.0, width / math.sqrt(12))
    _close(x.var().item(), width**2 / 12, width**2 / math.sqrt(180))


def test_truncated_normal_stays_within_two_stddev_with_the_truncated_variance() -> None:
    x = tbr.truncated_normal((N,), mean=1.0, stddev=2.0, seed=2).double()
    assert x.min().item() >= 1.0 - 4.0 and x.max().item() <= 1.0 + 4.0
    phi = math.exp(-2.0) / math.sqrt(2 * math.pi)  # standard normal density at 2
    mass = math.erf(2 / math.sqrt(2))  # P(|Z| < 2)
    variance = 4.0 * (1 - 4 * phi / mass)
    _close(x.mean().item(), 1.0, math.sqrt(variance))
    _close(x.var().item(), variance, variance * 1.5)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_randint_range_dtype_and_uniform_frequencies(dtype: str) -> None:
    x = tbr.randint((N,), 3, 10, dtype=dtype, seed=4)
    assert str(x.dtype) == f"torch.{dtype}"
    assert x.min().item() == 3 and x.max().item() == 9
    freq = torch.bincount(x.long() - 3, minlength=7).double() / N
    assert torch.allclose(
        freq, torch.full((7,), 1 / 7, dtype=torch.float64), atol=6 * math.sqrt(1 / 7 / N)
    )


def test_randint_tensor_bounds() -> None:
    low, high = torch.tensor([0, 100]), torch.tensor([2, 103])
    x = tbr.randint((N // 4, 2), low, high, seed=5)
    assert set(x[:, 0].tolist()) == {0, 1} and set(x[:, 1].tolist()) == {100, 101, 102}


def test_categorical_frequencies_follow_softmax_of_logits() -> None:
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], "float32") + 1e-30)
    x = tbr.categorical(logits, N, seed=6)
    assert x.shape == (2, N) and x.dtype == torch.int32
    probs = torch.softmax(torch.as_tensor(logits, dtype=torch.float64), dim=-1)
    for row in range(2):
        freq = torch.bincount(x[row].long(), minlength=3).double() / N
        assert torch.allclose(freq, probs[row], atol=6 * 0.5 / math.sqrt(N))
    assert (x[1] != 2).all()  # probability zero: never drawn


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_rate_and_scaling(rate: float) -> None:
    x = torch.full((N,), 3.0)
    y = tbr.dropout(x, rate, seed=7)
    dropped = (y == 0).double().mean().item()
    _close(dropped, rate, math.sqrt(rate * (1 - rate)))
    kept = y[y != 0]
    assert torch.allclose(kept, torch.full_like(kept, 3.0 / (1 - rate)))
    _close(y.double().mean().item(), 3.0, 3.0 * math.sqrt(rate / (1 - rate)))


def test_dropout_noise_shape_shares_the_mask_and_keeps_gradients() -> None:
    x = torch.ones(4, 1000, requires_grad=True)
    y = tbr.dropout(x, 0.5, noise_shape=(None, 1), seed=8)
    assert all(len(set(row.tolist())) == 1 for row in y)  # one mask entry per row
    y.sum().backward()
    assert x.grad is not None and torch.equal(x.grad, y.detach())  # d(y)/d(x) = mask / keep


def test_dropout_rate_zero_returns_inputs_and_nonfinite_dropped_entries_are_zero() -> None:
    x = torch.randn(3, 3)
    assert tbr.dropout(x, 0.0) is x
    y = tbr.dropout(torch.full((1000,), float("inf")), 0.5, seed=9)
    assert not torch.isnan(y).any()


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_shuffle_is_a_permutation_along_axis(axis: int) -> None:
    x = torch.arange(5 * 7).reshape(5, 7)
    y = tbr.shuffle(x, axis=axis, seed=10)
    dim = axis % 2
    assert not torch.equal(x, y)
    # Every slice along the other axis is the same permutation (as Keras on TF/JAX).
    perm = torch.argsort(y.select(1 - dim, 0))
    assert torch.equal(torch.sort(y, dim=dim).values, x)
    assert torch.equal(y.index_select(dim, perm), x)


def test_gamma_mean_and_variance_per_alpha() -> None:
    alpha = np.array([0.5, 2.0, 9.0], "float32")
    x = tbr.gamma((N, 3), alpha, seed=11).double()
    assert (x > 0).all()
    for i, a in enumerate(alpha.tolist()):
        _close(x[:, i].mean().item(), a, math.sqrt(a))


def test_beta_mean_and_range() -> None:
    a, b = 2.0, 5.0
    x = tbr.beta((N,), a, b, seed=12).double()
    assert (x >= 0).all() and (x <= 1).all()
    variance = a * b / ((a + b) ** 2 * (a + b + 1))
    _close(x.mean().item(), a / (a + b), math.sqrt(variance))
    small = tbr.beta((1000,), 0.01, 0.01, seed=12)  # tiny concentrations: no NaN
    assert torch.isfinite(small).all()


def test_binomial_mean_and_variance() -> None:
    n, p = 20, 0.3
    x = tbr.binomial((N,), n, p, seed=13).double()
    assert x.min().item() >= 0 and x.max().item() <= n and torch.equal(x, x.round())
    _close(x.mean().item(), n * p, math.sqrt(n * p * (1 - p)))
    _close(x.var().item(), n * p * (1 - p), n * p * (1 - p) * 2)


def test_draws_follow_the_tensor_argument_and_default_device() -> None:
    with torch.device("meta"):
        assert tbr.normal((2, 3)).device.type == "meta"
        assert tbr.uniform((2,), seed=1).device.type == "meta"
    assert tbr.normal((2,)).device == torch.get_default_device()
    meta_logits = torch.zeros(2, 3, device="meta")
    assert tbr.dropout(torch.ones(2, 2, device="meta"), 0.5).device.type == "meta"
    assert tbr.shuffle(meta_logits).device.type == "meta"


@pytest.mark.parametrize("noise_shape", [(3,), (3, 2), (2, 4)])
def test_dropout_noise_shape_that_does_not_fit_is_refused(noise_shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="noise_shape"):
        tbr.dropout(X, 0.5, noise_shape=noise_shape)


def test_parameters_that_do_not_broadcast_to_shape_are_named() -> None:
    with pytest.raises(
        ValueError, match=r"`mean` of shape \(3,\) does not broadcast to shape=\(2, 2\)"
    ):
        tbr.normal((2, 2), mean=np.zeros(3))
    with pytest.raises(ValueError, match="`alpha`"):
        tbr.gamma((4,), np.ones(3))
