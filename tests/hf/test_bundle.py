"""torchbridge.hf.TextClassifier: fit/evaluate on raw texts (checked against a hand-written torch
loop), pipeline-like predictions (checked against transformers.pipeline on the saved directory),
saving that plain transformers loads, reloading, and the bad-input errors."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import transformers

import torchbridge as tb
from torchbridge.errors import InputError, NotCompiledError, SavedFormatError
from torchbridge.hf.bundle import METADATA_FILE, TextClassifier

EXTRA = ["i love deep learning", "claim your free prize now", "see you at the meeting"]


@pytest.fixture
def classifier(tiny_bert_config):
    config = copy.deepcopy(tiny_bert_config)
    config.hidden_dropout_prob = 0.0
    config.attention_probs_dropout_prob = 0.0
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(config)


@pytest.fixture
def clf(classifier, tokenizer):
    return TextClassifier(classifier, tokenizer, label_names=["ham", "spam"])


def _pipeline(directory):
    return transformers.pipeline(
        "text-classification", model=str(directory), tokenizer=str(directory)
    )


# --- prediction --------------------------------------------------------------------------------
def test_predict_logits_equal_transformers_forward(clf, classifier, tokenizer, corpus):
    texts = corpus[0] + EXTRA
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    classifier.eval()
    with torch.no_grad():
        expected = classifier(**enc).logits.numpy()
    got = clf.predict_logits(texts, batch_size=3)  # batches of similar lengths, other padding
    np.testing.assert_allclose(got, expected, atol=1e-5)
    probs = clf.predict_proba(texts)
    np.testing.assert_allclose(
        probs, torch.softmax(torch.from_numpy(expected), -1).numpy(), atol=1e-5
    )
    assert classifier.training is False  # the mode is restored (eval before, eval after)


def test_predict_restores_train_mode_and_records_no_gradient(clf, classifier):
    classifier.train()
    clf.predict(EXTRA)
    assert classifier.training is True
    assert all(p.grad is None for p in classifier.parameters())


def _assert_same(got, expected):
    assert [r["label"] for r in got] == [r["label"] for r in expected]
    assert [r["score"] for r in got] == pytest.approx([r["score"] for r in expected], abs=1e-6)


def test_predict_output_forms(clf):
    one = clf.predict(EXTRA)
    assert len(one) == 3 and set(one[0]) == {"label", "score"}
    assert all(r["label"] in ("ham", "spam") for r in one)
    every = clf.predict(EXTRA, top_k=None)
    assert [len(r) for r in every] == [2, 2, 2]
    for best, ranked in zip(one, every):
        assert ranked[0] == best
        assert ranked[0]["score"] >= ranked[1]["score"]
        assert abs(sum(r["score"] for r in ranked) - 1.0) < 1e-6
    # A text alone is batched differently (padding), so its scores agree to float rounding.
    _assert_same(clf.predict("i love deep learning"), one[:1])  # a single string: a list of one
    _assert_same(clf.predict("i love deep learning", top_k=None), every[0])  # its ranked list
    assert clf.predict(EXTRA, top_k=1) == one and clf(EXTRA) == one
    raw = clf.predict(EXTRA, function_to_apply="none", top_k=None)
    logits = clf.predict_logits(EXTRA)
    assert raw[0][0]["score"] == pytest.approx(float(logits[0].max()), abs=1e-6)


def test_saved_directory_loads_in_plain_transformers_and_matches_pipeline(clf, corpus, tmp_path):
    texts = corpus[0] + EXTRA
    clf.save(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "config.json").exists()
    model = transformers.AutoModelForSequenceClassification.from_pretrained(tmp_path)
    assert model.config.id2label == {0: "ham", 1: "spam"}
    assert model.config.label2id == {"ham": 0, "spam": 1}
    tok = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert tok(texts[0])["input_ids"] == clf.tokenizer(texts[0])["input_ids"]
    assert tok.model_max_length == clf.max_length == 64
    meta = json.loads((tmp_path / METADATA_FILE).read_text())
    assert meta["format_version"] == 1 and meta["label_names"] == ["ham", "spam"]
    assert meta["max_length"] == 64

    expected = _pipeline(tmp_path)(texts, top_k=None)
    got = clf.predict(texts, top_k=None)
    for g, e in zip(got, expected):
        assert [r["label"] for r in g] == [r["label"] for r in e]
        np.testing.assert_allclose([r["score"] for r in g], [r["score"] for r in e], atol=1e-5)
    legacy = _pipeline(tmp_path)(texts)  # pipeline's default: the best label per text
    assert [r["label"] for r in clf.predict(texts)] == [r["label"] for r in legacy]


def test_reload_gives_identical_predictions(clf, corpus, tmp_path):
    texts = corpus[0] + EXTRA
    clf.compile(optimizer=tb.optimizers.SGD(0.5))
    clf.fit(texts[:8], corpus[1], epochs=2, batch_size=4, verbose=0)
    clf.save(tmp_path)
    restored = TextClassifier.load(tmp_path)
    assert restored.label_names == ["ham", "spam"] and restored.max_length == clf.max_length
    np.testing.assert_array_equal(restored.predict_logits(texts), clf.predict_logits(texts))
    assert restored.predict(texts, top_k=None) == clf.predict(texts, top_k=None)


def test_load_plain_hugging_face_directory(classifier, tokenizer, tmp_path):
    classifier.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded = TextClassifier.load(tmp_path)
    assert loaded.label_names == ["ham", "spam"]  # from the config's id2label
    assert loaded.max_length == 64  # the tokenizer's model_max_length
    reference = TextClassifier(classifier, tokenizer)
    np.testing.assert_array_equal(loaded.predict_logits(EXTRA), reference.predict_logits(EXTRA))


def test_load_refuses_newer_format(clf, tmp_path):
    clf.save(tmp_path)
    meta = json.loads((tmp_path / METADATA_FILE).read_text())
    meta["format_version"] = 99
    (tmp_path / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(SavedFormatError, match="Upgrade torchbridge"):
        TextClassifier.load(tmp_path)
    with pytest.raises(InputError, match="not a directory"):
        TextClassifier.load(tmp_path / "missing")


def test_from_pretrained_adds_a_head_to_a_bare_encoder(tiny_bert_config, tokenizer, tmp_path):
    torch.manual_seed(0)
    transformers.BertModel(tiny_bert_config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    built = TextClassifier.from_pretrained(
        tmp_path, label_names=["neg", "neutral", "pos"], max_length=32
    )
    assert built.num_labels == 3 and built.config.id2label[2] == "pos"
    assert built.max_length == 32
    assert built.predict_logits(EXTRA).shape == (3, 3)


# --- training -----------------------------------------------------------------------------------
def _hand_loop(module, tokenizer, texts, labels, *, epochs, batch_size, lr):
    """Plain PyTorch: same batches (no shuffle), each padded to its longest text, SGD,
    the model's own loss; Keras's epoch loss (batch-size weighted mean)."""
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    y = torch.tensor(labels)
    module.train()
    history = []
    for _ in range(epochs):
        total = 0.0
        for i in range(0, len(texts), batch_size):
            enc = tokenizer(texts[i : i + batch_size], padding=True, return_tensors="pt")
            loss = module(**enc, labels=y[i : i + batch_size]).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(enc["input_ids"])
        history.append(total / len(texts))
    return history


def test_fit_on_raw_texts_matches_hand_written_loop(classifier, tokenizer, corpus):
    texts, labels = corpus
    reference = copy.deepcopy(classifier)
    expected = _hand_loop(reference, tokenizer, texts, labels, epochs=3, batch_size=3, lr=0.5)
    clf = TextClassifier(classifier, tokenizer)
    clf.compile(optimizer=tb.optimizers.SGD(0.5))
    history = clf.fit(texts, labels, epochs=3, batch_size=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5)
    for p, q in zip(classifier.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-4)


def test_string_labels_train_like_class_ids(classifier, tokenizer, corpus):
    texts, labels = corpus
    twin = copy.deepcopy(classifier)
    by_id = TextClassifier(classifier, tokenizer, label_names=["ham", "spam"])
    by_name = TextClassifier(twin, tokenizer, label_names=["ham", "spam"])
    for c in (by_id, by_name):
        c.compile(optimizer=tb.optimizers.SGD(0.5))
    names = np.array(["ham", "spam"], dtype=object)[labels]
    a = by_id.fit(texts, labels, epochs=2, batch_size=4, shuffle=False, verbose=0)
    b = by_name.fit(texts, names, epochs=2, batch_size=4, shuffle=False, verbose=0)
    assert a.history["loss"] == b.history["loss"]


def test_validation_split_evaluate_and_metrics(clf, corpus):
    texts, labels = corpus
    clf.compile(optimizer=tb.optimizers.SGD(0.5), metrics=["accuracy"])
    history = clf.fit(texts, labels, epochs=2, batch_size=2, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # Keras's split: the last 25% (2 texts) are held out; evaluating them gives val_* again.
    result = clf.evaluate(texts[6:], labels[6:], verbose=0, return_dict=True)
    assert result["loss"] == pytest.approx(history.history["val_loss"][-1], rel=1e-6)
    logits = clf.predict_logits(texts[6:])
    manual = F.cross_entropy(torch.from_numpy(logits), torch.tensor(labels[6:])).item()
    assert result["loss"] == pytest.approx(manual, rel=1e-5)
    assert result["accuracy"] == np.mean(logits.argmax(-1) == np.array(labels[6:]))
    with_data = clf.fit(
        texts[:6], labels[:6], epochs=1, validation_data=(texts[6:], labels[6:]), verbose=0
    )
    assert "val_accuracy" in with_data.history


def test_class_weight_weights_the_keras_loss(clf, corpus):
    texts, labels = corpus
    clf.compile(
        optimizer=tb.optimizers.SGD(0.0),  # no update: the epoch loss is the weighted loss
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    weights = {0: 0.25, 1: 2.0}
    history = clf.fit(
        texts, labels, epochs=1, batch_size=8, shuffle=False, class_weight=weights, verbose=0
    )
    # Keras: mean over the batch of weight * per-sample loss.
    per_sample = F.cross_entropy(
        torch.from_numpy(clf.predict_logits(texts)), torch.tensor(labels), reduction="none"
    )
    w = torch.tensor([weights[v] for v in labels])
    assert history.history["loss"][0] == pytest.approx((w * per_sample).mean().item(), rel=1e-5)
    clf.compile(optimizer=tb.optimizers.SGD(0.0))  # the model's own loss cannot weight samples
    with pytest.raises(InputError, match="need a compiled loss"):
        clf.fit(texts, labels, class_weight=weights, verbose=0)


def test_bucketing_and_dataset_inputs(clf, tokenizer, corpus):
    texts, labels = corpus
    clf.compile(optimizer=tb.optimizers.SGD(0.1), metrics=["accuracy"])
    history = clf.fit(texts * 4, labels * 4, epochs=2, batch_size=4, bucket=True, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    # Pre-tokenized pipelines go straight to the model.
    ds = clf.text_dataset(texts, labels, batch_size=4)
    assert clf.evaluate(ds, verbose=0) == pytest.approx(
        clf.evaluate(texts, labels, batch_size=4, verbose=0), rel=1e-6
    )


def test_hugging_face_dataset_input(clf, corpus):
    import datasets

    texts, labels = corpus
    ds = datasets.Dataset.from_dict({"text": texts, "label": labels})
    clf.compile(optimizer=tb.optimizers.SGD(0.1))
    expected = clf.evaluate(texts, labels, batch_size=4, verbose=0)
    assert clf.evaluate(ds, batch_size=4, verbose=0) == pytest.approx(expected, rel=1e-6)


# --- bad input ----------------------------------------------------------------------------------
def test_errors_name_the_fix(clf, corpus, tokenizer, tiny_bert_config):
    texts, labels = corpus
    with pytest.raises(NotCompiledError, match="compile"):
        clf.fit(texts, labels)
    clf.compile(optimizer=tb.optimizers.SGD(0.1))
    with pytest.raises(InputError, match="no labels"):
        clf.fit(texts, verbose=0)
    with pytest.raises(InputError, match="needs texts"):
        clf.fit(None, labels)
    with pytest.raises(InputError, match="4 texts but 8 labels"):
        clf.fit(texts[:4], labels, verbose=0)
    with pytest.raises(InputError, match="not one of the label names"):
        clf.fit(texts, ["ham"] * 7 + ["eggs"], verbose=0)
    with pytest.raises(InputError, match=r"outside the classes 0\.\.1"):
        clf.fit(texts, [0] * 7 + [5], verbose=0)
    with pytest.raises(InputError, match="every text needs a label"):
        clf.fit(texts, [0] * 7 + [None], verbose=0)
    with pytest.raises(InputError, match="not a string"):
        clf.predict(["fine", None])
    with pytest.raises(InputError, match="no texts"):
        clf.predict(None)
    with pytest.raises(InputError, match="top_k"):
        clf.predict(texts, top_k=0)
    with pytest.raises(InputError, match="one name per class"):
        TextClassifier(clf.model, tokenizer, label_names=["a", "b", "c"])
    with pytest.raises(InputError, match="max_position_embeddings"):
        TextClassifier(clf.model, tokenizer, max_length=1000)
    small = copy.deepcopy(tiny_bert_config)
    small.vocab_size = 10
    with pytest.raises(InputError, match="resize_token_embeddings"):
        TextClassifier(transformers.BertForSequenceClassification(small), tokenizer)
    with pytest.raises(InputError, match="sequence-classification"):
        TextClassifier(transformers.BertForMaskedLM(tiny_bert_config), tokenizer)
    # A text longer than max_length with truncation off.
    strict = TextClassifier(clf.model, tokenizer, max_length=8, truncation=False)
    with pytest.raises(InputError, match="truncation"):
        strict.predict([" ".join(["prize"] * 20)])
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def test_default_compile_is_adamw_without_decay_on_biases_and_norms(clf, classifier, corpus):
    clf.compile(metrics=["accuracy"])
    clf.fit(*corpus, epochs=1, batch_size=4, verbose=0)
    groups = clf.model.optimizer.torch_optimizer.param_groups
    assert all(g["lr"] == pytest.approx(5e-5) for g in groups)
    decayed = {id(p) for g in groups if g["weight_decay"] > 0 for p in g["params"]}
    for name, p in classifier.named_parameters():
        no_decay = name.endswith("bias") or "LayerNorm" in name
        assert (id(p) not in decayed) == no_decay, name
