"""``keras.datasets.reuters``: 11,228 newswires as word-index sequences labelled with
46 topics, shuffled with ``seed``, encoded as Keras encodes them and split by
``test_split``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from torchbridge.datasets._common import (
    ORIGIN,
    encode_sequences,
    filter_words,
    load_npz,
    object_array,
    remove_long,
)
from torchbridge.utils.file_utils import get_file

__all__ = ["get_label_names", "get_word_index", "load_data"]

_LABELS = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
    "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
    "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
    "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> Any:
    """``(x_train, y_train), (x_test, y_test)``: object arrays of int lists and int labels."""
    path = get_file(
        fname=path,
        origin=f"{ORIGIN}reuters.npz",
        file_hash="d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    )
    f = load_npz(path)
    xs = f["x"]
    labels: Any = f["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    seqs = encode_sequences(xs, start_char, index_from)
    if maxlen:
        seqs, labels = remove_long(maxlen, seqs, labels)
    seqs = filter_words(seqs, num_words, skip_top, oov_char)
    cut = int(len(seqs) * (1 - test_split))
    return (
        (object_array(seqs[:cut]), np.array(labels[:cut])),
        (object_array(seqs[cut:]), np.array(labels[cut:])),
    )


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The word -> index dictionary (indices before the ``index_from`` shift)."""
    path = get_file(
        path,
        origin=f"{ORIGIN}reuters_word_index.json",
        file_hash="4d44cc38712099c9e383dc6e5f11a921",
    )
    with open(path) as f:
        return dict(json.load(f))


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, indexed by label."""
    return _LABELS
