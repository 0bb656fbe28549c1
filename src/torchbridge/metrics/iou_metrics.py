"""Intersection-over-union metrics for segmentation: ``IoU`` and its variants.

All of them accumulate one ``(num_classes, num_classes)`` confusion matrix
(rows: labels, columns: predictions), in an integer dtype by default as in
Keras (``"int64"``; integer sample weights are exact, fractional ones are
truncated). ``IoU`` averages ``tp / (tp + fp + fn)`` over ``target_class_ids``,
skipping classes never seen; ``MeanIoU`` targets every class; ``BinaryIoU``
thresholds probabilities into classes 0/1; ``OneHotIoU`` / ``OneHotMeanIoU``
take one-hot labels (and, by default, score vectors as predictions).
Labels or predictions outside ``[0, num_classes)`` and ``ignore_class`` labels
do not count.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from torchbridge.metrics._utils import EPSILON, DTypeLike
from torchbridge.metrics.metric import Metric

__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]


def _int_default(dtype: DTypeLike) -> DTypeLike:
    # Keras's default dtype "int" means the 64-bit integer.
    return "int64" if dtype is None or dtype == "int" else dtype


class _IoUBase(Metric):
    """The confusion matrix shared by every IoU metric."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name, dtype=_int_default(dtype))
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), initializer="zeros", name="total_confusion_matrix"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's (weighted) label/prediction pairs to the confusion matrix."""
        true = self._input(y_true)
        pred = self._input(y_pred)
        if not self.sparse_y_true:
            true = torch.argmax(true, dim=self.axis)
        if not self.sparse_y_pred:
            pred = torch.argmax(pred, dim=self.axis)
        dtype = self._torch_dtype
        true = true.to(dtype).reshape(-1)
        pred = pred.to(dtype).reshape(-1)
        if sample_weight is None:
            weight = torch.ones((), dtype=dtype, device=true.device)
        else:
            weight = self._input(sample_weight)
            if weight.is_floating_point() and not dtype.is_floating_point:
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result in "
                    "an incorrect weight due to type casting. Consider using integer weights "
                    "(or dtype='float32').",
                    stacklevel=2,
                )
            weight = weight.to(dtype).reshape(-1)
        weight = weight.broadcast_to(true.shape)
        n = self.num_classes
        valid = (true >= 0) & (true < n) & (pred >= 0) & (pred < n)
        if self.ignore_class is not None:
            valid &= true != self.ignore_class
        true = torch.where(valid, true, 0).to(torch.int64)
        pred = torch.where(valid, pred, 0).to(torch.int64)
        weight = torch.where(valid, weight, 0)
        flat = self.total_cm.view(-1)
        flat.index_add_(0, true * n + pred, weight.to(flat.dtype))

    def _per_class(self) -> tuple[Tensor, Tensor]:
        """``(true_positives, tp + fp + fn)`` per class, as float32."""
        cm = self.total_cm
        tp = torch.diagonal(cm).to(torch.float32)
        union = cm.sum(0).to(torch.float32) + cm.sum(1).to(torch.float32) - tp
        return tp, union


class IoU(_IoUBase):
    """Mean intersection-over-union of the classes in ``target_class_ids``.

    Args:
        num_classes: the number of classes (the confusion matrix is square in it).
        target_class_ids: the class ids to average over.
        name: name of the metric instance.
        dtype: dtype of the confusion matrix (default ``"int64"``).
        ignore_class: a label id that never counts (e.g. a "void" class).
        sparse_y_true: labels are class ids (``False``: one-hot or scores, argmax'd).
        sparse_y_pred: predictions are class ids (``False``: scores, argmax'd).
        axis: the class axis used by the argmax.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes}). Pass target_class_ids below num_classes."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self) -> Tensor:
        """Mean IoU over the target classes that occurred (0 when none did)."""
        tp, union = self._per_class()
        ids = torch.as_tensor(self.target_class_ids, device=tp.device)
        tp, union = tp[ids], union[ids]
        valid = union > 1e-9
        iou = torch.where(valid, tp / (union + EPSILON), 0.0)
        return iou.sum(-1) / (valid.to(torch.float32).sum() + EPSILON)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1, the rest class 0.

    Args:
        target_class_ids: which of the classes 0 and 1 to average over.
        threshold: the probability at and above which a prediction is class 1.
        name: name of the metric instance.
        dtype: dtype of the confusion matrix (default ``"int64"``).
    """

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        pred = (self._input(y_pred, torch.float32) >= self.threshold).to(self._torch_dtype)
        super().update_state(self._input(y_true).to(self._torch_dtype), pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over every class (arguments as :class:`IoU`, without ``target_class_ids``)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (predictions are scores unless ``sparse_y_pred``)."""

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        return _without_sparse_y_true(super().get_config())


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels (predictions are scores unless ``sparse_y_pred``)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        return _without_sparse_y_true(super().get_config())


def _without_sparse_y_true(config: dict[str, Any]) -> dict[str, Any]:
    """The one-hot metrics' config: their parent's, minus the fixed ``sparse_y_true``."""
    return {k: v for k, v in config.items() if k != "sparse_y_true"}
