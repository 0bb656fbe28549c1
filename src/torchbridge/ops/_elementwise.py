"""Shared prologues of the elementwise ops (ops/numpy_elementwise*.py).

Keras's elementwise ops fall into a few dtype rules, each a helper here:

- :func:`float_operand` — the unary float ops (``sin``, ``log``, ``sqrt`` ...):
  float inputs keep their dtype, complex128 narrows to complex64, everything
  else becomes ``floatx()`` (int64 too, as Keras does); :func:`inexact_operand`
  (``exp``, ``expm1``, ``reciprocal`` ...) keeps complex128.
- :func:`wide_float_operand` — ``cbrt``/``deg2rad``/``rad2deg``/``i0``-style
  ops, where int64 becomes float64 instead.
- :func:`strong_operands` — binary ops whose Keras implementation converts
  Python scalars to tensors first (``mod``, ``arctan2``, comparisons ...):
  a Python ``int`` counts as int32 and a ``float`` as ``floatx()`` in the
  promotion, not as a weak scalar.
- :func:`keras_op` — turns torch's shape and dtype failures into errors that
  name the op, its arguments' shapes and dtypes (zero cost unless it fails).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import result_type, standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import device_of, to_tensor, to_tensors

__all__ = [
    "compare_operands",
    "float_operand",
    "float_result",
    "inexact_operand",
    "keras_op",
    "strong_operands",
    "wide_float_operand",
]

_Tensor = torch.Tensor
_F = TypeVar("_F", bound=Callable[..., Any])


def float_operand(x: Any) -> torch.Tensor:
    """``x`` as a tensor of Keras's ``result_type(x.dtype, float)``: floats kept,
    complex128 narrowed to complex64 (as Keras does), other dtypes ``floatx()``."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.is_floating_point():
        return x
    if x.is_complex():
        return x if x.dtype == torch.complex64 else x.to(torch.complex64)
    return x.to(to_torch_dtype(config._floatx))


def inexact_operand(x: Any) -> torch.Tensor:
    """``x`` as a tensor; float and complex dtypes kept, others ``floatx()``."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(to_torch_dtype(config._floatx))


def wide_float_operand(x: Any) -> torch.Tensor:
    """As :func:`float_operand`, but int64 becomes float64."""
    if type(x) is not _Tensor:
        x = to_tensor(x)
    if x.is_floating_point() or x.is_complex():
        return x
    if x.dtype == torch.int64:
        return x.to(torch.float64)
    return x.to(to_torch_dtype(config._floatx))


def float_result(dtype: torch.dtype, wide_int64: bool = False) -> torch.dtype:
    """Keras's ``result_type(dtype, float)``: non-float dtypes become ``floatx()``
    (int64 becomes float64 when ``wide_int64``)."""
    if dtype.is_floating_point or dtype.is_complex:
        return dtype
    if wide_int64 and dtype == torch.int64:
        return torch.float64
    return to_torch_dtype(config._floatx)


def strong_operands(x1: Any, x2: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both operands as tensors of their promoted dtype, Python scalars converted
    first (int → int32, float → floatx), as Keras's TensorFlow backend does."""
    if type(x1) is _Tensor and type(x2) is _Tensor and x1.dtype == x2.dtype:
        return x1, x2
    if not isinstance(x1, _Tensor) or not isinstance(x2, _Tensor):
        device = device_of(x1, x2)
        if not isinstance(x1, _Tensor):
            x1 = to_tensor(x1, device=device)
        if not isinstance(x2, _Tensor):
            x2 = to_tensor(x2, device=device)
    return to_tensors(x1, x2)  # type: ignore[return-value]


_SCALAR_KEYS: dict[tuple[Any, ...], torch.dtype] = {}
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _scalar_promotion(dtype: torch.dtype, scalar_type: type) -> torch.dtype:
    strong = {bool: "bool", int: "int32", float: config._floatx}[scalar_type]
    found = _SCALAR_KEYS[(config._floatx, dtype, scalar_type)] = to_torch_dtype(
        result_type(standardize_dtype(dtype), strong)
    )
    return found


