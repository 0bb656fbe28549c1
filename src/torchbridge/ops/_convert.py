"""The conventions every op follows: inputs to tensors, Keras dtypes, one device.

Ops accept torch tensors (and Variables), NumPy arrays and scalars, Python
scalars and nested lists. The helpers here turn those into tensors the way
Keras does, cheaply (a ``type(x) is torch.Tensor`` test comes first, so a
tensor input costs one comparison):

- :func:`to_tensor` — one input: tensors pass through (cast if ``dtype``);
  NumPy keeps its dtype; a Python ``float`` becomes ``floatx()``, an ``int``
  int32 (int64 if it does not fit), a ``bool`` bool; lists take the promoted
  dtype of their leaves. Non-tensors go to ``device`` (the op's tensor inputs'
  device) when given.
- :func:`dtype_of` — the operand's dtype *for promotion*: Python ``int`` and
  ``float`` stay weak (the types ``int``/``float``), so ``x_f16 + 1.0`` stays
  float16 as in Keras.
- :func:`result_dtype` — the torch dtype ``backend.result_type`` gives for
  some operands (cached per dtype combination).
- :func:`to_tensors` — several operands converted to one promoted dtype on
  the device of the first tensor among them (the usual elementwise prologue;
  ``keep_scalars=True`` leaves Python scalars for torch ops that take them,
  saving the ~2-5 µs a scalar tensor costs).
- :func:`device_of` — that device (CPU when there is no tensor).

A typical binary op::

    def add(x1, x2):
        x1, x2 = to_tensors(x1, x2, keep_scalars=True)
        return torch.add(x1, x2)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import result_type, standardize_dtype, to_torch_dtype

__all__ = [
    "device_of",
    "dtype_of",
    "result_dtype",
    "to_tensor",
    "to_tensors",
    "torch_dtype",
]

_Tensor = torch.Tensor
_CPU = torch.device("cpu")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def torch_dtype(dtype: Any) -> torch.dtype:
    """``to_torch_dtype`` (a dict lookup for names and torch dtypes)."""
    return to_torch_dtype(dtype)


def _scalar_dtype(x: bool | int | float | complex) -> torch.dtype:
    if isinstance(x, bool):
        return torch.bool
    if isinstance(x, int):
        return torch.int32 if _INT32_MIN <= x <= _INT32_MAX else torch.int64
    if isinstance(x, float):
        return to_torch_dtype(config.floatx())
    return torch.complex64


def _leaf_dtypes(x: Any, out: list[Any]) -> None:
    if isinstance(x, (list, tuple)):
        for item in x:
            _leaf_dtypes(item, out)
    elif isinstance(x, _Tensor):
        out.append(x.dtype)
    else:
        out.append(getattr(x, "dtype", type(x)))


def _from_numpy(x: np.ndarray, dtype: torch.dtype | None, device: Any) -> torch.Tensor:
    if x.dtype == np.uint32:  # torch has no arithmetic on uint32
        x = x.astype(np.int64)
    elif x.dtype.name == "bfloat16":  # ml_dtypes arrays
        x = x.astype(np.float32)
        dtype = dtype or torch.bfloat16
    if not x.flags.writeable:
        x = x.copy()
    t = torch.from_numpy(x) if x.dtype != np.object_ else torch.as_tensor(x.tolist())
    if device is not None:
        t = t.to(device)
    return t if dtype is None or t.dtype == dtype else t.to(dtype)


def to_tensor(x: Any, dtype: Any = None, device: Any = None) -> torch.Tensor:
    """``x`` as a torch tensor, with Keras's dtype rules (see the module docstring)."""
    tdt = None if dtype is None else to_torch_dtype(dtype)
    if type(x) is _Tensor or isinstance(x, _Tensor):
        return x if tdt is None or x.dtype == tdt else x.to(tdt)
    if isinstance(x, np.ndarray):
        return _from_numpy(x, tdt, device)
    if isinstance(x, np.generic):  # before the Python scalars: np.float64 subclasses float
        return _from_numpy(np.asarray(x), tdt, device)
    if isinstance(x, (bool, int, float)):
        return torch.scalar_tensor(x, dtype=tdt or _scalar_dtype(x), device=device)
    if isinstance(x, complex):
        return torch.tensor(x, dtype=tdt or torch.complex64, device=device)
    if isinstance(x, (list, tuple)):
        if any(isinstance(item, _Tensor) for item in x):
            items = [to_tensor(item, dtype, device) for item in x]
            device = device or items[0].device
            common = tdt or result_dtype(*items)
            return torch.stack([i.to(device=device, dtype=common) for i in items])
        if tdt is None:
            leaves: list[Any] = []
            _leaf_dtypes(x, leaves)
            tdt = (
                to_torch_dtype(result_type(*leaves)) if leaves else to_torch_dtype(config.floatx())
            )
        return torch.tensor(x, dtype=tdt, device=device)
    value = getattr(x, "value", None)  # Keras-style Variables
    if isinstance(value, _Tensor):
        return to_tensor(value, dtype, device)
    try:
        array = np.asarray(x)
    except Exception as exc:
        raise TypeError(
            f"Cannot convert {type(x).__name__} to a tensor: pass a torch tensor, a NumPy "
            "array, a Python scalar or a (nested) list of numbers."
        ) from exc
    if array.dtype == np.object_:
        raise TypeError(
            f"Cannot convert {type(x).__name__} to a tensor: pass a torch tensor, a NumPy "
            "array, a Python scalar or a (nested) list of numbers."
        )
    return _from_numpy(array, tdt, device)


