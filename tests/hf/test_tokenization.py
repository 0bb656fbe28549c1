"""torchbridge.hf.Tokenize: tokenization inside torchbridge.data pipelines."""

from __future__ import annotations

import copy
import pickle

import datasets
import numpy as np
import pytest
import torch

from torchbridge.data import Dataset, PipelineFunctionError
from torchbridge.errors import InputError
from torchbridge.hf.tokenization import Tokenize


def _ref(tokenizer, texts, pairs=None, **kwargs):
    """transformers' own answer, as int64 tensors."""
    return {k: torch.as_tensor(v) for k, v in tokenizer(texts, pairs, **kwargs).items()}


def _assert_encoding(got, want):
    assert set(got) == set(want)
    for k in want:
        assert got[k].dtype == torch.int64, k
        assert torch.equal(got[k], want[k]), k


def test_text_elements_become_unpadded_int64_dicts(tokenizer, corpus):
    texts, _ = corpus
    out = list(Dataset.from_tensor_slices(texts).map(Tokenize(tokenizer)))
    assert len(out) == len(texts)
    for text, enc in zip(texts, out):
        _assert_encoding(enc, _ref(tokenizer, text))
        assert enc["input_ids"].ndim == 1


def test_text_label_tuples_keep_the_label(tokenizer, corpus):
    texts, labels = corpus
    ds = Dataset.from_tensor_slices((texts, np.array(labels, np.int64))).map(Tokenize(tokenizer))
    for (enc, label), text, want in zip(ds, texts, labels):
        _assert_encoding(enc, _ref(tokenizer, text))
        assert label.dtype == torch.int64 and int(label) == want


def test_batches_of_strings_are_tokenized_in_one_call_and_padded(tokenizer, corpus):
    texts, labels = corpus
    calls = []

    class Counting:
        """The fixture tokenizer, counting its calls (picklable, forwards attributes)."""

        def __init__(self, tok):
            self.tok = tok

        def __getattr__(self, name):
            return getattr(self.tok, name)

        def __call__(self, *args, **kwargs):
            calls.append(args[0])
            return self.tok(*args, **kwargs)

    ds = (
        Dataset.from_tensor_slices((texts, labels))
        .batch(3)
        .map(Tokenize(Counting(tokenizer), pad_to_multiple_of=None))
    )
    batches = list(ds)
    assert len(calls) == len(batches) == 3  # one tokenizer call per batch, not per text
    for i, (enc, y) in enumerate(batches):
        chunk = texts[3 * i : 3 * i + 3]
        _assert_encoding(enc, _ref(tokenizer, chunk, padding=True))
        assert y.tolist() == labels[3 * i : 3 * i + 3]


def test_batch_pad_to_multiple_of(tokenizer, corpus):
    texts, _ = corpus
    enc = Tokenize(tokenizer, pad_to_multiple_of=8)(np.array(texts[:3], dtype=object))
    assert enc["input_ids"].shape[1] % 8 == 0
    _assert_encoding(enc, _ref(tokenizer, texts[:3], padding=True, pad_to_multiple_of=8))


def test_text_pairs(tokenizer, corpus):
    texts, labels = corpus
    a, b = texts[:4], texts[4:]
    ds = Dataset.from_tensor_slices((a, b, labels[:4])).map(Tokenize(tokenizer, pair=True))
    for (enc, _), ta, tb in zip(ds, a, b):
        _assert_encoding(enc, _ref(tokenizer, ta, tb))
    batch = Tokenize(tokenizer, pair=True)(np.array(a, dtype=object), np.array(b, dtype=object))
    _assert_encoding(batch, _ref(tokenizer, a, b, padding=True))


def test_truncation_cuts_to_max_length(tokenizer, corpus):
    texts, _ = corpus
    enc = Tokenize(tokenizer, max_length=6)(texts[0])
    _assert_encoding(enc, _ref(tokenizer, texts[0], truncation=True, max_length=6))
    assert enc["input_ids"].shape == (6,)
    assert int(enc["input_ids"][-1]) == tokenizer.sep_token_id
    # max_length=None: the tokenizer's model_max_length (64 for the fixture).
    long_text = " ".join(texts * 3)
    assert Tokenize(tokenizer)(long_text)["input_ids"].shape == (64,)


