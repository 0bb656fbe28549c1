"""hf.Seq2SeqLM: prefix and target tokenization, learning a synthetic word translation on a
tiny T5 (generation reproduces it), BLEU / chrF / ROUGE equal to sacrebleu and rouge-score
on the same outputs, generate arguments passing through, save → AutoModelForSeq2SeqLM with
equal generations → reload (T5 and BART), bad input before any step."""

from __future__ import annotations

import random

import pytest
import torch
import transformers

from torchbridge import hf
from torchbridge.errors import InputError


def _vocab(tokenizer, corpus):
    words = sorted({w for t in corpus for w in t.split()})
    return [w for w in words if len(tokenizer.tokenize(w)) == 1][:12]


def _pairs(vocab, n, seed):
    """Sources of 1–2 words; each target word is the next word of the vocabulary."""
    r = random.Random(seed)
    sources, targets = [], []
    for _ in range(n):
        ids = [r.randrange(len(vocab)) for _ in range(r.randint(1, 2))]
        sources.append(" ".join(vocab[i] for i in ids))
        targets.append(" ".join(vocab[(i + 1) % len(vocab)] for i in ids))
    return sources, targets


def _save(model, tokenizer, path):
    torch.manual_seed(0)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _t5(tokenizer, path):
    config = transformers.T5Config(
        vocab_size=len(tokenizer), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2,
        dropout_rate=0.0, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.sep_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    return _save(transformers.T5ForConditionalGeneration(config), tokenizer, path)


def _bart(tokenizer, path):
    config = transformers.BartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_ffn_dim=64, max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
        decoder_start_token_id=tokenizer.sep_token_id, forced_bos_token_id=None,
        forced_eos_token_id=None,
    )  # fmt: skip
    torch.manual_seed(0)
    return _save(transformers.BartForConditionalGeneration(config), tokenizer, path)


def test_encode_adds_the_prefix_and_tokenizes_targets(tokenizer, tmp_path):
    s2s = hf.Seq2SeqLM.from_pretrained(
        _t5(tokenizer, tmp_path / "t5"), prefix="translate: ", max_source_length=6,
        max_target_length=4,
    )  # fmt: skip
    sources = ["win a free prize today", "hello"]
    targets = ["claim your prize now please", "x"]
    columns = s2s.encode(sources, targets)
    expected = tokenizer(["translate: " + s for s in sources], max_length=6, truncation=True)
    assert columns["input_ids"] == expected["input_ids"]
    assert columns["attention_mask"] == expected["attention_mask"]
    assert "token_type_ids" not in columns  # T5 takes none
    labels = tokenizer(text_target=targets, max_length=4, truncation=True)["input_ids"]
    assert columns["labels"] == labels and len(labels[0]) == 4


@pytest.mark.parametrize("arch", ["t5", "bart"])
def test_predict_equals_generate_of_the_saved_folder(tokenizer, tmp_path, corpus, arch):
    build = _t5 if arch == "t5" else _bart
    s2s = hf.Seq2SeqLM.from_pretrained(build(tokenizer, tmp_path / arch), prefix="go: ")
    s2s.save(tmp_path / "saved")
    auto = transformers.AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "saved").eval()
    auto_tok = transformers.AutoTokenizer.from_pretrained(tmp_path / "saved")
    texts = corpus[0][:3]
    for kwargs in ({"max_new_tokens": 5}, {"max_new_tokens": 4, "num_beams": 3}):
        enc = auto_tok(["go: " + t for t in texts], padding=True, return_tensors="pt")
        enc.pop("token_type_ids", None)
        with torch.no_grad():
            ids = auto.generate(**enc, **kwargs)
        expected = [
            {"generated_text": t} for t in auto_tok.batch_decode(ids, skip_special_tokens=True)
        ]
        assert s2s.predict(texts, **kwargs) == expected
        reloaded = hf.Seq2SeqLM.from_pretrained(tmp_path / "saved")
        assert reloaded.prefix == "go: "
        assert reloaded.predict(texts[0], **kwargs) == [expected[0]]
    two = s2s.predict(texts, max_new_tokens=3, num_beams=2, num_return_sequences=2)
    assert len(two) == 3 and all(len(g) == 2 for g in two)
    torch.manual_seed(1)
    sampled = s2s.predict(texts[0], max_new_tokens=3, do_sample=True, top_k=5)
    assert len(s2s.tokenizer.tokenize(sampled[0]["generated_text"])) <= 3


