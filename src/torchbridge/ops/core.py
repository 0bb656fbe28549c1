"""Keras's core ops on torch: conversion, dtype/shape queries, casts, control flow,
slicing and scattering, and custom gradients (``keras.ops`` names from
keras/src/ops/core.py, same signatures).

Control flow runs eagerly in Python (torch has no graph mode to stage it in);
``vectorized_map`` and ``map`` loop over the leading axis and stack.
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.backend.dtypes import standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import to_tensor
from torchbridge.utils import nest

__all__ = [
    "associative_scan",
    "cast",
    "cond",
    "convert_to_numpy",
    "convert_to_tensor",
    "custom_gradient",
    "dtype",
    "fori_loop",
    "is_tensor",
    "map",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "shape",
    "slice",
    "slice_update",
    "stop_gradient",
    "switch",
    "unstack",
    "vectorized_map",
    "while_loop",
]

_Tensor = torch.Tensor


# --- conversion and queries --------------------------------------------------
def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Any:
    """``x`` as a torch tensor (NumPy keeps its dtype, Python floats become floatx)."""
    if sparse:
        raise ValueError("`sparse=True` is not supported on torch: pass sparse=None or False.")
    if ragged:
        raise ValueError("`ragged=True` is not supported on torch: pass ragged=None or False.")
    return to_tensor(x, dtype)


def convert_to_numpy(x: Any) -> Any:
    """``x`` as a NumPy array (detached, on the CPU; bfloat16 as ml_dtypes.bfloat16)."""
    if isinstance(x, _Tensor):
        return _tensor_to_numpy(x)
    if isinstance(x, (list, tuple)):
        return np.array([convert_to_numpy(item) for item in x])
    return np.array(x)


def _tensor_to_numpy(x: torch.Tensor) -> np.ndarray:
    x = x.detach()
    if x.device.type != "cpu":
        x = x.cpu()
    if x.dtype == torch.bfloat16:
        array = x.to(torch.float32).numpy()
        try:
            import ml_dtypes
        except ImportError:  # pragma: no cover - ml_dtypes ships with most stacks
            return array
        return array.astype(ml_dtypes.bfloat16)
    return x.numpy()


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor (Variables included)."""
    return isinstance(x, _Tensor)


def shape(x: Any) -> tuple[Any, ...]:
    """The shape of ``x`` as a tuple of ints (``None`` for unknown symbolic dims)."""
    s = getattr(x, "shape", None)
    if s is None:
        s = to_tensor(x).shape
    return tuple(s)


def dtype(x: Any) -> str:
    """Keras's dtype name of ``x`` (``"float32"``...)."""
    dt = getattr(x, "dtype", None)
    if dt is None:
        dt = to_tensor(x).dtype
    return standardize_dtype(dt)


