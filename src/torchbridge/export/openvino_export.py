"""``format="openvino"``: OpenVINO IR (``model.xml`` + ``model.bin``) for the OpenVINO runtime.

The model goes through the ONNX exporter (:mod:`.onnx_export`: dynamic batch and
sequence axes, the same input/output names) into a temporary file, which
``openvino.convert_model`` reads; ``openvino.save_model`` writes the IR with float32
weights (OpenVINO's default would round them to float16, which breaks the 1e-5
parity with the eager model; ``compress_to_fp16=True`` asks for it). Raw-string
models are not supported here (OpenVINO has no onnxruntime-extensions string ops).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from torchbridge.export.adapter import prepare
from torchbridge.export.errors import ExportError, missing_dependency

__all__ = ["export_openvino"]


def export_openvino(
    model: Any,
    filepath: str | os.PathLike[str],
    verbose: bool | None = None,
    input_signature: Any = None,
    compress_to_fp16: bool = False,
    **kwargs: Any,
) -> str:
    """Write ``model`` as OpenVINO IR at ``filepath`` (must end in ``.xml``; ``.bin`` beside it)."""
    path = os.fspath(filepath)
    if not path.endswith(".xml"):
        raise ExportError(
            f"The OpenVINO export requires the filepath to end with '.xml'. Got: filepath={path}"
        )
    try:
        import openvino as ov
    except ImportError:
        raise missing_dependency("openvino", "openvino") from None
    from torchbridge.export.onnx_export import export_prepared_onnx
    from torchbridge.export.string_inputs import string_prefix

    split = string_prefix(model, input_signature)
    if split is not None:
        names = ", ".join(name for name, _ in split.string_layers)
        raise ExportError(
            f"format='openvino' cannot take raw strings (inputs {names}): OpenVINO has no "
            "onnxruntime-extensions string operators. Export format='onnx' (strings in), or "
            "export the model after its string layers and run the string layers in Python."
        )
    prepared = prepare(model, input_signature)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = os.path.join(tmp, "model.onnx")
        export_prepared_onnx(prepared, onnx_path, **kwargs)
        ov_model = ov.convert_model(onnx_path)
        ov.save_model(ov_model, path, compress_to_fp16=compress_to_fp16)
    if verbose is None or verbose:
        print(f"Saved OpenVINO IR at '{path}'.")
    return path
