"""Keras's ``keras.constraints`` on torch tensors: projections applied to weights.

A constraint is any callable ``f(w) -> projected w``; the optimizer assigns
the result back to the weight after each update step. The built-in classes
(``MaxNorm``, ``MinMaxNorm``, ``NonNeg``, ``UnitNorm``) follow Keras 3's
formulas (norms over ``axis`` of the weight in Keras's layout, with Keras's
epsilon). ``get`` / ``serialize`` / ``deserialize`` resolve names, Keras 3
config dicts, registered custom classes and functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.utils.object_family import ObjectFamily

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
    "get",
    "serialize",
    "deserialize",
]

_EPSILON = 1e-7  # keras.backend.epsilon()

Axis = int | Sequence[int]


def _tensor(w: Any) -> torch.Tensor:
    return w if isinstance(w, torch.Tensor) else torch.as_tensor(np.asarray(w))


def _norms(w: torch.Tensor, axis: Axis) -> torch.Tensor:
    dim = axis if isinstance(axis, int) else tuple(int(a) for a in axis)
    return torch.sqrt(torch.sum(torch.square(w), dim=dim, keepdim=True))


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weight (the base returns ``w``).

    Subclasses override ``__call__`` and, when they take arguments,
    ``get_config``; ``from_config(config)`` is ``cls(**config)``.
    """

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales each slice whose L2 norm over ``axis`` exceeds ``max_value`` down to it.

    For a Dense kernel ``(input_dim, units)`` the default ``axis=0`` bounds the
    incoming weights of each unit; for a Conv2D kernel use ``axis=[0, 1, 2]``.
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        w = _tensor(w)
        norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's L2 norm over ``axis`` into ``[min_value, max_value]``.

    ``rate`` blends: the new norm is ``rate * clip(norm) + (1 - rate) * norm``
    (``rate=1`` enforces the bounds at once).
    """

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        w = _tensor(w)
        norms = _norms(w, self.axis)
        clipped = torch.clamp(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return torch.clamp_min(_tensor(w), 0)


class UnitNorm(Constraint):
    """Scales each slice over ``axis`` to unit L2 norm."""

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        w = _tensor(w)
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


# Keras's lower-case spellings are the same classes.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

_FAMILY = ObjectFamily(
    "constraint",
    "keras.constraints",
    [Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm],
    {
        "constraint": Constraint,
        "max_norm": MaxNorm,
        "min_max_norm": MinMaxNorm,
        "non_neg": NonNeg,
        "unit_norm": UnitNorm,
    },
)


def get(identifier: Any) -> Any:
    """A constraint from a name (``"non_neg"``), a config dict, a class, or a callable
    (returned as is); ``None`` gives ``None``."""
    return _FAMILY.get(identifier)


def serialize(constraint: Any) -> Any:
    """Keras 3's config dict for ``constraint``; names and ``None`` pass through."""
    return _FAMILY.serialize(constraint)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The constraint a config dict (or name) describes; ``custom_objects`` maps names
    to custom classes or functions."""
    return _FAMILY.deserialize(config, custom_objects)
