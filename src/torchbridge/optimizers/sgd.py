"""Keras ``SGD`` on ``torch.optim.SGD``.

Keras keeps ``m = momentum * m - lr * g`` and adds it; torch keeps ``b = momentum * b + g``
and subtracts ``lr * b``, so ``m = -lr * b`` while the learning rate stays constant. When
it changes (a schedule, ReduceLROnPlateau, an assignment), torch would apply the new rate
to the whole buffer; rescaling the buffer by ``old_lr / new_lr`` first keeps ``m = -lr * b``
and makes every step Keras's (plain and Nesterov momentum alike).
"""

from __future__ import annotations

import numbers
from typing import Any

import torch

from torchbridge.optimizers.optimizer import LearningRate, Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Keras ``SGD`` → ``torch.optim.SGD`` (``momentum``, ``nesterov``; dampening 0)."""

    _torch_class = torch.optim.SGD
    _config_keys = ("momentum", "nesterov")
    _mapped_torch_args = Optimizer._mapped_torch_args | frozenset({"momentum", "nesterov"})

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
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
        if not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: {momentum!r}")
        self.momentum: float = float(momentum)
        self.nesterov: bool = nesterov
        self._has_pre_step = self.momentum > 0  # type: ignore[misc]

    def _before_torch_step(self, groups: list[dict[str, Any]]) -> None:
        """Rescale the momentum buffers when the learning rate changed (see module doc)."""
        inner = self._inner
        assert inner is not None  # built: a step is being taken
        for group in groups:
            lr = float(group["lr"])
            previous = group.get("keras_momentum_lr")
            group["keras_momentum_lr"] = lr
            if previous is None or previous == lr or lr == 0.0:
                continue
            buffers = [
                inner.state[p]["momentum_buffer"]
                for p in group["params"]
                if inner.state.get(p, {}).get("momentum_buffer") is not None
            ]
            if buffers:
                with torch.no_grad():
                    torch._foreach_mul_(buffers, previous / lr)

    def _torch_hyperparameters(self) -> dict[str, Any]:
        # Keras ignores nesterov without momentum; torch would raise.
        return {"momentum": self.momentum, "nesterov": self.nesterov and self.momentum > 0}
