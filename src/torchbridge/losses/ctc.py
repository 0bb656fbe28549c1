"""Connectionist temporal classification: ``ctc`` and ``CTC`` (Keras's CTC loss).

Labels are ``(batch, max_label_length)`` integer class ids padded with 0, which
is also the blank class; predictions are ``(batch, time, classes)`` logits. Every
time step of every sample counts (Keras passes the full ``time`` as each
sample's input length) and each label's length is its number of non-zero ids.
The per-sample negative log-likelihood comes from ``ops.nn.ctc_loss``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from torchbridge.losses.loss import DTypeLike, Loss, _BuiltinLoss

__all__ = ["ctc", "CTC"]

_MASK_INDEX = 0


def ctc(y_true: Any, y_pred: Any) -> Tensor:
    """Per-sample CTC loss of padded integer labels under ``(batch, time, classes)`` logits."""
    from torchbridge.ops.nn_losses import ctc_loss

    y_pred = y_pred if isinstance(y_pred, Tensor) else torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
            f"num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    batch, time = y_pred.shape[0], y_pred.shape[1]
    input_length = torch.full((batch,), time, dtype=torch.int32, device=y_pred.device)
    label_length = (y_true != _MASK_INDEX).sum(-1).to(torch.int32)
    return ctc_loss(y_true, y_pred, label_length, input_length, mask_index=_MASK_INDEX)


ctc.keeps_integer_labels = True  # type: ignore[attr-defined]


class CTC(_BuiltinLoss):
    """Keras's ``CTC`` loss (see :func:`ctc`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "ctc",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(ctc, reduction, name, dtype)

    def get_config(self) -> dict[str, Any]:
        return Loss.get_config(self)
