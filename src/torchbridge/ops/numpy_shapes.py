"""keras.ops.numpy shape manipulation on torch: joining, splitting, reshaping,
axis moves, flips, padding, tiling and triangles (Keras's names, signatures and
dtype promotion; re-exported by ``ops.numpy``).

Joining ops (``concatenate``, ``stack``, ``append``, ``*stack``) promote their
inputs with ``backend.result_type``; everything else keeps the input's dtype.
Results are torch views where torch gives one (``broadcast_to``,
``diagonal``, ``transpose``...), as Keras's own torch backend does.
``hstack``/``vstack``/``dstack`` follow NumPy (``atleast_1d/2d/3d``), as
Keras's JAX, NumPy and torch backends do; Keras's TensorFlow backend
concatenates 1-D inputs of ``vstack`` without adding a row axis.

Axis checks and conversion come from ``ops/_numpy_axes.py``, shared with the
other ``numpy_*`` modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchbridge.backend.dtypes import standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import device_of, result_dtype, to_tensor
from torchbridge.ops._numpy_axes import as_tensor, axes_tuple, canonical_axis

__all__ = [
    "append",
    "array_split",
    "broadcast_to",
    "concatenate",
    "diag",
    "diagflat",
    "diagonal",
    "dsplit",
    "dstack",
    "expand_dims",
    "flip",
    "fliplr",
    "flipud",
    "hsplit",
    "hstack",
    "moveaxis",
    "ndim",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "rot90",
    "size",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "tile",
    "transpose",
    "tril",
    "triu",
    "view",
    "vsplit",
    "vstack",
]

_Tensor = torch.Tensor
_REVERSED: dict[int, tuple[int, ...]] = {}  # transpose's default permutation per rank


# --- joining helpers ----------------------------------------------------------
def promote_all(xs: Sequence[Any], op: str = "op") -> list[torch.Tensor]:
    """Tensors of ``xs`` converted to one ``result_type`` dtype on one device."""
    if isinstance(xs, _Tensor):
        return list(xs.unbind(0))
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors. Received: {type(xs).__name__}")
    if not xs:
        raise ValueError(f"{op}: needs at least one tensor; received an empty sequence.")
    device = device_of(*xs)
    ts = [x if type(x) is _Tensor else to_tensor(x, device=device) for x in xs]
    first = ts[0].dtype
    if all(t.dtype == first for t in ts):
        return ts
    tdt = result_dtype(*ts)
    return [t if t.dtype == tdt else t.to(tdt) for t in ts]


_SEQUENCES = (list, tuple)


def _same_dtype_tensors(xs: Sequence[Any]) -> bool:
    first = xs[0]
    if type(first) is not _Tensor:
        return False
    dt = first.dtype
    return all(type(t) is _Tensor and t.dtype == dt for t in xs)


def _shapes(ts: Sequence[torch.Tensor]) -> str:
    return ", ".join(str(tuple(t.shape)) for t in ts)


# --- joining ---------------------------------------------------------------------
def concatenate(xs: Any, axis: Any = 0) -> torch.Tensor:
    """Join tensors along an existing ``axis`` (``None`` flattens them first)."""
    if type(xs) in _SEQUENCES and xs and type(axis) is int and _same_dtype_tensors(xs):
        try:
            return torch.cat(xs, dim=axis)
        except (RuntimeError, IndexError):
            pass  # the slow path below raises the explained error
    ts = promote_all(xs, "concatenate")
    if axis is None:
        ts = [t.reshape(-1) for t in ts]
        axis = 0
    try:
        return torch.cat(ts, dim=axis)
    except (RuntimeError, IndexError) as exc:
        raise ValueError(
            f"concatenate: cannot join shapes {_shapes(ts)} along axis={axis}: every "
            f"dimension but the axis must match ({exc})."
        ) from None


def append(x1: Any, x2: Any, axis: Any = None) -> torch.Tensor:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when ``axis`` is None)."""
    return concatenate([x1, x2], axis=axis)


