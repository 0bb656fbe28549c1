"""Shared test set-up: Keras runs on its TensorFlow backend as the oracle; all offline."""

from __future__ import annotations

import os

# Must be set before keras / tensorflow are first imported by any test module.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# Some VMs list Intel AMX but do not run it; oneDNN's bf16 kernels then die with SIGILL.
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_FP16")

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

# onnxruntime-extensions' regex operators must be loaded before TensorFlow (which any test
# may import first as the oracle), or they bind to TensorFlow's regex library and give wrong
# results; torchbridge's session_options() refuses to run them then (export/onnx_builder.py).
try:
    from torchbridge.export.onnx_builder import session_options as _ortx_session_options

    _ortx_session_options()
except ImportError:  # the export extra is not installed
    pass


@pytest.fixture(autouse=True)
def _seed_every_test(request: pytest.FixtureRequest) -> None:
    """Each test starts from random streams fixed by its own id (torch, NumPy, Python and,
    when loaded, Keras/TensorFlow), so results do not depend on test order or on which
    xdist worker runs it: an unseeded draw can no longer make a tolerance check flaky."""
    import random
    import sys
    import zlib

    seed = zlib.crc32(request.node.nodeid.encode())
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "utils"):
        keras.utils.set_random_seed(seed)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# --- a tiny text corpus and a WordPiece tokenizer trained on it (tests/hf, tests/training) ---
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
def corpus():
    return list(CORPUS), list(LABELS)


def pytest_collection_modifyitems(config, items):
    """Test ids must not depend on the process (pytest-xdist workers collect separately and
    refuse to run when their ids differ): no object addresses such as ``<lambda at 0x...>``."""
    unstable = [item.nodeid for item in items if " at 0x" in item.nodeid]
    if unstable:
        raise pytest.UsageError(
            "Test ids contain object addresses, which differ between xdist workers; give the "
            f"parameters a stable repr or ids=: {unstable[:3]}"
        )
