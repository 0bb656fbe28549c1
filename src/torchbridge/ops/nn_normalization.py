"""Statistics and normalization ops of ``keras.ops.nn`` on torch: ``moments``,
``batch_normalization``, ``layer_normalization``, ``rms_normalization`` and
``normalize``.

Dtypes follow Keras: ``moments`` computes half precision in float32 (clipped back into
the half range) and integers with integer means, as TensorFlow does;
``layer_normalization`` and ``rms_normalization`` compute in at least float32 and cast
the result back to the input's dtype; ``normalize`` computes integer inputs in
``floatx()``. ``epsilon=None`` is ``backend.epsilon()``.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.backend import config
from torchbridge.backend.dtypes import result_type
from torchbridge.ops._convert import to_tensor, to_tensors, torch_dtype

__all__ = [
    "batch_normalization",
    "layer_normalization",
    "moments",
    "normalize",
    "rms_normalization",
]

_Tensor = torch.Tensor
_HALF = (torch.float16, torch.bfloat16)


def _axes(name: str, x: torch.Tensor, axis: Any) -> list[int]:
    """``axis`` (an int or a sequence) as sorted non-negative ints; an error naming the op,
    the axis and the shape when one is out of range."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    n = x.dim()
    for a in axes:
        if not -n <= a < n:
            raise ValueError(
                f"{name}: axis {a} is out of range for an input of shape {tuple(x.shape)} "
                f"(rank {n}); pass axes in [{-n}, {n})."
            )
    return sorted(a % n for a in axes)


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    """Keras's ``result_type(x.dtype, "float32")``: at least float32."""
    if x.dtype == torch.float64:
        return x.dtype
    if x.is_floating_point() or x.dtype == torch.bool:
        return torch.float32
    return torch_dtype(result_type(x.dtype, "float32"))


def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> Any:
    """``(mean, variance)`` of ``x`` over ``axes``; ``synchronized`` is accepted for
    Keras's API (a single process has nothing to synchronize)."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    dims = _axes("moments", x, axes)
    if x.dtype == torch.bool:
        raise TypeError("moments: a bool input has no mean; cast it to a number first.")
    if not x.is_floating_point():  # TensorFlow's integer means: sums divided, truncated
        count = 1
        for d in dims:
            count *= x.shape[d]
        mean = torch.div(x.sum(dim=dims, keepdim=True), count, rounding_mode="trunc")
        variance = torch.div(
            torch.square(x - mean).sum(dim=dims, keepdim=True), count, rounding_mode="trunc"
        )
        mean, variance = mean.to(x.dtype), variance.to(x.dtype)
        if not keepdims:
            mean, variance = mean.squeeze(dims), variance.squeeze(dims)
        return mean, variance
    if x.dtype in _HALF:
        info = torch.finfo(x.dtype)
        mean, variance = _mean_var(x.float(), dims, keepdims)
        return (
            mean.clamp(info.min, info.max).to(x.dtype),
            variance.clamp(info.min, info.max).to(x.dtype),
        )
    return _mean_var(x, dims, keepdims)


def _mean_var(x: torch.Tensor, dims: list[int], keepdims: bool) -> tuple[Any, Any]:
    if x.numel() == 0:  # NaN statistics, without torch's degrees-of-freedom warning
        mean = torch.mean(x, dim=dims, keepdim=True)
        variance = torch.mean(torch.square(x - mean), dim=dims, keepdim=keepdims)
        return (mean if keepdims else mean.squeeze(dims)), variance
    variance, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=keepdims)
    return mean, variance


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    axis: int,
    offset: Any = None,
    scale: Any = None,
    epsilon: float = 0.001,
) -> torch.Tensor:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics laid
    along ``axis`` of ``x``."""
    given = [v for v in (offset, scale) if v is not None]
    x, mean, variance, *rest = to_tensors(x, mean, variance, *given)
    offset = rest.pop(0) if offset is not None else None
    scale = rest.pop(0) if scale is not None else None
    if not x.is_floating_point():
        raise TypeError(
            f"batch_normalization: needs a float input, got {str(x.dtype).removeprefix('torch.')}"
            "; cast x, mean and variance to a float dtype."
        )
    if axis != -1 and axis != x.dim() - 1:
        if not -x.dim() <= axis < x.dim():
            raise ValueError(
                f"batch_normalization: axis {axis} is out of range for an input of shape "
                f"{tuple(x.shape)}; pass an axis in [{-x.dim()}, {x.dim()})."
            )
        shape = [1] * x.dim()
        shape[axis] = mean.shape[0]
        mean, variance = mean.reshape(shape), variance.reshape(shape)
        offset = None if offset is None else offset.reshape(shape)
        scale = None if scale is None else scale.reshape(shape)
    inv = torch.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    shift = -mean * inv if offset is None else offset - mean * inv
    return x * inv + shift


def _broadcast_to_axes(
    v: torch.Tensor | None, ndim: int, dims: list[int], shape: Any
) -> torch.Tensor | None:
    """A per-axis parameter reshaped to broadcast against the input along ``dims``."""
    if v is None or v.dim() == ndim or dims == [ndim - 1]:
        return v
    target = [1] * ndim
    for d in dims:
        target[d] = shape[d]
    return v.reshape(target)


