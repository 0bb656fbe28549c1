"""Keras optimizers on ``torch.optim``: ``Adam(learning_rate=1e-3)`` now, ``build(params)`` later.

Each optimizer is a :class:`Optimizer` (itself a ``torch.optim.Optimizer`` by
``isinstance``) holding a real torch optimizer, ``torch_optimizer``, created by
``build``. ``get`` resolves Keras names and torch objects; ``schedules`` holds the
Keras learning-rate schedules; ``LossScaleOptimizer`` adds dynamic loss scaling
(float16 mixed precision). Optimizers without a torch counterpart
(``Lion``, ``Lamb``, ``Ftrl``, ``Adafactor``, ``Muon``, ``ScheduleFreeAdamW``)
run Keras's update rule on a small ``torch.optim.Optimizer`` of their own
(``_keras_rule.py``); ``MultiOptimizer``/``OptimizerMap`` give parameters
different optimizers by name; ``legacy`` holds the Keras 2 names, which raise
as in Keras 3.
"""

from __future__ import annotations

from torchbridge.optimizers import legacy, schedules
from torchbridge.optimizers.adafactor import Adafactor
from torchbridge.optimizers.adagrad import Adadelta, Adagrad
from torchbridge.optimizers.adam import Adam, Adamax, AdamW, Nadam
from torchbridge.optimizers.ftrl import Ftrl
from torchbridge.optimizers.lamb import Lamb
from torchbridge.optimizers.learning_rate import get_learning_rate, set_learning_rate
from torchbridge.optimizers.lion import Lion
from torchbridge.optimizers.loss_scale_optimizer import LossScaleOptimizer
from torchbridge.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from torchbridge.optimizers.muon import Muon
from torchbridge.optimizers.optimizer import Optimizer
from torchbridge.optimizers.resolve import deserialize, get, serialize
from torchbridge.optimizers.rmsprop import RMSprop
from torchbridge.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from torchbridge.optimizers.sgd import SGD
from torchbridge.optimizers.wrapped import TorchClassOptimizer, WrappedOptimizer

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Adafactor",
    "Ftrl",
    "Lamb",
    "Lion",
    "Muon",
    "ScheduleFreeAdamW",
    "MultiOptimizer",
    "OptimizerMap",
    "LossScaleOptimizer",
    "WrappedOptimizer",
    "TorchClassOptimizer",
    "get",
    "serialize",
    "deserialize",
    "get_learning_rate",
    "set_learning_rate",
    "schedules",
    "legacy",
]
