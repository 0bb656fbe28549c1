"""Model runners: signatures of saved models in every format, eval-mode runs equal to
``model.predict``, and the load errors."""

from __future__ import annotations

import numpy as np
import pytest

import torchbridge as tb
from torchbridge.errors import InputError
from torchbridge.serving import KerasRunner, TensorSpec, load_runner
from torchbridge.serving.errors import RequestError
from torchbridge.serving.tensors import coerce


@pytest.mark.parametrize("suffix", [".keras", ".torchbridge"])
def test_saved_formats_load_with_their_signature(mlp_path, tmp_path, rows, suffix):
    model = tb.load_model(mlp_path)
    path = str(tmp_path / f"m{suffix}")
    model.save(path)
    runner = load_runner(path)
    assert runner.inputs == [TensorSpec("features", "float32", (None, 4))]
    assert runner.outputs == [TensorSpec("probs", "float32", (None, 3))]
    assert runner.platform == "torchbridge_eager" and runner.labels is None
    np.testing.assert_allclose(
        runner.run({"features": rows})["probs"], model.predict(rows, verbose=0), rtol=1e-6
    )


@pytest.mark.slow  # imports TensorFlow
def test_real_keras_h5_and_keras_files_serve_as_keras_predicts(tmp_path, rows):
    keras = pytest.importorskip("keras")
    inp = keras.Input(shape=(4,), name="features")
    out = keras.layers.Dense(3, activation="softmax", name="probs")(
        keras.layers.Dense(5, activation="relu")(inp)
    )
    model = keras.Model(inp, out)
    expected = model.predict(rows, verbose=0)
    for name in ("k.h5", "k.keras"):
        model.save(str(tmp_path / name))
        runner = load_runner(tmp_path / name)
        assert runner.inputs == [TensorSpec("features", "float32", (None, 4))]
        got = runner.run({"features": rows})[runner.outputs[0].name]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_raw_text_model_has_a_string_input(text_path):
    runner = load_runner(text_path)
    assert runner.inputs == [TensorSpec("text", "string", (None, 1))]
    texts = coerce(runner.inputs[0], ["free money", "lunch"])
    assert texts.shape == (2, 1) and texts.dtype == object
    out = runner.run({"text": texts})["scores"]
    expected = tb.load_model(text_path).predict(np.array([["free money"], ["lunch"]]), verbose=0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_load_errors_name_the_fix(tmp_path):
    with pytest.raises(InputError, match="No model at"):
        load_runner(tmp_path / "missing.keras")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InputError, match=r"expected a \.keras"):
        load_runner(tmp_path / "notes.txt")
    with pytest.raises(InputError, match="backend='tpu'"):
        load_runner(tmp_path / "notes.txt", backend="tpu")

    class Bare(tb.Model):
        def call(self, x):
            return x

    with pytest.raises(InputError, match=r"keras\.Input"):
        KerasRunner(Bare())


FLOAT = TensorSpec("x", "float32", (None, 2))
INTS = TensorSpec("ids", "int64", (None, None))
TEXT = TensorSpec("t", "string", (None,))
COERCE_ERRORS = [
    (FLOAT, [[1, 2, 3]], "size 3 on axis 1"),
    (FLOAT, [1, 2], "shape (2,)"),
    (FLOAT, [["a", "b"]], "takes float32 numbers, got str"),
    (FLOAT, [[1, None]], "got NoneType, int"),
    (FLOAT, [[1, 2], [3]], "rectangular"),
    (FLOAT, [], "shape (0,)"),
    (INTS, [[1.5, 2]], "non-integral"),
    (TEXT, [1, 2], "takes strings, got int"),
    (TEXT, [b"\xff"], "not UTF-8"),
]


@pytest.mark.parametrize("spec, value, fragment", COERCE_ERRORS)
def test_coerce_refuses_what_does_not_fit(spec, value, fragment):
    with pytest.raises(RequestError, match=pytest.importorskip("re").escape(fragment)):
        coerce(spec, value)


def test_coerce_converts_what_fits():
    assert coerce(FLOAT, [[1, 2]]).dtype == np.float32
    assert coerce(INTS, [[1.0, 2.0, 3.0]]).dtype == np.int64
    assert coerce(TEXT, [b"caf\xc3\xa9", "x"]).tolist() == ["caf\u00e9", "x"]
    assert FLOAT.describe() == "'x' (float32, shape (None, 2))"


@pytest.mark.slow  # a fresh interpreter imports torch
def test_importing_serving_imports_neither_fastapi_nor_uvicorn():
    import subprocess
    import sys

    code = (
        "import sys, torchbridge; assert 'torchbridge.serving' not in sys.modules; "
        "import torchbridge.serving; "
        "assert not {'fastapi', 'uvicorn', 'starlette', 'onnxruntime'} & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_onnx_file_needs_the_onnx_backend(tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"")
    with pytest.raises(InputError, match="--backend onnx"):
        load_runner(tmp_path / "m.onnx")
