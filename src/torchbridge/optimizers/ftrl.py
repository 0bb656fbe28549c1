"""Keras ``Ftrl``: follow-the-regularized-leader (McMahan et al., 2013), Keras's variant.

Per parameter an accumulator of squared gradients (starting at
``initial_accumulator_value``) and a linear term; the new weight solves the
regularised problem in closed form, so L1 (``l1_regularization_strength``)
gives exact zeros. ``l2_shrinkage_regularization_strength`` adds an L2 penalty
to the gradient; ``beta`` adds ``beta / (2 lr)`` to the L2 strength.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.optimizers._keras_rule import KerasRule, KerasRuleMixin
from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["Ftrl"]

_HYPER = (
    "learning_rate_power",
    "initial_accumulator_value",
    "l1_regularization_strength",
    "l2_regularization_strength",
    "l2_shrinkage_regularization_strength",
    "beta",
)


class _FtrlRule(KerasRule):
    def __init__(self, params: Any, lr: float, **hyper: float) -> None:
        super().__init__(params, {"lr": lr, **hyper})

    def init_state(self, p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["accumulator"] = torch.full_like(p, group["initial_accumulator_value"])
        state["linear"] = torch.zeros_like(p)

    def update(
        self, p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        accum, linear = state["accumulator"], state["linear"]
        lr = group["lr"]
        power = -group["learning_rate_power"]
        l1 = group["l1_regularization_strength"]
        l2 = group["l2_regularization_strength"] + group["beta"] / (2.0 * lr)
        grad_to_use = grad + 2 * group["l2_shrinkage_regularization_strength"] * p
        new_accum = accum + grad.square()
        linear.add_(grad_to_use - (new_accum.pow(power) - accum.pow(power)) / lr * p)
        quadratic = new_accum.pow(power) / lr + 2 * l2
        p.copy_((linear.clamp(-l1, l1) - linear) / quadratic)
        accum.copy_(new_accum)


class Ftrl(KerasRuleMixin):
    """Keras ``Ftrl`` optimizer (see the module docstring for the arguments)."""

    _torch_class = _FtrlRule
    _config_keys = _HYPER
    _mapped_torch_args = Optimizer._mapped_torch_args | frozenset(_HYPER)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
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
        checks = {
            "initial_accumulator_value": initial_accumulator_value < 0.0,
            "learning_rate_power": learning_rate_power > 0.0,
            "l1_regularization_strength": l1_regularization_strength < 0.0,
            "l2_regularization_strength": l2_regularization_strength < 0.0,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength < 0.0,
        }
        for key, bad in checks.items():
            if bad:
                sign = "negative or zero" if key == "learning_rate_power" else "positive or zero"
                raise ValueError(f"`{key}` needs to be {sign}. Received: {key}={locals()[key]}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _torch_hyperparameters(self) -> dict[str, Any]:
        return {key: float(getattr(self, key)) for key in _HYPER}
