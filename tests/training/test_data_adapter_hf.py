"""fit / evaluate / predict on Hugging Face ``datasets.Dataset`` and ``IterableDataset``.

A tiny BERT classifier (no dropout, so runs are comparable step for step) is
trained by ``fit`` and by a hand-written PyTorch loop over a hand-padded
DataLoader; losses and weights must agree.
"""

from __future__ import annotations

import copy

import datasets
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

import torchbridge
from torchbridge.errors import InputError
from torchbridge.losses import SparseCategoricalCrossentropy
from torchbridge.optimizers import SGD, Adam

datasets.disable_progress_bars()


@pytest.fixture
def bert(tokenizer):
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        num_labels=2,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    return BertForSequenceClassification(config)


class Logits(nn.Module):
    """A plain torch module around the classifier: x dict in, logits out."""

    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask).logits


@pytest.fixture
def hf_data(tokenizer, corpus):
    """32 rows: tokenized (ragged input_ids), with the raw text and an id column left in."""
    texts, labels = corpus[0] * 4, corpus[1] * 4
    ds = datasets.Dataset.from_dict({"text": texts, "label": labels, "idx": list(range(32))})
    return ds.map(lambda b: tokenizer(b["text"], truncation=True), batched=True)


def _compiled(bert, lr=0.1, optimizer=None):
    model = torchbridge.Model.wrap(Logits(bert))
    model.compile(
        optimizer=optimizer or SGD(learning_rate=lr),
        loss=SparseCategoricalCrossentropy(from_logits=True),
        device="cpu",
    )
    return model


def _hand_collate(pad_id):
    def collate(rows):
        longest = max(len(r["input_ids"]) for r in rows)
        ids = [r["input_ids"] + [pad_id] * (longest - len(r["input_ids"])) for r in rows]
        mask = [[1] * len(r["input_ids"]) + [0] * (longest - len(r["input_ids"])) for r in rows]
        return torch.tensor(ids), torch.tensor(mask), torch.tensor([r["label"] for r in rows])

    return collate


def _hand_loop(bert, rows, epochs, lr, pad_id, batch_size=8):
    module = Logits(bert)
    module.train()
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    loader = DataLoader(rows, batch_size=batch_size, collate_fn=_hand_collate(pad_id))
    losses = []
    for _ in range(epochs):
        total = count = 0.0
        for ids, mask, y in loader:
            loss = F.cross_entropy(module(ids, mask), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(y)
            count += len(y)
        losses.append(total / count)
    return module, losses


def _rows(ds):
    return [{"input_ids": r["input_ids"], "label": r["label"]} for r in ds]


@pytest.mark.parametrize("streaming", [False, True], ids=["Dataset", "IterableDataset"])
def test_fit_matches_a_hand_padded_dataloader_loop(bert, tokenizer, hf_data, streaming):
    start = copy.deepcopy(bert)
    model = _compiled(bert)
    data = hf_data.to_iterable_dataset() if streaming else hf_data
    history = model.fit(data, batch_size=8, epochs=3, shuffle=False, verbose=0)
    hand, losses = _hand_loop(start, _rows(hf_data), 3, 0.1, tokenizer.pad_token_id)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5, atol=1e-6)
    assert losses[-1] < losses[0]
    for (name, a), b in zip(model.module.state_dict().items(), hand.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize("streaming", [False, True], ids=["Dataset", "IterableDataset"])
def test_fit_with_shuffling_trains(bert, hf_data, streaming):
    model = _compiled(bert, optimizer=Adam(learning_rate=5e-3))
    data = hf_data.to_iterable_dataset() if streaming else hf_data
    history = model.fit(data, batch_size=8, epochs=8, verbose=0)  # shuffle=True (Keras default)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_evaluate_and_predict(bert, tokenizer, hf_data, corpus):
    CORPUS, LABELS = corpus
    model = _compiled(bert)
    logits = model.predict(hf_data, batch_size=5, verbose=0)
    enc = tokenizer(CORPUS * 4, padding=True, return_tensors="pt")
    with torch.no_grad():
        want = bert(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
    np.testing.assert_allclose(logits, want.numpy(), rtol=1e-5, atol=1e-5)
    loss = model.evaluate(hf_data, batch_size=5, verbose=0)
    want_loss = float(F.cross_entropy(want, torch.tensor(LABELS * 4)))
    assert loss == pytest.approx(want_loss, rel=1e-5)
    # predict on a stream, and on a dataset without labels
    stream_logits = model.predict(hf_data.to_iterable_dataset(), verbose=0)
    np.testing.assert_allclose(stream_logits, logits, rtol=1e-5, atol=1e-5)
    unlabeled = model.predict(hf_data.remove_columns(["label"]), verbose=0)
    np.testing.assert_allclose(unlabeled, logits, rtol=1e-5, atol=1e-5)


def test_validation_split_takes_the_last_rows(bert, hf_data):
    model = _compiled(bert)
    history = model.fit(hf_data, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    val = hf_data.select(range(24, 32))
    assert history.history["val_loss"][-1] == pytest.approx(
        model.evaluate(val, verbose=0), rel=1e-5
    )
    history = model.fit(hf_data, validation_data=val, epochs=1, verbose=0)
    assert "val_loss" in history.history


def test_class_weight_weights_the_loss(bert, hf_data, corpus):
    LABELS = corpus[1]
    model = _compiled(bert, lr=0.0)  # no update: the logged loss is the weighted loss itself
    weights = {0: 1.0, 1: 3.0}
    history = model.fit(hf_data, batch_size=8, class_weight=weights, shuffle=False, verbose=0)
    enc_ids = [torch.tensor(r) for r in hf_data["input_ids"]]
    total = 0.0
    with torch.no_grad():
        for ids, label in zip(enc_ids, LABELS * 4):
            logits = bert(input_ids=ids[None]).logits
            total += weights[label] * float(F.cross_entropy(logits, torch.tensor([label])))
    # Keras's sum_over_batch_size: weighted sum / batch size; batch-size-weighted epoch mean.
    assert history.history["loss"][0] == pytest.approx(total / 32, rel=1e-4)


def test_hf_models_own_loss_trains_from_the_label_column(bert, hf_data):
    model = torchbridge.Model.wrap(bert)  # an HFModel: no compiled loss, the model's own
    model.compile(optimizer=Adam(learning_rate=5e-3), device="cpu")
    history = model.fit(hf_data, batch_size=8, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_errors_name_the_fix(bert, hf_data, tokenizer, corpus):
    CORPUS, LABELS = corpus
    model = _compiled(bert)
    with pytest.raises(InputError, match="label column"):
        model.fit(hf_data, np.zeros(32), verbose=0)
    with pytest.raises(InputError, match=r"ds\['train'\]"):
        model.fit(datasets.DatasetDict({"train": hf_data}), verbose=0)
    raw = datasets.Dataset.from_dict({"text": CORPUS, "label": LABELS})
    with pytest.raises(InputError, match=r"not tokenized.*prepare_dataset"):
        model.fit(raw, verbose=0)
    no_mask = hf_data.remove_columns(["attention_mask"])
    with pytest.raises(InputError, match=r"prepare_dataset\(ds, tokenizer\)"):
        model.fit(no_mask, verbose=0)
    # The fix the message names: prepare_dataset pads with the tokenizer's padding id.
    from torchbridge.hf.data import prepare_dataset

    x, _ = next(iter(prepare_dataset(no_mask, tokenizer, batch_size=2)))
    assert x["input_ids"].tolist() == tokenizer(CORPUS[:2], padding=True)["input_ids"]
