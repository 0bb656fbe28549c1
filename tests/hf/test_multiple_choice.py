"""hf.MultipleChoice: the transformers guide's tokenization (context repeated per choice,
pairs, flatten → unflatten), ragged choices padded per batch and masked (a padded choice
never wins and takes no loss), learning a synthetic task as far as the Trainer recipe does,
save → AutoModelForMultipleChoice with equal logits → reload, bad input before any step."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import transformers

from torchbridge import hf
from torchbridge.errors import InputError

WORDS = ["free", "money", "prize", "meeting", "notes", "project", "report", "team", "lunch"]
KEYS = {"win free money": "prize", "meeting notes for the": "report"}


def _rows(n, seed, ragged=True):
    """The right choice is the context's key word ("prize" after "win free money",
    "report" after "meeting notes for the"), among 1-3 other words."""
    r = random.Random(seed)
    rows = []
    for _ in range(n):
        context = r.choice(list(KEYS))
        key = KEYS[context]
        k = r.randint(2, 4) if ragged else 3
        others = r.sample([w for w in WORDS if w not in KEYS.values()], k - 1)
        label = r.randrange(k)
        choices = [*others[:label], key, *others[label:]]
        rows.append({"context": context, "question": "a", "choices": choices, "label": label})
    return rows


@pytest.fixture
def checkpoint(tmp_path, tokenizer, tiny_bert_config):
    torch.manual_seed(0)
    transformers.BertForMultipleChoice(tiny_bert_config).save_pretrained(tmp_path / "bert")
    tokenizer.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def _guide_preprocess(examples, tokenizer):
    """The transformers multiple-choice guide's preprocess_function (SWAG columns)."""
    ending_names = ["ending0", "ending1", "ending2", "ending3"]
    first_sentences = [[context] * 4 for context in examples["sent1"]]
    question_headers = examples["sent2"]
    second_sentences = [
        [f"{header} {examples[end][i]}" for end in ending_names]
        for i, header in enumerate(question_headers)
    ]
    first_sentences = sum(first_sentences, [])  # noqa: RUF017
    second_sentences = sum(second_sentences, [])  # noqa: RUF017
    tokenized = tokenizer(first_sentences, second_sentences, truncation=True)
    return {k: [v[i : i + 4] for i in range(0, len(v), 4)] for k, v in tokenized.items()}


def test_swag_columns_tokenize_as_the_guide(checkpoint):
    mc = hf.MultipleChoice.from_pretrained(checkpoint)
    swag = {
        "sent1": ["free money now", "meeting notes for the project"],
        "sent2": ["click here to", "review"],
        "ending0": ["win a prize", "tomorrow"],
        "ending1": ["send the report", "on friday"],
        "ending2": ["claim your reward", "before lunch"],
        "ending3": ["check the logs", "with the team"],
        "label": [0, 3],
    }
    expected = _guide_preprocess(swag, mc.tokenizer)
    items = mc.encode(mc.read_rows(swag))
    assert set(expected) <= {"input_ids", "attention_mask", "token_type_ids"}
    for key in expected:
        assert [it[key] for it in items] == expected[key]
    assert [it["labels"] for it in items] == [0, 3]
    # the same rows as {"context", "question", "choices"} dicts, and as a datasets.Dataset
    rows = [
        {"context": swag["sent1"][i], "question": swag["sent2"][i],
         "choices": [swag[f"ending{k}"][i] for k in range(4)], "label": swag["label"][i]}
        for i in range(2)
    ]  # fmt: skip
    assert mc.encode(mc.read_rows(rows)) == items
    datasets = pytest.importorskip("datasets")
    assert mc.encode(mc.read_rows(datasets.Dataset.from_dict(swag))) == items


def test_ragged_choices_are_padded_and_never_win(checkpoint):
    mc = hf.MultipleChoice.from_pretrained(checkpoint)
    mc.compile()
    rows = _rows(6, 1)
    assert len({len(r["choices"]) for r in rows}) > 1
    items = mc.encode(mc.read_rows(rows))
    batch = mc.collator(items)
    n = max(len(r["choices"]) for r in rows)
    assert batch["input_ids"].shape[:2] == (6, n)
    module = mc.model.module.eval()
    with torch.no_grad():
        out = module(**batch)
    lowest = torch.finfo(out.logits.dtype).min
    expected_loss = 0.0
    for i, (row, item) in enumerate(zip(rows, items, strict=True)):
        k = len(row["choices"])
        assert torch.all(out.logits[i, k:] == lowest)  # padded: lowest logit, never argmax
        assert (batch["attention_mask"][i, k:, 0] == 1).all()  # no empty attention row
        # the real choices' logits equal the model on the row alone (no padding at all)
        alone = mc.collator([{key: v for key, v in item.items() if key != "labels"}])
        with torch.no_grad():
            solo = module(**alone).logits[0]
        torch.testing.assert_close(out.logits[i, :k], solo, atol=1e-5, rtol=1e-5)
        expected_loss += float(
            torch.nn.functional.cross_entropy(solo[None], torch.tensor([row["label"]]))
        )
    assert float(out.loss) == pytest.approx(expected_loss / len(rows), rel=1e-5)
    # predict: softmax over each row's own choices
    preds = mc.predict(rows)
    for row, p in zip(rows, preds, strict=True):
        assert len(p["scores"]) == len(row["choices"])
        assert sum(p["scores"]) == pytest.approx(1.0, abs=1e-6)
        assert p["choice"] == row["choices"][p["label"]]
    assert mc.predict(rows[0]) == preds[0]


