"""``encode_categorical``: integer indices → the "int" / one-hot / multi-hot / count / tf-idf outputs.

Shared by the preprocessing layers with an ``output_mode`` (CategoryEncoding,
Discretization, Hashing, the lookup layers, TextVectorization). It follows
Keras's ``encode_categorical_inputs`` on the TensorFlow backend:

- ``"int"``: the indices cast to ``dtype``.
- a rank-0 input is treated as a batch of one value (shape ``(1,)``).
- ``"one_hot"``: a trailing axis of size 1 is dropped (on inputs of rank 2 or
  more), then a new last axis of size ``depth`` is added.
- ``"multi_hot"`` / ``"count"`` / ``"tf_idf"``: the last axis is the sample
  axis and is replaced by an axis of size ``depth`` — so a rank-1 input is ONE
  sample and gives shape ``(depth,)``. ``count_weights`` (same shape as the
  indices) weight each occurrence in ``"count"`` mode; ``"tf_idf"`` is the
  count encoding multiplied by ``idf_weights`` (shape ``(depth,)``).

Unlike Keras, indices outside ``[0, depth)`` raise ``InputError`` (TensorFlow
drops them silently, or fails on negatives only in some modes).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from torchbridge.errors import InputError

__all__ = ["OUTPUT_MODES", "check_indices", "encode_categorical", "resolve_dtype"]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def check_indices(indices: torch.Tensor, depth: int, what: str = "Categorical indices") -> None:
    """Raise ``InputError`` unless every value of ``indices`` is an integer in ``[0, depth)``."""
    if indices.numel() == 0:
        return
    if indices.is_floating_point():
        if not bool(torch.all(indices == torch.round(indices))):
            raise InputError(f"{what} must be integers; received non-integer values.")
    elif indices.dtype == torch.bool or indices.is_complex():
        raise InputError(f"{what} must be integers; received dtype {indices.dtype}.")
    lo = int(indices.min().item())
    hi = int(indices.max().item())
    if lo < 0 or hi >= depth:
        raise InputError(
            f"{what} must be in the range [0, {depth}) (0 <= value < {depth}); received values "
            f"from {lo} to {hi}."
        )


def encode_categorical(
    inputs: torch.Tensor,
    output_mode: str,
    depth: int,
    *,
    count_weights: torch.Tensor | None = None,
    idf_weights: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Encode integer ``inputs`` as ``output_mode`` with ``depth`` classes (see the module docstring)."""
    if output_mode not in OUTPUT_MODES:
        raise InputError(
            f"Unknown output_mode {output_mode!r}; expected one of {', '.join(map(repr, OUTPUT_MODES))}."
        )
    x = torch.as_tensor(inputs)
    if output_mode == "int":
        return x.to(dtype)
    if count_weights is not None and output_mode != "count":
        raise InputError(
            f"count_weights are only used when output_mode is 'count'; received "
            f"output_mode={output_mode!r}."
        )
    if output_mode == "tf_idf" and idf_weights is None:
        raise InputError("output_mode 'tf_idf' needs idf_weights (one weight per index).")
    if depth < 1:
        raise InputError(f"depth must be >= 1; received depth={depth}.")

    check_indices(x, depth)
    idx = x.to(torch.long)
    if idx.dim() == 0:
        idx = idx.reshape(1)

    if output_mode == "one_hot":
        if idx.dim() > 1 and idx.shape[-1] == 1:
            idx = idx.squeeze(-1)
        return F.one_hot(idx, depth).to(dtype)

    lead = tuple(idx.shape[:-1])
    rows = math.prod(lead)
    flat = idx.reshape(rows, idx.shape[-1])
    if output_mode == "multi_hot":
        out = torch.zeros(rows, depth, dtype=dtype, device=idx.device)
        out.scatter_(1, flat, 1)
        return out.reshape(*lead, depth)

    if count_weights is not None:
        w = torch.as_tensor(count_weights, device=idx.device)
        if tuple(w.shape) != tuple(x.shape) and not (x.dim() == 0 and w.numel() == 1):
            raise InputError(
                f"count_weights must have the shape of the inputs {tuple(x.shape)}; received "
                f"shape {tuple(w.shape)}."
            )
        if not w.is_floating_point():
            w = w.to(dtype)
        w = w.reshape(rows, flat.shape[-1])
        out = torch.zeros(rows, depth, dtype=w.dtype, device=idx.device)
        out = out.scatter_add(1, flat, w).to(dtype)
    else:
        out = torch.zeros(rows, depth, dtype=dtype, device=idx.device)
        out.scatter_add_(1, flat, torch.ones_like(flat, dtype=dtype))
    out = out.reshape(*lead, depth)
    if output_mode == "tf_idf":
        assert idf_weights is not None
        idf = torch.as_tensor(idf_weights, device=out.device)
        if idf.shape != (depth,):
            raise InputError(
                f"idf_weights must have shape ({depth},), one weight per index; received shape "
                f"{tuple(idf.shape)}."
            )
        idf_dtype = idf.dtype if idf.is_floating_point() else dtype
        out = out.to(idf_dtype) * idf.to(idf_dtype)
    return out


def resolve_dtype(dtype: Any, default: torch.dtype) -> torch.dtype:
    """A layer's ``dtype`` argument (a name such as ``"int64"``, a torch dtype or ``None``)."""
    if dtype is None:
        return default
    if isinstance(dtype, torch.dtype):
        return dtype
    name = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else str(dtype)
    candidate = getattr(torch, str(name), None)
    if not isinstance(candidate, torch.dtype):
        raise InputError(f"Unknown dtype {dtype!r}; pass a name such as 'float32' or 'int64'.")
    return candidate
