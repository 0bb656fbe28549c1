"""Keras dtype names ↔ torch dtypes (``"float32"`` ↔ ``torch.float32``).

A leaf helper: layers, variables and metrics accept a dtype the way Keras does
(a name, a NumPy dtype, a torch dtype or a Keras dtype policy name such as
``"mixed_float16"``, whose *variable* dtype is float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["keras_dtype_name", "to_torch_dtype"]

_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "int": "int32"}
_POLICY_VARIABLE_DTYPES = {"mixed_float16": "float32", "mixed_bfloat16": "float32"}


def to_torch_dtype(dtype: Any) -> torch.dtype:
    """The torch dtype for a Keras-style ``dtype`` (name, NumPy/torch dtype, policy)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    name = getattr(dtype, "variable_dtype", None) or dtype  # a DTypePolicy
    if (isinstance(name, type) and issubclass(name, np.generic)) or isinstance(name, np.dtype):
        name = np.dtype(name).name
    name = str(name)
    name = _POLICY_VARIABLE_DTYPES.get(name, _ALIASES.get(name, name))
    candidate = getattr(torch, name, None)
    if not isinstance(candidate, torch.dtype):
        raise ValueError(
            f"Invalid dtype {dtype!r}: pass a dtype name such as 'float32', 'int64' or "
            "'bool', a NumPy dtype or a torch.dtype."
        )
    return candidate


def keras_dtype_name(dtype: Any) -> str:
    """Keras's name of a dtype (``torch.float32`` → ``"float32"``)."""
    return str(to_torch_dtype(dtype)).removeprefix("torch.")
