"""Focal crossentropies (Lin et al., 2017): binary and categorical, functions + classes.

The focal factor ``(1 - p_t) ** gamma`` down-weights easy examples; ``alpha``
balances the classes (binary: only with ``apply_class_balancing=True``;
categorical: always, a scalar or one weight per class). Keras semantics:
logits go through sigmoid/softmax first, then the clipped-probability formula.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from torchbridge.backend import config
from torchbridge.losses._utils import (
    as_float_tensor,
    attach_validator,
    cast_like,
    check_same_shape,
)
from torchbridge.losses.crossentropy import (
    _check_axis,
    binary_inputs,
    warn_single_class,
)
from torchbridge.losses.loss import DTypeLike, _BuiltinLoss
from torchbridge.losses.validation import check_binary_loss, check_categorical_loss
from torchbridge.ops.nn_losses import binary_crossentropy_values

__all__ = [
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
]


@attach_validator(functools.partial(check_binary_loss, loss_name="binary_focal_crossentropy"))
def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary focal crossentropy, averaged over ``axis``: one value per sample."""
    y_true, y_pred = binary_inputs(y_true, y_pred, label_smoothing, "binary_focal_crossentropy")
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = binary_crossentropy_values(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal_bce
    return focal_bce.mean(dim=axis)


@attach_validator(
    functools.partial(check_categorical_loss, loss_name="categorical_focal_crossentropy")
)
def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float | Sequence[float] = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Categorical focal crossentropy along ``axis``: one value per sample."""
    _check_axis(axis)
    y_pred = as_float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    warn_single_class(y_pred, "categorical_focal_crossentropy")
    check_same_shape(y_true, y_pred, "categorical_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    output = y_pred / y_pred.sum(dim=axis, keepdim=True)
    eps = config.epsilon()
    output = output.clamp(eps, 1.0 - eps)
    cce = -y_true * torch.log(output)
    weight: Tensor | float = (
        alpha
        if isinstance(alpha, (int, float))
        else torch.as_tensor(alpha, dtype=y_pred.dtype, device=y_pred.device)
    )
    focal = torch.pow(1.0 - output, gamma) * weight * cce
    return focal.sum(dim=axis)


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Keras's ``BinaryFocalCrossentropy``."""

    _config_keys = (
        "from_logits",
        "label_smoothing",
        "axis",
        "apply_class_balancing",
        "alpha",
        "gamma",
    )

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_focal_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            binary_focal_crossentropy,
            reduction,
            name,
            dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Keras's ``CategoricalFocalCrossentropy``."""

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha: float | Sequence[float] = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_focal_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            categorical_focal_crossentropy,
            reduction,
            name,
            dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
