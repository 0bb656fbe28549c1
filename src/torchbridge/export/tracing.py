"""Tracing a model into a ``torch.export.ExportedProgram`` with dynamic dimensions.

Every ``None`` dimension of the input signature is asked to stay dynamic: the batch
(axis 0, one symbol shared by all inputs) and the others (sequence length, image
size). Some layers fix a size while tracing (torch's LSTM decomposition unrolls the
time steps; ``Flatten`` before ``Dense`` fixes the spatial size); then
:func:`trace_program` retries with the batch as the only dynamic dimension, then with
none, and reports which dimensions became fixed (the caller warns or falls back).

:func:`failing_operator` finds the operator an exporter could not handle in its error
message, so errors can name it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from torchbridge.export.adapter import FlatFunction, inference_mode
from torchbridge.export.errors import ExportError
from torchbridge.export.signature import TensorSpec

__all__ = [
    "Traced",
    "dynamic_shapes",
    "failing_frame",
    "failing_operator",
    "quiet",
    "trace_program",
    "warm_up",
]

_OPERATOR = re.compile(
    r"(aten::[A-Za-z_0-9]+(?:\.[A-Za-z_0-9]+)?|aten\.[A-Za-z_0-9]+(?:\.[A-Za-z_0-9]+)?"
    r"|torch\.ops\.[A-Za-z_0-9]+\.[A-Za-z_0-9]+(?:\.[A-Za-z_0-9]+)?"
    r"|<built-in method [A-Za-z_0-9]+[^>]*>|<function [A-Za-z_0-9.]+[^>]*>)"
)

#: Warnings torch emits on every Keras-style model; they say nothing actionable.
_QUIET = (
    r".*not properly registered as a submodule.*",
    r".*_check_is_size will be removed.*",
    r".*isinstance\(treespec, LeafSpec\)` is deprecated.*",
    r".*export will treat it as a constant.*",
    r".*Exporting a model while it is in training mode.*",
)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Drop torch's routine export chatter (its own deprecations, tracer notes)."""
    registry_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry_log.level
    registry_log.setLevel(logging.ERROR)  # "torchvision is not installed. Skipping ..."
    with warnings.catch_warnings():
        for pattern in _QUIET:
            warnings.filterwarnings("ignore", message=pattern)
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\..*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\..*")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        try:
            yield
        finally:
            registry_log.setLevel(level)


@dataclass
class Traced:
    program: torch.export.ExportedProgram
    #: ``(input name, axis)`` of the ``None`` dimensions that could not stay dynamic.
    fixed: list[tuple[str, int]]


def dynamic_shapes(specs: list[TensorSpec], batch_only: bool = False) -> tuple[Any, ...]:
    """torch.export's ``dynamic_shapes`` for ``FlatFunction.forward(*flat)``."""
    batch = torch.export.Dim("batch")
    per_input: list[dict[int, Any] | None] = []
    for spec in specs:
        dims: dict[int, Any] = {}
        for axis, size in enumerate(spec.shape):
            if size is None and axis == 0:
                dims[axis] = batch
            elif size is None and not batch_only:
                dims[axis] = torch.export.Dim.DYNAMIC
        per_input.append(dims or None)
    return (tuple(per_input),)


def failing_operator(exc: BaseException) -> str | None:
    """The first operator named in an exporter's error (``aten::lstm``, ``aten.foo.default``)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        match = _OPERATOR.search(str(e))
        if match:
            return match.group(1)
        e = e.__cause__ or e.__context__
    return None


def failing_frame(exc: BaseException) -> str | None:
    """``file:line (function)`` of the innermost frame outside torch where tracing failed."""
    import traceback

    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        path = frame.filename.replace("\\", "/")
        if "/torch/" in path or "<eval_with_key>" in path or path.endswith("/export/tracing.py"):
            continue
        found = frame
    if found is None:
        return None
    short = found.filename.replace("\\", "/")
    short = short.split("/src/", 1)[-1] if "/src/" in short else short
    return f"{short}:{found.lineno} ({found.name}: {(found.line or '').strip()})"


def _is_specialization(exc: BaseException) -> bool:
    text = str(exc)
    return "Constraints violated" in text or "specialized it to be a constant" in text


def warm_up(module: FlatFunction, samples: list[torch.Tensor]) -> Any:
    """One eager call (builds lazy layers, records build shapes outside the trace)."""
    with torch.no_grad():
        return module(*samples)


def trace_program(
    module: FlatFunction,
    specs: list[TensorSpec],
    samples: list[torch.Tensor],
    names: list[str],
    user_dynamic_shapes: Any = None,
    export: Callable[..., Any] | None = None,
    **export_kwargs: Any,
) -> Traced:
    """``torch.export.export`` of ``module`` with as many ``None`` dimensions dynamic as it allows."""
    export_fn = export or torch.export.export
    export_kwargs.setdefault("strict", False)
    free = [(names[i], a) for i, s in enumerate(specs) for a, d in enumerate(s.shape) if d is None]
    attempts: list[tuple[Any, list[tuple[str, int]]]]
    if user_dynamic_shapes is not None:
        attempts = [(user_dynamic_shapes, [])]
    else:
        attempts = [
            (dynamic_shapes(specs), []),
            (dynamic_shapes(specs, batch_only=True), [f for f in free if f[1] != 0]),
            (None, free),
        ]
    last: BaseException | None = None
    for shapes, fixed in attempts:
        if shapes is None and not free and last is not None:
            break
        try:
            with quiet(), inference_mode([module]), torch.no_grad():
                program = export_fn(module, tuple(samples), dynamic_shapes=shapes, **export_kwargs)
            return Traced(program, fixed)
        except Exception as exc:  # torch raises many unrelated types here
            last = exc
            if not _is_specialization(exc):
                break
    assert last is not None
    op = failing_operator(last)
    frame = failing_frame(last)
    where = f" at operator {op}" if op else ""
    where += f" in {frame}" if frame else ""
    first_line = str(last).strip().splitlines()[0] if str(last).strip() else type(last).__name__
    raise ExportError(
        f"torch.export could not trace the model{where}: {type(last).__name__}: {first_line}. "
        "Code that reads tensor values in Python (int(x.max()), if x.any():) cannot be "
        "traced: skip such checks when torch.compiler.is_exporting(), pass a static "
        "input_signature for shape problems, or rewrite the layer with tensor operations."
    ) from last
