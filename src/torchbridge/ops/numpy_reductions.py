"""Keras's NumPy-style reductions on torch: sums, products, means, spreads,
extrema, arg-extrema, logical reductions, cumulative sums/products, and
their NaN-skipping ``nan*`` variants (``keras.ops`` names, same signatures).

Dtypes follow Keras on its TensorFlow backend:

- ``sum``/``prod``/``nansum``: bool, int8 and int16 sum in int32 (uint8/uint16
  in uint32); every other dtype keeps its own (torch would widen to int64).
- ``mean``: integers and bool give float32; float16/bfloat16 are averaged in
  float32 and cast back. ``var``/``std``/``average``/``nanvar``: integers give
  ``floatx()``; ``nanmean`` of integers gives float32.
- ``argmax``/``argmin``/``nanarg*``/``count_nonzero``: int32.
- ``max``/``min`` of bool are ``any``/``all``; of an empty tensor an error.
- ``cumsum``/``cumprod`` keep the dtype (bool counts in int32); ``axis=None``
  flattens first.

``axis`` is ``None`` (all axes), an int, or a tuple/list of ints; ``axis=()``
reduces nothing. An axis out of range raises a ``ValueError`` naming the op, the
axis and the input's shape (``_numpy_axes.canonical_axis``, as the other
``numpy_*`` modules). Quantiles live in ``numpy_quantiles``.
"""

from __future__ import annotations

import operator
from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import result_type, to_torch_dtype
from torchbridge.errors import InputError
from torchbridge.ops._convert import to_tensor, to_tensors
from torchbridge.ops._numpy_axes import as_tensor, axes_tuple, canonical_axis

__all__ = [
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "average",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "max",
    "mean",
    "min",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanprod",
    "nanstd",
    "nansum",
    "nanvar",
    "prod",
    "ptp",
    "std",
    "sum",
    "var",
]

_Tensor = torch.Tensor
_I32 = torch.int32
_F32 = torch.float32
_HALF = (torch.float16, torch.bfloat16)
_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
# The accumulator dtype of sum/prod when it differs from the input's (JAX's rule, as Keras).
_WIDENED = {
    torch.bool: torch.int32,
    torch.int8: torch.int32,
    torch.int16: torch.int32,
    torch.int32: torch.int32,  # torch would give int64
    torch.uint8: torch.uint32,
    torch.uint16: torch.uint32,
}


# --- shared helpers ------------------------------------------------------------
def dims(op: str, x: torch.Tensor, axis: Any) -> tuple[int, ...]:
    """``axis`` as a tuple of non-negative axes of ``x`` (all axes for ``None``); a
    ``ValueError`` naming the op, axis and shape for an axis out of range or repeated."""
    if axis is None:
        return tuple(range(x.ndim))
    out = tuple(canonical_axis(op, a, x.ndim, x.shape) for a in axes_tuple(axis))
    if len(set(out)) != len(out):
        raise InputError(f"{op}: axis={axis!r} repeats an axis; pass each axis once.")
    return out


def _axes(axis: Any) -> Any:
    """A non-``int`` ``axis`` in the form torch's ``dim`` takes: a tuple, or an int
    for NumPy/torch integer scalars."""
    if type(axis) is tuple:
        return axis
    if isinstance(axis, (tuple, list)):
        return tuple(axis)
    return operator.index(axis)


def _reduce(
    op: str, fn: Any, x: torch.Tensor, axis: Any, keepdims: bool, dtype: Any = None
) -> torch.Tensor:
    """``fn(x, dim, keepdim[, dtype=])`` with Keras's ``axis`` (``()`` reduces nothing)."""
    try:
        if axis is None:
            out = fn(x) if dtype is None else fn(x, dtype=dtype)
            return out.reshape((1,) * x.ndim) if keepdims else out
        if type(axis) is not int:
            axis = _axes(axis)
            if axis == ():
                x, axis, keepdims = x.unsqueeze(-1), -1, False
        if dtype is None:
            return fn(x, axis, keepdims)
        return fn(x, axis, keepdims, dtype=dtype)
    except (IndexError, RuntimeError, TypeError, ZeroDivisionError) as exc:
        dims(op, x, axis)  # raises the named error for a bad axis
        raise exc


