"""``get``: resolve a Keras loss identifier (a name, a ``Loss``, a callable) to a loss.

Function names and their short aliases (``"mse"``, ``"bce"`` ...) give the
function; class names (``"MeanSquaredError"``) give a fresh instance with
default arguments. Unknown names raise
:class:`~torchbridge.errors.UnknownNameError` with the closest known names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from torchbridge.losses.loss import Loss
from torchbridge.utils.registry import Registry

__all__ = ["ALIASES", "LOSSES", "get"]

#: Short names Keras accepts for loss functions (plus the tf.keras 2 spellings).
ALIASES: dict[str, str] = {
    "bce": "binary_crossentropy",
    "BCE": "binary_crossentropy",
    "kld": "kl_divergence",
    "KLD": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "mae": "mean_absolute_error",
    "MAE": "mean_absolute_error",
    "mse": "mean_squared_error",
    "MSE": "mean_squared_error",
    "mape": "mean_absolute_percentage_error",
    "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "MSLE": "mean_squared_logarithmic_error",
    "logcosh": "log_cosh",
}

#: Every loss name ``get`` resolves: functions, aliases and ``Loss`` classes.
LOSSES: Registry[Callable[..., Any]] = Registry("loss")

# (imported by path: the package re-exports a function named ``hinge`` over the module)
for _module_name in (
    "regression",
    "probabilistic",
    "crossentropy",
    "focal",
    "hinge",
    "ctc",
    "segmentation",
    "circle",
    "generalized_crossentropy",
):
    _module = importlib.import_module(f"torchbridge.losses.{_module_name}")
    for _name in _module.__all__:
        LOSSES.add(_name, getattr(_module, _name))
for _alias, _target in ALIASES.items():
    LOSSES.add(_alias, LOSSES.get(_target))


def get(identifier: Any) -> Any:
    """Keras's ``losses.get``: ``None`` → ``None``; a name → its function or a new
    instance of its class; a ``Loss`` instance or any callable → itself."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        obj = LOSSES.get(identifier)
        if isinstance(obj, type) and issubclass(obj, Loss):
            return obj()
        return obj
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret loss identifier: {identifier!r}. Pass a loss name such as "
        "'mse' or 'sparse_categorical_crossentropy', a torchbridge.losses.Loss instance, "
        "or a callable fn(y_true, y_pred) returning per-sample losses."
    )
