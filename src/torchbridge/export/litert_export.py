"""``format="litert"``: a LiteRT (TFLite) ``.tflite`` flatbuffer through ``litert-torch``.

``litert-torch`` (Google's PyTorch → LiteRT converter, formerly ai-edge-torch) is an
optional dependency: without it the export stops with an ``ImportError`` naming
``pip install litert-torch``. As in Keras on torch, LiteRT has no dynamic shapes:
every ``None`` dimension of the signature is traced at 1 unless a static
``input_signature`` gives the sizes you serve (pad inputs to them at run time).
Keyword arguments go to ``litert_torch.convert`` (``quant_config`` ...); Keras's
``optimizations`` needs TensorFlow's ``tf.lite.Optimize`` and is refused.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from torchbridge.export.adapter import inference_mode, prepare
from torchbridge.export.errors import ExportError, missing_dependency
from torchbridge.export.tracing import quiet

__all__ = ["export_litert"]


def _litert_torch() -> Any:
    try:
        return importlib.import_module("litert_torch")
    except ImportError:
        raise missing_dependency("litert-torch", "litert", "litert-torch") from None


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
    litert_torch = _litert_torch()
    prepared = prepare(model, input_signature, static=True)
    if kwargs.pop("optimizations", None):
        raise ExportError(
            "optimizations= names tf.lite.Optimize values, which need TensorFlow; with "
            "litert-torch pass quant_config=litert_torch.quantize.quant_config.QuantConfig(...)."
        )
    with quiet(), inference_mode([prepared.module]):
        edge_model = litert_torch.convert(prepared.module, tuple(prepared.samples), **kwargs)
    edge_model.export(path)
    if verbose is None or verbose:
        print(f"Saved LiteRT model at '{path}'.")
    return path