def stack(x: Any, axis: Any = 0) -> torch.Tensor:
    """Join same-shaped tensors along a new ``axis``."""
    if type(x) in _SEQUENCES and x and type(axis) is int and _same_dtype_tensors(x):
        try:
            return torch.stack(x, dim=axis)
        except (RuntimeError, IndexError):
            pass  # the slow path below raises the explained error
    ts = promote_all(x, "stack")
    try:
        return torch.stack(ts, dim=axis)
    except (RuntimeError, IndexError) as exc:
        raise ValueError(
            f"stack: cannot stack shapes {_shapes(ts)} along axis={axis}: all inputs must "
            f"have the same shape ({exc})."
        ) from None


def _joined(op: str, ts: list[torch.Tensor], axis: int) -> torch.Tensor:
    try:
        return torch.cat(ts, dim=axis)
    except (RuntimeError, IndexError) as exc:
        raise ValueError(f"{op}: cannot join shapes {_shapes(ts)} ({exc}).") from None


def hstack(xs: Any) -> torch.Tensor:
    """Join column-wise (axis 1; axis 0 for 1-D inputs)."""
    ts = [torch.atleast_1d(t) for t in promote_all(xs, "hstack")]
    return _joined("hstack", ts, 0 if ts[0].ndim == 1 else 1)


def vstack(xs: Any) -> torch.Tensor:
    """Join row-wise (axis 0, 1-D inputs becoming rows)."""
    ts = [torch.atleast_2d(t) for t in promote_all(xs, "vstack")]
    return _joined("vstack", ts, 0)


def dstack(xs: Any) -> torch.Tensor:
    """Join depth-wise (axis 2, inputs raised to at least 3-D)."""
    ts = [torch.atleast_3d(t) for t in promote_all(xs, "dstack")]
    return _joined("dstack", ts, 2)


# --- splitting -------------------------------------------------------------------
def split(x: Any, indices_or_sections: Any, axis: Any = 0) -> list[torch.Tensor]:
    """``x`` split into equal sections, or at the given indices, along ``axis``."""
    x = as_tensor(x)
    ax = canonical_axis("split", axis, x.ndim, x.shape)
    sections = indices_or_sections
    if not isinstance(sections, int) and getattr(sections, "ndim", None) == 0:
        sections = int(sections)  # a NumPy or 0-d tensor count
    if isinstance(sections, int):
        n = sections
        if n <= 0 or x.shape[ax] % n:
            raise ValueError(
                f"split: {n} sections do not divide axis {axis} of size {x.shape[ax]} evenly "
                f"(shape {tuple(x.shape)}); pass a divisor or use `array_split`."
            )
        return list(torch.tensor_split(x, n, dim=ax))
    indices = [int(i) for i in sections]
    return list(torch.tensor_split(x, indices, dim=ax))


def array_split(x: Any, indices_or_sections: Any, axis: Any = 0) -> list[torch.Tensor]:
    """``x`` split into ``indices_or_sections`` nearly equal parts (the first ones larger)."""
    if not isinstance(indices_or_sections, int):
        raise TypeError(
            "array_split: `indices_or_sections` must be an int. "
            f"Received: indices_or_sections={indices_or_sections!r}"
        )
    if indices_or_sections <= 0:
        raise ValueError(
            "array_split: `indices_or_sections` must be a positive integer. "
            f"Received: indices_or_sections={indices_or_sections}"
        )
    if not isinstance(axis, int):
        raise TypeError(f"array_split: `axis` must be an int. Received: axis={axis!r}")
    x = as_tensor(x)
    ax = canonical_axis("array_split", axis, x.ndim, x.shape)
    return list(torch.tensor_split(x, indices_or_sections, dim=ax))


