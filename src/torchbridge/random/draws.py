"""Keras's random draws on torch: ``normal``, ``uniform``, ``truncated_normal``,
``randint``, ``categorical``, ``dropout``, ``shuffle``, ``gamma``, ``beta``, ``binomial``.

Signatures, defaults and dtypes are Keras 3.15's (float draws default to
``floatx()``, ``randint`` and ``categorical`` to ``"int32"``). Each draw makes
its own ``torch.Generator`` from ``seed`` (see :mod:`.seed_generator`), on the
device of its tensor argument, else torch's default device
(``torch.set_default_device`` / ``with torch.device(...)``). The bit streams
are torch's, not TensorFlow's: the same seed gives the same values on
torchbridge every time, not the values Keras gives on another backend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.backend.config import floatx
from torchbridge.backend.dtypes import to_torch_dtype
from torchbridge.errors import InputError
from torchbridge.random.seed_generator import make_generator

__all__ = [
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

_TRUNCATION = 2.0  # truncated_normal keeps values within 2 standard deviations
_CDF_LOW = 0.5 * math.erfc(_TRUNCATION / math.sqrt(2.0))  # P(Z < -2)


def _float_dtype(fn: str, dtype: Any) -> torch.dtype:
    resolved = to_torch_dtype(dtype if dtype is not None else floatx())
    if not resolved.is_floating_point:
        raise InputError(
            f"keras.random.{fn} requires a floating point `dtype`, got dtype={dtype!r}; "
            "pass e.g. dtype='float32'."
        )
    return resolved


def _int_dtype(fn: str, dtype: Any) -> torch.dtype:
    resolved = to_torch_dtype(dtype if dtype is not None else "int32")
    if resolved.is_floating_point or resolved.is_complex or resolved == torch.bool:
        raise InputError(
            f"keras.random.{fn} requires an integer `dtype`, got dtype={dtype!r}; "
            "pass e.g. dtype='int32'."
        )
    return resolved


def _shape(fn: str, shape: Any) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        return tuple(int(d) for d in dims)
    except (TypeError, ValueError):
        raise InputError(
            f"keras.random.{fn}: `shape` must be a tuple of ints (no None), got shape={shape!r}."
        ) from None


_CPU = torch.device("cpu")
# torch.get_default_device() costs ~7 µs; with no torch function mode active (no
# ``with torch.device(...)``, no ``set_default_device``) the answer is the CPU.
_function_mode_depth = getattr(torch._C, "_len_torch_function_stack", None)


def _device(*values: Any) -> torch.device:
    """The device of the first tensor among ``values``, else torch's default device."""
    for value in values:
        if isinstance(value, torch.Tensor):
            return value.device
    if _function_mode_depth is not None and _function_mode_depth() == 0:
        return _CPU
    return torch.get_default_device()


def _tensor(value: Any, device: torch.device | None = None) -> torch.Tensor:
    """Keras's conversion of an input: tensors kept, NumPy dtypes kept, Python floats → floatx."""
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    tensor = torch.as_tensor(array, device=device)
    if not isinstance(value, (np.ndarray, np.generic)):  # Python numbers and lists
        if array.dtype == np.float64:
            return tensor.to(to_torch_dtype(floatx()))
        if array.dtype == np.int64:
            return tensor.to(torch.int32)
    return tensor


def _param(
    fn: str, name: str, value: Any, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device
) -> Any:
    """A distribution parameter: a Python number as is, a tensor broadcast to ``shape``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return _broadcast(fn, name, value, shape, dtype, device)


def _broadcast(
    fn: str, name: str, value: Any, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    tensor = _tensor(value, device).to(device=device, dtype=dtype)
    try:
        return torch.broadcast_to(tensor, shape)
    except RuntimeError:
        raise InputError(
            f"keras.random.{fn}: `{name}` of shape {tuple(tensor.shape)} does not broadcast "
            f"to shape={shape}."
        ) from None


def _affine(out: torch.Tensor, scale: Any, shift: Any) -> torch.Tensor:
    """``out * scale + shift``, in place where both are Python numbers."""
    if isinstance(scale, (int, float)) and isinstance(shift, (int, float)):
        if scale != 1:
            out.mul_(scale)
        if shift != 0:
            out.add_(shift)
        return out
    return out * scale + shift


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float64 stays float64; half types are sampled in float32 and cast."""
    return torch.float64 if dtype == torch.float64 else torch.float32