def compare_operands(x1: Any, x2: Any) -> tuple[Any, Any]:
    """:func:`strong_operands`, but a Python scalar after a tensor stays a scalar
    (the tensor takes the promoted dtype; torch computes in it), which saves
    making a scalar tensor. Used by comparisons, ``mod``/``fmod``, bitwise ops."""
    if type(x1) is _Tensor:
        t2 = type(x2)
        if t2 is _Tensor:
            return (x1, x2) if x1.dtype == x2.dtype else to_tensors(x1, x2)  # type: ignore[return-value]
        if t2 is float or t2 is bool or (t2 is int and _INT32_MIN <= x2 <= _INT32_MAX):
            tdt = _SCALAR_KEYS.get((config._floatx, x1.dtype, t2))
            if tdt is None:
                tdt = _scalar_promotion(x1.dtype, t2)
            return (x1 if x1.dtype == tdt else x1.to(tdt)), x2
    return strong_operands(x1, x2)


def _describe(values: dict[str, Any]) -> str:
    parts = []
    for name, value in values.items():
        if isinstance(value, _Tensor):
            parts.append(f"{name} (shape {tuple(value.shape)}, {standardize_dtype(value.dtype)})")
        elif hasattr(value, "shape") and hasattr(value, "dtype"):
            parts.append(f"{name} (shape {tuple(value.shape)}, {value.dtype})")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _translate(name: str, values: dict[str, Any], exc: Exception) -> Exception:
    text = str(exc)
    if "must match the size" in text or ("shape" in text and "broadcast" in text):
        return ValueError(
            f"{name}: the inputs do not broadcast together: {_describe(values)}. Give "
            "them shapes that are equal or 1 along each axis (NumPy broadcasting)."
        )
    if "not implemented for" in text or "not supported" in text:
        return TypeError(
            f"{name} does not support these input dtypes: {_describe(values)}. "
            f"Cast the inputs (keras.ops.cast) to a supported dtype. ({text.splitlines()[0]})"
        )
    return exc


_WRAPPER = """
def _op({params}):
    try:
        return fn({params})
    except RuntimeError as exc:
        raised = translate(name, dict(zip(names, ({params},))), exc)
        if raised is exc:
            raise
        raise raised from exc
"""


_wrapper_codes: dict[str, Any] = {}  # parameter list -> compiled _WRAPPER

_RESERVED = frozenset({"fn", "translate", "names", "name", "exc", "raised"})


def keras_op(fn: _F) -> _F:
    """Wrap ``fn`` so that torch's broadcasting/dtype failures become errors that
    name the op and its inputs' shapes and dtypes.

    The wrapper is generated with ``fn``'s own parameters (no ``*args``/``**kwargs``
    packing), so it costs one plain Python call; its signature is ``fn``'s.
    """
    code = fn.__code__
    names = code.co_varnames[: code.co_argcount]
    if _RESERVED.intersection(names) or code.co_flags & 0x0C:  # no *args/**kwargs ops
        raise TypeError(f"keras_op cannot wrap {fn.__name__}{names}: rename its parameters")
    namespace: dict[str, Any] = {
        "fn": fn,
        "translate": _translate,
        "names": names,
        "name": fn.__name__,
    }
    params = ", ".join(names)
    wrapper_code = _wrapper_codes.get(params)
    if wrapper_code is None:  # ops sharing a parameter list share one compiled wrapper
        wrapper_code = _wrapper_codes[params] = compile(
            _WRAPPER.format(params=params), "<keras_op wrapper>", "exec"
        )
    exec(wrapper_code, namespace)  # our own generated code (defines `_op`)
    op = namespace["_op"]
    op.__code__ = op.__code__.replace(co_name=fn.__name__, co_qualname=fn.__name__)
    op.__defaults__ = fn.__defaults__
    return functools.wraps(fn)(op)  # type: ignore[return-value]
