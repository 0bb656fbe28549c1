"""Models that take raw strings: find the string layers, export the numeric rest to ONNX.

A functional or sequential model whose inputs are strings starts with string layers
(``TextVectorization``, ``StringLookup``) that turn text into numbers. A traced graph
cannot hold those, so :func:`string_prefix` finds the split: the string layer called
on each string input and the numeric model after it. :func:`export_string_model`
exports the numeric model and hands the string layers to
``torchbridge.export.onnx_strings.prepend_string_preprocessing``, which puts them in
front as onnxruntime-extensions string operators (strings in, scores out). When that
module is missing or cannot express a layer, the export stops with an error naming
the layer; it never writes a graph that would compute something else.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from torchbridge.export.errors import ExportError
from torchbridge.export.signature import flat_specs, is_string_dtype, resolve_signature

__all__ = ["StringSplit", "export_string_model", "string_prefix"]


@dataclass
class StringSplit:
    """Where a string model splits: its string layers and the numeric model after them."""

    #: ``(input name, string layer)`` per string input, in the model's input order.
    string_layers: list[tuple[str, Any]]
    #: The rest of the model: takes the string layers' outputs, returns the model's outputs.
    numeric_model: Any


def _layer_name(layer: Any) -> str:
    return str(getattr(layer, "name", type(layer).__name__))


def string_prefix(model: Any, input_signature: Any = None) -> StringSplit | None:
    """``None`` for a numeric model; else the split (or an :class:`ExportError`)."""
    try:
        specs = flat_specs(resolve_signature(model, input_signature))
    except ExportError:
        return None  # prepare() reports the signature problem itself
    if not any(is_string_dtype(s.dtype) for s in specs):
        return None
    return _split(model)


def _split(model: Any) -> StringSplit:
    raise ExportError(
        f"Model '{getattr(model, 'name', '?')}' takes raw strings; splitting it into string "
        "layers and a numeric model is not supported yet. Export the numeric part instead."
    )


def export_string_model(
    model: Any,
    split: StringSplit,
    filepath: str | os.PathLike[str],
    opset_version: int | None = None,
    **kwargs: Any,
) -> None:
    """Numeric rest → ONNX, then the string layers prepended (see the module doc)."""
    try:
        onnx_strings = importlib.import_module("torchbridge.export.onnx_strings")
    except ImportError:
        onnx_strings = None
    prepend = getattr(onnx_strings, "prepend_string_preprocessing", None)
    if prepend is None:
        names = ", ".join(
            f"{_layer_name(layer)} ({type(layer).__name__})" for _, layer in split.string_layers
        )
        raise ExportError(
            f"Model '{getattr(model, 'name', '?')}' takes raw strings, and its string layers "
            f"cannot be exported to ONNX in this installation: {names}. Export the numeric "
            "part instead (the model after its string layers), and run the string layers "
            "in Python before calling the ONNX model."
        )
    from torchbridge.export.adapter import prepare
    from torchbridge.export.onnx_export import export_prepared_onnx

    path = os.fspath(filepath)
    numeric = split.numeric_model
    prepared = prepare(numeric)
    export_prepared_onnx(prepared, path, opset_version=opset_version, **kwargs)
    prepend(path, split.string_layers, prepared.input_names, path)
