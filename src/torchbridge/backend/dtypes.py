"""Dtype names and Keras's type promotion, on torch.

One place answers "which dtype?": :func:`standardize_dtype` turns any dtype
spelling (a name, a NumPy/torch dtype, a Python type, a dtype policy) into
Keras's name; :func:`to_torch_dtype` gives the torch dtype; and
:func:`result_type` applies Keras 3's promotion lattice (the JAX-style one,
where Python ``int``/``float`` are *weak* and take the other operand's
width). Promotion matches Keras on its TensorFlow backend: 64-bit int and
float dtypes are kept (torch has them natively), ``uint64`` and
``complex128`` results narrow to ``uint32``/``complex64`` as in Keras.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from torchbridge.backend import config

__all__ = [
    "ALLOWED_DTYPES",
    "FLOAT_TYPES",
    "INT_TYPES",
    "is_float_dtype",
    "is_int_dtype",
    "keras_dtype_name",
    "result_type",
    "standardize_dtype",
    "to_torch_dtype",
]

INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
_COMPLEX_TYPES = ("complex64", "complex128")
_FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = ("bool", *INT_TYPES, *FLOAT_TYPES, *_COMPLEX_TYPES, *_FLOAT8_TYPES, "string")

# Python types and the "int" spelling, as Keras's TensorFlow backend names them.
_PYTHON_TYPES: dict[Any, str] = {
    bool: "bool",
    int: "int64",
    float: "float32",
    str: "string",
    complex: "complex128",
}

# Every torch dtype that has a Keras name, both ways.
_TORCH_BY_NAME: dict[str, torch.dtype] = {
    name: getattr(torch, name)
    for name in ALLOWED_DTYPES
    if isinstance(getattr(torch, name, None), torch.dtype)
}
_NAME_BY_TORCH: dict[torch.dtype, str] = {dt: name for name, dt in _TORCH_BY_NAME.items()}

# Fast path of standardize_dtype: exact names and torch dtypes.
_KNOWN: dict[Any, str] = {name: name for name in ALLOWED_DTYPES}
_KNOWN.update(_NAME_BY_TORCH)
_KNOWN["int"] = "int64"

# Lenient spellings that to_torch_dtype (not standardize_dtype) accepts, as torch does.
_TORCH_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "int": "int32"}
_POLICY_VARIABLE_DTYPES = {"mixed_float16": "float32", "mixed_bfloat16": "float32"}


def _invalid(dtype: Any) -> ValueError:
    return ValueError(
        f"Invalid dtype: {dtype!r}. Pass a dtype name such as 'float32', 'int64' or "
        "'bool' (or a NumPy/torch dtype); Keras's names are "
        f"{', '.join(ALLOWED_DTYPES)}."
    )


def standardize_dtype(dtype: Any) -> str:
    """Keras's name for ``dtype`` (``None`` → ``floatx()``, ``torch.int64`` → ``"int64"``)."""
    if dtype is None:
        return config.floatx()
    try:
        return _KNOWN[dtype]
    except (KeyError, TypeError):
        pass
    return _standardize_slow(dtype)


def _standardize_slow(dtype: Any) -> str:
    for py_type, name in _PYTHON_TYPES.items():
        if dtype is py_type:
            return name
    if hasattr(dtype, "name") and isinstance(dtype.name, str):  # NumPy/TF dtypes, policies
        name = dtype.name
    elif isinstance(dtype, type) and issubclass(dtype, np.generic):
        name = np.dtype(dtype).name
    elif isinstance(dtype, str) and dtype.startswith(("torch.", "jax.numpy.")):
        name = dtype.rsplit(".", 1)[-1]
    else:
        name = getattr(dtype, "__name__", dtype)
    if name == "str":
        name = "string"
    if not isinstance(name, str) or name not in _KNOWN or name == "int":
        raise _invalid(dtype)
    return name


