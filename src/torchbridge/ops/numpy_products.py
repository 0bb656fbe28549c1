"""keras.ops.numpy products, differences and integrals on torch: dot, matmul,
einsum, tensordot, inner, outer, vdot, kron, cross, trace, slogdet, correlate,
corrcoef, vander, diff and trapezoid (Keras's names, signatures and result
dtypes; re-exported by ``ops.numpy``).

Result dtypes follow ``backend.result_type`` of the operands, with Keras's
special cases: int8 x int8 ``matmul``/``einsum`` give int32; ``trace`` sums
bool/int8/int16 as int32 and uint8/uint16 as uint32; ``correlate`` works in
float (float64 for int64); ``vander`` keeps ``x``'s dtype. Integer and bool
products are computed exactly in int64 on the CPU (torch has no integer
matmul on CUDA, where they go through float64) and cast to the result dtype.
"""

from __future__ import annotations

import builtins
from typing import Any

import torch
import torch.nn.functional as F

from torchbridge.backend import config
from torchbridge.backend.dtypes import result_type, to_torch_dtype
from torchbridge.ops._convert import result_dtype, to_tensor, to_tensors
from torchbridge.ops._numpy_axes import as_tensor, as_tensor_pair, broadcast_shape, canonical_axis

__all__ = [
    "corrcoef",
    "correlate",
    "cross",
    "diff",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "outer",
    "slogdet",
    "tensordot",
    "trace",
    "trapezoid",
    "vander",
    "vdot",
]

_Tensor = torch.Tensor
_FLOATING = frozenset(
    {torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128}
)


def _compute_dtype(tdt: torch.dtype, device: torch.device) -> torch.dtype:
    """The dtype a product of ``tdt`` operands is computed in (exact for ints on CPU)."""
    if tdt in _FLOATING:
        return tdt
    return torch.int64 if device.type == "cpu" else torch.float64


def _product(fn: Any, a: torch.Tensor, b: torch.Tensor, out: torch.dtype) -> torch.Tensor:
    """``fn(a, b)`` computed in the product dtype for ``out`` and cast to ``out``."""
    compute = _compute_dtype(out, a.device)
    if a.dtype != compute:
        a = a.to(compute)
    if b.dtype != compute:
        b = b.to(compute)
    r = fn(a, b)
    if out == torch.bool:
        return r != 0
    return r if r.dtype == out else r.to(out)


def _shape_error(op: str, a: torch.Tensor, b: torch.Tensor, exc: Exception) -> ValueError:
    return ValueError(
        f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} are not aligned for this product "
        f"({exc})."
    )


# --- products ----------------------------------------------------------------------------
def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return torch.matmul(a, b)
    if b.ndim == 1:
        return torch.tensordot(a, b, dims=([-1], [0]))
    return torch.tensordot(a, b, dims=([-1], [b.ndim - 2]))


def dot(x1: Any, x2: Any) -> torch.Tensor:
    """NumPy's ``dot``: sums over the last axis of ``x1`` and the second-to-last of ``x2``."""
    a, b = as_tensor_pair(x1, x2)
    try:
        if a.dtype in _FLOATING:
            return _dot(a, b)
        return _product(_dot, a, b, a.dtype)
    except RuntimeError as exc:
        raise _shape_error("dot", a, b, exc) from None


