"""``format="litert"``: a LiteRT (TFLite) ``.tflite`` flatbuffer through ``litert-torch``.

``litert-torch`` (Google's PyTorch → LiteRT converter, formerly ai-edge-torch) is an
optional dependency: without it the export stops with an ``ImportError`` naming
``pip install litert-torch``. As in Keras on torch, LiteRT has no dynamic shapes:
every ``None`` dimension of the signature is traced at 1 unless a static
``input_signature`` gives the sizes you serve (pad inputs to them at run time).
Keyword arguments go to ``litert_torch.convert`` (``quant_config`` ...); Keras's
``optimizations`` needs TensorFlow's ``tf.lite.Optimize`` and is refused.

The ``serving_default`` signature's inputs and outputs carry the model's names
(``input_ids``, ``attention_mask`` ..., the output layers'), so
``Interpreter.get_signature_runner()(input_ids=...)`` feeds them by name; int64 inputs become int32, LiteRT's integer type without x64 support.
"""

from __future__ import annotations

import importlib
import keyword
import os
from typing import Any

import torch

from torchbridge.export.adapter import inference_mode, prepare
from torchbridge.export.errors import ExportError, missing_dependency
from torchbridge.export.string_inputs import string_prefix
from torchbridge.export.tracing import quiet

__all__ = ["export_litert"]


def _litert_torch() -> Any:
    try:
        return importlib.import_module("litert_torch")
    except ImportError:
        raise missing_dependency("litert-torch", "litert", "litert-torch") from None


class _Named(torch.nn.Module):
    """Calls the flat traced module with keyword inputs and returns a dict, so the LiteRT
    signature's inputs and outputs are named as the model's (not ``args_0``, ``output_0``)."""

    def __init__(self, inner: torch.nn.Module, names: list[str], outputs: list[str]) -> None:
        super().__init__()
        self.inner = inner
        self.names = list(names)
        self.outputs = list(outputs)

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        result = self.inner(*[inputs[name] for name in self.names])
        flat = list(result) if isinstance(result, (tuple, list)) else [result]
        return dict(zip(self.outputs, flat))


def _nameable(names: list[str]) -> bool:
    return len(set(names)) == len(names) and all(
        n.isidentifier() and not keyword.iskeyword(n) for n in names
    )


def export_litert(
    model: Any,
    filepath: str | os.PathLike[str],
    input_signature: Any = None,
    verbose: bool | None = None,
    **kwargs: Any,
) -> str:
    """Write ``model`` as a ``.tflite`` file at ``filepath`` (static shapes; see the module doc)."""
    path = os.fspath(filepath)
    if not path.endswith(".tflite"):
        raise ExportError(
            f"The LiteRT export requires the filepath to end with '.tflite'. Got: {path}"
        )
    split = string_prefix(model, input_signature)
    if split is not None:
        names = ", ".join(name for name, _ in split.string_layers)
        raise ExportError(
            f"format='litert' cannot take raw strings (inputs {names}): LiteRT has no "
            "string preprocessing operators here. Export format='onnx' (strings in), or "
            "export the model after its string layers and run the string layers in Python."
        )
    litert_torch = _litert_torch()
    prepared = prepare(model, input_signature, static=True)
    if kwargs.pop("optimizations", None):
        raise ExportError(
            "optimizations= names tf.lite.Optimize values, which need TensorFlow; with "
            "litert-torch pass quant_config=litert_torch.quantize.quant_config.QuantConfig(...)."
        )
    with quiet(), inference_mode([prepared.module]):
        if _nameable(prepared.input_names) and _nameable(prepared.output_names):
            named = _Named(prepared.module, prepared.input_names, prepared.output_names)
            samples = dict(zip(prepared.input_names, prepared.samples))
            edge_model = litert_torch.convert(named, (), samples, **kwargs)
        else:
            edge_model = litert_torch.convert(prepared.module, tuple(prepared.samples), **kwargs)
    edge_model.export(path)
    if verbose is None or verbose:
        print(f"Saved LiteRT model at '{path}'.")
    return path
