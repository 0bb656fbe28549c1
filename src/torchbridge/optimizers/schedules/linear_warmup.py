"""``LinearWarmup``: a linear ramp over ``warmup_steps``, then another schedule (torchbridge addition).

The Hugging Face default — linear warmup to a peak, then linear decay to 0 by
the last step (``get_linear_schedule_with_warmup``) — is::

    LinearWarmup(warmup_steps, PolynomialDecay(peak, total_steps - warmup_steps, 0.0))

``after`` may be a schedule (evaluated at ``step - warmup_steps``, so it starts
fresh when the ramp ends) or a constant learning rate. The ramp goes from
``initial_learning_rate`` (default 0, as Hugging Face) at step 0 to ``after``'s
first value at ``warmup_steps``. Keras's ``CosineDecay(0.0, decay_steps,
warmup_target=peak, warmup_steps=w)`` is already Hugging Face's cosine schedule
with warmup.
"""

from __future__ import annotations

from typing import Any

from torchbridge.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    deserialize,
    serialize,
)

__all__ = ["LinearWarmup"]


class LinearWarmup(LearningRateSchedule):
    """Linear warmup from ``initial_learning_rate`` to ``after``, then ``after``."""

    def __init__(
        self,
        warmup_steps: int,
        after: LearningRateSchedule | float,
        initial_learning_rate: float = 0.0,
        name: str = "LinearWarmup",
    ) -> None:
        if warmup_steps < 0:
            raise ValueError(
                f"Argument `warmup_steps` must be >= 0. Received: warmup_steps={warmup_steps}"
            )
        if not isinstance(after, LearningRateSchedule):
            if isinstance(after, bool) or not isinstance(after, (int, float)):
                raise ValueError(
                    "Argument `after` must be a LearningRateSchedule or a float learning rate. "
                    f"Received: after={after!r}"
                )
            after = float(after)
        self.warmup_steps = int(warmup_steps)
        self.after = after
        self.initial_learning_rate = float(initial_learning_rate)
        self.name = name

    def _after(self, step: int) -> float:
        after = self.after
        return float(after(step)) if isinstance(after, LearningRateSchedule) else after

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            start = self.initial_learning_rate
            return float(start + (self._after(0) - start) * (step / self.warmup_steps))
        return self._after(step - self.warmup_steps)

    def get_config(self) -> dict[str, Any]:
        after = self.after
        return {
            "warmup_steps": self.warmup_steps,
            "after": serialize(after) if isinstance(after, LearningRateSchedule) else after,
            "initial_learning_rate": self.initial_learning_rate,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        config = dict(config)
        if isinstance(config.get("after"), dict):
            config["after"] = deserialize(config["after"])
        return cls(**config)
