"""Keras ``ScheduleFreeAdamW`` (Defazio et al., 2024): AdamW without a learning-rate schedule.

Each parameter keeps ``z`` (the ``momentum`` slot, starting at the weight) and
Adam's second moment. ``z`` takes a plain Adam-scaled gradient step; the
weight ``y`` is rebuilt from the running average ``x`` of the ``z`` iterates
(weight ``1/t``) as ``y = (1 - beta_1) z + beta_1 x``. ``warmup_steps`` ramps
the learning rate linearly. As Keras (TensorFlow and torch backends) computes
it, ``x`` is recovered from the weight with the *updated* ``z``; this module
reproduces that.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.optimizers._keras_rule import KerasRule, KerasRuleMixin
from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["ScheduleFreeAdamW"]


class _ScheduleFreeRule(KerasRule):
    def __init__(
        self,
        params: Any,
        lr: float,
        beta_1: float,
        beta_2: float,
        epsilon: float,
        warmup_steps: int,
    ) -> None:
        defaults = {
            "lr": lr,
            "beta_1": beta_1,
            "beta_2": beta_2,
            "epsilon": epsilon,
            "warmup_steps": warmup_steps,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:  # z starts at the weights as they are now (Keras's build)
            for p in group["params"]:
                self.init_state(p, self.state[p], group)

    def init_state(self, p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["momentum"] = p.detach().clone()
        state["velocity"] = torch.zeros_like(p)

    def update(
        self, p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        t = float(group["keras_step"])
        lr = group["lr"]
        if group["warmup_steps"] > 0:
            lr = lr * min(t / group["warmup_steps"], 1.0)
        beta_1, beta_2 = group["beta_1"], group["beta_2"]
        z, v = state["momentum"], state["velocity"]
        v.add_((grad.square() - v) * (1 - beta_2))
        # Keras's bias correction is computed in the weights' dtype; the recovery of x
        # below divides by beta_1 and would magnify a float64 one's difference.
        correction = 1 - torch.pow(torch.tensor(beta_2, dtype=p.dtype, device=p.device), t)
        denom = torch.sqrt(v / correction) + group["epsilon"]
        z.sub_(lr * grad / denom)
        weight = 1.0 / t
        x_old = (p - (1 - beta_1) * z) / beta_1
        x_new = (1 - weight) * x_old + weight * z
        p.copy_((1 - beta_1) * z + beta_1 * x_new)


class ScheduleFreeAdamW(KerasRuleMixin):
    """Keras ``ScheduleFreeAdamW`` optimizer (see the module docstring)."""

    _torch_class = _ScheduleFreeRule
    _config_keys = ("beta_1", "beta_2", "epsilon", "warmup_steps")
    _mapped_torch_args = Optimizer._mapped_torch_args | frozenset(_config_keys)

    def __init__(
        self,
        learning_rate: LearningRate = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
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
        self.warmup_steps = warmup_steps

    def _torch_hyperparameters(self) -> dict[str, Any]:
        return {
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
