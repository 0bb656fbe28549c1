"""Keras's unary elementwise NumPy-style ops on torch (``keras.ops.sin``,
``sqrt``, ``abs``, ``isnan``, ``round`` ...), with Keras's signatures and dtypes.

Dtype rules (Keras 3.15, as its TensorFlow backend computes them):

- trigonometric, hyperbolic, exponential and logarithmic ops, ``sqrt``,
  ``ceil``/``floor``, ``fabs``, ``sinc``, ``angle``, ``reciprocal``: float and
  complex inputs keep their dtype; bool and integer inputs (int64 included)
  give ``floatx()``;
- ``cbrt``, ``deg2rad``, ``rad2deg``, ``i0``: as above, but int64 gives float64;
- ``abs``, ``negative``, ``sign``, ``trunc``, ``round``, ``copy``, ``conj``,
  ``real``, ``imag``, ``nan_to_num``, ``bitwise_invert``: the input's dtype
  (``square`` of bool gives int32);
- ``isnan``/``isinf``/``isfinite``/``isneginf``/``isposinf``/``isreal``/
  ``signbit``/``logical_not``: bool.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from torchbridge.backend import config
from torchbridge.backend.dtypes import standardize_dtype, to_torch_dtype
from torchbridge.ops._convert import to_tensor
from torchbridge.ops._elementwise import (
    float_operand,
    inexact_operand,
    keras_op,
    wide_float_operand,
)

__all__ = [
    "abs",
    "absolute",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "bitwise_invert",
    "bitwise_not",
    "cbrt",
    "ceil",
    "conj",
    "conjugate",
    "copy",
    "cos",
    "cosh",
    "deg2rad",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "floor",
    "i0",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logical_not",
    "nan_to_num",
    "negative",
    "rad2deg",
    "real",
    "reciprocal",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trunc",
]

_Tensor = torch.Tensor
_UNSIGNED = frozenset({torch.bool, torch.uint8, torch.uint16, torch.uint32, torch.uint64})


def _tensor(x: Any) -> torch.Tensor:
    return x if type(x) is _Tensor else to_tensor(x)


# --- float-valued: ints and bool become floatx -------------------------------
@keras_op
def sin(x: Any) -> Any:
    """Sine, elementwise."""
    return torch.sin(float_operand(x))


@keras_op
def cos(x: Any) -> Any:
    """Cosine, elementwise."""
    return torch.cos(float_operand(x))


@keras_op
def tan(x: Any) -> Any:
    """Tangent, elementwise."""
    return torch.tan(float_operand(x))


@keras_op
def arcsin(x: Any) -> Any:
    """Inverse sine, elementwise."""
    return torch.asin(float_operand(x))


@keras_op
def arccos(x: Any) -> Any:
    """Inverse cosine, elementwise."""
    return torch.acos(float_operand(x))


@keras_op
def arctan(x: Any) -> Any:
    """Inverse tangent, elementwise."""
    return torch.atan(float_operand(x))


@keras_op
def sinh(x: Any) -> Any:
    """Hyperbolic sine, elementwise."""
    return torch.sinh(float_operand(x))


@keras_op
def cosh(x: Any) -> Any:
    """Hyperbolic cosine, elementwise."""
    return torch.cosh(float_operand(x))


@keras_op
def tanh(x: Any) -> Any:
    """Hyperbolic tangent, elementwise."""
    return torch.tanh(float_operand(x))


@keras_op
def arcsinh(x: Any) -> Any:
    """Inverse hyperbolic sine, elementwise."""
    return torch.asinh(float_operand(x))


@keras_op
def arccosh(x: Any) -> Any:
    """Inverse hyperbolic cosine, elementwise."""
    return torch.acosh(float_operand(x))


@keras_op
def arctanh(x: Any) -> Any:
    """Inverse hyperbolic tangent, elementwise."""
    return torch.atanh(float_operand(x))


@keras_op
def exp(x: Any) -> Any:
    """``e ** x``, elementwise."""
    return torch.exp(inexact_operand(x))


@keras_op
def exp2(x: Any) -> Any:
    """``2 ** x``, elementwise."""
    return torch.exp2(inexact_operand(x))


@keras_op
def expm1(x: Any) -> Any:
    """``exp(x) - 1``, accurate near zero."""
    return torch.expm1(inexact_operand(x))


@keras_op
def log(x: Any) -> Any:
    """Natural logarithm, elementwise."""
    return torch.log(float_operand(x))


@keras_op
def log2(x: Any) -> Any:
    """Base-2 logarithm, elementwise."""
    return torch.log2(float_operand(x))


@keras_op
def log10(x: Any) -> Any:
    """Base-10 logarithm, elementwise."""
    return torch.log10(float_operand(x))


@keras_op
def log1p(x: Any) -> Any:
    """``log(1 + x)``, accurate near zero."""
    return torch.log1p(float_operand(x))


@keras_op
def sqrt(x: Any) -> Any:
    """Non-negative square root, elementwise."""
    return torch.sqrt(float_operand(x))


@keras_op
def reciprocal(x: Any) -> Any:
    """``1 / x``, elementwise (integer and bool inputs give floatx)."""
    return torch.reciprocal(inexact_operand(x))


@keras_op
def ceil(x: Any) -> Any:
    """The smallest integer value ``>= x``, as a float tensor."""
    return torch.ceil(float_operand(x))


@keras_op
def floor(x: Any) -> Any:
    """The largest integer value ``<= x``, as a float tensor."""
    return torch.floor(float_operand(x))


@keras_op
def sinc(x: Any) -> Any:
    """Normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0)."""
    return torch.sinc(float_operand(x))


@keras_op
def angle(x: Any) -> Any:
    """The argument of complex values (pi for negative real inputs, else 0 — NaN too)."""
    x = float_operand(x)
    if x.is_complex():
        return torch.angle(x)
    return torch.where(x < 0, torch.pi, 0.0).to(x.dtype)


@keras_op
def fabs(x: Any) -> Any:
    """Absolute value as a float tensor (complex inputs are refused, as in Keras)."""
    x = inexact_operand(x)
    if x.is_complex():
        raise TypeError(
            f"fabs does not support complex inputs (got {standardize_dtype(x.dtype)}): "
            "use keras.ops.abs for the magnitude of complex values."
        )
    return torch.abs(x)


# --- float-valued: int64 becomes float64 -------------------------------------
@keras_op
def cbrt(x: Any) -> Any:
    """Cube root, elementwise (negative inputs give negative roots)."""
    x = wide_float_operand(x)
    if x.dtype == torch.float32 and config._floatx != "float32":
        x = x.to(to_torch_dtype(config._floatx))
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


@keras_op
def deg2rad(x: Any) -> Any:
    """Degrees to radians."""
    return torch.deg2rad(wide_float_operand(x))


@keras_op
def rad2deg(x: Any) -> Any:
    """Radians to degrees."""
    return torch.rad2deg(wide_float_operand(x))


@keras_op
def i0(x: Any) -> Any:
    """Modified Bessel function of the first kind, order 0."""
    x = wide_float_operand(x)
    if x.dtype == torch.float32 and config._floatx != "float32":
        x = x.to(to_torch_dtype(config._floatx))
    return torch.special.i0(x)


# --- same dtype as the input ------------------------------------------------
@keras_op
def absolute(x: Any) -> Any:
    """Absolute value, elementwise (unsigned and bool inputs come back as given)."""
    x = _tensor(x)
    if x.dtype in _UNSIGNED:
        return x
    return torch.abs(x)


@keras_op
def abs(x: Any) -> Any:
    """Absolute value, elementwise (an alias of :func:`absolute`)."""
    x = _tensor(x)
    if x.dtype in _UNSIGNED:
        return x
    return torch.abs(x)


@keras_op
def negative(x: Any) -> Any:
    """``-x``, elementwise (bool inputs are refused, as in Keras)."""
    x = _tensor(x)
    if x.dtype == torch.bool:
        raise TypeError(
            "negative does not support bool inputs: use keras.ops.logical_not to flip "
            "booleans, or cast to a numeric dtype first."
        )
    return torch.neg(x)


@keras_op
def sign(x: Any) -> Any:
    """-1, 0 or 1 by the sign of each element (NaN stays NaN; ``x / |x|`` for complex)."""
    x = _tensor(x)
    if x.is_floating_point():
        return torch.where(torch.isnan(x), x, torch.sign(x))
    return torch.sgn(x) if x.is_complex() else torch.sign(x)


@keras_op
def square(x: Any) -> Any:
    """``x * x``, elementwise (bool inputs give int32)."""
    x = _tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return torch.square(x)


@keras_op
def trunc(x: Any) -> Any:
    """Rounds toward zero (integer and bool inputs come back as given)."""
    x = _tensor(x)
    if not x.is_floating_point():
        return x
    return torch.trunc(x)


@keras_op
def round(x: Any, decimals: int = 0) -> Any:
    """Rounds half to even to ``decimals`` decimal places (negative: tens, hundreds ...)."""
    x = _tensor(x)
    if x.is_floating_point():
        return torch.round(x, decimals=decimals) if decimals else torch.round(x)
    if x.dtype == torch.bool:
        raise TypeError("round does not support bool inputs: cast to a numeric dtype first.")
    if decimals >= 0:
        return x
    factor = math.pow(10, decimals)
    y = torch.round(x.to(to_torch_dtype(config._floatx)) * factor) / factor
    return y.to(x.dtype)


@keras_op
def copy(x: Any) -> Any:
    """A copy of ``x`` (never shares memory with the input)."""
    return torch.clone(_tensor(x))


@keras_op
def conjugate(x: Any) -> Any:
    """Complex conjugate (real inputs come back as given)."""
    x = _tensor(x)
    return torch.conj_physical(x) if x.is_complex() else x


@keras_op
def conj(x: Any) -> Any:
    """Complex conjugate (an alias of :func:`conjugate`)."""
    x = _tensor(x)
    return torch.conj_physical(x) if x.is_complex() else x


@keras_op
def real(x: Any) -> Any:
    """The real part (real inputs come back as given)."""
    x = _tensor(x)
    return torch.real(x) if x.is_complex() else x


@keras_op
def imag(x: Any) -> Any:
    """The imaginary part (zeros of the input's dtype for real inputs)."""
    x = _tensor(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


@keras_op
def nan_to_num(x: Any, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """NaN → ``nan``, +inf → ``posinf`` (dtype max), -inf → ``neginf`` (dtype min)."""
    x = _tensor(x)
    if not (x.is_floating_point() or x.is_complex()):
        return x
    return torch.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@keras_op
def bitwise_invert(x: Any) -> Any:
    """Bitwise NOT of integer (or bool) inputs."""
    x = _tensor(x)
    if x.is_floating_point() or x.is_complex():
        raise TypeError(
            f"bitwise_invert needs integer or bool inputs, got {standardize_dtype(x.dtype)}: "
            "cast x to an integer dtype first."
        )
    return torch.bitwise_not(x)


@keras_op
def bitwise_not(x: Any) -> Any:
    """Bitwise NOT (an alias of :func:`bitwise_invert`)."""
    return bitwise_invert(x)


# --- bool-valued ------------------------------------------------------------
@keras_op
def isnan(x: Any) -> Any:
    """True where ``x`` is NaN."""
    return torch.isnan(_tensor(x))


@keras_op
def isinf(x: Any) -> Any:
    """True where ``x`` is +inf or -inf."""
    return torch.isinf(_tensor(x))


@keras_op
def isfinite(x: Any) -> Any:
    """True where ``x`` is neither NaN nor infinite."""
    return torch.isfinite(_tensor(x))


@keras_op
def isposinf(x: Any) -> Any:
    """True where ``x`` is +inf."""
    return torch.isposinf(_tensor(x))


@keras_op
def isneginf(x: Any) -> Any:
    """True where ``x`` is -inf."""
    return torch.isneginf(_tensor(x))


@keras_op
def isreal(x: Any) -> Any:
    """True where the imaginary part is 0 (everywhere for real inputs)."""
    return torch.isreal(_tensor(x))


@keras_op
def signbit(x: Any) -> Any:
    """True where the sign bit is set (-0.0 and negative values)."""
    x = _tensor(x)
    if x.dtype == torch.bool:
        return torch.zeros_like(x)
    return torch.signbit(x)


@keras_op
def logical_not(x: Any) -> Any:
    """Logical NOT (inputs are read as booleans: nonzero is True)."""
    return torch.logical_not(_tensor(x))