def _trainer_accuracy(checkpoint, train, test, tmp_path, epochs, lr):
    """The guide's recipe: preprocess, DataCollatorForMultipleChoice, Trainer, accuracy."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint)
    torch.manual_seed(0)
    model = transformers.AutoModelForMultipleChoice.from_pretrained(checkpoint)

    def preprocess(rows):
        first = [r["context"] for r in rows for _ in r["choices"]]
        second = [f"{r['question']} {c}" for r in rows for c in r["choices"]]
        enc = tokenizer(first, second, truncation=True)
        return [{k: v[3 * i : 3 * i + 3] for k, v in enc.items()} | {"label": r["label"]}
                for i, r in enumerate(rows)]  # fmt: skip

    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "trainer"), learning_rate=lr, per_device_train_batch_size=8,
        num_train_epochs=epochs, weight_decay=0.01, report_to=[], save_strategy="no",
        use_cpu=True, disable_tqdm=True, seed=0,
    )  # fmt: skip
    trainer = transformers.Trainer(
        model=model, args=args, train_dataset=preprocess(train),
        data_collator=transformers.DataCollatorForMultipleChoice(tokenizer),
    )  # fmt: skip
    trainer.train()
    logits = trainer.predict(preprocess(test)).predictions
    return float(np.mean(logits.argmax(-1) == [r["label"] for r in test]))


@pytest.mark.slow
def test_learns_like_the_trainer_saves_and_reloads(checkpoint, tmp_path):
    from torchbridge.optimizers import AdamW

    train, test = _rows(96, 2, ragged=False), _rows(40, 3, ragged=False)
    torch.manual_seed(0)
    mc = hf.MultipleChoice.from_pretrained(checkpoint)
    mc.compile(optimizer=AdamW(learning_rate=3e-3, weight_decay=0.01))
    mc.fit(train, batch_size=8, epochs=2, verbose=0)
    logs = mc.evaluate(test, batch_size=8, verbose=0)
    preds = mc.predict(test)
    accuracy = float(np.mean([p["label"] == r["label"] for p, r in zip(preds, test, strict=True)]))
    assert logs["accuracy"] == pytest.approx(accuracy)
    trainer = _trainer_accuracy(checkpoint, train, test, tmp_path, 2, 3e-3)
    assert accuracy >= 0.9
    assert accuracy >= trainer - 0.1  # the Trainer's recipe reaches about the same

    mc.save(tmp_path / "saved")
    auto = transformers.AutoModelForMultipleChoice.from_pretrained(tmp_path / "saved").eval()
    items = mc.encode(mc.read_rows(test[:4]))
    batch = mc.collator([{k: v for k, v in it.items() if k != "labels"} for it in items])
    with torch.no_grad():
        expected = auto(**batch).logits.softmax(-1).numpy()
    np.testing.assert_allclose([p["scores"] for p in preds[:4]], expected, atol=1e-5)
    reloaded = hf.MultipleChoice.from_pretrained(tmp_path / "saved")
    assert reloaded.max_length == mc.max_length
    for a, b in zip(reloaded.predict(test[:4]), preds[:4], strict=True):
        assert a["label"] == b["label"]
        np.testing.assert_allclose(a["scores"], b["scores"], atol=1e-6)


def test_learns_from_ragged_rows(checkpoint):
    from torchbridge.optimizers import AdamW

    torch.manual_seed(0)
    mc = hf.MultipleChoice.from_pretrained(checkpoint)
    mc.compile(optimizer=AdamW(learning_rate=3e-3, weight_decay=0.01))
    history = mc.fit(_rows(96, 4), batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "val_accuracy" in history.history
    test = _rows(30, 5)
    logs = mc.evaluate(test, batch_size=8, verbose=0)
    assert logs["accuracy"] >= 0.9 and np.isfinite(logs["loss"])
    mc.compile(optimizer=AdamW(learning_rate=0.0), metrics=None)  # accuracy without the metric
    assert mc.evaluate(test, batch_size=8, verbose=0)["accuracy"] == logs["accuracy"]


BAD = [
    ("label out of range", [{"context": "a", "choices": ["b", "c"], "label": 2}],
     "Row 0, field 'label': 2 is out of range"),
    ("one choice", [{"context": "a", "choices": ["b", "c"], "label": 0},
                    {"context": "a", "choices": ["b"], "label": 0}],
     "Row 1, field 'choices' has 1 choice"),
    ("empty", [], "no rows"),
    ("empty choice", [{"context": "a", "choices": ["b", " "], "label": 0}],
     r"Row 0, field 'choices\[1\]' is empty"),
    ("no context", [{"text": "a", "choices": ["b", "c"], "label": 0}], "no 'context'"),
    ("no label", [{"context": "a", "choices": ["b", "c"]}], "row 0 has no 'label'"),
    ("swag one ending", {"sent1": ["a"], "sent2": ["b"], "ending0": ["c"], "label": [0]},
     "at least 2"),
]  # fmt: skip


@pytest.mark.parametrize("rows, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_fails_before_any_step(checkpoint, rows, message):
    mc = hf.MultipleChoice.from_pretrained(checkpoint)
    mc.compile()
    before = [p.detach().clone() for p in mc.model.module.parameters()]
    with pytest.raises(InputError, match=message):
        mc.fit(rows, verbose=0)
    after = list(mc.model.module.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_wrong_architecture_is_named(tmp_path, tokenizer):
    config = transformers.GPT2Config(vocab_size=len(tokenizer), n_embd=16, n_layer=1, n_head=2)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "gpt")
    tokenizer.save_pretrained(tmp_path / "gpt")
    with pytest.raises(InputError, match=r"multiple-choice.*an encoder such as BERT"):
        hf.MultipleChoice.from_pretrained(tmp_path / "gpt")
    model = hf.from_pretrained(tmp_path / "gpt", task="causal-lm")
    with pytest.raises(InputError, match="needs a multiple-choice model"):
        hf.MultipleChoice(model, tokenizer)
