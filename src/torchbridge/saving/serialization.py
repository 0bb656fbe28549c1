"""Objects ↔ configs in Keras 3's layout: ``serialize_keras_object`` / ``deserialize_keras_object``.

A config names each object by class: ``{"module", "class_name", "config",
"registered_name"}`` (plus ``build_config`` / ``compile_config`` for objects
that report them). torchbridge's built-in classes write Keras's public module
(``"keras.layers"``, ``"keras.losses"`` ...), so the same JSON reads in
Keras; custom classes write their Python module and registered name
(``"package>Name"``, see :mod:`torchbridge.saving.object_registration`).

Loading looks names up — in ``custom_objects``, the active custom object
scope, the registry, then torchbridge's own public classes — and never
imports a module or runs code named in the file (a saved ``lambda`` is
refused). :func:`serialize` / :func:`deserialize` are the layer/model forms
used by ``get_config`` of models and by ``load_model``.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import json
import threading
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from torchbridge.errors import SavedFormatError, UnknownClassError
from torchbridge.saving.object_registration import (
    CustomObjectScope,
    custom_lookup,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    register_keras_serializable,
    registered_name_of,
    scope_objects,
)

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "check_config_depth",
    "load_config_json",
    "MAX_CONFIG_DEPTH",
    "pending_assets",
    "register_keras_serializable",
    "register_serializable",
    "resolve_class",
    "serialize",
    "serialize_keras_object",
]

#: torchbridge's earlier name for Keras's decorator.
register_serializable = register_keras_serializable

_PLAIN = (str, int, float, bool)
#: torchbridge namespaces that hold Keras-named public classes and functions, as in ``keras.X``.
_PACKAGES = (
    "layers",
    "models",
    "losses",
    "metrics",
    "optimizers",
    "regularizers",
    "constraints",
    "initializers",
    "activations",
    "random",
    "distillation",
)
#: Where Keras looks up a function saved by bare name (``"relu"``, ``"mse"``).
_FUNCTION_PACKAGES = (
    "activations",
    "constraints",
    "initializers",
    "losses",
    "metrics",
    "regularizers",
)
_LOADING = threading.local()  # .assets: layer name -> assets while load_model runs

#: The deepest nesting of lists/dicts a config may have. Real Keras configs stay far
#: below it (a model nested in a model adds about 6 levels); a deeper one is refused
#: before any object is built instead of ending in a RecursionError.
MAX_CONFIG_DEPTH = 200


def load_config_json(text: str | bytes, source: str) -> Any:
    """``json.loads`` for a saved config: bad JSON or nesting past :data:`MAX_CONFIG_DEPTH`
    is a :class:`SavedFormatError` naming ``source`` (never a RecursionError)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise SavedFormatError(
            f"{source} nests deeper than Python's JSON parser allows; no Keras model config "
            "does. The file is damaged or crafted; it was not loaded."
        ) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise SavedFormatError(f"{source} is not valid JSON ({e}).") from None
    check_config_depth(value, source)
    return value


