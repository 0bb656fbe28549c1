"""Keras's binary (and ternary) elementwise NumPy-style ops on torch: arithmetic,
comparisons, logical and bitwise ops, ``clip`` and ``where``, with Keras's
signatures, NumPy broadcasting and dtypes.

Dtype rules (Keras 3.15, as its TensorFlow backend computes them):

- ``add``/``subtract``/``multiply``/``power``/``floor_divide``/``maximum``/
  ``minimum``/``fmax``/``fmin``/``where``: ``backend.result_type`` of the
  operands with Python scalars *weak* (``x_f16 + 1.0`` stays float16);
  ``divide``/``true_divide``/``divide_no_nan`` the same, then ``floatx()`` if
  that is not a float dtype;
- every other binary op converts Python scalars first (int → int32,
  float → floatx) and promotes those: ``mod``/``fmod`` (bool → int32),
  comparisons (bool results), bitwise ops, ``gcd``/``lcm`` (integers only),
  ``arctan2``/``logaddexp``/``logaddexp2``/``nextafter``/``ldexp`` (then float:
  ints → floatx), ``heaviside``/``hypot`` (int64 → float64, other ints →
  floatx); shifts by a Python int keep ``x``'s dtype;
- ``clip`` keeps ``x``'s dtype (bool → int32); ``where(condition)`` alone gives
  the int32 indices of the nonzero elements, one tensor per axis.

Unary ops live in :mod:`torchbridge.ops.numpy_elementwise_unary`.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import device_of, to_tensor, to_tensors, torch_promotes_as_keras
from torchbridge.ops._elementwise import (
    compare_operands,
    float_result,
    keras_op,
    strong_operands,
)

__all__ = [
    "add",
    "arctan2",
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "clip",
    "divide",
    "divide_no_nan",
    "equal",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "gcd",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "isclose",
    "lcm",
    "ldexp",
    "left_shift",
    "less",
    "less_equal",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nextafter",
    "not_equal",
    "power",
    "right_shift",
    "subtract",
    "true_divide",
    "where",
]

_Tensor = torch.Tensor
_SCALARS = (bool, int, float)


# --- arithmetic (weak Python scalars) ----------------------------------------
@keras_op
def add(x1: Any, x2: Any) -> Any:
    """``x1 + x2`` with broadcasting."""
    if not torch_promotes_as_keras(x1, x2):
        x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    return torch.add(x1, x2)


@keras_op
def subtract(x1: Any, x2: Any) -> Any:
    """``x1 - x2`` with broadcasting."""
    if not torch_promotes_as_keras(x1, x2):
        x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    return torch.sub(x1, x2)


@keras_op
def multiply(x1: Any, x2: Any) -> Any:
    """``x1 * x2`` with broadcasting."""
    if not torch_promotes_as_keras(x1, x2):
        x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    return torch.mul(x1, x2)


@keras_op
def power(x1: Any, x2: Any) -> Any:
    """``x1 ** x2`` with broadcasting."""
    x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    if (x1 if isinstance(x1, _Tensor) else x2).dtype == torch.bool:
        raise TypeError("power does not support bool inputs: cast them to a numeric dtype first.")
    return torch.pow(x1, x2)


@keras_op
def floor_divide(x1: Any, x2: Any) -> Any:
    """``x1 // x2``: the quotient rounded toward -inf."""
    x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    return torch.floor_divide(x1, x2)


def _float_operands(x1: Any, x2: Any) -> tuple[Any, Any]:
    if type(x1) is _Tensor and type(x2) is _Tensor and x1.dtype == x2.dtype:
        if x1.is_floating_point():
            return x1, x2
    else:
        x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    t = x1 if isinstance(x1, _Tensor) else x2
    if not (t.is_floating_point() or t.is_complex()):
        fdt = to_torch_dtype(config._floatx)
        x1 = x1.to(fdt) if isinstance(x1, _Tensor) else x1
        x2 = x2.to(fdt) if isinstance(x2, _Tensor) else x2
    return x1, x2


@keras_op
def divide(x1: Any, x2: Any) -> Any:
    """True division ``x1 / x2`` (integer and bool inputs give floatx)."""
    x1, x2 = _float_operands(x1, x2)
    return torch.div(x1, x2)


