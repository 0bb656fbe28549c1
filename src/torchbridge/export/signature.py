"""Input signatures for export: what the exported function takes (shapes, dtypes, names).

Keras's convention, kept here: an ``input_signature`` is a list with one entry per
positional argument of the exported function; each entry is a structure (a leaf,
list, tuple or dict) of specs. A spec may be a ``keras.InputSpec``, a ``KerasTensor``,
a tensor or array (its batch dimension becomes ``None``), any object with ``shape``
and ``dtype`` (``tf.TensorSpec``-like), or — a torchbridge convenience — a bare shape
tuple such as ``(None, 3)`` (float32).

:func:`resolve_signature` turns any of those into :class:`TensorSpec` leaves, or builds
the default from the model: a functional/sequential model's ``Input``s, a subclassed
model's first call, a Hugging Face model's ``input_ids``/``attention_mask``.
:func:`flat_specs`, :func:`pack_flat` and :func:`sample_inputs` go between the
structure and the flat list of tensors every exporter feeds its backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from torchbridge import tree
from torchbridge.backend.dtypes import standardize_dtype, to_torch_dtype
from torchbridge.export.errors import ExportError

__all__ = [
    "TensorSpec",
    "flat_specs",
    "input_names",
    "is_string_dtype",
    "make_spec",
    "pack_flat",
    "resolve_signature",
    "sample_inputs",
]

#: Sample sizes used to trace ``None`` dimensions: torch.export specialises sizes 0
#: and 1, so the batch is traced at 2; the other free dimensions (sequence length,
#: image size) at a size large enough for kernels and pooling windows.
SAMPLE_BATCH = 2
SAMPLE_OTHER = 16

_STRING_DTYPES = ("string", "str", "object", "bytes")


@dataclass(frozen=True)
class TensorSpec:
    """One input of an exported function: ``shape`` (``None`` = free), ``dtype``, ``name``."""

    shape: tuple[int | None, ...]
    dtype: str = "float32"
    name: str | None = None

    def with_name(self, name: str) -> TensorSpec:
        return TensorSpec(self.shape, self.dtype, name)


def is_string_dtype(dtype: Any) -> bool:
    return str(dtype) in _STRING_DTYPES


def _dtype_name(dtype: Any) -> str:
    if dtype is None:
        return "float32"
    name = getattr(dtype, "name", None)  # tf.DType, np.dtype
    text = name if isinstance(name, str) else str(dtype)
    if is_string_dtype(text) or text in ("<U0", "|S0"):
        return "string"
    if isinstance(dtype, np.dtype) and dtype.kind in "OUS":
        return "string"
    return standardize_dtype(dtype if not isinstance(name, str) else name)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in x
    )


def make_spec(x: Any, name: str | None = None) -> TensorSpec:
    """A :class:`TensorSpec` from one leaf of an ``input_signature`` (see the module doc)."""
    if isinstance(x, TensorSpec):
        return x if x.name or name is None else x.with_name(name)
    if _is_shape(x):
        return TensorSpec(tuple(x), "float32", name)
    if isinstance(x, (torch.Tensor, np.ndarray)):
        shape: tuple[int | None, ...] = (None, *map(int, x.shape[1:])) if x.ndim else ()
        return TensorSpec(shape, _dtype_name(x.dtype), name)
    if isinstance(x, dict) and "shape" in x and "dtype" in x:  # a recorded build config
        return TensorSpec(tuple(x["shape"]), _dtype_name(x["dtype"]), name)
    shape_attr = getattr(x, "shape", None)
    if shape_attr is not None or hasattr(x, "dtype"):
        if shape_attr is None:
            raise ExportError(
                f"The input spec {x!r} has no shape. Give every input a shape, e.g. "
                "keras.InputSpec(shape=(None, 3), dtype='float32')."
            )
        dims = getattr(shape_attr, "as_list", lambda: list(shape_attr))()  # tf.TensorShape
        if not _is_shape(list(dims)):
            raise ExportError(f"The input spec {x!r} has a shape that is not a tuple of ints/None.")
        own = getattr(x, "name", None)
        return TensorSpec(tuple(dims), _dtype_name(getattr(x, "dtype", None)), own or name)
    raise ExportError(
        f"Unsupported input_signature entry {x!r} of type {type(x).__name__}. Use "
        "keras.InputSpec(shape=..., dtype=...), a KerasTensor (keras.Input), a tensor, or a "
        "shape tuple such as (None, 3)."
    )


def _structure_to_specs(structure: Any) -> Any:
    if _is_shape(structure) or not isinstance(structure, (list, tuple, dict)):
        return make_spec(structure)
    if isinstance(structure, dict):
        if "shape" in structure and "dtype" in structure:
            return make_spec(structure)
        return {k: _keyed(_structure_to_specs(v), str(k)) for k, v in structure.items()}
    return type(structure)(_structure_to_specs(v) for v in structure)


def _keyed(value: Any, key: str) -> Any:
    """A dict entry's spec is named after its key unless it has a name of its own."""
    if isinstance(value, TensorSpec) and value.name is None:
        return value.with_name(key)
    return value


