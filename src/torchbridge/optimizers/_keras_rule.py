"""``KerasRule``: a ``torch.optim.Optimizer`` that runs a Keras ``update_step`` per parameter.

Keras optimizers with no torch counterpart (Lion, Lamb, Ftrl, Adafactor, Muon,
ScheduleFreeAdamW)
are written as small subclasses: ``init_state`` creates the slots of one
parameter, ``update`` applies Keras's rule in place. The Keras step number
(``iterations + 1``, counted over the whole optimizer as Keras does, not per
parameter) is written into each param group as ``"keras_step"`` by the owning
:class:`~torchbridge.optimizers.Optimizer` before every step (see
:class:`KerasRuleMixin`). Decoupled weight decay, clipping, schedules and
accumulation stay in the owning optimizer, as for every other optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchbridge.optimizers.optimizer import Optimizer

__all__ = ["KerasRule", "KerasRuleMixin"]


class KerasRule(torch.optim.Optimizer):
    """Base of the per-parameter Keras update rules (see the module docstring)."""

    def init_state(self, p: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Create the optimizer slots of ``p`` in ``state`` (on the first step)."""

    def update(
        self, p: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Apply one Keras update to ``p`` in place."""
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            group.setdefault("keras_step", 1)
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    self.init_state(p, state, group)
                self.update(p, p.grad.to(p.dtype), state, group)
        return loss


class KerasRuleMixin(Optimizer):
    """For optimizers built on a :class:`KerasRule`: pass Keras's step number down."""

    _has_pre_step = True

    def _before_torch_step(self, groups: list[dict[str, Any]]) -> None:
        step = self.iterations + 1
        for group in groups:
            group["keras_step"] = step
