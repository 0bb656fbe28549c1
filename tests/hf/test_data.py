"""torchbridge.hf.text_dataset / prepare_dataset: dynamic padding, bucketing, datasets input."""

from __future__ import annotations

import copy

import datasets
import numpy as np
import pytest
import torch

from torchbridge.errors import InputError
from torchbridge.hf.data import prepare_dataset, quantile_boundaries, text_dataset

datasets.disable_progress_bars()


def _ref(tokenizer, texts, pairs=None, **kwargs):
    """transformers' own padded batch (truncated to model_max_length), as int64 tensors."""
    kwargs.setdefault("truncation", True)
    enc = tokenizer(list(texts), pairs, padding=True, **kwargs)
    return {k: torch.as_tensor(v) for k, v in enc.items()}


def _assert_encoding(got, want):
    assert set(got) == set(want)
    for k in want:
        assert got[k].dtype == torch.int64, k
        assert torch.equal(got[k], want[k]), k


def _texts(corpus, n, seed=0):
    """``n`` texts of the corpus's words, with a realistic (log-normal, long-tailed) length
    distribution."""
    rng = np.random.default_rng(seed)
    words = sorted({w for text in corpus[0] for w in text.split()})
    counts = np.clip(np.round(rng.lognormal(np.log(10), 0.7, n)), 1, 60).astype(int)
    return [" ".join(rng.choice(words, c)) for c in counts]


def _padding_fraction(batches):
    real = total = 0
    for batch in batches:
        x = batch[0] if isinstance(batch, tuple) else batch
        real += int(x["attention_mask"].sum())
        total += x["attention_mask"].numel()
    return 1.0 - real / total


def _tokenized(tokenizer, texts, labels, **columns):
    hf = datasets.Dataset.from_dict({"text": texts, "label": labels, **columns})
    return hf.map(lambda b: tokenizer(b["text"], truncation=True), batched=True)


# --- text_dataset --------------------------------------------------------------------------
def test_text_dataset_batches_equal_tokenizer_padding(tokenizer, corpus):
    texts, labels = corpus
    ds = text_dataset(texts, labels, tokenizer=tokenizer, batch_size=3)
    batches = list(ds)
    assert ds.cardinality() == len(batches) == 3
    for i, (x, y) in enumerate(batches):
        _assert_encoding(x, _ref(tokenizer, texts[3 * i : 3 * i + 3]))
        assert y.dtype == torch.int64 and y.tolist() == labels[3 * i : 3 * i + 3]


def test_text_dataset_shuffles_each_pass_and_groups_like_the_tokenizer(tokenizer, corpus):
    texts = _texts(corpus, 50)
    ids = np.arange(50)  # labels = row ids, so each batch says which texts it holds
    ds = text_dataset(texts, ids, tokenizer=tokenizer, batch_size=8, shuffle=True, seed=3)
    orders = []
    for _ in range(2):
        seen = []
        for x, y in ds:
            _assert_encoding(x, _ref(tokenizer, [texts[i] for i in y.tolist()]))
            seen += y.tolist()
        assert sorted(seen) == list(range(50))
        orders.append(seen)
    assert orders[0] != orders[1]  # a new order every pass (epoch)
    again = text_dataset(texts, ids, tokenizer=tokenizer, batch_size=8, shuffle=True, seed=3)
    first = [i for _, y in again for i in y.tolist()]
    assert first == orders[0]  # same seed, same sequence of orders


def test_text_dataset_without_labels_and_with_pairs(tokenizer, corpus):
    texts, _ = corpus
    x = next(iter(text_dataset(texts, tokenizer=tokenizer, batch_size=4)))
    assert isinstance(x, dict)
    _assert_encoding(x, _ref(tokenizer, texts[:4]))
    ds = text_dataset(texts[:4], text_pairs=texts[4:], tokenizer=tokenizer, batch_size=4)
    _assert_encoding(next(iter(ds)), _ref(tokenizer, texts[:4], texts[4:]))


