"""Keras ``Adafactor`` (Shazeer & Stern, 2018): second moments stored as row and column means.

For a matrix (or any tensor of rank ≥ 2) the squared-gradient average is kept as
its mean over the last axis (``r``) and over the second-to-last (``c``), and
rebuilt as ``r / mean(r) ⊗ c``; vectors and scalars keep a full average. The
decay is ``1 - t**beta_2_decay``; updates are clipped to an RMS of
``clip_threshold`` and scaled by ``max(epsilon_2, rms(w)) * min(lr, 1/sqrt(t))``.
With ``relative_step`` (and a constant learning rate) the learning rate is also
capped at ``1/sqrt(t)``.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.optimizers._keras_rule import KerasRule, KerasRuleMixin
from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["Adafactor"]


def _rms(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(torch.mean(x.square()))


class _AdafactorRule(KerasRule):
    def __init__(
        self,
        params: Any,
        lr: float,
        beta_2_decay: float,
        epsilon_1: float,
        epsilon_2: float,
        clip_threshold: float,
        relative_step: bool,
    ) -> None:
        defaults = {
            "lr": lr,
            "beta_2_decay": beta_2_decay,
            "epsilon_1": epsilon_1,
            "epsilon_2": epsilon_2,
            "clip_threshold": clip_threshold,
            "relative_step": relative_step,
        }
        super().__init__(params, defaults)

    def init_state(self, p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if p.ndim >= 2:
            state["r"] = p.new_zeros(p.shape[:-1])
            state["c"] = p.new_zeros((*p.shape[:-2], p.shape[-1]))
        state["velocity"] = torch.zeros_like(p)

    def update(
        self, p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        t = float(group["keras_step"])
        lr = group["lr"]
        if group["relative_step"]:
            lr = min(lr, 1 / t**0.5)
        rho = min(lr, 1 / t**0.5)
        alpha = torch.clamp_min(_rms(p), group["epsilon_2"]) * rho
        squared = grad.square() + group["epsilon_1"]
        beta_2 = 1 - t ** group["beta_2_decay"]
        v = state["velocity"]
        if p.ndim >= 2:
            r, c = state["r"], state["c"]
            r.mul_(beta_2).add_((1 - beta_2) * squared.mean(-1))
            c.mul_(beta_2).add_((1 - beta_2) * squared.mean(-2))
            v.copy_((r / r.mean(-1, keepdim=True)).unsqueeze(-1) * c.unsqueeze(-2))
        else:
            v.mul_(beta_2).add_((1 - beta_2) * squared)
        u = grad / torch.sqrt(v)
        u = u / torch.clamp_min(_rms(u) / group["clip_threshold"], 1.0)
        p.sub_(alpha * u)


class Adafactor(KerasRuleMixin):
    """Keras ``Adafactor`` optimizer (see the module docstring for the arguments)."""

    _torch_class = _AdafactorRule
    _config_keys = ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")
    _mapped_torch_args = Optimizer._mapped_torch_args | frozenset(_config_keys)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def _torch_hyperparameters(self) -> dict[str, Any]:
        return {
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            # Keras caps the step size only for a constant learning rate.
            "relative_step": bool(self.relative_step) and isinstance(self._learning_rate, float),
        }
