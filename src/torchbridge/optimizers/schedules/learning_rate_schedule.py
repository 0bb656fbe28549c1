"""The ``LearningRateSchedule`` base class, its (de)serialisation, and a torch adapter.

A schedule maps the optimizer's step count (``iterations``, counted from 0 before
the update; with ``gradient_accumulation_steps`` Keras counts batches, not
updates) to a learning rate. torchbridge schedules are plain Python maths
returning a ``float``: an optimizer calls one once per training step, so it must
be cheap and must not touch the accelerator.

:meth:`LearningRateSchedule.as_lambda_lr` lets a schedule drive a raw
``torch.optim`` optimizer through ``torch.optim.lr_scheduler.LambdaLR``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

__all__ = ["LearningRateSchedule", "serialize", "deserialize"]


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step) -> float`` and ``get_config()``."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__!r} must override "
            "`__call__(self, step)` and return the learning rate as a float."
        )

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__!r} must override "
            "`get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)

    def as_lambda_lr(
        self, optimizer: torch.optim.Optimizer, last_epoch: int = -1
    ) -> torch.optim.lr_scheduler.LambdaLR:
        """Drive a raw torch optimizer with this schedule (call ``scheduler.step()`` per batch).

        ``LambdaLR`` multiplies each group's initial lr by the returned factor, so
        the factor is ``schedule(step) / lr0`` where ``lr0`` is the group's lr at
        creation; the resulting lr is exactly ``schedule(step)``.
        """
        initial = [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        for lr0 in initial:
            if lr0 == 0.0:
                raise ValueError(
                    "as_lambda_lr() needs a non-zero initial lr in every param group "
                    "(LambdaLR scales it). Create the optimizer with lr=1.0."
                )
        factors = [self._factor_fn(lr0) for lr0 in initial]
        return torch.optim.lr_scheduler.LambdaLR(optimizer, factors, last_epoch=last_epoch)

    def _factor_fn(self, lr0: float) -> Callable[[int], float]:
        return lambda step: self(step) / lr0

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Return a Keras-compatible ``{"module", "class_name", "config", "registered_name"}`` dict."""
    return {
        "module": "keras.optimizers.schedules",
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
        "registered_name": None,
    }


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, type] | None = None
) -> LearningRateSchedule:
    """Rebuild a schedule from :func:`serialize` output (or a Keras serialized dict)."""
    from torchbridge.optimizers.schedules import ALL_SCHEDULES

    name = config["class_name"]
    table: dict[str, Any] = {cls.__name__: cls for cls in ALL_SCHEDULES}
    table.update(custom_objects or {})
    if name not in table:
        from torchbridge.errors import UnknownNameError

        raise UnknownNameError("learning rate schedule", name, table)
    obj = table[name].from_config(dict(config.get("config", {})))
    if not isinstance(obj, LearningRateSchedule):
        raise TypeError(f"{name!r} did not produce a LearningRateSchedule (got {obj!r}).")
    return obj
