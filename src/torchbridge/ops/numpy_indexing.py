"""keras.ops.numpy indexing, sorting, searching and counting on torch: take,
take_along_axis, get_item, nonzero, select, sort/argsort/argpartition,
searchsorted, digitize, isin, unique, unravel_index, bincount and histogram
(Keras's names, signatures and result dtypes; re-exported by ``ops.numpy``).

Index results are int32 as in Keras (``argsort``, ``argpartition``,
``nonzero``, ``searchsorted``, ``digitize``, the extra outputs of ``unique``);
negative indices count from the end (``take``, ``take_along_axis``).
Where Keras's TensorFlow backend has a known artefact we follow NumPy and
Keras's other backends instead: ``argpartition`` partitions the real values
(TF truncates them to int32 first), ``digitize`` compares against the exact
bins (TF rounds them to float32) and also takes decreasing bins.
"""

from __future__ import annotations

import builtins
from typing import Any

import torch

from torchbridge.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import to_tensor, to_tensors
from torchbridge.ops._numpy_axes import as_tensor, as_tensor_pair, broadcast_shape, canonical_axis

__all__ = [
    "argpartition",
    "argsort",
    "bincount",
    "digitize",
    "get_item",
    "histogram",
    "isin",
    "nonzero",
    "searchsorted",
    "select",
    "sort",
    "take",
    "take_along_axis",
    "unique",
    "unravel_index",
]

_Tensor = torch.Tensor
_INT32 = torch.int32
_INT32_MAX = 2**31 - 1


def _index_tensor(op: str, indices: Any, device: Any) -> torch.Tensor:
    idx = indices if type(indices) is _Tensor else to_tensor(indices, device=device)
    if idx.dtype.is_floating_point or idx.dtype.is_complex or idx.dtype == torch.bool:
        raise TypeError(
            f"{op}: `indices` must be integers. Received dtype {standardize_dtype(idx.dtype)}; "
            "cast them with ops.cast(indices, 'int32')."
        )
    return idx if idx.device == device else idx.to(device)


# --- gathering -------------------------------------------------------------------------
def get_item(x: Any, key: Any) -> Any:
    """``x[key]`` with NumPy's indexing rules."""
    x = as_tensor(x)
    try:
        return x[key]
    except IndexError as exc:
        raise IndexError(
            f"get_item: key {key!r} does not fit shape {tuple(x.shape)} ({exc})."
        ) from None


