"""hf.CausalLM: group_texts chunking as the Hugging Face guide writes it, learning a repeated
pattern on a tiny GPT-2 (loss, perplexity equal to a hand computation, generation that
continues the pattern, streaming, stop strings), save → pipeline("text-generation") with
equal outputs → reload, bad input before any step."""

from __future__ import annotations

import math
import random

import pytest
import torch
import transformers

from torchbridge import hf
from torchbridge.errors import InputError

COLORS = ["red", "orange", "yellow", "green", "blue", "indigo", "violet", "black", "white", "gray"]


def _texts(n, seed):
    """Runs of the color cycle, each from a random color, of random length."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        start, k = r.randrange(len(COLORS)), r.randint(6, 14)
        out.append(" ".join(COLORS[(start + i) % len(COLORS)] for i in range(k)))
    return out


def _byte_level_tokenizer():
    """A GPT-2 style byte-level BPE tokenizer trained on the cycle texts."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_texts(50, 0), trainer)
    eos = "<|endoftext|>"
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=eos, bos_token=eos, unk_token=eos
    )


@pytest.fixture
def checkpoint(tmp_path):
    tokenizer = _byte_level_tokenizer()
    config = transformers.GPT2Config(
        vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_positions=64,
        bos_token_id=0, eos_token_id=0,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "gpt")
    tokenizer.save_pretrained(tmp_path / "gpt")
    return tmp_path / "gpt"


