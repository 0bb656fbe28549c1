"""Tiny Hugging Face models and a tokenizer trained on the spot: fast, offline, deterministic."""

from __future__ import annotations

import pytest

CORPUS = [
    "free money now click here to win a prize",
    "meeting notes for the project review tomorrow",
    "win a free trip claim your prize today",
    "please send the quarterly report before friday",
    "cheap pills discount offer limited time only",
    "lunch with the team at noon on wednesday",
    "you have been selected for an exclusive reward",
    "the build failed again please check the logs",
]
LABELS = [1, 0, 1, 0, 1, 0, 1, 0]


@pytest.fixture(scope="session")
def tokenizer():
    """A WordPiece tokenizer (BERT-style special tokens) trained on ``CORPUS``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        CORPUS * 4, trainers.WordPieceTrainer(vocab_size=120, special_tokens=special)
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
    )


@pytest.fixture
def tiny_bert_config(tokenizer):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        num_labels=2,
        id2label={0: "ham", 1: "spam"},
        label2id={"ham": 0, "spam": 1},
    )


@pytest.fixture
def tiny_classifier(tiny_bert_config):
    """A randomly initialised BertForSequenceClassification (seeded)."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    return BertForSequenceClassification(tiny_bert_config).eval()


@pytest.fixture
def corpus():
    return list(CORPUS), list(LABELS)
