"""``compile()`` arguments as JSON in Keras's layout (``model.get_compile_config()``).

``{"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
"run_eagerly", "steps_per_execution", "jit_compile"}``: names stay names;
optimizers, losses and metrics objects and named functions are written with
:func:`~torchbridge.saving.serialization.serialize_keras_object` and rebuilt
from torchbridge's classes or registered custom ones. Anything that cannot be
described as data (a torch loss module, a ``lambda``, a wrapped live torch
optimizer) makes the whole compile config ``None``: the model then loads
uncompiled. Configs written by earlier torchbridge versions (no ``module``
keys, ``{"__dict__": ...}`` for dicts) still load.
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
        return {str(k): _serialize_item(v, kind) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_serialize_item(v, kind) for v in obj]
    try:
        return serialization.serialize_keras_object(obj)
    except (TypeError, ValueError, NotImplementedError):
        raise NotSerializable(f"{kind} {obj!r}") from None


def serialize_compile_config(model: Any) -> dict[str, Any] | None:
    """The model's ``compile`` arguments as JSON data, or ``None`` when one is not data."""
    args = getattr(model, "_compile_args", None)
    if args is None:
        return None
    from torchbridge.optimizers import Optimizer
    from torchbridge.optimizers.wrapped import WrappedOptimizer

    optimizer = model.optimizer
    if not isinstance(optimizer, Optimizer) or isinstance(optimizer, WrappedOptimizer):
        return None  # a live torch optimizer: no config rebuilds it
    try:
        return {
            "optimizer": _serialize_item(optimizer, "optimizer"),
            "loss": _serialize_item(args["loss"], "loss"),
            "loss_weights": _serialize_item(args["loss_weights"], "loss"),
            "metrics": _serialize_item(args["metrics"], "metric"),
            "weighted_metrics": _serialize_item(args["weighted_metrics"], "metric"),
            "run_eagerly": bool(args.get("run_eagerly", False)),
            "steps_per_execution": int(args.get("steps_per_execution", 1)),
            "jit_compile": bool(getattr(model, "jit_compile", False)),
        }
    except NotSerializable:
        return None


_KIND_MODULES = {"loss": "keras.losses", "metric": "keras.metrics", "optimizer": "keras.optimizers"}


def _upgrade(data: Any, kind: str) -> Any:
    """An earlier torchbridge layout in Keras's: dicts unwrapped, classes given a module."""
    if isinstance(data, list):
        return [_upgrade(v, kind) for v in data]
    if not isinstance(data, dict):
        return data
    if "__dict__" in data and len(data) == 1:
        return {k: _upgrade(v, kind) for k, v in data["__dict__"].items()}
    if "class_name" in data and "config" in data:
        upgraded = dict(data)
        registered = upgraded.get("registered_name")
        if "module" not in upgraded and registered in (None, upgraded["class_name"]):
            upgraded["module"] = _KIND_MODULES[kind]
        return upgraded
    return {k: _upgrade(v, kind) for k, v in data.items()}


def _optimizer(data: Any, custom_objects: dict[str, Any] | None) -> Any:
    from torchbridge import optimizers
    from torchbridge.optimizers.resolve import OPTIMIZERS

    if isinstance(data, str):
        return optimizers.get(data)
    data = _upgrade(data, "optimizer")
    registered = data.get("registered_name")
    if registered in (None, data["class_name"]) and data["class_name"].lower() in OPTIMIZERS:
        return optimizers.deserialize(data, custom_objects)
    return serialization.deserialize_keras_object(data, custom_objects)


def deserialize_compile_config(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``model.compile`` from :func:`serialize_compile_config` data
    (or from Keras's ``get_compile_config()``)."""

    def rebuild(key: str, kind: str) -> Any:
        return serialization.deserialize_keras_object(
            _upgrade(config.get(key), kind), custom_objects
        )

    kwargs = {
        "optimizer": _optimizer(config.get("optimizer", "rmsprop"), custom_objects),
        "loss": rebuild("loss", "loss"),
        "loss_weights": rebuild("loss_weights", "loss"),
        "metrics": rebuild("metrics", "metric"),
        "weighted_metrics": rebuild("weighted_metrics", "metric"),
        "jit_compile": bool(config.get("jit_compile", False)),
    }
    for key in ("run_eagerly", "steps_per_execution"):
        if key in config:
            kwargs[key] = config[key]
    return kwargs