def layer_normalization(
    x: Any,
    gamma: Any = None,
    beta: Any = None,
    axis: Any = -1,
    epsilon: float | None = None,
    **kwargs: Any,
) -> torch.Tensor:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with the statistics over
    ``axis``, computed in at least float32 and cast back to ``x``'s dtype. The deprecated
    ``rms_scaling=True`` scales by the variance and ignores ``beta``, as in Keras."""
    if (  # the common case: float32/64 tensors normalized over the last axis
        axis == -1
        and not kwargs
        and type(x) is _Tensor
        and (x.dtype == torch.float32 or x.dtype == torch.float64)
        and x.dim() > 0
        and (gamma is None or (type(gamma) is _Tensor and gamma.dtype == x.dtype))
        and (beta is None or (type(beta) is _Tensor and beta.dtype == x.dtype))
    ):
        shape = (x.shape[-1],)
        if (gamma is None or gamma.shape == shape) and (beta is None or beta.shape == shape):
            eps = config._epsilon if epsilon is None else epsilon
            return F.layer_norm(x, shape, gamma, beta, eps)
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization got unexpected arguments: {sorted(kwargs)}")
    if rms_scaling:
        warnings.warn(
            "You passed `rms_scaling=True`, which is deprecated: it scales the input by the "
            "variance, not the root mean square. Use `ops.rms_normalization` instead.",
            stacklevel=2,
        )
    if type(x) is not _Tensor:
        x = to_tensor(x)
    original = x.dtype
    compute = _compute_dtype(x)
    x = x.to(compute)
    eps = config.epsilon() if epsilon is None else epsilon
    gamma = None if gamma is None else to_tensor(gamma, compute, x.device)
    beta = None if beta is None else to_tensor(beta, compute, x.device)
    ndim = x.dim()
    dims = _axes("layer_normalization", x, axis)
    if rms_scaling:
        variance = torch.var(x, dim=dims, correction=0, keepdim=True)
        out = x * torch.rsqrt(variance + eps)
        if gamma is not None:
            out = out * _broadcast_to_axes(gamma, ndim, dims, x.shape)
        return out.to(original)
    normalized = tuple(x.shape[d] for d in dims)
    trailing = dims == list(range(ndim - len(dims), ndim))
    if (
        trailing
        and (gamma is None or tuple(gamma.shape) == normalized)
        and (beta is None or tuple(beta.shape) == normalized)
    ):
        return F.layer_norm(x, normalized, gamma, beta, eps).to(original)
    mean, variance = _mean_var(x, dims, True)
    inv = torch.rsqrt(variance + eps)
    gamma = _broadcast_to_axes(gamma, ndim, dims, x.shape)
    beta = _broadcast_to_axes(beta, ndim, dims, x.shape)
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    return (x * inv + shift).to(original)


def rms_normalization(
    x: Any, scale: Any = None, axis: Any = -1, epsilon: float | None = None
) -> torch.Tensor:
    """``x / sqrt(mean(x**2) + epsilon) * scale`` over ``axis``, computed in at least
    float32 and cast back to ``x``'s dtype."""
    if (  # the common case: float32/64 tensors normalized over the last axis
        axis == -1
        and type(x) is _Tensor
        and (x.dtype == torch.float32 or x.dtype == torch.float64)
        and x.dim() > 0
        and (scale is None or (type(scale) is _Tensor and scale.dtype == x.dtype))
        and (scale is None or scale.shape == x.shape[-1:])
    ):
        eps = config._epsilon if epsilon is None else epsilon
        return F.rms_norm(x, x.shape[-1:], scale, eps)
    if type(x) is not _Tensor:
        x = to_tensor(x)
    original = x.dtype
    compute = _compute_dtype(x)
    x = x.to(compute)
    if x.dim() == 0:
        x = x.reshape(1)
    eps = config.epsilon() if epsilon is None else epsilon
    scale = None if scale is None else to_tensor(scale, compute, x.device)
    dims = _axes("rms_normalization", x, axis)
    normalized = tuple(x.shape[d] for d in dims)
    if dims == list(range(x.dim() - len(dims), x.dim())) and (
        scale is None or tuple(scale.shape) == normalized
    ):
        return F.rms_norm(x, normalized, scale, eps).to(original)
    out = x * torch.rsqrt(torch.mean(torch.square(x), dim=dims, keepdim=True) + eps)
    if scale is not None:
        out = out * scale
    return out.to(original)


def normalize(x: Any, axis: Any = -1, order: int = 2, epsilon: float | None = None) -> Any:
    """``x`` divided by its ``order``-norm over ``axis`` (at least ``epsilon``)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: `order` must be an int >= 1. Received: order={order!r}")
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if not x.is_floating_point():
        x = x.to(torch_dtype(config._floatx))
    if x.dim() == 0:
        x = x.reshape(1)
    eps = config.epsilon() if epsilon is None else epsilon
    dims = _axes("normalize", x, axis) if axis is not None else None
    if order == 2:
        inv = torch.rsqrt(torch.sum(torch.square(x), dim=dims, keepdim=True))
        if 1.0 / eps < torch.finfo(x.dtype).max:  # else the bound is inf in x's dtype
            inv = torch.clamp(inv, max=1.0 / eps)
        return x * inv
    if dims is not None and len(dims) == 1:
        norm = torch.linalg.vector_norm(x, ord=order, dim=dims, keepdim=True)
    else:
        norm = torch.linalg.norm(x, ord=order, dim=dims, keepdim=True)
    return x / torch.clamp(norm, min=eps)
