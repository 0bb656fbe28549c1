"""``keras.legacy.saving`` / ``keras.utils.legacy``: tf.keras 2's ``serialize_keras_object`` and
``deserialize_keras_object`` (a ``{"class_name", "config"}`` dict, no ``module`` key).

Deserializing looks a class name up in ``custom_objects``, the active custom-object scope,
the registered objects, then ``module_objects`` (the caller's table, as in Keras); it never
imports a module named in the config.
"""

from __future__ import annotations

import inspect
from typing import Any

from torchbridge.saving.object_registration import (
    CustomObjectScope,
    get_custom_objects,
    get_registered_name,
    scope_objects,
)

__all__ = ["deserialize_keras_object", "serialize_keras_object"]


def serialize_keras_object(instance: Any) -> Any:
    """``{"class_name": registered name, "config": get_config()}``, or a function's name."""
    instance = inspect.unwrap(instance) if callable(instance) else instance
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = instance.get_config()
        serialized: dict[str, Any] = {}
        for key, item in config.items():
            if isinstance(item, str):
                serialized[key] = item
                continue
            try:
                value = serialize_keras_object(item)
            except ValueError:
                value = item
            if isinstance(value, dict) and not isinstance(item, dict):
                value["__passive_serialization__"] = True
            serialized[key] = value
        return {"class_name": get_registered_name(type(instance)), "config": serialized}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _lookup(
    name: str,
    module_objects: dict[str, Any] | None,
    custom_objects: dict[str, Any] | None,
    what: str,
) -> Any:
    for table in (
        custom_objects or {},
        scope_objects(),
        get_custom_objects(),
        module_objects or {},
    ):
        if name in table:
            return table[name]
    raise ValueError(
        f"Unknown {what}: '{name}'. Please ensure you are using a "
        "`keras.utils.custom_object_scope` and that this object is included in the scope, or "
        "pass it in custom_objects / module_objects."
    )


def deserialize_keras_object(
    identifier: Any,
    module_objects: dict[str, Any] | None = None,
    custom_objects: dict[str, Any] | None = None,
    printable_module_name: str = "object",
) -> Any:
    """The object a legacy ``{"class_name", "config"}`` dict (or a name) describes."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {identifier}.")
        cls = _lookup(
            identifier["class_name"], module_objects, custom_objects, printable_module_name
        )
        config = identifier["config"]
        with CustomObjectScope(custom_objects or {}):
            if hasattr(cls, "from_config"):
                if "custom_objects" in inspect.signature(cls.from_config).parameters:
                    return cls.from_config(
                        config, custom_objects={**get_custom_objects(), **(custom_objects or {})}
                    )
                return cls.from_config(config)
            return cls(**config)
    if isinstance(identifier, str):
        return _lookup(identifier, module_objects, custom_objects, printable_module_name)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