def take(x: Any, indices: Any, axis: Any = None) -> torch.Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (the flattened ``x`` when None)."""
    x = as_tensor(x)
    if axis is None:
        x, ax = x.reshape(-1), 0
    else:
        ax = canonical_axis("take", axis, x.ndim, x.shape)
    idx = _index_tensor("take", indices, x.device)
    try:  # advanced indexing counts negative indices from the end, as take does
        return x[idx] if ax == 0 else x[(slice(None),) * ax + (idx,)]
    except (IndexError, RuntimeError):
        n = x.shape[ax]
        raise ValueError(
            f"take: indices must lie in [{-n}, {n}) for axis {ax} of shape {tuple(x.shape)}. "
            f"Received values in [{int(idx.min())}, {int(idx.max())}]."
        ) from None


def take_along_axis(x: Any, indices: Any, axis: Any = None) -> torch.Tensor:
    """Values of ``x`` at ``indices`` along ``axis``; other axes broadcast (flattened if None)."""
    x = as_tensor(x)
    idx = _index_tensor("take_along_axis", indices, x.device)
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(
                "take_along_axis: `indices` must be 1-D when axis=None. "
                f"Received: indices.shape={tuple(idx.shape)}"
            )
        x, ax = x.reshape(-1), 0
    else:
        ax = canonical_axis("take_along_axis", axis, x.ndim, x.shape)
    if idx.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: `x` (shape {tuple(x.shape)}) and `indices` (shape "
            f"{tuple(idx.shape)}) must have the same number of dimensions."
        )
    n = x.shape[ax]
    xs, ids = list(x.shape), list(idx.shape)
    xs[ax] = ids[ax] = 1
    if xs != ids:
        batch = broadcast_shape(xs, ids)
        if batch is None:
            raise ValueError(
                f"take_along_axis: shapes {tuple(x.shape)} and {tuple(idx.shape)} do not "
                f"broadcast outside axis {ax}."
            )
        x = x.expand((*batch[:ax], n, *batch[ax + 1 :]))
        idx = idx.expand((*batch[:ax], idx.shape[ax], *batch[ax + 1 :]))
    if idx.dtype != torch.int64:
        idx = idx.long()
    idx = torch.where(idx < 0, idx + n, idx)
    try:
        return torch.gather(x, ax, idx)
    except (RuntimeError, IndexError):
        raise ValueError(
            f"take_along_axis: indices must lie in [{-n}, {n}) for axis {ax} of shape "
            f"{tuple(x.shape)}."
        ) from None


def nonzero(x: Any) -> tuple[torch.Tensor, ...]:
    """The indices of the non-zero elements of ``x``, one int32 tensor per axis."""
    x = as_tensor(x)
    return tuple(i.to(_INT32) for i in torch.nonzero(x, as_tuple=True))


def select(condlist: Any, choicelist: Any, default: Any = 0) -> torch.Tensor:
    """Per element, the choice of the first true condition (``default`` where none is)."""
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError(
            "select: `condlist` and `choicelist` must be lists. Received: "
            f"type(condlist)={type(condlist).__name__}, "
            f"type(choicelist)={type(choicelist).__name__}"
        )
    if not condlist or not choicelist:
        raise ValueError("select: `condlist` and `choicelist` must not be empty.")
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: `condlist` ({len(condlist)} entries) and `choicelist` "
            f"({len(choicelist)} entries) must have the same length."
        )
    *choices, fill = to_tensors(*choicelist, default)
    device = choices[0].device
    conds = [as_tensor(c).to(device=device, dtype=torch.bool) for c in condlist]
    try:
        out = fill
        for cond, choice in zip(reversed(conds), reversed(choices)):
            out = torch.where(cond, choice, out)
    except RuntimeError as exc:
        shapes = [tuple(t.shape) for t in [*conds, *choices]]
        raise ValueError(
            f"select: conditions and choices do not broadcast: {shapes} ({exc})."
        ) from None
    return out


# --- sorting ---------------------------------------------------------------------------
def _flat_or_axis(op: str, x: torch.Tensor, axis: Any) -> tuple[torch.Tensor, int]:
    if axis is None:
        return x.reshape(-1), 0
    return x, canonical_axis(op, axis, builtins.max(x.ndim, 1), x.shape)


def sort(x: Any, axis: Any = -1) -> torch.Tensor:
    """``x`` sorted along ``axis`` (the flattened ``x`` when None)."""
    x, ax = _flat_or_axis("sort", as_tensor(x), axis)
    return torch.sort(x, dim=ax).values


def argsort(x: Any, axis: Any = -1) -> torch.Tensor:
    """The int32 indices that sort ``x`` along ``axis`` (stable; flattened when None)."""
    x = as_tensor(x)
    if x.ndim == 0:
        return torch.zeros(1, dtype=_INT32, device=x.device)
    x, ax = _flat_or_axis("argsort", x, axis)
    return torch.argsort(x, dim=ax, stable=True).to(_INT32)


def argpartition(x: Any, kth: Any, axis: Any = -1) -> torch.Tensor:
    """int32 indices that put the ``kth`` smallest element in place, smaller ones before it."""
    x, ax = _flat_or_axis("argpartition", as_tensor(x), axis)
    n = x.shape[ax] if x.ndim else 1
    for k in kth if isinstance(kth, (list, tuple)) else (kth,):
        if not -n <= int(k) < n:
            raise ValueError(
                f"argpartition: kth={k} is out of bounds for axis {ax} of size {n} "
                f"(shape {tuple(x.shape)})."
            )
    # a stable full sort is a valid partition for every kth at once
    return torch.argsort(x, dim=ax, stable=True).to(_INT32)


# --- searching ---------------------------------------------------------------------------
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> torch.Tensor:
    """Insertion indices of ``values`` into the 1-D ``sorted_sequence`` (int32)."""
    seq, vals = as_tensor_pair(sorted_sequence, values)
    if seq.ndim != 1:
        raise ValueError(
            "searchsorted: `sorted_sequence` must be 1-D (use ops.vectorized_map for N-D). "
            f"Received: sorted_sequence.shape={tuple(seq.shape)}"
        )
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: `side` must be 'left' or 'right'. Received: {side!r}")
    if seq.dtype == torch.bool:
        seq, vals = seq.to(torch.uint8), vals.to(torch.uint8)
    out_int32 = seq.shape[0] <= _INT32_MAX
    return torch.searchsorted(seq, vals, side=side, out_int32=out_int32)


def _float_dtype_for(dtype: torch.dtype) -> torch.dtype:
    if dtype in (torch.float32, torch.float64):
        return dtype
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else torch.float64


def digitize(x: Any, bins: Any) -> torch.Tensor:
    """The int32 index of the bin of each element of ``x`` (``bins[i-1] <= x < bins[i]``)."""
    x = as_tensor(x)
    compute = _float_dtype_for(x.dtype)
    if isinstance(bins, (list, tuple)):  # exact Python floats, not floatx; no device sync
        values = [float(b) for b in bins]
        decreasing = len(values) > 1 and values[0] > values[-1]
        edges = torch.tensor(values, dtype=compute, device=x.device)
    else:
        edges = to_tensor(bins, device=x.device).reshape(-1).to(compute)
        decreasing = edges.numel() > 1 and bool(edges[0] > edges[-1])
    xc = x.to(compute)
    if decreasing:
        flipped = torch.flip(edges, (0,))
        return (edges.numel() - torch.bucketize(xc, flipped, right=True)).to(_INT32)
    return torch.bucketize(xc, edges, right=True, out_int32=True)


def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> torch.Tensor:
    """Whether each element of ``x1`` occurs in ``x2`` (a bool tensor shaped like ``x1``)."""
    a, b = as_tensor_pair(x1, x2)
    if a.dtype == torch.bool:
        a, b = a.to(torch.uint8), b.to(torch.uint8)
    return torch.isin(a, b, assume_unique=bool(assume_unique), invert=bool(invert))


def unravel_index(indices: Any, shape: Any) -> tuple[torch.Tensor, ...]:
    """The coordinates in an array of ``shape`` of flat ``indices`` (their dtype kept)."""
    if any(d is None for d in shape):
        raise ValueError(f"unravel_index: `shape` cannot contain None. Received: shape={shape}")
    idx = as_tensor(indices)
    coords = []
    for dim in reversed(tuple(shape)):
        coords.append(torch.remainder(idx, dim))
        idx = torch.div(idx, dim, rounding_mode="floor")
    return tuple(reversed(coords))


# --- unique ------------------------------------------------------------------------------
def unique(
    x: Any,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Any = None,
    size: Any = None,
    fill_value: Any = None,
) -> Any:
    """The unique elements of ``x`` (or unique slices along ``axis``) and optional extras.

    ``return_index``/``return_inverse``/``return_counts`` add int32 tensors:
    first occurrences, the map back to ``x`` and the counts. ``size`` pads
    (values with ``fill_value``, default 0; indices with 1; counts with 0) or
    truncates to a fixed length, as in Keras.
    """
    x = as_tensor(x)
    flat = axis is None
    if flat:
        src, ax = x.reshape(-1), 0
    else:
        src, ax = x, canonical_axis("unique", axis, x.ndim, x.shape)
    values, inverse, counts = torch.unique(
        src, sorted=True, return_inverse=True, return_counts=True, dim=None if flat else ax
    )
    n_unique = values.shape[ax]
    positions = torch.arange(src.shape[ax], device=x.device)
    first = torch.full((n_unique,), src.shape[ax], dtype=positions.dtype, device=x.device)
    first = first.scatter_reduce(0, inverse.reshape(-1), positions, "amin")
    if not sorted:  # order of first occurrence
        order = torch.argsort(first)
        rank = torch.empty_like(order)
        rank[order] = torch.arange(n_unique, device=x.device)
        values, counts, first = values.index_select(ax, order), counts[order], first[order]
        inverse = rank[inverse]
    if size is not None:
        size = int(size)
        keep = builtins.min(size, n_unique)
        pad = size - keep
        values = values.narrow(ax, 0, keep)
        first, counts = first[:keep], counts[:keep]
        if pad:
            fill_shape = list(values.shape)
            fill_shape[ax] = pad
            fill = 0 if fill_value is None else fill_value
            values = torch.cat([values, values.new_full(fill_shape, fill)], dim=ax)
            first = torch.cat([first, first.new_ones(pad)])
            counts = torch.cat([counts, counts.new_zeros(pad)])
    results = [values]
    if return_index:
        results.append(first.to(_INT32))
    if return_inverse:
        results.append((inverse.reshape(x.shape) if flat else inverse.reshape(-1)).to(_INT32))
    if return_counts:
        results.append(counts.to(_INT32))
    return tuple(results) if len(results) > 1 else values


# --- counting ----------------------------------------------------------------------------
_WEIGHT_COMPUTE = (torch.int32, torch.int64, torch.float32, torch.float64)


def bincount(x: Any, weights: Any = None, minlength: Any = 0, sparse: bool = False) -> torch.Tensor:
    """Counts (or summed ``weights``) of each non-negative int in ``x``; 2-D ``x`` per row."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported on torch; pass sparse=False.")
    x = as_tensor(x)
    if x.dtype.is_floating_point or x.dtype.is_complex:
        raise TypeError(
            f"bincount: `x` must hold non-negative integers. Received dtype "
            f"{standardize_dtype(x.dtype)}; cast it with ops.cast(x, 'int32')."
        )
    if x.ndim not in (1, 2):
        raise ValueError(f"bincount: `x` must be 1-D or 2-D. Received: x.shape={tuple(x.shape)}")
    idx = x.long()
    if idx.numel() and int(idx.min()) < 0:
        raise ValueError(
            f"bincount: `x` must be non-negative. Received a minimum of {int(idx.min())}."
        )
    length = builtins.max(int(idx.max()) + 1 if idx.numel() else 0, int(minlength))
    if weights is None:
        out_dtype, w = _INT32, None
        compute = torch.int32
    else:
        w = as_tensor(weights).to(x.device)
        out_dtype = to_torch_dtype(result_type(x.dtype, w.dtype))
        compute = w.dtype
        if compute not in _WEIGHT_COMPUTE:
            compute = (
                torch.int32
                if not (compute.is_floating_point or compute.is_complex)
                else torch.float32
            )
        w = w.to(compute)
        if w.shape != x.shape:
            raise ValueError(
                f"bincount: `weights` (shape {tuple(w.shape)}) must match `x` (shape "
                f"{tuple(x.shape)})."
            )
    rows = 1 if x.ndim == 1 else x.shape[0]
    if x.ndim == 2:
        idx = idx + torch.arange(rows, device=x.device).unsqueeze(1) * length
    out = torch.zeros(rows * length, dtype=compute, device=x.device)
    src = torch.ones_like(idx, dtype=compute) if w is None else w
    out.index_add_(0, idx.reshape(-1), src.reshape(-1))
    out = out.reshape((*x.shape[:-1], length))
    return out if out.dtype == out_dtype else out.to(out_dtype)


