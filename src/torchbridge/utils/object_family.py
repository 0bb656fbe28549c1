"""``get`` / ``serialize`` / ``deserialize`` for one small Keras object family.

Keras's regularizers and constraints share one lookup scheme: a family of
classes known by class name and snake_case alias (``"L2"``, ``"l2"``), plain
callables accepted as members, and configs in Keras 3's layout
(``{"module", "class_name", "config", "registered_name"}``). An
:class:`ObjectFamily` holds that scheme once; ``torchbridge.regularizers`` and
``torchbridge.constraints`` each make one and expose its methods.

Names a family does not know are looked up where custom classes live
(``@register_keras_serializable``, ``custom_objects=``, custom object scopes)
through ``torchbridge.saving``'s public lookup, imported lazily because saving
sits above this floor.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

from torch import nn

from torchbridge.errors import InputError, UnknownClassError, UnknownNameError

__all__ = ["ObjectFamily"]

_PLAIN = (str, int, float, bool)


class ObjectFamily:
    """The classes of one family (``kind`` such as ``"regularizer"``) and their names.

    ``module`` is the Keras module the family's built-in classes serialize
    under (``"keras.regularizers"``), so saved configs read the same as Keras's.
    ``names`` maps every accepted string (class names and the snake_case
    ``aliases``) to a class.
    """

    def __init__(
        self, kind: str, module: str, classes: Iterable[type], aliases: dict[str, type]
    ) -> None:
        self.kind = kind
        self.module = module
        self._builtin_classes = set(classes)
        self.names: dict[str, type] = {cls.__name__: cls for cls in self._builtin_classes}
        self.names.update(aliases)

    # --- lookup ---------------------------------------------------------------------------
    def _unknown(self, name: str) -> UnknownNameError:
        error = UnknownNameError(self.kind, name, self.names)
        error.args = (
            f"{error.args[0]} A custom {self.kind} is found by name once it is decorated with "
            "@torchbridge.saving.register_keras_serializable() or passed in "
            f"custom_objects={{{name!r}: ...}}.",
        )
        return error

    def _example_name(self) -> str:
        """A name users would write (a snake_case alias, not the base class's name)."""
        aliases = sorted(n for n in self.names if n.islower() and n != self.kind)
        return aliases[0] if aliases else sorted(self.names)[0]

    def lookup(
        self,
        name: str,
        custom_objects: dict[str, Any] | None = None,
        registered_name: str | None = None,
    ) -> Any:
        """The class or function known as ``name`` (built in, registered or custom)."""
        custom_objects = custom_objects or {}
        if name in self.names and registered_name in (None, name) and name not in custom_objects:
            return self.names[name]
        from torchbridge.saving import get_registered_object

        for key in (registered_name, name):
            if not key:
                continue
            try:  # Keras's lookup: custom_objects, the active scope, the registry
                found = get_registered_object(key, custom_objects)
            except UnknownClassError:
                found = None
            # (a layer or model of the same name is not a member of this family)
            if found is not None and not (isinstance(found, type) and issubclass(found, nn.Module)):
                return found
        raise self._unknown(registered_name or name)

    # --- Keras's three functions ---------------------------------------------------------
    def get(self, identifier: Any) -> Any:
        """Keras's ``get``: ``None`` → ``None``; a name or config → a new object; a class →
        an instance with default arguments; any callable → itself."""
        if identifier is None:
            return None
        if isinstance(identifier, dict):
            obj = self.deserialize(identifier)
        elif isinstance(identifier, str):
            obj = self.lookup(identifier)
        else:
            obj = identifier
        if isinstance(obj, type):
            obj = obj()
        if not callable(obj):
            raise InputError(
                f"Could not interpret {self.kind} identifier: {identifier!r}. Pass a "
                f"{self.kind} name such as {self._example_name()!r}, a config dict, a "
                f"{self.kind} object, or a callable."
            )
        return obj

    def serialize(self, obj: Any) -> Any:
        """Keras's ``serialize``: a config dict in Keras 3's layout (names and ``None`` as is)."""
        if obj is None or isinstance(obj, _PLAIN):
            return obj
        from torchbridge.saving.serialization import get_registered_name

        if isinstance(obj, types.FunctionType):
            if obj.__name__ == "<lambda>":
                raise InputError(
                    f"A lambda {self.kind} cannot be serialized: torchbridge never writes code "
                    "to a config. Use a named function decorated with "
                    "@torchbridge.saving.register_keras_serializable()."
                )
            # Keras's layout for a function: the name sits in "config"
            return {
                "module": "builtins",
                "class_name": "function",
                "config": get_registered_name(obj),
                "registered_name": "function",
            }
        get_config = getattr(obj, "get_config", None)
        if get_config is None:
            raise InputError(
                f"Cannot serialize {obj!r} as a {self.kind}: give its class a get_config() "
                "method (returning its constructor arguments), or use a named function."
            )
        config = get_config()
        if not isinstance(config, dict):
            raise InputError(
                f"get_config() of {type(obj).__name__} must return a dict, got {config!r}."
            )
        cls = type(obj)
        if cls in self._builtin_classes:
            return {
                "module": self.module,
                "class_name": cls.__name__,
                "config": config,
                "registered_name": None,
            }
        return {
            "module": cls.__module__,
            "class_name": cls.__name__,
            "config": config,
            "registered_name": get_registered_name(cls),
        }

    def deserialize(self, config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
        """Keras's ``deserialize``: a config dict (or a name) → the object it describes."""
        if config is None:
            return None
        if isinstance(config, str):
            found = self.lookup(config, custom_objects)
            return found() if isinstance(found, type) else found
        if not isinstance(config, dict) or "class_name" not in config:
            raise InputError(
                f"A serialized {self.kind} is a name or a dict with 'class_name' and 'config' "
                f"(as written by serialize()); got {config!r}."
            )
        class_name = config["class_name"]
        inner = config.get("config")
        if class_name == "function":
            if not isinstance(inner, str):
                raise InputError(
                    f"A serialized {self.kind} function names it under 'config'; got {config!r}."
                )
            return self.lookup(inner, custom_objects)
        registered = config.get("registered_name")
        cls = self.lookup(class_name, custom_objects, registered)
        if not isinstance(cls, type):
            return cls  # a registered function saved under its own name
        inner = dict(inner or {})
        from_config = getattr(cls, "from_config", None)
        return from_config(inner) if from_config is not None else cls(**inner)
