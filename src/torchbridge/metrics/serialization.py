"""``keras.metrics.serialize`` / ``deserialize``: metrics to and from Keras configs.

A :class:`Metric` becomes Keras's ``{"module", "class_name", "config",
"registered_name"}`` dict; a metric function becomes Keras's function config
(``{"class_name": "function", "config": "log_cosh", ...}``). ``deserialize``
takes those dicts or a name: class names (also snake-case, ``"r2_score"``) give
a new metric; function names give the function.
"""

from __future__ import annotations

from typing import Any

from torchbridge.metrics.lookup import METRICS, get, get_function

__all__ = ["serialize", "deserialize"]


def serialize(metric: Any) -> Any:
    """A metric instance or metric function as a Keras config (strings stay as they are)."""
    if isinstance(metric, str):
        return metric
    from torchbridge.saving.serialization import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what :func:`serialize` wrote: a :class:`Metric` or a metric function."""
    custom = dict(custom_objects or {})
    if isinstance(config, str):
        if config in custom:
            found = custom[config]
            return found() if isinstance(found, type) else found
        if config in METRICS:
            return METRICS.get(config)()
        return get_function(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "metrics.deserialize expects a metric name or a config dict with 'class_name' "
            f"and 'config' (as written by metrics.serialize). Received: {config!r}"
        )
    class_name = config["class_name"]
    inner = config.get("config") or {}
    if class_name == "function":
        name = str(inner)
        return custom[name] if name in custom else get_function(name)
    if class_name in custom:
        return custom[class_name].from_config(dict(inner))
    return get({"class_name": class_name, "config": inner})