@keras_op
def true_divide(x1: Any, x2: Any) -> Any:
    """True division (an alias of :func:`divide`)."""
    x1, x2 = _float_operands(x1, x2)
    return torch.div(x1, x2)


@keras_op
def divide_no_nan(x1: Any, x2: Any) -> Any:
    """``x1 / x2``, and 0 wherever ``x2`` is 0 (even for NaN or inf ``x1``)."""
    x1, x2 = _float_operands(x1, x2)
    quotient = torch.div(x1, x2)
    if not isinstance(x2, _Tensor):
        return torch.zeros_like(quotient) if x2 == 0 else quotient
    return torch.where(torch.eq(x2, 0), 0, quotient)


@keras_op
def maximum(x1: Any, x2: Any) -> Any:
    """Elementwise maximum (NaN wins, as in NumPy)."""
    x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    if not isinstance(x2, _Tensor):
        if x1.dtype != torch.bool:  # torch clamps numbers only
            return torch.clamp_min(x1, x2)
        x2 = to_tensor(x2, x1.dtype, x1.device)
    elif not isinstance(x1, _Tensor):
        if x2.dtype != torch.bool:
            return torch.clamp_min(x2, x1)
        x1 = to_tensor(x1, x2.dtype, x2.device)
    return torch.maximum(x1, x2)


@keras_op
def minimum(x1: Any, x2: Any) -> Any:
    """Elementwise minimum (NaN wins, as in NumPy)."""
    x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    if not isinstance(x2, _Tensor):
        if x1.dtype != torch.bool:  # torch clamps numbers only
            return torch.clamp_max(x1, x2)
        x2 = to_tensor(x2, x1.dtype, x1.device)
    elif not isinstance(x1, _Tensor):
        if x2.dtype != torch.bool:
            return torch.clamp_max(x2, x1)
        x1 = to_tensor(x1, x2.dtype, x2.device)
    return torch.minimum(x1, x2)


@keras_op
def fmax(x1: Any, x2: Any) -> Any:
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    x1, x2 = to_tensors(x1, x2)
    return torch.fmax(x1, x2)


@keras_op
def fmin(x1: Any, x2: Any) -> Any:
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    x1, x2 = to_tensors(x1, x2)
    return torch.fmin(x1, x2)


# --- converted Python scalars (int32/floatx) ---------------------------------
def _no_bool(x1: torch.Tensor, x2: Any) -> tuple[Any, Any]:
    if x1.dtype == torch.bool:
        x1 = x1.to(torch.int32)
        x2 = x2.to(torch.int32) if isinstance(x2, _Tensor) else x2
    return x1, x2


@keras_op
def mod(x1: Any, x2: Any) -> Any:
    """Remainder of floor division: the sign of ``x2`` (bool inputs give int32)."""
    x1, x2 = _no_bool(*compare_operands(x1, x2))
    return torch.remainder(x1, x2)


@keras_op
def fmod(x1: Any, x2: Any) -> Any:
    """C-style remainder: the sign of ``x1`` (bool inputs give int32)."""
    x1, x2 = _no_bool(*compare_operands(x1, x2))
    return torch.fmod(x1, x2)


def _strong_float(x1: Any, x2: Any, wide_int64: bool = False) -> tuple[Any, Any]:
    x1, x2 = strong_operands(x1, x2)
    fdt = float_result(x1.dtype, wide_int64)
    return (x1, x2) if fdt == x1.dtype else (x1.to(fdt), x2.to(fdt))


@keras_op
def arctan2(x1: Any, x2: Any) -> Any:
    """The angle of the point ``(x2, x1)``, in ``[-pi, pi]``."""
    return torch.atan2(*_strong_float(x1, x2))


@keras_op
def logaddexp(x1: Any, x2: Any) -> Any:
    """``log(exp(x1) + exp(x2))`` without overflow."""
    return torch.logaddexp(*_strong_float(x1, x2))


@keras_op
def logaddexp2(x1: Any, x2: Any) -> Any:
    """``log2(2**x1 + 2**x2)`` without overflow."""
    return torch.logaddexp2(*_strong_float(x1, x2))


