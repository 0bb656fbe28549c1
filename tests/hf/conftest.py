"""Tiny Hugging Face models (the tokenizer and corpus fixtures are in tests/conftest.py)."""

from __future__ import annotations

import pytest


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
