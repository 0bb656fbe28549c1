"""Keras's ``keras.regularizers`` on torch tensors: weight and activity penalties.

A regularizer is any callable ``f(x) -> 0-d tensor``; the built-in classes
(``L1``, ``L2``, ``L1L2``, ``OrthogonalRegularizer``) compute Keras 3's
formulas with torch ops, so the penalty is differentiable and lives on the
tensor's device. ``get`` / ``serialize`` / ``deserialize`` resolve names
(``"l2"``), Keras 3 config dicts, registered custom classes and functions.

Layers call these on their weights (in Keras's layout) and outputs; see
``torchbridge.layers.Layer.losses``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.utils.object_family import ObjectFamily

__all__ = [
    "Regularizer",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "l1",
    "l2",
    "l1_l2",
    "orthogonal_regularizer",
    "get",
    "serialize",
    "deserialize",
]

_EPSILON = 1e-7  # keras.backend.epsilon()


def _factor(value: Any, name: str) -> float:
    """A penalty factor: a finite number >= 0 (Keras's check), as a float."""
    if not isinstance(value, (float, int)) or math.isinf(value) or math.isnan(value) or value < 0:
        raise InputError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}. Pass a number >= 0 (0 turns the penalty off)."
        )
    return float(value)


def _float32(value: float) -> float:
    """``value`` rounded to float32 (Keras keeps these factors as float32 tensors)."""
    return float(np.float32(value))


def _tensor(x: Any) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


class Regularizer:
    """Base class: ``__call__(x)`` returns a penalty (0-d tensor) for the tensor ``x``.

    Subclasses override ``__call__`` and ``get_config`` (the constructor
    arguments); ``from_config(config)`` is ``cls(**config)``. Any plain
    callable works as a regularizer too.
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = _tensor(x)
        return torch.zeros((), dtype=x.dtype, device=x.device)

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"{type(self).__name__} does not implement get_config(): return its constructor "
            "arguments as a dict so it can be saved."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``; both factors default to 0 (as in Keras)."""

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = _tensor(x)
        penalty = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1 != 0.0:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2 != 0.0:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``; ``l1`` defaults to 0.01 (kept in float32, as Keras does)."""

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = _float32(_factor(0.01 if l1 is None else l1, "l1"))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = _tensor(x)
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``; ``l2`` defaults to 0.01."""

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = _tensor(x)
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns of a rank-2 tensor to be orthogonal.

    The penalty is ``factor * 0.5 * sum(|off-diagonal cosines|) / n_pairs``
    over the L2-normalised rows (columns), as in Keras.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _float32(_factor(factor, "factor"))
        if mode not in ("rows", "columns"):
            raise InputError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = _tensor(x)
        if x.ndim != 2:
            raise InputError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(x.shape)}. Apply it to a Dense-style kernel "
                "(input_dim, units)."
            )
        axis = 1 if self.mode == "rows" else 0
        # Keras's normalize: x * min(rsqrt(sum(x**2)), 1/epsilon)
        inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
        unit = x * torch.clamp(inv_norm, max=1.0 / _EPSILON)
        product = unit @ unit.T if self.mode == "rows" else unit.T @ unit
        size = product.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / num_pairs

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras's lower-case spellings are the same classes.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_FAMILY = ObjectFamily(
    "regularizer",
    "keras.regularizers",
    [Regularizer, L1, L2, L1L2, OrthogonalRegularizer],
    # Keras's snake_case of each class name (so "l1l2", not "l1_l2")
    {
        "regularizer": Regularizer,
        "l1": L1,
        "l2": L2,
        "l1l2": L1L2,
        "orthogonal_regularizer": OrthogonalRegularizer,
    },
)


def get(identifier: Any) -> Any:
    """A regularizer from a name (``"l2"``), a config dict, a class, or a callable
    (returned as is); ``None`` gives ``None``."""
    return _FAMILY.get(identifier)


def serialize(regularizer: Any) -> Any:
    """Keras 3's config dict for ``regularizer`` (``{"module", "class_name", "config",
    "registered_name"}``); names and ``None`` pass through."""
    return _FAMILY.serialize(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The regularizer a config dict (or name) describes; ``custom_objects`` maps
    names to custom classes or functions."""
    return _FAMILY.deserialize(config, custom_objects)
