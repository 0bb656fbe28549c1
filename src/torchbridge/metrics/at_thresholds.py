"""One rate at a constraint on another: ``SensitivityAtSpecificity`` and its relatives.

Each metric counts true/false positives/negatives at ``num_thresholds`` evenly
spaced thresholds in [0, 1] (one threshold, 0.5, when ``num_thresholds=1``),
then reports the best value of one rate among the thresholds where the other
rate reaches the requested value (0 when none does):

* ``SensitivityAtSpecificity``: best recall where specificity ≥ ``specificity``;
* ``SpecificityAtSensitivity``: best specificity where recall ≥ ``sensitivity``;
* ``PrecisionAtRecall``: best precision where recall ≥ ``recall``;
* ``RecallAtPrecision``: best recall where precision ≥ ``precision``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from torchbridge.metrics._confusion_counts import accumulate_confusion_counts
from torchbridge.metrics._utils import DTypeLike, divide_no_nan
from torchbridge.metrics.metric import Metric

__all__ = [
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
]


class _AtThresholdBase(Metric):
    """Counts at evenly spaced thresholds and the constrained maximum."""

    #: The constructor argument holding the constraint value (its config key).
    _value_key = ""

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._value_key}` must be in the range [0, 1]. "
                f"Received: {self._value_key}={value}"
            )
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._evenly = False
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0, *inner, 1.0]
            self._evenly = True
        self._thresholds_tensor = torch.tensor(self.thresholds, dtype=self._torch_dtype)
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(size, "zeros", name="true_positives")
        self.false_positives = self.add_variable(size, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(size, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(size, "zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's counts at every threshold."""
        pred = self._input(y_pred)
        true = self._input(y_true)
        weight = None if sample_weight is None else self._input(sample_weight)
        accumulate_confusion_counts(
            {
                "tp": self.true_positives,
                "fp": self.false_positives,
                "tn": self.true_negatives,
                "fn": self.false_negatives,
            },
            true,
            pred,
            self._thresholds_tensor,
            evenly_distributed=self._evenly,
            class_id=self.class_id,
            sample_weight=weight,
        )

    def _rates(self) -> dict[str, Tensor]:
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {
            "recall": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _best(self, constrained: Tensor, dependent: Tensor) -> Tensor:
        feasible = constrained >= self.value
        return torch.where(feasible, dependent, 0.0).max().clamp_min(0.0)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_key: self.value,
        }


class SensitivityAtSpecificity(_AtThresholdBase):
    """The best sensitivity (recall) at a specificity of at least ``specificity``.

    Args:
        specificity: the required specificity, in [0, 1].
        num_thresholds: how many evenly spaced thresholds to try.
        class_id: compute the metric for this column only.
        name: name of the metric instance.
        dtype: dtype of the state and the result.
    """

    _value_key = "specificity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)
        self.specificity = specificity

    def result(self) -> Tensor:
        rates = self._rates()
        return self._best(rates["specificity"], rates["recall"])


class SpecificityAtSensitivity(_AtThresholdBase):
    """The best specificity at a sensitivity (recall) of at least ``sensitivity``.

    Arguments as for :class:`SensitivityAtSpecificity`, with ``sensitivity`` first.
    """

    _value_key = "sensitivity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)
        self.sensitivity = sensitivity

    def result(self) -> Tensor:
        rates = self._rates()
        return self._best(rates["recall"], rates["specificity"])


class PrecisionAtRecall(_AtThresholdBase):
    """The best precision at a recall of at least ``recall``.

    Arguments as for :class:`SensitivityAtSpecificity`, with ``recall`` first.
    """

    _value_key = "recall"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)
        self.recall = recall

    def result(self) -> Tensor:
        rates = self._rates()
        return self._best(rates["recall"], rates["precision"])


class RecallAtPrecision(_AtThresholdBase):
    """The best recall at a precision of at least ``precision``.

    Arguments as for :class:`SensitivityAtSpecificity`, with ``precision`` first.
    """

    _value_key = "precision"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)
        self.precision = precision

    def result(self) -> Tensor:
        rates = self._rates()
        return self._best(rates["precision"], rates["recall"])