def _var0(x: torch.Tensor, dim: Any = None, keepdim: bool = False) -> torch.Tensor:
    return torch.var(x, dim, correction=0, keepdim=keepdim)


def _std0(x: torch.Tensor, dim: Any = None, keepdim: bool = False) -> torch.Tensor:
    return torch.std(x, dim, correction=0, keepdim=keepdim)


def _widened_reduce(op: str, fn: Any, x: torch.Tensor, axis: Any, keepdims: bool) -> Any:
    acc = _WIDENED.get(x.dtype)
    if acc is None:
        return _reduce(op, fn, x, axis, keepdims)
    if acc is torch.uint32:  # torch has no uint32 accumulators: count in int64
        return _reduce(op, fn, x, axis, keepdims, dtype=torch.int64).to(acc)
    return _reduce(op, fn, x, axis, keepdims, dtype=acc)


# --- sums and products ---------------------------------------------------------
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sum over ``axis`` (bool/int8/int16 in int32, as Keras)."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.dtype in _FLOATS:  # the fast path: torch's own dtype, no axis conversion
        if axis is None and not keepdims:
            return torch.sum(x)
        if type(axis) is int:
            try:
                return torch.sum(x, axis, keepdims)
            except IndexError:
                dims("sum", x, axis)
                raise
    return _widened_reduce("sum", torch.sum, x, axis, keepdims)


def _prod(x: torch.Tensor, dim: Any = None, keepdim: bool = False, **kw: Any) -> torch.Tensor:
    """torch.prod over one, several or all dims (torch.prod takes one)."""
    if dim is None:
        return torch.prod(x, **kw)
    if type(dim) is int:
        return torch.prod(x, dim, keepdim=keepdim, **kw)
    for d in sorted((d % x.ndim for d in dim), reverse=True):
        x = torch.prod(x, d, keepdim=keepdim, **kw)
    return x


def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """Product over ``axis``; ``dtype`` sets the accumulator and result dtype.

    Keras's TensorFlow backend ignores ``dtype`` when given; torchbridge honours
    it, as NumPy and Keras's JAX/torch backends do.
    """
    x = as_tensor(x)
    if dtype is not None:
        x = x.to(to_torch_dtype(dtype))
    if x.dtype in _HALF and x.device.type == "cpu":
        return _reduce("prod", _prod, x.to(_F32), axis, keepdims).to(x.dtype)
    return _widened_reduce("prod", _prod, x, axis, keepdims)


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``sum`` with NaNs counted as zero."""
    x = as_tensor(x)
    if x.is_floating_point():
        x = torch.nan_to_num(x, nan=0.0, posinf=torch.inf, neginf=-torch.inf)
    return _widened_reduce("nansum", torch.sum, x, axis, keepdims)


def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``prod`` with NaNs counted as one."""
    x = as_tensor(x)
    if x.is_floating_point():
        x = torch.nan_to_num(x, nan=1.0, posinf=torch.inf, neginf=-torch.inf)
    return prod(x, axis=axis, keepdims=keepdims)


# --- means and spreads ---------------------------------------------------------
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean (integers give float32; half precision averaged in float32)."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    dt = x.dtype
    if dt is _F32 or dt is torch.float64:
        if axis is None and not keepdims:
            return torch.mean(x)
        if type(axis) is int:
            try:
                return torch.mean(x, axis, keepdims)
            except IndexError:
                dims("mean", x, axis)
                raise
        return _reduce("mean", torch.mean, x, axis, keepdims)
    if dt in _HALF:
        return _reduce("mean", torch.mean, x.to(_F32), axis, keepdims).to(dt)
    out = to_torch_dtype(result_type(dt, "float32"))
    return _reduce("mean", torch.mean, x.to(out), axis, keepdims)


