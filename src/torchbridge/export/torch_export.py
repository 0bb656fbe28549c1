"""``format="torch"``: a ``torch.export`` ExportedProgram saved as a ``.pt2`` file.

The artifact holds ATen operations only; reload it with ``torch.export.load(path)``
and run ``program.module()(*inputs)`` — one positional tensor per flat input, in
``keras.tree`` order (dict keys sorted). The ``None`` dimensions of the input
signature stay dynamic where the model allows it (see :mod:`.tracing`); a dimension
that had to be fixed is named in a warning. Keyword arguments are
``torch.export.export``'s (``strict``, ``dynamic_shapes``,
``prefer_deferred_runtime_asserts_over_guards``, ``preserve_module_call_signature``).
"""

from __future__ import annotations

import inspect
import os
import warnings
from typing import Any

import torch

from torchbridge.export.adapter import prepare
from torchbridge.export.errors import ExportError
from torchbridge.export.tracing import Traced, trace_program

__all__ = ["export_torch", "fixed_dims_message"]


def _export_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    allowed = {
        n for n in inspect.signature(torch.export.export).parameters if n not in ("mod", "args")
    } - {"kwargs"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ExportError(
            f'Unsupported arguments for format="torch": {", ".join(unknown)}. Supported '
            f"arguments are: {', '.join(sorted(allowed))}."
        )
    return dict(kwargs)


def fixed_dims_message(traced: Traced, fmt: str) -> str | None:
    if not traced.fixed:
        return None
    dims = ", ".join(f"{name}[axis {axis}]" for name, axis in traced.fixed)
    return (
        f"format={fmt!r}: the model fixes these input dimensions while tracing, so they are "
        f"static in the artifact at their traced size: {dims}. Pass an input_signature "
        "with the sizes you serve."
    )


def export_torch(
    model: Any,
    filepath: str | os.PathLike[str],
    input_signature: Any = None,
    verbose: bool | None = None,
    **kwargs: Any,
) -> str:
    """Write ``model``'s inference forward pass to ``filepath`` (must end in ``.pt2``)."""
    path = os.fspath(filepath)
    if not path.endswith(".pt2"):
        raise ExportError(
            f"The PyTorch export requires the filepath to end with '.pt2'. Got: {path}"
        )
    export_kwargs = _export_kwargs(kwargs)
    user_shapes = export_kwargs.pop("dynamic_shapes", None)
    prepared = prepare(model, input_signature)
    traced = trace_program(
        prepared.module,
        prepared.specs,
        prepared.samples,
        prepared.input_names,
        user_dynamic_shapes=user_shapes,
        **export_kwargs,
    )
    message = fixed_dims_message(traced, "torch")
    if message:
        warnings.warn(message, stacklevel=2)
    torch.export.save(traced.program, path)
    if verbose is None or verbose:
        print(f"Saved PyTorch ExportedProgram at '{path}'.")
    return path
