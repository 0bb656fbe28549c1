"""hf.TokenClassifier: label alignment against the word ids, learning synthetic tags, seqeval
scores equal to the ``seqeval`` package, predictions equal to transformers.pipeline("ner")
for every aggregation strategy, save → pipeline / reload, bad rows."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import transformers

from torchbridge import hf
from torchbridge.errors import InputError

LABELS = ["O", "B-ACT", "I-ACT", "B-THING", "I-THING"]
ACT = {"win", "send", "check", "claim", "click", "meeting", "lunch"}
THING = {"prize", "report", "money", "trip", "logs", "build", "project", "reward", "team"}


def _tags(words):
    """Word-level synthetic tags, a function of the word alone (B-<class> or O)."""
    return ["B-ACT" if w in ACT else "B-THING" if w in THING else "O" for w in words]


def _rows(corpus_texts, n, seed):
    vocab = sorted({w for t in corpus_texts for w in t.split()})
    r = random.Random(seed)
    words = [[r.choice(vocab) for _ in range(r.randint(3, 8))] for _ in range(n)]
    return words, [_tags(w) for w in words]


@pytest.fixture
def checkpoint(tokenizer, tmp_path):
    """A tiny BERT token classifier and its tokenizer saved as a local checkpoint folder."""
    config = transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=64,
        id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)},
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.BertForTokenClassification(config).save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    return tmp_path / "ckpt"


@pytest.mark.parametrize("alignment", ["first", "all"])
def test_label_alignment_follows_word_ids(checkpoint, alignment):
    ner = hf.TokenClassifier.from_pretrained(checkpoint, label_alignment=alignment)
    words = [["claim", "your", "prize"], ["quarterly", "report"]]
    ids = [[ner.label_names.index(t) for t in _tags(w)] for w in words]
    columns, word_ids = ner.encode(words, ids)
    enc = ner.tokenizer(words, is_split_into_words=True)
    for row, labels in enumerate(columns["labels"]):
        assert columns["input_ids"][row] == enc["input_ids"][row]
        seen = set()
        for pos, w in enumerate(enc.word_ids(row)):
            if w is None or (w in seen and alignment == "first"):
                expected = -100
            else:
                expected = ids[row][w]
            seen.add(w)
            assert labels[pos] == expected
    assert any(
        len({w for w in wi if w is not None}) < len([w for w in wi if w is not None])
        for wi in word_ids
    )  # fmt: skip  (some word really has several sub-tokens)


@pytest.mark.slow
def test_learns_synthetic_tags_and_scores_equal_seqeval(checkpoint, corpus):
    from seqeval.metrics import classification_report

    torch.manual_seed(0)
    ner = hf.TokenClassifier.from_pretrained(checkpoint, label_names=LABELS)
    ner.compile(optimizer=tb_adamw(1e-2))
    words, tags = _rows(corpus[0], 160, seed=0)
    test_words, test_tags = _rows(corpus[0], 40, seed=1)
    ner.fit(words, tags, batch_size=16, epochs=8, verbose=0)
    logs = ner.evaluate(test_words, test_tags, verbose=0)
    assert logs["f1"] > 0.9
    # The same word-level predictions (first sub-token of each word) through seqeval.
    columns, word_ids = ner.encode(test_words)
    logits = ner.model.predict(columns, verbose=0)
    predicted = []
    for i, ids in enumerate(word_ids):
        best = np.asarray(logits[i]).argmax(-1)
        row, seen = ["O"] * len(test_words[i]), set()
        for pos, w in enumerate(ids):
            if w is not None and w not in seen:
                seen.add(w)
                row[w] = LABELS[int(best[pos])]
        predicted.append(row)
    report = classification_report(test_tags, predicted, output_dict=True, zero_division=0)
    for kind in ("ACT", "THING"):
        assert logs[f"{kind}_precision"] == pytest.approx(report[kind]["precision"])
        assert logs[f"{kind}_recall"] == pytest.approx(report[kind]["recall"])
        assert logs[f"{kind}_f1"] == pytest.approx(report[kind]["f1-score"])
    assert logs["precision"] == pytest.approx(report["micro avg"]["precision"])
    assert logs["f1"] == pytest.approx(report["micro avg"]["f1-score"])
    assert 0.0 <= logs["accuracy"] <= 1.0 and np.isfinite(logs["loss"])


def tb_adamw(lr):
    import torchbridge as tb

    return tb.optimizers.AdamW(learning_rate=lr)


@pytest.mark.parametrize("strategy", ["none", "simple", "first", "average", "max"])
def test_predict_equals_the_pipeline_and_save_loads(checkpoint, corpus, tmp_path, strategy):
    ner = hf.TokenClassifier.from_pretrained(checkpoint)
    ner.save(tmp_path / "saved")
    pipe = transformers.pipeline(
        "token-classification", model=str(tmp_path / "saved"), aggregation_strategy=strategy
    )
    sentences = [corpus[0][0], "Win a Prize, claim it!", corpus[0][5]]
    word_lists = [s.split() for s in corpus[0][1:3]]
    reloaded = hf.TokenClassifier.from_pretrained(tmp_path / "saved")
    for model in (ner, reloaded):
        got = model.predict(sentences, aggregation_strategy=strategy, batch_size=2)
        expected = [pipe(s) for s in sentences]
        got += model.predict(word_lists, aggregation_strategy=strategy)
        expected += [pipe([w], is_split_into_words=True)[0] for w in word_lists]
        assert model.predict(sentences[0], aggregation_strategy=strategy) == got[0]
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert len(g) == len(e) and len(e) > 0
            for a, b in zip(g, e, strict=True):
                assert set(a) == set(b)
                for key in a:
                    if key == "score":
                        assert a[key] == pytest.approx(float(b[key]), abs=1e-5)
                    else:
                        assert a[key] == b[key]


def test_datasets_input(checkpoint, corpus):
    import datasets

    words, tags = _rows(corpus[0], 12, seed=2)
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=LABELS)),
        }
    )
    ds = datasets.Dataset.from_dict(
        {"tokens": words, "ner_tags": [[LABELS.index(t) for t in row] for row in tags]},
        features=features,
    )
    ner = hf.TokenClassifier.from_pretrained(checkpoint, label_names=LABELS)
    ner.compile()
    history = ner.fit(ds, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert ner.evaluate(ds, verbose=0)["loss"] == pytest.approx(
        ner.evaluate(words, tags, verbose=0)["loss"]
    )


def test_bad_rows_fail_before_any_step(checkpoint):
    ner = hf.TokenClassifier.from_pretrained(checkpoint)
    ner.compile()
    before = {k: v.clone() for k, v in ner.model.module.state_dict().items()}
    cases = [
        (([["a", "b"], ["c", "d"]], [["O", "O"], ["O"]]), r"Row 1: field 'tokens' has 2 words"),
        (([["a", "b"]], [["O", "B-PER"]]), r"Row 0, field 'ner_tags': tag 'B-PER' is not in"),
        (([["a"]], [[9]]), r"Row 0, field 'ner_tags': tag id 9"),
        (([], []), "no rows"),
        (([["a"], []], [["O"], []]), r"Row 1, field 'tokens' has no words"),
        ((["a b"], [["O", "O"]]), r"Row 0, field 'tokens': expected a list of words"),
    ]
    for (x, y), message in cases:
        with pytest.raises(InputError, match=message):
            ner.fit(x, y, verbose=0)
    for k, v in ner.model.module.state_dict().items():
        torch.testing.assert_close(v, before[k])
    with pytest.raises(InputError, match="aggregation_strategy"):
        ner.predict("win", aggregation_strategy="longest")


def test_validation_split_and_validation_data(checkpoint, corpus):
    words, tags = _rows(corpus[0], 20, seed=3)
    ner = hf.TokenClassifier.from_pretrained(checkpoint, label_names=LABELS)
    ner.compile()
    history = ner.fit(words, tags, batch_size=8, epochs=1, verbose=0, validation_split=0.25)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    history = ner.fit(words[:15], tags[:15], epochs=1, verbose=0,
                      validation_data=(words[15:], tags[15:]))  # fmt: skip
    expected = ner.evaluate(words[15:], tags[15:], verbose=0)["loss"]
    assert np.isfinite(history.history["val_loss"][0]) and np.isfinite(expected)
    with pytest.raises(InputError, match="Row 0, field 'ner_tags'"):
        ner.fit(words, tags, verbose=0, validation_data=([["a"]], [["B-NOPE"]]))
