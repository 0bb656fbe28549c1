"""The ``onnx`` backend: a model's ONNX export run by ONNX Runtime.

:class:`OnnxRunner` wraps an ``onnxruntime.InferenceSession`` on a ``.onnx``
file: its signature comes from the session's inputs/outputs (symbolic
dimensions are free, ``tensor(string)`` inputs take raw text when the export
put the preprocessing in the graph), ``run`` feeds the batch as NumPy arrays.
For an exported TextClassifier, texts its ONNX tokenizer cannot tokenize
exactly (NaN scores) are an :class:`~torchbridge.errors.InputError` (HTTP 400),
never silently different scores.
:func:`load_onnx_runner` takes a ``.onnx`` file, or a saved model / bundle
that it exports first with ``export(path, format="onnx")`` into a temporary
folder. ONNX Runtime (and onnxruntime-extensions, for string operators) is
imported only here; it gets as many intra-op threads as torch has
(``torch.get_num_threads()``), so both backends use the same CPU share.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from torchbridge.errors import InputError
from torchbridge.serving.tensors import TensorSpec

__all__ = ["OnnxRunner", "load_onnx_runner", "ONNX_TYPES"]

#: ONNX Runtime type strings -> NumPy dtype names (or "string").
ONNX_TYPES: dict[str, str] = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "string",
}


def _spec(arg: Any) -> TensorSpec:
    dtype = ONNX_TYPES.get(str(arg.type))
    if dtype is None:
        raise InputError(f"ONNX input/output {arg.name!r} has type {arg.type}, not a tensor.")
    shape = tuple(d if isinstance(d, int) and d >= 0 else None for d in (arg.shape or []))
    return TensorSpec(str(arg.name), dtype, shape)


def _session_options() -> Any:
    import onnxruntime as ort
    import torch

    options = ort.SessionOptions()
    # as many threads as the eager backend uses (torch.set_num_threads / OMP_NUM_THREADS)
    options.intra_op_num_threads = torch.get_num_threads()
    try:  # string pre-processing (tokenizers, regex) lives in the extensions' custom ops
        from onnxruntime_extensions import get_library_path

        options.register_custom_ops_library(get_library_path())
    except ImportError:
        pass
    return options


class OnnxRunner:
    """Serves an ONNX file through ONNX Runtime (CPU)."""

    platform = "onnxruntime_onnx"

    def __init__(
        self,
        path: str | os.PathLike[str],
        labels: list[str] | None = None,
        unverified_is_error: bool = False,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ImportError(
                "--backend onnx needs ONNX Runtime: pip install 'torchbridge[export]'."
            ) from None
        self.path = os.fspath(path)
        self.session = ort.InferenceSession(
            self.path, _session_options(), providers=["CPUExecutionProvider"]
        )
        self.inputs = [_spec(a) for a in self.session.get_inputs()]
        self.outputs = [_spec(a) for a in self.session.get_outputs()]
        self.labels = labels
        self.unverified_is_error = unverified_is_error

    def run(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {}
        for spec in self.inputs:
            value = batch[spec.name]
            feed[spec.name] = value.astype(str) if spec.is_string else value
        values = self.session.run([s.name for s in self.outputs], feed)
        out = {s.name: np.asarray(v) for s, v in zip(self.outputs, values)}
        if self.unverified_is_error:
            # the exported tokenizer marks texts it cannot tokenize exactly with NaN scores
            for output_name, value in out.items():
                bad = np.isnan(value.reshape(len(value), -1)).any(axis=1)
                if bad.any():
                    raise InputError(
                        f"Text {int(np.argmax(bad))} of the request has characters the ONNX "
                        "tokenizer cannot match exactly to the Hugging Face tokenizer; its "
                        f"{output_name!r} would differ. Serve this model with --backend eager."
                    )
        return out


def load_onnx_runner(path: str | os.PathLike[str]) -> OnnxRunner:
    """An :class:`OnnxRunner` for a ``.onnx`` file, or for a saved model/bundle exported first
    (a model by ``model.export(..., format="onnx")``, a TextClassifier bundle by
    :func:`torchbridge.export.onnx_tokenizers.export_text_classifier`: strings in,
    ``probabilities`` out)."""
    path = os.fspath(path)
    if path.endswith(".onnx"):
        return OnnxRunner(path)
    from torchbridge.serving.runner import TextClassifierRunner, load_runner

    eager = load_runner(path, backend="eager")
    folder = tempfile.mkdtemp(prefix="torchbridge-serve-")
    target = os.path.join(folder, "model.onnx")
    if isinstance(eager, TextClassifierRunner):
        try:
            from torchbridge.export.onnx_tokenizers import export_text_classifier
        except ImportError:
            raise InputError(
                "--backend onnx: this torchbridge cannot export a TextClassifier to ONNX yet. "
                "Serve the bundle with --backend eager."
            ) from None
        export_text_classifier(eager.classifier, target)
        return OnnxRunner(target, labels=eager.labels, unverified_is_error=True)
    model: Any = getattr(eager, "model", None)
    if model is None or not hasattr(model, "export"):
        raise InputError(
            f"--backend onnx: {type(model).__name__} has no export(path, format='onnx'). Serve "
            "it with --backend eager, or export it to a .onnx file and serve that file."
        )
    model.export(target, format="onnx", verbose=False)
    return OnnxRunner(target)