def test_text_dataset_truncates_to_max_length(tokenizer, corpus):
    texts, _ = corpus
    x = next(iter(text_dataset(texts, tokenizer=tokenizer, batch_size=8, max_length=7)))
    _assert_encoding(x, _ref(tokenizer, texts, truncation=True, max_length=7))
    assert x["input_ids"].shape == (8, 7)


def test_left_padding_follows_the_tokenizer(tokenizer, corpus):
    texts, _ = corpus
    left = copy.deepcopy(tokenizer)
    left.padding_side = "left"
    for bucket in (False, True):
        ds = text_dataset(texts, np.arange(8), tokenizer=left, batch_size=4, bucket=bucket)
        for x, y in ds:
            _assert_encoding(x, _ref(left, [texts[i] for i in y.tolist()]))
            assert (x["attention_mask"][:, -1] == 1).all()  # real tokens end every row


def test_bucketing_yields_every_example_once_and_cuts_padding(tokenizer, corpus):
    texts = _texts(corpus, 640)
    ids = np.arange(640)
    plain = text_dataset(texts, ids, tokenizer=tokenizer, batch_size=16, shuffle=True, seed=0)
    bucketed = text_dataset(
        texts, ids, tokenizer=tokenizer, batch_size=16, shuffle=True, seed=0, bucket=True
    )
    batches = list(bucketed)
    assert bucketed.cardinality() == len(batches)
    seen = [i for _, y in batches for i in y.tolist()]
    assert sorted(seen) == list(range(640))  # every text exactly once
    assert max(len(y) for _, y in batches) == 16
    for x, y in batches:  # each batch is the tokenizer's own padding of its group
        _assert_encoding(x, _ref(tokenizer, [texts[i] for i in y.tolist()]))
    with_buckets, without = _padding_fraction(batches), _padding_fraction(plain)
    assert without > 0.3  # a long-tailed length distribution pads a lot ...
    assert with_buckets < 0.4 * without  # ... and bucketing removes most of it
    # A second pass: a new order, still every text once.
    again = [i for _, y in bucketed for i in y.tolist()]
    assert sorted(again) == list(range(640)) and again != seen


def test_bucket_boundaries_given_and_from_quantiles(tokenizer, corpus):
    assert quantile_boundaries([5, 5, 6, 7, 8, 9, 10, 30], 4) == [6, 8, 10]
    assert quantile_boundaries([5] * 10, 4) == []
    assert quantile_boundaries([3, 4], 1) == []
    texts = _texts(corpus, 100)
    lengths = [len(t) for t in tokenizer(texts)["input_ids"]]
    ds = text_dataset(
        texts, np.arange(100), tokenizer=tokenizer, batch_size=8, bucket=True,
        bucket_boundaries=[20, 40],
    )  # fmt: skip
    for _, y in ds:
        groups = {0 if lengths[i] < 20 else 1 if lengths[i] < 40 else 2 for i in y.tolist()}
        assert len(groups) == 1  # never mixes the buckets
    with pytest.raises(InputError, match="increasing"):
        text_dataset(texts, tokenizer=tokenizer, bucket=True, bucket_boundaries=[40, 20])


