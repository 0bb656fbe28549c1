"""Keras learning-rate schedules (``keras.optimizers.schedules``) as cheap Python callables.

Pass one as ``learning_rate=`` to any torchbridge optimizer; it is evaluated at
the optimizer's step count before each step. ``schedule.as_lambda_lr(torch_opt)``
drives a raw torch optimizer instead. ``LinearWarmup`` (a torchbridge addition)
puts a linear warmup in front of any schedule.
"""

from __future__ import annotations

from torchbridge.optimizers.schedules.cosine_decay import CosineDecay, CosineDecayRestarts
from torchbridge.optimizers.schedules.exponential_decay import ExponentialDecay, InverseTimeDecay
from torchbridge.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    deserialize,
    serialize,
)
from torchbridge.optimizers.schedules.linear_warmup import LinearWarmup
from torchbridge.optimizers.schedules.piecewise_constant_decay import PiecewiseConstantDecay
from torchbridge.optimizers.schedules.polynomial_decay import PolynomialDecay

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "LinearWarmup",
    "serialize",
    "deserialize",
    "ALL_SCHEDULES",
]

ALL_SCHEDULES: tuple[type[LearningRateSchedule], ...] = (
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    InverseTimeDecay,
    CosineDecay,
    CosineDecayRestarts,
    LinearWarmup,
)