def check_config_depth(config: Any, source: str = "the config", limit: int | None = None) -> None:
    """Raise :class:`SavedFormatError` if ``config`` nests deeper than ``limit`` (iterative walk)."""
    limit = MAX_CONFIG_DEPTH if limit is None else limit
    stack: list[tuple[Any, int]] = [(config, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        if depth > limit:
            raise SavedFormatError(
                f"{source} nests deeper than {limit} levels of lists/dicts; no Keras model "
                "config does. The file is damaged or crafted; it was not loaded."
            )
        stack.extend((child, depth + 1) for child in children)


# --- where torchbridge's own classes live -----------------------------------------------------
def _namespace(package: str) -> Any:
    """``torchbridge.<package>`` (a fixed list: nothing named in a file is imported)."""
    if package not in _PACKAGES:
        return None
    try:
        return importlib.import_module(f"torchbridge.{package}")
    except ImportError:  # a family that does not exist (yet)
        return None


def _keras_module(cls: type) -> str | None:
    """Keras's public module for a torchbridge built-in class, else ``None`` (a custom class)."""
    module = cls.__module__
    if not module.startswith("torchbridge."):
        return None
    from torchbridge.models import Functional, Model, Sequential

    if cls is Functional:
        return "keras.src.models.functional"
    if cls in (Sequential, Model):
        return "keras"
    package = module.split(".")[1]
    namespace = _namespace(package) if package != "models" else None
    if namespace is not None and getattr(namespace, cls.__name__, None) is cls:
        return f"keras.{package}"
    return None


def _builtin_classes() -> dict[str, Any]:
    """Layers and models by class name (configs that carry no usable module)."""
    import torchbridge.layers as layers_module
    import torchbridge.models as models_module
    from torchbridge.layers.op_layer import OpLayer
    from torchbridge.layers.tensor_ops import TensorOperator

    table: dict[str, Any] = {"TensorOperator": TensorOperator, "OpLayer": OpLayer}
    for module in (layers_module, models_module):
        for attr in getattr(module, "__all__", []):
            table[attr] = getattr(module, attr)
    return table


def _package_of(module: Any) -> str | None:
    """``"keras.layers"`` / ``"keras.src.models.functional"`` / ``"torchbridge.layers.core"``
    → ``"layers"`` / ``"models"`` / ``"layers"``."""
    if not isinstance(module, str):
        return None
    parts = [p for p in module.split(".") if p != "src"]
    if len(parts) >= 2 and parts[0] in ("keras", "torchbridge"):
        return parts[1]
    if parts == ["keras"]:
        return "models"
    return None


def _builtin(class_name: str, module: Any) -> Any:
    package = _package_of(module)
    namespace = _namespace(package) if package else None
    if namespace is not None:
        found = getattr(namespace, class_name, None)
        if found is not None:
            return found
    return _builtin_classes().get(class_name)


def _builtin_function(name: str) -> Any:
    from torchbridge import activations

    with contextlib.suppress(Exception):
        return activations.get(name)
    for package in _FUNCTION_PACKAGES[1:]:
        namespace = _namespace(package)
        found = getattr(namespace, name, None) if namespace is not None else None
        if isinstance(found, (types.FunctionType, types.BuiltinFunctionType)):
            return found
    from torchbridge.losses.resolve import LOSSES

    return LOSSES.get(name) if name in LOSSES else None


def _unknown(name: str, what: str = "class") -> UnknownClassError:
    known = sorted(_builtin_classes()) + sorted(get_custom_objects())
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    short = name.split(">")[-1]
    return UnknownClassError(
        f"Unknown {what} {name!r} in the saved config.{hint} If it is a custom {what}, "
        "decorate it with @torchbridge.saving.register_serializable() (Keras's "
        "register_keras_serializable) and import it before loading, or pass "
        f"custom_objects={{{short!r}: {short}}}."
    )


def resolve_class(
    class_name: str,
    custom_objects: dict[str, Any] | None = None,
    registered_name: str | None = None,
    module: Any = None,
) -> Any:
    """The class (or registered function) a config names; :class:`UnknownClassError` if none.

    User objects come first (by registered name, then class name), then
    torchbridge's classes — but a config whose ``registered_name`` names a
    package (``"pkg>Name"``) never falls back to a built-in of the same name.
    """
    for key in (registered_name, class_name):
        found = custom_lookup(key, custom_objects) if key else None
        if found is not None:
            return found
    if registered_name in (None, class_name, "function") or (
        isinstance(registered_name, str) and ">" not in registered_name
    ):
        found = _builtin(class_name, module)
        if found is not None:
            return found
    raise _unknown(registered_name if registered_name not in (None, "function") else class_name)


def get_registered_object(
    name: str, custom_objects: dict[str, Any] | None = None, registered_name: str | None = None
) -> Any:
    """torchbridge's internal lookup, kept for callers written against it: like
    :func:`resolve_class` (raises :class:`UnknownClassError`). Keras's public
    ``get_registered_object`` (``None`` when unknown) is
    ``torchbridge.saving.get_registered_object``."""
    return resolve_class(name, custom_objects, registered_name)


# --- serialize --------------------------------------------------------------------------------
def _function_name(fn: Any) -> str | None:
    """A named function's config name: its registered name, or a built-in's Keras name."""
    registered = registered_name_of(fn)
    if registered is not None:
        return registered
    from torchbridge import activations

    with contextlib.suppress(Exception):
        name = activations.serialize(fn)
        if isinstance(name, str) and activations.get(name) is fn:
            return name
    if isinstance(fn, types.FunctionType) and fn.__name__ != "<lambda>":
        return fn.__name__
    return None


def _function_config(name: str) -> dict[str, Any]:
    return {
        "module": "builtins",
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def _tensor_config(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()
        dtype = str(value.dtype).removeprefix("torch.")
        return {"class_name": "__tensor__", "config": {"value": array.tolist(), "dtype": dtype}}
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {
            "class_name": "__numpy__",
            "config": {"value": value.tolist(), "dtype": value.dtype.name},
        }
    return value.item()  # a NumPy scalar


def _add_build_and_compile_config(obj: Any, config: dict[str, Any]) -> None:
    get_build_config = getattr(obj, "get_build_config", None)
    if callable(get_build_config):
        build = get_build_config()
        if build is not None:
            config["build_config"] = serialize_keras_object(build)
    get_compile_config = getattr(obj, "get_compile_config", None)
    if callable(get_compile_config):
        compiled = get_compile_config()
        if compiled is not None:
            config["compile_config"] = serialize_keras_object(compiled)


def serialize_keras_object(obj: Any) -> Any:
    """Keras's ``serialize_keras_object``: a JSON-able config of ``obj`` (Keras 3's layout)."""
    import torch

    from torchbridge.layers.symbolic import KerasTensor

    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(v) for v in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        parts = {k: serialize_keras_object(getattr(obj, k)) for k in ("start", "stop", "step")}
        return {"class_name": "__slice__", "config": parts}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, KerasTensor):
        history = getattr(obj, "_keras_history", None)
        if history:
            history = [getattr(history[0], "name", None), *list(history)[1:]]
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(obj.shape), "dtype": obj.dtype, "keras_history": history},
        }
    if isinstance(obj, (torch.Tensor, np.ndarray, np.generic)):
        return _tensor_config(obj)
    if isinstance(obj, torch.dtype):
        return str(obj).removeprefix("torch.")
    if isinstance(obj, type):
        return {
            "module": obj.__module__,
            "class_name": "__class__",
            "config": get_registered_name(obj),
            "registered_name": get_registered_name(obj),
        }
    get_config = getattr(obj, "get_config", None)
    if get_config is None:
        if callable(obj):
            name = _function_name(obj)
            if name is not None:
                return _function_config(name)
            if getattr(obj, "__name__", None) == "<lambda>":
                raise ValueError(
                    "A lambda cannot be serialized: torchbridge never writes code into a "
                    "config. Use a named function decorated with "
                    "@torchbridge.saving.register_keras_serializable()."
                )
        raise TypeError(
            f"Cannot serialize object {obj!r} of type {type(obj).__name__}. To be "
            "serializable, a class must implement the get_config() method."
        )
    inner = get_config()
    if not isinstance(inner, dict):
        raise TypeError(
            f"The get_config() method of {type(obj).__name__} should return a dict; it "
            f"returned {inner!r}."
        )
    cls = type(obj)
    keras_module = _keras_module(cls)
    registered: str | None
    if keras_module is None:
        module, registered = cls.__module__, get_registered_name(cls)
    else:
        module, registered = keras_module, None
    if keras_module == "keras.src.models.functional":
        registered = cls.__name__  # Keras writes it so: Functional is not a public class
    config = {
        "module": module,
        "class_name": cls.__name__,
        "config": serialize_keras_object(inner),
        "registered_name": registered,
    }
    _add_build_and_compile_config(obj, config)
    return config


def serialize(obj: Any) -> dict[str, Any]:
    """A layer's or model's config (:func:`serialize_keras_object`); ``NotImplementedError``
    when its class has no ``get_config``."""
    if getattr(obj, "get_config", None) is None:
        raise NotImplementedError(
            f"{type(obj).__name__} has no get_config(), so it cannot be saved as a config: "
            "use torchbridge layers, or give the class get_config() and register it with "
            "@torchbridge.saving.register_serializable()."
        )
    config = serialize_keras_object(obj)
    assert isinstance(config, dict)
    return config


# --- deserialize ------------------------------------------------------------------------------
def _special(class_name: str, inner: Any, custom_objects: dict[str, Any]) -> Any:
    import torch

    if class_name == "__tensor__":
        from torchbridge.backend.dtypes import to_torch_dtype

        return torch.tensor(inner["value"], dtype=to_torch_dtype(inner["dtype"]))
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        parts = [
            deserialize_keras_object(inner[k], custom_objects) for k in ("start", "stop", "step")
        ]
        return slice(*parts)
    if class_name == "__keras_tensor__":
        from torchbridge.layers.symbolic import KerasTensor

        tensor = KerasTensor(tuple(inner["shape"]), inner["dtype"])
        tensor._pre_serialization_keras_history = inner.get("keras_history")  # type: ignore[attr-defined]
        return tensor
    if class_name in ("__lambda__", "__typespec__"):
        raise ValueError(
            f"The config holds a {class_name.strip('_')}, i.e. code to run. torchbridge never "
            "runs code from a saved file: rewrite it as a named function decorated with "
            "@torchbridge.saving.register_keras_serializable() and save again."
        )
    raise AssertionError(class_name)


_SPECIAL = {
    "__tensor__",
    "__numpy__",
    "__bytes__",
    "__ellipsis__",
    "__slice__",
    "__keras_tensor__",
    "__lambda__",
    "__typespec__",
}


def _function(name: Any, custom_objects: dict[str, Any]) -> Any:
    if not isinstance(name, str):
        raise TypeError(f"A serialized function names it under 'config'; got {name!r}.")
    found = custom_lookup(name, custom_objects)
    if found is None and ">" not in name:
        found = _builtin_function(name)
    if found is None:
        raise _unknown(name, "function")
    return found


def deserialize_keras_object(
    config: Any,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool = True,
    **kwargs: Any,
) -> Any:
    """Keras's ``deserialize_keras_object``: rebuild what :func:`serialize_keras_object` wrote.

    Classes rebuild with ``from_config`` inside a custom object scope holding
    ``custom_objects`` (so nested configs see them); a ``build_config`` is passed to
    ``build_from_config`` of an object not yet built and a ``compile_config`` to
    ``compile_from_config``. ``safe_mode=False`` allows what Keras allows with it: a
    ``Lambda`` layer's Python lambda (its bytecode) is loaded; nothing else in a config
    is ever run.
    """
    from torchbridge.layers.lambda_code import safe_mode_scope

    outermost = not getattr(_LOADING, "depth_checked", False)
    if outermost:
        check_config_depth(config)
        _LOADING.depth_checked = True
    try:
        with safe_mode_scope(None if safe_mode else False):
            return _deserialize_keras_object(config, custom_objects, **kwargs)
    finally:
        if outermost:
            _LOADING.depth_checked = False


def _deserialize_keras_object(
    config: Any, custom_objects: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    module_objects = kwargs.pop("module_objects", None)
    if kwargs:
        raise TypeError(f"deserialize_keras_object got unexpected arguments {sorted(kwargs)}.")
    objects: dict[str, Any] = {**(module_objects or {}), **(custom_objects or {})}
    if config is None:
        return None
    if isinstance(config, str):
        found = custom_lookup(config, objects)
        return found if found is not None else config
    if isinstance(config, _PLAIN):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(v, objects) for v in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {k: deserialize_keras_object(v, objects) for k, v in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    if class_name in _SPECIAL:
        return _special(class_name, inner, objects)
    if class_name == "function":
        return _function(inner, objects)
    if class_name == "__class__":
        return resolve_class(str(inner), objects, str(inner), config.get("module"))
    registered = config.get("registered_name", class_name)
    cls = resolve_class(class_name, objects, registered, config.get("module"))
    if not isinstance(cls, type):
        return cls  # a registered function saved as an object
    if not isinstance(inner, dict):
        raise TypeError(f"Expected 'config' to be a dict for {class_name}; got {inner!r}.")
    with CustomObjectScope(objects, scope_objects()):
        from_config = getattr(cls, "from_config", None)
        obj = from_config(dict(inner)) if from_config is not None else cls(**inner)
        _restore_pending_assets(obj)
        build_config = config.get("build_config")
        if build_config and not getattr(obj, "built", False):
            build_from_config = getattr(obj, "build_from_config", None)
            if callable(build_from_config):
                build_from_config(build_config)
        compile_config = config.get("compile_config")
        if compile_config:
            compile_from_config = getattr(obj, "compile_from_config", None)
            if callable(compile_from_config):
                compile_from_config(compile_config)
    return obj


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a layer or model from its :func:`serialize` config."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"A serialized object is a dict with 'class_name' and 'config'; got {config!r}."
        )
    from torchbridge.saving.keras_ops import keras_op_call

    op_call = keras_op_call(config)  # an operation node of a Keras functional config
    if op_call is not None:
        return op_call
    return deserialize_keras_object({"config": {}, **config}, custom_objects)


# --- assets of layers created while a model loads ------------------------------------------
def _restore_pending_assets(obj: Any) -> None:
    pending = getattr(_LOADING, "assets", None)
    name = getattr(obj, "name", None)
    if pending and isinstance(name, str) and name in pending and hasattr(obj, "set_assets"):
        # before a functional graph is rebuilt around it (its probe calls need the state)
        obj.set_assets(pending[name])


@contextlib.contextmanager
def pending_assets(assets_by_layer_name: dict[str, Any]) -> Iterator[None]:
    """While loading, give each layer its saved assets as soon as it is created."""
    previous = getattr(_LOADING, "assets", None)
    _LOADING.assets = assets_by_layer_name
    try:
        yield
    finally:
        _LOADING.assets = previous
