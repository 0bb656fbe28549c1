"""torchbridge.ops.linalg against keras.ops.linalg on the TensorFlow backend.

Table-driven through the ``ops_oracle`` fixture (values, shapes, dtype names;
when Keras raises, torchbridge must raise too) over float32/float64 inputs,
batched and unbatched. Results that are only defined up to a choice (signs of
singular/eigen vectors, order of ``eig``'s eigenvalues) are compared through
what is unique: singular values, ``|v|``, reconstructions. Inputs Keras's
TensorFlow backend refuses (ints, bool, float16) are checked against Keras on
the input cast to float32: torchbridge computes them in floatx/float32.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import scipy.linalg
import torch

import torchbridge.ops as ops

FLOATS = ["float32", "float64"]
BATCHES: list[tuple[int, ...]] = [(), (2,), (2, 3)]


def _tol(dtype: str) -> dict[str, float]:
    return {"rtol": 2e-4, "atol": 2e-5} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-11}


def _rand(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _spd(dtype: str, batch: tuple[int, ...], n: int, seed: int = 0) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((*batch, n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_square_matrix_ops(ops_oracle: Any, dtype: str) -> None:
    for batch in BATCHES:
        for n in (1, 3):
            a = _spd(dtype, batch, n)
            for name in ("det", "inv", "cholesky"):
                ops_oracle.compare(f"linalg.{name}", a, **_tol(dtype))
            ops_oracle.compare("linalg.cholesky", a, upper=True, **_tol(dtype))
            factor = np.linalg.cholesky(a.astype("float64")).astype(dtype)
            ops_oracle.compare("linalg.cholesky_inverse", factor, **_tol(dtype))
            ops_oracle.compare(
                "linalg.cholesky_inverse", np.swapaxes(factor, -1, -2), True, **_tol(dtype)
            )
        ops_oracle.compare("linalg.det", _rand(dtype, (*batch, 4, 4)), **_tol(dtype))
        ops_oracle.compare("linalg.inv", _rand(dtype, (*batch, 4, 4)), rtol=1e-3, atol=1e-4)


def test_square_matrix_errors(ops_oracle: Any) -> None:
    for name in ("det", "inv", "cholesky", "cholesky_inverse", "eigh", "eig"):
        ops_oracle.compare(f"linalg.{name}", "float32[3,4]")  # not square: both raise
        ops_oracle.compare(f"linalg.{name}", "float32[3]")  # not a matrix: both raise
    with pytest.raises(ValueError, match="not positive definite"):
        ops.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="singular"):
        ops.inv(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="singular"):
        ops.solve(torch.zeros(2, 2), torch.ones(2))


@pytest.mark.parametrize("dtype", FLOATS)
def test_solvers(ops_oracle: Any, dtype: str) -> None:
    for batch in BATCHES:
        a = _spd(dtype, batch, 4)
        for b_shape in [(*batch, 4), (*batch, 4, 2), (*batch, 4, 1)]:
            b = _rand(dtype, b_shape, seed=1)
            ops_oracle.compare("linalg.solve", a, b, **_tol(dtype))
            for lower in (False, True):
                ops_oracle.compare("linalg.solve_triangular", a, b, lower, **_tol(dtype))
    for a_shape, b_shape in [((3, 3), (4,)), ((3, 3), (4, 2)), ((3, 3), ())]:
        ops_oracle.compare("linalg.solve", f"{dtype}{list(a_shape)}", _rand(dtype, b_shape))


@pytest.mark.parametrize("dtype", FLOATS)
def test_lstsq_pinv_matrix_rank(ops_oracle: Any, dtype: str) -> None:
    rank_deficient = _rand(dtype, (5, 2)) @ _rand(dtype, (2, 4), seed=2)
    for a in (_rand(dtype, (5, 3)), _rand(dtype, (3, 5)), _rand(dtype, (4, 4)), rank_deficient):
        for b in (_rand(dtype, (a.shape[0],), 3), _rand(dtype, (a.shape[0], 2), 3)):
            ops_oracle.compare("linalg.lstsq", a, b, rtol=1e-3, atol=1e-4)
            ops_oracle.compare("linalg.lstsq", a, b, rcond=0.5, rtol=1e-3, atol=1e-4)
        ops_oracle.compare("linalg.pinv", a, rtol=1e-3, atol=1e-4)
        ops_oracle.compare("linalg.pinv", a, rcond=0.3, rtol=1e-3, atol=1e-4)
        ops_oracle.compare("linalg.matrix_rank", a)
        ops_oracle.compare("linalg.matrix_rank", a, tol=1.0)
    ops_oracle.compare("linalg.pinv", _rand(dtype, (2, 3, 4)), rtol=1e-3, atol=1e-4)
    ops_oracle.compare("linalg.matrix_rank", _rand(dtype, (2, 3, 4)))
    ops_oracle.compare("linalg.lstsq", "float32[3,2]", "float32[4]")  # rows differ: both raise


NORM_CASES: list[tuple[str, Any, Any, bool]] = [
    ("[5]", None, None, False),
    ("[5]", 1, None, True),
    ("[5]", 3, 0, False),
    ("[5]", 0.5, -1, False),
    ("[5]", 0, None, False),
    ("[5]", float("inf"), None, False),
    ("[5]", float("-inf"), 0, True),
    ("[3,4]", None, None, False),
    ("[3,4]", None, None, True),
    ("[3,4]", None, 1, False),
    ("[3,4]", 2, -1, True),
    ("[2,3,4]", None, 1, False),
]
MATRIX_ORDS: list[Any] = [None, "fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")]


@pytest.mark.parametrize("dtype", ["int32", "float16", *FLOATS])
def test_norm(ops_oracle: Any, dtype: str) -> None:
    tol = {"rtol": 2e-3, "atol": 1e-3} if dtype == "float16" else _tol("float32")
    for shape, ord, axis, keepdims in NORM_CASES:
        ops_oracle.compare("linalg.norm", f"{dtype}{shape}", ord, axis, keepdims, **tol)
    if dtype == "float16":
        return  # Keras's TF backend has no half-precision SVD for the matrix norms below
    for ord in MATRIX_ORDS:
        # Keras's TF backend fails on keepdims=True for the SVD-based ords (nuc, 2, -2)
        keep = ord not in ("nuc", 2, -2)
        for axis, keepdims in [((0, 1), False), ((1, 0), keep), ((-1, 0), False)]:
            ops_oracle.compare("linalg.norm", f"{dtype}[3,4]", ord, axis, keepdims, **tol)
        ops_oracle.compare("linalg.norm", f"{dtype}[2,3,4]", ord, (2, 1), False, **tol)
        ops_oracle.compare("linalg.norm", f"{dtype}[2,3,4]", ord, (0, 2), keep, **tol)


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_matrix_norm_keepdims(ord: Any) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    got = ops.norm(torch.from_numpy(x), ord, (2, 0), True)
    np.testing.assert_allclose(got.numpy(), np.linalg.norm(x, ord, (2, 0), True), rtol=1e-10)


def test_norm_flattens_with_no_axis_and_no_ord() -> None:
    # numpy.linalg.norm's documented rule (Keras's docstring); Keras's TF backend raises instead
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    got = ops.norm(torch.from_numpy(x))
    np.testing.assert_allclose(got.numpy(), np.linalg.norm(x), rtol=1e-6, atol=1e-7)
    assert ops.norm(torch.tensor(-3.0)).item() == 3.0


def test_norm_errors(ops_oracle: Any) -> None:
    ops_oracle.compare("linalg.norm", "float32[3]", "fro")
    ops_oracle.compare("linalg.norm", "float32[3,4]", 3, (0, 1))
    ops_oracle.compare("linalg.norm", "float32[3,4]", None, 2)
    with pytest.raises(ValueError, match="axis"):
        ops.norm(torch.ones(2, 3, 4), 2, (0, 1, 2))


@pytest.mark.parametrize("dtype", FLOATS)
def test_qr(ops_oracle: Any, dtype: str) -> None:
    for batch in BATCHES:
        for m, n in ((4, 3), (3, 4), (3, 3)):
            x = _rand(dtype, (*batch, m, n))
            for mode in ("reduced", "complete"):
                q, r = ops.qr(torch.from_numpy(x), mode)
                tq, tr = (keras.ops.convert_to_numpy(t) for t in keras.ops.linalg.qr(x, mode))
                assert q.shape == tq.shape and r.shape == tr.shape
                assert q.dtype == r.dtype == torch.float32 if dtype == "float32" else torch.float64
                # unique up to the signs of R's diagonal: compare |R| and the product
                np.testing.assert_allclose(np.abs(r.numpy()), np.abs(tr), **_tol(dtype))
                np.testing.assert_allclose((q @ r).numpy(), x, **_tol(dtype))
    ops_oracle.compare("linalg.qr", "float32[3,2]", "full")  # bad mode: both raise


@pytest.mark.parametrize("dtype", FLOATS)
def test_svd(ops_oracle: Any, dtype: str) -> None:
    for batch in BATCHES:
        for m, n in ((4, 3), (3, 4)):
            x = _rand(dtype, (*batch, m, n))
            ops_oracle.compare("linalg.svd", x, compute_uv=False, **_tol(dtype))
            for full in (True, False):
                u, s, vh = ops.svd(torch.from_numpy(x), full)
                tu, ts, tvh = (keras.ops.convert_to_numpy(t) for t in keras.ops.linalg.svd(x, full))
                assert (u.shape, s.shape, vh.shape) == (tu.shape, ts.shape, tvh.shape)
                assert u.dtype == s.dtype == vh.dtype == getattr(torch, dtype)
                k = min(m, n)
                np.testing.assert_allclose(s.numpy(), ts, **_tol(dtype))
                recon = (u[..., :k] * s[..., None, :]) @ vh[..., :k, :]
                np.testing.assert_allclose(recon.numpy(), x, **_tol(dtype))
                np.testing.assert_allclose(
                    np.abs(u[..., :k].numpy()), np.abs(tu[..., :k]), **_tol(dtype)
                )


@pytest.mark.parametrize("dtype", FLOATS)
def test_eigh_and_eig(ops_oracle: Any, dtype: str) -> None:
    for batch in BATCHES:
        a = _spd(dtype, batch, 4)
        w, v = ops.eigh(torch.from_numpy(a))
        tw, tv = (keras.ops.convert_to_numpy(t) for t in keras.ops.linalg.eigh(a))
        assert w.dtype == v.dtype == getattr(torch, dtype)
        np.testing.assert_allclose(w.numpy(), tw, **_tol(dtype))
        np.testing.assert_allclose(np.abs(v.numpy()), np.abs(tv), rtol=1e-3, atol=1e-4)
        x = _rand(dtype, (*batch, 4, 4))
        w, v = ops.eig(torch.from_numpy(x))
        tw, tv = (keras.ops.convert_to_numpy(t) for t in keras.ops.linalg.eig(x))
        assert (str(w.dtype), str(v.dtype)) == (f"torch.{tw.dtype}", f"torch.{tv.dtype}")
        key = lambda z: np.sort_complex(np.round(z, 4))  # noqa: E731
        np.testing.assert_allclose(key(w.numpy()), key(tw), rtol=1e-3, atol=1e-3)
        xc = torch.from_numpy(x).to(v.dtype)
        np.testing.assert_allclose((xc @ v).numpy(), (v * w[..., None, :]).numpy(), atol=1e-4)


@pytest.mark.parametrize("dtype", FLOATS)
def test_lu_factor(ops_oracle: Any, dtype: str) -> None:
    for batch in BATCHES:
        x = _rand(dtype, (*batch, 4, 4))
        lu, pivots = ops.lu_factor(torch.from_numpy(x))
        if not batch:  # Keras's TF backend fails on batches
            tlu = keras.ops.convert_to_numpy(keras.ops.linalg.lu_factor(x)[0])
            np.testing.assert_allclose(lu.numpy(), tlu, **_tol(dtype))
        assert pivots.dtype == torch.int32 and pivots.shape == (*batch, 4)
        for i in np.ndindex(*batch):
            _, expected = scipy.linalg.lu_factor(x[i])  # LAPACK pivots, as Keras's JAX/torch
            np.testing.assert_array_equal(pivots[i].numpy(), expected)
    lu, pivots = ops.lu_factor(torch.from_numpy(_rand("float32", (5, 3))))  # non-square works
    assert lu.shape == (5, 3) and pivots.shape == (3,)


@pytest.mark.parametrize("name", ["det", "inv", "cholesky", "eigh", "qr", "svd", "norm", "pinv"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "float16"])
def test_non_float_inputs_compute_in_float(name: str, dtype: str) -> None:
    x = _spd("float64", (), 3).round()
    x = x > 1 if dtype == "bool" else x.astype(dtype)
    if dtype == "bool" and name == "cholesky":
        x = np.eye(3, dtype=bool)
    got = getattr(ops.linalg, name)(torch.from_numpy(x))
    expected = getattr(keras.ops.linalg, name)(x.astype("float32"))
    got_leaves = got if isinstance(got, tuple) else (got,)
    exp_leaves = expected if isinstance(expected, (tuple, list)) else (expected,)
    want = torch.float16 if dtype == "float16" else torch.float32
    for g, e in zip(got_leaves, exp_leaves):
        assert g.dtype == want, (name, g.dtype)
        e = keras.ops.convert_to_numpy(e)
        if name in ("eigh", "qr", "svd"):
            g, e = g.abs(), np.abs(e)
        np.testing.assert_allclose(g.float().numpy(), e, rtol=2e-3, atol=2e-3)


def _f(x: Any, y: Any) -> Any:
    return x * x * y + 3.0 * y


def _f_aux(x: Any) -> Any:
    return x * x, x + 1.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_jvp(dtype: str) -> None:
    # Checked against the analytic derivatives: Keras's TF jvp (a ForwardAccumulator) costs
    # ~4 s to warm up, and gives these same values.
    x, y = _rand(dtype, (2, 3)), _rand(dtype, (2, 3), 1)
    tx, ty = _rand(dtype, (2, 3), 2), _rand(dtype, (2, 3), 3)
    t = torch.from_numpy
    out, tangent = ops.linalg.jvp(_f, (t(x), t(y)), (t(tx), t(ty)))
    np.testing.assert_allclose(out.numpy(), _f(x, y), **_tol(dtype))
    np.testing.assert_allclose(tangent.numpy(), 2 * x * y * tx + (x * x + 3) * ty, **_tol(dtype))
    out, tangent, aux = ops.jvp(_f_aux, (t(x),), (t(tx),), True)
    np.testing.assert_allclose(tangent.numpy(), 2 * x * tx, **_tol(dtype))
    np.testing.assert_allclose(aux.numpy(), x + 1.0, **_tol(dtype))
    # tangents are cast to the primals' dtypes, as in Keras; NumPy primals are converted
    _, tangent = ops.jvp(_f, (x, t(y)), (tx.astype("float16"), ty))
    assert tangent.dtype == getattr(torch, dtype)


def test_linalg_namespace_and_signatures(ops_oracle: Any) -> None:
    import torchbridge.ops.linalg as linalg_ops

    assert ops.linalg is linalg_ops
    assert sorted(linalg_ops.__all__) == sorted(
        n for n in dir(keras.ops.linalg) if not n.startswith("_")
    )
    for name in linalg_ops.__all__:
        ops_oracle.assert_same_signature(f"linalg.{name}")
        ops_oracle.assert_same_signature(name)