def test_too_long_without_truncation_is_an_error_naming_the_fix(tokenizer, corpus):
    texts, _ = corpus
    tok = Tokenize(tokenizer, max_length=6, truncation=False)
    with pytest.raises(InputError, match=r"truncation=True.*max_length") as info:
        tok(texts[0])
    assert "max_length=6" in str(info.value)
    with pytest.raises(InputError, match="Text 1 is"):
        tok(np.array([texts[0][:5], texts[1]], dtype=object))
    # The model's own limit when no max_length is given.
    with pytest.raises(InputError, match=r"model_max_length \(64\)"):
        Tokenize(tokenizer, truncation=False)(" ".join(texts * 3))
    # Inside a pipeline the error arrives wrapped, chained to the InputError.
    ds = Dataset.from_tensor_slices(texts).map(tok)
    with pytest.raises(PipelineFunctionError, match="truncation=True") as info:
        list(ds)
    assert isinstance(info.value.__cause__, InputError)


def test_hf_rows_become_x_y(tokenizer, corpus):
    texts, labels = corpus
    hf = datasets.Dataset.from_dict({"text": texts, "label": labels, "idx": list(range(8))})
    out = list(Dataset.from_hf(hf).map(Tokenize(tokenizer)))
    for (enc, y), text, label in zip(out, texts, labels):
        _assert_encoding(enc, _ref(tokenizer, text))
        assert int(y) == label
    # No label column: the encoding alone; text_column and label_column by name.
    hf2 = datasets.Dataset.from_dict({"body": texts, "title": texts, "spam": labels})
    enc = next(
        iter(Dataset.from_hf(hf2.remove_columns(["title", "spam"])).map(Tokenize(tokenizer)))
    )
    _assert_encoding(enc, _ref(tokenizer, texts[0]))
    tok = Tokenize(tokenizer, text_column="body", text_pair_column="title", label_column="spam")
    enc, y = next(iter(Dataset.from_hf(hf2).map(tok)))
    _assert_encoding(enc, _ref(tokenizer, texts[0], texts[0]))
    assert int(y) == labels[0]


def test_missing_columns_name_the_columns_and_the_argument(tokenizer, corpus):
    texts, labels = corpus
    row = {"body": texts[0], "title": texts[1], "label": labels[0]}
    with pytest.raises(InputError, match=r"\['body', 'title'\].*text_column="):
        Tokenize(tokenizer)(row)
    with pytest.raises(InputError, match=r"text_column='text'.*\['body', 'title', 'label'\]"):
        Tokenize(tokenizer, text_column="text")(row)
    with pytest.raises(InputError, match=r"label_column='sentiment'.*Set label_column="):
        Tokenize(tokenizer, text_column="body", label_column="sentiment")(row)
    with pytest.raises(InputError, match="text_column="):
        Tokenize(tokenizer)({"n": torch.tensor(1)})


def test_bad_text_values_and_tokenizers(tokenizer):
    with pytest.raises(InputError, match=r"texts\[1\] is NoneType"):
        Tokenize(tokenizer)(["fine", None])
    with pytest.raises(InputError, match="Hugging Face tokenizer"):
        Tokenize(lambda s: s)
    no_pad = copy.deepcopy(tokenizer)
    no_pad.pad_token = None
    tok = Tokenize(no_pad)
    assert tok("free money")["input_ids"].ndim == 1  # one text needs no padding
    with pytest.raises(InputError, match=r"tokenizer\.pad_token = tokenizer\.eos_token"):
        tok(["free money", "win a prize today"])


def test_picklable_and_usable_in_parallel_maps(tokenizer, corpus):
    texts, _ = corpus
    tok = Tokenize(tokenizer, max_length=10)
    clone = pickle.loads(pickle.dumps(tok))
    for text in texts:
        _assert_encoding(clone(text), tok(text))
    ds = Dataset.from_tensor_slices(texts)
    sequential = list(ds.map(tok))
    parallel = list(ds.map(tok, num_parallel_calls=2))
    for a, b in zip(sequential, parallel):
        _assert_encoding(a, b)