def matmul(x1: Any, x2: Any) -> torch.Tensor:
    """The matrix product with NumPy's broadcasting of batch axes (int8 x int8 -> int32)."""
    if type(x1) is _Tensor and type(x2) is _Tensor and x1.dtype == x2.dtype:
        a, b = x1, x2
    else:
        a, b = as_tensor(x1), as_tensor(x2)
        if a.dtype == b.dtype == torch.int8 and a.ndim != 1 and b.ndim != 1:
            try:
                return _product(torch.matmul, a, b, torch.int32)
            except RuntimeError as exc:
                raise _shape_error("matmul", a, b, exc) from None
        a, b = as_tensor_pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: inputs must have at least 1 dimension; got shapes {tuple(a.shape)} and "
            f"{tuple(b.shape)} (use ops.multiply for scalars)."
        )
    try:
        if a.dtype in _FLOATING:
            return torch.matmul(a, b)
        if a.dtype == torch.int8 and a.ndim != 1 and b.ndim != 1:
            return _product(torch.matmul, a, b, torch.int32)
        return _product(torch.matmul, a, b, a.dtype)
    except RuntimeError as exc:
        raise _shape_error("matmul", a, b, exc) from None


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> torch.Tensor:
    """Sum of products over ``axes`` (an int: the last/first ``axes`` axes; or two axis lists)."""
    a, b = as_tensor_pair(x1, x2)
    if isinstance(axes, int):
        dims: Any = axes
    else:
        try:
            left, right = axes
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: `axes` must be an int or a pair of axis lists. Received: {axes!r}"
            ) from None
        dims = (
            [left] if isinstance(left, int) else list(left),
            [right] if isinstance(right, int) else list(right),
        )
    try:
        return _product(lambda p, q: torch.tensordot(p, q, dims=dims), a, b, a.dtype)
    except RuntimeError as exc:
        raise ValueError(
            f"tensordot: cannot contract shapes {tuple(a.shape)} and {tuple(b.shape)} over "
            f"axes={axes!r} ({exc})."
        ) from None


def inner(x1: Any, x2: Any) -> torch.Tensor:
    """Sum of products over the last axes of ``x1`` and ``x2`` (a product for scalars)."""
    a, b = as_tensor_pair(x1, x2)
    try:
        return _product(torch.inner, a, b, a.dtype)
    except RuntimeError as exc:
        raise _shape_error("inner", a, b, exc) from None


def outer(x1: Any, x2: Any) -> torch.Tensor:
    """The outer product of the flattened ``x1`` and ``x2``."""
    a, b = as_tensor_pair(x1, x2)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def vdot(x1: Any, x2: Any) -> torch.Tensor:
    """The dot product of the flattened inputs (``x1`` conjugated when complex)."""
    a, b = as_tensor_pair(x1, x2)
    a, b = a.reshape(-1), b.reshape(-1)
    if a.is_complex():
        a = a.conj()
    if a.shape != b.shape:
        raise ValueError(
            f"vdot: inputs must have the same number of elements; got {a.numel()} and {b.numel()}."
        )
    return _product(torch.dot, a, b, a.dtype)


def kron(x1: Any, x2: Any) -> torch.Tensor:
    """The Kronecker product of ``x1`` and ``x2``."""
    a, b = as_tensor_pair(x1, x2)
    return torch.kron(a, b)


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> torch.Tensor:
    """Einstein summation over ``operands`` (int8-only operands give int32)."""
    if not kwargs and operands and type(operands[0]) is _Tensor:  # same-dtype float fast path
        dt = operands[0].dtype
        if dt in _FLOATING and all(type(t) is _Tensor and t.dtype == dt for t in operands):
            try:
                return torch.einsum(subscripts, *operands)
            except RuntimeError:
                pass  # the path below raises the explained error
    unknown = set(kwargs) - {"optimize"}
    if unknown:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(unknown)}.")
    if not operands:
        raise ValueError("einsum: pass at least one operand after `subscripts`.")
    ts = [as_tensor(t) for t in operands]
    if all(t.dtype == torch.int8 for t in ts):
        out = torch.int32
    else:
        ts = list(to_tensors(*ts)) if len(ts) > 1 else ts
        out = ts[0].dtype
    compute = _compute_dtype(out, ts[0].device)
    try:
        r = torch.einsum(subscripts, *[t if t.dtype == compute else t.to(compute) for t in ts])
    except RuntimeError as exc:
        shapes = ", ".join(str(tuple(t.shape)) for t in ts)
        raise ValueError(f"einsum: {subscripts!r} does not fit shapes {shapes} ({exc}).") from None
    if out == torch.bool:
        return r != 0
    return r if r.dtype == out else r.to(out)