def cast(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` (floats to ints truncate toward zero)."""
    tdt = to_torch_dtype(dtype)
    if isinstance(x, _Tensor):
        return x if x.dtype == tdt else x.to(tdt)
    return to_tensor(to_tensor(x), tdt)


def _limits(tdt: torch.dtype) -> tuple[float | int, float | int]:
    if tdt == torch.bool:
        return 0, 1
    info: Any = torch.finfo(tdt) if tdt.is_floating_point else torch.iinfo(tdt)
    return info.min, info.max


def saturate_cast(x: Any, dtype: Any) -> Any:
    """Cast with values clipped to the target dtype's range (no wrap-around)."""
    tdt = to_torch_dtype(standardize_dtype(dtype))
    x = to_tensor(x)
    in_min, in_max = _limits(x.dtype)
    out_min, out_max = _limits(tdt)
    low = torch.tensor(builtins.max(in_min, out_min), dtype=x.dtype)
    high = torch.tensor(builtins.min(in_max, out_max), dtype=x.dtype)
    if x.dtype.is_floating_point:  # a bound that rounded outside the target range
        zero = torch.zeros((), dtype=x.dtype)
        if low.item() < out_min:
            low = torch.nextafter(low, zero)
        if high.item() > out_max:
            high = torch.nextafter(high, zero)
    if x.dtype == torch.bool:
        return x.to(tdt)
    return torch.clamp(x, low.to(x.device), high.to(x.device)).to(tdt)


def stop_gradient(variable: Any) -> Any:
    """``variable``'s value with no gradient flowing back through it."""
    return to_tensor(variable).detach()


# --- control flow ------------------------------------------------------------
def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return true_fn() if bool(pred) else false_fn()


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped to the valid range."""
    i = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Run ``body`` while ``cond`` holds (and fewer than ``maximum_iterations`` times)."""
    positional = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if positional else (loop_vars,)
    state = tuple(nest.map_structure(to_tensor, list(state)))
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(cond(*state)):
        new = body(*state)
        state = tuple(new) if isinstance(new, (list, tuple)) else (new,)
        steps += 1
    if not positional:
        return state[0]
    return list(state) if isinstance(loop_vars, list) else state


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _stack_structures(items: list[Any]) -> Any:
    return nest.map_structure(lambda *leaves: torch.stack([to_tensor(v) for v in leaves]), *items)


def _leading_length(flat: list[torch.Tensor]) -> int:
    if not flat:
        raise ValueError("Nothing to iterate over: pass at least one tensor.")
    return int(flat[0].shape[0])


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """``f`` applied to each slice of ``xs`` along axis 0, results stacked."""
    flat = [to_tensor(x) for x in nest.flatten(xs)]
    n = _leading_length(flat)
    results = [f(nest.pack_sequence_as(xs, [x[i] for x in flat])) for i in range(n)]
    return _stack_structures(results)


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` applied to each slice of ``elements`` along axis 0, stacked."""
    return map(function, elements)


def scan(
    f: Callable[[Any, Any], Any],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> Any:
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns ``(carry, ys)``."""
    if not callable(f):
        raise TypeError(f"`f` must be callable. Received: f={f!r}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be a positive integer or a bool. Received: {unroll!r}")
    if xs is None and length is None:
        raise ValueError("scan got no `xs` to scan over: pass `xs` or `length`.")
    flat = [] if xs is None else [to_tensor(x) for x in nest.flatten(xs)]
    n = int(length) if length is not None else _leading_length(flat)
    carry = nest.map_structure(to_tensor, init)
    order = range(n - 1, -1, -1) if reverse else range(n)
    ys = []
    for i in order:
        x_i = nest.pack_sequence_as(xs, [x[i] for x in flat]) if xs is not None else None
        carry, y = f(carry, x_i)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or all(y is None for y in ys):
        return carry, None
    return carry, _stack_structures(ys)


def associative_scan(
    f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0
) -> Any:
    """Inclusive prefix scan of ``elems`` along ``axis`` with an associative ``f``.

    Runs in ``log2(n)`` rounds, each calling ``f`` once on whole shifted blocks.
    """
    flat = [to_tensor(e) for e in nest.flatten(elems)]
    if not flat:
        return elems
    n = int(flat[0].shape[axis])
    if reverse:
        flat = [torch.flip(e, (axis,)) for e in flat]
    offset = 1
    while offset < n:
        left = [e.narrow(axis, 0, n - offset) for e in flat]
        right = [e.narrow(axis, offset, n - offset) for e in flat]
        combined = nest.flatten(
            f(nest.pack_sequence_as(elems, left), nest.pack_sequence_as(elems, right))
        )
        flat = [
            torch.cat([e.narrow(axis, 0, offset), to_tensor(c)], dim=axis)
            for e, c in zip(flat, combined)
        ]
        offset *= 2
    if reverse:
        flat = [torch.flip(e, (axis,)) for e in flat]
    return nest.pack_sequence_as(elems, flat)


# --- slicing and scattering ----------------------------------------------------
def _ints(values: Any) -> list[int]:
    if isinstance(values, _Tensor):
        return [int(v) for v in values.tolist()]
    return [int(v) for v in values]


def slice(inputs: Any, start_indices: Any, shape: Any) -> Any:
    """The block of ``inputs`` at ``start_indices`` with size ``shape`` (-1: to the end)."""
    inputs = to_tensor(inputs)
    starts, sizes = _ints(start_indices), _ints(shape)
    if len(starts) != inputs.ndim or len(sizes) != inputs.ndim:
        raise ValueError(
            "slice: `start_indices` and `shape` need one entry per dimension of `inputs`. "
            f"Received inputs.shape={tuple(inputs.shape)}, start_indices={starts}, "
            f"shape={sizes}"
        )
    index = tuple(builtins.slice(s, None if n == -1 else s + n) for s, n in zip(starts, sizes))
    return inputs[index]


def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Any:
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs = to_tensor(inputs)
    updates = to_tensor(updates, inputs.dtype, inputs.device)
    starts = _ints(start_indices)
    if len(starts) != inputs.ndim or updates.ndim != inputs.ndim:
        raise ValueError(
            "slice_update: `start_indices` and `updates` need one entry/dimension per "
            f"dimension of `inputs`. Received inputs.shape={tuple(inputs.shape)}, "
            f"start_indices={starts}, updates.shape={tuple(updates.shape)}"
        )
    out = inputs.clone()
    index = tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))
    out[index] = updates
    return out


