"""Ops called on symbolic tensors (``keras.Input`` and layer outputs) record a graph node.

``ops`` sits below ``layers``, so it cannot know ``KerasTensor``: ``layers``
registers it here (:func:`register_symbolic_handler`) together with the
function that records an op call as a node of the functional graph
(``layers/op_layer.py``). :func:`wrap_public_ops` wraps every public op of the
``ops`` namespaces once: a call whose arguments hold a symbolic tensor goes to
the handler, any other call goes straight to the op (one ``type(...) is``
check per argument on the way).

The generated wrappers' code objects are kept in a marshal file next to this
module's bytecode cache (as ``.pyc`` files are), so a warm ``import
torchbridge`` compiles none of them.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import marshal
import os
import sys
from collections.abc import Callable
from types import CodeType, FunctionType, ModuleType
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
    params = _plain_parameters(op)
    if params is None:
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
        _compiled_here.append(source)
    exec(code, namespace)  # our own generated code (defines `call`)
    return namespace["call"]  # type: ignore[no-any-return]


_compiled: dict[str, Any] = {}  # generated wrapper source -> its code object
_compiled_here: list[str] = []  # sources this process compiled (not found in the cache file)
_saved_count = [0]  # how many of them the cache file holds


def _plain_parameters(op: Callable[..., Any]) -> list[inspect.Parameter] | None:
    """The op's parameters when all are positional-or-keyword or keyword-only, else
    ``None``. Plain functions (and ``functools.wraps`` chains ending in one) are read
    from their code object, which is what ``inspect.signature`` reports for them at
    a fraction of its cost; anything else goes through ``inspect.signature``."""
    target: Any = op
    while True:
        if hasattr(target, "__signature__") or type(target) is not FunctionType:
            return _parameters_by_inspect(op)
        if not hasattr(target, "__wrapped__"):
            break
        target = target.__wrapped__
    code = target.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS) or code.co_posonlyargcount:
        return None
    n_positional, n_keyword = code.co_argcount, code.co_kwonlyargcount
    names = code.co_varnames[: n_positional + n_keyword]
    defaults = target.__defaults__ or ()
    kwdefaults = target.__kwdefaults__ or {}
    empty = inspect.Parameter.empty
    first_default = n_positional - len(defaults)
    params = [
        inspect.Parameter(
            name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=defaults[i - first_default] if i >= first_default else empty,
        )
        for i, name in enumerate(names[:n_positional])
    ]
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=kwdefaults.get(name, empty))
        for name in names[n_positional:]
    ]
    return params


def _parameters_by_inspect(op: Callable[..., Any]) -> list[inspect.Parameter] | None:
    try:
        params = list(inspect.signature(op).parameters.values())
    except (TypeError, ValueError):
        return None
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return params if all(p.kind in plain for p in params) else None


def _code_cache_path() -> str | None:
    """Where the compiled wrappers are kept: beside this module's ``.pyc``."""
    try:
        import importlib.util

        pyc = importlib.util.cache_from_source(__file__)
    except (NotImplementedError, ValueError, TypeError, NameError):
        return None
    return pyc[: -len(".pyc")] + ".wrappers.marshal"


def _load_code_cache() -> None:
    path = _code_cache_path()
    if path is None:
        return
    try:
        with open(path, "rb") as f:
            cached = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return
    if isinstance(cached, dict):
        for source, code in cached.items():
            if isinstance(source, str) and isinstance(code, CodeType):
                _compiled.setdefault(source, code)


def _save_code_cache() -> None:
    """Write the cache when something was compiled (never when Python is told not to
    write bytecode; an unwritable location is skipped silently, as for ``.pyc``)."""
    path = _code_cache_path()
    if len(_compiled_here) == _saved_count[0] or path is None or sys.dont_write_bytecode:
        return
    _saved_count[0] = len(_compiled_here)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump(_compiled, f)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(tmp)


def wrap_public_ops(namespaces: dict[str, ModuleType]) -> None:
    """Replace each public function of the ``namespaces`` (prefix → module, e.g.
    ``"numpy."`` → ops.numpy, ``""`` → ops) by its symbolic-aware wrapper. The same
    function gets the same wrapper everywhere, named by the first namespace that
    has it (``"numpy.add"``, ``"image.resize"``): :func:`find_op` reads that name back."""
    wrapped = _wrappers
    if not _compiled:
        _load_code_cache()
    for prefix, module in namespaces.items():
        for name in getattr(module, "__all__", ()):
            op = getattr(module, name, None)
            if not callable(op) or isinstance(op, (type, ModuleType)):
                continue
            raw = getattr(op, "_raw_op", op)
            if id(raw) not in wrapped:
                wrapped[id(raw)] = op if raw is not op else _symbolic_aware(prefix + name, raw)
            setattr(module, name, wrapped[id(raw)])
    _save_code_cache()


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
