"""model.export parity: ONNX Runtime, torch.export (.pt2) and OpenVINO outputs equal the eager
model's within 1e-5, at two batch sizes (and two sequence lengths for sequence models)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge as keras
from torchbridge import layers
from torchbridge.export import ExportError

from .export_models import BUILDERS, TOL, convnet, feed, transformer_block

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

SIZES = [(1, 5), (4, 9)]  # (batch, sequence length): both vary between the two runs
SUFFIX = {"onnx": ".onnx", "torch": ".pt2", "openvino": ".xml"}


def run_artifact(fmt: str, path: str, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    if fmt == "onnx":
        import onnxruntime as ort

        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        return list(session.run(None, inputs))
    if fmt == "torch":
        program = torch.export.load(path).module()
        with torch.no_grad():
            out = program(*[torch.from_numpy(v) for v in inputs.values()])
        return [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]
    import openvino as ov

    # OpenVINO's CPU plugin runs in bf16 on CPUs that have it unless asked for f32.
    compiled = ov.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    result = compiled(list(inputs.values()))
    return [np.asarray(result[out]) for out in compiled.outputs]


def check_parity(model: Any, fmt: str, path: str, name: str, sizes: list[tuple[int, int]]) -> None:
    rng = np.random.default_rng(0)
    for batch, length in sizes:
        inputs = feed(name, rng, batch, length)
        want = model(*[torch.from_numpy(v) for v in inputs.values()]).detach().numpy()
        (got,) = run_artifact(fmt, path, inputs)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, **TOL)


FAST = {("mlp", "torch")}  # an ONNX export takes seconds: test_command covers one
CASES = [
    pytest.param(
        name, fmt, marks=() if (name, fmt) in FAST else pytest.mark.slow, id=f"{name}-{fmt}"
    )
    for name in BUILDERS
    for fmt in ("onnx", "torch", "openvino")
]


def export(model: Any, path: str, fmt: str) -> None:
    model.export(path, format=fmt, verbose=False)


@pytest.mark.parametrize("name, fmt", CASES)
def test_exported_outputs_equal_eager(name: str, fmt: str, tmp_path: Any) -> None:
    if fmt == "openvino":
        pytest.importorskip("openvino")
    model = BUILDERS[name]()
    path = os.fspath(tmp_path / f"model{SUFFIX[fmt]}")
    if (name, fmt) == ("bilstm", "torch"):
        # torch.export unrolls the LSTM over the traced steps: the sequence axis is
        # fixed at the traced length (16) and the export says so; the batch stays free.
        with pytest.warns(UserWarning, match=r"steps\[axis 1\]"):
            export(model, path, fmt)
        check_parity(model, fmt, path, name, [(1, 16), (4, 16)])
        return
    export(model, path, fmt)
    check_parity(model, fmt, path, name, SIZES)


def test_export_leaves_the_model_mode_alone(tmp_path: Any) -> None:
    model = convnet()  # BatchNormalization: training mode would change the outputs
    model.export(os.fspath(tmp_path / "m.pt2"), format="torch", verbose=False)
    assert "_mode_chosen" not in model.__dict__ and model.training  # nn.Module's default
    x = torch.ones(2, 12, 12, 3)
    before = {n: b.clone() for n, b in model.named_buffers()}
    model(x)  # a direct call is still inference: the moving statistics do not move
    assert all(torch.equal(before[n], b) for n, b in model.named_buffers())


@pytest.mark.slow
def test_onnx_axes_are_dynamic_and_named(tmp_path: Any) -> None:
    import onnxruntime as ort

    path = os.fspath(tmp_path / "block.onnx")
    export(transformer_block(), path, "onnx")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    assert (inp.name, inp.shape, inp.type) == (
        "tokens",
        ["batch", "tokens_dim_1", 16],
        "tensor(float)",
    )
    assert session.get_outputs()[0].shape == ["batch", 2]


@torch.library.custom_op("tb_export_test::twice", mutates_args=())
def _twice(x: torch.Tensor) -> torch.Tensor:
    return x * 2


@_twice.register_fake
def _twice_fake(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x)


class Twice(layers.Layer):
    def call(self, x: torch.Tensor) -> torch.Tensor:
        return _twice(x)


@pytest.mark.slow
def test_onnx_export_names_the_operator_it_cannot_translate(tmp_path: Any) -> None:
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, Twice()(inputs))
    with pytest.raises(ExportError, match=r"cannot translate operator torch\.ops\.tb_export_test"):
        model.export(os.fspath(tmp_path / "m.onnx"), format="onnx", verbose=False)
    # the same model exports as a torch.export program, which keeps the custom op
    model.export(os.fspath(tmp_path / "m.pt2"), format="torch", verbose=False)
    x = torch.randn(2, 3)
    torch.testing.assert_close(torch.export.load(tmp_path / "m.pt2").module()(x), x * 2)
