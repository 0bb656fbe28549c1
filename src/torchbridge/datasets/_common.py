"""What the ``keras.datasets`` loaders share: Keras's download folder, a ``.npz``
reader that unpickles nothing but NumPy arrays (the imdb/reuters files hold object
arrays of lists), the seeded shuffle-then-split of the housing sets, and the
word-index shifting and filtering of imdb/reuters."""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import Any

import numpy as np

__all__ = [
    "ORIGIN",
    "RestrictedUnpickler",
    "check_test_split",
    "encode_sequences",
    "filter_words",
    "load_npz",
    "object_array",
    "remove_long",
    "shuffled_split",
]

#: Where Keras downloads its bundled datasets from.
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_ALLOWED = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and plain Python containers; refuses any other class."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to deserialize `{module}.{name}` while loading a Keras dataset. The "
            "file may be corrupted or malicious; delete it so that it is downloaded again."
        )


def _read_member(buffer: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"Unsupported `.npy` file version: {major}.") from None
        return np.asarray(RestrictedUnpickler(buffer).load())


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of an ``.npz`` file, object arrays included (safely)."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_member(io.BytesIO(raw.read()))
    return arrays


def check_test_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
            "(exclusive of 1)."
        )


def shuffled_split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int) -> Any:
    """Shuffle with ``RandomState(seed)``; the first ``1 - test_split`` part is training."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def encode_sequences(xs: Any, start_char: int | None, index_from: int) -> list[list[int]]:
    """Shift word indices by ``index_from`` and prepend ``start_char``."""
    if start_char is not None:
        seqs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        seqs = [[w + index_from for w in x] for x in xs]
    else:
        seqs = [list(x) for x in xs]
    return seqs


def filter_words(
    seqs: list[list[int]], num_words: int | None, skip_top: int, oov_char: int | None
) -> list[list[int]]:
    """Replace (or drop, when ``oov_char`` is None) indices outside ``[skip_top, num_words)``;
    ``num_words`` defaults to the largest index."""
    if not num_words:
        num_words = max(max(x) for x in seqs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in seqs]
    return [[w for w in x if skip_top <= w < num_words] for x in seqs]


def remove_long(
    maxlen: int, seqs: list[list[int]], labels: Any
) -> tuple[list[list[int]], list[Any]]:
    """Keep the sequences shorter than ``maxlen`` (and their labels)."""
    kept = [(x, y) for x, y in zip(seqs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def object_array(seqs: list[list[int]]) -> np.ndarray:
    """``np.array(seqs, dtype=object)`` as Keras builds it (1-D of lists, or 2-D when all
    lists happen to have the same length)."""
    return np.array(seqs, dtype="object")
