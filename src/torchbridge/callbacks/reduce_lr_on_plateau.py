"""``ReduceLROnPlateau``: multiply the learning rate by ``factor`` on a plateau.

Keras 3 semantics, which differ from ``torch.optim.lr_scheduler.ReduceLROnPlateau``:
``min_delta`` is an absolute threshold (torch's default is relative); after
``patience`` epochs without improvement the rate becomes
``max(lr * factor, min_lr)`` unless it is already at ``min_lr`` (compared in
float32, as Keras stores the rate); ``cooldown`` epochs follow each reduction
during which ``wait`` stays 0. Every epoch end adds ``"learning_rate"`` to the
logs (the rate before any reduction made at that epoch end).

``state_dict()`` / ``load_state_dict()`` (torchbridge): ``wait``, ``best`` and
``cooldown_counter``, saved in every checkpoint written during ``fit()`` (the
rate itself is in the optimizer's state).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from torchbridge.callbacks.callback import Logs
from torchbridge.callbacks.monitor import MonitorCallback
from torchbridge.optimizers.learning_rate import get_learning_rate, set_learning_rate

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Reduce the learning rate when ``monitor`` has stopped improving.

    Args:
        monitor: logged quantity to watch.
        factor: ``new_lr = lr * factor``; must be below 1.
        patience: epochs without improvement before reducing.
        verbose: 1 prints a line for each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the monitor name).
        min_delta: absolute change needed to count as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound on the learning rate.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def state_dict(self) -> dict[str, Any]:
        return {
            "wait": self.wait,
            "best": None if self.best is None else float(self.best),
            "cooldown_counter": self.cooldown_counter,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wait = int(state["wait"])
        self.best = state["best"]
        self.cooldown_counter = int(state["cooldown_counter"])

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reduce_lr(self, epoch: int) -> bool:
        optimizer = self.model.optimizer
        old_lr = get_learning_rate(optimizer)
        # Keras keeps the rate in a float32 variable: a rate already at min_lr
        # (up to float32 rounding) is not reduced again.
        if np.float32(old_lr) <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(optimizer, new_lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = get_learning_rate(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return

        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0

        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0