def _linspace_like_tf(lo: torch.Tensor, hi: torch.Tensor, num: int) -> torch.Tensor:
    # start, start + i * (stop - start) / (num - 1) for the inner points, stop
    delta = (hi - lo) / builtins.max(num - 1, 1)
    inner = lo + torch.arange(1, builtins.max(num - 1, 1), dtype=lo.dtype, device=lo.device) * delta
    return torch.cat([lo.reshape(1), inner, hi.reshape(1)])[:num]


def histogram(x: Any, bins: Any = 10, range: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Counts of ``x`` in ``bins`` equal-width bins over ``range`` (default: min..max), and edges.

    Counts and edges take ``x``'s dtype, as in Keras.
    """
    if not isinstance(bins, int):
        raise TypeError(f"histogram: `bins` must be an int. Received: bins={bins!r}")
    if bins < 0:
        raise ValueError(f"histogram: `bins` must be non-negative. Received: bins={bins}")
    if range:
        if not isinstance(range, tuple) or len(range) < 2:
            raise ValueError(
                f"histogram: `range` must be a tuple of two numbers. Received: {range!r}"
            )
        if range[1] < range[0]:
            raise ValueError(
                f"histogram: the second element of `range` must not be below the first. "
                f"Received: range={range}"
            )
    x = as_tensor(x)
    if x.ndim > 1:
        raise ValueError(f"histogram: `x` must be 1-D. Received: x.shape={tuple(x.shape)}")
    if x.dtype == torch.bool:
        raise TypeError("histogram: `x` cannot be bool; cast it to an int or float dtype first.")
    compute = x.dtype if x.dtype.is_floating_point else torch.float64
    if range:
        # Python bounds are spaced in float32 (as Keras does), then cast to x's dtype
        compute = torch.float32
        lo = torch.tensor(float(range[0]), dtype=compute, device=x.device)
        hi = torch.tensor(float(range[1]), dtype=compute, device=x.device)
        x = x[(x >= range[0]) & (x <= range[1])]
    else:
        if x.numel() == 0:
            raise ValueError("histogram: `x` is empty; pass `range` to bin an empty tensor.")
        lo, hi = x.min().to(compute), x.max().to(compute)
    if bins == 0 and x.numel():
        raise ValueError(
            f"histogram: bins=0 cannot hold the {x.numel()} values of `x`; pass bins >= 1."
        )
    edges = _linspace_like_tf(lo, hi, bins + 1).to(x.dtype)
    which = torch.searchsorted(edges[1:-1].contiguous(), x, right=True)
    counts = torch.zeros(bins, dtype=x.dtype, device=x.device)
    counts.index_add_(0, which.reshape(-1), torch.ones_like(x).reshape(-1))
    return counts, edges
