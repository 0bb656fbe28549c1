"""``SwapEMAWeights``: evaluate (and optionally checkpoint) with the EMA weights (Keras 3).

With an optimizer built with ``use_ema=True``, the optimizer keeps an
exponential moving average of every trained weight. This callback swaps the
averages into the model, in place, for ``evaluate`` / ``predict`` and for the
validation inside ``fit``, and swaps the training weights back afterwards, so
training continues from its own weights. ``swap_on_epoch=True`` also keeps
the averages in the model from each ``on_epoch_end`` to the next
``on_epoch_begin``, so callbacks after this one (``ModelCheckpoint``) see
them; after the last epoch they stay in the model.

The swap itself is :meth:`torchbridge.optimizers.Optimizer.swap_ema_weights`.
Unlike Keras 3.15, whose ``on_predict_end`` never swaps back (its condition is
inverted), ``predict`` restores the training weights too.
"""

from __future__ import annotations

from typing import Any

from torchbridge.callbacks.callback import Callback, Logs
from torchbridge.errors import InputError

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Swap the optimizer's EMA weights into the model for evaluation."""

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._ema_weights_in_model = False

    def _ema_optimizers(self) -> list[Any]:
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
        inner = getattr(optimizer, "optimizers", None)  # several optimizers, as Keras allows
        candidates = list(inner) if inner is not None else [optimizer]
        found = [opt for opt in candidates if getattr(opt, "use_ema", False)]
        if not found or not all(hasattr(opt, "swap_ema_weights") for opt in found):
            raise InputError(
                "SwapEMAWeights needs an optimizer with use_ema=True, e.g. "
                "model.compile(optimizer=keras.optimizers.SGD(use_ema=True), ...); got "
                f"{type(optimizer).__name__} with use_ema={getattr(optimizer, 'use_ema', False)}."
            )
        return found

    def _swap(self, keep_averages: bool = False) -> None:
        for opt in self._ema_optimizers():
            opt.swap_ema_weights(keep_averages=keep_averages)

    def _to_ema(self) -> None:
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def _to_training(self) -> None:
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.swap_on_epoch:
            self._to_training()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            last = epoch == (self.params or {}).get("epochs", 0) - 1
            # After the last epoch the averages stay: weights and averages both hold them.
            self._swap(keep_averages=last)
            self._ema_weights_in_model = True

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._to_ema()

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._to_training()

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._to_ema()

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._to_training()