def _split_at_least(op: str, x: Any, sections: Any, axis: int, min_ndim: int) -> list[torch.Tensor]:
    x = as_tensor(x)
    if x.ndim < min_ndim:
        raise ValueError(
            f"{op}: needs an input of at least {min_ndim} dimensions. "
            f"Received: shape {tuple(x.shape)}"
        )
    return split(x, sections, axis=axis)


def hsplit(x: Any, indices_or_sections: Any) -> list[torch.Tensor]:
    """Split along axis 1 (axis 0 for 1-D inputs)."""
    x = as_tensor(x)
    return _split_at_least("hsplit", x, indices_or_sections, 0 if x.ndim == 1 else 1, 1)


def vsplit(x: Any, indices_or_sections: Any) -> list[torch.Tensor]:
    """Split along axis 0."""
    return _split_at_least("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x: Any, indices_or_sections: Any) -> list[torch.Tensor]:
    """Split along axis 2."""
    return _split_at_least("dsplit", x, indices_or_sections, 2, 3)


# --- shape and axes ----------------------------------------------------------------
def ndim(x: Any) -> int:
    """The number of dimensions of ``x`` (a Python int)."""
    n = getattr(x, "ndim", None)
    return n if isinstance(n, int) else to_tensor(x).ndim


def size(x: Any) -> torch.Tensor:
    """The number of elements of ``x``, as a 0-d int32 tensor."""
    x = as_tensor(x)
    return torch.tensor(x.numel(), dtype=torch.int32, device=x.device)


def reshape(x: Any, newshape: Any) -> torch.Tensor:
    """``x`` with shape ``newshape`` (one dimension may be -1)."""
    x = as_tensor(x)
    if isinstance(newshape, _Tensor):
        newshape = newshape.tolist()
    try:
        return x.reshape(newshape)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.numel()} "
            f"elements) to newshape={newshape!r}; at most one dimension may be -1 and the "
            f"sizes must multiply to the element count ({exc})."
        ) from None


def ravel(x: Any) -> torch.Tensor:
    """``x`` flattened to 1-D."""
    return as_tensor(x).reshape(-1)


def broadcast_to(x: Any, shape: Any) -> torch.Tensor:
    """``x`` broadcast to ``shape`` (a view)."""
    x = as_tensor(x)
    try:
        return x.broadcast_to(tuple(shape) if isinstance(shape, list) else shape)
    except RuntimeError as exc:
        raise ValueError(
            f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to shape={shape!r} ({exc})."
        ) from None


def expand_dims(x: Any, axis: Any) -> torch.Tensor:
    """``x`` with new size-1 dimensions at ``axis`` (an int or a tuple)."""
    x = as_tensor(x)
    if type(axis) is int and -x.ndim - 1 <= axis <= x.ndim:
        return x.unsqueeze(axis)
    axes = axes_tuple(axis)
    out_ndim = x.ndim + len(axes)
    canon = sorted(canonical_axis("expand_dims", a, out_ndim, None) for a in axes)
    if len(set(canon)) != len(canon):
        raise ValueError(f"expand_dims: repeated axis in axis={axis!r}; pass distinct axes.")
    for a in canon:
        x = x.unsqueeze(a)
    return x


def squeeze(x: Any, axis: Any = None) -> torch.Tensor:
    """``x`` without its size-1 dimensions (only those in ``axis`` when given)."""
    x = as_tensor(x)
    if axis is None:
        return x.squeeze()
    if type(axis) is int and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        return x.squeeze(axis)
    axes = tuple(canonical_axis("squeeze", a, x.ndim, x.shape) for a in axes_tuple(axis))
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: cannot squeeze axis={a}: its size is {x.shape[a]}, not 1 "
                f"(shape {tuple(x.shape)})."
            )
    return x.squeeze(axes)