def dtype_of(x: Any) -> Any:
    """The dtype of ``x`` for promotion: a torch dtype, or the weak ``int``/``float``."""
    if isinstance(x, _Tensor):
        return x.dtype
    tx = type(x)
    if tx is float or tx is int or tx is bool:
        return tx
    if tx is complex:
        return "complex64"
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return dt
    if isinstance(x, (list, tuple)):
        leaves: list[Any] = []
        _leaf_dtypes(x, leaves)
        return result_type(*leaves) if leaves else config.floatx()
    return standardize_dtype(getattr(to_tensor(x), "dtype", None))


_PROMOTED: dict[tuple[Any, ...], torch.dtype] = {}


def result_dtype(*xs: Any) -> torch.dtype:
    """The torch dtype of Keras's promotion of the operands ``xs`` (cached per dtypes)."""
    key = (config._floatx, *[dtype_of(x) for x in xs])
    try:
        return _PROMOTED[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable dtype spelling
        return to_torch_dtype(result_type(*key[1:]))
    found = _PROMOTED[key] = to_torch_dtype(result_type(*key[1:]))
    return found


_TORCH_AGREES: dict[tuple[Any, ...], bool] = {}


def torch_promotes_as_keras(x1: Any, x2: Any) -> bool:
    """Whether a torch arithmetic op on ``x1`` and ``x2`` as they are (tensors, or a float
    tensor and then a Python number) already gives Keras's result dtype, so the operands need
    no conversion: torch then promotes inside the kernel, without a separate cast."""
    t1, t2 = type(x1), type(x2)
    if t1 is _Tensor and t2 is _Tensor:
        if x1.dtype == x2.dtype:
            return True
        key = (config._floatx, x1.dtype, x2.dtype)
        agrees = _TORCH_AGREES.get(key)
        if agrees is None:
            # (bool operands are cast first: torch.sub refuses a bool tensor)
            agrees = _TORCH_AGREES[key] = torch.bool not in key[1:] and torch.promote_types(
                x1.dtype, x2.dtype
            ) == result_dtype(x1, x2)
        return agrees
    # A Python number second (torch's arithmetic functions take a tensor first).
    return t1 is _Tensor and (t2 is float or t2 is int) and x1.is_floating_point()


def device_of(*xs: Any) -> torch.device:
    """The device of the first tensor among ``xs`` (CPU if none)."""
    for x in xs:
        if isinstance(x, _Tensor):
            return x.device
    return _CPU


_PY_SCALARS = (bool, int, float)


def to_tensors(*xs: Any, dtype: Any = None, keep_scalars: bool = False) -> tuple[Any, ...]:
    """All operands as tensors of one (promoted, or the given) dtype on one device.

    Same-dtype tensors come back untouched. With ``keep_scalars=True``, Python
    ``bool``/``int``/``float`` operands stay Python scalars (cheaper: torch ops
    take them and, once the tensors have the promoted dtype, give Keras's
    result dtype) unless every operand is a scalar.
    """
    if dtype is None:
        if len(xs) == 2 and type(xs[0]) is _Tensor:  # the hot cases, inlined
            a, b = xs
            tb = type(b)
            if tb is _Tensor:
                if a.dtype == b.dtype:
                    return xs
                tdt = _PROMOTED.get((config._floatx, a.dtype, b.dtype)) or result_dtype(a, b)
                return (a if a.dtype == tdt else a.to(tdt), b if b.dtype == tdt else b.to(tdt))
            if keep_scalars and (tb is float or tb is int or tb is bool):
                tdt = _PROMOTED.get((config._floatx, a.dtype, tb)) or result_dtype(a, b)
                return (a if a.dtype == tdt else a.to(tdt), b)
        tdt = result_dtype(*xs)
    else:
        tdt = to_torch_dtype(dtype)
    device = device_of(*xs)
    any_tensor = False
    out: list[Any] = []
    for x in xs:
        if isinstance(x, _Tensor):
            out.append(x if x.dtype == tdt else x.to(tdt))
            any_tensor = True
        elif keep_scalars and type(x) in _PY_SCALARS:
            out.append(x)
        else:
            out.append(to_tensor(x, tdt, device))
            any_tensor = True
    if not any_tensor:
        out[0] = torch.scalar_tensor(out[0], dtype=tdt, device=device)
    return tuple(out)
