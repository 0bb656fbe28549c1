"""``keras.export`` on torch: ``model.export`` formats and ``ExportArchive``.

One module per target, imported only when its format is asked for (the exporters'
packages — onnx, onnxscript, openvino, litert-torch — are optional):

* :mod:`.model_export` — ``export_model``, what ``Model.export(filepath, format=...)`` runs;
* :mod:`.onnx_export` (``"onnx"``), :mod:`.torch_export` (``"torch"``, a ``.pt2``),
  :mod:`.openvino_export` (``"openvino"``), :mod:`.litert_export` (``"litert"``);
* :mod:`.archive` — ``ExportArchive``: several endpoints, one file each, and a manifest;
* :mod:`.signature` (input signatures), :mod:`.adapter` (a model as flat tensors in
  and out), :mod:`.tracing` (torch.export with dynamic axes);
* :mod:`.string_inputs` — raw-string models: string layers before the numeric graph;
* :mod:`.triton` — a Triton model repository around an ONNX export;
  :mod:`.command` — ``torchbridge export``.
"""

from __future__ import annotations

from torchbridge.export.archive import ExportArchive
from torchbridge.export.errors import ExportError
from torchbridge.export.model_export import SUPPORTED_FORMATS, export_model

__all__ = ["ExportArchive", "ExportError", "SUPPORTED_FORMATS", "export_model"]
