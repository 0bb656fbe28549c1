"""The activation functions of ``keras.ops.nn`` on torch: rectifiers, sigmoids, shrinkage
and the normalizing ones (``softmax``, ``log_softmax``, ``sparsemax``).

These are the one implementation of the activation maths: ``torchbridge.activations``
(one floor up) calls them, adding only what keras.activations adds (``relu``'s
``max_value``/``threshold``, ``gelu``'s other default).

Dtypes follow Keras: a float input keeps its dtype; ``relu``/``relu6``/``threshold`` keep
integer dtypes; ``soft_shrink`` keeps integer and bool dtypes (computed in float64, truncated
back, as Keras's result); every other activation computes an integer or bool input in
``floatx()`` (``leaky_relu`` does so in Keras too; the others raise in Keras's
TensorFlow backend — see docs/keras-differences.md). A Python threshold is rounded to a
half-precision input's dtype before comparing, as Keras compares in that dtype.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.backend import config
from torchbridge.ops._convert import to_tensor, torch_dtype

__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
]

_Tensor = torch.Tensor
_HALF = (torch.float16, torch.bfloat16)


def _float(x: Any) -> torch.Tensor:
    """``x`` as a floating tensor: floats keep their dtype, ints and bools become floatx."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.is_floating_point():
        return x
    return x.to(torch_dtype(config._floatx))


def _any(x: Any) -> torch.Tensor:
    return x if type(x) is _Tensor else to_tensor(x)


def _like(value: Any, x: torch.Tensor) -> Any:
    """A Python number as ``x``'s dtype would hold it (Keras compares in that dtype)."""
    if isinstance(value, float) and x.dtype in _HALF:
        return torch.tensor(value, dtype=x.dtype).item()
    return value


def _zero(x: torch.Tensor) -> torch.Tensor:
    return torch.zeros((), dtype=x.dtype, device=x.device)


def _check_axes(name: str, x: torch.Tensor, axes: Any) -> None:
    """A ``ValueError`` naming the op, the axis and the shape for an axis out of range."""
    n = x.dim()
    for a in axes:
        if not -n <= a < n:
            raise ValueError(
                f"{name}: axis {a} is out of range for an input of shape {tuple(x.shape)} "
                f"(rank {n}); pass an axis in [{-n}, {n}) or give an input of higher rank."
            )


# --- rectifiers -------------------------------------------------------------------------------
def relu(x: Any) -> torch.Tensor:
    """``max(x, 0)`` (integer inputs keep their dtype)."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.dtype == torch.bool:
        raise TypeError("relu: a bool input has no negative part; cast it to a number first.")
    return torch.relu(x)


def relu6(x: Any) -> torch.Tensor:
    """``min(max(x, 0), 6)`` (integer inputs keep their dtype)."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.dtype == torch.bool:
        raise TypeError("relu6: a bool input has no negative part; cast it to a number first.")
    if x.is_floating_point():
        return F.relu6(x)
    return torch.clamp(x, 0, 6)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> torch.Tensor:
    """``x`` above zero, ``negative_slope * x`` below."""
    return F.leaky_relu(_float(x), negative_slope)


def elu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    """``x`` above zero, ``alpha * (exp(x) - 1)`` below."""
    return F.elu(_float(x), alpha)


def selu(x: Any) -> torch.Tensor:
    """Scaled ELU with Klambauer et al.'s fixed ``alpha`` and ``scale``."""
    return torch.selu(_float(x))