def _float_input(x: Any) -> torch.Tensor:
    """``x`` cast to ``result_type(x, float)`` (integers and bool become floatx)."""
    x = as_tensor(x)
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(to_torch_dtype(config.floatx()))


def _spread(op: str, fn: Any, x: Any, axis: Any, keepdims: bool) -> torch.Tensor:
    """torch.var/std with ``correction=0``, half precision computed in float32."""
    x = _float_input(x)
    dt = x.dtype
    src = x.to(_F32) if dt in _HALF else x
    if src.numel() == 0:  # NaN like NumPy, without torch's degrees-of-freedom warning
        out = _reduce(op, torch.mean, src, axis, keepdims) * torch.nan
    else:
        out = _reduce(op, fn, src, axis, keepdims)
    return out if out.dtype == dt else out.to(dt)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population variance (``ddof=0``)."""
    return _spread("var", _var0, x, axis, keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population standard deviation (``ddof=0``)."""
    return _spread("std", _std0, x, axis, keepdims)


def average(x: Any, axis: Any = None, weights: Any = None) -> Any:
    """Weighted average along ``axis``; 1-D ``weights`` may weigh a single axis."""
    if weights is None:
        x = _float_input(x)
        return _reduce("average", torch.mean, x, axis, False)
    x, w = to_tensors(x, weights)
    if not x.is_floating_point() and not x.is_complex():
        fx = to_torch_dtype(result_type(x.dtype, float))
        x, w = x.to(fx), w.to(fx)
    if axis is None or x.ndim == w.ndim:
        return _reduce("average", torch.sum, x * w, axis, False) / _reduce(
            "average", torch.sum, w, axis, False
        )
    (ax,) = dims("average", x, axis)
    if w.ndim != 1 or w.shape[0] != x.shape[ax]:
        raise InputError(
            f"average: 1-D weights must have the length of axis {axis} of x (shape "
            f"{tuple(x.shape)}); got weights of shape {tuple(w.shape)}."
        )
    return torch.tensordot(x, w, dims=([ax], [0])) / torch.sum(w)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Mean of the non-NaN entries (NaN where there are none)."""
    x = as_tensor(x)
    if axis == () or axis == []:
        return x
    if not x.is_floating_point():
        return _reduce("nanmean", torch.mean, x.to(_F32), axis, keepdims)
    valid = ~torch.isnan(x)
    total = _reduce("nanmean", torch.sum, torch.where(valid, x, 0), axis, keepdims)
    count = _reduce("nanmean", torch.sum, valid, axis, keepdims, dtype=x.dtype)
    return total / count


def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population variance of the non-NaN entries."""
    x = _float_input(x)
    valid = ~torch.isnan(x)
    centre = nanmean(x, axis=axis, keepdims=True)
    squares = torch.where(valid, x - centre, 0).square()
    count = _reduce("nanvar", torch.sum, valid, axis, keepdims, dtype=x.dtype)
    return _reduce("nanvar", torch.sum, squares, axis, keepdims) / count


