"""``torchbridge export`` and the Triton model repository it writes (config.pbtxt parsed with
Triton's own ModelConfig proto, checked against the exported model's signature)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge as keras
from torchbridge.cli import main as cli_main
from torchbridge.export.triton import TritonTensor, triton_config

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
text_format = pytest.importorskip("google.protobuf.text_format")


def model_config_proto() -> Any:
    """Triton's ModelConfig message (tritonclient ships it; its grpc package needs grpcio)."""
    tritonclient = pytest.importorskip("tritonclient")
    path = Path(tritonclient.__file__).parent / "grpc" / "model_config_pb2.py"
    if not path.exists():
        pytest.skip("tritonclient without model_config_pb2")
    spec = importlib.util.spec_from_file_location("_triton_model_config_pb2", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ModelConfig


@pytest.fixture
def saved_mlp(tmp_path: Path) -> tuple[str, keras.Model]:
    inputs = keras.Input((4,), name="features")
    outputs = keras.layers.Dense(3, activation="softmax", name="scores")(inputs)
    model = keras.Model(inputs, outputs)
    path = os.fspath(tmp_path / "mlp.keras")
    model.save(path)
    return path, model


def test_export_command_writes_onnx_and_a_triton_repository(
    saved_mlp: tuple[str, keras.Model], tmp_path: Path, capsys: Any
) -> None:
    path, model = saved_mlp
    out = os.fspath(tmp_path / "mlp.onnx")
    repo = tmp_path / "repo"
    status = cli_main(["export", path, out, "--format", "onnx", "--triton", os.fspath(repo)])
    assert status == 0, capsys.readouterr().err
    assert sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")) == [
        "mlp",
        "mlp/1",
        "mlp/1/model.onnx",
        "mlp/config.pbtxt",
    ]
    config = text_format.Parse((repo / "mlp" / "config.pbtxt").read_text(), model_config_proto()())
    session = ort.InferenceSession(os.fspath(repo / "mlp" / "1" / "model.onnx"))
    assert config.name == "mlp" and config.platform == "onnxruntime_onnx"
    assert config.max_batch_size == 32 and config.dynamic_batching.max_queue_delay_microseconds
    # the config's tensors are the model's, batch axis left out
    assert (
        [(t.name, list(t.dims)) for t in config.input]
        == [(i.name, i.shape[1:]) for i in session.get_inputs()]
        == [("features", [4])]
    )
    assert (
        [(t.name, list(t.dims)) for t in config.output]
        == [(o.name, o.shape[1:]) for o in session.get_outputs()]
        == [("scores", [3])]
    )
    data_type = config.input[0].DESCRIPTOR.fields_by_name["data_type"].enum_type
    assert data_type.values_by_number[config.input[0].data_type].name == "TYPE_FP32"
    x = np.random.default_rng(0).standard_normal((5, 4), dtype=np.float32)
    want = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(session.run(None, {"features": x})[0], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        ort.InferenceSession(out).run(None, {"features": x})[0], want, rtol=1e-5, atol=1e-5
    )


def test_triton_config_without_a_dynamic_batch_has_no_batching() -> None:
    ModelConfig = model_config_proto()
    text = triton_config(
        "fixed",
        [TritonTensor("x", "TYPE_INT64", (1, -1))],
        [TritonTensor("y", "TYPE_FP32", (1, 2))],
    )
    config = text_format.Parse(text, ModelConfig())
    assert config.max_batch_size == 0 and not config.HasField("dynamic_batching")
    assert list(config.input[0].dims) == [1, -1] and list(config.output[0].dims) == [1, 2]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing.keras", "out.onnx"], "no model file or bundle folder"),
        (["MODEL"], "give OUT"),
        (["MODEL", "out.pt2", "--format", "torch", "--triton", "repo"], "use --format onnx"),
        (["MODEL", "out.onnx", "--format", "tf_saved_model"], "invalid choice"),
        (["MODEL", "out.bin", "--format", "torch"], "end with '.pt2'"),
    ],
    ids=["missing-model", "no-out", "triton-needs-onnx", "unknown-format", "bad-suffix"],
)
def test_export_command_errors_are_one_line(
    argv: list[str], message: str, saved_mlp: tuple[str, keras.Model], tmp_path: Path, capsys: Any
) -> None:
    argv = [saved_mlp[0] if a == "MODEL" else a for a in argv]
    argv = [
        os.fspath(tmp_path / a) if a.startswith(("out.", "repo", "missing")) else a for a in argv
    ]
    assert cli_main(["export", *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_export_command_reads_a_text_classifier_bundle(
    tokenizer: Any, tmp_path: Path, capsys: Any
) -> None:
    transformers = pytest.importorskip("transformers")
    from torchbridge import hf

    config = transformers.BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        num_labels=2,
    )
    bundle = hf.TextClassifier(
        transformers.BertForSequenceClassification(config).eval(), tokenizer, ["ham", "spam"]
    )
    bundle.save(tmp_path / "bundle")
    repo = tmp_path / "repo"
    status = cli_main(["export", os.fspath(tmp_path / "bundle"), "--triton", os.fspath(repo)])
    assert status == 0, capsys.readouterr().err
    config_text = (repo / "bundle" / "config.pbtxt").read_text()
    parsed = text_format.Parse(config_text, model_config_proto()())
    assert sorted((t.name, list(t.dims)) for t in parsed.input) == [
        ("attention_mask", [-1]),
        ("input_ids", [-1]),
    ]
    session = ort.InferenceSession(os.fspath(repo / "bundle" / "1" / "model.onnx"))
    for texts in (["free prize"], ["see you at lunch", "win money now, click here", "ok"]):
        enc = tokenizer(texts, padding=True, return_tensors="np")
        feed = {k: enc[k].astype(np.int64) for k in ("attention_mask", "input_ids")}
        want = bundle.predict_logits(texts)
        np.testing.assert_allclose(session.run(None, feed)[0], want, rtol=1e-5, atol=1e-5)
