"""torchbridge.hf.TextClassifier beyond single-label classification: multi-label
(problem_type="multi_label_classification"), regression (one output) and sentence pairs.

Each on a tiny BERT built in the test: the loss is the one transformers computes for the
problem type, the model learns synthetic data, the saved folder loads in
transformers.pipeline("text-classification") with equal outputs and back with
TextClassifier.load, pairs are tokenized as the tokenizer tokenizes pairs, and bad rows
raise an InputError naming the row and the field before any step."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import transformers

import torchbridge as tb
from torchbridge.errors import InputError
from torchbridge.hf import TextClassifier

TOPICS = ["money", "work", "prize"]
WORDS = {"money": "free money", "work": "meeting report", "prize": "win prize"}
FILLER = ["today", "please", "the team", "now", "on wednesday", "tomorrow"]


def _model(tiny_bert_config, num_labels, problem_type=None):
    config = copy.deepcopy(tiny_bert_config)
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0.0
    config.num_labels = num_labels
    config.id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
    config.label2id = {v: k for k, v in config.id2label.items()}
    config.problem_type = problem_type
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(config)


def _multi_label_rows(n=48, seed=0):
    rng = np.random.default_rng(seed)
    texts, names = [], []
    for _ in range(n):
        chosen = [t for t in TOPICS if rng.random() < 0.5]
        parts = [WORDS[t] for t in chosen] + [FILLER[int(rng.integers(len(FILLER)))]]
        rng.shuffle(parts)
        texts.append(" ".join(parts))
        names.append(chosen)
    return texts, names


def _pipeline(directory):
    return transformers.pipeline("text-classification", model=str(directory))


def _assert_same(got, expected):
    assert [r["label"] for r in got] == [r["label"] for r in expected]
    np.testing.assert_allclose([r["score"] for r in got], [r["score"] for r in expected], atol=1e-5)


# --- multi-label -----------------------------------------------------------------------------
@pytest.fixture
def multi(tiny_bert_config, tokenizer):
    model = _model(tiny_bert_config, 3)
    return TextClassifier(
        model, tokenizer, label_names=TOPICS, problem_type="multi_label_classification"
    )


def test_multi_label_loss_is_bce_on_multi_hot_rows(multi, tokenizer):
    texts, names = _multi_label_rows(8)
    assert multi.config.problem_type == "multi_label_classification"
    hot = multi.encode_labels(names)
    assert hot.dtype == np.float32 and hot.shape == (8, 3)
    np.testing.assert_array_equal(hot, [[float(t in row) for t in TOPICS] for row in names])
    np.testing.assert_array_equal(multi.encode_labels(hot.astype(int).tolist()), hot)
    multi.compile(optimizer=tb.optimizers.SGD(0.0))
    logs = multi.evaluate(texts, names, batch_size=8, verbose=0, return_dict=True)
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = multi.model.module.eval()(**enc).logits
    expected = F.binary_cross_entropy_with_logits(logits, torch.from_numpy(hot))
    assert logs["loss"] == pytest.approx(float(expected), rel=1e-5)
    probs = torch.sigmoid(logits).numpy() >= 0.5
    assert logs["binary_accuracy"] == pytest.approx(float((probs == (hot > 0.5)).mean()), abs=1e-6)
    assert set(logs) == {"loss", "binary_accuracy", "f1_micro", "f1_macro"}
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": texts, "labels": names})
    assert multi.evaluate(ds, verbose=0, return_dict=True) == pytest.approx(logs, rel=1e-6)
    columns = {"text": texts, "labels": hot.tolist()}  # 0/1 rows in a dict of columns
    assert multi.evaluate(columns, verbose=0, return_dict=True) == pytest.approx(logs, rel=1e-6)


@pytest.mark.slow
def test_multi_label_learns_and_matches_the_pipeline(multi, tmp_path):
    texts, names = _multi_label_rows()
    multi.compile(optimizer=tb.optimizers.AdamW(learning_rate=5e-3))
    multi.fit(texts, names, epochs=40, batch_size=16, verbose=0)
    test_texts, test_names = _multi_label_rows(24, seed=1)
    logs = multi.evaluate(test_texts, test_names, verbose=0, return_dict=True)
    assert logs["f1_micro"] > 0.8 and logs["binary_accuracy"] > 0.8
    answers = multi.predict(test_texts)  # the labels scoring >= 0.5
    right = [sorted(a["label"] for a in ans) == sorted(n) for ans, n in zip(answers, test_names)]
    assert np.mean(right) > 0.6

    multi.save(tmp_path)
    pipe = _pipeline(tmp_path)
    expected = pipe(test_texts, top_k=None, function_to_apply="sigmoid")
    got = multi.predict(test_texts, top_k=None)
    for g, e, a in zip(got, expected, answers):
        _assert_same(g, e)
        assert a == [r for r in g if r["score"] >= 0.5]
    assert pipe(test_texts[:1], top_k=None)[0][0]["score"] == pytest.approx(got[0][0]["score"])
    back = TextClassifier.load(tmp_path)
    assert back.problem_type == "multi_label_classification" and back.label_names == TOPICS
    assert back.predict(test_texts) == answers


def test_multi_label_bad_rows_name_the_row_and_field(multi):
    multi.compile()
    before = [p.detach().clone() for p in multi.model.module.parameters()]
    texts, names = _multi_label_rows(4)
    bad = [["money"], ["work", "sport"], [], ["prize"]]
    with pytest.raises(InputError, match=r"Row 1, field 'labels': 'sport' is not one of"):
        multi.fit(texts, bad, verbose=0)
    with pytest.raises(InputError, match=r"Row 2, field 'labels' has 2 values but there are 3"):
        multi.fit(texts, [[1, 0, 0], [0, 1, 0], [1, 0], [0, 0, 1]], verbose=0)
    with pytest.raises(InputError, match=r"Row 0, field 'labels'.* 0/1"):
        multi.fit(texts, [[2, 0, 0]] * 4, verbose=0)
    with pytest.raises(InputError, match="class_weight"):
        multi.fit(texts, names, class_weight={0: 2.0}, verbose=0)
    after = list(multi.model.module.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # no step was taken


# --- regression --------------------------------------------------------------------------------
def _regression_rows(n=40, seed=0):
    rng = np.random.default_rng(seed)
    texts, values = [], []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        texts.append(" ".join(["prize"] * k + [FILLER[int(rng.integers(len(FILLER)))]]))
        values.append(float(k))
    return texts, values


@pytest.fixture
def regressor(tiny_bert_config, tokenizer):
    return TextClassifier(_model(tiny_bert_config, 1), tokenizer)  # one output → regression


def test_regression_is_mse_on_float_targets(regressor, tokenizer):
    assert regressor.problem_type == "regression" == regressor.config.problem_type
    texts, values = _regression_rows(8)
    regressor.compile(optimizer=tb.optimizers.SGD(0.0))
    logs = regressor.evaluate(texts, values, batch_size=8, verbose=0, return_dict=True)
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = regressor.model.module.eval()(**enc).logits[:, 0]
    target = torch.tensor(values)
    assert logs["loss"] == pytest.approx(float(F.mse_loss(out, target)), rel=1e-5)
    assert logs["mae"] == pytest.approx(float((out - target).abs().mean()), rel=1e-5)
    assert logs["rmse"] == pytest.approx(float(F.mse_loss(out, target).sqrt()), rel=1e-5)
    with pytest.raises(InputError, match=r"Row 3, field 'labels' is 'high'; a regression"):
        regressor.fit(texts[:4], [1.0, 2.0, 0.5, "high"], verbose=0)


@pytest.mark.slow
def test_regression_learns_and_matches_the_pipeline(regressor, tmp_path):
    texts, values = _regression_rows()
    regressor.compile(optimizer=tb.optimizers.AdamW(learning_rate=3e-3))
    before = regressor.evaluate(texts, values, verbose=0, return_dict=True)["mae"]
    regressor.fit(texts, values, epochs=30, batch_size=8, verbose=0)
    after = regressor.evaluate(texts, values, verbose=0, return_dict=True)["mae"]
    assert after < 0.35 < before
    regressor.save(tmp_path)
    got = regressor.predict(texts)
    assert {r["label"] for r in got} == {"LABEL_0"}
    _assert_same(got, _pipeline(tmp_path)(texts))  # function_to_apply "none": the value itself
    back = TextClassifier.load(tmp_path)
    assert back.problem_type == "regression"
    np.testing.assert_array_equal(back.predict_proba(texts), regressor.predict_proba(texts))


def test_from_pretrained_regression_gives_one_output(tiny_bert_config, tokenizer, tmp_path):
    transformers.BertModel(tiny_bert_config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reg = TextClassifier.from_pretrained(tmp_path, problem_type="regression")
    assert reg.num_labels == 1 and reg.config.problem_type == "regression"
    with pytest.raises(InputError, match="problem_type="):
        TextClassifier.from_pretrained(tmp_path, problem_type="ranking")


# --- sentence pairs ------------------------------------------------------------------------------
PAIRS = [
    ("free money now", "win a prize today", 1),
    ("meeting notes for the review", "please send the report", 1),
    ("free money now", "the build failed again", 0),
    ("lunch with the team", "claim your prize", 0),
]


@pytest.fixture
def pair_tokenizer(tokenizer):
    """The test tokenizer, emitting token_type_ids as BERT's does."""
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=copy.deepcopy(tokenizer.backend_tokenizer),
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


