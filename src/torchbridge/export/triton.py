"""A Triton Inference Server (and KServe) model repository around an exported ONNX model.

``write_triton_repository(onnx_path, repository, name)`` lays out::

    repository/
      <name>/
        config.pbtxt       platform onnxruntime_onnx, inputs/outputs with Triton data
                           types and dims, max_batch_size, dynamic_batching
        1/model.onnx       the model (version 1)

The inputs, outputs and dims are read from the ONNX file itself, so the config
always matches the model Triton loads. When every input and output has a dynamic
first axis (the batch), ``max_batch_size`` is set and dims leave the batch out, as
Triton expects; other dynamic axes are ``-1``. A model with a fixed batch gets
``max_batch_size: 0`` and full dims (no dynamic batching).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from torchbridge.export.errors import ExportError

__all__ = ["TritonTensor", "onnx_signature", "triton_config", "write_triton_repository"]

# ONNX TensorProto element types -> Triton's data types (model_config.proto).
_TRITON_TYPES = {
    1: "TYPE_FP32",
    2: "TYPE_UINT8",
    3: "TYPE_INT8",
    4: "TYPE_UINT16",
    5: "TYPE_INT16",
    6: "TYPE_INT32",
    7: "TYPE_INT64",
    8: "TYPE_STRING",
    9: "TYPE_BOOL",
    10: "TYPE_FP16",
    11: "TYPE_FP64",
    12: "TYPE_UINT32",
    13: "TYPE_UINT64",
    16: "TYPE_BF16",
}


@dataclass(frozen=True)
class TritonTensor:
    """One input or output: ``dims`` with ``-1`` for dynamic axes (batch included)."""

    name: str
    data_type: str
    dims: tuple[int, ...]


def _tensors(values: Any, skip: set[str]) -> list[TritonTensor]:
    out = []
    for value in values:
        if value.name in skip:
            continue
        tensor_type = value.type.tensor_type
        data_type = _TRITON_TYPES.get(tensor_type.elem_type)
        if data_type is None:
            raise ExportError(
                f"Triton has no data type for ONNX element type {tensor_type.elem_type} of "
                f"{value.name!r}; export the model with float, integer, bool or string tensors."
            )
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tensor_type.shape.dim)
        out.append(TritonTensor(value.name, data_type, dims))
    return out


def onnx_signature(
    onnx_path: str | os.PathLike[str],
) -> tuple[list[TritonTensor], list[TritonTensor]]:
    """The ``(inputs, outputs)`` of an ONNX file, as Triton sees them."""
    import onnx

    model = onnx.load(os.fspath(onnx_path), load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    return _tensors(model.graph.input, initializers), _tensors(model.graph.output, set())


def _block(kind: str, tensors: list[TritonTensor], batched: bool) -> list[str]:
    lines = [f"{kind} ["]
    for i, t in enumerate(tensors):
        dims = t.dims[1:] if batched else t.dims
        lines += [
            "  {",
            f'    name: "{t.name}"',
            f"    data_type: {t.data_type}",
            f"    dims: [ {', '.join(str(d) for d in dims)} ]",
            "  }" + ("," if i < len(tensors) - 1 else ""),
        ]
    return [*lines, "]"]


def triton_config(
    name: str,
    inputs: list[TritonTensor],
    outputs: list[TritonTensor],
    max_batch_size: int = 32,
    max_queue_delay_microseconds: int = 1000,
) -> str:
    """The text of ``config.pbtxt`` for an ONNX Runtime model."""
    batched = max_batch_size > 0 and all(t.dims and t.dims[0] == -1 for t in [*inputs, *outputs])
    lines = [f'name: "{name}"', 'platform: "onnxruntime_onnx"']
    lines.append(f"max_batch_size: {max_batch_size if batched else 0}")
    lines += _block("input", inputs, batched)
    lines += _block("output", outputs, batched)
    if batched:
        lines += [
            "dynamic_batching {",
            f"  max_queue_delay_microseconds: {max_queue_delay_microseconds}",
            "}",
        ]
    return "\n".join(lines) + "\n"


def write_triton_repository(
    onnx_path: str | os.PathLike[str],
    repository: str | os.PathLike[str],
    name: str,
    max_batch_size: int = 32,
    max_queue_delay_microseconds: int = 1000,
) -> str:
    """Copy ``onnx_path`` to ``repository/name/1/model.onnx`` and write its ``config.pbtxt``;
    returns the model's folder."""
    if not name or "/" in name or name in (".", ".."):
        raise ExportError(f"Triton model name {name!r} must be a plain folder name.")
    inputs, outputs = onnx_signature(onnx_path)
    folder = os.path.join(os.fspath(repository), name)
    os.makedirs(os.path.join(folder, "1"), exist_ok=True)
    shutil.copyfile(os.fspath(onnx_path), os.path.join(folder, "1", "model.onnx"))
    config = triton_config(name, inputs, outputs, max_batch_size, max_queue_delay_microseconds)
    with open(os.path.join(folder, "config.pbtxt"), "w", encoding="utf-8") as f:
        f.write(config)
    return folder
