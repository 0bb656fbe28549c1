"""Keras ``Lion`` (Chen et al., 2023): the sign of an interpolated momentum as the update.

``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
``m = beta_2 * m + (1 - beta_2) * g``. Weight decay is Keras's decoupled decay.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.optimizers._keras_rule import KerasRule, KerasRuleMixin
from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["Lion"]


class _LionRule(KerasRule):
    def __init__(self, params: Any, lr: float, beta_1: float, beta_2: float) -> None:
        super().__init__(params, {"lr": lr, "beta_1": beta_1, "beta_2": beta_2})

    def init_state(self, p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["momentum"] = torch.zeros_like(p)

    def update(
        self, p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        m = state["momentum"]
        beta_1, beta_2 = group["beta_1"], group["beta_2"]
        p.sub_(group["lr"] * torch.sign(m * beta_1 + grad * (1.0 - beta_1)))
        m.mul_(beta_2).add_(grad * (1.0 - beta_2))


class Lion(KerasRuleMixin):
    """Keras ``Lion`` optimizer (``beta_1`` in (0, 1]; ``beta_2`` the momentum decay)."""

    _torch_class = _LionRule
    _config_keys = ("beta_1", "beta_2")
    _mapped_torch_args = Optimizer._mapped_torch_args | frozenset({"beta_1", "beta_2"})

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )

    def _torch_hyperparameters(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}
