"""Python lambdas in ``Lambda`` layer configs, in Keras's ``"__lambda__"`` layout.

Keras writes a lambda's bytecode (``marshal``, base64), defaults and closure
into the config; loading it runs code from the file, so it is refused unless
the user opted in: ``keras.config.enable_unsafe_deserialization()`` or
``safe_mode=False`` given to ``load_model`` / ``deserialize_keras_object``
(:func:`safe_mode_scope`). Bytecode only loads under the Python version that
wrote it (the error says which).
"""

from __future__ import annotations

import base64
import contextlib
import marshal
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any, TypeGuard

__all__ = ["dump_lambda", "is_lambda_config", "load_lambda", "safe_mode_scope"]

_local = threading.local()


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool | None) -> Iterator[None]:
    """While loading: ``safe_mode=False`` allows lambda code (``None`` keeps the outer mode)."""
    previous = getattr(_local, "safe_mode", None)
    if safe_mode is not None:
        _local.safe_mode = bool(safe_mode)
    try:
        yield
    finally:
        _local.safe_mode = previous


def _unsafe_allowed() -> bool:
    from torchbridge.backend.config import unsafe_deserialization_enabled

    return getattr(_local, "safe_mode", None) is False or unsafe_deserialization_enabled()


def is_lambda_config(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and value.get("class_name") == "__lambda__"


def dump_lambda(fn: types.FunctionType) -> dict[str, Any]:
    """Keras's config of a Python lambda (its bytecode, defaults and closure values)."""
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return {
        "class_name": "__lambda__",
        "config": {
            "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
            "defaults": fn.__defaults__,
            "closure": closure,
        },
    }


def load_lambda(config: dict[str, Any], layer_name: str) -> types.FunctionType:
    """The function of a ``"__lambda__"`` config — only when unsafe loading was allowed."""
    if not _unsafe_allowed():
        raise ValueError(
            f"Requested the deserialization of Lambda layer '{layer_name}' whose `function` is "
            "a Python lambda. This runs code from the file, so it is disallowed by default. "
            "If you trust the source of the artifact, pass `safe_mode=False` to the loading "
            "function, or call `keras.config.enable_unsafe_deserialization()`."
        )
    inner = config["config"]
    try:
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
    except (ValueError, EOFError, TypeError) as exc:
        raise ValueError(
            f"Lambda layer '{layer_name}': its bytecode does not load under Python "
            f"{sys.version_info.major}.{sys.version_info.minor} (bytecode only loads under "
            "the Python version that wrote it). Rebuild the layer in code."
        ) from exc
    if not isinstance(code, types.CodeType):
        raise ValueError(f"Lambda layer '{layer_name}': the saved `code` is not a function.")
    defaults = inner.get("defaults")
    closure = inner.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure is not None else None
    return types.FunctionType(
        code,
        _lambda_globals(),
        name=code.co_name,
        argdefs=tuple(defaults) if isinstance(defaults, list) else defaults,
        closure=cells,
    )


def _lambda_globals() -> dict[str, Any]:
    """The names a Keras lambda usually refers to: ``keras``, ``ops``, ``np``."""
    import numpy as np

    import torchbridge
    from torchbridge import ops

    return {"__builtins__": __builtins__, "keras": torchbridge, "ops": ops, "np": np}
