"""``keras.layers.serialize`` / ``keras.layers.deserialize``: a layer to and from its
Keras config dict (``{"module", "class_name", "config", "registered_name"}``).

Both delegate to :mod:`torchbridge.saving.serialization` (imported on use: the
saving floor sits above the layers).
"""

from __future__ import annotations

from typing import Any

__all__ = ["deserialize", "serialize"]


def serialize(layer: Any) -> Any:
    """Keras's ``layers.serialize``: the layer's config dict, as Keras writes it."""
    from torchbridge.saving import serialization

    return serialization.serialize_keras_object(layer)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Keras's ``layers.deserialize``: the layer a :func:`serialize` config describes
    (``custom_objects`` maps the names of user classes to the classes)."""
    from torchbridge.saving import serialization

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "layers.deserialize expects a layer config dict with 'class_name' and 'config' "
            f"(what layers.serialize returns); got {config!r}."
        )
    return serialization.deserialize_keras_object(config, custom_objects=custom_objects)