@pytest.fixture
def pair_clf(tiny_bert_config, pair_tokenizer):
    return TextClassifier(_model(tiny_bert_config, 2), pair_tokenizer, label_names=["no", "same"])


def test_pairs_are_tokenized_as_pairs_in_every_form(pair_clf, pair_tokenizer):
    tokenizer = pair_tokenizer
    rows = [(a, b) for a, b, _ in PAIRS]
    labels = [y for *_, y in PAIRS]
    ds = pair_clf.text_dataset(rows, labels, batch_size=4)
    x, y = next(iter(ds))
    enc = tokenizer([a for a, _ in rows], [b for _, b in rows], padding=True, return_tensors="pt")
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert torch.equal(x[key], enc[key]), key
    assert int(x["token_type_ids"].sum()) > 0 and y.tolist() == labels
    columns = {"sentence1": [a for a, _ in rows], "sentence2": [b for _, b in rows]}
    x2, _ = next(iter(pair_clf.text_dataset({**columns, "label": labels}, batch_size=4)))
    dicts = [{"text": a, "text_pair": b} for a, b in rows]
    x3, _ = next(iter(pair_clf.text_dataset(dicts, labels, batch_size=4)))
    for key in x:
        assert torch.equal(x2[key], x[key]) and torch.equal(x3[key], x[key])
    logits = pair_clf.predict_logits(dicts)
    with torch.no_grad():
        expected = pair_clf.model.module.eval()(**enc).logits.numpy()
    np.testing.assert_allclose(logits, expected, atol=1e-5)
    with pytest.raises(InputError, match="row 1 is one text"):
        pair_clf.predict([rows[0], "alone"])


