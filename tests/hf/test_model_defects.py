"""HFModel defects of issue 19, each checked against transformers' own forward / generate:
ragged predict, -100 in token metrics, multiple-choice and Auto classes as task,
encoder-decoder predict and generate, .keras save/load, DistilBERT without
token_type_ids, ragged rows and fit(collate_fn=)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import transformers

import torchbridge as tb
from torchbridge import hf
from torchbridge.errors import InputError


@pytest.fixture
def token_classifier(tiny_bert_config):
    config = copy.deepcopy(tiny_bert_config)
    config.id2label = {0: "O", 1: "B", 2: "I"}
    config.label2id = {v: k for k, v in config.id2label.items()}
    torch.manual_seed(0)
    return transformers.BertForTokenClassification(config).eval()


def _token_labels(tokenizer, texts):
    """Labels per token (-100 at padding and special tokens), padded per batch of 2."""
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    labels = (enc["input_ids"] % 3).clone()
    special = (enc["input_ids"] == tokenizer.cls_token_id) | (
        enc["input_ids"] == tokenizer.sep_token_id
    )
    labels[(enc["attention_mask"] == 0) | special] = -100
    return dict(enc), labels


# --- 1. ragged predict ----------------------------------------------------------------------------
def test_predict_of_batches_of_different_lengths(tokenizer, token_classifier, corpus):
    texts = corpus[0][:6]
    ds = hf.text_dataset(texts, tokenizer=tokenizer, batch_size=2)
    lengths = {int(b["input_ids"].shape[1]) for b in ds}
    assert len(lengths) > 1  # the batches really differ
    model = hf.wrap(token_classifier)
    rows = model.predict(ds, verbose=0)
    assert isinstance(rows, list) and len(rows) == len(texts)
    with torch.no_grad():
        for i in range(0, len(texts), 2):
            enc = tokenizer(texts[i : i + 2], padding=True, return_tensors="pt")
            expected = token_classifier(**enc).logits.numpy()
            for j in range(len(expected)):
                np.testing.assert_allclose(rows[i + j], expected[j], atol=1e-5)
    padded = model.predict(ds, verbose=0, padding_value=-100.0)
    longest = max(r.shape[0] for r in rows)
    assert padded.shape == (len(texts), longest, 3)
    for i, r in enumerate(rows):
        np.testing.assert_array_equal(padded[i, : r.shape[0]], r)
        assert (padded[i, r.shape[0] :] == -100.0).all()
    # Batches of one length: one array, as before.
    enc = dict(tokenizer(texts, padding=True, return_tensors="pt"))
    assert model.predict(enc, batch_size=2, verbose=0).shape[0] == len(texts)


# --- 2. token accuracy honours -100 and sample weights --------------------------------------------
def test_token_accuracy_skips_ignored_positions(tokenizer, token_classifier, corpus):
    x, labels = _token_labels(tokenizer, corpus[0][:6])
    with torch.no_grad():
        pred = token_classifier(**x).logits.argmax(-1)
    y = torch.where(labels == -100, labels, pred)  # every labelled token right
    model = hf.wrap(token_classifier)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    logs = model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(1.0)
    # A compiled loss that ignores -100, and per-example sample weights.
    y2 = labels  # the (random) labels: some wrong
    w = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.5, 3.0])
    model.compile(
        optimizer="sgd",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100),
        metrics=["accuracy"],
        weighted_metrics=["accuracy"],
    )
    logs = model.evaluate(x, y2, sample_weight=w, batch_size=6, verbose=0, return_dict=True)
    keep = labels != -100
    right = ((pred == y2) & keep).float()
    weights = keep.float() * w[:, None]
    expected = float((right * weights).sum() / weights.sum())
    assert logs["weighted_accuracy"] == pytest.approx(expected, abs=1e-6)
    unweighted = float(right.sum() / keep.sum())
    assert logs["accuracy"] == pytest.approx(unweighted, abs=1e-6)


# --- 3. multiple-choice and Auto classes as task ----------------------------------------------------
def test_multiple_choice_and_auto_classes_as_task(tiny_classifier, tmp_path):
    tiny_classifier.save_pretrained(tmp_path)
    for task in ("multiple-choice", "multiple_choice", transformers.AutoModelForMultipleChoice):
        model = hf.from_pretrained(tmp_path, task=task, ignore_mismatched_sizes=True)
        assert isinstance(model.module, transformers.BertForMultipleChoice)
        assert model.task == "multiple-choice"
    model = hf.from_pretrained(tmp_path, task=transformers.AutoModelForTokenClassification)
    assert model.task == "token-classification"
    model = hf.from_pretrained(tmp_path, task=transformers.BertForMaskedLM)
    assert isinstance(model.module, transformers.BertForMaskedLM)
    with pytest.raises(InputError, match="task must be"):
        hf.from_pretrained(tmp_path, task=3)


# --- 4. encoder-decoder predict and generate ---------------------------------------------------------
def _t5():
    config = transformers.T5Config(
        vocab_size=40, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )  # fmt: skip
    torch.manual_seed(0)
    return transformers.T5ForConditionalGeneration(config).eval()


def _bart():
    config = transformers.BartConfig(
        vocab_size=40, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, max_position_embeddings=32, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=None,
    )  # fmt: skip
    torch.manual_seed(0)
    return transformers.BartForConditionalGeneration(config).eval()


@pytest.mark.parametrize("build", [_t5, _bart], ids=["t5", "bart"])
def test_seq2seq_predict_and_generate(build):
    module = build()
    model = hf.wrap(module)
    ids = torch.tensor([[5, 6, 7, 8, 2], [9, 10, 11, 2, 1]])
    mask = (ids != module.config.pad_token_id).long()
    labels = torch.tensor([[12, 13, 2], [14, 2, -100]])
    with pytest.raises(InputError, match="generate"):
        model.predict({"input_ids": ids, "attention_mask": mask}, verbose=0)
    got = model.predict({"input_ids": ids, "attention_mask": mask, "labels": labels}, verbose=0)
    with torch.no_grad():
        expected = module(input_ids=ids, attention_mask=mask, labels=labels).logits.numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    out = model.generate({"input_ids": ids, "attention_mask": mask}, max_new_tokens=4)
    with torch.no_grad():
        ref = module.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4)
    torch.testing.assert_close(out, ref)
    beams = model.generate(ids.numpy(), max_new_tokens=3, num_beams=2, do_sample=False)
    assert beams.shape[0] == 2


def test_generate_refuses_a_model_without_lm_head(tiny_classifier):
    with pytest.raises(InputError, match="cannot generate"):
        hf.wrap(tiny_classifier).generate(torch.tensor([[2, 5, 3]]))


# --- 5. .keras files ----------------------------------------------------------------------------------
def test_keras_file_and_model_checkpoint_load(tokenizer, token_classifier, corpus, tmp_path):
    x, labels = _token_labels(tokenizer, corpus[0][:6])
    model = hf.wrap(token_classifier)
    model.compile(optimizer="adamw", metrics=["accuracy"])
    pattern = str(tmp_path / "ckpt_{epoch}.keras")
    model.fit(x, labels, epochs=2, batch_size=3, verbose=0,
              callbacks=[tb.callbacks.ModelCheckpoint(pattern)])  # fmt: skip
    model.save(tmp_path / "x.keras")
    expected = model.predict(x, verbose=0)
    for path in (tmp_path / "x.keras", tmp_path / "ckpt_2.keras"):
        loaded = tb.models.load_model(path)
        assert isinstance(loaded, hf.HFModel)
        assert type(loaded.module) is transformers.BertForTokenClassification
        assert loaded.compiled
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5)
        assert loaded.get_config()["architecture"] == "BertForTokenClassification"
    assert (tmp_path / "ckpt_1.keras").exists()


@pytest.mark.slow
def test_keras_file_loads_in_a_process_that_never_imported_hf(token_classifier, tmp_path):
    model = hf.wrap(token_classifier)
    model.save(tmp_path / "x.keras")
    code = (
        "import sys, torchbridge as tb\n"
        f"m = tb.models.load_model({str(tmp_path / 'x.keras')!r})\n"
        "print(type(m).__name__, type(m.module).__name__)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["HFModel", "BertForTokenClassification"], out.stderr


# --- 6. DistilBERT with a tokenizer that emits token_type_ids ----------------------------------------
def test_distilbert_text_classifier_drops_token_type_ids(tokenizer, corpus):
    tokenizer = copy.deepcopy(tokenizer)
    tokenizer.model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    assert "token_type_ids" in tokenizer(["a b"])
    config = transformers.DistilBertConfig(
        vocab_size=len(tokenizer), dim=16, n_layers=1, n_heads=2, hidden_dim=32,
        max_position_embeddings=64, num_labels=2,
    )  # fmt: skip
    torch.manual_seed(0)
    module = transformers.DistilBertForSequenceClassification(config)
    clf = hf.TextClassifier(hf.wrap(module), tokenizer, label_names=["ham", "spam"])
    clf.compile()
    texts, labels = corpus
    history = clf.fit(texts, labels, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert len(clf.predict(texts[:2])) == 2


# --- 7. ragged rows and fit(collate_fn=) --------------------------------------------------------------
def test_ragged_multiple_choice_rows(tokenizer, tiny_bert_config, corpus):
    texts = corpus[0]
    rows = {"input_ids": [], "attention_mask": []}
    for i in range(6):  # 3 choices of different lengths per question
        enc = tokenizer([texts[i]] * 3, [texts[(i + k) % len(texts)] for k in range(1, 4)])
        rows["input_ids"].append(enc["input_ids"])
        rows["attention_mask"].append(enc["attention_mask"])
    y = [0, 1, 2, 0, 1, 2]
    torch.manual_seed(0)
    module = transformers.BertForMultipleChoice(tiny_bert_config)
    model = hf.wrap(module)
    model.compile(optimizer="adamw", metrics=["accuracy"])
    history = model.fit(rows, y, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    logits = model.predict(rows, batch_size=4, verbose=0)
    assert logits.shape == (6, 3)
    # Equal to the model on a hand-padded batch of the first two questions.
    module.eval()
    width = max(len(c) for q in rows["input_ids"][:4] for c in q)
    ids = torch.zeros(4, 3, width, dtype=torch.long)
    mask = torch.zeros(4, 3, width, dtype=torch.long)
    for i in range(4):
        for c in range(3):
            n = len(rows["input_ids"][i][c])
            ids[i, c, :n] = torch.tensor(rows["input_ids"][i][c])
            mask[i, c, :n] = 1
    with torch.no_grad():
        expected = module(input_ids=ids, attention_mask=mask).logits.numpy()
    np.testing.assert_allclose(logits[:4], expected, atol=1e-5)
    bad = {"input_ids": [rows["input_ids"][0], rows["input_ids"][1][:2]],
           "attention_mask": [rows["attention_mask"][0], rows["attention_mask"][1][:2]]}  # fmt: skip
    with pytest.raises(InputError, match="number of choices"):
        model.fit(bad, [0, 1], verbose=0)


def test_fit_with_collate_fn_equals_default_padding(tokenizer, token_classifier, corpus):
    texts = corpus[0][:6]
    enc = tokenizer(texts)
    rows = [
        {"input_ids": ids, "attention_mask": m, "labels": [t % 3 for t in ids]}
        for ids, m in zip(enc["input_ids"], enc["attention_mask"], strict=True)
    ]
    collator = transformers.DataCollatorForTokenClassification(tokenizer)
    for m in token_classifier.modules():  # no dropout: the runs are deterministic
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    results = []
    for collate_fn in (collator, None):
        module = copy.deepcopy(token_classifier)
        model = hf.wrap(module)
        model.compile(optimizer="sgd")
        torch.manual_seed(0)
        h = model.fit(rows, batch_size=3, epochs=2, shuffle=False, verbose=0, collate_fn=collate_fn)
        results.append(h.history["loss"])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
    assert model.evaluate(rows, batch_size=3, verbose=0, collate_fn=collator) > 0
    # A datasets.Dataset goes through prepare_dataset with the collator: same losses.
    import datasets

    module = copy.deepcopy(token_classifier)
    model = hf.wrap(module)
    model.compile(optimizer="sgd")
    torch.manual_seed(0)
    ds = datasets.Dataset.from_list(rows)
    h = model.fit(ds, batch_size=3, epochs=2, shuffle=False, verbose=0, collate_fn=collator)
    np.testing.assert_allclose(h.history["loss"], results[0], rtol=1e-5)