@pytest.mark.slow
def test_learns_a_word_translation_and_scores_equal_the_packages(tokenizer, corpus, tmp_path):
    import sacrebleu
    from rouge_score import rouge_scorer

    import torchbridge as tb

    vocab = _vocab(tokenizer, corpus[0])
    s2s = hf.Seq2SeqLM.from_pretrained(
        _t5(tokenizer, tmp_path / "t5"), prefix="next: ", max_target_length=8
    )
    s2s.compile(optimizer=tb.optimizers.AdamW(learning_rate=5e-3))
    sources, targets = _pairs(vocab, 300, 2)
    torch.manual_seed(0)
    history = s2s.fit(sources, targets, batch_size=16, epochs=12, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.25 * losses[0]

    test_sources, test_targets = _pairs(vocab, 30, 1)
    logs = s2s.evaluate(test_sources, test_targets, batch_size=8, verbose=0)
    predictions = [p["generated_text"] for p in s2s.predict(test_sources)]
    single = [i for i, src in enumerate(test_sources) if len(src.split()) == 1]
    assert len(single) >= 10
    exact = sum(predictions[i] == test_targets[i] for i in single)
    assert exact >= 0.8 * len(single)  # one word: translated; two: the words (order is harder)
    assert logs["bleu"] == pytest.approx(sacrebleu.corpus_bleu(predictions, [test_targets]).score)
    assert logs["chrf"] == pytest.approx(sacrebleu.corpus_chrf(predictions, [test_targets]).score)
    assert logs["chrf"] > 40
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"])
    scores = [scorer.score(t, p) for p, t in zip(predictions, test_targets, strict=True)]
    for key in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        mean = sum(s[key].fmeasure for s in scores) / len(scores)
        assert logs[key] == pytest.approx(mean)
    assert logs["rouge1"] > 0.7 and logs["accuracy"] > 0.7
    # datasets input with the source / target columns gives the same loss
    import datasets

    ds = datasets.Dataset.from_dict({"source": test_sources, "target": test_targets})
    assert s2s.evaluate(ds, batch_size=8, verbose=0, text_metrics=["chrf"])["loss"] == (
        pytest.approx(logs["loss"])
    )


def test_bad_input_fails_before_any_step(tokenizer, tmp_path):
    import datasets

    s2s = hf.Seq2SeqLM.from_pretrained(_t5(tokenizer, tmp_path / "t5"))
    s2s.compile()
    before = {k: v.clone() for k, v in s2s.model.module.state_dict().items()}
    cases = [
        (([], []), "no rows"),
        ((["a", "b"], ["c"]), "2 sources but 1 targets"),
        ((["a", "b"], ["c", 5]), r"Row 1, field 'target': expected a string, got int"),
        ((["a", ""], ["c", "d"]), r"Row 1, field 'source' is empty"),
        ((["a"], None), "fit needs targets"),
        ((datasets.Dataset.from_dict({"source": ["a"], "label": ["b"]}), None), "no 'target'"),
        (({"src": ["a"], "target": ["b"]}, None), r"x has no 'source' field"),
    ]
    for (x, y), message in cases:
        with pytest.raises(InputError, match=message):
            s2s.fit(x, y, verbose=0)
    for k, v in s2s.model.module.state_dict().items():
        torch.testing.assert_close(v, before[k])
    with pytest.raises(InputError, match="Unknown text metrics"):
        s2s.evaluate(["a"], ["b"], verbose=0, text_metrics=["meteor"])
    # an encoder-only checkpoint is the wrong architecture for text-to-text
    config = transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16,
    )  # fmt: skip
    _save(transformers.BertForMaskedLM(config), tokenizer, tmp_path / "bert")
    with pytest.raises(InputError, match="architecture has no seq2seq-lm model"):
        hf.Seq2SeqLM.from_pretrained(tmp_path / "bert")
