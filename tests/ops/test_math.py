"""torchbridge.ops math ops (keras/src/ops/math.py names) against keras.ops on
the TensorFlow backend.

Table-driven through the ``ops_oracle`` fixture: every row runs keras.ops and
torchbridge.ops on the same seeded inputs and compares values, shapes and
dtype names (when Keras raises, torchbridge must raise too). Where Keras's
TensorFlow backend refuses an input that torchbridge accepts (int inputs of
the float ops, as Keras's JAX and torch backends accept them), the test
compares against Keras on the input cast to ``floatx()`` instead.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

import torchbridge.ops as ops

FLOATS = ["float16", "float32", "float64"]
INTS = ["bool", "int32", "int64"]
NUMERIC = ["int32", "int64", "float16", "float32", "float64"]
SHAPES = ["[]", "[0]", "[5]", "[2,3]", "[0,4]"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["erf", "erfc", "rsqrt"])
def test_unary_float_ops(ops_oracle: Any, name: str, dtype: str) -> None:
    for shape in SHAPES:
        ops_oracle.compare(name, f"{dtype}{shape}", rtol=5e-3 if dtype == "float16" else 1e-5)


@pytest.mark.parametrize("dtype", FLOATS)
def test_erfinv(ops_oracle: Any, dtype: str) -> None:
    x = np.array([-0.99, -0.5, -0.1, 0.0, 0.3, 0.9, 1.0, -1.0], dtype=dtype)
    ops_oracle.compare("erfinv", x, rtol=3e-3 if dtype == "float16" else 1e-5)
    ops_oracle.compare("erfinv", np.zeros((0, 2), dtype))


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "rsqrt", "logsumexp"])
def test_float_ops_compute_int_inputs_in_floatx(name: str, dtype: str) -> None:
    # Keras's TF backend refuses ints here; its JAX/torch backends promote to floatx.
    x = np.array([[0, 1, 2], [3, 1, 0]]).astype(dtype)
    got = getattr(ops, name)(torch.from_numpy(x))
    expected = keras.ops.convert_to_numpy(getattr(keras.ops, name)(x.astype("float32")))
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-7)


LOGSUMEXP_CASES: list[tuple[str, Any, bool]] = [
    ("[2,3]", None, False),
    ("[2,3]", None, True),
    ("[2,3]", 1, False),
    ("[2,3,4]", -1, True),
    ("[2,3,4]", (0, 2), False),
    ("[2,3,4]", [1], True),
    ("[]", None, False),
    ("[0,3]", 1, False),
    ("[0,3]", 0, True),
    ("[2,3]", (), False),  # nothing reduced
    ("[]", 0, False),  # out of bounds: both raise
    ("[2,3]", (-1, 1), False),  # a repeated axis: both raise
]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_logsumexp(ops_oracle: Any, dtype: str) -> None:
    for shape, axis, keepdims in LOGSUMEXP_CASES:
        ops_oracle.compare(
            "logsumexp",
            f"{dtype}{shape}",
            axis=axis,
            keepdims=keepdims,
            rtol=3e-3 if dtype == "float16" else None,
        )
    special = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0]], dtype=dtype)
    ops_oracle.compare("logsumexp", special, axis=1)


def test_logsumexp_bad_axis_names_it() -> None:
    with pytest.raises(ValueError, match=r"logsumexp.*axis 2"):
        ops.logsumexp(torch.ones(2, 3), axis=2)


def _distinct(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values with no ties along the last axis (top-k tie order is unspecified)."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    rows = [rng.permutation(n) - n // 2 for _ in range(int(np.prod(shape[:-1])))]
    return np.array(rows).reshape(shape).astype(dtype)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_top_k(ops_oracle: Any, dtype: str) -> None:
    for shape, k in [((7,), 3), ((2, 5), 1), ((2, 3, 6), 6), ((0, 4), 2), ((3, 4), 0)]:
        x = _distinct(dtype, shape)
        got = ops_oracle.compare("top_k", x, k)
        assert got.values is got[0] and got.indices is got[1]
    x = _distinct(dtype, (3, 8))
    values, indices = ops.top_k(torch.from_numpy(x), 4, sorted=False)
    expected = keras.ops.convert_to_numpy(keras.ops.top_k(x, 4)[0])
    np.testing.assert_array_equal(np.sort(values.numpy(), -1), np.sort(expected, -1))
    np.testing.assert_array_equal(np.take_along_axis(x, indices.numpy(), -1), values.numpy())


def test_top_k_nan_counts_as_largest(ops_oracle: Any) -> None:
    ops_oracle.compare("top_k", np.array([1.0, np.nan, 3.0, 2.0], "float32"), 2)


def test_top_k_errors() -> None:
    with pytest.raises(ValueError, match="k=5 is larger"):
        ops.top_k(torch.ones(3), 5)
    with pytest.raises(TypeError, match="bool"):
        ops.top_k(torch.ones(3, dtype=torch.bool), 1)


@pytest.mark.parametrize("dtype", ["bool", *NUMERIC])
def test_in_top_k(ops_oracle: Any, dtype: str) -> None:
    predictions = np.array(
        [[0.1, 0.5, 0.5, 0.2], [3, 1, 2, 0], [1, 2, 3, 4], [4, 3, 2, 1]], dtype="float64"
    )
    if dtype == "bool":
        predictions = predictions > 1.5
    else:
        predictions = predictions.astype(dtype)
    for k in (0, 1, 2, 4, 9):
        for targets in ([1, 2, 3, 0], [2, 0, 0, 3], [0, 1, 2, 3]):
            ops_oracle.compare("in_top_k", np.array(targets, "int32"), predictions, k)
    ops_oracle.compare("in_top_k", np.array([0, 3], "int64"), f"{dtype}[2,5]", 2)


def test_in_top_k_non_finite_and_out_of_range(ops_oracle: Any) -> None:
    p = np.array([[np.nan, 1, 2, 3], [1, 2, 3, np.inf], [1, 2, 3, 4], [1, 2, 3, 4]], "float32")
    for k in (1, 3, 10):
        ops_oracle.compare("in_top_k", np.array([3, 3, 5, -1], "int32"), p, k)


SEGMENT_OPS = ["segment_sum", "segment_max", "segment_min", "segment_prod"]
SEGMENT_IDS = [
    (np.array([0, 0, 1, 2, 2]), 3),
    (np.array([2, 0, 2, 1, 0]), 3),
    (np.array([0, 3, 3, 1, 1]), 6),  # empty segments (2, 4, 5)
    (np.array([0, -1, 1, 2, -3]), 3),  # negative ids are dropped
]


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("name", SEGMENT_OPS)
def test_segment_reductions(ops_oracle: Any, name: str, dtype: str) -> None:
    rtol = 3e-3 if dtype == "float16" else None
    for shape in ("[5]", "[5,3]", "[5,2,2]"):
        for ids, num_segments in SEGMENT_IDS:
            ops_oracle.compare(name, f"{dtype}{shape}", ids, num_segments, rtol=rtol)
        # num_segments inferred: the largest id + 1 (every id present, as TF counts unique ids)
        ops_oracle.compare(name, f"{dtype}{shape}", np.array([1, 0, 2, 2, 1]), rtol=rtol)
    ops_oracle.compare(name, f"{dtype}[0,2]", np.zeros(0, "int32"), 2)


@pytest.mark.parametrize("name", SEGMENT_OPS)
def test_segment_errors_and_sorted(name: str) -> None:
    fn = getattr(ops, name)
    with pytest.raises(ValueError, match="1-D"):
        fn(torch.ones(4, 2), torch.zeros(4, 2, dtype=torch.int32))
    with pytest.raises(ValueError, match="leading dimension"):
        fn(torch.ones(4, 2), torch.zeros(3, dtype=torch.int32))
    with pytest.raises(TypeError, match="bool"):
        fn(torch.ones(3, dtype=torch.bool), torch.zeros(3, dtype=torch.int32))
    # `sorted` is only a hint; with num_segments it works (TF refuses that combination)
    data = torch.arange(6.0).reshape(3, 2)
    ids = torch.tensor([0, 0, 2])
    assert torch.equal(fn(data, ids, 3, sorted=True), fn(data, ids, 3))
    assert fn(data, ids).shape == (3, 2)
    # ids >= num_segments are dropped too (as on JAX; TF raises, which needs a device sync)
    assert torch.equal(
        fn(data, torch.tensor([0, 5, 1]), 2), fn(data[[0, 2]], torch.tensor([0, 1]), 2)
    )


CDIST_CASES = [
    ("[3,4]", "[2,4]"),
    ("[1,1]", "[5,1]"),
    ("[2,3,4]", "[2,5,4]"),
    ("[2,3,4]", "[5,4]"),
    ("[1,3,4]", "[2,1,5,4]"),
    ("[0,4]", "[3,4]"),
    ("[3,0]", "[2,0]"),
    ("[30,8]", "[40,8]"),
]


@pytest.mark.parametrize("dtype", FLOATS)
def test_cdist(ops_oracle: Any, dtype: str) -> None:
    for x, y in CDIST_CASES:
        ops_oracle.compare(
            "cdist", f"{dtype}{x}", f"{dtype}{y}", rtol=4e-3 if dtype == "float16" else 1e-5
        )


def test_cdist_promotes_ints_and_mixed_dtypes() -> None:
    # Keras's result dtype: result_type(x, y, float) (the TF backend refuses these inputs)
    x = np.array([[0, 0], [3, 4]], "int32")
    got = ops.cdist(torch.from_numpy(x), torch.from_numpy(x.astype("float64")))
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), [[0, 5], [5, 0]])
    assert ops.cdist(torch.from_numpy(x), torch.from_numpy(x)).dtype == torch.float32
    with pytest.raises(ValueError, match="last dimension"):
        ops.cdist(torch.ones(2, 3), torch.ones(2, 4))
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.cdist(torch.ones(3), torch.ones(2, 3))
    with pytest.raises(ValueError, match="batch dimensions"):
        ops.cdist(torch.ones(2, 2, 3), torch.ones(3, 2, 3))


@pytest.mark.parametrize("dtype", ["bool", *NUMERIC])
def test_extract_sequences(ops_oracle: Any, dtype: str) -> None:
    for shape, length, stride in [
        ("[10]", 4, 2),
        ("[2,10]", 3, 3),
        ("[2,3,9]", 9, 1),
        ("[2,7]", 1, 1),
        ("[2,3]", 5, 1),
        ("[4,0]", 2, 1),
    ]:
        ops_oracle.compare("extract_sequences", f"{dtype}{shape}", length, stride)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fft_family(ops_oracle: Any, dtype: str) -> None:
    for shape in ("[8]", "[2,5]", "[2,3,4]", "[1]"):
        pair = tuple(ops_oracle.inputs(f"{dtype}{shape}", f"{dtype}{shape}", seed=3))
        ops_oracle.compare("fft", pair)
        if shape != "[1]":  # TF aborts the process on a zero-length inverse FFT
            ops_oracle.compare("irfft", pair)
        ops_oracle.compare("irfft", pair, fft_length=6)
        ops_oracle.compare("rfft", pair[0]) if dtype == "float32" else None
        ops_oracle.compare("rfft", pair[0], fft_length=4) if dtype == "float32" else None
        if shape != "[8]" and shape != "[1]":
            ops_oracle.compare("fft2", pair)
            ops_oracle.compare("ifft2", pair)


def test_fft_errors(ops_oracle: Any) -> None:
    for bad in [
        (np.ones(4, "float16"), np.ones(4, "float16")),
        (np.ones(4, "int32"), np.ones(4, "int32")),
        (np.ones(4, "float32"), np.ones(3, "float32")),
        (np.ones(4, "float32"),),
    ]:
        for name in ("fft", "fft2", "ifft2", "irfft"):
            ops_oracle.compare(name, bad)
    with pytest.raises(ValueError, match="tuple of two"):
        ops.fft(torch.ones(4))


def test_rfft_dtypes(ops_oracle: Any) -> None:
    for dtype in ("bool", "int32", "int64", "float16"):  # computed in float32, as TF does
        ops_oracle.compare("rfft", f"{dtype}[2,6]", rtol=1e-4, atol=1e-4)
    # float64 stays float64 (Keras's declared dtype; TF alone drops to float32)
    x = np.random.default_rng(0).standard_normal((2, 6))
    real, imag = ops.rfft(torch.from_numpy(x))
    assert real.dtype == imag.dtype == torch.float64
    expected = np.fft.rfft(x)
    np.testing.assert_allclose(real.numpy(), expected.real, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(imag.numpy(), expected.imag, rtol=1e-12, atol=1e-12)


STFT_CASES: list[tuple[str, int, int, int, Any, bool]] = [
    ("[32]", 8, 4, 8, "hann", True),
    ("[2,40]", 8, 3, 16, "hamming", True),
    ("[2,3,33]", 6, 2, 8, None, False),
    ("[2,40]", 7, 7, 7, "hann", False),
    ("[50]", 10, 5, 16, "window", True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stft_and_istft(ops_oracle: Any, dtype: str) -> None:
    for shape, seq_len, stride, fft_len, window, center in STFT_CASES:
        if window == "window":
            window = np.random.default_rng(1).random(seq_len).astype(dtype)
        tol = 1e-4 if dtype == "float32" else 1e-10
        real, imag = ops_oracle.compare(
            "stft", f"{dtype}{shape}", seq_len, stride, fft_len, window, center, rtol=tol, atol=tol
        )
        pair = (real.numpy(), imag.numpy())
        for length in (None, 20):
            ops_oracle.compare(
                "istft", pair, seq_len, stride, fft_len, length, window, center, rtol=tol, atol=tol
            )


def test_stft_errors(ops_oracle: Any) -> None:
    ops_oracle.compare("stft", "int32[20]", 4, 2, 4)
    ops_oracle.compare("stft", "float16[20]", 4, 2, 4)
    ops_oracle.compare("stft", "float32[20]", 8, 2, 4)
    ops_oracle.compare("stft", "float32[20]", 4, 2, 4, "box")
    ops_oracle.compare("stft", "float32[20]", 4, 2, 4, np.ones(3, "float32"))
    ops_oracle.compare("istft", ("float32[3,5]", "float32[3,5]"), 4, 2, 8, None, "box")


def _spd(dtype: str, batch: tuple[int, ...], n: int) -> np.ndarray:
    a = np.random.default_rng(2).standard_normal((*batch, n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logdet(ops_oracle: Any, dtype: str) -> None:
    for batch, n in [((), 3), ((2,), 4), ((2, 3), 2), ((), 1)]:
        ops_oracle.compare(
            "logdet", _spd(dtype, batch, n), rtol=1e-4 if dtype == "float32" else None
        )
    with pytest.raises(ValueError, match="square"):
        ops.logdet(torch.ones(2, 3))


@pytest.mark.parametrize("dtype", ["int32", "int64", "float16", "float32", "float64"])
def test_view_as_complex_and_real(ops_oracle: Any, dtype: str) -> None:
    for shape in ("[2]", "[3,2]", "[2,4,2]", "[0,2]"):
        ops_oracle.compare("view_as_complex", f"{dtype}{shape}")
    for shape in ("[]", "[3]", "[2,4]", "[0]"):
        ops_oracle.compare("view_as_real", f"{dtype}{shape}")
    for shape in ("[3]", "[2,4]"):
        ops_oracle.compare("view_as_real", f"complex64{shape}")
        ops_oracle.compare("view_as_real", f"complex128{shape}")
    ops_oracle.compare("view_as_complex", f"{dtype}[3]")  # last axis not 2: both raise
    ops_oracle.compare("view_as_real", "bool[3]")


def test_math_signatures(ops_oracle: Any) -> None:
    import torchbridge.ops.math as math_ops

    for name in math_ops.__all__:
        ops_oracle.assert_same_signature(name)
