"""Checks of the integer arguments of Dataset methods (``batch(64)``, ``take(10)`` ...).

tf.data takes an int64 scalar: an integer, a NumPy integer or a 0-d integer tensor. A
float (``batch(2.5)`` used to batch by 2), a bool, a string or ``None`` is a mistake;
the error names the method, the argument, the value and what to pass
(:mod:`torchbridge.utils.arg_checks`, shared with ``fit``'s argument checks).
"""

from __future__ import annotations

from typing import Any

from torchbridge.utils.arg_checks import check_integer

__all__ = ["int_arg"]


def int_arg(
    value: Any, method: str, name: str, *, minimum: int | None = None, hint: str = ""
) -> int:
    """``value`` as an ``int``; refused unless it is an integer (``>= minimum`` when given).

    The rule is :func:`torchbridge.utils.arg_checks.check_integer`'s, with 0-d integer
    tensors and arrays taken as tf.data takes them; the error starts with ``method``."""
    return check_integer(value, name, minimum=minimum, fix=hint, where=method, scalar_arrays=True)
