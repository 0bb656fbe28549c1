"""Encodings of ``keras.ops.nn`` on torch: ``one_hot``, ``multi_hot`` and ``polar``
(a complex tensor from magnitudes and phases).

``one_hot`` takes indices of any numeric dtype (floats truncate toward zero, as Keras
casts them to int64); an index that is negative or not below ``num_classes`` gives a
row of zeros, as in Keras. The default ``dtype`` is ``floatx()``. ``sparse=True``
returns a torch sparse COO tensor holding the same values.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import standardize_dtype
from torchbridge.ops._convert import to_tensor, to_tensors, torch_dtype

__all__ = ["multi_hot", "one_hot", "polar"]

_Tensor = torch.Tensor


def _hot(x: Any, num_classes: int, axis: int, name: str) -> torch.Tensor:
    """Bool one-hot of ``x`` with the class axis at ``axis``."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.dtype != torch.int64:
        x = x.to(torch.int64)
    rank = x.dim() + 1
    if not -rank <= axis < rank:
        raise ValueError(
            f"{name}: axis {axis} is out of range for the output of rank {rank} (input shape "
            f"{tuple(x.shape)} plus the class axis); pass an axis in [{-rank}, {rank})."
        )
    classes = torch.arange(num_classes, device=x.device)
    hot = x.unsqueeze(-1) == classes
    if axis != -1 and axis != rank - 1:
        hot = hot.movedim(-1, axis)
    return hot


def one_hot(
    x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> torch.Tensor:
    """A ``num_classes``-long one-hot vector for each index in ``x``, inserted at ``axis``."""
    out = _hot(x, num_classes, axis, "one_hot")
    out = out.to(torch_dtype(config._floatx if dtype is None else standardize_dtype(dtype)))
    return out.to_sparse() if sparse else out


def multi_hot(
    inputs: Any,
    num_classes: Any = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    **kwargs: Any,
) -> torch.Tensor:
    """The union of the one-hot encodings of the indices in each sample (the indices of a
    rank-1 input are one sample); ``num_tokens`` is accepted for ``num_classes``."""
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if num_classes is None:
        raise ValueError("multi_hot: argument `num_classes` must be specified.")
    if type(inputs) is not _Tensor:
        inputs = to_tensor(inputs)
    reduced = 1 if inputs.dim() > 1 else 0
    out = torch.any(_hot(inputs, num_classes, axis, "multi_hot"), dim=reduced)
    out = out.to(torch_dtype(config._floatx if dtype is None else standardize_dtype(dtype)))
    return out.to_sparse() if sparse else out


def polar(abs_: Any, angle: Any) -> torch.Tensor:
    """``abs_ * (cos(angle) + i sin(angle))``: complex64 from float32 (and from integer or
    half-precision inputs), complex128 from float64."""
    abs_, angle = to_tensors(abs_, angle)
    if abs_.dtype != torch.float64 and abs_.dtype != torch.float32:
        abs_, angle = abs_.to(torch.float32), angle.to(torch.float32)
    return torch.polar(abs_, angle)
