"""Axis and shape helpers shared by the ``numpy_*`` op modules (not part of
keras.ops): converting an operand, checking an axis with an error that names the
op, argument and shape, and broadcasting two shapes without torch's slower
``broadcast_shapes``.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Sequence
from typing import Any

import torch

from torchbridge.ops._convert import to_tensor, to_tensors

__all__ = ["as_tensor", "as_tensor_pair", "axes_tuple", "broadcast_shape", "canonical_axis"]

_Tensor = torch.Tensor


def as_tensor(x: Any) -> torch.Tensor:
    """``x`` as a tensor (tensors pass through untouched)."""
    return x if type(x) is _Tensor else to_tensor(x)


def as_tensor_pair(x1: Any, x2: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both operands as tensors of their promoted dtype, Python scalars converted first.

    Keras's products, ``isin`` and friends convert each operand before promoting,
    so a Python float counts as ``floatx()`` here (``outer(x_f16, 2.5)`` is float32),
    unlike the weak scalars of elementwise ops.
    """
    if type(x1) is not _Tensor:
        x1 = to_tensor(x1, device=x2.device if type(x2) is _Tensor else None)
    if type(x2) is not _Tensor:
        x2 = to_tensor(x2, device=x1.device)
    a, b = to_tensors(x1, x2)
    return a, b


def canonical_axis(op: str, axis: Any, ndim: int, shape: Any = None, name: str = "axis") -> int:
    """``axis`` in ``[0, ndim)``; a ``ValueError`` naming the op, argument and shape otherwise."""
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{op}: `{name}` must be an int. Received: {name}={axis!r}") from None
    if -ndim <= axis < ndim:
        return axis + ndim if axis < 0 else axis
    where = f"shape {tuple(shape)}" if shape is not None else f"rank {ndim}"
    raise ValueError(
        f"{op}: {name}={axis} is out of bounds for an input of {where}; "
        f"pass an axis in [{-ndim}, {ndim - 1}]."
    )


def broadcast_shape(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    """NumPy's broadcast of two shapes, or None when they do not broadcast (cheap, no torch)."""
    n = builtins.max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for p, q in zip(a, b):
        if p == q or q == 1:
            out.append(p)
        elif p == 1:
            out.append(q)
        else:
            return None
    return tuple(out)


def axes_tuple(axis: Any) -> tuple[Any, ...]:
    """``axis`` as a tuple (an int becomes a 1-tuple)."""
    return tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
