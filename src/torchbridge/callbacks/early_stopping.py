"""``EarlyStopping``: stop ``fit()`` when a monitored quantity stops improving.

Keras 3 semantics: at each epoch end (from ``start_from_epoch`` on) the
monitored value either improves on ``best`` by more than ``min_delta`` (``wait``
goes back to 0, unless a ``baseline`` is given and not beaten) or it does not
(``wait`` grows); once ``wait >= patience`` (never at epoch 0) the callback sets
``model.stop_training`` and records ``stopped_epoch``. With
``restore_best_weights`` the best epoch's ``state_dict`` is kept as cloned
tensors on their own device and loaded back at the end of training.

``state_dict()`` / ``load_state_dict()`` (torchbridge): ``wait``, ``best``,
``best_epoch``, ``stopped_epoch`` and the best weights — part of every
checkpoint written during ``fit()``, so a resumed run stops when the
uninterrupted one would have.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from torchbridge.callbacks.callback import Logs
from torchbridge.callbacks.monitor import MonitorCallback

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: logged quantity to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: an absolute change smaller than this is not an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a line when stopping and when restoring weights.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the monitor name).
        baseline: value to beat; while it is not beaten, ``wait`` keeps growing.
        restore_best_weights: load the best epoch's weights at the end of training
            (even when training was not stopped early).
        start_from_epoch: number of warm-up epochs that are not monitored.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs: Logs | None = None) -> None:
        # Reset so one instance can serve several fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def state_dict(self) -> dict[str, Any]:
        return {
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best": None if self.best is None else float(self.best),
            "best_epoch": self.best_epoch,
            "best_weights": (
                None
                if self.best_weights is None
                else {k: v.detach().cpu().clone() for k, v in self.best_weights.items()}
            ),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best = state["best"]
        self.best_epoch = int(state["best_epoch"])
        weights = state["best_weights"]
        if weights is not None:
            devices = {k: v.device for k, v in self.model.state_dict().items()}
            weights = {k: v.to(devices.get(k, v.device)) for k, v in weights.items()}
        self.best_weights = weights

    def _snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing stored yet: the current weights are the best so far.
            self.best_weights = self._snapshot()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._snapshot()
            # The patience counter restarts only when the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.load_state_dict(self.best_weights)

    def get_monitor_value(self, logs: Logs | None) -> Any:
        """The monitored value from ``logs``, or ``None`` with a warning listing the keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value
