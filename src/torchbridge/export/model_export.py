"""``export_model``: what ``Model.export(filepath, format=...)`` runs, one target per module.

The formats are Keras's: ``"onnx"`` (:mod:`.onnx_export`), ``"torch"``
(:mod:`.torch_export`), ``"openvino"`` (:mod:`.openvino_export`), ``"litert"``
(:mod:`.litert_export`). ``"tf_saved_model"`` — Keras's default — needs TensorFlow,
which torchbridge does not use: it is refused with the list of formats that work.
"""

from __future__ import annotations

import os
from typing import Any

from torchbridge.export.errors import ExportError

__all__ = ["SUPPORTED_FORMATS", "export_model"]

#: Keras's format names, in Keras's order; all but ``tf_saved_model`` work here.
AVAILABLE_FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
SUPPORTED_FORMATS = ("onnx", "openvino", "litert", "torch")


def export_model(
    model: Any,
    filepath: str | os.PathLike[str],
    format: str = "tf_saved_model",
    verbose: bool | None = None,
    input_signature: Any = None,
    **kwargs: Any,
) -> Any:
    """Write ``model``'s inference forward pass in ``format`` (see ``Model.export``)."""
    if format not in AVAILABLE_FORMATS:
        raise ExportError(
            f"Unrecognized format={format}. Supported formats are: {list(SUPPORTED_FORMATS)}."
        )
    if format == "tf_saved_model":
        raise ExportError(
            "format='tf_saved_model' needs TensorFlow, and torchbridge runs on PyTorch only. "
            f"Pass one of {list(SUPPORTED_FORMATS)}: format='onnx' serves with ONNX Runtime, "
            "Triton and KServe (as a SavedModel serves with TF Serving); format='torch' writes "
            "a torch.export .pt2 program."
        )
    if format == "onnx":
        from torchbridge.export.onnx_export import export_onnx

        return export_onnx(model, filepath, verbose, input_signature=input_signature, **kwargs)
    if format == "openvino":
        from torchbridge.export.openvino_export import export_openvino

        return export_openvino(model, filepath, verbose, input_signature=input_signature, **kwargs)
    if format == "litert":
        from torchbridge.export.litert_export import export_litert

        return export_litert(
            model, filepath, verbose=verbose, input_signature=input_signature, **kwargs
        )
    from torchbridge.export.torch_export import export_torch

    return export_torch(model, filepath, verbose=verbose, input_signature=input_signature, **kwargs)
