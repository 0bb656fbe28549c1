"""The WordPiece tokenizer inside ONNX and hf.TextClassifier exported strings → probabilities
(torchbridge.export.onnx_tokenizers), against the Hugging Face tokenizer and predict_proba."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxruntime_extensions")
transformers = pytest.importorskip("transformers")

from torchbridge.demos.minilm_spam import minilm_path  # noqa: E402
from torchbridge.demos.spam_data import load_spam_records  # noqa: E402
from torchbridge.export.errors import ExportError  # noqa: E402
from torchbridge.export.onnx_builder import session_options  # noqa: E402
from torchbridge.export.onnx_tokenizers import (  # noqa: E402
    VERIFIED_OUTPUT,
    export_text_classifier,
    wordpiece_tokenizer_graph,
)

# Texts the operator tokenizes differently from Hugging Face: they must come out unverified.
DIFFERENT = [
    "한국어 텍스트",  # HF decomposes Hangul syllables into jamo
    "İstanbul",  # HF lowercases İ to i + a combining dot
    "hello [MASK] world",  # HF reads a special token written in the text as that token
    "ΑΒΓ capitals",  # the operator does not lowercase Greek
    "Āvatāra",  # nor strip accents beyond Latin-1
]
SAME = [
    "",
    "   ",
    "Héllo Wörld! naïve café, «quoted» — dash…",
    "x\ufffdy \x7f control \u200b zero width",  # removed by clean_text on both sides
    "日本語テキスト 中文",
    "don't stop-believing... (really) [x] {y} <z> a_b $7.50 €3",
    "a" * 150,  # longer than max_input_chars_per_word: [UNK]
    "supercalifragilistic " * 80,  # cut at max_length
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    records = load_spam_records()
    return SAME + DIFFERENT + [r["text"] for r in records[:: max(1, len(records) // 300)]]


@pytest.fixture(scope="module")
def minilm_tokenizer():
    return transformers.AutoTokenizer.from_pretrained(minilm_path())


def _run(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), session_options())
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds), strict=True))


@pytest.mark.parametrize("which", ["minilm", "tiny"])
def test_tokenizer_graph_gives_hugging_face_ids(
    minilm_tokenizer, tokenizer, corpus, texts, which
) -> None:
    sentences = corpus[0]
    tok = minilm_tokenizer if which == "minilm" else tokenizer
    max_length = 128 if which == "minilm" else 64
    texts = texts if which == "minilm" else [*texts, *sentences]
    out = _run(wordpiece_tokenizer_graph(tok, max_length), {"text": np.array(texts, dtype=object)})
    want = tok(texts, truncation=True, max_length=max_length)
    verified = out[VERIFIED_OUTPUT]
    lengths = out["attention_mask"].sum(axis=1)
    assert out["input_ids"].shape == (len(texts), lengths.max())
    assert not verified[len(SAME) : len(SAME) + len(DIFFERENT)].any()
    if which == "minilm":
        assert verified[: len(SAME)].all()
        assert verified.mean() > 0.95  # nearly every real e-mail qualifies
    else:  # a 120-token vocabulary lacks most "##c" pieces: few texts qualify
        assert verified[-len(sentences) :].sum() >= 3
    for i in np.flatnonzero(verified):
        n = lengths[i]
        assert out["input_ids"][i, :n].tolist() == want["input_ids"][i], texts[i][:60]
        if "token_type_ids" in want:
            assert out["token_type_ids"][i, :n].tolist() == want["token_type_ids"][i]
        assert (out["input_ids"][i, n:] == tok.pad_token_id).all()
        assert not out["attention_mask"][i, n:].any() and out["attention_mask"][i, :n].all()


def _variant(tokenizer, **changes):
    """The conftest tokenizer with its normalizer or sides changed."""
    from tokenizers import normalizers
    from transformers import PreTrainedTokenizerFast

    backend = tokenizer.backend_tokenizer
    copy = PreTrainedTokenizerFast(
        tokenizer_object=type(backend).from_str(backend.to_str()),
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    if "normalizer" in changes:
        copy.backend_tokenizer.normalizer = normalizers.BertNormalizer(**changes["normalizer"])
    for side in ("padding_side", "truncation_side"):
        if side in changes:
            setattr(copy, side, changes[side])
    return copy


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"normalizer": {"lowercase": False}}, "lowercase=False"),
        ({"normalizer": {"lowercase": True, "strip_accents": False}}, "strip_accents=False"),
        ({"normalizer": {"lowercase": True, "clean_text": False}}, "clean_text=False"),
        ({"padding_side": "left"}, "pads on the left"),
        ({"truncation_side": "left"}, "truncates on the left"),
    ],
    ids=["cased", "accents", "no-clean", "left-padding", "left-truncation"],
)
def test_tokenizers_the_operator_cannot_match_are_refused(tokenizer, changes, message) -> None:
    with pytest.raises(ExportError, match=message):
        wordpiece_tokenizer_graph(_variant(tokenizer, **changes), 64)


def test_tokenizer_graph_argument_errors(tokenizer) -> None:
    with pytest.raises(ExportError, match="max_length"):
        wordpiece_tokenizer_graph(tokenizer, 2)
    with pytest.raises(ExportError, match="outputs"):
        wordpiece_tokenizer_graph(tokenizer, 64, outputs=["input_ids", "position_ids"])


@pytest.fixture(scope="module")
def classifier():
    from torchbridge.hf import TextClassifier

    return TextClassifier.from_pretrained(
        minilm_path(), label_names=["ham", "spam"], max_length=128
    )


@pytest.mark.slow
def test_text_classifier_strings_to_probabilities(classifier, texts, tmp_path) -> None:
    path = tmp_path / "classifier.onnx"
    export_text_classifier(classifier, path)
    session = ort.InferenceSession(str(path), session_options())
    assert [i.name for i in session.get_inputs()] == ["text"]
    assert [o.name for o in session.get_outputs()] == ["probabilities"]
    batch = texts[:24]
    (got,) = session.run(None, {"text": np.array(batch, dtype=object)})
    want = classifier.predict_proba(batch)
    unverified = np.isnan(got).any(axis=1)
    assert unverified[len(SAME) : len(SAME) + len(DIFFERENT)].all()
    assert unverified.sum() < len(DIFFERENT) + 3
    np.testing.assert_allclose(got[~unverified], want[~unverified], rtol=0, atol=1e-5)
    assert np.isnan(got[unverified]).all()
    # strict=False scores every text: the same numbers where verified, finite elsewhere
    lenient = _run(
        export_text_classifier(classifier, strict=False), {"text": np.array(batch, dtype=object)}
    )
    np.testing.assert_array_equal(lenient["probabilities"][~unverified], got[~unverified])
    assert np.isfinite(lenient["probabilities"]).all()


def test_text_classifier_without_truncation_is_refused() -> None:
    from types import SimpleNamespace

    with pytest.raises(ExportError, match="truncation=False"):
        export_text_classifier(SimpleNamespace(truncation=False))


def test_checked_code_points_still_agree(minilm_tokenizer) -> None:
    """The table of checked code points holds for the installed tokenizers and extensions
    (ASCII, Latin-1 and Latin Extended-A here; the full scan takes minutes)."""
    from torchbridge.export.onnx_tokenizers import _agreeing_code_points, _checked_code_points

    points = range(0x01, 0x180)
    agreeing = set(_agreeing_code_points(minilm_tokenizer, points))
    checked = {p for p in _checked_code_points() if p in points}
    assert checked <= agreeing
    assert len(checked) > 250
