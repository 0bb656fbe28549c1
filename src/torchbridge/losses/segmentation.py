"""Overlap losses for segmentation: ``dice``/``Dice`` and ``tversky``/``Tversky``.

Both compare soft predictions with labels through sums over ``axis`` (``None``:
every element, so one value for the whole batch): Dice is
``1 - 2·|y∩p| / (|y| + |p| + ε)``; Tversky weighs false positives by ``alpha``
and false negatives by ``beta`` (``alpha = beta = 0.5`` gives Dice's value).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from torchbridge.losses._utils import as_float_tensor, cast_like
from torchbridge.losses.loss import DTypeLike, _BuiltinLoss

__all__ = ["dice", "tversky", "Dice", "Tversky"]

Axis = int | tuple[int, ...] | list[int] | None


def _sum(x: Tensor, axis: Axis) -> Tensor:
    if axis is None:
        return x.sum()
    return x.sum(dim=tuple(axis) if isinstance(axis, list | tuple) else axis)


def _eps() -> float:
    from torchbridge.backend.config import epsilon

    return float(epsilon())


def dice(y_true: Any, y_pred: Any, axis: Axis = None) -> Tensor:
    """The Dice loss ``1 - 2·sum(y·p) / (sum(y) + sum(p) + ε)`` over ``axis``."""
    y_pred = as_float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    score = 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + _eps())
    return 1 - score


def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Axis = None
) -> Tensor:
    """The Tversky loss ``1 - tp / (tp + alpha·fp + beta·fn + ε)`` over ``axis``.

    As in Keras, ``fp`` sums ``(1 - p)·y`` and ``fn`` sums ``p·(1 - y)``.
    """
    y_pred = as_float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    fp = _sum((1 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1 - y_true), axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + _eps())


class Dice(_BuiltinLoss):
    """Keras's ``Dice`` loss (see :func:`dice`)."""

    _config_keys = ("axis",)

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "dice",
        axis: Axis = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(dice, reduction, name, dtype, axis=axis)


class Tversky(_BuiltinLoss):
    """Keras's ``Tversky`` loss (see :func:`tversky`)."""

    _config_keys = ("alpha", "beta", "axis")

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "tversky",
        axis: Axis = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)