def transpose(x: Any, axes: Any = None) -> torch.Tensor:
    """``x`` with its axes permuted (reversed when ``axes`` is None)."""
    x = as_tensor(x)
    n = x.ndim
    if axes is None:
        reverse = _REVERSED.get(n)
        if reverse is None:
            reverse = _REVERSED[n] = tuple(range(n - 1, -1, -1))
        return x.permute(reverse)
    perm = [canonical_axis("transpose", a, n, x.shape, "axes") for a in axes]
    if sorted(perm) != list(range(n)):
        raise ValueError(
            "transpose: `axes` must be a permutation of the input dimensions (no duplicates). "
            f"Received: axes={list(axes)} for an input of shape {tuple(x.shape)}."
        )
    return x.permute(perm)


def swapaxes(x: Any, axis1: Any, axis2: Any) -> torch.Tensor:
    """``x`` with ``axis1`` and ``axis2`` interchanged."""
    x = as_tensor(x)
    n = x.ndim
    if type(axis1) is int and type(axis2) is int and -n <= axis1 < n and -n <= axis2 < n:
        return x.transpose(axis1, axis2)
    a = canonical_axis("swapaxes", axis1, x.ndim, x.shape, "axis1")
    b = canonical_axis("swapaxes", axis2, x.ndim, x.shape, "axis2")
    return x.transpose(a, b)


def moveaxis(x: Any, source: Any, destination: Any) -> torch.Tensor:
    """``x`` with the axes ``source`` moved to positions ``destination``."""
    x = as_tensor(x)
    if type(source) is int and type(destination) is int:
        n = x.ndim
        if -n <= source < n and -n <= destination < n:
            return torch.movedim(x, source, destination)
    src = [canonical_axis("moveaxis", a, x.ndim, x.shape, "source") for a in axes_tuple(source)]
    dst = [
        canonical_axis("moveaxis", a, x.ndim, x.shape, "destination")
        for a in axes_tuple(destination)
    ]
    if len(src) != len(dst):
        raise ValueError(
            "moveaxis: `source` and `destination` must have the same number of axes. "
            f"Received: source={source}, destination={destination}"
        )
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(
            f"moveaxis: repeated axis in source={source} or destination={destination}."
        )
    return torch.movedim(x, src, dst)


# --- reordering ----------------------------------------------------------------------
def flip(x: Any, axis: Any = None) -> torch.Tensor:
    """``x`` reversed along ``axis`` (all axes when None)."""
    x = as_tensor(x)
    if axis is None:
        return torch.flip(x, tuple(range(x.ndim)))
    dims = tuple(canonical_axis("flip", a, x.ndim, x.shape) for a in axes_tuple(axis))
    return torch.flip(x, dims)


