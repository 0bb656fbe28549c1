"""Keras's quantile family on torch: ``quantile``, ``percentile``, ``median`` and
their NaN-skipping variants (``keras.ops`` names, same signatures).

One routine serves all six: the reduced axes move to the end and flatten
into one, that axis is sorted, and each ``q`` picks (``lower``, ``higher``,
``nearest`` — ties to even — or ``midpoint``) or interpolates (``linear``)
between the two order statistics around ``(n - 1) * q``, as Keras does on
its TensorFlow backend. The result has ``q``'s dimensions first, then the
kept axes (the reduced ones kept as 1 with ``keepdims=True``), as NumPy.

- ``quantile``/``percentile``/``median``: computed in ``result_type(x,
  float)`` (integers give ``floatx()``); a NaN in a slice makes it NaN.
- ``nan*``: NaNs are left out of each slice (``n`` counts the rest); an
  all-NaN slice gives NaN.
- ``percentile`` divides ``q`` by 100 in ``floatx()`` as Keras; a CPU ``q``
  outside [0, 1] (or [0, 100]) raises an error, as NumPy (Keras's TensorFlow
  backend clips the indices instead).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import to_torch_dtype
from torchbridge.errors import InputError
from torchbridge.ops._convert import to_tensor
from torchbridge.ops.numpy_reductions import dims

__all__ = [
    "median",
    "nanmedian",
    "nanpercentile",
    "nanquantile",
    "percentile",
    "quantile",
]

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _select(sorted_rows: torch.Tensor, count: torch.Tensor, q: torch.Tensor, method: str) -> Any:
    """The ``q`` quantiles (last axis, ``(..., q.numel())``) of rows sorted ascending whose
    first ``count`` entries are valid (``count`` broadcasts against the rows' ``(..., 1)``)."""
    last = (count - 1).to(torch.float64)
    position = last * q.reshape(-1)  # (..., nq)

    def pick(index: torch.Tensor) -> torch.Tensor:
        index = torch.minimum(index.to(torch.int64), count - 1).clamp_min(0)
        index = index.expand(*sorted_rows.shape[:-1], index.shape[-1])
        return torch.gather(sorted_rows, -1, index)

    if method == "lower":
        return pick(torch.floor(position))
    if method == "higher":
        return pick(torch.ceil(position))
    if method == "nearest":
        return pick(torch.round(position))  # ties to even, as Keras
    if method == "midpoint":
        return 0.5 * (pick(torch.floor(position)) + pick(torch.ceil(position)))
    # linear: between the neighbours around position, weights as Keras's TF backend
    upper = torch.minimum(torch.ceil(position), last).clamp_min(0)
    lower = (upper - 1).clamp_min(0)
    upper = torch.minimum(lower + 1, last.clamp_min(0))
    fraction = (upper - position).to(sorted_rows.dtype)
    return pick(upper) * (1 - fraction) + pick(lower) * fraction


def _quantile(
    op: str, x: Any, q: Any, axis: Any, method: str, keepdims: bool, skip_nan: bool
) -> torch.Tensor:
    if method not in _METHODS:
        raise InputError(f"{op}: unknown method={method!r}; pass one of {', '.join(_METHODS)}.")
    x = to_tensor(x)
    if not x.is_floating_point():
        x = x.to(to_torch_dtype(config.floatx()))
    q = q.to(device=x.device, dtype=torch.float64)
    reduced = dims(op, x, axis)
    kept = [i for i in range(x.ndim) if i not in reduced]
    kept_shape = [x.shape[i] for i in kept]
    size = math.prod(x.shape[i] for i in reduced)
    if size == 0 and not skip_nan:
        raise InputError(
            f"{op}: cannot take a quantile over an empty axis (input shape "
            f"{tuple(x.shape)}, axis={axis!r}); pass a non-empty input."
        )
    rows = x.permute((*kept, *reduced)).reshape((*kept_shape, size))
    if size == 0:  # nan* ops over an empty axis: every slice is all-NaN
        out = torch.full((*kept_shape, q.numel()), torch.nan, dtype=x.dtype, device=x.device)
    elif skip_nan:
        nan = torch.isnan(rows)
        count = (~nan).sum(dim=-1, keepdim=True)  # (..., 1): the non-NaN entries per slice
        out = _select(torch.sort(rows.masked_fill(nan, torch.inf), dim=-1).values, count, q, method)
        out = out.masked_fill(count == 0, torch.nan)
    else:
        count = torch.full((1,), size, device=x.device)
        out = _select(torch.sort(rows, dim=-1).values, count, q, method)
        out = out.masked_fill(torch.isnan(rows).any(dim=-1, keepdim=True), torch.nan)
    if keepdims:
        kept_shape = [1 if i in reduced else n for i, n in enumerate(x.shape)]
    out = out.reshape((*kept_shape, *q.shape))
    rank = len(kept_shape)
    return out.movedim(tuple(range(rank, out.ndim)), tuple(range(q.ndim)))


def _q(op: str, q: Any, percent: bool, floatx: bool = True) -> torch.Tensor:
    """``q`` as a tensor (in floatx for percentiles and nan*, as Keras), checked and
    scaled to [0, 1]. A q on an accelerator is not checked: that would wait for it."""
    q = to_tensor(q, config.floatx() if floatx else None)
    upper = 100 if percent else 1
    if q.device.type == "cpu" and q.numel() and bool(((q < 0) | (q > upper)).any()):
        raise InputError(f"{op}: q must lie in [0, {upper}]; got q={q.tolist()!r}.")
    return q / 100.0 if percent else q


def quantile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """The ``q``-th quantiles (``q`` in [0, 1]) of ``x`` over ``axis``."""
    return _quantile("quantile", x, _q("quantile", q, False, False), axis, method, keepdims, False)


def percentile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """The ``q``-th percentiles (``q`` in [0, 100]) of ``x`` over ``axis``."""
    return _quantile("percentile", x, _q("percentile", q, True), axis, method, keepdims, False)


def median(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The median of ``x`` over ``axis`` (the mean of the middle two for even counts)."""
    return _quantile("median", x, to_tensor(0.5), axis, "linear", keepdims, False)


def nanquantile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """``quantile`` ignoring NaNs (NaN for an all-NaN slice)."""
    return _quantile("nanquantile", x, _q("nanquantile", q, False), axis, method, keepdims, True)


def nanpercentile(
    x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False
) -> Any:
    """``percentile`` ignoring NaNs (NaN for an all-NaN slice)."""
    return _quantile("nanpercentile", x, _q("nanpercentile", q, True), axis, method, keepdims, True)


def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``median`` ignoring NaNs (NaN for an all-NaN slice); ``axis=()`` returns ``x``."""
    if axis == () or axis == []:
        return to_tensor(x)
    return _quantile("nanmedian", x, to_tensor(0.5), axis, "linear", keepdims, True)