def to_torch_dtype(dtype: Any) -> torch.dtype:
    """The torch dtype for a Keras-style ``dtype`` (name, NumPy/torch dtype, policy)."""
    if type(dtype) is torch.dtype:
        return dtype
    found = _TORCH_BY_NAME.get(dtype) if type(dtype) is str else None
    if found is not None:
        return found
    name = getattr(dtype, "variable_dtype", None) or dtype  # a DTypePolicy
    if isinstance(name, str):
        name = _POLICY_VARIABLE_DTYPES.get(name, _TORCH_ALIASES.get(name, name))
    if dtype is int:
        name = "int64"
    try:
        return _TORCH_BY_NAME[standardize_dtype(name)]
    except (KeyError, ValueError):
        raise ValueError(
            f"Invalid dtype {dtype!r}: pass a dtype name such as 'float32', 'int64' or "
            "'bool', a NumPy dtype or a torch.dtype."
        ) from None


def keras_dtype_name(dtype: Any) -> str:
    """Keras's name of a dtype (``torch.float32`` → ``"float32"``), lenient like to_torch_dtype."""
    if type(dtype) is torch.dtype:
        return _NAME_BY_TORCH[dtype]
    return _NAME_BY_TORCH[to_torch_dtype(dtype)]


def is_float_dtype(dtype: Any) -> bool:
    """True for float16/32/64 and bfloat16 (and float8) dtypes."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype: Any) -> bool:
    """True for signed and unsigned integer dtypes (not bool)."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


# --- promotion -------------------------------------------------------------
# Each node lists the nodes directly above it; "int"/"float" are the weak
# (Python scalar) kinds, which sit below every sized dtype of their kind.
_EDGES: dict[str, tuple[str, ...]] = {
    "bool": ("int",),
    "int": ("uint8", "int8", "complex64"),
    "uint8": ("uint16", "int16"),
    "uint16": ("uint32", "int32"),
    "uint32": ("uint64", "int64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _reachable(node: str) -> frozenset[str]:
    seen = {node}
    stack = [node]
    while stack:
        for above in _EDGES[stack.pop()]:
            if above not in seen:
                seen.add(above)
                stack.append(above)
    return frozenset(seen)


_UPPER: dict[str, frozenset[str]] = {node: _reachable(node) for node in _EDGES}
_WEAK_KINDS = ("int", "float")
_NARROWED = {"uint64": "uint32", "complex128": "complex64"}


def _least_upper_bound(nodes: frozenset[str]) -> str:
    for node in nodes:
        if node not in _UPPER:
            raise ValueError(
                f"dtype={node!r} cannot take part in type promotion; cast it explicitly "
                "(e.g. with ops.cast) to a numeric dtype first."
            )
    common = frozenset.intersection(*(_UPPER[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(nodes))} have no implicit promotion path; "
            "cast the inputs explicitly to the dtype you want."
        )
    return next(iter(least))


def _weak_kind(name: str) -> str:
    if name == "bool":
        return name
    if "float" in name:
        return "float"
    if "int" in name:
        return "int"
    raise ValueError(f"dtype={name!r} has no weak (Python scalar) kind.")


def _resolve_weak(name: str, bits: str) -> str:
    first = "f" if name == "bfloat16" else name[0]
    if first == "b":
        return "bool"
    if first == "i":
        return f"int{bits}"
    if first == "u":
        return f"uint{bits}"
    return f"float{bits}"


@functools.lru_cache(maxsize=1024, typed=True)
def _promote(floatx: str, *dtypes: Any) -> str:
    names = [standardize_dtype(d) for d in dtypes]
    weak = [d is int or d is float for d in dtypes]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(frozenset(names)), True
    else:
        nodes = frozenset(_weak_kind(n) if w else n for n, w in zip(names, weak))
        out = _least_upper_bound(nodes)
        out_weak = out in _WEAK_KINDS
    if out_weak and out != "bool":
        out = _resolve_weak(out, floatx[-2:])
    return _NARROWED.get(out, out)


def result_type(*dtypes: Any) -> str:
    """The dtype Keras's promotion rules give for ``dtypes`` (``int``/``float`` are weak).

    ``result_type()`` is ``floatx()``; ``None`` counts as ``floatx()``.
    """
    fx = config.floatx()
    if not dtypes:
        return fx
    for d in dtypes:
        if isinstance(d, str) and d in _FLOAT8_TYPES:
            raise ValueError(
                f"float8 dtypes do not promote implicitly (received {dtypes}); cast them "
                "explicitly first."
            )
    try:
        return _promote(fx, *(fx if d is None else d for d in dtypes))
    except TypeError:  # an unhashable dtype spelling
        return _promote.__wrapped__(fx, *(fx if d is None else d for d in dtypes))
