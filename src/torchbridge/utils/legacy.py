"""``keras.utils.legacy``: tf.keras 2's serialize/deserialize_keras_object; the work is done by
:mod:`torchbridge.saving.legacy_serialization` (a higher floor, imported on first call)."""

from __future__ import annotations

from typing import Any

__all__ = ["deserialize_keras_object", "serialize_keras_object"]


def serialize_keras_object(instance: Any) -> Any:
    """``{"class_name": ..., "config": ...}`` of ``instance`` (tf.keras 2's layout)."""
    from torchbridge.saving import legacy_serialization

    return legacy_serialization.serialize_keras_object(instance)


def deserialize_keras_object(
    identifier: Any,
    module_objects: dict[str, Any] | None = None,
    custom_objects: dict[str, Any] | None = None,
    printable_module_name: str = "object",
) -> Any:
    """The object a tf.keras 2 ``{"class_name", "config"}`` dict (or a name) describes."""
    from torchbridge.saving import legacy_serialization

    return legacy_serialization.deserialize_keras_object(
        identifier, module_objects, custom_objects, printable_module_name
    )
