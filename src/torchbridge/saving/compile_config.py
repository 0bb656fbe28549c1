"""``compile()`` arguments as JSON, so ``load_model`` returns a model ready to train on.

Names stay names; optimizers, losses and metrics objects are stored as
``{"class_name", "config"}`` and rebuilt from torchbridge's own classes or
registered custom ones. Anything else (a plain Python function that is not a
torchbridge loss, a torch loss module) cannot be described as data: the
compile config is then left out and the loaded model is not compiled.
"""

from __future__ import annotations

from typing import Any

from torchbridge.saving import serialization

__all__ = ["serialize_compile_config", "deserialize_compile_config", "NotSerializable"]


class NotSerializable(Exception):
    """An argument of ``compile`` that cannot be written as JSON data."""


def _serialize_item(obj: Any, kind: str) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, dict):
        return {"__dict__": {str(k): _serialize_item(v, kind) for k, v in obj.items()}}
    if isinstance(obj, (list, tuple)):
        return [_serialize_item(v, kind) for v in obj]
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        return {
            "class_name": type(obj).__name__,
            "registered_name": serialization.get_registered_name(type(obj)),
            "config": obj.get_config(),
        }
    name = getattr(obj, "__name__", None)
    if callable(obj) and name is not None and _lookup_function(kind, name) is obj:
        return name
    raise NotSerializable(f"{kind} {obj!r}")


def _lookup_function(kind: str, name: str) -> Any:
    from torchbridge import losses, metrics

    module = losses if kind == "loss" else metrics
    return getattr(module, name, None) or getattr(losses, name, None)


def serialize_compile_config(model: Any) -> dict[str, Any] | None:
    """The model's ``compile`` arguments as JSON data, or ``None`` when one is not data."""
    args = getattr(model, "_compile_args", None)
    if args is None:
        return None
    try:
        optimizer = model.optimizer
        from torchbridge.optimizers import Optimizer, serialize

        if not isinstance(optimizer, Optimizer):
            raise NotSerializable("optimizer")
        return {
            "optimizer": serialize(optimizer),
            "loss": _serialize_item(args["loss"], "loss"),
            "metrics": _serialize_item(args["metrics"], "metric"),
            "loss_weights": _serialize_item(args["loss_weights"], "loss"),
            "weighted_metrics": _serialize_item(args["weighted_metrics"], "metric"),
            "jit_compile": bool(getattr(model, "jit_compile", False)),
        }
    except NotSerializable:
        return None


def _deserialize_item(data: Any, kind: str, custom_objects: dict[str, Any] | None) -> Any:
    if isinstance(data, list):
        return [_deserialize_item(v, kind, custom_objects) for v in data]
    if isinstance(data, dict):
        if "__dict__" in data:
            return {
                k: _deserialize_item(v, kind, custom_objects) for k, v in data["__dict__"].items()
            }
        from torchbridge import losses, metrics

        name = data["class_name"]
        registered = data.get("registered_name")
        module = losses if kind == "loss" else metrics
        cls: Any = getattr(module, name, None) if registered in (None, name) else None
        if not isinstance(cls, type):
            cls = serialization.get_registered_object(name, custom_objects, registered)
        return cls.from_config(dict(data.get("config") or {}))
    return data


def deserialize_compile_config(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``model.compile`` from :func:`serialize_compile_config` data."""
    from torchbridge.optimizers import deserialize

    return {
        "optimizer": deserialize(config["optimizer"], custom_objects),
        "loss": _deserialize_item(config.get("loss"), "loss", custom_objects),
        "metrics": _deserialize_item(config.get("metrics"), "metric", custom_objects),
        "loss_weights": _deserialize_item(config.get("loss_weights"), "loss", custom_objects),
        "weighted_metrics": _deserialize_item(
            config.get("weighted_metrics"), "metric", custom_objects
        ),
        "jit_compile": bool(config.get("jit_compile", False)),
    }