def cross(
    x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None
) -> torch.Tensor:
    """The cross product of 2- or 3-vectors along ``axisa``/``axisb`` (``axis`` sets all three)."""
    a, b = as_tensor_pair(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = torch.movedim(a, canonical_axis("cross", axisa, a.ndim, a.shape, "axisa"), -1)
    b = torch.movedim(b, canonical_axis("cross", axisb, b.ndim, b.shape, "axisb"), -1)
    da, db = a.shape[-1], b.shape[-1]
    if da not in (2, 3) or db not in (2, 3):
        raise ValueError(
            f"cross: the vector axes must have 2 or 3 elements; got {da} (axisa={axisa}) and "
            f"{db} (axisb={axisb})."
        )
    if a.dtype == torch.bool:
        raise TypeError("cross: bool inputs are not supported; cast them to a number dtype.")
    if da == 2:
        a = F.pad(a, (0, 1))
    if db == 2:
        b = F.pad(b, (0, 1))
    shape = broadcast_shape(a.shape, b.shape)
    if shape is None:
        raise _shape_error("cross", a, b, RuntimeError("the batch axes do not broadcast"))
    c = torch.linalg.cross(a.expand(shape), b.expand(shape), dim=-1)
    if da == 2 and db == 2:
        return c[..., 2]
    return torch.movedim(c, -1, canonical_axis("cross", axisc, c.ndim, c.shape, "axisc"))


# --- reductions of a matrix ------------------------------------------------------------------
_TRACE_DTYPES = {
    torch.bool: torch.int32,
    torch.int8: torch.int32,
    torch.int16: torch.int32,
    torch.uint8: torch.uint32,
    torch.uint16: torch.uint32,
}


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """Sum along the ``offset`` diagonal of the planes of ``axis1``/``axis2``."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"trace: `x` must have at least 2 dimensions. Received: {tuple(x.shape)}")
    a = canonical_axis("trace", axis1, x.ndim, x.shape, "axis1")
    b = canonical_axis("trace", axis2, x.ndim, x.shape, "axis2")
    if a == b:
        raise ValueError(
            f"trace: `axis1` and `axis2` cannot be the same. Received: {axis1}, {axis2}"
        )
    out = _TRACE_DTYPES.get(x.dtype, x.dtype)
    d = torch.diagonal(x, int(offset), a, b)
    if out == torch.uint32:
        return d.sum(-1, dtype=torch.int64).to(out)
    return d.sum(-1, dtype=out)


def slogdet(x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(sign, log|det|)`` of the square matrices in the last two axes of ``x``."""
    x = as_tensor(x)
    out = x.dtype
    if not (out.is_floating_point or out.is_complex):
        out = to_torch_dtype(config.floatx())
    compute = torch.float32 if out in (torch.float16, torch.bfloat16) else out
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"slogdet: `x` must be square matrices in its last two axes. Received: {tuple(x.shape)}"
        )
    sign, logabsdet = torch.linalg.slogdet(x.to(compute))
    return sign.to(out), logabsdet.to(out.to_real())


# --- signals ---------------------------------------------------------------------------------
def _correlate_dtype(a: torch.Tensor, b: torch.Tensor) -> torch.dtype:
    tdt = result_dtype(a, b)
    if tdt == torch.int64:
        return torch.float64
    if tdt in (torch.bfloat16, torch.float16, torch.float64):
        return tdt
    return torch.float32


