"""Crossentropy losses: binary, categorical and sparse categorical (functions + classes).

Keras semantics: probabilities (``from_logits=False``, the default) are
clipped to ``[epsilon, 1 - epsilon]`` (``backend.epsilon()``, 1e-7); categorical predictions are renormalised to
sum to 1 along ``axis``; ``label_smoothing`` pulls one-hot labels towards
uniform (``0.5`` for binary). Integer labels for the sparse loss stay
integers, and ``from_logits=True`` goes straight to PyTorch's fused kernels
(``F.cross_entropy``, ``F.binary_cross_entropy_with_logits``). The per-element maths is
shared with ``ops.nn``'s crossentropies (the ``*_values`` kernels of
:mod:`torchbridge.ops.nn_losses`).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from torchbridge.errors import LossInputError
from torchbridge.losses._utils import (
    as_float_tensor,
    attach_validator,
    cast_like,
    check_same_shape,
)
from torchbridge.losses.loss import DTypeLike, _BuiltinLoss
from torchbridge.losses.validation import (
    check_binary_loss,
    check_categorical_loss,
    check_sparse_loss,
)
from torchbridge.ops.nn_losses import (
    binary_crossentropy_values,
    categorical_crossentropy_values,
    sparse_categorical_crossentropy_values,
)

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
]


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be an int. Received: axis={axis!r} of type {type(axis)}.")


def warn_single_class(y_pred: Tensor, loss_name: str) -> None:
    """Keras warns when a categorical loss sees a single class (the loss is then constant)."""
    if y_pred.ndim > 0 and y_pred.shape[-1] == 1:
        warnings.warn(
            f"{loss_name} expects y_pred of shape (batch_size, num_classes) with "
            f"num_classes > 1, but got y_pred.shape={tuple(y_pred.shape)}; the loss is "
            "then constant. With 2 classes and one sigmoid output use 'binary_crossentropy'.",
            UserWarning,
            stacklevel=3,
        )


def binary_inputs(
    y_true: Any, y_pred: Any, label_smoothing: float, loss_name: str
) -> tuple[Tensor, Tensor]:
    """Float predictions, labels cast like them and smoothed towards 0.5 (binary losses)."""
    y_pred = as_float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    check_same_shape(y_true, y_pred, loss_name)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y_true, y_pred


@attach_validator(check_binary_loss)
def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary crossentropy, averaged over ``axis``: one value per sample."""
    y_true, y_pred = binary_inputs(y_true, y_pred, label_smoothing, "binary_crossentropy")
    return binary_crossentropy_values(y_true, y_pred, from_logits).mean(dim=axis)


