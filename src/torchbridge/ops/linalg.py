"""``keras.ops.linalg`` on torch: decompositions (Cholesky, LU, QR, SVD,
eigen), solvers, inverses, norms, ranks and forward-mode ``jvp``
(keras/src/ops/linalg.py names; Keras also exports them at ``keras.ops``).

Dtypes: float32/float64/complex inputs keep their dtype; float16/bfloat16
compute in float32 and come back in their dtype (torch has no half-precision
LAPACK kernels); int and bool inputs compute in ``floatx()`` (Keras's
TensorFlow backend refuses all of these; its JAX backend promotes).
Failures a user can cause (shapes, a matrix that is not positive definite or
not invertible) raise ``ValueError`` naming the op and the shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import to_torch_dtype
from torchbridge.ops._convert import result_dtype, to_tensor
from torchbridge.utils import nest

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]

_Tensor = torch.Tensor
_HALF = (torch.float16, torch.bfloat16)
_LinAlgError = torch.linalg.LinAlgError


def _operand(x: Any) -> tuple[torch.Tensor, torch.dtype]:
    """``(x in the dtype to compute in, the dtype of the result)``."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    dtype = x.dtype
    if x.is_floating_point():
        return (x.float(), dtype) if dtype in _HALF else (x, dtype)
    if x.is_complex():
        return x, dtype
    floatx = to_torch_dtype(config._floatx)
    return x.to(torch.float32 if floatx in _HALF else floatx), floatx


