"""Correlation metrics: Pearson's and the concordance correlation coefficient.

``pearson_correlation`` and ``concordance_correlation`` give one coefficient
per sample, computed along ``axis`` (population statistics, as Keras);
``PearsonCorrelation`` and ``ConcordanceCorrelation`` average them over
batches. The concordance numerator follows Keras 3 exactly (it centres the
labels on the *predictions'* mean).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from torchbridge.metrics._utils import (
    EPSILON,
    DTypeLike,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)
from torchbridge.metrics.reduction_metrics import MeanMetricWrapper

__all__ = [
    "PearsonCorrelation",
    "ConcordanceCorrelation",
    "pearson_correlation",
    "concordance_correlation",
]


def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    pred = to_tensor(y_pred)
    if not pred.is_floating_point():
        pred = pred.float()
    true = to_tensor(y_true, pred.dtype, pred.device)
    return squeeze_or_expand_to_same_rank(true, pred)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Pearson's correlation coefficient of labels and predictions along ``axis``."""
    true, pred = _pair(y_true, y_pred)
    true = true - true.mean(axis, keepdim=True)
    pred = pred - pred.mean(axis, keepdim=True)
    true = true / true.std(axis, correction=0, keepdim=True)
    pred = pred / pred.std(axis, correction=0, keepdim=True)
    return (true * pred).mean(axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Lin's concordance correlation coefficient along ``axis`` (Keras 3's formula)."""
    true, pred = _pair(y_true, y_pred)
    true_mean = true.mean(axis, keepdim=True)
    pred_mean = pred.mean(axis, keepdim=True)
    true_var = (true - true_mean).var(axis, correction=0, keepdim=True)
    pred_var = (pred - pred_mean).var(axis, correction=0, keepdim=True)
    covar = (true - pred_mean) * (pred - pred_mean)
    norm = true_var + pred_var + (true_mean - pred_mean) ** 2
    return (2 * covar / (norm + EPSILON)).mean(axis)


class _CorrelationMetric(MeanMetricWrapper):
    axis: int

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class PearsonCorrelation(_CorrelationMetric):
    """The mean of :func:`pearson_correlation` over every sample seen.

    Args:
        name: name of the metric instance.
        dtype: dtype of the state and the result.
        axis: the axis along which each coefficient is computed.
    """

    def __init__(
        self, name: str = "pearson_correlation", dtype: DTypeLike = None, axis: int = -1
    ) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"


class ConcordanceCorrelation(_CorrelationMetric):
    """The mean of :func:`concordance_correlation` over every sample seen.

    Arguments as for :class:`PearsonCorrelation`.
    """

    def __init__(
        self, name: str = "concordance_correlation", dtype: DTypeLike = None, axis: int = -1
    ) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"