def correlate(x1: Any, x2: Any, mode: str = "valid") -> torch.Tensor:
    """Cross-correlation of two 1-D tensors (modes 'valid', 'same', 'full', as in NumPy)."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: invalid mode {mode!r}; pass one of 'full', 'same', 'valid'.")
    a, b = as_tensor(x1), as_tensor(x2)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(
            f"correlate: inputs must be 1-D. Received shapes {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if a.numel() == 0 or b.numel() == 0:
        raise ValueError("correlate: inputs cannot be empty.")
    out = _correlate_dtype(a, b)
    compute = torch.float32 if out in (torch.float16, torch.bfloat16) else out
    a, b = a.to(compute), b.to(device=a.device, dtype=compute)
    flipped = b.numel() > a.numel()
    if flipped:  # NumPy: correlate(v, a) reversed
        a, b = b, a
    n, m = a.numel(), b.numel()
    pad = 0 if mode == "valid" else m - 1
    r = F.conv1d(F.pad(a, (pad, pad)).reshape(1, 1, -1), b.reshape(1, 1, -1)).reshape(-1)
    if mode == "same":
        start = (m - 1) // 2
        r = r[start : start + n]
    if flipped:
        r = torch.flip(r, (0,))
    return r.to(out)


def corrcoef(x: Any) -> torch.Tensor:
    """Pearson correlation coefficients of the rows of ``x`` (variables in rows)."""
    x = as_tensor(x)
    if x.dtype.is_floating_point or x.dtype.is_complex:
        out = x.dtype
    elif x.dtype == torch.int64:
        out = torch.float64
    else:
        out = to_torch_dtype(config.floatx())
    if x.ndim == 0:
        return torch.tensor(float("nan"), dtype=to_torch_dtype(config.floatx()), device=x.device)
    if x.ndim > 2:
        raise ValueError(f"corrcoef: `x` must be 1-D or 2-D. Received: x.shape={tuple(x.shape)}")
    compute = torch.float32 if out in (torch.float16, torch.bfloat16) else out
    xc = x.to(compute)
    xc = xc - xc.mean(dim=-1, keepdim=True)
    cov = torch.matmul(xc, xc.transpose(-1, -2).conj() if xc.ndim == 2 else xc.conj())
    cov = cov / (x.shape[-1] - 1)
    std = torch.sqrt(torch.diagonal(cov).real if cov.ndim == 2 else cov.real)
    corr = cov / (torch.outer(std, std) if cov.ndim == 2 else std * std)
    if corr.is_complex():
        corr = torch.complex(corr.real.clamp(-1, 1), corr.imag.clamp(-1, 1))
    else:
        corr = corr.clamp(-1, 1)
    return corr.to(out)


def vander(x: Any, N: Any = None, increasing: bool = False) -> torch.Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns are powers of ``x``."""
    x = as_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: `x` must be 1-D. Received: x.shape={tuple(x.shape)}")
    if N is not None and not isinstance(N, int):
        raise TypeError(f"vander: `N` must be an int. Received: N={N!r}")
    if N is not None and N < 0:
        raise ValueError(f"vander: `N` must be non-negative. Received: N={N}")
    if not isinstance(increasing, bool):
        raise TypeError(f"vander: `increasing` must be a bool. Received: {increasing!r}")
    n = x.shape[0] if N is None else N
    compute = to_torch_dtype(result_type(x.dtype, "float32"))
    powers = torch.arange(n, dtype=compute, device=x.device)
    if not increasing:
        powers = torch.flip(powers, (0,))
    return torch.pow(x.to(compute).unsqueeze(-1), powers).to(x.dtype)


def diff(a: Any, n: int = 1, axis: int = -1) -> torch.Tensor:
    """The ``n``-th discrete difference along ``axis`` (``!=`` for bool)."""
    x = as_tensor(a)
    if n < 0:
        raise ValueError(f"diff: the order `n` must be non-negative. Received: n={n}")
    if n == 0:
        return x
    if x.ndim == 0:
        raise ValueError("diff: the input must have at least 1 dimension; got a scalar.")
    ax = canonical_axis("diff", axis, x.ndim, x.shape)
    if n >= x.shape[ax]:
        shape = list(x.shape)
        shape[ax] = 0
        return x.new_empty(shape)
    return torch.diff(x, n=n, dim=ax)


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> torch.Tensor:
    """The integral of ``y`` along ``axis`` by the trapezoidal rule (spacing ``x`` or ``dx``)."""
    yt = as_tensor(y)
    out = to_torch_dtype(result_type(yt.dtype, float))
    yt = yt.to(out)
    ax = canonical_axis("trapezoid", axis, builtins.max(yt.ndim, 1), yt.shape)
    if x is None:
        return torch.trapezoid(yt, dx=float(dx), dim=ax)
    xt = to_tensor(x, out, yt.device)
    try:
        return torch.trapezoid(yt, xt, dim=ax)
    except RuntimeError as exc:
        raise ValueError(
            f"trapezoid: sample points `x` (shape {tuple(xt.shape)}) do not fit `y` (shape "
            f"{tuple(yt.shape)}) along axis {axis} ({exc})."
        ) from None
