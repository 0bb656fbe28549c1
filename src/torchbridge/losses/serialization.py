"""``keras.losses.serialize`` / ``deserialize``: losses to and from Keras configs.

A :class:`~torchbridge.losses.Loss` becomes Keras's ``{"module", "class_name",
"config", "registered_name"}`` dict and a loss function Keras's function config
(``{"class_name": "function", "config": "dice", ...}``); names stay names.
``deserialize`` reverses both: a function name gives the function, a class name
or class config a new loss.
"""

from __future__ import annotations

from typing import Any

from torchbridge.losses.loss import Loss
from torchbridge.losses.resolve import LOSSES, get

__all__ = ["serialize", "deserialize"]


def serialize(loss: Any) -> Any:
    """A loss instance or loss function as a Keras config (strings stay as they are)."""
    if isinstance(loss, str) or loss is None:
        return loss
    from torchbridge.saving.serialization import serialize_keras_object

    return serialize_keras_object(loss)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what :func:`serialize` wrote: a loss function or a :class:`Loss`."""
    custom = dict(custom_objects or {})
    if isinstance(config, str):
        return custom[config] if config in custom else get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "losses.deserialize expects a loss name or a config dict with 'class_name' and "
            f"'config' (as written by losses.serialize). Received: {config!r}"
        )
    class_name = config["class_name"]
    inner = config.get("config") or {}
    if class_name == "function":
        name = str(inner)
        return custom[name] if name in custom else LOSSES.get(name)
    cls = custom[class_name] if class_name in custom else LOSSES.get(class_name)
    if not (isinstance(cls, type) and issubclass(cls, Loss)):
        raise ValueError(
            f"{class_name!r} names a loss function, not a Loss class; serialize functions as "
            "{'class_name': 'function', 'config': name}."
        )
    return cls.from_config(dict(inner))
