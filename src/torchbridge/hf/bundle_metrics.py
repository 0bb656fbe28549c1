"""The metrics :meth:`TextClassifier.compile <torchbridge.hf.TextClassifier.compile>` adds by
default for each problem type, computed on the model's logits.

* ``multi_label_classification``: ``binary_accuracy`` (every label of every text right
  or wrong at threshold 0.5 on the sigmoid), ``f1_micro`` and ``f1_macro`` (F1 over all
  label decisions / the mean of the per-label F1s, at the same threshold) — what the
  Hugging Face multi-label recipe's ``compute_metrics`` reports.
* ``regression``: ``mae`` and ``rmse`` of the model's outputs.
* ``single_label_classification``: none (``compile(metrics=["accuracy"])`` as in Keras).
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.metrics import BinaryAccuracy, F1Score, MeanAbsoluteError, RootMeanSquaredError

__all__ = ["SigmoidBinaryAccuracy", "SigmoidF1Score", "default_metrics"]


class SigmoidBinaryAccuracy(BinaryAccuracy):
    """Keras's ``BinaryAccuracy`` on ``sigmoid(logits)``."""

    def update_state(  # type: ignore[override]
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> Any:
        return super().update_state(y_true, torch.sigmoid(torch.as_tensor(y_pred)), sample_weight)


class SigmoidF1Score(F1Score):
    """Keras's ``F1Score`` on ``sigmoid(logits)``."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(y_true, torch.sigmoid(torch.as_tensor(y_pred)), sample_weight)


def default_metrics(problem_type: str) -> list[Any] | None:
    """Fresh metric objects for ``problem_type`` (None: no default metrics)."""
    if problem_type == "multi_label_classification":
        return [
            SigmoidBinaryAccuracy(name="binary_accuracy", threshold=0.5),
            SigmoidF1Score(average="micro", threshold=0.5, name="f1_micro"),
            SigmoidF1Score(average="macro", threshold=0.5, name="f1_macro"),
        ]
    if problem_type == "regression":
        return [MeanAbsoluteError(name="mae"), RootMeanSquaredError(name="rmse")]
    return None