def fliplr(x: Any) -> torch.Tensor:
    """``x`` reversed along axis 1."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr: needs an input of at least 2 dimensions; got {tuple(x.shape)}.")
    return torch.flip(x, (1,))


def flipud(x: Any) -> torch.Tensor:
    """``x`` reversed along axis 0."""
    x = as_tensor(x)
    if x.ndim < 1:
        raise ValueError("flipud: needs an input of at least 1 dimension; got a scalar.")
    return torch.flip(x, (0,))


def roll(x: Any, shift: Any, axis: Any = None) -> torch.Tensor:
    """``x`` rolled by ``shift`` along ``axis`` (the flattened tensor when None)."""
    x = as_tensor(x)
    if isinstance(shift, _Tensor):
        shift = shift.tolist()
    if axis is None:
        return torch.roll(x, shift)
    dims = tuple(canonical_axis("roll", a, x.ndim, x.shape) for a in axes_tuple(axis))
    shifts = axes_tuple(shift)
    if len(shifts) == 1 and len(dims) > 1:
        shifts = shifts * len(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: `shift` {shift} and `axis` {axis} must have the same length.")
    return torch.roll(x, shifts, dims)


def rot90(array: Any, k: Any = 1, axes: Any = (0, 1)) -> torch.Tensor:
    """``array`` rotated by ``k`` quarter turns in the plane of ``axes``."""
    x = as_tensor(array)
    if x.ndim < 2:
        raise ValueError(
            f"rot90: the input must have at least 2 dimensions. Received: shape {tuple(x.shape)}"
        )
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: `axes` must hold two different axes. Received: axes={axes}")
    a = canonical_axis("rot90", axes[0], x.ndim, x.shape, "axes")
    b = canonical_axis("rot90", axes[1], x.ndim, x.shape, "axes")
    if a == b:
        raise ValueError(f"rot90: `axes` must hold two different axes. Received: axes={axes}")
    return torch.rot90(x, int(k), (a, b))


def repeat(x: Any, repeats: Any, axis: Any = None) -> torch.Tensor:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (flattened when None)."""
    x = as_tensor(x)
    if not isinstance(repeats, int):
        repeats = to_tensor(repeats, "int64", x.device)
        if repeats.ndim == 0:
            repeats = int(repeats)
        elif repeats.device != x.device:
            repeats = repeats.to(x.device)
    dim = None if axis is None else canonical_axis("repeat", axis, x.ndim, x.shape)
    try:
        return torch.repeat_interleave(x, repeats, dim=dim)
    except RuntimeError as exc:
        raise ValueError(
            f"repeat: `repeats` must be an int or one count per element along axis={axis} "
            f"(shape {tuple(x.shape)}) ({exc})."
        ) from None


def tile(x: Any, repeats: Any) -> torch.Tensor:
    """``x`` tiled ``repeats`` times per axis (NumPy's rank padding)."""
    x = as_tensor(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(int(r) for r in repeats)
    return torch.tile(x, reps)


# --- diagonals and triangles ---------------------------------------------------------
def diag(x: Any, k: int = 0) -> torch.Tensor:
    """A diagonal matrix from a 1-D ``x``, or the ``k``-th diagonal of a 2-D ``x``."""
    x = as_tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"diag: `x` must be 1-D or 2-D. Received: x.shape={tuple(x.shape)}")
    return torch.diag(x, int(k))