# --- continuous draws -------------------------------------------------------------------------
def normal(
    shape: Sequence[int],
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> torch.Tensor:
    """Samples from N(``mean``, ``stddev``²)."""
    dims, torch_dtype = _shape("normal", shape), _float_dtype("normal", dtype)
    device = _device(mean, stddev)
    out = torch.randn(
        dims, generator=make_generator(seed, device), dtype=torch_dtype, device=device
    )
    return _affine(
        out,
        _param("normal", "stddev", stddev, dims, torch_dtype, device),
        _param("normal", "mean", mean, dims, torch_dtype, device),
    )


def uniform(
    shape: Sequence[int],
    minval: Any = 0.0,
    maxval: Any = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> torch.Tensor:
    """Samples from U[``minval``, ``maxval``)."""
    dims, torch_dtype = _shape("uniform", shape), _float_dtype("uniform", dtype)
    device = _device(minval, maxval)
    out = torch.rand(dims, generator=make_generator(seed, device), dtype=torch_dtype, device=device)
    low = _param("uniform", "minval", minval, dims, torch_dtype, device)
    return _affine(out, _param("uniform", "maxval", maxval, dims, torch_dtype, device) - low, low)


def truncated_normal(
    shape: Sequence[int],
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> torch.Tensor:
    """Samples from N(``mean``, ``stddev``²) conditioned on lying within 2 ``stddev`` of ``mean``."""
    dims, torch_dtype = _shape("truncated_normal", shape), _float_dtype("truncated_normal", dtype)
    device = _device(mean, stddev)
    work = _compute_dtype(torch_dtype)
    # Inverse CDF of the truncated standard normal: exact, no rejection loop.
    u = torch.empty(dims, dtype=work, device=device)
    u.uniform_(_CDF_LOW, 1.0 - _CDF_LOW, generator=make_generator(seed, device))
    z = torch.special.ndtri(u).clamp_(-_TRUNCATION, _TRUNCATION).to(torch_dtype)
    return _affine(
        z,
        _param("truncated_normal", "stddev", stddev, dims, torch_dtype, device),
        _param("truncated_normal", "mean", mean, dims, torch_dtype, device),
    )


def gamma(shape: Sequence[int], alpha: Any, dtype: Any = None, seed: Any = None) -> torch.Tensor:
    """Samples from Gamma(``alpha``, 1); ``alpha`` broadcasts to ``shape``."""
    dims, torch_dtype = _shape("gamma", shape), _float_dtype("gamma", dtype)
    device = _device(alpha)
    concentration = _broadcast("gamma", "alpha", alpha, dims, _compute_dtype(torch_dtype), device)
    out = torch._standard_gamma(concentration, generator=make_generator(seed, device))
    return out.to(torch_dtype)


def beta(
    shape: Sequence[int], alpha: Any, beta: Any, dtype: Any = None, seed: Any = None
) -> torch.Tensor:
    """Samples from Beta(``alpha``, ``beta``); both broadcast to ``shape``."""
    dims, torch_dtype = _shape("beta", shape), _float_dtype("beta", dtype)
    device = _device(alpha, beta)
    work = _compute_dtype(torch_dtype)
    pair = torch.stack(
        [
            _broadcast("beta", "alpha", alpha, dims, work, device),
            _broadcast("beta", "beta", beta, dims, work, device),
        ],
        dim=-1,
    )
    # Beta(a, b) is the first coordinate of Dirichlet(a, b) (torch's small-concentration-safe sampler).
    out = torch._sample_dirichlet(pair, generator=make_generator(seed, device))[..., 0]
    return out.to(torch_dtype)


def binomial(
    shape: Sequence[int],
    counts: Any,
    probabilities: Any,
    dtype: Any = None,
    seed: Any = None,
) -> torch.Tensor:
    """Samples from Binomial(``counts``, ``probabilities``); both broadcast to ``shape``."""
    dims = _shape("binomial", shape)
    torch_dtype = to_torch_dtype(dtype if dtype is not None else floatx())
    device = _device(counts, probabilities)
    work = torch.float64 if torch_dtype in (torch.float64, torch.int64) else torch.float32
    n = _broadcast("binomial", "counts", counts, dims, work, device)
    p = _broadcast("binomial", "probabilities", probabilities, dims, work, device)
    return torch.binomial(n, p, generator=make_generator(seed, device)).to(torch_dtype)


# --- discrete draws ---------------------------------------------------------------------------
def randint(
    shape: Sequence[int],
    minval: Any,
    maxval: Any,
    dtype: Any = "int32",
    seed: Any = None,
) -> torch.Tensor:
    """Integers drawn uniformly from [``minval``, ``maxval``)."""
    dims, torch_dtype = _shape("randint", shape), _int_dtype("randint", dtype)
    device = _device(minval, maxval)
    generator = make_generator(seed, device)
    if _is_scalar(minval) and _is_scalar(maxval):
        low, high = int(minval), int(maxval)
        if high <= low:
            raise InputError(f"keras.random.randint: needs minval < maxval, got {low} and {high}.")
        out = torch.randint(low, high, dims, generator=generator, dtype=torch.int64, device=device)
        return out.to(torch_dtype)
    # Tensor bounds: floor of a uniform draw over each element's own range.
    low_t = _broadcast("randint", "minval", minval, dims, torch.float64, device)
    high_t = _broadcast("randint", "maxval", maxval, dims, torch.float64, device)
    u = torch.rand(dims, generator=generator, dtype=torch.float64, device=device)
    out = torch.minimum(torch.floor(low_t + u * (high_t - low_t)), high_t - 1)
    return out.to(torch_dtype)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.ndim == 0
    return np.ndim(value) == 0


def categorical(
    logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None
) -> torch.Tensor:
    """For each row of ``logits`` (batch, classes), ``num_samples`` class indices drawn
    with probabilities ``softmax(logits)`` (with replacement): shape (batch, num_samples)."""
    x = _tensor(logits)
    if x.ndim != 2:
        raise InputError(
            "keras.random.categorical: `logits` must be 2-D (batch_size, num_classes), "
            f"got shape {tuple(x.shape)}."
        )
    torch_dtype = to_torch_dtype(dtype if dtype is not None else "int32")
    count = int(num_samples)
    generator = make_generator(seed, x.device)
    if x.shape[0] == 0 or count == 0:
        return torch.zeros((x.shape[0], count), dtype=torch_dtype, device=x.device)
    probs = torch.softmax(x.to(_compute_dtype(x.dtype)), dim=-1)
    out = torch.multinomial(probs, count, replacement=True, generator=generator)
    return out.to(torch_dtype)


def dropout(inputs: Any, rate: Any, noise_shape: Any = None, seed: Any = None) -> torch.Tensor:
    """Zero each entry with probability ``rate`` and scale the rest by 1 / (1 - ``rate``);
    ``noise_shape`` (``None`` entries = the input's size) shares the mask along axes of size 1."""
    x = _tensor(inputs)
    if not x.is_floating_point():
        raise InputError(
            f"keras.random.dropout: `inputs` must be a float tensor (they are scaled), "
            f"got dtype {str(x.dtype).removeprefix('torch.')}; cast them first."
        )
    p = float(rate)
    if not 0.0 <= p <= 1.0:
        raise InputError(f"keras.random.dropout: `rate` must be in [0, 1], got rate={rate!r}.")
    if p == 0.0:
        return x
    if p == 1.0:
        return torch.zeros_like(x)
    if noise_shape is None:
        mask_shape: tuple[int, ...] = tuple(x.shape)
    else:
        if len(noise_shape) != x.ndim:
            raise InputError(
                f"keras.random.dropout: `noise_shape` {tuple(noise_shape)} must have one entry "
                f"per axis of the inputs, of shape {tuple(x.shape)}."
            )
        mask_shape = tuple(x.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
        if any(m not in (1, n) for m, n in zip(mask_shape, x.shape, strict=True)):
            raise InputError(
                f"keras.random.dropout: `noise_shape` {tuple(noise_shape)} must match the "
                f"inputs' shape {tuple(x.shape)} or be 1 (or None) on each axis."
            )
    keep = 1.0 - p
    noise = torch.rand(mask_shape, generator=make_generator(seed, x.device), device=x.device)
    return torch.where(noise < keep, x / keep, torch.zeros((), dtype=x.dtype, device=x.device))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> torch.Tensor:
    """``x`` with its slices along ``axis`` in a random order (one permutation for all)."""
    tensor = _tensor(x)
    if tensor.ndim == 0:
        raise InputError("keras.random.shuffle: `x` must have at least one axis, got a scalar.")
    if not -tensor.ndim <= axis < tensor.ndim:
        raise InputError(
            f"keras.random.shuffle: axis={axis} is out of range for `x` of shape {tuple(tensor.shape)}."
        )
    generator = make_generator(seed, tensor.device)
    perm = torch.randperm(tensor.shape[axis], generator=generator, device=tensor.device)
    return tensor.index_select(axis, perm)