def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population standard deviation of the non-NaN entries."""
    return torch.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


# --- extrema ---------------------------------------------------------------------
def _filled(op: str, x: torch.Tensor, axis: Any, keepdims: bool, value: Any) -> torch.Tensor:
    """The result shape of reducing ``x`` over ``axis``, filled with ``value``."""
    reduced = dims(op, x, axis)
    shape = [
        1 if i in reduced else n for i, n in enumerate(x.shape) if keepdims or i not in reduced
    ]
    return torch.full(shape, value, dtype=x.dtype, device=x.device)


def _extreme(
    op: str, largest: bool, x: Any, axis: Any, keepdims: bool, initial: Any
) -> torch.Tensor:
    x = as_tensor(x)
    if x.numel() == 0:
        if initial is None:
            raise InputError(
                f"{op}: cannot compute the {op} of an empty tensor (shape "
                f"{tuple(x.shape)}); pass `initial=` or a non-empty input."
            )
        return _filled(op, x, axis, keepdims, initial)
    if x.dtype == torch.bool:
        fn = torch.any if largest else torch.all
        out = _reduce(op, fn, x, axis, keepdims)
        if initial is not None:
            out = out | bool(initial) if largest else out & bool(initial)
        return out
    if axis is None and not keepdims:
        out = torch.max(x) if largest else torch.min(x)
    else:
        out = _reduce(op, torch.amax if largest else torch.amin, x, axis, keepdims)
    if initial is not None:
        out = torch.clamp(out, min=initial) if largest else torch.clamp(out, max=initial)
    return out


def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:
    """Maximum over ``axis``, at least ``initial`` when given."""
    # the fast path; empty inputs take the slow one (an error, as Keras)
    if type(x) is _Tensor and type(axis) is int and initial is None and x.dtype in _FLOATS:
        try:
            if x.numel():
                return torch.amax(x, axis, keepdims)
        except IndexError:
            pass
    return _extreme("max", True, x, axis, keepdims, initial)


def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:
    """Minimum over ``axis``, at most ``initial`` when given."""
    # the fast path; empty inputs take the slow one (an error, as Keras)
    if type(x) is _Tensor and type(axis) is int and initial is None and x.dtype in _FLOATS:
        try:
            if x.numel():
                return torch.amin(x, axis, keepdims)
        except IndexError:
            pass
    return _extreme("min", False, x, axis, keepdims, initial)


def amax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum over ``axis`` (``max`` without ``initial``)."""
    return _extreme("amax", True, x, axis, keepdims, None)


def amin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum over ``axis`` (``min`` without ``initial``)."""
    return _extreme("amin", False, x, axis, keepdims, None)


def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Range (maximum minus minimum) over ``axis``."""
    x = as_tensor(x)
    if x.dtype == torch.bool:
        raise InputError(
            "ptp: a bool input has no subtraction; cast it first, e.g. ops.cast(x, 'int32')."
        )
    if x.numel() == 0:
        raise InputError(
            f"ptp: cannot compute the range of an empty tensor (shape {tuple(x.shape)}); "
            "pass a non-empty input."
        )
    return _reduce("ptp", torch.amax, x, axis, keepdims) - _reduce(
        "ptp", torch.amin, x, axis, keepdims
    )


def _nan_extreme(op: str, largest: bool, x: Any, axis: Any, keepdims: bool) -> Any:
    x = as_tensor(x)
    if not x.is_floating_point():
        return _extreme(op, largest, x, axis, keepdims, None)
    if x.numel() == 0:  # every slice is "all NaN"
        return _filled(op, x, axis, keepdims, torch.nan)
    nan = torch.isnan(x)
    fill = -torch.inf if largest else torch.inf
    out = _reduce(
        op, torch.amax if largest else torch.amin, x.masked_fill(nan, fill), axis, keepdims
    )
    return out.masked_fill(_reduce(op, torch.all, nan, axis, keepdims), torch.nan)


def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum ignoring NaNs (NaN where a slice is all NaN)."""
    return _nan_extreme("nanmax", True, x, axis, keepdims)


def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum ignoring NaNs (NaN where a slice is all NaN)."""
    return _nan_extreme("nanmin", False, x, axis, keepdims)


# --- arg-extrema -----------------------------------------------------------------
def _arg(op: str, largest: bool, x: Any, axis: Any, keepdims: bool) -> torch.Tensor:
    x = as_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    elif x.dtype in _HALF:
        x = x.to(_F32)
    fn = torch.argmax if largest else torch.argmin
    try:
        if axis is None:
            out = fn(x)
            if keepdims:
                out = out.reshape((1,) * x.ndim)
        else:
            if type(axis) is not int:
                if isinstance(axis, (tuple, list)):
                    raise InputError(f"{op}: axis must be an int or None; got axis={axis!r}.")
                axis = operator.index(axis)
            out = fn(x, dim=axis, keepdim=keepdims)
    except (IndexError, RuntimeError, ValueError) as exc:
        dims(op, x, axis)
        raise exc
    return out.to(_I32)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index (int32) of the maximum along ``axis``, of the flattened input for ``None``."""
    return _arg("argmax", True, x, axis, keepdims)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index (int32) of the minimum along ``axis``, of the flattened input for ``None``."""
    return _arg("argmin", False, x, axis, keepdims)