def diagflat(x: Any, k: int = 0) -> torch.Tensor:
    """A diagonal matrix with the flattened ``x`` on its ``k``-th diagonal."""
    return torch.diagflat(as_tensor(x), int(k))


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """The diagonals of ``x`` in the planes of ``axis1``/``axis2`` (as the last axis)."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"diagonal: `x` must have at least 2 dimensions. Received: x.shape={tuple(x.shape)}"
        )
    a = canonical_axis("diagonal", axis1, x.ndim, x.shape, "axis1")
    b = canonical_axis("diagonal", axis2, x.ndim, x.shape, "axis2")
    if a == b:
        raise ValueError(
            f"diagonal: `axis1` and `axis2` cannot be the same. Received: axis1={axis1}, "
            f"axis2={axis2}"
        )
    return torch.diagonal(x, int(offset), a, b)


def _triangle(op: str, fn: Any, x: Any, k: Any) -> torch.Tensor:
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"{op}: `x` must have at least 2 dimensions. Received: x.shape={tuple(x.shape)}"
        )
    return fn(x, int(k))


def tril(x: Any, k: int = 0) -> torch.Tensor:
    """``x`` with the elements above the ``k``-th diagonal zeroed."""
    return _triangle("tril", torch.tril, x, k)


def triu(x: Any, k: int = 0) -> torch.Tensor:
    """``x`` with the elements below the ``k``-th diagonal zeroed."""
    return _triangle("triu", torch.triu, x, k)


# --- padding -------------------------------------------------------------------------
_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad_pairs(pad_width: Any, n: int, shape: Any) -> list[tuple[int, int]]:
    if isinstance(pad_width, _Tensor):
        pad_width = pad_width.tolist()
    if isinstance(pad_width, int):
        pairs = [(pad_width, pad_width)]
    elif isinstance(pad_width, (list, tuple)) and pad_width and isinstance(pad_width[0], int):
        pw = tuple(pad_width)
        pairs = [(pw[0], pw[-1])] if len(pw) in (1, 2) else []
    else:
        pairs = []
        for pw in pad_width:
            pw = tuple(pw)
            if len(pw) not in (1, 2):
                pairs = []
                break
            pairs.append((int(pw[0]), int(pw[-1])))
    if not pairs:
        raise ValueError(
            "pad: `pad_width` must be an int, a (before, after) pair, or one pair per axis. "
            f"Received: pad_width={pad_width!r}"
        )
    if len(pairs) == 1:
        pairs = pairs * n
    if len(pairs) != n:
        raise ValueError(
            f"pad: `pad_width` must have the same length as `x.shape`. Received: "
            f"pad_width={pad_width!r} (of length {len(pairs)}) and x.shape={tuple(shape)}"
        )
    if any(before < 0 or after < 0 for before, after in pairs):
        raise ValueError(f"pad: `pad_width` cannot be negative. Received: pad_width={pad_width!r}")
    return pairs


def _pad_index(mode: str, n: int, before: int, after: int, device: Any) -> torch.Tensor:
    i = torch.arange(-before, n + after, device=device)
    if mode == "edge":
        return i.clamp(0, n - 1)
    if mode == "wrap":
        return i.remainder(n)
    if mode == "symmetric":
        j = i.remainder(2 * n)
        return torch.where(j < n, j, 2 * n - 1 - j)
    if n == 1:  # reflect
        return torch.zeros_like(i)
    j = i.remainder(2 * n - 2)
    return torch.where(j < n, j, 2 * n - 2 - j)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Any:
    """``x`` padded by ``pad_width`` per axis; modes constant/edge/reflect/symmetric/wrap."""
    x = as_tensor(x)
    if constant_values is not None and mode != "constant":
        raise ValueError(
            "pad: `constant_values` can only be given when mode='constant'. "
            f"Received: mode={mode!r}"
        )
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unknown mode={mode!r}; pass one of {list(_PAD_MODES)}.")
    pairs = _pad_pairs(pad_width, x.ndim, x.shape)
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        if isinstance(value, _Tensor):
            value = value.item()
        flat = [v for p in reversed(pairs) for v in p]
        if x.dtype == torch.bool or x.is_complex():
            out = x.new_full(tuple(s + a + b for s, (a, b) in zip(x.shape, pairs)), value)
            out[tuple(slice(a, a + s) for s, (a, _) in zip(x.shape, pairs))] = x
            return out
        return F.pad(x, flat, value=value)
    for ax, (before, after) in enumerate(pairs):
        if before == after == 0:
            continue
        if x.shape[ax] == 0:
            raise ValueError(
                f"pad: cannot pad an empty axis {ax} (shape {tuple(x.shape)}) with mode={mode!r}."
            )
        x = x.index_select(ax, _pad_index(mode, x.shape[ax], before, after, x.device))
    return x


# --- reinterpretation ----------------------------------------------------------------
def view(x: Any, dtype: Any = None) -> torch.Tensor:
    """``x``'s bytes reinterpreted as ``dtype`` (the last axis rescaled by the item sizes)."""
    x = as_tensor(x)
    if dtype is None:
        return x.view(x.dtype)
    tdt = to_torch_dtype(standardize_dtype(dtype))
    old, new = x.element_size(), torch.empty((), dtype=tdt).element_size()
    if old != new and (x.ndim == 0 or (x.shape[-1] * old) % new):
        raise ValueError(
            f"view: cannot view a tensor of shape {tuple(x.shape)} and dtype "
            f"{standardize_dtype(x.dtype)} as {standardize_dtype(tdt)}: the last axis's bytes "
            f"({x.shape[-1] * old if x.ndim else old}) are not a multiple of the new item "
            f"size ({new})."
        )
    return x.contiguous().view(tdt)