@keras_op
def hypot(x1: Any, x2: Any) -> Any:
    """``sqrt(x1**2 + x2**2)`` without overflow (int64 inputs give float64)."""
    x1, x2 = strong_operands(x1, x2)
    if x1.dtype == torch.bool:
        raise TypeError("hypot does not support bool inputs: cast them to a float dtype first.")
    fdt = float_result(x1.dtype, wide_int64=True)
    return torch.hypot(x1.to(fdt), x2.to(fdt))


@keras_op
def heaviside(x1: Any, x2: Any) -> Any:
    """0 where ``x1 < 0``, 1 where ``x1 > 0``, ``x2`` where ``x1 == 0``."""
    x1, x2 = strong_operands(x1, x2)
    if x1.dtype == torch.bool:
        raise TypeError(
            "heaviside does not support bool inputs: cast them to a numeric dtype first."
        )
    fdt = float_result(x1.dtype, wide_int64=True)
    x1, x2 = x1.to(fdt), x2.to(fdt)
    # Keras's formula: NaN in x1 selects x2 (NumPy would give NaN)
    return torch.where(x1 < 0, 0.0, torch.where(x1 > 0, 1.0, x2)).to(fdt)


@keras_op
def nextafter(x1: Any, x2: Any) -> Any:
    """The next representable value after ``x1`` toward ``x2`` — found in float64
    and cast to the result dtype, as Keras does (so narrower floats round back)."""
    x1, x2 = strong_operands(x1, x2)
    fdt = float_result(x1.dtype)
    return torch.nextafter(x1.to(torch.float64), x2.to(torch.float64)).to(fdt)


@keras_op
def ldexp(x1: Any, x2: Any) -> Any:
    """``x1 * 2**x2`` for an integer exponent ``x2``."""
    exponent = x2 if type(x2) is _Tensor else to_tensor(x2, device=device_of(x1))
    if exponent.is_floating_point() or exponent.is_complex() or exponent.dtype == torch.bool:
        raise TypeError(
            f"ldexp exponent must be an integer type. Received: x2 dtype="
            f"{standardize_dtype(exponent.dtype)}; cast x2 to an integer dtype."
        )
    x1, x2 = _strong_float(x1, exponent)
    scaled = x1 * torch.pow(torch.tensor(2.0, dtype=x1.dtype, device=x1.device), x2)
    return torch.where(torch.isinf(x1) | (x1 == 0), x1, scaled)


def _is_int(x: torch.Tensor) -> bool:
    return not (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool)


def _integers_only(name: str, x1: torch.Tensor, x2: torch.Tensor) -> None:
    if not (_is_int(x1) and _is_int(x2)):
        raise TypeError(
            f"Arguments to {name} must be integers. Received: x1.dtype="
            f"{standardize_dtype(x1.dtype)}, x2.dtype={standardize_dtype(x2.dtype)}; cast "
            "them to an integer dtype."
        )


@keras_op
def gcd(x1: Any, x2: Any) -> Any:
    """Greatest common divisor of integers (non-negative)."""
    x1, x2 = strong_operands(x1, x2)
    _integers_only("gcd", x1, x2)
    return torch.gcd(x1, x2)


@keras_op
def lcm(x1: Any, x2: Any) -> Any:
    """Least common multiple of integers (non-negative; 0 if either is 0)."""
    a = x1 if type(x1) is _Tensor else to_tensor(x1, device=device_of(x2))
    b = x2 if type(x2) is _Tensor else to_tensor(x2, device=device_of(x1))
    _integers_only("lcm", a, b)  # both checked before promotion, as Keras does
    a, b = to_tensors(a, b)
    return torch.lcm(a, b)


# --- comparisons -------------------------------------------------------------
@keras_op
def equal(x1: Any, x2: Any) -> Any:
    """``x1 == x2``, elementwise."""
    if type(x1) is not _Tensor or type(x2) is not _Tensor or x1.dtype != x2.dtype:
        x1, x2 = compare_operands(x1, x2)
    return torch.eq(x1, x2)


