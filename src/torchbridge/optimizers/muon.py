"""Keras ``Muon``: orthogonalised momentum for matrices, AdamW for everything else.

A 2-D parameter (not excluded) gets a Nesterov momentum whose direction is
orthogonalised by ``ns_steps`` Newton–Schulz iterations (coefficients
``muon_a``/``muon_b``/``muon_c``) and scaled by ``sqrt(max(rows, cols)) *
rms_rate``. Other parameters — not 2-D, with "embedding" in their name
(``exclude_embeddings``), or matching a regular expression of
``exclude_layers`` — get AdamW at ``learning_rate * adam_lr_ratio``. Decoupled
weight decay is ``weight_decay`` for the Muon parameters and
``adam_weight_decay`` for the AdamW ones. Names are the Keras paths of
torchbridge weights (``"embedding/embeddings"``), else the ``named_parameters()``
names (fit builds the optimizer on the model, so they are known).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import torch

from torchbridge.optimizers._keras_rule import KerasRule, KerasRuleMixin
from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["Muon"]

_HYPER = (
    "adam_beta_1",
    "adam_beta_2",
    "epsilon",
    "muon_a",
    "muon_b",
    "muon_c",
    "adam_lr_ratio",
    "momentum",
    "ns_steps",
    "nesterov",
    "rms_rate",
    "adam_weight_decay",
    "weight_decay",
)


def _swap_last(x: torch.Tensor) -> torch.Tensor:
    return x.transpose(-2, -1)


def newton_schulz(x: torch.Tensor, steps: int, a: float, b: float, c: float) -> torch.Tensor:
    """Keras's quintic Newton–Schulz iteration towards the nearest orthogonal matrix."""
    if x.ndim < 2:
        raise ValueError(
            "Expected gradient or momentum to have at least 2 dimensions. "
            f"Received: shape={tuple(x.shape)}"
        )
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = _swap_last(x)
    x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)
    for _ in range(steps):
        gram = x @ _swap_last(x)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return _swap_last(x) if tall else x


class _MuonRule(KerasRule):
    def __init__(
        self, params: Any, lr: float, use_adamw: Callable[[torch.Tensor], bool], **hyper: Any
    ) -> None:
        self._use_adamw = use_adamw
        super().__init__(params, {"lr": lr, **hyper})

    def init_state(self, p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["momentum"] = torch.zeros_like(p)
        state["use_adamw"] = bool(self._use_adamw(p))
        if state["use_adamw"]:
            state["velocity"] = torch.zeros_like(p)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        # Keras's decay comes before any update, each parameter at its own rate.
        for group in self.param_groups:
            if not group.get("decay", True):
                continue
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    self.init_state(p, state, group)
                rate = group["adam_weight_decay" if state["use_adamw"] else "weight_decay"]
                if rate is not None:
                    p.sub_(p * rate * group["lr"])
        return super().step(closure)

    def update(
        self, p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        m = state["momentum"]
        if state["use_adamw"]:
            t = group["keras_step"]
            lr = group["lr"] * group["adam_lr_ratio"]
            beta_1, beta_2 = group["adam_beta_1"], group["adam_beta_2"]
            v = state["velocity"]
            alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            m.add_((grad - m) * (1 - beta_1))
            v.add_((grad.square() - v) * (1 - beta_2))
            p.sub_(m * alpha / (torch.sqrt(v) + group["epsilon"]))
            return
        momentum = group["momentum"]
        m.add_(grad + m * (momentum - 1))
        g = grad + momentum * m if group["nesterov"] else m
        update = newton_schulz(
            g, group["ns_steps"], group["muon_a"], group["muon_b"], group["muon_c"]
        )
        update = group["lr"] * update
        if group["rms_rate"] is not None:
            update = update * math.sqrt(max(update.shape[0], update.shape[1])) * group["rms_rate"]
        p.sub_(update)


class Muon(KerasRuleMixin):
    """Keras ``Muon`` optimizer (see the module docstring for the arguments)."""

    _torch_class = _MuonRule
    _native_decoupled_decay = True  # per-parameter rates, applied by the rule itself
    _config_keys = (
        "adam_beta_1",
        "adam_beta_2",
        "epsilon",
        "exclude_layers",
        "muon_a",
        "muon_b",
        "muon_c",
        "adam_lr_ratio",
        "momentum",
        "ns_steps",
        "nesterov",
        "exclude_embeddings",
        "adam_weight_decay",
        "rms_rate",
    )
    _mapped_torch_args = Optimizer._mapped_torch_args | frozenset(_HYPER) | {"use_adamw"}

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_layers: list[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
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
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, p: torch.Tensor) -> bool:
        if p.ndim != 2:
            return True
        path = getattr(p, "path", None) or self._param_names.get(id(p), "")
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def _prepare_group(self, group: dict[str, Any]) -> dict[str, Any]:
        # A group split off by the exclusion rules carries weight_decay 0: no decay there.
        group["decay"] = not ("weight_decay" in group and not group["weight_decay"])
        group.pop("weight_decay", None)
        return group

    def _torch_hyperparameters(self) -> dict[str, Any]:
        hyper = {key: getattr(self, key) for key in _HYPER}
        hyper["use_adamw"] = self._should_use_adamw
        return hyper
