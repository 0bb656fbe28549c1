"""Input signatures as Keras accepts them (InputSpec, KerasTensor, tensors, shape tuples, dicts),
defaults from the model, and the format errors of model.export."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import torchbridge as keras
from torchbridge.export import ExportError
from torchbridge.export.signature import TensorSpec, resolve_signature


class TwoLayer(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.dense = keras.layers.Dense(2)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(x)


def test_signature_entries_in_every_keras_form() -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    spec = TensorSpec((None, 3), "float32", None)
    assert resolve_signature(model) == [spec]
    forms = [
        [keras.InputSpec(shape=(None, 3), dtype="float32")],
        [keras.Input((3,))],
        [torch.zeros(5, 3)],  # a tensor: its batch size becomes None
        [np.zeros((5, 3), np.float32)],
        [(None, 3)],
        (None, 3),  # one bare shape: the single argument
    ]
    for form in forms:
        assert [s.with_name("x") for s in resolve_signature(model, form)] == [spec.with_name("x")]
    nested = resolve_signature(
        model, [{"ids": keras.InputSpec(shape=(None, 7), dtype="int64"), "mask": (None, 7)}]
    )
    assert nested == [
        {
            "ids": TensorSpec((None, 7), "int64", "ids"),
            "mask": TensorSpec((None, 7), "float32", "mask"),
        }
    ]


def test_default_signature_of_functional_and_subclassed_models() -> None:
    a, b = keras.Input((2,), name="a"), keras.Input((3,), dtype="int32", name="b")
    functional = keras.Model([a, b], keras.layers.Concatenate()([a, keras.ops.cast(b, "float32")]))
    assert resolve_signature(functional) == [
        [TensorSpec((None, 2), "float32", "a"), TensorSpec((None, 3), "int32", "b")]
    ]
    subclassed = TwoLayer()
    with pytest.raises(ExportError, match=r"has never been called.*input_signature"):
        resolve_signature(subclassed)
    subclassed(torch.zeros(4, 5))
    assert resolve_signature(subclassed) == [TensorSpec((None, 5), "float32", None)]


def test_bad_signature_entries_say_what_works() -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ExportError, match=r"Unsupported input_signature entry 'x'.*InputSpec"):
        resolve_signature(model, ["x"])
    with pytest.raises(ExportError, match=r"no shape"):
        resolve_signature(model, [keras.InputSpec(dtype="float32")])


def test_subclassed_model_exports_from_its_first_call(tmp_path: Path) -> None:
    model = TwoLayer()
    model(torch.zeros(4, 5))
    path = tmp_path / "m.pt2"
    model.export(path, format="torch", verbose=False)
    x = torch.randn(3, 5)
    with torch.no_grad():
        got = torch.export.load(path).module()(x)
        torch.testing.assert_close(got, model(x))


def test_format_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ExportError, match=r"needs TensorFlow.*'onnx'"):
        model.export(tmp_path / "saved")  # Keras's default format
    with pytest.raises(ValueError, match=r"Unrecognized format=tflite.*\['onnx'"):
        model.export(tmp_path / "m", format="tflite")
    with pytest.raises(ExportError, match=r"end with '\.xml'"):
        model.export(tmp_path / "m.onnx", format="openvino")
    with pytest.raises(ExportError, match=r"Unsupported arguments.*opset_version"):
        model.export(tmp_path / "m.pt2", format="torch", opset_version=18)
    monkeypatch.setitem(sys.modules, "litert_torch", None)
    with pytest.raises(ImportError, match=r"pip install litert-torch"):
        model.export(tmp_path / "m.tflite", format="litert")