@keras_op
def not_equal(x1: Any, x2: Any) -> Any:
    """``x1 != x2``, elementwise."""
    if type(x1) is not _Tensor or type(x2) is not _Tensor or x1.dtype != x2.dtype:
        x1, x2 = compare_operands(x1, x2)
    return torch.ne(x1, x2)


@keras_op
def greater(x1: Any, x2: Any) -> Any:
    """``x1 > x2``, elementwise."""
    if type(x1) is not _Tensor or type(x2) is not _Tensor or x1.dtype != x2.dtype:
        x1, x2 = compare_operands(x1, x2)
    return torch.gt(x1, x2)


@keras_op
def greater_equal(x1: Any, x2: Any) -> Any:
    """``x1 >= x2``, elementwise."""
    if type(x1) is not _Tensor or type(x2) is not _Tensor or x1.dtype != x2.dtype:
        x1, x2 = compare_operands(x1, x2)
    return torch.ge(x1, x2)


@keras_op
def less(x1: Any, x2: Any) -> Any:
    """``x1 < x2``, elementwise."""
    if type(x1) is not _Tensor or type(x2) is not _Tensor or x1.dtype != x2.dtype:
        x1, x2 = compare_operands(x1, x2)
    return torch.lt(x1, x2)


@keras_op
def less_equal(x1: Any, x2: Any) -> Any:
    """``x1 <= x2``, elementwise."""
    if type(x1) is not _Tensor or type(x2) is not _Tensor or x1.dtype != x2.dtype:
        x1, x2 = compare_operands(x1, x2)
    return torch.le(x1, x2)


