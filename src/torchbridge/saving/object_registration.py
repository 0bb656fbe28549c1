"""Custom objects by name: Keras's registry of user classes and functions.

* :func:`register_keras_serializable` records a class or function under
  ``"package>Name"`` in one global table (:func:`get_custom_objects` hands out
  that very dict, so users may also write into it);
* :class:`CustomObjectScope` (alias :func:`custom_object_scope`) makes more
  names visible for the duration of a ``with`` block (per thread; an inner
  scope replaces the outer one, as in Keras);
* :func:`get_registered_name` / :func:`get_registered_object` are Keras's two
  lookups (the latter returns ``None`` for an unknown name);
* :func:`custom_lookup` is what torchbridge's own ``get`` functions and the
  config loader use: the same tables, with a ``custom_objects`` dict passed by
  the caller. Names of torchbridge's optional packages (``"torchbridge.hf>HFModel"``)
  import the one module that registers them, from a fixed table
  (:data:`_LAZY_PACKAGES`), the first time such a name is looked up.

Nothing here imports anything above ``errors``: lower floors (activations,
initializers, regularizers) may use it through lazy imports.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "custom_lookup",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "registered_name_of",
    "scope_objects",
]

T = TypeVar("T")

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_STATE = threading.local()
# Registered-name package → the torchbridge module whose import registers its classes
# (optional families the engine must not import up front).
_LAZY_PACKAGES: dict[str, str] = {"torchbridge.hf": "torchbridge.hf.model"}


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[T], T]:
    """Decorator: register a class or function as ``"package>name"`` (``name`` defaults
    to its ``__name__``) so configs that name it load without ``custom_objects``.

    A class must have ``get_config()`` (Keras's rule); a function needs nothing.
    """

    def decorator(obj: T) -> T:
        registered = f"{package}>{name if name is not None else obj.__name__}"  # type: ignore[attr-defined]
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register the class {obj.__name__}: it has no get_config() method, so "
                "it could not be saved. Add get_config() returning its constructor arguments."
            )
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_custom_objects() -> dict[str, Any]:
    """The live global dict of registered objects (``"package>Name"`` → object).

    Writing into it registers a name (``get_custom_objects()["MyLayer"] = MyLayer``);
    names from a :class:`CustomObjectScope` are not in it.
    """
    return _GLOBAL_CUSTOM_OBJECTS


def scope_objects() -> dict[str, Any]:
    """The names of the innermost active :class:`CustomObjectScope` (this thread)."""
    scope: dict[str, Any] = getattr(_STATE, "scope", None) or {}
    return scope


class CustomObjectScope:
    """``with CustomObjectScope({"name": obj}):`` — the names resolve while loading configs.

    Several dicts may be passed (they are merged, later ones win). Scopes are per
    thread; entering one replaces the current scope's names until it exits.
    """

    def __init__(self, *custom_objects: dict[str, Any] | None) -> None:
        merged: dict[str, Any] = {}
        for objects in custom_objects:
            merged.update(objects or {})
        self.custom_objects = merged
        self.backup: dict[str, Any] | None = None

    def __enter__(self) -> CustomObjectScope:
        self.backup = dict(scope_objects())
        _STATE.scope = dict(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _STATE.scope = dict(self.backup or {})


custom_object_scope = CustomObjectScope


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` was registered under (``"package>Name"``), else its ``__name__``."""
    try:
        registered = _GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # unhashable
        registered = None
    if registered is not None:
        return registered
    name = getattr(obj, "__name__", None)
    if name is None:
        raise AttributeError(
            f"{type(obj).__name__!r} object has no attribute '__name__': get_registered_name "
            "takes a class or a function (for an instance, pass type(obj))."
        )
    return str(name)


def registered_name_of(obj: Any) -> str | None:
    """The registered name of ``obj``, or ``None`` when it was never registered."""
    try:
        return _GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # unhashable
        return None


def get_registered_object(
    name: str,
    custom_objects: dict[str, Any] | None = None,
    module_objects: dict[str, Any] | None = None,
) -> Any:
    """Keras's lookup: the active scope, the global registry, ``custom_objects``, then
    ``module_objects``; ``None`` when ``name`` is in none of them."""
    scope = scope_objects()
    if name in scope:
        return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def custom_lookup(name: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """A user object known as ``name`` (registered, in a scope or in ``custom_objects``),
    else ``None``. A bare name also finds an object registered as ``"package>name"``
    when exactly one package has it (configs written before names had packages)."""
    if not isinstance(name, str) or not name:
        return None
    found = get_registered_object(name, custom_objects)
    if found is None and ">" in name:
        lazy = _LAZY_PACKAGES.get(name.split(">", 1)[0])
        if lazy is not None:
            import importlib

            importlib.import_module(lazy)
            found = get_registered_object(name, custom_objects)
    if found is not None or ">" in name:
        return found
    suffix = ">" + name
    tables = (scope_objects(), _GLOBAL_CUSTOM_OBJECTS, custom_objects or {})
    matches = {id(v): v for table in tables for k, v in table.items() if k.endswith(suffix)}
    return next(iter(matches.values())) if len(matches) == 1 else None