@attach_validator(check_categorical_loss)
def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Crossentropy between one-hot (or soft) labels and class scores along ``axis``."""
    _check_axis(axis)
    y_pred = as_float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    warn_single_class(y_pred, "categorical_crossentropy")
    if y_true.ndim < 1:
        raise LossInputError(
            "categorical_crossentropy needs y_true and y_pred of rank >= 1; got shapes "
            f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}."
        )
    check_same_shape(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    return categorical_crossentropy_values(y_true, y_pred, from_logits, axis)


def _sparse_inputs(y_true: Any, y_pred: Any, axis: int) -> tuple[Tensor, Tensor, int]:
    """Convert and shape-check sparse crossentropy inputs; return (labels, y_pred, class_axis)."""
    _check_axis(axis)
    y_pred = as_float_tensor(y_pred)
    if y_pred.ndim < 1:
        raise LossInputError(
            "sparse_categorical_crossentropy needs y_pred of rank >= 1 (class scores); got "
            f"shape {tuple(y_pred.shape)}."
        )
    if not isinstance(y_true, Tensor):
        y_true = torch.as_tensor(y_true)
    y_true = y_true.to(y_pred.device)
    class_axis = axis % y_pred.ndim
    if y_true.ndim == y_pred.ndim and y_true.shape[class_axis] == 1:
        y_true = y_true.squeeze(class_axis)
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1 :]
    if y_true.shape != expected:
        if y_true.shape == y_pred.shape:
            hint = (
                "y_true looks one-hot encoded: use 'categorical_crossentropy' "
                "(CategoricalCrossentropy), or pass the class ids (argmax) instead."
            )
        else:
            hint = (
                f"Pass one integer class id per prediction, shape {tuple(expected)}; y_pred "
                f"has {y_pred.shape[class_axis]} classes on axis {axis}."
            )
        raise LossInputError(
            f"sparse_categorical_crossentropy: y_true has shape {tuple(y_true.shape)} and "
            f"y_pred has shape {tuple(y_pred.shape)}; expected y_true of shape "
            f"{tuple(expected)}. {hint}"
        )
    return y_true, y_pred, class_axis


def _validate_sparse(y_true: Tensor, y_pred: Tensor, **kwargs: Any) -> None:
    labels, y_pred, class_axis = _sparse_inputs(y_true, y_pred, kwargs.get("axis", -1))
    check_sparse_loss(labels, y_pred, **{**kwargs, "axis": class_axis})


def _sparse_mask(y_true: Tensor, y_pred: Tensor, values: Tensor, **kwargs: Any) -> Tensor | None:
    """Which loss values count (Keras attaches this mask when ``ignore_class`` is set)."""
    ignore_class = kwargs.get("ignore_class")
    if ignore_class is None:
        return None
    labels, _, _ = _sparse_inputs(y_true, y_pred, kwargs.get("axis", -1))
    return (labels != ignore_class).reshape(values.shape)


@attach_validator(_validate_sparse)
def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Tensor:
    """Crossentropy between integer class ids and class scores along ``axis``.

    Labels equal to ``ignore_class`` contribute 0 (and are left out of the mean
    by the ``SparseCategoricalCrossentropy`` class).
    """
    labels, y_pred, class_axis = _sparse_inputs(y_true, y_pred, axis)
    ignore_index = -100 if ignore_class is None else int(ignore_class)
    return sparse_categorical_crossentropy_values(
        labels.long(), y_pred, from_logits, class_axis, ignore_index
    )


def _sparse_fused_mean(
    y_true: Tensor,
    y_pred: Tensor,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Tensor | None:
    """The common (N, C) logits / (N,) or (N, 1) labels case as one ``F.cross_entropy``."""
    if not from_logits or ignore_class is not None or y_pred.ndim != 2 or axis not in (-1, 1):
        return None
    if (
        isinstance(y_true, Tensor)
        and y_true.dtype == torch.int64
        and y_true.ndim == 1
        and y_true.device == y_pred.device
        and 0 < y_true.shape[0] == y_pred.shape[0]
    ):
        return F.cross_entropy(y_pred, y_true)  # the usual batch, already in shape
    labels, y_pred, _ = _sparse_inputs(y_true, y_pred, axis)
    if labels.numel() == 0:
        return None
    return F.cross_entropy(y_pred, labels.long())


def _binary_fused_mean(
    y_true: Tensor,
    y_pred: Tensor,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor | None:
    """Logits with plain labels: the mean of per-sample means is the overall mean."""
    if not from_logits or label_smoothing or y_pred.ndim < 2 or y_pred.numel() == 0:
        return None
    if axis not in (-1, y_pred.ndim - 1):
        return None
    y_pred = as_float_tensor(y_pred)
    y_true = cast_like(y_true, y_pred)
    check_same_shape(y_true, y_pred, "binary_crossentropy")
    return F.binary_cross_entropy_with_logits(y_pred, y_true)


binary_crossentropy.fused_mean = _binary_fused_mean  # type: ignore[attr-defined]
sparse_categorical_crossentropy.fused_mean = _sparse_fused_mean  # type: ignore[attr-defined]
sparse_categorical_crossentropy.keeps_integer_labels = True  # type: ignore[attr-defined]
sparse_categorical_crossentropy.loss_mask = _sparse_mask  # type: ignore[attr-defined]


class BinaryCrossentropy(_BuiltinLoss):
    """Keras's ``BinaryCrossentropy``: 0/1 labels vs. one probability (or logit) per unit."""

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            binary_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(_BuiltinLoss):
    """Keras's ``CategoricalCrossentropy``: one-hot labels vs. class probabilities/logits."""

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            categorical_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Keras's ``SparseCategoricalCrossentropy``: integer class ids vs. class scores."""

    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str | None = "sparse_categorical_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
