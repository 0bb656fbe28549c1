"""Keras ``Lamb`` (You et al., 2019): Adam's direction scaled by a layer-wise trust ratio.

The Adam update ``m̂ / (sqrt(v̂) + epsilon)`` of each parameter is multiplied by
``‖w‖ / ‖update‖`` (1 when either norm is 0) before ``w -= lr * ratio * update``.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.optimizers._keras_rule import KerasRule, KerasRuleMixin
from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["Lamb"]


class _LambRule(KerasRule):
    def __init__(
        self, params: Any, lr: float, beta_1: float, beta_2: float, epsilon: float
    ) -> None:
        defaults = {"lr": lr, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon}
        super().__init__(params, defaults)

    def init_state(self, p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["momentum"] = torch.zeros_like(p)
        state["velocity"] = torch.zeros_like(p)

    def update(
        self, p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        m, v = state["momentum"], state["velocity"]
        beta_1, beta_2, t = group["beta_1"], group["beta_2"], group["keras_step"]
        m.add_((grad - m) * (1 - beta_1))
        v.add_((grad.square() - v) * (1 - beta_2))
        m_hat = m / (1.0 - beta_1**t)
        update = m_hat / (torch.sqrt(v / (1.0 - beta_2**t)) + group["epsilon"])
        w_norm = torch.linalg.vector_norm(p)
        g_norm = torch.linalg.vector_norm(update)
        ratio = torch.where((w_norm > 0) & (g_norm > 0), w_norm / g_norm, 1.0)
        p.sub_(ratio * group["lr"] * update)


class Lamb(KerasRuleMixin):
    """Keras ``Lamb`` optimizer (Adam moments ``beta_1``/``beta_2``, ``epsilon``)."""

    _torch_class = _LambRule
    _config_keys = ("beta_1", "beta_2", "epsilon")
    _mapped_torch_args = Optimizer._mapped_torch_args | frozenset({"beta_1", "beta_2", "epsilon"})

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
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
        self.epsilon = epsilon

    def _torch_hyperparameters(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