def test_text_dataset_errors_name_the_fix(tokenizer, corpus):
    texts, labels = corpus
    with pytest.raises(InputError, match=r"Text 0 is \d+ tokens long.*truncation=True"):
        text_dataset(texts, tokenizer=tokenizer, max_length=5, truncation=False)
    with pytest.raises(InputError, match=r"label 2, outside the classes 0..1 of num_labels=2"):
        text_dataset(texts, [0, 1, 2, 0, 1, 0, 1, 0], tokenizer=tokenizer, num_labels=2)
    with pytest.raises(InputError, match="label2id"):
        text_dataset(texts, ["spam", "ham"] * 4, tokenizer=tokenizer)
    with pytest.raises(InputError, match="8 texts but 3 labels"):
        text_dataset(texts, [0, 1, 0], tokenizer=tokenizer)
    with pytest.raises(InputError, match="Hugging Face tokenizer"):
        text_dataset(texts, tokenizer=None)
    with pytest.raises(InputError, match=r"texts\[2\] is NoneType"):
        text_dataset(["a", "b", None], tokenizer=tokenizer)
    with pytest.raises(InputError, match="batch_size"):
        text_dataset(texts, tokenizer=tokenizer, batch_size=0)
    # One-hot / float labels are accepted (float32) and checked against num_labels.
    onehot = np.eye(2)[labels]
    _, y = next(iter(text_dataset(texts, onehot, tokenizer=tokenizer, num_labels=2)))
    assert y.dtype == torch.float32 and y.shape == (8, 2)
    with pytest.raises(InputError, match="num_labels=3"):
        text_dataset(texts, onehot, tokenizer=tokenizer, num_labels=3)


# --- prepare_dataset: map-style ---------------------------------------------------------------
def test_prepare_tokenized_dataset_drops_other_columns(tokenizer, corpus):
    texts, labels = corpus
    hf = _tokenized(tokenizer, texts, labels, idx=list(range(8)))
    ds = prepare_dataset(hf, tokenizer, batch_size=3)
    batches = list(ds)
    assert ds.cardinality() == len(batches) == 3
    for i, (x, y) in enumerate(batches):
        _assert_encoding(x, _ref(tokenizer, texts[3 * i : 3 * i + 3]))
        assert y.dtype == torch.int64 and y.tolist() == labels[3 * i : 3 * i + 3]
    # Without a tokenizer the padding id is 0 (hidden by attention_mask) — the fixture's too.
    for (x, _), (x2, _) in zip(prepare_dataset(hf, batch_size=3), batches):
        _assert_encoding(x, x2)


def test_prepare_tokenizes_a_text_column_per_batch(tokenizer, corpus):
    texts, labels = corpus
    hf = datasets.Dataset.from_dict({"sentence": texts, "label": labels})
    batches = list(prepare_dataset(hf, tokenizer, batch_size=4, max_length=9))
    for i, (x, y) in enumerate(batches):
        _assert_encoding(
            x, _ref(tokenizer, texts[4 * i : 4 * i + 4], truncation=True, max_length=9)
        )
        assert y.tolist() == labels[4 * i : 4 * i + 4]
    pairs = datasets.Dataset.from_dict({"a": texts[:4], "b": texts[4:], "label": labels[:4]})
    x, _ = next(iter(prepare_dataset(pairs, tokenizer, text_column="a", text_pair_column="b")))
    _assert_encoding(x, _ref(tokenizer, texts[:4], texts[4:]))


def test_prepare_shuffles_every_pass_and_resumes_exactly(tokenizer, corpus):
    texts = _texts(corpus, 40)
    hf = datasets.Dataset.from_dict({"text": texts, "label": list(range(40))})
    ds = prepare_dataset(hf, tokenizer, batch_size=6, shuffle=True, seed=1)
    assert ds.cardinality() == 7
    passes = [[i for _, y in ds for i in y.tolist()] for _ in range(2)]
    assert all(sorted(p) == list(range(40)) for p in passes)
    assert passes[0] != passes[1]
    for x, y in prepare_dataset(hf, tokenizer, batch_size=6, shuffle=True, seed=1):
        _assert_encoding(x, _ref(tokenizer, [texts[i] for i in y.tolist()]))
    # Exact resume in the middle of a pass.
    ds = prepare_dataset(hf, tokenizer, batch_size=6, shuffle=True, seed=2)
    it = iter(ds)
    next(it), next(it)
    state = it.get_state()
    rest = [y.tolist() for _, y in it]
    it2 = iter(prepare_dataset(hf, tokenizer, batch_size=6, shuffle=True, seed=2))
    it2.set_state(state)
    assert [y.tolist() for _, y in it2] == rest


