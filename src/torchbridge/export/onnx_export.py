"""``format="onnx"``: one ``.onnx`` file that ONNX Runtime runs, dynamic batch and sequence axes.

The model is traced by ``torch.export`` (:mod:`.tracing`) and translated by torch's
dynamo ONNX exporter at torch's default opset (18; ``opset_version=`` to choose),
then optimised by onnxscript. Inputs are named after the signature (``Input`` names,
dict keys, else ``input_<i>``), outputs after the model's ``output_names``.

When tracing fixes a ``None`` dimension (torch unrolls an LSTM over the traced time
steps), the TorchScript exporter — which writes ONNX's own ``LSTM``/``GRU`` loops —
gets a try with every ``None`` axis dynamic; its file is kept only if ONNX Runtime
reproduces the eager outputs at other sizes. Otherwise the dynamo file is kept with
those dimensions fixed, and a warning names them.

A model whose first layers take strings is split where the numbers start: the
numeric rest is exported here, and the string layers are prepended as an
onnxruntime-extensions graph by :mod:`.onnx_strings` (see :mod:`.string_inputs`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import warnings
from typing import Any

import numpy as np
import torch

from torchbridge.export.adapter import Prepared, prepare
from torchbridge.export.errors import ExportError, missing_dependency
from torchbridge.export.signature import SAMPLE_BATCH, TensorSpec
from torchbridge.export.torch_export import fixed_dims_message
from torchbridge.export.tracing import failing_operator, quiet, trace_program

__all__ = ["export_onnx", "export_prepared_onnx"]


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise missing_dependency("onnx", "onnx", "'torchbridge[export]'") from None


def _dynamo_export(prepared: Prepared, program: Any, path: str, opset_version: int | None) -> None:
    try:
        with quiet(), contextlib.redirect_stdout(io.StringIO()):
            onnx_program = torch.onnx.export(
                program,
                tuple(prepared.samples),
                dynamo=True,
                input_names=prepared.input_names,
                output_names=prepared.output_names,
                opset_version=opset_version,
                optimize=True,
                verbose=False,
            )
            assert onnx_program is not None
            onnx_program.save(path)
    except ExportError:
        raise
    except Exception as exc:  # the translator raises several unrelated types
        op = failing_operator(exc)
        where = f" operator {op}" if op else " an operator"
        raise ExportError(
            f"ONNX export failed: torch's ONNX exporter cannot translate{where} "
            f"({_innermost_line(exc)}). Export with format='torch' (a .pt2 torch.export "
            "program) instead, or replace the layer that uses it."
        ) from exc


def _innermost_line(exc: BaseException) -> str:
    """``Type: first line`` of the deepest cause (torch wraps the reason in step banners)."""
    inner = exc
    while inner.__cause__ is not None and inner.__cause__ is not inner:
        inner = inner.__cause__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(inner)).strip()
    return f"{type(inner).__name__}: {text.splitlines()[0] if text else ''}"[:300]


def _probe_inputs(specs: list[TensorSpec], other: int) -> list[np.ndarray]:
    """Inputs at sizes other than the traced ones (batch 3, other free dims ``other + 3``)."""
    rng = np.random.default_rng(0)
    out = []
    for spec in specs:
        shape = tuple(
            (SAMPLE_BATCH + 1 if i == 0 else other + 3) if d is None else d
            for i, d in enumerate(spec.shape)
        )
        if spec.dtype.startswith("float"):
            out.append(rng.standard_normal(shape).astype(spec.dtype))
        elif "mask" in (spec.name or "") or spec.dtype == "bool":
            out.append(np.ones(shape, dtype=spec.dtype))
        else:
            out.append(np.zeros(shape, dtype=spec.dtype))
    return out


def _torchscript_export(prepared: Prepared, path: str, opset_version: int | None) -> bool:
    """The TorchScript exporter with every ``None`` axis dynamic; True if ONNX Runtime
    reproduces the eager outputs at untraced sizes."""
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    axes = {
        name: {
            a: ("batch" if a == 0 else f"{name}_dim_{a}")
            for a, d in enumerate(s.shape)
            if d is None
        }
        for name, s in zip(prepared.input_names, prepared.specs)
    }
    module = prepared.module
    try:
        with quiet(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation and RNN notes
            torch.onnx.export(
                module,
                tuple(prepared.samples),
                path,
                dynamo=False,
                input_names=prepared.input_names,
                output_names=prepared.output_names,
                dynamic_axes={k: v for k, v in axes.items() if v},
                opset_version=opset_version or 18,
                do_constant_folding=True,
            )
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        probes = _probe_inputs(prepared.specs, prepared.sample_other)
        got = session.run(None, dict(zip(prepared.input_names, probes)))
        with torch.no_grad():
            want = module(*[torch.from_numpy(p) for p in probes])
        want_list = [want] if isinstance(want, torch.Tensor) else list(want)
        return len(got) == len(want_list) and all(
            g.shape == tuple(w.shape) and np.allclose(g, w.numpy(), atol=1e-4, rtol=1e-4)
            for g, w in zip(got, want_list)
        )
    except Exception:  # any failure here means: keep the dynamo file
        return False


def _name_dims(path: str, prepared: Prepared) -> None:
    """Give the dynamic axes readable names: ``batch`` and ``<input>_dim_<axis>`` (the
    exporters write ``s39``-style symbols), everywhere the same symbol appears."""
    import onnx

    model = onnx.load(path)
    rename: dict[str, str] = {}
    for value in model.graph.input:
        spec = dict(zip(prepared.input_names, prepared.specs)).get(value.name)
        if spec is None:
            continue
        for axis, dim in enumerate(value.type.tensor_type.shape.dim):
            if dim.dim_param and dim.dim_param not in rename:
                rename[dim.dim_param] = "batch" if axis == 0 else f"{value.name}_dim_{axis}"
    if not rename:
        return
    for value in [*model.graph.input, *model.graph.output, *model.graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in rename:
                dim.dim_param = rename[dim.dim_param]
    onnx.save(model, path)


def export_prepared_onnx(
    prepared: Prepared, path: str, opset_version: int | None = None, **export_kwargs: Any
) -> list[tuple[str, int]]:
    """Write ``prepared`` to ``path``; returns the ``(input, axis)`` pairs left static."""
    _require_onnx()
    traced = trace_program(
        prepared.module, prepared.specs, prepared.samples, prepared.input_names, **export_kwargs
    )
    if traced.fixed:
        with tempfile.TemporaryDirectory() as tmp:
            candidate = os.path.join(tmp, "model.onnx")
            if _torchscript_export(prepared, candidate, opset_version):
                with open(candidate, "rb") as src, open(path, "wb") as dst:
                    dst.write(src.read())
                _name_dims(path, prepared)
                return []
    _dynamo_export(prepared, traced.program, path, opset_version)
    _name_dims(path, prepared)
    message = fixed_dims_message(traced, "onnx")
    if message:
        warnings.warn(message, stacklevel=3)
    return traced.fixed


def export_onnx(
    model: Any,
    filepath: str | os.PathLike[str],
    verbose: bool | None = None,
    input_signature: Any = None,
    opset_version: int | None = None,
    **kwargs: Any,
) -> str:
    """Write ``model``'s inference forward pass to ``filepath`` as ONNX (see the module doc)."""
    from torchbridge.export.string_inputs import export_string_model, string_prefix

    path = os.fspath(filepath)
    split = string_prefix(model, input_signature)
    if split is not None:
        export_string_model(model, split, path, opset_version=opset_version, **kwargs)
    else:
        prepared = prepare(model, input_signature)
        export_prepared_onnx(prepared, path, opset_version=opset_version, **kwargs)
    if verbose is None or verbose:
        print(f"Saved artifact at '{path}'.")
    return path
