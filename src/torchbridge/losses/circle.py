"""The Circle loss for metric learning (Sun et al., 2020): ``circle`` and ``Circle``.

``y_pred`` holds L2-normalised embeddings and ``y_true`` their integer class
labels. Each sample is compared with every reference embedding (by default the
batch itself): pairs of the same class are pulled together and pairs of
different classes pushed apart, each weighted by how far it is from its optimum
(``margin``), with the scale ``gamma``. Samples whose loss is 0 (no positive
pair) do not count in the mean, as in Keras.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from torchbridge.losses._utils import as_float_tensor
from torchbridge.losses.loss import DTypeLike, _BuiltinLoss

__all__ = ["circle", "Circle"]


def _pos_neg_masks(query: Tensor, keys: Tensor, remove_diagonal: bool) -> tuple[Tensor, Tensor]:
    positive = query.reshape(-1, 1) == keys.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        eye = torch.eye(positive.shape[0], positive.shape[1], dtype=torch.bool, device=query.device)
        positive = positive & ~eye
    return positive, negative


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> Tensor:
    """Per-sample Circle loss of embeddings ``y_pred`` with labels ``y_true``.

    ``ref_labels``/``ref_embeddings`` (default: the batch itself) are what each
    sample is compared with; ``remove_diagonal`` drops each sample's pair with itself.
    """
    y_pred = as_float_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device).to(torch.int32)
    refs = y_pred if ref_embeddings is None else as_float_tensor(ref_embeddings).to(y_pred.device)
    ref_y = (
        y_true if ref_labels is None else torch.as_tensor(ref_labels).to(y_pred.device, torch.int32)
    )
    distances = torch.clamp_min(1 - y_pred @ refs.T, 0.0)
    positive, negative = _pos_neg_masks(y_true, ref_y, remove_diagonal)
    pos_weights = torch.clamp_min((margin + distances) * positive.to(distances.dtype), 0.0)
    neg_weights = torch.clamp_min((1 + margin - distances) * negative.to(distances.dtype), 0.0)
    pos_terms = -gamma * pos_weights * (margin - distances)
    neg_terms = gamma * neg_weights * ((1 - margin) - distances)
    p_loss = torch.logsumexp(torch.where(positive, pos_terms, float("-inf")), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg_terms, float("-inf")), dim=1)
    return F.softplus(p_loss + n_loss)


def _circle_mask(y_true: Tensor, y_pred: Tensor, values: Tensor, **kwargs: Any) -> Tensor:
    return values > 0


circle.loss_mask = _circle_mask  # type: ignore[attr-defined]
circle.keeps_integer_labels = True  # type: ignore[attr-defined]


class Circle(_BuiltinLoss):
    """Keras's ``Circle`` loss (see :func:`circle`)."""

    _config_keys = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "circle",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            circle,
            reduction,
            name,
            dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