def celu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    """``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    return F.celu(_float(x), alpha)


def threshold(x: Any, threshold: Any, default_value: Any) -> torch.Tensor:
    """``x`` where ``x > threshold``, else ``default_value`` (in ``x``'s dtype; integer
    inputs keep theirs, as in Keras)."""
    x = _any(x)
    if not x.is_floating_point() and x.dtype != torch.bool:
        default = torch.as_tensor(default_value, device=x.device).to(x.dtype)
        return torch.where(x > threshold, x, default)
    x = _float(x)
    if isinstance(threshold, (int, float)) and isinstance(default_value, (int, float)):
        return F.threshold(x, _like(threshold, x), default_value)
    default = torch.as_tensor(default_value, dtype=x.dtype, device=x.device)
    return torch.where(x > torch.as_tensor(threshold, device=x.device), x, default)


# --- smooth and gated -------------------------------------------------------------------------
def gelu(x: Any, approximate: bool = True) -> torch.Tensor:
    """Gaussian error linear unit; ``approximate=True`` (the default here) is the tanh form."""
    return F.gelu(_float(x), approximate="tanh" if approximate else "none")


def silu(x: Any) -> torch.Tensor:
    """``x * sigmoid(x)`` (also ``swish``)."""
    return F.silu(_float(x))


def glu(x: Any, axis: int = -1) -> torch.Tensor:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    x = _float(x)
    if x.dim() == 0:
        raise ValueError(f"glu needs an input of rank >= 1 to split; got a scalar (axis={axis}).")
    _check_axes("glu", x, (axis,))
    if x.shape[axis] % 2 != 0:
        raise ValueError(
            f"glu splits `axis` in two halves, so its size must be even. Received: "
            f"x.shape={tuple(x.shape)} with axis={axis}; pass an axis of even size."
        )
    return F.glu(x, axis)


def softplus(x: Any) -> torch.Tensor:
    """``log(exp(x) + 1)``."""
    return F.softplus(_float(x))


def softsign(x: Any) -> torch.Tensor:
    """``x / (abs(x) + 1)``."""
    return F.softsign(_float(x))


def squareplus(x: Any, b: Any = 4) -> torch.Tensor:
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = _float(x)
    return (x + torch.sqrt(torch.square(x) + b)) / 2


def sparse_plus(x: Any) -> torch.Tensor:
    """``0`` for ``x <= -1``, ``(x + 1)**2 / 4`` on ``(-1, 1)``, ``x`` from 1."""
    x = _float(x)
    return torch.where(x <= -1, _zero(x), torch.where(x < 1, torch.square(x + 1) / 4, x))


# --- sigmoids and tanh ------------------------------------------------------------------------
def sigmoid(x: Any) -> torch.Tensor:
    """``1 / (1 + exp(-x))``."""
    return torch.sigmoid(_float(x))


def hard_sigmoid(x: Any) -> torch.Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return F.hardsigmoid(_float(x))


def hard_silu(x: Any) -> torch.Tensor:
    """``x * hard_sigmoid(x)`` (also ``hard_swish``)."""
    return F.hardswish(_float(x))


def sparse_sigmoid(x: Any) -> torch.Tensor:
    """``0`` for ``x <= -1``, ``1`` for ``x >= 1``, ``(x + 1) / 2`` between."""
    return torch.clamp((_float(x) + 1) * 0.5, 0.0, 1.0)


def log_sigmoid(x: Any) -> torch.Tensor:
    """``log(sigmoid(x))``, computed stably."""
    return F.logsigmoid(_float(x))


def hard_tanh(x: Any) -> torch.Tensor:
    """``x`` clipped to ``[-1, 1]``."""
    return F.hardtanh(_float(x))


def tanh_shrink(x: Any) -> torch.Tensor:
    """``x - tanh(x)``."""
    return F.tanhshrink(_float(x))


# --- shrinkage --------------------------------------------------------------------------------
def soft_shrink(x: Any, threshold: Any = 0.5) -> torch.Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0.

    Integer and bool inputs keep their dtype, as in Keras: the result is computed in
    float64 and truncated back (``soft_shrink(int32 2, 0.5)`` is 1)."""
    x = _any(x)
    if not x.is_floating_point():
        return soft_shrink(x.to(torch.float64), threshold).to(x.dtype)
    threshold = _like(threshold, x)
    if isinstance(threshold, (int, float)) and threshold >= 0:
        return F.softshrink(x, threshold)
    return torch.where(
        x > threshold, x - threshold, torch.where(x < -threshold, x + threshold, _zero(x))
    )


def hard_shrink(x: Any, threshold: Any = 0.5) -> torch.Tensor:
    """``x`` where ``abs(x) > threshold``, else 0."""
    x = _float(x)
    threshold = _like(threshold, x)
    if isinstance(threshold, (int, float)) and threshold >= 0:
        return F.hardshrink(x, threshold)
    return torch.where(torch.abs(x) > threshold, x, _zero(x))


# --- normalizing over an axis -----------------------------------------------------------------
def _over_axes(
    name: str, fn: Callable[..., torch.Tensor], x: torch.Tensor, axis: Any
) -> torch.Tensor:
    """``fn(x, dim)`` over ``axis``: ``None`` (all elements) or a tuple of axes."""
    if axis is None:
        return fn(x.reshape(-1), -1).reshape(x.shape)
    axis = tuple(axis)
    _check_axes(name, x, axis)
    axes = [a % x.dim() for a in axis]
    kept = [d for d in range(x.dim()) if d not in axes]
    moved = x.permute(*kept, *axes)
    reduced = 1
    for a in axes:
        reduced *= x.shape[a]
    out = fn(moved.reshape(*[x.shape[d] for d in kept], reduced), -1).reshape(moved.shape)
    order = [*kept, *axes]
    return out.permute(*sorted(range(x.dim()), key=order.__getitem__))


def softmax(x: Any, axis: Any = -1) -> torch.Tensor:
    """``exp(x) / sum(exp(x))`` over ``axis`` (an int, a tuple of axes, or ``None``: all)."""
    x = _float(x)
    if type(axis) is not int:
        return _over_axes("softmax", torch.softmax, x, axis)
    if not -x.dim() <= axis < x.dim():
        _check_axes("softmax", x, (axis,))
    if x.shape[axis] == 1:
        warnings.warn(
            f"You are using a softmax over axis {axis} of a tensor of shape {tuple(x.shape)}. "
            "This axis has size 1, so the softmax always returns 1. Did you mean a sigmoid?",
            stacklevel=2,
        )
    return torch.softmax(x, axis)


def log_softmax(x: Any, axis: Any = -1) -> torch.Tensor:
    """``x - logsumexp(x)`` over ``axis`` (an int, a tuple of axes, or ``None``: all)."""
    x = _float(x)
    if type(axis) is not int:
        return _over_axes("log_softmax", torch.log_softmax, x, axis)
    if not -x.dim() <= axis < x.dim():
        _check_axes("log_softmax", x, (axis,))
    return torch.log_softmax(x, axis)


def sparsemax(x: Any, axis: int = -1) -> torch.Tensor:
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``: like
    softmax, but with exact zeros (Martins & Astudillo, 2016)."""
    x = _float(x)
    _check_axes("sparsemax", x, (axis,))
    ordered = torch.sort(x, dim=axis, descending=True).values
    cumsum = torch.cumsum(ordered, dim=axis)
    ranks_shape = [1] * x.dim()
    ranks_shape[axis] = -1
    ranks = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device).reshape(ranks_shape)
    support = ordered - (cumsum - 1) / ranks > 0
    k = support.sum(dim=axis, keepdim=True).to(x.dtype)
    tau = (torch.where(support, cumsum, _zero(x)).sum(dim=axis, keepdim=True) - 1) / k
    return torch.clamp(x - tau, min=0.0)


swish = silu
hard_swish = hard_silu
