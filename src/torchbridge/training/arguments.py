"""Checks of the arguments of ``fit`` / ``evaluate`` / ``predict`` / ``*_on_batch``.

Keras lets several mistakes through silently (``batch_size=0`` trains with 32,
``batch_size=True`` with 1, ``epochs=-1`` returns an empty history, empty data
"trains" with no step, ``class_weight`` keyed by class *names* is ignored). Here
each argument is checked once, before any work, and a mistake raises an
:class:`~torchbridge.errors.InputError` that names the argument, the value it got
and what to pass instead. Values Keras accepts and uses meaningfully (NumPy
integers, ``shuffle="batch"``, ``validation_freq`` as a list) stay accepted.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from torchbridge.errors import InputError
from torchbridge.utils.arg_checks import check_integer, describe, is_integer

__all__ = [
    "check_batch_size",
    "check_class_weight",
    "check_count",
    "check_fit_arguments",
    "check_nonempty_batch",
    "check_shuffle",
    "check_steps",
    "check_validation_freq",
    "check_validation_split",
]


def check_count(value: Any, name: str, *, minimum: int, fix: str) -> int:
    """An integer argument ``>= minimum`` (``True``/``3.0``/``"2"`` are refused; the rule
    of :func:`torchbridge.utils.arg_checks.check_integer`)."""
    return check_integer(value, name, minimum=minimum, fix=fix)


def check_batch_size(value: Any, name: str = "batch_size") -> int | None:
    """``None`` (the default, 32 for arrays) or a positive integer."""
    if value is None:
        return None
    return check_count(
        value, name, minimum=1, fix=f"Pass e.g. {name}=32, or leave it out for the default."
    )


def check_steps(value: Any, name: str) -> int | None:
    """``steps_per_epoch`` / ``validation_steps`` / ``steps``: ``None`` or a positive integer."""
    if value is None:
        return None
    return check_count(
        value, name, minimum=1, fix=f"Leave {name} out to go through the data once per epoch."
    )


def check_shuffle(value: Any) -> bool | str:
    """``True``/``False`` (NumPy bools too) or Keras's ``"batch"``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value == "batch":
        return "batch"
    raise InputError(
        f"shuffle must be True, False or 'batch', got {describe(value)}. 'batch' shuffles "
        "whole batches and keeps the order inside each."
    )


def check_validation_split(value: Any) -> float:
    """A number in ``[0, 1)``: the fraction of the data kept aside for validation."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise InputError(
            f"validation_split must be a float in [0, 1), got {describe(value)}. "
            "E.g. validation_split=0.2 keeps the last 20% of the samples for validation."
        )
    fraction = float(value)
    if not 0.0 <= fraction < 1.0:
        raise InputError(
            f"validation_split must be in [0, 1), got {fraction}. E.g. validation_split=0.2 "
            "keeps the last 20% of the samples for validation."
        )
    return fraction


def check_validation_freq(value: Any) -> int | list[int]:
    """A positive integer (validate every N epochs) or a collection of epoch numbers (1-based)."""
    if is_integer(value):
        return check_count(
            value,
            "validation_freq",
            minimum=1,
            fix="E.g. validation_freq=2 validates every second epoch.",
        )
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
        epochs = list(value)
        if all(is_integer(e) and int(e) >= 1 for e in epochs):
            return [int(e) for e in epochs]
    raise InputError(
        f"validation_freq must be a positive integer or a list of epoch numbers (1-based), got "
        f"{describe(value)}. E.g. validation_freq=[1, 5, 10]."
    )


def check_class_weight(value: Any) -> dict[int, float] | None:
    """``None`` or a mapping from class *index* (a non-negative integer) to a finite weight."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InputError(
            f"class_weight must be a dict mapping class indices to weights, got "
            f"{describe(value)}. E.g. class_weight={{0: 1.0, 1: 5.0}}."
        )
    table: dict[int, float] = {}
    for key, weight in value.items():
        if not is_integer(key) or int(key) < 0:
            hint = (
                " Keys are class indices, not class names: map names to indices first, e.g. "
                "{label_names.index(name): w for name, w in weights.items()}."
                if isinstance(key, str)
                else ""
            )
            raise InputError(
                f"class_weight keys must be class indices (non-negative integers), got the key "
                f"{describe(key)}.{hint}"
            )
        if isinstance(weight, (bool, np.bool_)) or not isinstance(
            weight, (numbers.Real, np.number)
        ):
            raise InputError(f"class_weight[{key!r}] must be a number, got {describe(weight)}.")
        if not np.isfinite(float(weight)) or float(weight) < 0:
            raise InputError(
                f"class_weight[{key!r}] must be a finite weight >= 0, got {float(weight)}."
            )
        table[int(key)] = float(weight)
    return table


def check_fit_arguments(
    *,
    batch_size: Any,
    epochs: Any,
    initial_epoch: Any,
    shuffle: Any,
    validation_split: Any,
    class_weight: Any,
    steps_per_epoch: Any,
    validation_steps: Any,
    validation_batch_size: Any,
    validation_freq: Any,
) -> None:
    """Every scalar argument of ``fit``, checked before the data is touched."""
    check_batch_size(batch_size)
    check_count(epochs, "epochs", minimum=0, fix="E.g. epochs=10.")
    check_count(
        initial_epoch,
        "initial_epoch",
        minimum=0,
        fix="It is the epoch to resume from (0-based); leave it out to start at 0.",
    )
    check_shuffle(shuffle)
    check_validation_split(validation_split)
    check_class_weight(class_weight)
    check_steps(steps_per_epoch, "steps_per_epoch")
    check_steps(validation_steps, "validation_steps")
    check_batch_size(validation_batch_size, "validation_batch_size")
    check_validation_freq(validation_freq)


def check_nonempty_batch(x: Any, what: str) -> None:
    """``*_on_batch`` on a batch of 0 samples: Keras returns zeros; it is always a mistake."""
    from torchbridge.utils import nest

    for leaf in nest.flatten(x):
        shape = getattr(leaf, "shape", None)
        if shape is not None and len(shape) > 0 and shape[0] == 0:
            raise InputError(
                f"{what}() got an empty batch (0 samples, shape {tuple(shape)}): there is "
                "nothing to compute on. Check the slice or filter that produced it."
            )