def _flat_positions(indices: torch.Tensor, dims: Sequence[int]) -> torch.Tensor:
    """Row-major positions of the index tuples (last axis of ``indices``) in ``dims``."""
    strides = []
    stride = 1
    for d in reversed(dims):
        strides.append(stride)
        stride *= d
    weights = torch.tensor(strides[::-1], dtype=torch.int64, device=indices.device)
    return (indices.to(torch.int64) * weights).sum(-1).reshape(-1)


def scatter(indices: Any, values: Any, shape: Any) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (duplicates sum)."""
    values = to_tensor(values)
    indices = to_tensor(indices, device=values.device)
    dims = _ints(shape)
    k = int(indices.shape[-1])
    rest = dims[k:]
    out = torch.zeros(
        (int(np.prod(dims[:k], dtype=np.int64)), *rest), dtype=values.dtype, device=values.device
    )
    out.index_add_(0, _flat_positions(indices, dims[:k]), values.reshape(-1, *rest))
    return out.reshape(dims)


_REDUCTIONS = {"max": "amax", "min": "amin", "mul": "prod"}


def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: Any = None) -> Any:
    """A copy of ``inputs`` with ``updates`` written (or reduced) at ``indices``."""
    if reduction is not None:
        reduction = str(reduction).lower()
        if reduction not in ("add", "max", "min", "mul"):
            raise ValueError(
                "scatter_update: `reduction` must be None, 'add', 'max', 'min' or 'mul'. "
                f"Received: reduction={reduction!r}"
            )
    inputs = to_tensor(inputs)
    indices = to_tensor(indices, device=inputs.device)
    updates = to_tensor(updates, inputs.dtype, inputs.device)
    dims = list(inputs.shape)
    k = int(indices.shape[-1])
    rest = dims[k:]
    out = inputs.clone().reshape(-1, *rest)
    positions = _flat_positions(indices, dims[:k])
    source = updates.reshape(-1, *rest)
    if reduction is None:
        out.index_copy_(0, positions, source)
    elif reduction == "add":
        out.index_add_(0, positions, source)
    else:
        index = positions.reshape(-1, *[1] * len(rest)).expand_as(source)
        out.scatter_reduce_(0, index, source, _REDUCTIONS[reduction], include_self=True)
    return out.reshape(dims)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Any]:
    """The slices of ``x`` along ``axis``, as a list."""
    x = to_tensor(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(
            f"unstack: num={num} does not match the size {x.shape[axis]} of axis {axis} "
            f"(x.shape={tuple(x.shape)})."
        )
    return list(x.unbind(axis))


# --- gradients -----------------------------------------------------------------
def _wants_upstream_keyword(grad_fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(grad_fn).parameters
    except (TypeError, ValueError):
        return False
    p = params.get("upstream")
    return p is not None and p.kind is p.KEYWORD_ONLY and p.default is p.empty


class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, f: Callable[..., Any], *args: Any) -> Any:  # type: ignore[override]
        output, grad_fn = f(*args)
        ctx.grad_fn = grad_fn
        ctx.n_args = len(args)
        ctx.save_for_backward(*[a for a in args if isinstance(a, _Tensor)])
        ctx.inputs = args
        if isinstance(output, (list, tuple)):
            return tuple(output)
        return output

    @staticmethod
    def backward(ctx: Any, *upstream: Any) -> Any:
        grad_fn = ctx.grad_fn
        if _wants_upstream_keyword(grad_fn):
            up = upstream[0] if len(upstream) == 1 else upstream
            grads = grad_fn(*ctx.inputs, upstream=up)
        else:
            grads = grad_fn(*upstream)
        if not isinstance(grads, (list, tuple)):
            grads = (grads,)
        grads = [
            None if g is None or not isinstance(a, _Tensor) else to_tensor(g)
            for a, g in zip(ctx.inputs, grads)
        ]
        return (None, *grads)


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``f(*args) -> (output, grad_fn)`` so that autograd uses ``grad_fn``.

    ``grad_fn(upstream)`` (TensorFlow/JAX style) and ``grad_fn(*args, upstream)``
    (Keras-on-torch style, ``upstream`` keyword-only) are both accepted.
    """

    def wrapped(*args: Any) -> Any:
        return _CustomGradient.apply(f, *[to_tensor(a) for a in args])

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = getattr(f, "__doc__", None)
    return wrapped
