"""Keras's NumPy-style array creation on torch: filled arrays (``zeros``,
``ones``, ``full``, ``empty`` and their ``*_like``), ranges (``arange``,
``linspace``, ``logspace``, ``geomspace``), grids (``meshgrid``), matrices
(``eye``, ``identity``, ``tri``) and window functions (``bartlett``,
``blackman``, ``hamming``, ``hanning``, ``kaiser``) — ``keras.ops`` names,
same signatures.

Dtypes follow Keras on its TensorFlow backend: ``zeros``/``ones``/``full``/
``empty``/``eye``/``tri``/``identity`` default to ``floatx()`` (even for an
integer ``fill_value``); ``*_like`` keep the input's dtype; ``arange`` and
``linspace`` promote their arguments' dtypes (Python ints are weak, so
``arange(5)`` is int32 and ``linspace(0, 1)`` floatx); ``bartlett`` and
``blackman`` give ``floatx()``, ``hamming``/``hanning``/``kaiser`` float32.
``empty`` and ``empty_like`` return zeros, as Keras's TensorFlow backend.
New tensors go to the device of a tensor argument, else the CPU.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import FLOAT_TYPES, result_type, to_torch_dtype
from torchbridge.errors import InputError
from torchbridge.ops._convert import device_of, dtype_of, to_tensor

__all__ = [
    "arange",
    "array",
    "bartlett",
    "blackman",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "geomspace",
    "hamming",
    "hanning",
    "identity",
    "kaiser",
    "linspace",
    "logspace",
    "meshgrid",
    "ones",
    "ones_like",
    "tri",
    "zeros",
    "zeros_like",
]

_Tensor = torch.Tensor
_INT_OR_NONE = (int, type(None))
_INT32_LIMIT = 2**31 - 1


def _dtype(dtype: Any) -> torch.dtype:
    """``dtype`` as a torch dtype, ``floatx()`` when ``None``."""
    return to_torch_dtype(config._floatx if dtype is None else dtype)


def _shape(shape: Any) -> Any:
    """``shape`` as torch takes it (tuples of ints pass as they are)."""
    if type(shape) is tuple or type(shape) is int:
        return shape
    if isinstance(shape, _Tensor):
        return tuple(int(n) for n in shape.reshape(-1).tolist())
    return tuple(int(n) for n in shape)


def _int(value: Any) -> int:
    return int(value.item()) if isinstance(value, _Tensor) else int(value)


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, _Tensor) else value


# --- filled arrays -----------------------------------------------------------------
def zeros(shape: Any, dtype: Any = None) -> Any:
    """A tensor of zeros (``floatx()`` unless ``dtype``)."""
    return torch.zeros(_shape(shape), dtype=_dtype(dtype))


def ones(shape: Any, dtype: Any = None) -> Any:
    """A tensor of ones (``floatx()`` unless ``dtype``)."""
    return torch.ones(_shape(shape), dtype=_dtype(dtype))


def empty(shape: Any, dtype: Any = None) -> Any:
    """A new tensor of ``shape`` (zero-filled, as Keras's TensorFlow backend)."""
    return torch.zeros(_shape(shape), dtype=_dtype(dtype))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """A tensor of ``shape`` filled with ``fill_value`` (broadcast; ``floatx()`` unless ``dtype``)."""
    tdt = _dtype(dtype)
    if isinstance(fill_value, (bool, int, float)):
        return torch.full(_shape(shape), fill_value, dtype=tdt)
    value = to_tensor(fill_value, tdt)
    return value.expand(_shape(shape)).clone()


def _like(x: Any, dtype: Any) -> tuple[torch.Tensor, torch.dtype]:
    x = x if type(x) is _Tensor else to_tensor(x)
    return x, x.dtype if dtype is None else to_torch_dtype(dtype)


def zeros_like(x: Any, dtype: Any = None) -> Any:
    """Zeros of ``x``'s shape (and dtype, unless ``dtype``)."""
    x, tdt = _like(x, dtype)
    return torch.zeros_like(x, dtype=tdt)


def ones_like(x: Any, dtype: Any = None) -> Any:
    """Ones of ``x``'s shape (and dtype, unless ``dtype``)."""
    x, tdt = _like(x, dtype)
    return torch.ones_like(x, dtype=tdt)


def empty_like(x: Any, dtype: Any = None) -> Any:
    """A new tensor of ``x``'s shape (zero-filled, as Keras's TensorFlow backend)."""
    x, tdt = _like(x, dtype)
    return torch.zeros_like(x, dtype=tdt)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """``fill_value`` broadcast to ``x``'s shape, in ``x``'s dtype unless ``dtype``."""
    x, tdt = _like(x, dtype)
    if isinstance(fill_value, (bool, int, float)):
        return torch.full_like(x, fill_value, dtype=tdt)
    value = to_tensor(fill_value, tdt, x.device)
    return value.to(x.device).expand(x.shape).clone()


def array(x: Any, dtype: Any = None) -> Any:
    """``x`` as a tensor (NumPy keeps its dtype, Python floats become ``floatx()``)."""
    return to_tensor(x, dtype)


# --- ranges --------------------------------------------------------------------------
def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` without ``stop``)."""
    if dtype is not None:
        tdt = to_torch_dtype(dtype)
    elif type(start) is int and type(stop) in _INT_OR_NONE and type(step) in _INT_OR_NONE:
        # weak Python ints (the common case, without the promotion lookup); int64 past int32
        big = abs(start) >= _INT32_LIMIT or (stop is not None and abs(stop) >= _INT32_LIMIT)
        tdt = torch.int64 if big else torch.int32
    else:
        values = (start, stop, step)
        tdt = to_torch_dtype(result_type(*(dtype_of(v) for v in values if v is not None)))
    device = device_of(start, stop, step)
    if stop is None:
        start, stop = 0, start
    return torch.arange(
        _scalar(start),
        _scalar(stop),
        1 if step is None else _scalar(step),
        dtype=tdt,
        device=device,
    )


def _spaced(
    op: str, start: Any, stop: Any, num: int, endpoint: bool, dtype: Any, axis: int
) -> tuple[torch.Tensor, torch.Tensor, torch.dtype]:
    """``num`` values from ``start`` towards ``stop`` (computed in float) and the step."""
    if num < 0:
        raise InputError(f"{op}: num must be a non-negative integer; got num={num}.")
    if dtype is None:
        dtype = result_type(dtype_of(start), dtype_of(stop), float)
    tdt = to_torch_dtype(dtype)
    work = tdt if tdt.is_floating_point else torch.float64
    device = device_of(start, stop)
    a = to_tensor(start, tdt, device).to(work)
    b = to_tensor(stop, tdt, device).to(work)
    a, b = torch.broadcast_tensors(a, b)
    divisions = num - 1 if endpoint else num
    ticks = torch.arange(num, dtype=work, device=device).reshape(num, *([1] * a.ndim))
    if divisions > 0:
        step = (b - a) / divisions
        values = a + ticks * step
    else:  # zero or one value: no step (NaN, as NumPy's retstep)
        step = torch.full_like(a, torch.nan)
        values = a + ticks
    if endpoint and num > 1:
        values[-1] = b
    if a.ndim:
        values = values.movedim(0, axis)
    return values, step, tdt


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive if ``endpoint``)."""
    values, step, tdt = _spaced("linspace", start, stop, num, endpoint, dtype, axis)
    if not tdt.is_floating_point:
        values = torch.floor(values)
    values = values.to(tdt)
    if retstep:
        return values, step
    return values


def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: Any = 10,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``base ** linspace(start, stop, ...)``."""
    exponents = linspace(start, stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)
    return torch.pow(to_tensor(base, exponents.dtype, exponents.device), exponents)


def geomspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``num`` values from ``start`` to ``stop`` spaced evenly on a log scale."""
    work = _dtype(dtype)
    device = device_of(start, stop)
    a, b = to_tensor(start, device=device), to_tensor(stop, device=device)
    log_a = torch.log10(a.to(work).abs())
    log_b = torch.log10(b.to(work).abs())
    out = logspace(log_a, log_b, num=num, endpoint=endpoint, base=10, dtype=dtype, axis=axis)
    sign = torch.sign(a.to(out.dtype))
    if sign.ndim:
        sign = sign.unsqueeze(axis if axis >= 0 else axis + out.ndim)
    return out * sign


def meshgrid(*x: Any, indexing: str = "xy") -> Any:
    """Coordinate grids from 1-D inputs (``indexing`` ``'xy'`` or ``'ij'``)."""
    if indexing not in ("xy", "ij"):
        raise InputError(f"meshgrid: indexing={indexing!r}; pass 'xy' or 'ij'.")
    tensors = [to_tensor(v) for v in x]
    return list(torch.meshgrid(*tensors, indexing=indexing))


# --- matrices ----------------------------------------------------------------------------
def _is_float(v: Any) -> bool:
    if isinstance(v, float):
        return True
    dt = getattr(v, "dtype", None)
    return dt is not None and str(dt).replace("torch.", "") in FLOAT_TYPES


def eye(N: Any, M: Any = None, k: Any = 0, dtype: Any = None) -> Any:
    """A 2-D tensor with ones on diagonal ``k`` and zeros elsewhere (``N x M``)."""
    if _is_float(N):
        raise TypeError("eye: N must be an integer or an integer tensor; got a float.")
    if _is_float(M):
        raise TypeError("eye: M must be an integer, an integer tensor or None; got a float.")
    n = _int(N)
    m = n if M is None else _int(M)
    k = _int(k)
    tdt = _dtype(dtype)
    if k == 0:
        return torch.eye(n, m, dtype=tdt)
    rows = torch.arange(n).unsqueeze(1)
    cols = torch.arange(m).unsqueeze(0)
    return (cols - rows == k).to(tdt)


def identity(n: Any, dtype: Any = None) -> Any:
    """The ``n x n`` identity matrix."""
    return eye(n, n, dtype=dtype)


def tri(N: Any, M: Any = None, k: Any = 0, dtype: Any = None) -> Any:
    """Ones at and below diagonal ``k`` of an ``N x M`` tensor, zeros above."""
    n = _int(N)
    m = n if M is None else _int(M)
    return torch.ones(n, m, dtype=torch.bool).tril(_int(k)).to(_dtype(dtype))


# --- windows ---------------------------------------------------------------------------------
def _length(op: str, x: Any) -> int:
    n = _int(x)
    if n < 0:
        raise InputError(f"{op}: the window length must be non-negative; got {n}.")
    return n


def bartlett(x: Any) -> Any:
    """The Bartlett (triangular) window of length ``x`` (``floatx()``)."""
    n = _length("bartlett", x)
    return torch.bartlett_window(n, periodic=False, dtype=_dtype(None))


def blackman(x: Any) -> Any:
    """The Blackman window of length ``x`` (``floatx()``)."""
    n = _length("blackman", x)
    return torch.blackman_window(n, periodic=False, dtype=_dtype(None))


def hamming(x: Any) -> Any:
    """The Hamming window of length ``x`` (float32)."""
    return torch.hamming_window(_length("hamming", x), periodic=False, dtype=torch.float32)


def hanning(x: Any) -> Any:
    """The Hann window of length ``x`` (float32)."""
    return torch.hann_window(_length("hanning", x), periodic=False, dtype=torch.float32)


def kaiser(x: Any, beta: Any) -> Any:
    """The Kaiser window of length ``x`` and shape ``beta`` (float32)."""
    n = _length("kaiser", x)
    return torch.kaiser_window(n, periodic=False, beta=float(_scalar(beta)), dtype=torch.float32)
