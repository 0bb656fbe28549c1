"""``keras.datasets.imdb``: 25,000 + 25,000 movie reviews as word-index sequences with
0/1 sentiment labels, shuffled with ``seed`` and encoded as Keras encodes them."""

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

__all__ = ["get_word_index", "load_data"]


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> Any:
    """``(x_train, y_train), (x_test, y_test)``: object arrays of int lists and int labels."""
    path = get_file(
        fname=path,
        origin=f"{ORIGIN}imdb.npz",
        file_hash="69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    )
    f = load_npz(path)
    rng = np.random.RandomState(seed)
    parts: list[Any] = []
    for x, y in ((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])):
        indices = np.arange(len(x))
        rng.shuffle(indices)
        parts.append((encode_sequences(x[indices], start_char, index_from), y[indices]))
    (x_train, labels_train), (x_test, labels_test) = parts
    if maxlen:
        x_train, labels_train = remove_long(maxlen, x_train, labels_train)
        x_test, labels_test = remove_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence "
                "was kept. Increase maxlen."
            )
    xs = filter_words(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = len(x_train)
    return (object_array(xs[:cut]), labels[:cut]), (object_array(xs[cut:]), labels[cut:])


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The word -> index dictionary (indices before the ``index_from`` shift)."""
    path = get_file(
        fname=path,
        origin=f"{ORIGIN}imdb_word_index.json",
        file_hash="bfafd718b763782e994055a2d397834f",
    )
    with open(path) as f:
        return dict(json.load(f))
