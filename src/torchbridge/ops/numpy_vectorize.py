"""keras.ops.numpy ``vectorize`` on torch: a function of single elements (or of
core sub-arrays named by a gufunc ``signature`` such as ``"(n),(n)->()"``)
turned into one that maps over broadcast leading axes.

The leading (loop) axes of all positional arguments are broadcast together and
flattened into one batch axis, which ``torch.vmap`` maps over in one call; a
function vmap cannot trace (Python control flow on values, ``.item()``) falls
back to a Python loop over the batch whose results are stacked. Arguments
listed in ``excluded`` (positions or names), ``None`` arguments and keyword
arguments are passed through unchanged.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

import torch

from torchbridge.ops._convert import to_tensor

__all__ = ["vectorize"]

_DIMS = re.compile(r"\(([^()]*)\)")
_SIGNATURE = re.compile(r"^(\([^()]*\))(,\([^()]*\))*->(\([^()]*\))(,\([^()]*\))*$")


def _parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    compact = signature.replace(" ", "")
    if not _SIGNATURE.match(compact):
        raise ValueError(
            f"vectorize: invalid signature {signature!r}; write it as NumPy's gufunc "
            "signatures, e.g. '(n),(n)->()'."
        )
    inputs, outputs = compact.split("->")

    def dims(part: str) -> list[tuple[str, ...]]:
        return [tuple(d for d in group.split(",") if d) for group in _DIMS.findall(part)]

    return dims(inputs), dims(outputs)


def _as_tensor_result(x: Any) -> Any:
    if isinstance(x, tuple):
        return tuple(_as_tensor_result(item) for item in x)
    return x if isinstance(x, torch.Tensor) else to_tensor(x)


def vectorize(pyfunc: Any, *, excluded: Any = None, signature: Any = None) -> Callable[..., Any]:
    """``pyfunc`` mapped over the broadcast leading axes of its positional arguments."""
    if not callable(pyfunc):
        raise ValueError(f"vectorize: `pyfunc` must be callable. Received: pyfunc={pyfunc!r}")
    static = frozenset(excluded or ())
    core_in, core_out = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        dynamic = [i for i, a in enumerate(args) if i not in static and a is not None]
        if core_in is not None and len(core_in) != len(dynamic):
            raise ValueError(
                f"vectorize: signature {signature!r} names {len(core_in)} inputs but "
                f"{len(dynamic)} arguments are vectorized."
            )
        tensors = [to_tensor(args[i]) for i in dynamic]
        if tensors:
            device = next((t.device for t in tensors if t.device.type != "cpu"), tensors[0].device)
            tensors = [t.to(device) for t in tensors]
        cores = [len(core_in[k]) if core_in else 0 for k in range(len(tensors))]
        for t, c in zip(tensors, cores):
            if t.ndim < c:
                raise ValueError(
                    f"vectorize: an input of shape {tuple(t.shape)} has fewer than the {c} core "
                    f"dimensions of signature {signature!r}."
                )
        try:
            batch = torch.broadcast_shapes(*[t.shape[: t.ndim - c] for t, c in zip(tensors, cores)])
        except RuntimeError:
            shapes = [tuple(t.shape) for t in tensors]
            raise ValueError(f"vectorize: input shapes {shapes} do not broadcast.") from None
        size = math.prod(batch)
        flat = [
            t.expand(*batch, *t.shape[t.ndim - c :]).reshape(size, *t.shape[t.ndim - c :])
            for t, c in zip(tensors, cores)
        ]

        def call(*dyn: Any) -> Any:
            full = list(args)
            for i, value in zip(dynamic, dyn):
                full[i] = value
            return pyfunc(*full, **kwargs)

        if not batch:  # nothing to map over
            return _as_tensor_result(call(*tensors))
        if size == 0:
            raise ValueError("vectorize: cannot call the function on an empty batch.")
        try:
            result = torch.vmap(call)(*flat)
        except (RuntimeError, TypeError, ValueError):
            rows = [_as_tensor_result(call(*(f[i] for f in flat))) for i in range(size)]
            if isinstance(rows[0], tuple):
                result = tuple(torch.stack(col) for col in zip(*rows))
            else:
                result = torch.stack(rows)
        if isinstance(result, tuple):
            if core_out is not None and len(core_out) != len(result):
                raise ValueError(
                    f"vectorize: signature {signature!r} names {len(core_out)} outputs; the "
                    f"function returned {len(result)}."
                )
            return tuple(r.reshape(*batch, *r.shape[1:]) for r in result)
        return result.reshape(*batch, *result.shape[1:])

    return wrapped
