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
    #: The rank of each string input (``(batch,)`` is 1, ``(batch, 1)`` is 2).
    input_ranks: list[int]
    #: The position of each string input among the model's (flat) inputs.
    positions: list[int]


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


def _functional(model: Any) -> Any:
    if getattr(model, "_nodes", None) is not None:
        return model
    try:  # a Sequential model with an Input: its layers called again on a new Input
        from torchbridge.layers.input_layer import Input, InputLayer
        from torchbridge.models.functional import Functional

        (spec,) = model.inputs
        inputs = Input(tuple(spec.shape[1:]), dtype=spec.dtype, name=spec.name or "inputs")
        x = inputs
        for layer in model.layers:
            if not isinstance(layer, InputLayer):
                x = layer(x)
        return Functional(inputs, x, name=model.name)
    except Exception:
        raise ExportError(
            f"Model '{getattr(model, 'name', '?')}' takes raw strings but has no layer graph "
            "(a subclassed model): torchbridge cannot find where its string layers end. Build "
            "it with keras.Input(dtype='string') and the functional API, or export the "
            "numeric part."
        ) from None


def _split(model: Any) -> StringSplit:
    from torchbridge.models.functional import Functional

    graph = _functional(model)
    nodes = list(graph._nodes)
    string_layers: list[tuple[str, Any]] = []
    ranks: list[int] = []
    positions: list[int] = []
    new_inputs: list[Any] = []
    for i, tensor in enumerate(graph.inputs):
        if not is_string_dtype(tensor.dtype):
            new_inputs.append(tensor)
            continue
        name = tensor.name or f"input_{i}"
        consumers = [n for n in nodes if any(t is tensor for t in n.input_tensors)]
        layers = ", ".join(sorted({_layer_name(n.layer) for n in consumers})) or "none"
        if len(consumers) != 1 or len(consumers[0].output_tensors) != 1:
            raise ExportError(
                f"The string input {name!r} feeds {len(consumers)} layers ({layers}); the ONNX "
                "export needs exactly one string layer (TextVectorization, StringLookup) per "
                "string input, whose output is numeric."
            )
        node = consumers[0]
        out = node.output_tensors[0]
        if is_string_dtype(out.dtype):
            raise ExportError(
                f"Layer '{_layer_name(node.layer)}' on the string input {name!r} returns "
                "strings; the ONNX export needs the first layer on a string input to return "
                "numbers (TextVectorization or StringLookup)."
            )
        string_layers.append((name, node.layer))
        ranks.append(len(tensor.shape))
        positions.append(i)
        new_inputs.append(out)
    numeric = Functional(
        new_inputs[0] if len(new_inputs) == 1 else new_inputs,
        graph.output,
        name=f"{getattr(model, 'name', 'model')}_numeric",
    )
    return StringSplit(string_layers, numeric, ranks, positions)


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
    prepend = getattr(onnx_strings, "prepend_string_layers", None)
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
    prepared = prepare(split.numeric_model)
    string_names = {name for name, _ in split.string_layers}
    if string_names & set(prepared.input_names):
        raise ExportError(
            f"Input names {sorted(string_names & set(prepared.input_names))} are used twice; "
            "give the string Inputs other names."
        )
    export_prepared_onnx(prepared, path, opset_version=opset_version, **kwargs)
    # The numeric model's inputs keep the model's input order, each string input replaced
    # by its layer's output.
    fed = [prepared.input_names[i] for i in split.positions]
    prepend(path, split.string_layers, fed, path, split.input_ranks)