def test_prepare_bucketing_map_style(tokenizer, corpus):
    texts = _texts(corpus, 400)
    hf = _tokenized(tokenizer, texts, list(range(400)))
    plain = prepare_dataset(hf, batch_size=16, shuffle=True, seed=0)
    bucketed = prepare_dataset(hf, batch_size=16, shuffle=True, seed=0, bucket=True)
    batches = list(bucketed)
    assert bucketed.cardinality() == len(batches)
    assert sorted(i for _, y in batches for i in y.tolist()) == list(range(400))
    for x, y in batches:
        _assert_encoding(x, _ref(tokenizer, [texts[i] for i in y.tolist()]))
    assert _padding_fraction(batches) < 0.4 * _padding_fraction(plain)
    # From a text column: lengths measured with the tokenizer.
    raw = datasets.Dataset.from_dict({"text": texts, "label": list(range(400))})
    from_text = list(prepare_dataset(raw, tokenizer, batch_size=16, bucket=True, num_buckets=4))
    assert sorted(i for _, y in from_text for i in y.tolist()) == list(range(400))
    assert _padding_fraction(from_text) < 0.5 * _padding_fraction(plain)


def test_prepare_streaming_dataset(tokenizer, corpus):
    texts = _texts(corpus, 100)
    hf = _tokenized(tokenizer, texts, list(range(100)))
    stream = hf.to_iterable_dataset()
    ds = prepare_dataset(stream, batch_size=16)
    batches = list(ds)
    assert batches[0][1].tolist() == list(range(16))
    assert sum(len(y) for _, y in batches) == 100
    for x, y in batches:
        _assert_encoding(x, _ref(tokenizer, [texts[i] for i in y.tolist()]))
    shuffled = prepare_dataset(stream, batch_size=16, shuffle=True, seed=0, bucket=True)
    passes = [[i for _, y in shuffled for i in y.tolist()] for _ in range(2)]
    assert all(sorted(p) == list(range(100)) for p in passes) and passes[0] != passes[1]
    # Raw text streams are tokenized per batch.
    raw = datasets.Dataset.from_dict({"text": texts, "label": [0] * 100}).to_iterable_dataset()
    x, y = next(iter(prepare_dataset(raw, tokenizer, batch_size=5)))
    _assert_encoding(x, _ref(tokenizer, texts[:5]))


def test_prepare_with_transformers_collators(tokenizer, corpus):
    from transformers import DataCollatorForLanguageModeling, DataCollatorWithPadding

    texts, labels = corpus
    hf = _tokenized(tokenizer, texts, labels)
    ours = list(prepare_dataset(hf, tokenizer, batch_size=4))
    theirs = list(prepare_dataset(hf, batch_size=4, collate_fn=DataCollatorWithPadding(tokenizer)))
    for (x1, y1), (x2, y2) in zip(ours, theirs):
        _assert_encoding(x2, x1)
        assert torch.equal(y1, y2)
    # Masked LM: the collator makes the labels (-100 where not masked); they become y.
    torch.manual_seed(0)
    mlm = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.3)
    lm = prepare_dataset(hf.remove_columns(["label"]), batch_size=4, collate_fn=mlm)
    for (x, y), (x_ref, _) in zip(lm, ours):
        assert y.shape == x["input_ids"].shape == x_ref["input_ids"].shape
        changed = y != -100
        assert changed.any()
        assert torch.equal(y[changed], x_ref["input_ids"][changed])  # labels = original ids
        assert torch.equal(x["input_ids"][~changed], x_ref["input_ids"][~changed])