def _back(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return x if x.dtype == dtype or x.is_complex() else x.to(dtype)


def _matrices(op: str, x: torch.Tensor, square: bool = True) -> None:
    if x.ndim < 2:
        raise ValueError(
            f"`{op}` takes (batches of) matrices, rank >= 2; received shape {tuple(x.shape)}."
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"`{op}` takes (batches of) square matrices, shape (..., M, M); "
            f"received shape {tuple(x.shape)}."
        )


# --- decompositions ------------------------------------------------------------
def cholesky(x: Any, upper: bool = False) -> torch.Tensor:
    """The Cholesky factor of (batches of) Hermitian positive definite matrices
    (lower triangular, or upper with ``upper=True``)."""
    x, dtype = _operand(x)
    _matrices("cholesky", x)
    try:
        return _back(torch.linalg.cholesky(x, upper=upper), dtype)
    except _LinAlgError as exc:
        raise ValueError(
            f"Cholesky decomposition failed: the input (shape {tuple(x.shape)}) is not "
            f"positive definite ({exc}). Pass a symmetric positive definite matrix."
        ) from None


def cholesky_inverse(x: Any, upper: bool = False) -> torch.Tensor:
    """The inverse of ``A`` from its Cholesky factor ``x`` (``A = L L^H``, or
    ``U^H U`` with ``upper=True``)."""
    x, dtype = _operand(x)
    _matrices("cholesky_inverse", x)
    return _back(torch.cholesky_inverse(x, upper=upper), dtype)


def lu_factor(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The LU factorization with partial pivoting: ``(LU, pivots)``, ``LU`` holding
    L (unit diagonal, below) and U; ``pivots`` the 0-based int32 row swaps
    (LAPACK/SciPy's ``lu_factor`` convention)."""
    x, dtype = _operand(x)
    _matrices("lu_factor", x, square=False)
    lu, pivots = torch.linalg.lu_factor(x)
    return _back(lu, dtype), (pivots - 1).to(torch.int32)


def qr(x: Any, mode: str = "reduced") -> tuple[torch.Tensor, torch.Tensor]:
    """The QR decomposition ``(q, r)``; ``mode`` is ``"reduced"`` or ``"complete"``."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`qr`: `mode` must be 'reduced' or 'complete'; received mode={mode!r}.")
    x, dtype = _operand(x)
    _matrices("qr", x, square=False)
    q, r = torch.linalg.qr(x, mode=mode)
    return _back(q, dtype), _back(r, dtype)


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """The singular value decomposition ``(u, s, vh)`` with ``x = u @ diag(s) @ vh``
    (``s`` alone, descending, with ``compute_uv=False``)."""
    x, dtype = _operand(x)
    _matrices("svd", x, square=False)
    if not compute_uv:
        return _back(torch.linalg.svdvals(x), dtype)
    u, s, vh = torch.linalg.svd(x, full_matrices=full_matrices)
    return _back(u, dtype), _back(s, dtype), _back(vh, dtype)


def eig(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues and right eigenvectors of (batches of) square matrices (complex)."""
    x, _ = _operand(x)
    _matrices("eig", x)
    return torch.linalg.eig(x)


def eigh(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (ascending) and eigenvectors of (batches of) Hermitian matrices
    (the lower triangle is used)."""
    x, dtype = _operand(x)
    _matrices("eigh", x)
    w, v = torch.linalg.eigh(x)
    return _back(w, dtype), _back(v, dtype)


# --- determinants, inverses, ranks, norms ----------------------------------------------
def det(x: Any) -> torch.Tensor:
    """The determinant of (batches of) square matrices."""
    x, dtype = _operand(x)
    _matrices("det", x)
    return _back(torch.linalg.det(x), dtype)


def inv(x: Any) -> torch.Tensor:
    """The inverse of (batches of) square matrices."""
    x, dtype = _operand(x)
    _matrices("inv", x)
    try:
        return _back(torch.linalg.inv(x), dtype)
    except _LinAlgError:
        raise ValueError(
            f"`inv`: the input (shape {tuple(x.shape)}) is singular, so it has no inverse; "
            "use `pinv` for a pseudo-inverse."
        ) from None


def pinv(x: Any, rcond: Any = None) -> torch.Tensor:
    """The Moore-Penrose pseudo-inverse; singular values <= ``rcond`` times the
    largest are dropped (default ``10 * max(M, N) * eps``, as TensorFlow)."""
    x, dtype = _operand(x)
    _matrices("pinv", x, square=False)
    if rcond is None:
        rcond = (
            10.0 * max(x.shape[-2:]) * torch.finfo(x.real.dtype if x.is_complex() else x.dtype).eps
        )
    return _back(torch.linalg.pinv(x, rtol=rcond), dtype)


def matrix_rank(x: Any, tol: Any = None) -> torch.Tensor:
    """The rank (int32): the number of singular values above ``tol`` (default
    ``max(M, N) * eps * largest singular value``)."""
    x, _ = _operand(x)
    _matrices("matrix_rank", x, square=False)
    rank = torch.linalg.matrix_rank(x) if tol is None else torch.linalg.matrix_rank(x, atol=tol)
    return rank.to(torch.int32)


_MATRIX_ORDS = (None, "fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    """Vector norms (one axis) or matrix norms (two axes), as ``numpy.linalg.norm``:
    with ``axis=None`` a 1-D input gets a vector norm, a 2-D one a matrix norm,
    and with ``ord=None`` too, any input the 2-norm of its flattened values."""
    x, dtype = _operand(x)
    ndim = x.ndim
    if axis is None:
        if ord is None:
            out = torch.linalg.vector_norm(x, 2, None, keepdims)
            return _back(out, dtype)
        axes: tuple[int, ...] = tuple(range(ndim))
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"`norm`: axis {a} is out of bounds for an input of rank {ndim} "
                f"(shape {tuple(x.shape)}); pass axes in [{-ndim}, {ndim})."
            )
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(
                f"`norm`: ord={ord!r} is a matrix norm; a vector norm (one axis) takes a "
                "number or None."
            )
        out = torch.linalg.vector_norm(x, 2 if ord is None else ord, axes, keepdims)
    elif len(axes) == 2:
        if ord not in _MATRIX_ORDS:
            raise ValueError(
                f"`norm`: invalid `ord` for a matrix norm: {ord!r}; pass one of None, 'fro', "
                "'nuc', inf, -inf, 1, -1, 2, -2."
            )
        if axes[0] % ndim == axes[1] % ndim:
            raise ValueError(f"`norm`: the two axes must differ; received axis={axis}.")
        out = torch.linalg.matrix_norm(x, "fro" if ord is None else ord, axes, keepdims)
    else:
        raise ValueError(
            f"`norm`: pass one axis (vector norm) or two (matrix norm); received axis={axis} "
            f"for an input of shape {tuple(x.shape)}."
        )
    return _back(out, dtype)


# --- solvers ------------------------------------------------------------------------
def _system(op: str, a: Any, b: Any) -> tuple[torch.Tensor, torch.Tensor, torch.dtype, bool]:
    """``(a, b, result dtype, b is a vector)`` with Keras's shape checks."""
    if type(a) is not _Tensor or type(b) is not _Tensor or a.dtype != b.dtype:
        a, b = to_tensor(a), to_tensor(b)
        a = a.to(result_dtype(a, b))
    a, dtype = _operand(a)
    if b.dtype != a.dtype or b.device != a.device:
        b = b.to(device=a.device, dtype=a.dtype)
    _matrices(op, a)
    if b.ndim < 1:
        raise ValueError(f"`{op}`: `b` must have rank >= 1; received a scalar.")
    vector = b.ndim == a.ndim - 1
    if (vector and b.shape[-1] != a.shape[-1]) or (b.ndim == a.ndim and b.shape[-2] != a.shape[-2]):
        raise ValueError(
            f"`{op}`: incompatible shapes a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}; "
            "`b` must be (..., M) or (..., M, K) for `a` of shape (..., M, M)."
        )
    return a, b, dtype, vector


def solve(a: Any, b: Any) -> torch.Tensor:
    """``x`` with ``a @ x = b``; ``b`` of rank ``a.ndim - 1`` is a (batch of) vector(s)."""
    a, b, dtype, vector = _system("solve", a, b)
    try:
        if vector:
            return _back(torch.linalg.solve(a, b.unsqueeze(-1)).squeeze(-1), dtype)
        return _back(torch.linalg.solve(a, b), dtype)
    except _LinAlgError:
        raise ValueError(
            f"`solve`: `a` (shape {tuple(a.shape)}) is singular; use `lstsq` for a "
            "least-squares solution."
        ) from None


def solve_triangular(a: Any, b: Any, lower: bool = False) -> torch.Tensor:
    """``x`` with ``a @ x = b`` for triangular ``a`` (upper, or lower with ``lower=True``;
    the other triangle is ignored)."""
    a, b, dtype, vector = _system("solve_triangular", a, b)
    if vector:
        b = b.unsqueeze(-1)
    x = torch.linalg.solve_triangular(a, b, upper=not lower)
    return _back(x.squeeze(-1) if vector else x, dtype)


def lstsq(a: Any, b: Any, rcond: Any = None) -> torch.Tensor:
    """The minimum-norm least-squares solution of ``a @ x = b`` for a 2-D ``a``
    (M, N) and ``b`` (M,) or (M, K), through the SVD of ``a``; singular values
    below ``rcond`` times the largest count as zero (default ``eps * max(M, N)``)."""
    a, b = to_tensor(a), to_tensor(b)
    tdt = result_dtype(a, b)
    a, dtype = _operand(a.to(tdt))
    b = b.to(device=a.device, dtype=a.dtype)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            "`lstsq` takes `a` of shape (M, N) and `b` of shape (M,) or (M, K); received "
            f"a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}."
        )
    m, n = a.shape
    eps = torch.finfo(a.real.dtype if a.is_complex() else a.dtype).eps
    if rcond is None:
        rcond = eps * max(m, n)
    elif rcond < 0:
        rcond = eps
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    if s.numel() == 0:
        return _back(a.new_zeros((n, *b.shape[1:])), dtype)
    keep = s >= rcond * s[0]
    s_inv = torch.where(keep, 1.0 / torch.where(keep, s, 1.0), 0.0).to(a.dtype)
    rhs = b.unsqueeze(-1) if b.ndim == 1 else b
    x = vh.mH @ (s_inv.unsqueeze(-1) * (u.mH @ rhs))
    return _back(x.squeeze(-1) if b.ndim == 1 else x, dtype)


# --- forward-mode differentiation -----------------------------------------------------------
def jvp(fun: Callable[..., Any], primals: Any, tangents: Any, has_aux: bool = False) -> Any:
    """The Jacobian-vector product of ``fun`` at ``primals`` along ``tangents``:
    ``(outputs, output tangents)``, plus ``aux`` with ``has_aux=True``."""
    primals = tuple(nest.map_structure(to_tensor, list(primals)))
    tangents = tuple(
        nest.map_structure(
            lambda t, p: to_tensor(t, p.dtype, p.device), list(tangents), list(primals)
        )
    )
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)
