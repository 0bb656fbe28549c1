"""Checks of the integer arguments of Dataset methods (``batch(64)``, ``take(10)`` ...).

tf.data takes an int64 scalar: an integer, a NumPy integer or a 0-d integer tensor. A
float (``batch(2.5)`` used to batch by 2), a bool, a string or ``None`` is a mistake;
the error names the method, the argument, the value and what to pass.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError

__all__ = ["int_arg"]


def int_arg(
    value: Any, method: str, name: str, *, minimum: int | None = None, hint: str = ""
) -> int:
    """``value`` as an ``int``; refused unless it is an integer (``>= minimum`` when given)."""
    if (isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point()) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise InputError(
            f"{method}: {name} must be an integer, got {value!r} (of type "
            f"{type(value).__name__}).{(' ' + hint) if hint else ''}"
        )
    number = int(value)
    if minimum is not None and number < minimum:
        raise InputError(
            f"{method}: {name} must be >= {minimum}, got {number}.{(' ' + hint) if hint else ''}"
        )
    return number
