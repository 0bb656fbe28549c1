"""hf.peft_support: LoRA / prefix tuning through hf.from_pretrained, the task models and
hf.wrap — only the adapter trains (the frozen base is unchanged after fit), save writes an
adapter that peft and transformers load with equal logits, merge_and_save a plain
transformers folder with equal logits; bad arguments are torchbridge errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers

import torchbridge
from torchbridge import hf
from torchbridge.errors import InputError

peft = pytest.importorskip("peft")

TAGS = ["O", "B-X", "I-X"]


def _bert_config(tokenizer, **kw):
    return transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=64, **kw,
    )  # fmt: skip


@pytest.fixture
def bert_dir(tmp_path, tokenizer):
    """A tiny BERT checkpoint (encoder weights; heads are made by the task's Auto class)."""
    torch.manual_seed(0)
    transformers.BertForMaskedLM(_bert_config(tokenizer)).save_pretrained(tmp_path / "bert")
    tokenizer.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


@pytest.fixture
def gpt_dir(tmp_path, tokenizer):
    config = transformers.GPT2Config(
        vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=64,
        bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "gpt")
    tokenizer.save_pretrained(tmp_path / "gpt")
    return tmp_path / "gpt"


def _frozen_state(module):
    """The base model's weights that are not the adapter's or a trained head copy."""
    return {
        k: v.detach().clone()
        for k, v in hf.peft_support.base_model_of(module).state_dict().items()
        if "lora_" not in k and "modules_to_save" not in k and "original_module" not in k
    }


def _assert_only_adapter_trains(model, before):
    trainable = {n for n, p in model.module.named_parameters() if p.requires_grad}
    assert trainable, "nothing trains"
    assert all(("lora_" in n or "modules_to_save" in n or "prompt_encoder" in n) for n in trainable)
    optimized = (
        {id(v) for v in model.optimizer.variables}
        if hasattr(model.optimizer, "variables")
        else None
    )
    if optimized is not None:
        params = {id(p) for n, p in model.module.named_parameters() if n in trainable}
        assert params <= optimized or len(optimized) >= len(params)
    after = _frozen_state(model.module)
    assert before.keys() == after.keys()
    for k in before:
        torch.testing.assert_close(after[k], before[k], rtol=0, atol=0, msg=k)


def _logits(module, enc):
    module.eval()
    with torch.no_grad():
        return module(**enc).logits


# --- LoRA on a task model (token classification) -----------------------------------------------
def _ner_rows(n, seed):
    r = np.random.default_rng(seed)
    vocab = ["free", "money", "meeting", "project", "prize", "team", "report", "lunch"]
    words, tags = [], []
    for _ in range(n):
        row = list(r.choice(vocab, size=int(r.integers(3, 7))))
        words.append(row)
        tags.append(["B-X" if w in ("money", "prize") else "O" for w in row])
    return words, tags


def test_lora_token_classifier_fits_saves_reloads_and_merges(bert_dir, tmp_path, tokenizer):
    ner = hf.TokenClassifier.from_pretrained(bert_dir, label_names=TAGS, lora=dict(r=4))
    assert hf.peft_support.is_peft_model(ner.model.module)
    assert ner.model.task == "token-classification"
    before = _frozen_state(ner.model.module)
    ner.compile(optimizer=torchbridge.optimizers.AdamW(learning_rate=1e-2))
    words, tags = _ner_rows(48, 0)
    history = ner.fit(words, tags, epochs=6, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _assert_only_adapter_trains(ner.model, before)
    assert ner.evaluate(words, tags, verbose=0)["f1"] > 0.5

    enc = dict(tokenizer(["free money for the team"], return_tensors="pt"))
    expected = _logits(ner.model.module, enc)
    ner.save(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    assert not (tmp_path / "adapter" / "config.json").exists()  # an adapter, not a full model
    base = transformers.AutoModelForTokenClassification.from_pretrained(
        bert_dir, num_labels=len(TAGS)
    )
    reloaded = peft.PeftModel.from_pretrained(base, tmp_path / "adapter")
    torch.testing.assert_close(_logits(reloaded, enc), expected, rtol=0, atol=1e-6)
    again = hf.TokenClassifier.from_pretrained(tmp_path / "adapter")
    assert again.label_names == TAGS and hf.peft_support.is_peft_model(again.model.module)
    torch.testing.assert_close(_logits(again.model.module, enc), expected, rtol=0, atol=1e-6)

    ner.merge_and_save(tmp_path / "merged")
    assert hf.peft_support.is_peft_model(ner.model.module)  # the task model keeps its adapter
    plain = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "merged")
    assert not any("lora" in k for k in plain.state_dict())
    torch.testing.assert_close(_logits(plain, enc), expected, rtol=0, atol=1e-5)
    pipe = transformers.pipeline("token-classification", model=str(tmp_path / "merged"))
    theirs, ours = pipe("free money"), ner.predict("free money")
    assert [(e["entity"], e["word"], e["start"]) for e in theirs] == [
        (e["entity"], e["word"], e["start"]) for e in ours
    ]
    assert [e["score"] for e in theirs] == pytest.approx([e["score"] for e in ours], abs=1e-5)


# --- LoRA on a causal LM -------------------------------------------------------------------------
def test_lora_causal_lm_fits_saves_reloads_and_merges(gpt_dir, tmp_path, tokenizer):
    lm = hf.CausalLM.from_pretrained(gpt_dir, block_size=16, lora=dict(r=8, lora_alpha=16))
    module = lm.model.module
    assert type(module).__name__ == "PeftModelForCausalLM"
    assert module.peft_config["default"].target_modules == {"c_attn"}  # peft's own table
    before = _frozen_state(module)
    lm.compile(optimizer=torchbridge.optimizers.AdamW(learning_rate=1e-2))
    texts = ["free money now click here to win a prize"] * 24
    first = lm.evaluate(texts, verbose=0)["loss"]
    lm.fit(texts, epochs=3, batch_size=4, verbose=0)
    assert lm.evaluate(texts, verbose=0)["loss"] < first
    _assert_only_adapter_trains(lm.model, before)

    enc = dict(tokenizer(["free money now"], add_special_tokens=False, return_tensors="pt"))
    expected = _logits(module, enc)
    lm.save(tmp_path / "adapter")
    auto = peft.AutoPeftModelForCausalLM.from_pretrained(tmp_path / "adapter")
    torch.testing.assert_close(_logits(auto, enc), expected, rtol=0, atol=1e-6)
    again = hf.CausalLM.from_pretrained(tmp_path / "adapter")
    assert again.block_size == 16
    assert any(p.requires_grad for p in again.model.module.parameters())  # trainable again
    torch.testing.assert_close(_logits(again.model.module, enc), expected, rtol=0, atol=1e-6)

    lm.merge_and_save(tmp_path / "merged")
    plain = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    assert type(plain).__name__ == "GPT2LMHeadModel"
    torch.testing.assert_close(_logits(plain, enc), expected, rtol=0, atol=1e-5)
    greedy = dict(max_new_tokens=5, do_sample=False)
    assert again.predict("free money", **greedy) == lm.predict("free money", **greedy)


# --- prefix tuning on a classifier, through hf.from_pretrained / hf.wrap --------------------------
def test_prefix_tuning_classifier_trains_only_the_prompt_and_head(tmp_path, tokenizer, corpus):
    texts, labels = corpus
    torch.manual_seed(0)  # a checkpoint with its pooler (frozen, so it must load the same)
    bert = transformers.BertForSequenceClassification(_bert_config(tokenizer, num_labels=2))
    bert.save_pretrained(tmp_path / "bert")
    config = peft.PrefixTuningConfig(num_virtual_tokens=4)
    model = hf.from_pretrained(tmp_path / "bert", num_labels=2, peft_config=config)
    assert type(model.module).__name__ == "PeftModelForSequenceClassification"
    assert model.module.peft_config["default"].task_type == "SEQ_CLS"  # filled in from the task
    before = _frozen_state(model.module)
    x = dict(tokenizer(texts, padding=True, return_tensors="np"))
    y = np.asarray(labels)
    model.compile(
        optimizer=torchbridge.optimizers.Adam(learning_rate=1e-2),
        metrics=["accuracy"],
    )
    first = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    model.fit(x, y, epochs=15, batch_size=4, verbose=0)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["loss"] < first
    _assert_only_adapter_trains(model, before)

    enc = {k: torch.as_tensor(v) for k, v in x.items()}
    expected = _logits(model.module, enc)
    model.save_pretrained(tmp_path / "prefix")
    assert (tmp_path / "prefix" / "adapter_config.json").is_file()
    again = hf.from_pretrained(tmp_path / "prefix", num_labels=2)
    torch.testing.assert_close(_logits(again.module, enc), expected, rtol=0, atol=1e-6)
    trainable = {n for n, p in again.module.named_parameters() if p.requires_grad}
    assert any("prompt_encoder" in n for n in trainable)  # reloaded trainable, to fit on
    with pytest.raises(InputError, match="cannot be merged"):
        hf.peft_support.merge_and_save(model, tmp_path / "merged")


def test_a_peft_model_wraps_unchanged(tokenizer):
    torch.manual_seed(0)
    base = transformers.BertForSequenceClassification(_bert_config(tokenizer, num_labels=2))
    wrapped = peft.get_peft_model(base, peft.LoraConfig(task_type="SEQ_CLS", r=2))
    for model in (hf.wrap(wrapped), torchbridge.Model.wrap(wrapped)):
        assert isinstance(model, hf.HFModel)
        assert model.module is wrapped and model.task == "sequence-classification"
    t5 = transformers.T5ForConditionalGeneration(
        transformers.T5Config(vocab_size=64, d_model=16, d_ff=32, d_kv=8, num_layers=1, num_heads=2)
    )
    lora_t5 = peft.get_peft_model(t5, peft.LoraConfig(task_type="SEQ_2_SEQ_LM", r=2))
    assert hf.wrap(lora_t5).task == "seq2seq-lm"


def test_lora_default_targets_fall_back_to_all_linear(tokenizer):
    """An architecture peft's table does not list gets every linear layer but the head."""
    config = transformers.DistilBertConfig(
        vocab_size=len(tokenizer), dim=32, n_layers=1, n_heads=2, hidden_dim=37
    )
    module = hf.peft_support.apply_peft(
        transformers.DistilBertForSequenceClassification(config), lora=dict(r=2)
    )
    names = {
        n.split(".lora_A")[0].rsplit(".", 1)[-1]
        for n, _ in module.named_parameters()
        if "lora_A" in n
    }
    assert {"q_lin", "v_lin", "lin1"} <= names


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lora=dict(r=2), peft_config="x"), "not both"),
        (dict(lora=dict(rank=2)), "LoraConfig's arguments"),
        (dict(lora=[2]), "must be a dict"),
        (dict(peft_config=dict(r=2)), "must be a peft config"),
        (dict(lora=dict(r=2, target_modules=["no_such_layer"])), "target_modules"),
    ],
    ids=["both", "unknown-arg", "not-a-dict", "config-not-a-config", "no-such-layer"],
)
def test_bad_peft_arguments_are_input_errors(bert_dir, kwargs, match):
    with pytest.raises(InputError, match=match):
        hf.from_pretrained(bert_dir, num_labels=2, **kwargs)


