"""hf.MaskedLM: the masking rates of the collator it trains with (15% of the non-special
tokens, 80/10/10; whole words), new masks every draw and fixed ones in evaluate, learning a
repeated pattern on a tiny BERT (perplexity equal to a hand computation), fill-mask
predictions equal to pipeline("fill-mask") before and after save → reload, bad input."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
import transformers

from torchbridge import hf
from torchbridge.errors import InputError


@pytest.fixture
def checkpoint(tokenizer, tmp_path):
    config = transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=64,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.BertForMaskedLM(config).save_pretrained(tmp_path / "bert")
    tokenizer.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def _words(tokenizer, corpus, pieces):
    """Words of the corpus that are ``pieces`` tokens long (1: single tokens)."""
    words = sorted({w for t in corpus for w in t.split()})
    return [w for w in words if len(tokenizer.tokenize(w)) == pieces]


def _repeated(words, n, seed):
    """Texts of one word repeated: a masked token is any other token of its text."""
    r = random.Random(seed)
    return [" ".join([r.choice(words)] * r.randint(4, 10)) for _ in range(n)]


def _masking_counts(mlm, rows, draws):
    chosen = candidates = to_mask = kept = 0
    for _ in range(draws):
        batch = mlm.collator()(
            [{k: v[i] for k, v in rows.items()} for i in range(len(rows["input_ids"]))]
        )
        original = torch.tensor(rows["input_ids"])
        special = torch.tensor(rows["special_tokens_mask"]).bool()
        picked = batch["labels"] != -100
        assert torch.equal(batch["labels"][picked], original[picked])
        assert not (picked & special).any()
        chosen += int(picked.sum())
        candidates += int((~special).sum())
        to_mask += int((batch["input_ids"][picked] == mlm.tokenizer.mask_token_id).sum())
        kept += int((batch["input_ids"][picked] == original[picked]).sum())
        assert torch.equal(batch["input_ids"][~picked], original[~picked])
    return chosen, candidates, to_mask, kept


def _within(count, total, p, sigmas=5.0):
    return abs(count / total - p) <= sigmas * math.sqrt(p * (1 - p) / total)


def test_masking_rates_follow_the_collator_rules(checkpoint, corpus):
    mlm = hf.MaskedLM.from_pretrained(checkpoint, block_size=16)  # equal rows: no padding
    texts = [" ".join(random.Random(i).sample(corpus[0][i % 8].split(), 5)) for i in range(64)]
    rows = mlm.rows(texts)
    assert {len(r) for r in rows["input_ids"]} == {16}
    torch.manual_seed(0)
    chosen, candidates, to_mask, kept = _masking_counts(mlm, rows, draws=50)
    assert candidates > 5000
    assert _within(chosen, candidates, 0.15)
    assert _within(to_mask, chosen, 0.8)
    vocab = len(mlm.tokenizer)
    assert _within(kept, chosen, 0.1 + 0.1 / vocab)  # kept, or replaced by itself at random
    # dynamic: every draw masks anew; evaluate's seeded masks are the same every time
    all_rows = [{k: v[i] for k, v in rows.items()} for i in range(len(rows["input_ids"]))]
    assert not torch.equal(mlm.collator()(all_rows)["labels"], mlm.collator()(all_rows)["labels"])
    a, b = mlm.masked_batches(texts[:8]), mlm.masked_batches(texts[:8])
    assert all(torch.equal(x["labels"], y["labels"]) for x, y in zip(a, b, strict=True))
    assert any((x["labels"] != -100).any() for x in a)


def test_whole_word_masking_masks_all_pieces_of_a_word(checkpoint, corpus):
    mlm = hf.MaskedLM.from_pretrained(checkpoint, whole_word_mask=True)
    texts = [" ".join(_words(mlm.tokenizer, corpus[0], 3)[i : i + 6]) for i in range(0, 12, 2)]
    texts += [" ".join(_words(mlm.tokenizer, corpus[0], 2)[i : i + 6]) for i in range(0, 12, 2)]
    texts = [t for t in texts if t]
    rows = mlm.rows(texts)
    torch.manual_seed(0)
    words_chosen = words_total = 0
    for _ in range(100):
        batch = mlm.collator()([{k: v[i] for k, v in rows.items()} for i in range(len(texts))])
        for i in range(len(texts)):
            word_ids = mlm.tokenizer(texts[i]).word_ids()
            picked = (batch["labels"][i] != -100).tolist()
            for w in set(x for x in word_ids if x is not None):
                flags = {picked[p] for p, x in enumerate(word_ids) if x == w}
                assert len(flags) == 1  # all the pieces of a word, or none
                words_chosen += flags.pop()
                words_total += 1
        masked = batch["labels"] != -100
        assert (batch["input_ids"][masked] == mlm.tokenizer.mask_token_id).all()
    assert _within(words_chosen, words_total, 0.15)


@pytest.mark.slow
def test_learns_fill_mask_perplexity_and_pipeline_reload(checkpoint, corpus, tmp_path):
    import torchbridge as tb

    torch.manual_seed(0)
    mlm = hf.MaskedLM.from_pretrained(checkpoint)
    words = _words(mlm.tokenizer, corpus[0], 1)[:12]
    mlm.compile(optimizer=tb.optimizers.AdamW(learning_rate=5e-3))
    history = mlm.fit(_repeated(words, 200, 2), batch_size=16, epochs=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.3 * losses[0]

    held_out = _repeated(words, 24, 1)
    logs = mlm.evaluate(held_out, batch_size=8, verbose=0)
    assert logs == mlm.evaluate(held_out, batch_size=8, verbose=0)  # seeded masks
    total, count = 0.0, 0
    module = mlm.model.module.eval()
    with torch.no_grad():
        for batch in mlm.masked_batches(held_out, batch_size=8):
            labels = batch.pop("labels")
            logits = module(**batch).logits
            keep = labels != -100
            total += float(
                torch.nn.functional.cross_entropy(logits[keep], labels[keep], reduction="sum")
            )
            count += int(keep.sum())
    assert logs["perplexity"] == pytest.approx(math.exp(total / count), rel=1e-5)
    assert logs["perplexity"] < 2.0

    fills = mlm.predict([f"{w} {w} [MASK] {w} {w}" for w in words], top_k=1)
    right = sum(f[0]["token_str"] == w for f, w in zip(fills, words, strict=True))
    assert right >= 2 * len(words) // 3  # the repeated word fills the mask
    queries = [f"{w} {w} [MASK] {w} {w}" for w in words[:4]] + [f"{words[5]} [MASK]"]

    mlm.save(tmp_path / "saved")
    pipe = transformers.pipeline("fill-mask", model=str(tmp_path / "saved"))
    reloaded = hf.MaskedLM.from_pretrained(tmp_path / "saved")
    for model in (mlm, reloaded):
        for kwargs in ({}, {"top_k": 3}, {"targets": words[:2]}):
            got = model.predict(queries, batch_size=2, **kwargs)
            expected = [pipe(q, **kwargs) for q in queries]
            for g, e in zip(got, expected, strict=True):
                assert [d["token"] for d in g] == [d["token"] for d in e]
                assert [d["sequence"] for d in g] == [d["sequence"] for d in e]
                np.testing.assert_allclose(
                    [d["score"] for d in g], [d["score"] for d in e], atol=1e-5
                )
    assert reloaded.predict(queries[0]) == mlm.predict(queries[0])


def test_bad_input_fails_before_any_step(checkpoint, tmp_path, tokenizer):
    import datasets

    mlm = hf.MaskedLM.from_pretrained(checkpoint)
    mlm.compile()
    before = {k: v.clone() for k, v in mlm.model.module.state_dict().items()}
    cases = [
        ([], "no rows"),
        (["win a prize", None], r"Row 1, field 'text': expected a string, got NoneType"),
        ([""], r"Row 0, field 'text' is empty"),
        (datasets.Dataset.from_dict({"sentence": ["win"]}), r"no 'text' column"),
    ]
    for x, message in cases:
        with pytest.raises(InputError, match=message):
            mlm.fit(x, verbose=0)
    for k, v in mlm.model.module.state_dict().items():
        torch.testing.assert_close(v, before[k])
    with pytest.raises(InputError, match=r"Text 0 has no mask token '\[MASK\]'"):
        mlm.predict("win a prize")
    # a decoder-only checkpoint is the wrong architecture for masked LM
    config = transformers.GPT2Config(vocab_size=len(tokenizer), n_embd=16, n_layer=1, n_head=2)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "gpt")
    tokenizer.save_pretrained(tmp_path / "gpt")
    with pytest.raises(InputError, match="architecture has no masked-lm model"):
        hf.MaskedLM.from_pretrained(tmp_path / "gpt")


def test_datasets_input_and_validation(checkpoint, corpus):
    import datasets

    mlm = hf.MaskedLM.from_pretrained(checkpoint, text_column="sentence")
    mlm.compile()
    ds = datasets.Dataset.from_dict({"sentence": corpus[0] * 2})
    history = mlm.fit(ds, batch_size=4, epochs=1, verbose=0, validation_data=corpus[0][:4])
    assert {"loss", "val_loss"} <= set(history.history)
    assert mlm.evaluate(ds, verbose=0) == mlm.evaluate(corpus[0] * 2, verbose=0)
