"""Keras activations by name (``"relu"``, ``"softmax"`` ...), as torch functions.

``get(name)`` returns ``f(x) -> Tensor``; ``None``/``"linear"`` is the identity.
Definitions follow Keras 3 (e.g. ``hard_sigmoid(x) = relu6(x + 3) / 6``,
``softmax`` over the last axis, ``gelu`` exact unless ``approximate``).

Custom activations resolve by registered name: a function decorated with
``@register_keras_serializable`` serializes as Keras's function config
(``{"class_name": "function", "config": "package>name", ...}``) and ``get``
finds it again from that config or from the name, as do names in a
``custom_object_scope``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.utils.registry import Registry

__all__ = ["get", "serialize", "deserialize"]

Activation = Callable[[torch.Tensor], torch.Tensor]
_REGISTRY: Registry[Activation] = Registry("activation")


def _linear(x: torch.Tensor) -> torch.Tensor:
    return x


_BUILTINS: dict[str, Activation] = {
    "linear": _linear,
    "relu": F.relu,
    "relu6": F.relu6,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "log_softmax": lambda x: torch.log_softmax(x, dim=-1),
    "softplus": F.softplus,
    "softsign": F.softsign,
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "silu": F.silu,
    "swish": F.silu,
    "exponential": torch.exp,
    "hard_sigmoid": lambda x: F.relu6(x + 3.0) / 6.0,
    "hard_silu": lambda x: x * F.relu6(x + 3.0) / 6.0,
    "hard_swish": lambda x: x * F.relu6(x + 3.0) / 6.0,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "mish": F.mish,
}
for _name, _fn in _BUILTINS.items():
    _REGISTRY.add(_name, _fn)


def _custom(name: str) -> Any:
    from torchbridge.saving.object_registration import custom_lookup  # saving sits above

    return custom_lookup(name)


def get(identifier: Any) -> Activation:
    """A name (built in or registered), a Keras config dict, or a callable → the function."""
    if identifier is None:
        return _linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier  # type: ignore[no-any-return]
    name = str(identifier)
    if name not in _REGISTRY:
        found = _custom(name)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return _REGISTRY.get(name)


def serialize(fn: Activation) -> Any:
    """A built-in's name (``"relu"``); a custom function as Keras's function config
    (its registered name under ``"config"``); an object with ``get_config`` as its config."""
    for name in _REGISTRY:
        if _REGISTRY.get(name) is fn:
            return name
    if isinstance(fn, (str, dict)):
        return fn  # already a name or a config
    from torchbridge.saving.object_registration import get_registered_name

    if getattr(fn, "get_config", None) is not None and not isinstance(fn, type):
        from torchbridge.saving.serialization import serialize_keras_object

        return serialize_keras_object(fn)
    fn_name = getattr(fn, "__name__", None)
    if fn_name is None or fn_name == "<lambda>":
        return fn_name or "custom"  # not reloadable: only a registered function is
    return {
        "module": "builtins",
        "class_name": "function",
        "config": get_registered_name(fn),
        "registered_name": "function",
    }


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Activation:
    """What :func:`serialize` wrote (a name or a Keras config dict) → the function."""
    if isinstance(config, dict):
        from torchbridge.saving.serialization import deserialize_keras_object

        found = deserialize_keras_object(config, custom_objects)
        if not callable(found):
            raise ValueError(f"Could not interpret activation function identifier: {config!r}")
        return found  # type: ignore[no-any-return]
    if custom_objects and isinstance(config, str) and config in custom_objects:
        return custom_objects[config]  # type: ignore[no-any-return]
    return get(config)
