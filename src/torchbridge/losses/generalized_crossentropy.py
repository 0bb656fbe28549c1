"""The generalized cross-entropy of Zhang & Sabuncu (2018), robust to noisy labels.

``categorical_generalized_cross_entropy(y_true, y_pred, q)`` is
``(1 - p**q) / q`` where ``p`` is the probability given to the integer label:
``q → 0`` approaches categorical cross-entropy, ``q = 1`` is MAE on the
probabilities. ``CategoricalGeneralizedCrossEntropy`` is the Keras class.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from torchbridge.losses._utils import as_float_tensor
from torchbridge.losses.loss import DTypeLike, _BuiltinLoss

__all__ = ["categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy"]


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Tensor:
    """Per-sample ``(1 - p**q) / q`` with ``p`` the probability of the integer label."""
    y_pred = as_float_tensor(y_pred)
    labels = torch.as_tensor(y_true, device=y_pred.device).to(torch.int64)
    one_hot = torch.nn.functional.one_hot(labels, y_pred.shape[-1]).to(y_pred.dtype)
    p = (y_pred * one_hot).sum(-1)
    return (1 - torch.pow(p, q)) / q


categorical_generalized_cross_entropy.keeps_integer_labels = True  # type: ignore[attr-defined]


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    """Keras's ``CategoricalGeneralizedCrossEntropy`` (``q`` in (0, 1))."""

    _config_keys = ("q",)

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_generalized_cross_entropy",
        dtype: DTypeLike = None,
    ) -> None:
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(categorical_generalized_cross_entropy, reduction, name, dtype, q=q)
