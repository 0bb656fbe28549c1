"""``R2Score``: the coefficient of determination, streamed over batches.

The state is per output column: the weighted sums of ``y``, of ``y²`` and of the
squared residuals, the weight total, and the number of values seen. The score
per column is ``1 - residual / total`` (columns whose labels never vary give 0),
then aggregated as ``class_aggregation`` says. ``num_regressors > 0`` gives the
adjusted R² (which needs the sample count on the host: one device read per
``result()`` only in that case).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor

from torchbridge.metrics._utils import DTypeLike, squeeze_or_expand_to_same_rank
from torchbridge.metrics.metric import Metric

__all__ = ["R2Score"]

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """R² of predictions against labels of shape ``(batch, outputs)``.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over outputs),
            ``"variance_weighted_average"`` (weighted by each output's variance)
            or ``None`` (one score per output).
        num_regressors: the number of independent variables, for the adjusted
            R²; 0 gives the plain R².
        name: name of the metric instance.
        dtype: dtype of the state and the result.
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, true_shape: torch.Size, pred_shape: torch.Size) -> None:
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={tuple(pred_shape)} and "
                f"y_true.shape={tuple(true_shape)}. Reshape single outputs to (batch, 1)."
            )
        columns = pred_shape[-1]
        self.squared_sum = self.add_variable((columns,), "zeros", name="squared_sum")
        self.sum = self.add_variable((columns,), "zeros", name="sum")
        self.total_mse = self.add_variable((columns,), "zeros", name="residual")
        self.count = self.add_variable((columns,), "zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's weighted sums (``sample_weight`` per sample or per value)."""
        dtype = self._torch_dtype
        true = self._input(y_true, dtype)
        pred = self._input(y_pred, dtype)
        true, pred = squeeze_or_expand_to_same_rank(true, pred)
        if not self._built:
            self._build(true.shape, pred.shape)
        if sample_weight is None:
            weight = torch.ones((), dtype=dtype, device=true.device)
        else:
            weight = self._input(sample_weight, dtype)
            if weight.ndim == 1:
                weight = weight.unsqueeze(1)
        weight = weight.broadcast_to(true.shape)
        weighted = true * weight
        self.sum.add_(weighted.sum(0))
        self.squared_sum.add_((true * weighted).sum(0))
        self.total_mse.add_(((true - pred) ** 2 * weight).sum(0))
        self.count.add_(weight.sum(0))
        self.num_samples.add_(true.numel())

    def result(self) -> Tensor:
        """The (aggregated, optionally adjusted) R² of everything seen."""
        if not self._built:
            raise ValueError(
                "R2Score.result() was called before any update_state(): there is no data to "
                "score yet."
            )
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1 - self.total_mse / total
        raw = torch.where(torch.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors != 0:
            n = float(self.num_samples)  # the only host read, and only for adjusted R²
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn(
                    "More independent predictors than datapoints in adjusted R2 score. "
                    "Falling back to standard R2 score.",
                    stacklevel=2,
                )
            elif p == n - 1:
                warnings.warn(
                    "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return score

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.zero_()

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
