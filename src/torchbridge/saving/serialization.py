"""Classes by name: the registry behind ``get_config`` / ``from_config`` and ``load_model``.

A saved model names each layer by class (``{"class_name": "Dense",
"config": {...}}``); loading looks the name up — never imports or runs
anything named in the file. Built-in layers and models are found in
torchbridge itself; custom classes register with
:func:`register_serializable` (Keras's ``register_keras_serializable``:
registered as ``"package>Name"``) or are passed as ``custom_objects``.
"""

from __future__ import annotations

import contextlib
import difflib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from torchbridge.errors import UnknownClassError

__all__ = [
    "register_serializable",
    "register_keras_serializable",
    "get_registered_name",
    "get_registered_object",
    "custom_object_scope",
    "serialize",
    "deserialize",
    "pending_assets",
]

T = TypeVar("T")

_REGISTERED: dict[str, Any] = {}
_SCOPE = threading.local()


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable[[T], T]:
    """Decorator: make a custom layer/model/loss/function loadable by name.

    ``@register_serializable(package="my_pkg")`` registers ``"my_pkg>Class"``.
    The class needs a ``get_config`` returning its constructor arguments
    (``from_config(config)`` defaults to ``cls(**config)``).
    """
    if ">" in package:
        raise ValueError(f"The package name may not contain '>', got {package!r}.")

    def decorator(obj: T) -> T:
        registered = f"{package}>{name or obj.__name__}"  # type: ignore[attr-defined]
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise TypeError(
                f"Cannot register {obj.__name__}: it has no get_config() method, so it "
                "could not be saved."
            )
        _REGISTERED[registered] = obj
        with contextlib.suppress(AttributeError, TypeError):
            obj._registered_name = registered  # type: ignore[attr-defined]
        return obj

    return decorator


register_keras_serializable = register_serializable


def get_registered_name(obj: Any) -> str:
    """``"package>Name"`` for a registered class or function, else its ``__name__``."""
    cls = obj if isinstance(obj, type) or callable(obj) else type(obj)
    registered = cls.__dict__.get("_registered_name") if isinstance(cls, type) else None
    if registered is None:
        registered = getattr(cls, "_registered_name", None)
        if registered is not None and _REGISTERED.get(registered) is not cls:
            registered = None  # inherited from a registered parent: not this class's name
    return str(registered or getattr(cls, "__name__", type(cls).__name__))


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict[str, Any]) -> Iterator[None]:
    """Within the block, ``custom_objects`` resolve names like registered classes."""
    stack = _SCOPE.__dict__.setdefault("stack", [])
    stack.append(dict(custom_objects))
    try:
        yield
    finally:
        stack.pop()


def _builtins() -> dict[str, Any]:
    import torchbridge.layers as layers_module
    import torchbridge.models as models_module
    from torchbridge.layers.tensor_ops import TensorOperator

    table: dict[str, Any] = {"TensorOperator": TensorOperator}
    for module in (layers_module, models_module):
        for attr in getattr(module, "__all__", []):
            table[attr] = getattr(module, attr)
    return table


def get_registered_object(
    name: str, custom_objects: dict[str, Any] | None = None, registered_name: str | None = None
) -> Any:
    """The class (or function) saved under ``name``; a clear error when it is unknown."""
    scopes: list[dict[str, Any]] = [custom_objects or {}]
    scopes += list(reversed(_SCOPE.__dict__.get("stack", [])))
    for scope in scopes:
        for key in (registered_name, name):
            if key and key in scope:
                return scope[key]
    for key in (registered_name, name):
        if key and key in _REGISTERED:
            return _REGISTERED[key]
    builtins = _builtins()
    if name in builtins and (registered_name in (None, name)):
        return builtins[name]
    known = sorted(builtins) + sorted(_REGISTERED)
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownClassError(
        f"Unknown class {registered_name or name!r} in the saved config.{hint} If it is a "
        "custom class, decorate it with @torchbridge.saving.register_serializable() (Keras's "
        "register_keras_serializable) before loading, or pass custom_objects={"
        f"{name!r}: {name}}}."
    )


def serialize(obj: Any) -> dict[str, Any]:
    """``{"module", "class_name", "config", "registered_name"}`` for a layer or model."""
    get_config = getattr(obj, "get_config", None)
    if get_config is None:
        raise NotImplementedError(
            f"{type(obj).__name__} has no get_config(), so it cannot be saved as a config: "
            "use torchbridge layers, or give the class get_config() and register it with "
            "@torchbridge.saving.register_serializable()."
        )
    cls = type(obj)
    registered = get_registered_name(cls)
    return {
        "module": cls.__module__,
        "class_name": cls.__name__,
        "config": get_config(),
        "registered_name": registered if registered != cls.__name__ else None,
    }


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what :func:`serialize` described (the class must be known; see module doc)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"A serialized object is a dict with 'class_name' and 'config'; got {config!r}."
        )
    cls = get_registered_object(config["class_name"], custom_objects, config.get("registered_name"))
    inner = config.get("config") or {}
    with custom_object_scope(custom_objects or {}):  # nested configs see them too
        from_config = getattr(cls, "from_config", None)
        obj = from_config(inner) if from_config is not None else cls(**inner)
    pending = _SCOPE.__dict__.get("assets")
    name = getattr(obj, "name", None)
    if pending and name in pending and hasattr(obj, "set_assets"):
        # before a functional graph is rebuilt around it (its probe calls need the state)
        obj.set_assets(pending[name])
    return obj


@contextlib.contextmanager
def pending_assets(assets_by_layer_name: dict[str, Any]) -> Iterator[None]:
    """While loading, give each layer its saved assets as soon as it is created."""
    previous = _SCOPE.__dict__.get("assets")
    _SCOPE.assets = assets_by_layer_name
    try:
        yield
    finally:
        _SCOPE.assets = previous