def _guide_group_texts(examples, block_size):
    """The Hugging Face causal-LM guide's group_texts, verbatim in behaviour."""
    concatenated = {k: sum(examples[k], []) for k in examples}  # noqa: RUF017
    total_length = len(concatenated[list(examples.keys())[0]])  # noqa: RUF015
    if total_length >= block_size:
        total_length = (total_length // block_size) * block_size
    result = {
        k: [t[i : i + block_size] for i in range(0, total_length, block_size)]
        for k, t in concatenated.items()
    }
    result["labels"] = result["input_ids"].copy()
    return result


@pytest.mark.parametrize("block_size, n_texts", [(16, 30), (7, 5), (64, 2)])
def test_blocks_are_the_guides_group_texts(checkpoint, block_size, n_texts):
    lm = hf.CausalLM.from_pretrained(checkpoint, block_size=block_size)
    texts = _texts(n_texts, 3)
    enc = lm.tokenizer(texts)
    expected = _guide_group_texts(
        {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}, block_size
    )
    got = lm.blocks(texts)
    assert got == expected
    assert len(got["input_ids"]) >= 1


@pytest.mark.slow
def test_learns_the_pattern_generates_it_and_reloads(checkpoint, tmp_path, capsys):
    torch.manual_seed(0)
    lm = hf.CausalLM.from_pretrained(checkpoint, block_size=16)
    import torchbridge as tb

    lm.compile(optimizer=tb.optimizers.AdamW(learning_rate=1e-2))
    history = lm.fit(_texts(160, 2), batch_size=16, epochs=5, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.35 * losses[0]

    # perplexity = exp(mean next-token cross-entropy over every predicted token), by hand
    held_out = _texts(12, 1)
    logs = lm.evaluate(held_out, batch_size=4, verbose=0)
    blocks = lm.blocks(held_out)
    module = lm.model.module.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids in blocks["input_ids"]:
            x = torch.tensor([ids])
            logits = module(input_ids=x).logits[0, :-1]
            total += float(torch.nn.functional.cross_entropy(logits, x[0, 1:], reduction="sum"))
            count += len(ids) - 1
    assert logs["perplexity"] == pytest.approx(math.exp(total / count), rel=1e-5)
    assert logs["perplexity"] < 3.0 and logs["accuracy"] > 0.6

    # generation continues the cycle; stop strings stop it; streaming prints the new text
    out = lm.generate(["red orange", "blue indigo violet"], max_new_tokens=6)
    assert out[0].split()[:5] == ["red", "orange", "yellow", "green", "blue"]
    assert out[1].split()[:5] == ["blue", "indigo", "violet", "black", "white"]
    stopped = lm.generate("green", max_new_tokens=30, stop_strings=["violet"])
    assert stopped.endswith("violet") and stopped.split() == COLORS[3:7]
    capsys.readouterr()
    streamed = lm.generate("white", max_new_tokens=5, stream=True)
    printed = capsys.readouterr().out
    assert printed.strip() and printed.strip() == streamed[len("white") :].strip()

    # save → transformers.pipeline and the Auto class load it; outputs equal; reload equal
    lm.save(tmp_path / "saved")
    pipe = transformers.pipeline("text-generation", model=str(tmp_path / "saved"))
    prompts = ["red orange", "gray", "violet black white"]
    reloaded = hf.CausalLM.from_pretrained(tmp_path / "saved")
    assert reloaded.block_size == 16
    expected = [pipe(p, max_new_tokens=5, do_sample=False) for p in prompts]
    assert lm.predict(prompts, max_new_tokens=5) == expected
    assert reloaded.predict(prompts[0], max_new_tokens=5) == expected[0]
    auto = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "saved")
    assert type(auto).__name__ == "GPT2LMHeadModel"


def test_bad_input_fails_before_any_step(checkpoint, tmp_path, tokenizer):
    import datasets

    lm = hf.CausalLM.from_pretrained(checkpoint)
    lm.compile()
    before = {k: v.clone() for k, v in lm.model.module.state_dict().items()}
    cases = [
        ([], "no rows"),
        (["red orange", 3], r"Row 1, field 'text': expected a string, got int"),
        (["red", "  "], r"Row 1, field 'text' is empty"),
        (datasets.Dataset.from_dict({"content": ["red orange"]}), r"no 'text' column"),
        ({"body": ["red"]}, r"x has no 'text' field"),
    ]
    for x, message in cases:
        with pytest.raises(InputError, match=message):
            lm.fit(x, verbose=0)
    for k, v in lm.model.module.state_dict().items():
        torch.testing.assert_close(v, before[k])
    with pytest.raises(InputError, match="no prompts"):
        lm.generate([])
    # an encoder-decoder checkpoint is the wrong architecture for a causal LM
    config = transformers.T5Config(
        vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2
    )
    transformers.T5ForConditionalGeneration(config).save_pretrained(tmp_path / "t5")
    tokenizer.save_pretrained(tmp_path / "t5")
    with pytest.raises(InputError, match="architecture has no causal-lm model"):
        hf.CausalLM.from_pretrained(tmp_path / "t5")
    # so is an encoder (bidirectional) checkpoint, unless told to act as a decoder
    config = transformers.BertConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16,
    )  # fmt: skip
    transformers.BertForMaskedLM(config).save_pretrained(tmp_path / "bert")
    tokenizer.save_pretrained(tmp_path / "bert")
    with pytest.raises(InputError, match=r"encoder checkpoint \(bert, bidirectional"):
        hf.CausalLM.from_pretrained(tmp_path / "bert")
    as_decoder = hf.CausalLM.from_pretrained(tmp_path / "bert", is_decoder=True)
    assert as_decoder.model.config.is_decoder


def test_datasets_input_and_validation(checkpoint):
    import datasets

    texts = _texts(24, 4)
    lm = hf.CausalLM.from_pretrained(checkpoint, block_size=8, text_column="body")
    lm.compile()
    ds = datasets.Dataset.from_dict({"body": texts})
    history = lm.fit(ds, batch_size=8, epochs=1, verbose=0, validation_split=0.25)
    assert {"loss", "val_loss"} <= set(history.history)
    same = lm.evaluate({"body": texts}, verbose=0)
    assert lm.evaluate(ds, verbose=0) == same
    assert same["perplexity"] == pytest.approx(math.exp(same["loss"]), rel=1e-4)