def _nan_arg(op: str, largest: bool, x: Any, axis: Any, keepdims: bool) -> Any:
    x = as_tensor(x)
    if not x.is_floating_point():
        return _arg(op, largest, x, axis, keepdims)
    nan = torch.isnan(x)
    out = _arg(
        op, largest, x.masked_fill(nan, -torch.inf if largest else torch.inf), axis, keepdims
    )
    return out.masked_fill(_reduce(op, torch.all, nan, axis, keepdims), -1)


def nanargmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``argmax`` ignoring NaNs; -1 where a slice is all NaN."""
    return _nan_arg("nanargmax", True, x, axis, keepdims)


def nanargmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``argmin`` ignoring NaNs; -1 where a slice is all NaN."""
    return _nan_arg("nanargmin", False, x, axis, keepdims)


# --- logical reductions and counts -----------------------------------------------
def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether every entry along ``axis`` is true (nonzero)."""
    x = as_tensor(x)
    if x.dtype != torch.bool:
        x = x != 0
    return _reduce("all", torch.all, x, axis, keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether some entry along ``axis`` is true (nonzero)."""
    x = as_tensor(x)
    if x.dtype != torch.bool:
        x = x != 0
    return _reduce("any", torch.any, x, axis, keepdims)


def count_nonzero(x: Any, axis: Any = None) -> Any:
    """Number (int32) of nonzero entries along ``axis``."""
    x = as_tensor(x)
    if axis is not None and type(axis) is not int:
        axis = _axes(axis)
        if axis == ():
            return (x != 0).to(_I32)
    try:
        return torch.count_nonzero(x, dim=axis).to(_I32)
    except (IndexError, RuntimeError) as exc:
        dims("count_nonzero", x, axis)
        raise exc


def allclose(
    x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Any:
    """Whether ``x1`` and ``x2`` are elementwise close: ``|x1-x2| <= atol + rtol*|x2|``."""
    x1, x2 = to_tensors(x1, x2)
    if not x1.is_floating_point():
        return torch.all(x1 == x2)
    return torch.all(torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


# --- cumulative ------------------------------------------------------------------
def _cumulative(op: str, fn: Any, x: Any, axis: Any, dtype: Any) -> torch.Tensor:
    x = to_tensor(x, dtype)
    dt = x.dtype
    if dt == torch.bool:
        x, dt = x.to(_I32), _I32
    if axis is None:
        x, axis = x.reshape(-1), 0
    try:
        return fn(x, dim=axis, dtype=dt)
    except (IndexError, RuntimeError, TypeError) as exc:
        dims(op, x, axis)
        raise exc


def cumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative sum along ``axis`` (the flattened input for ``None``)."""
    return _cumulative("cumsum", torch.cumsum, x, axis, dtype)


def cumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative product along ``axis`` (the flattened input for ``None``)."""
    return _cumulative("cumprod", torch.cumprod, x, axis, dtype)


def nancumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """``cumsum`` with NaNs counted as zero."""
    x = as_tensor(x)
    if x.is_floating_point():
        x = torch.nan_to_num(x, nan=0.0, posinf=torch.inf, neginf=-torch.inf)
    return _cumulative("nancumsum", torch.cumsum, x, axis, dtype)


def nancumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """``cumprod`` with NaNs counted as one."""
    x = as_tensor(x)
    if x.is_floating_point():
        x = torch.nan_to_num(x, nan=1.0, posinf=torch.inf, neginf=-torch.inf)
    return _cumulative("nancumprod", torch.cumprod, x, axis, dtype)
