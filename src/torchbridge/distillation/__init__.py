"""keras.distillation: knowledge distillation from a frozen teacher into a student.

:class:`Distiller` (a Model) and the losses it combines —
:class:`DistillationLoss` (the base to subclass), :class:`LogitsDistillation`
and :class:`FeatureDistillation`.
"""

from torchbridge.distillation.distillation_loss import (
    DistillationLoss,
    FeatureDistillation,
    LogitsDistillation,
)
from torchbridge.distillation.distiller import Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
