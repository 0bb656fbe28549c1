"""hf.SentenceEncoder against sentence-transformers (the oracle): encode equal to
``SentenceTransformer(folder).encode`` on the packaged MiniLM and on tiny folders written by
sentence-transformers with each pooling mode, search equal to ``util.semantic_search``, the
fine-tuning loss equal to ``MultipleNegativesRankingLoss`` (scale 20) and learning synthetic
pairs, save → ``SentenceTransformer(dir)`` with equal vectors → reload, bad input named."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest
import torch
import transformers

from torchbridge import hf
from torchbridge.errors import InputError, NotCompiledError

st = pytest.importorskip("sentence_transformers")

SENTENCES = [
    "A man is eating food.",
    "A man is riding a horse.",
    "The new movie is awesome",
    "short",
    "Two dogs play in the snow while a child watches them from the window of the house.",
]


def _st_modules():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from sentence_transformers import models
    return models


@pytest.fixture
def bert_dir(tmp_path, tokenizer, tiny_bert_config):
    torch.manual_seed(0)
    transformers.BertModel(tiny_bert_config).save_pretrained(tmp_path / "bert")
    tokenizer.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def _st_folder(bert_dir, path, pooling, normalize, max_seq_length=24):
    """A tiny sentence-transformers folder, written by sentence-transformers itself."""
    models = _st_modules()
    word = models.Transformer(str(bert_dir), max_seq_length=max_seq_length)
    modules = [word, models.Pooling(word.get_embedding_dimension(), pooling_mode=pooling)]
    if normalize:
        modules.append(models.Normalize())
    st.SentenceTransformer(modules=modules, device="cpu").save(str(path))
    return path


def test_minilm_encode_and_search_equal_sentence_transformers():
    from torchbridge.demos.minilm_spam import minilm_path

    path = minilm_path()
    enc = hf.SentenceEncoder.from_pretrained(path)
    assert enc.pooling == ("mean",) and enc.normalize and enc.max_length == 256
    oracle = st.SentenceTransformer(path, device="cpu")
    ours = enc.encode(SENTENCES, batch_size=2)
    expected = oracle.encode(SENTENCES)
    assert ours.dtype == np.float32 and ours.shape == expected.shape == (5, 384)
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    np.testing.assert_allclose(enc.encode(SENTENCES[0]), expected[0], atol=1e-5)
    np.testing.assert_allclose(enc.predict(SENTENCES), expected, atol=1e-5)
    np.testing.assert_allclose(
        enc.similarity(ours, ours), oracle.similarity(expected, expected).numpy(), atol=1e-5
    )
    got = enc.search(SENTENCES[:2], SENTENCES, top_k=3)
    want = st.util.semantic_search(
        torch.from_numpy(expected[:2]), torch.from_numpy(expected), top_k=3
    )
    assert [[h["corpus_id"] for h in q] for q in got] == [[h["corpus_id"] for h in q] for q in want]
    for q_got, q_want in zip(got, want, strict=True):
        np.testing.assert_allclose(
            [h["score"] for h in q_got], [h["score"] for h in q_want], atol=1e-5
        )
    assert enc.search(ours[0], SENTENCES, top_k=1)[0][0]["corpus_id"] == 0  # a vector query


POOLINGS = [("mean", False), ("cls", True), ("max", False), ("lasttoken", False),
            (("cls", "mean"), True), ("mean_sqrt_len_tokens", False)]  # fmt: skip


@pytest.mark.parametrize("pooling, normalize", POOLINGS, ids=[f"{p}-{n}" for p, n in POOLINGS])
def test_tiny_folder_pooling_equals_sentence_transformers(bert_dir, tmp_path, pooling, normalize):
    folder = _st_folder(bert_dir, tmp_path / "st", pooling, normalize)
    enc = hf.SentenceEncoder.from_pretrained(folder)
    modes = (pooling,) if isinstance(pooling, str) else pooling
    assert set(enc.pooling) == set(modes) and enc.normalize == normalize
    assert enc.max_length == 24
    texts = [*SENTENCES, " ".join(["money"] * 40)]  # the last one is cut at max_seq_length
    expected = st.SentenceTransformer(str(folder), device="cpu").encode(texts)
    np.testing.assert_allclose(enc.encode(texts, batch_size=4), expected, atol=1e-5)
    normalized = enc.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(np.linalg.norm(normalized, axis=1), 1.0, atol=1e-5)


def test_plain_checkpoint_mean_pools_with_the_mask(bert_dir, tokenizer):
    enc = hf.SentenceEncoder.from_pretrained(bert_dir)
    assert enc.pooling == ("mean",) and not enc.normalize
    module = transformers.AutoModel.from_pretrained(bert_dir).eval()
    batch = tokenizer(SENTENCES[:3], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = module(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    expected = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    np.testing.assert_allclose(enc.encode(SENTENCES[:3]), expected, atol=1e-5)


PAIRS = [
    ("free money now", "click here to win a prize"),
    ("meeting notes for", "the project review tomorrow"),
    ("win a free trip", "claim your prize today"),
    ("please send the quarterly", "report before friday"),
    ("cheap pills discount", "offer limited time only"),
    ("lunch with the team", "at noon on wednesday"),
    ("you have been selected", "for an exclusive reward"),
    ("the build failed again", "please check the logs"),
]


def test_loss_is_multiple_negatives_ranking_and_training_learns(bert_dir, tmp_path):
    from torchbridge.optimizers import AdamW

    folder = _st_folder(bert_dir, tmp_path / "st", "mean", False, max_seq_length=32)
    enc = hf.SentenceEncoder.from_pretrained(folder)
    enc.compile(optimizer=AdamW(learning_rate=3e-3))
    anchors, positives = [a for a, _ in PAIRS], [p for _, p in PAIRS]
    # the loss on one batch (eval mode: no dropout) = sentence-transformers' MNRL, scale 20
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    oracle = st.SentenceTransformer(str(folder), device="cpu")
    mnrl = MultipleNegativesRankingLoss(oracle, scale=20.0)
    with torch.no_grad():
        embeddings = [oracle.encode(t, convert_to_tensor=True) for t in (anchors, positives)]
        expected = float(mnrl.compute_loss_from_embeddings(embeddings, None))
    logs = enc.evaluate(PAIRS, batch_size=8, verbose=0)
    assert logs["loss"] == pytest.approx(expected, rel=1e-4)
    datasets = pytest.importorskip("datasets")  # the first two columns are (anchor, positive)
    ds = datasets.Dataset.from_dict({"query": anchors, "answer": positives})
    assert enc.evaluate(ds, batch_size=8, verbose=0)["loss"] == pytest.approx(logs["loss"])
    # with a negative per row: the candidates are every positive, then every negative
    triples = [(a, p, PAIRS[(i + 1) % 8][1]) for i, (a, p) in enumerate(PAIRS)]
    with torch.no_grad():
        negs = oracle.encode([t[2] for t in triples], convert_to_tensor=True)
        expected3 = float(mnrl.compute_loss_from_embeddings([*embeddings, negs], None))
    assert enc.evaluate(triples, batch_size=8, verbose=0)["loss"] == pytest.approx(
        expected3, rel=1e-4
    )

    history = enc.fit(PAIRS * 4, batch_size=8, epochs=6, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    after = enc.evaluate({"anchor": anchors, "positive": positives}, batch_size=8, verbose=0)
    assert after["accuracy"] >= 0.85 and after["loss"] < logs["loss"]
    hits = enc.search(anchors, positives, top_k=1)
    assert sum(q[0]["corpus_id"] == i for i, q in enumerate(hits)) >= 7

    enc.save(tmp_path / "tuned")
    vectors = enc.encode(SENTENCES)
    np.testing.assert_allclose(
        st.SentenceTransformer(str(tmp_path / "tuned"), device="cpu").encode(SENTENCES),
        vectors,
        atol=1e-5,
    )
    back = hf.SentenceEncoder.from_pretrained(tmp_path / "tuned")
    assert back.pooling == enc.pooling and back.max_length == 32
    np.testing.assert_allclose(back.encode(SENTENCES), vectors, atol=1e-6)


def test_save_writes_a_sentence_transformers_folder(bert_dir, tmp_path):
    enc = hf.SentenceEncoder.from_pretrained(bert_dir, pooling=["max", "cls"], normalize=True)
    enc.save(tmp_path / "out")
    modules = json.loads((tmp_path / "out" / "modules.json").read_text())
    assert [m["path"] for m in modules] == ["", "1_Pooling", "2_Normalize"]
    oracle = st.SentenceTransformer(str(tmp_path / "out"), device="cpu")
    np.testing.assert_allclose(oracle.encode(SENTENCES), enc.encode(SENTENCES), atol=1e-5)
    back = hf.SentenceEncoder.from_pretrained(tmp_path / "out")
    assert back.pooling == ("cls", "max") and back.normalize


def test_bad_input_is_named(bert_dir, tmp_path):
    enc = hf.SentenceEncoder.from_pretrained(bert_dir)
    with pytest.raises(NotCompiledError):
        enc.fit(PAIRS)
    enc.compile()
    before = [p.detach().clone() for p in enc.model.module.parameters()]
    cases = [
        ([], "no rows"),
        ([("a", "b"), ("c",)], "Row 1 has 1 texts"),
        ([("a", "b"), ("c", "d", "e")], "Row 1 has 3 texts but row 0 has 2"),
        ([("a", 3)], "Row 0, field 'positive': expected a string"),
        ([("a", " ")], "Row 0, field 'positive' is empty"),
        ({"query": ["a"], "positive": ["b"]}, "give 'anchor' and 'positive'"),
        ([{"anchor": "a"}], "Row 0 has the fields"),
    ]
    for rows, message in cases:
        with pytest.raises(InputError, match=message):
            enc.fit(rows, verbose=0)
    assert all(
        torch.equal(a, b) for a, b in zip(before, enc.model.module.parameters(), strict=True)
    )
    with pytest.raises(InputError, match="pooling"):
        hf.SentenceEncoder.from_pretrained(bert_dir, pooling="weightedmean")
    folder = _st_folder(bert_dir, tmp_path / "st", "mean", False)
    modules = json.loads((folder / "modules.json").read_text())
    modules.append(
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(InputError, match="Dense"):
        hf.SentenceEncoder.from_pretrained(folder)
    assert not os.path.exists(tmp_path / "st" / "2_Dense")