def test_prepare_input_columns_model_and_class_weight(tokenizer, tiny_classifier, corpus):
    texts, labels = corpus
    hf = _tokenized(tokenizer, texts, labels, idx=list(range(8)), score=[0.5] * 8)
    hf = hf.map(lambda r: {"token_type_ids": [0] * len(r["input_ids"])})
    x, _ = next(iter(prepare_dataset(hf, batch_size=4)))
    assert sorted(x) == ["attention_mask", "input_ids", "token_type_ids"]
    x, _ = next(
        iter(
            prepare_dataset(
                hf, batch_size=4, input_columns=["input_ids", "attention_mask", "score"]
            )
        )
    )
    assert (
        sorted(x) == ["attention_mask", "input_ids", "score"] and x["score"].dtype == torch.float32
    )
    x, _ = next(iter(prepare_dataset(hf, batch_size=4, model=tiny_classifier)))
    assert sorted(x) == ["attention_mask", "input_ids", "token_type_ids"]
    _, _, sw = next(iter(prepare_dataset(hf, batch_size=8, class_weight={0: 1.0, 1: 3.0})))
    assert sw.tolist() == [3.0 if v else 1.0 for v in labels]
    with pytest.raises(InputError, match=r"input_columns \['nope'\].*Fix input_columns="):
        prepare_dataset(hf, input_columns=["nope"])


def test_prepare_padding_without_tokenizer():
    ragged = datasets.Dataset.from_dict(
        {"input_ids": [[5, 6, 7], [8]], "attention_mask": [[1, 1, 1], [1]], "label": [0, 1]}
    )
    x, _ = next(iter(prepare_dataset(ragged)))
    assert x["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert x["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    x, _ = next(iter(prepare_dataset(ragged, pad_to_multiple_of=4)))
    assert x["input_ids"].shape == (2, 4)
    no_mask = ragged.remove_columns(["attention_mask"])
    with pytest.raises(InputError, match=r"prepare_dataset\(ds, tokenizer\)"):
        next(iter(prepare_dataset(no_mask)))
    # Token-classification labels are padded with -100.
    tokens = ragged.remove_columns(["label"]).add_column("labels", [[1, 2, 0], [3]])
    _, y = next(iter(prepare_dataset(tokens)))
    assert y.tolist() == [[1, 2, 0], [3, -100, -100]]


def test_prepare_errors_name_columns_and_arguments(tokenizer, corpus):
    texts, labels = corpus
    hf = datasets.Dataset.from_dict({"body": texts, "subject": texts, "label": labels})
    with pytest.raises(InputError, match=r"text_column='text'.*\['body', 'subject', 'label'\]"):
        prepare_dataset(hf, tokenizer, text_column="text")
    with pytest.raises(InputError, match=r"several text columns \['body', 'subject'\]"):
        prepare_dataset(hf, tokenizer)
    with pytest.raises(InputError, match=r"label_column='target'.*Set label_column="):
        prepare_dataset(hf, tokenizer, text_column="body", label_column="target")
    with pytest.raises(InputError, match=r"not tokenized.*tokenizer="):
        prepare_dataset(hf)
    with pytest.raises(InputError, match="needs a tokenizer"):
        prepare_dataset(hf, text_column="body")
    with pytest.raises(InputError, match=r"label 1, outside the classes 0..0 of num_labels=1"):
        prepare_dataset(hf, tokenizer, text_column="body", num_labels=1)
    with pytest.raises(InputError, match=r"ds\['train'\]"):
        prepare_dataset(datasets.DatasetDict({"train": hf}), tokenizer)
    with pytest.raises(InputError, match="truncation=True"):
        list(prepare_dataset(hf, tokenizer, text_column="body", max_length=4, truncation=False))
    with pytest.raises(InputError, match="label2id"):
        next(iter(prepare_dataset(hf, tokenizer, text_column="body", label_column="subject")))
    # Streaming data is checked batch by batch, as it is read.
    stream = datasets.Dataset.from_dict({"text": texts, "label": labels}).to_iterable_dataset()
    with pytest.raises(InputError, match="num_labels=1"):
        list(prepare_dataset(stream, tokenizer, num_labels=1))


def test_importing_the_data_modules_imports_no_hugging_face_package():
    import subprocess
    import sys

    code = (
        "import sys, torchbridge.hf.data, torchbridge.hf.tokenization, torchbridge; "
        "loaded = [m for m in ('transformers', 'datasets', 'tokenizers') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
