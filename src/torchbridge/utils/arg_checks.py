"""Checks of integer arguments, shared by every floor: one rule, one wording of the error.

:func:`check_integer` accepts Python and NumPy integers (never a bool, a float
such as ``3.0`` or a string) — and, where tf.data does, a 0-d integer tensor or
0-d array (``scalar_arrays=True``) — optionally ``>= minimum``; a mistake raises
an :class:`~torchbridge.errors.InputError` naming the argument, the value with
its type, what was expected and the fix. Used by ``fit``'s argument checks
(:mod:`torchbridge.training.arguments`) and by the ``Dataset`` methods
(:mod:`torchbridge.data.ops._args`).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError

__all__ = ["check_integer", "describe", "is_integer"]


def is_integer(value: Any) -> bool:
    """An integer that is not a bool (NumPy integers included)."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def describe(value: Any) -> str:
    """``value`` for an error message: its repr and its type."""
    return f"{value!r} (of type {type(value).__name__})"


def _expected(minimum: int | None) -> str:
    if minimum is None:
        return "an integer"
    return "a positive integer" if minimum == 1 else f"an integer >= {minimum}"


def check_integer(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    fix: str = "",
    where: str = "",
    scalar_arrays: bool = False,
) -> int:
    """``value`` as an ``int``; refused unless it is an integer ``>= minimum`` (when given).

    ``where`` prefixes the message (``"batch: batch_size must be ..."``), ``fix`` ends it;
    ``scalar_arrays`` also takes a 0-d integer tensor or a 0-d NumPy array.
    """
    if scalar_arrays and (
        (isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point())
        or (isinstance(value, np.ndarray) and value.ndim == 0)
    ):
        value = value.item()
    if not is_integer(value) or (minimum is not None and int(value) < minimum):
        prefix = f"{where}: " if where else ""
        raise InputError(
            f"{prefix}{name} must be {_expected(minimum)}, got {describe(value)}."
            f"{(' ' + fix) if fix else ''}"
        )
    return int(value)