def test_merge_without_an_adapter_is_an_input_error(gpt_dir, tmp_path):
    lm = hf.CausalLM.from_pretrained(gpt_dir, block_size=16)
    with pytest.raises(InputError, match="no peft adapter"):
        lm.merge_and_save(tmp_path / "merged")


# --- the other task models: lora= passes through, merge_and_save gives a plain folder -------------
@pytest.mark.parametrize("kind", ["text-classifier", "multiple-choice"])
def test_lora_on_other_task_models_merges_to_plain_transformers(kind, bert_dir, tmp_path, corpus):
    texts, labels = corpus
    if kind == "text-classifier":
        task = hf.TextClassifier.from_pretrained(
            bert_dir, label_names=["ham", "spam"], lora=dict(r=4)
        )
        task.compile(optimizer=torchbridge.optimizers.AdamW(learning_rate=1e-2))
        task.fit(texts, labels, batch_size=4, epochs=2, verbose=0)
        auto = transformers.AutoModelForSequenceClassification
        enc = dict(task.tokenizer(texts[:2], padding=True, return_tensors="pt"))
    else:
        task = hf.MultipleChoice.from_pretrained(bert_dir, lora=dict(r=4))
        rows = [
            {"context": t, "choices": ["ham", "spam"], "label": y} for t, y in zip(texts, labels)
        ]
        task.compile(optimizer=torchbridge.optimizers.AdamW(learning_rate=1e-2))
        task.fit(rows, batch_size=4, epochs=2, verbose=0)
        auto = transformers.AutoModelForMultipleChoice
        flat = task.tokenizer([texts[0]] * 2, ["ham", "spam"], padding=True, return_tensors="pt")
        enc = {k: v[None] for k, v in flat.items()}
    module = task.model.module
    assert hf.peft_support.is_peft_model(module)
    assert any(
        "classifier" in n and "modules_to_save" in n
        for n, p in module.named_parameters()
        if p.requires_grad
    )
    expected = _logits(module, enc)
    task.merge_and_save(tmp_path / "merged")
    plain = auto.from_pretrained(tmp_path / "merged")
    torch.testing.assert_close(_logits(plain, enc), expected, rtol=0, atol=1e-5)
