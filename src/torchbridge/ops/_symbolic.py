"""Ops called on symbolic tensors (``keras.Input`` and layer outputs) record a graph node.

``ops`` sits below ``layers``, so it cannot know ``KerasTensor``: ``layers``
registers it here (:func:`register_symbolic_handler`) together with the
function that records an op call as a node of the functional graph
(``layers/op_layer.py``). :func:`wrap_public_ops` wraps every public op of the
``ops`` namespaces once: a call whose arguments hold a symbolic tensor goes to
the handler, any other call goes straight to the op (one ``type(...) is``
check per argument on the way).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = [
    "find_op",
    "is_symbolic",
    "register_symbolic_handler",
    "wrap_public_ops",
    "wrapper_of",
]


class _NoSymbolicType:
    """Stands for KerasTensor until ``layers`` registers it (matches nothing)."""


_symbolic_type: type = _NoSymbolicType
_wrappers: dict[int, Callable[..., Any]] = {}  # id(op) -> its symbolic-aware wrapper
_handler: Callable[[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any] | None = None
_SEQUENCES = (list, tuple)


def register_symbolic_handler(
    symbolic_type: type,
    handler: Callable[[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any],
) -> None:
    """``handler(op_name, op, args, kwargs)`` runs for op calls on ``symbolic_type``."""
    global _symbolic_type, _handler
    _symbolic_type, _handler = symbolic_type, handler


def is_symbolic(value: Any) -> bool:
    return type(value) is _symbolic_type


def _holds_symbolic(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return any(map(_is_symbolic_arg, args)) or any(map(_is_symbolic_arg, kwargs.values()))


def _is_symbolic_arg(value: Any) -> bool:
    """A KerasTensor, or a list/tuple holding one (what the generated wrappers test)."""
    t = type(value)
    kind = _symbolic_type
    return t is kind or ((t is list or t is tuple) and any(type(v) is kind for v in value))


def _symbolic_aware(name: str, op: Callable[..., Any]) -> Callable[..., Any]:
    call = _generated_wrapper(name, op) or _generic_wrapper(name, op)
    functools.update_wrapper(call, op)
    call._symbolic_aware = True  # type: ignore[attr-defined]
    call._raw_op = op  # type: ignore[attr-defined]
    return call


def _generic_wrapper(name: str, op: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        if _handler is not None and _holds_symbolic(args, kwargs):
            return _handler(name, op, args, kwargs)
        return op(*args, **kwargs)

    return call


def _generated_wrapper(name: str, op: Callable[..., Any]) -> Callable[..., Any] | None:
    """A wrapper with the op's own parameters (no ``*args``/``**kwargs`` packing: about
    half the cost of the generic one). ``None`` for signatures it does not cover."""
    try:
        params = list(inspect.signature(op).parameters.values())
    except (TypeError, ValueError):
        return None
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if any(p.kind not in plain for p in params):
        return None
    namespace: dict[str, Any] = {"_op": op, "_name": name, "_module": sys.modules[__name__]}
    header, names = [], []
    keyword_only = False
    for i, p in enumerate(params):
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only:
            header.append("*")
            keyword_only = True
        if p.default is inspect.Parameter.empty:
            header.append(p.name)
        else:
            namespace[f"_d{i}"] = p.default
            header.append(f"{p.name}=_d{i}")
        names.append(p.name)
    checks = (
        " or ".join(f"type({n}) is _K or (type({n}) in _SEQ and _sym({n}))" for n in names)
        or "False"
    )
    positional = [n for n, p in zip(names, params, strict=True) if p.kind is not p.KEYWORD_ONLY]
    keywords = [n for n, p in zip(names, params, strict=True) if p.kind is p.KEYWORD_ONLY]
    call_args = ", ".join([*positional, *(f"{n}={n}" for n in keywords)])
    source = (
        f"def call({', '.join(header)}):\n"
        f"    _K = _module._symbolic_type\n"
        f"    if {checks}:\n"
        f"        return _module._handler(_name, _op, ({''.join(n + ', ' for n in positional)}), "
        f"{{{', '.join(f'{n!r}: {n}' for n in keywords)}}})\n"
        f"    return _op({call_args})\n"
    )
    namespace["_sym"] = _is_symbolic_arg
    namespace["_SEQ"] = _SEQUENCES
    code = _compiled.get(source)
    if code is None:  # many ops share a parameter list: compile each shape once
        code = _compiled[source] = compile(source, "<ops wrapper>", "exec")
    exec(code, namespace)  # our own generated code (defines `call`)
    return namespace["call"]  # type: ignore[no-any-return]


_compiled: dict[str, Any] = {}  # generated wrapper source -> its code object


def wrap_public_ops(namespaces: dict[str, ModuleType]) -> None:
    """Replace each public function of the ``namespaces`` (prefix → module, e.g.
    ``"numpy."`` → ops.numpy, ``""`` → ops) by its symbolic-aware wrapper. The same
    function gets the same wrapper everywhere, named by the first namespace that
    has it (``"numpy.add"``, ``"image.resize"``): :func:`find_op` reads that name back."""
    wrapped = _wrappers
    for prefix, module in namespaces.items():
        for name in getattr(module, "__all__", ()):
            op = getattr(module, name, None)
            if not callable(op) or isinstance(op, (type, ModuleType)):
                continue
            raw = getattr(op, "_raw_op", op)
            if id(raw) not in wrapped:
                wrapped[id(raw)] = op if raw is not op else _symbolic_aware(prefix + name, raw)
            setattr(module, name, wrapped[id(raw)])


def wrapper_of(op: Callable[..., Any]) -> Callable[..., Any]:
    """The symbolic-aware wrapper of an op (the op itself when it has none)."""
    return _wrappers.get(id(getattr(op, "_raw_op", op)), op)


def find_op(qualified_name: str) -> Callable[..., Any] | None:
    """The op (unwrapped) of a name :func:`wrap_public_ops` gave (``"numpy.add"``)."""
    import importlib

    family, _, name = qualified_name.rpartition(".")
    module = importlib.import_module(f"torchbridge.ops.{family}" if family else "torchbridge.ops")
    if name not in getattr(module, "__all__", ()):
        return None
    op = getattr(module, name)
    return getattr(op, "_raw_op", op)