def test_pairs_fit_save_and_match_the_pipeline(pair_clf, tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = [(a, b) for a, b, _ in PAIRS] * 4
    labels = [y for *_, y in PAIRS] * 4
    pair_clf.compile(optimizer=tb.optimizers.AdamW(learning_rate=3e-3), metrics=["accuracy"])
    pair_clf.fit(rows, labels, epochs=12, batch_size=8, verbose=0)
    glue = datasets.Dataset.from_dict(
        {
            "sentence1": [a for a, _ in rows],
            "sentence2": [b for _, b in rows],
            "label": labels,
            "idx": list(range(len(rows))),
        }
    )
    from_glue = pair_clf.evaluate(glue, verbose=0, return_dict=True)
    from_rows = pair_clf.evaluate(rows, labels, verbose=0, return_dict=True)
    assert from_glue["loss"] == pytest.approx(from_rows["loss"], rel=1e-5)
    assert from_rows["accuracy"] == 1.0

    pair_clf.save(tmp_path / "bundle")
    dicts = [{"text": a, "text_pair": b} for a, b, _ in PAIRS]
    expected = _pipeline(tmp_path / "bundle")(dicts, top_k=None)
    for g, e in zip(pair_clf.predict(dicts, top_k=None), expected):
        _assert_same(g, e)
    one = pair_clf.predict(dicts[0])
    assert one == pair_clf.predict([dicts[0]])
    back = TextClassifier.load(tmp_path / "bundle")
    assert back.predict(dicts) == pair_clf.predict(dicts)