def _default_signature(model: Any) -> list[Any]:
    inputs_struct = getattr(model, "_inputs_struct", None)
    if inputs_struct is not None:  # functional: one positional argument, the whole structure
        return [_structure_to_specs(inputs_struct)]
    forward_inputs = getattr(model, "_forward_inputs", None)
    if getattr(model, "main_input_name", None) == "input_ids" and forward_inputs:
        # A Hugging Face text model (torchbridge.hf.HFModel): token ids and their mask.
        names = [n for n in ("input_ids", "attention_mask") if n in forward_inputs]
        return [{n: TensorSpec((None, None), "int64", n) for n in names}]
    try:
        inputs = model.inputs  # Sequential with an Input, or built from a first batch
    except (AttributeError, ValueError, TypeError):
        inputs = None
    if inputs:
        specs = [make_spec(t) for t in inputs]
        return [specs[0] if len(specs) == 1 else specs]
    build_config = getattr(model, "_build_config", None)
    if build_config is not None:
        return [_structure_to_specs(build_config)]
    raise ExportError(
        f"Model '{getattr(model, 'name', type(model).__name__)}' has never been called, so "
        "its input shapes are unknown. Call it once on a batch (or fit it), or pass "
        "input_signature=[keras.InputSpec(shape=(None, ...), dtype=...)]."
    )


def resolve_signature(model: Any, input_signature: Any = None) -> list[Any]:
    """The input signature as a list (one entry per positional argument) of spec structures."""
    if input_signature is None:
        return _default_signature(model)
    if _is_shape(input_signature) or not isinstance(input_signature, (list, tuple)):
        return [_structure_to_specs(input_signature)]
    if not input_signature:
        raise ExportError("input_signature is empty: give one spec per input of the model.")
    return [_structure_to_specs(arg) for arg in input_signature]


def flat_specs(signature: list[Any]) -> list[TensorSpec]:
    """The leaves of ``signature`` in ``keras.tree`` order (dict keys sorted)."""
    return list(tree.flatten(signature))


def pack_flat(signature: list[Any], flat: Any) -> list[Any]:
    """The positional arguments: ``flat`` tensors put back into ``signature``'s structure."""
    return list(tree.pack_sequence_as(signature, list(flat)))


def input_names(specs: list[TensorSpec]) -> list[str]:
    """One unique name per flat input: the spec's name, else ``input_<i>``."""
    names: list[str] = []
    for i, spec in enumerate(specs):
        name = spec.name or f"input_{i}"
        while name in names:
            name = f"{name}_{i}"
        names.append(name)
    return names


def sample_shape(spec: TensorSpec, other: int = SAMPLE_OTHER) -> tuple[int, ...]:
    """A concrete shape for tracing: batch :data:`SAMPLE_BATCH`, other ``None`` dims
    ``other``."""
    return tuple(
        (SAMPLE_BATCH if i == 0 else other) if d is None else int(d)
        for i, d in enumerate(spec.shape)
    )


def sample_inputs(
    specs: list[TensorSpec], static: bool = False, other: int = SAMPLE_OTHER
) -> list[torch.Tensor]:
    """Tracing inputs: ones for floats and masks, zeros for other integers (valid ids).

    ``other`` is the size of the free non-batch dimensions; ``static=True`` uses 1 for
    every ``None`` dimension (for formats without dynamic
    shapes, as Keras does)."""
    out: list[torch.Tensor] = []
    for spec in specs:
        if is_string_dtype(spec.dtype):
            raise ExportError(
                f"Input {spec.name!r} takes strings; strings cannot be traced into a numeric "
                "graph. Export the numeric part of the model (after its string layers)."
            )
        shape = (
            tuple(1 if d is None else int(d) for d in spec.shape)
            if static
            else sample_shape(spec, other)
        )
        dtype = to_torch_dtype(spec.dtype)
        if dtype.is_floating_point or dtype == torch.bool or "mask" in (spec.name or ""):
            out.append(torch.ones(shape, dtype=dtype))
        else:
            out.append(torch.zeros(shape, dtype=dtype))
    return out
