"""Resolve Keras optimizer identifiers: ``get``, ``serialize``, ``deserialize``.

``get`` accepts what ``keras.optimizers.get`` does (a name such as ``"adam"`` in
any letter case, a config dict, an optimizer) plus torch objects: a
``torch.optim.Optimizer`` instance is wrapped, a ``torch.optim.Optimizer``
subclass becomes an unbuilt optimizer that instantiates it on ``build``.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.optimizers.adafactor import Adafactor
from torchbridge.optimizers.adagrad import Adadelta, Adagrad
from torchbridge.optimizers.adam import Adam, Adamax, AdamW, Nadam
from torchbridge.optimizers.ftrl import Ftrl
from torchbridge.optimizers.lamb import Lamb
from torchbridge.optimizers.lion import Lion
from torchbridge.optimizers.loss_scale_optimizer import LossScaleOptimizer
from torchbridge.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from torchbridge.optimizers.muon import Muon
from torchbridge.optimizers.optimizer import Optimizer
from torchbridge.optimizers.rmsprop import RMSprop
from torchbridge.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from torchbridge.optimizers.sgd import SGD
from torchbridge.optimizers.wrapped import TorchClassOptimizer, WrappedOptimizer
from torchbridge.utils.registry import Registry

__all__ = ["OPTIMIZERS", "get", "serialize", "deserialize"]

#: Lower-case Keras names (``cls.__name__.lower()``, as Keras matches them) → class.
OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer")
for _cls in (
    SGD,
    RMSprop,
    Adam,
    AdamW,
    Adagrad,
    Adadelta,
    Adamax,
    Nadam,
    Adafactor,
    Ftrl,
    Lamb,
    Lion,
    Muon,
    ScheduleFreeAdamW,
    MultiOptimizer,
    LossScaleOptimizer,
):
    OPTIMIZERS.add(_cls.__name__.lower(), _cls)
#: Not an optimizer, but deserialized with them (MultiOptimizer's config holds one).
OPTIMIZERS.add("optimizermap", OptimizerMap)  # type: ignore[arg-type]


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """``{"module", "class_name", "config", "registered_name"}`` like Keras."""
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict[str, Any], custom_objects: dict[str, type] | None = None) -> Optimizer:
    """Rebuild an optimizer from :func:`serialize` output (class names case-insensitive)."""
    name = config["class_name"]
    custom = dict(custom_objects or {})
    cls: type[Optimizer] = custom[name] if name in custom else OPTIMIZERS.get(name.lower())
    return cls.from_config(dict(config.get("config", {})), custom_objects)


def get(identifier: Any, **kwargs: Any) -> Optimizer | None:
    """Return an :class:`Optimizer` for a name, config dict, optimizer, or torch object.

    ``kwargs`` go to the constructor when ``identifier`` is a name or a torch class.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, torch.optim.Optimizer):
        return WrappedOptimizer(identifier, **kwargs)
    if isinstance(identifier, type) and issubclass(identifier, torch.optim.Optimizer):
        if issubclass(identifier, Optimizer):
            return identifier(**kwargs)
        return TorchClassOptimizer(identifier, **kwargs)
    if isinstance(identifier, str):
        return OPTIMIZERS.get(identifier.lower())(**kwargs)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Pass a name such as "
        "'adam', a torchbridge Optimizer, or a torch.optim optimizer (instance or class)."
    )