@keras_op
def isclose(
    x1: Any, x2: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Any:
    """``|x1 - x2| <= atol + rtol * |x2|`` for floats (equal infinities are close,
    as in NumPy); exact equality for integers and bools."""
    x1, x2 = strong_operands(x1, x2)
    if x1.is_floating_point() or x1.is_complex():
        return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return torch.eq(x1, x2)


# --- logical ------------------------------------------------------------------
def _bool(x: Any) -> Any:
    if type(x) is _Tensor:
        return x if x.dtype == torch.bool else x.to(torch.bool)
    if isinstance(x, _SCALARS):
        return bool(x)
    return to_tensor(x, "bool")


@keras_op
def logical_and(x1: Any, x2: Any) -> Any:
    """Logical AND of the inputs read as booleans (nonzero is True)."""
    x1, x2 = _bool(x1), _bool(x2)
    if type(x1) is not _Tensor:
        x1 = to_tensor(x1, device=device_of(x2))
    return torch.logical_and(x1, x2 if type(x2) is _Tensor else to_tensor(x2, device=x1.device))


@keras_op
def logical_or(x1: Any, x2: Any) -> Any:
    """Logical OR of the inputs read as booleans (nonzero is True)."""
    x1, x2 = _bool(x1), _bool(x2)
    if type(x1) is not _Tensor:
        x1 = to_tensor(x1, device=device_of(x2))
    return torch.logical_or(x1, x2 if type(x2) is _Tensor else to_tensor(x2, device=x1.device))


@keras_op
def logical_xor(x1: Any, x2: Any) -> Any:
    """Logical XOR of the inputs read as booleans (nonzero is True)."""
    x1, x2 = _bool(x1), _bool(x2)
    if type(x1) is not _Tensor:
        x1 = to_tensor(x1, device=device_of(x2))
    return torch.logical_xor(x1, x2 if type(x2) is _Tensor else to_tensor(x2, device=x1.device))


# --- bitwise -------------------------------------------------------------------
def _bit_operands(name: str, x: Any, y: Any) -> tuple[torch.Tensor, Any]:
    x, y = compare_operands(x, y)
    if x.is_floating_point() or x.is_complex():
        raise TypeError(
            f"{name} needs integer or bool inputs, got x: {standardize_dtype(x.dtype)} after "
            "promotion; cast x and y to an integer dtype first."
        )
    return x, y


@keras_op
def bitwise_and(x: Any, y: Any) -> Any:
    """Bitwise AND of integer (or bool) inputs."""
    return torch.bitwise_and(*_bit_operands("bitwise_and", x, y))


@keras_op
def bitwise_or(x: Any, y: Any) -> Any:
    """Bitwise OR of integer (or bool) inputs."""
    return torch.bitwise_or(*_bit_operands("bitwise_or", x, y))


@keras_op
def bitwise_xor(x: Any, y: Any) -> Any:
    """Bitwise XOR of integer (or bool) inputs."""
    return torch.bitwise_xor(*_bit_operands("bitwise_xor", x, y))


def _shift_operands(name: str, x: Any, y: Any) -> tuple[Any, Any]:
    if type(y) is int:  # shifting by a Python int keeps x's dtype
        x = x if type(x) is _Tensor else to_tensor(x)
        if x.is_floating_point() or x.is_complex():
            raise TypeError(
                f"{name} needs an integer x, got {standardize_dtype(x.dtype)}: cast x to an "
                "integer dtype first."
            )
        return x, y
    return _bit_operands(name, x, y)


@keras_op
def bitwise_left_shift(x: Any, y: Any) -> Any:
    """``x << y`` for integers."""
    return torch.bitwise_left_shift(*_shift_operands("bitwise_left_shift", x, y))


@keras_op
def left_shift(x: Any, y: Any) -> Any:
    """``x << y`` (an alias of :func:`bitwise_left_shift`)."""
    return torch.bitwise_left_shift(*_shift_operands("left_shift", x, y))


@keras_op
def bitwise_right_shift(x: Any, y: Any) -> Any:
    """``x >> y`` for integers (arithmetic shift for signed types)."""
    return torch.bitwise_right_shift(*_shift_operands("bitwise_right_shift", x, y))


@keras_op
def right_shift(x: Any, y: Any) -> Any:
    """``x >> y`` (an alias of :func:`bitwise_right_shift`)."""
    return torch.bitwise_right_shift(*_shift_operands("right_shift", x, y))


# --- clip and where -----------------------------------------------------------
@keras_op
def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """``x`` limited to ``[x_min, x_max]``, in ``x``'s dtype (bool gives int32)."""
    x = x if type(x) is _Tensor else to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    for name, bound in (("x_min", x_min), ("x_max", x_max)):
        if isinstance(bound, float) and not x.is_floating_point():
            raise TypeError(
                f"clip: {name}={bound!r} is a float but x is {standardize_dtype(x.dtype)}; "
                "pass integer bounds, or cast x to a float dtype first."
            )
    if isinstance(x_min, _SCALARS) and isinstance(x_max, _SCALARS):
        return torch.clamp(x, x_min, x_max)
    # tensor bounds: both as tensors of x's dtype (torch takes no mix of the two)
    low = None if x_min is None else to_tensor(x_min, x.dtype, x.device)
    high = None if x_max is None else to_tensor(x_max, x.dtype, x.device)
    return torch.clamp(x, low, high)


@keras_op
def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """``x1`` where ``condition`` is true, else ``x2``; with neither, the int32
    indices of the nonzero elements of ``condition`` (one tensor per axis)."""
    if (x1 is None) != (x2 is None):
        raise ValueError(
            "where: `x1` and `x2` either both should be `None` or both should have "
            f"non-None value; got x1={'None' if x1 is None else 'a value'} and "
            f"x2={'None' if x2 is None else 'a value'}."
        )
    cond = condition if isinstance(condition, _Tensor) else to_tensor(condition)
    if cond.dtype != torch.bool:
        cond = cond.to(torch.bool)
    if x1 is None:
        return tuple(i.to(torch.int32) for i in torch.nonzero(cond, as_tuple=True))
    given = (isinstance(x1, _Tensor), isinstance(x2, _Tensor))
    x1, x2 = to_tensors(x1, x2, keep_scalars=True)
    if given != (True, True):  # converted operands go to the given tensors' device
        device = device_of(condition, x1 if given[0] else None, x2 if given[1] else None)
        cond = cond.to(device)
        x1 = x1.to(device) if isinstance(x1, _Tensor) and x1.ndim else x1
        x2 = x2.to(device) if isinstance(x2, _Tensor) and x2.ndim else x2
    return torch.where(cond, x1, x2)
