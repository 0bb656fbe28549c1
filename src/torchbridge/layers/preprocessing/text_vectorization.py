"""``TextVectorization``: Keras's text → token indices / multi-hot / counts / tf-idf layer.

The pipeline is Keras's: standardize → split → n-grams → ``StringLookup``
(mask token ``""`` at index 0, ``"[UNK]"`` at 1 in ``int`` mode). It matches
TensorFlow's string ops byte for byte:

* ``"lower"`` lowercases ASCII letters only (``tf.strings.lower`` without an
  encoding): ``"Ä"`` stays ``"Ä"``;
* ``"strip_punctuation"`` deletes the 32 ASCII punctuation characters
  ``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~`` (Unicode punctuation stays);
* ``"whitespace"`` splits on runs of ASCII whitespace (space, ``\\t \\n \\r
  \\v \\f``) — not on ``\\xa0`` or other Unicode spaces, unlike ``str.split()``;
* ``"character"`` splits into Unicode code points;
* ``ngrams=n`` emits the 1..n-grams, each width in turn, joined with a space.

Speed: a batch is joined into one UTF-8 ``bytes`` blob (documents separated
by NUL), lowercased and stripped by one ``bytes.translate`` call; with the
default whitespace split and no n-grams, tokens are then found, counted and
looked up with NumPy alone (see the tokenizer section below), so no Python
object is made per token. Other settings (``character`` / callable split,
n-grams, an input holding a NUL) take an exact per-document Python path that
gives the same results. Padding and counting are NumPy/torch scatters.

Outputs are torch tensors: int64 in ``int`` mode (padded with 0 to
``output_sequence_length`` or to the longest document of the batch), int64
for ``one_hot`` / ``multi_hot`` / ``count`` and float32 for ``tf_idf``, as
Keras on TensorFlow. Callables given as ``standardize`` / ``split`` receive a
NumPy array of ``str`` (as on Keras's non-TensorFlow backends); ``split``
returns one sequence of tokens per string.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.layers.preprocessing.base import PreprocessingLayer
from torchbridge.layers.preprocessing.index_lookup import _listify, _normalize_output_mode
from torchbridge.layers.preprocessing.string_lookup import StringLookup

__all__ = ["TextVectorization"]

_PUNCTUATION = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_CHUNK = 8192  # documents tokenized at a time (keeps the NumPy work in cache)
_MERGE_AT = 1 << 22  # adapt: merge the per-chunk packed counts beyond this many entries

# --- vectorised whitespace tokenizer ------------------------------------------------------------
# A batch is one UTF-8 blob, documents separated by NUL bytes. Token boundaries
# come from a byte lookup table; a token of at most 16 bytes is packed exactly
# into two little-endian uint64 words (its bytes are never 0, so the packing is
# one-to-one) and looked up in an open-addressing table held in NumPy arrays;
# longer tokens (rare) go through a dict. No Python object is made per token.
_SEPARATORS = np.zeros(256, dtype=bool)
_SEPARATORS[[0, 9, 10, 11, 12, 13, 32]] = True  # NUL + the ASCII whitespace of bytes.split()
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PACKED = 16  # longest token (bytes) packed into two words


def _mix(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    return (w0 ^ (w1 * _MIX)) * _GOLDEN  # uint64 arithmetic wraps around


def _pack(token: bytes) -> tuple[int, int]:
    return int.from_bytes(token[:8], "little"), int.from_bytes(token[8:], "little")


def _unpack(w0: int, w1: int) -> bytes:
    return (w0.to_bytes(8, "little") + w1.to_bytes(8, "little")).rstrip(b"\x00")


class _KeyTable:
    """Exact open-addressing hash table from packed tokens (two uint64 words) to int64."""

    def __init__(self, w0: np.ndarray, w1: np.ndarray, values: np.ndarray) -> None:
        bits = max(4, int(np.ceil(np.log2(max(len(w0), 1) * 4))))  # load factor <= 1/4
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._k0 = np.zeros(1 << bits, dtype=np.uint64)  # 0 = empty (a token is never 0)
        self._k1 = np.zeros(1 << bits, dtype=np.uint64)
        self._values = np.full(1 << bits, -1, dtype=np.int64)
        slots = self._slots(w0, w1)
        pending = np.arange(len(w0))
        while pending.size:  # linear probing, every pending key one step at a time
            s = slots[pending]
            free = self._k0[s] == 0
            taken, first = np.unique(s[free], return_index=True)
            winners = pending[free][first]
            self._k0[taken] = w0[winners]
            self._k1[taken] = w1[winners]
            self._values[taken] = values[winners]
            placed = np.zeros(len(w0), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slots[pending] = (slots[pending] + 1) & self._mask

    def _slots(self, w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
        return (_mix(w0, w1) >> self._shift).astype(np.int64)

    def lookup(self, w0: np.ndarray, w1: np.ndarray, default: int) -> np.ndarray:
        out = np.full(len(w0), default, dtype=np.int64)
        pending = np.arange(len(w0))
        slots = self._slots(w0, w1)
        while pending.size:
            k0 = self._k0[slots]
            hit = (k0 == w0) & (self._k1[slots] == w1)
            out[pending[hit]] = self._values[slots[hit]]
            go = ~hit & (k0 != 0)
            pending, slots, w0, w1 = pending[go], (slots[go] + 1) & self._mask, w0[go], w1[go]
        return out


def _vocabulary_table(table: dict[bytes, int]) -> tuple[_KeyTable, dict[bytes, int]]:
    """The packed table of the short vocabulary terms, and a dict of the others."""
    w0: list[int] = []
    w1: list[int] = []
    values: list[int] = []
    rest: dict[bytes, int] = {}
    for token, index in table.items():
        if 0 < len(token) <= _PACKED and b"\x00" not in token and token.split() == [token]:
            a, b = _pack(token)
            w0.append(a)
            w1.append(b)
            values.append(index)
        else:  # long terms; terms holding whitespace never match a token but are harmless
            rest[token] = index
    return (
        _KeyTable(
            np.array(w0, dtype=np.uint64),
            np.array(w1, dtype=np.uint64),
            np.array(values, dtype=np.int64),
        ),
        rest,
    )


class _Tokens:
    """The whitespace tokens of a blob of NUL-separated documents, located with NumPy."""

    def __init__(self, blob: bytes, n_docs: int) -> None:
        self.blob = blob
        a = np.frombuffer(blob, dtype=np.uint8)
        edges = np.diff(_SEPARATORS[a].view(np.int8), prepend=np.int8(1), append=np.int8(1))
        is_start = edges == -1  # length len(blob) + 1, last entry False
        self.starts = np.flatnonzero(is_start)
        self.ends = np.flatnonzero(edges == 1)
        doc_starts = np.concatenate(([0], np.flatnonzero(a == 0) + 1))
        self.lengths = np.add.reduceat(is_start, doc_starts, dtype=np.int64)
        size = self.ends - self.starts
        self.packed = size <= _PACKED
        words = np.ndarray(
            (len(blob) + 8,), dtype="<u8", buffer=blob + bytes(16), strides=(1,)
        )  # the 8 bytes from every offset (unaligned reads)
        starts = self.starts[self.packed]
        size = size[self.packed]
        self.w0 = words[starts] & _LOW_BYTES[np.minimum(size, 8)]
        self.w1 = words[starts + 8] & _LOW_BYTES[np.clip(size - 8, 0, 8)]

    def documents(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.lengths)), self.lengths)

    def long_tokens(self) -> tuple[np.ndarray, list[bytes]]:
        where = np.flatnonzero(~self.packed)
        blob = self.blob
        return where, [
            blob[s:e] for s, e in zip(self.starts[where].tolist(), self.ends[where].tolist())
        ]

    def ids(self, tables: tuple[_KeyTable, dict[bytes, int]], default: int) -> np.ndarray:
        table, rest = tables
        ids = np.empty(len(self.starts), dtype=np.int64)
        ids[self.packed] = table.lookup(self.w0, self.w1, default)
        where, longer = self.long_tokens()
        if where.size:
            get = rest.get
            ids[where] = [get(t, default) for t in longer]
        return ids

    def counts(self, documents: bool) -> tuple[_Counts, dict[bytes, int], dict[bytes, int]]:
        """Packed token counts (and document counts), plus the counts of the long tokens."""
        short = self.w1 == 0  # <= 8 bytes: the first word alone is the token
        w0s = self.w0[short]
        sorted0 = np.sort(w0s)
        new = np.ones(len(sorted0), dtype=bool)
        new[1:] = sorted0[1:] != sorted0[:-1]
        firsts = np.flatnonzero(new)
        k0 = sorted0[firsts]
        counts_short = np.diff(np.append(firsts, len(sorted0)))
        # 9..16 bytes (a minority): exact sort on both words
        m0, m1 = self.w0[~short], self.w1[~short]
        order = np.lexsort((m1, m0))
        s0, s1 = m0[order], m1[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (s0[1:] != s0[:-1]) | (s1[1:] != s1[:-1])
        firsts = np.flatnonzero(new)
        u0 = np.concatenate([k0, s0[firsts]])
        u1 = np.concatenate([np.zeros(len(k0), dtype=np.uint64), s1[firsts]])
        counts = np.concatenate([counts_short, np.diff(np.append(firsts, len(order)))])
        doc_counts = None
        n = len(u0)
        if documents and n:
            local = np.empty(len(self.w0), dtype=np.int64)
            zeros = np.zeros(len(k0), dtype=np.uint64)
            table = _KeyTable(k0, zeros, np.arange(len(k0), dtype=np.int64))
            local[short] = table.lookup(w0s, np.zeros(len(w0s), dtype=np.uint64), -1)
            local_mid = np.empty(len(order), dtype=np.int64)
            local_mid[order] = np.cumsum(new) - 1 + len(k0)
            local[~short] = local_mid
            pairs = np.sort(self.documents()[self.packed] * n + local)
            distinct = np.ones(len(pairs), dtype=bool)
            distinct[1:] = pairs[1:] != pairs[:-1]
            doc_counts = np.bincount(pairs[distinct] % n, minlength=n)
        elif documents:
            doc_counts = np.zeros(0, dtype=np.int64)
        where, longer = self.long_tokens()
        long_counts: dict[bytes, int] = {}
        for t in longer:
            long_counts[t] = long_counts.get(t, 0) + 1
        long_docs: dict[bytes, int] = {}
        if documents:
            for _, t in set(zip(self.documents()[where].tolist(), longer)):
                long_docs[t] = long_docs.get(t, 0) + 1
        return (u0, u1, counts, doc_counts), long_counts, long_docs


_Counts = tuple[np.ndarray, np.ndarray, np.ndarray, "np.ndarray | None"]


def _merge_counts(parts: list[_Counts]) -> _Counts:
    """Sum packed counts of several chunks (equal tokens merged)."""
    u0 = np.concatenate([p[0] for p in parts])
    u1 = np.concatenate([p[1] for p in parts])
    counts = np.concatenate([p[2] for p in parts])
    has_docs = parts[0][3] is not None
    order = np.lexsort((u1, u0))
    s0, s1 = u0[order], u1[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (s0[1:] != s0[:-1]) | (s1[1:] != s1[:-1])
    firsts = np.flatnonzero(new)
    if not len(firsts):  # no short token at all
        return u0, u1, counts, (np.zeros(0, dtype=np.int64) if has_docs else None)
    summed = np.add.reduceat(counts[order], firsts)
    docs = None
    if has_docs:
        doc_counts = np.concatenate([p[3] for p in parts])  # type: ignore[misc]
        docs = np.add.reduceat(doc_counts[order], firsts)
    return s0[firsts], s1[firsts], summed, docs


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value)
    raise InputError(
        f"TextVectorization takes strings; received an element of type {type(value).__name__} "
        f"({value!r})."
    )


def _ngram_list(tokens: list[bytes], widths: tuple[int, ...]) -> list[bytes]:
    out: list[bytes] = []
    n = len(tokens)
    for w in widths:
        if w == 1:
            out.extend(tokens)
        elif w <= n:
            out.extend(b" ".join(tokens[i : i + w]) for i in range(n - w + 1))
    return out


class TextVectorization(PreprocessingLayer):
    """Keras's ``TextVectorization``: strings in, token indices or bag-of-words vectors out."""

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[..., Any] | None = "lower_and_strip_punctuation",
        split: str | Callable[..., Any] | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        vocabulary_size: int | None = None,
        has_input_vocabulary: bool | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if not (standardize is None or standardize in _STANDARDIZE or callable(standardize)):
            raise ValueError(
                f"{owner}: `standardize` must be None, a callable or one of "
                f"{', '.join(map(repr, _STANDARDIZE))}; received standardize={standardize!r}."
            )
        if not (split is None or split in _SPLIT or callable(split)):
            raise ValueError(
                f"{owner}: `split` must be None, a callable or one of "
                f"{', '.join(map(repr, _SPLIT))}; received split={split!r}."
            )
        output_mode = _normalize_output_mode(owner, output_mode)
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
            or (isinstance(ngrams, tuple) and all(isinstance(w, int) for w in ngrams))
        ):
            raise ValueError(
                f"{owner}: `ngrams` must be None, an integer or a tuple of integers; received "
                f"ngrams={ngrams!r}."
            )
        widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        if widths is not None and any(w < 1 for w in widths):
            raise ValueError(f"{owner}: n-gram widths must be >= 1; received ngrams={ngrams!r}.")
        if output_mode == "int" and not (
            output_sequence_length is None or isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                f"{owner}: `output_sequence_length` must be None or an integer in output_mode="
                f"'int'; received output_sequence_length={output_sequence_length!r}."
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                f"{owner}: `output_sequence_length` must not be set when output_mode is not "
                f"'int'; received output_sequence_length={output_sequence_length}."
            )
        if ragged and output_mode != "int":
            raise ValueError(
                f"{owner}: `ragged=True` needs output_mode='int'; received "
                f"output_mode={output_mode!r}."
            )
        if ragged:
            raise ValueError(
                f"{owner}: `ragged=True` is not supported (torch has no ragged tensors). Leave "
                "ragged=False: without output_sequence_length each batch is padded with 0 to "
                "its longest sequence."
            )
        if sparse:
            raise ValueError(
                f"{owner}: `sparse=True` is not supported: torchbridge returns dense tensors."
            )
        super().__init__(name=name, **kwargs)
        self._packed_counts: list[_Counts] = []
        self._has_input_vocabulary = (
            (vocabulary is not None) if has_input_vocabulary is None else bool(has_input_vocabulary)
        )
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = widths
        self._ragged = False
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        # The size Keras records for a layer that never had a vocabulary (the special slots
        # only) would forbid adapting a clone of it; it is not a real size.
        empty_size = 2 if output_mode == "int" else 1
        if vocabulary is None and vocabulary_size is not None and vocabulary_size <= empty_size:
            vocabulary_size = None
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=self._has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        self._lookup_layer._report_assets = False  # saved once, under this layer's name
        self.built = True

    # --- vocabulary -----------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary in index order (with ``""`` and ``"[UNK]"`` unless told otherwise)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, padding and OOV slots included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (a list/array of terms or a file path) and the idf weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # --- inputs --------------------------------------------------------------------------------
    def _string_array(self, inputs: Any) -> np.ndarray:
        if isinstance(inputs, torch.Tensor):
            raise InputError(
                f"Layer '{self.name}' (TextVectorization) takes strings; received a torch "
                f"tensor of dtype {inputs.dtype} (pass a list or a NumPy array of str)."
            )
        if isinstance(inputs, (str, bytes)):
            scalar = np.empty((), dtype=object)
            scalar[()] = inputs
            return scalar
        if isinstance(inputs, np.ndarray):
            if inputs.dtype.kind not in "OUS":
                raise InputError(
                    f"Layer '{self.name}' (TextVectorization) takes strings; received an "
                    f"array of dtype {inputs.dtype}."
                )
            return inputs.astype(object) if inputs.dtype.kind == "U" else inputs
        if isinstance(inputs, (list, tuple)) and all(isinstance(v, (str, bytes)) for v in inputs):
            arr = np.empty(len(inputs), dtype=object)
            arr[:] = inputs
            return arr
        return np.array(inputs, dtype=object)

    def _documents(self, arr: np.ndarray) -> list[Any]:
        """The strings of a (batch,) or (batch, 1) array (``split`` set: one string a row)."""
        if arr.ndim == 2 and arr.shape[-1] == 1:
            arr = arr[:, 0]
        elif arr.ndim > 1:
            raise InputError(
                f"Layer '{self.name}' (TextVectorization) splits one string per example: it "
                "expects an input of shape (batch,) or (batch, 1), but received an input of "
                f"shape {arr.shape}."
            )
        return arr.tolist()

    def _standardize_bytes(self, blob: bytes) -> bytes:
        lower = self._standardize in ("lower", "lower_and_strip_punctuation")
        strip = self._standardize in ("strip_punctuation", "lower_and_strip_punctuation")
        if lower or strip:  # ASCII only, as tf.strings.lower and TF's punctuation regex
            blob = blob.translate(_ASCII_LOWER if lower else None, _PUNCTUATION if strip else b"")
        return blob

    def _standardized(self, docs: list[Any]) -> list[bytes]:
        """Each document standardized, as UTF-8 bytes."""
        if not docs:
            return []
        blob = self._blob(docs)
        if blob is not None:
            return blob.split(b"\x00")
        if callable(self._standardize):
            return self._apply_standardize(docs)
        return [self._standardize_bytes(_to_bytes(d)) for d in docs]

    def _apply_standardize(self, docs: list[Any]) -> list[bytes]:
        assert callable(self._standardize)
        texts = [d.decode(self._encoding) if isinstance(d, bytes) else d for d in docs]
        result = self._standardize(np.array(texts, dtype=str))
        out = [_to_bytes(v) for v in np.asarray(result, dtype=object).reshape(-1).tolist()]
        if len(out) != len(docs):
            raise InputError(
                f"Layer '{self.name}' (TextVectorization): the standardize callable returned "
                f"{len(out)} strings for {len(docs)} inputs."
            )
        return out

    def _blob(self, docs: list[Any]) -> bytes | None:
        """The standardized documents as one UTF-8 blob, NUL-separated (None if one holds a NUL)."""
        if callable(self._standardize):
            blob = b"\x00".join(self._apply_standardize(docs))
        else:
            try:
                blob = "\x00".join(docs).encode("utf-8")
            except TypeError:
                blob = b"\x00".join(map(_to_bytes, docs))
            blob = self._standardize_bytes(blob)
        return blob if blob.count(b"\x00") == len(docs) - 1 else None

    def _fast_tokens(self, docs: list[Any]) -> _Tokens | None:
        """The vectorised tokenizer's view of ``docs`` (whitespace split, no n-grams)."""
        if self._split != "whitespace" or self._ngrams not in (None, (1,)) or not docs:
            return None
        blob = self._blob(docs)
        return None if blob is None else _Tokens(blob, len(docs))

    def _tokenize(self, docs: list[Any]) -> list[list[bytes]]:
        """Standardize, split and n-gram each document (``split`` is set)."""
        std = self._standardized(docs)
        if self._split == "whitespace":
            tokens: list[list[bytes]] = list(map(bytes.split, std))
        elif self._split == "character":
            tokens = [[c.encode("utf-8") for c in d.decode("utf-8")] for d in std]
        else:
            assert callable(self._split)
            texts = np.array([d.decode("utf-8") for d in std], dtype=str)
            result = self._split(texts)
            rows = result.tolist() if isinstance(result, np.ndarray) else list(result)
            if len(rows) != len(std):
                raise InputError(
                    f"Layer '{self.name}' (TextVectorization): the split callable returned "
                    f"{len(rows)} sequences for {len(std)} inputs."
                )
            tokens = [[_to_bytes(t) for t in row] for row in rows]
        if self._ngrams is not None:
            widths = self._ngrams
            tokens = [_ngram_list(t, widths) for t in tokens]
        return tokens

    def _unsplit_rows(self, arr: np.ndarray) -> tuple[list[list[bytes]], tuple[int, ...]]:
        """``split=None`` with n-grams: the last axis of each row is a token sequence."""
        if arr.ndim == 0:
            arr = arr.reshape(1)
        lead = arr.shape[:-1]
        width = arr.shape[-1]
        std = self._standardized(arr.reshape(-1).tolist())
        rows = [std[i * width : (i + 1) * width] for i in range(int(np.prod(lead)))]
        assert self._ngrams is not None
        return [_ngram_list(r, self._ngrams) for r in rows], lead

    def _token_ids(self, docs: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary indices of the documents' tokens (flat) and the token counts."""
        lookup = self._lookup_layer
        ids: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        for i in range(0, len(docs), _CHUNK):
            chunk = docs[i : i + _CHUNK]
            fast = self._fast_tokens(chunk)
            if fast is not None:
                tables = lookup._cache.get("packed")
                if tables is None:
                    tables = lookup._cache["packed"] = _vocabulary_table(lookup._bytes_table())
                ids.append(fast.ids(tables, lookup._default_value))
                lengths.append(fast.lengths)
            else:
                tokens = self._tokenize(chunk)
                lengths.append(np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens)))
                ids.append(lookup._lookup_flat(list(chain.from_iterable(tokens)), True))
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(ids), np.concatenate(lengths)

    # --- adapt -----------------------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and document frequencies for ``tf_idf``) from ``data``.

        ``data``: a list or NumPy array of strings, or a ``torchbridge.data.Dataset``
        (or any iterable) of strings or batches of strings.
        """
        if isinstance(data, (list, tuple, np.ndarray, str, bytes)):
            arr = self._string_array(data)
            if arr.ndim <= 1:
                arr = arr.reshape(-1, 1)
            if arr.shape[0] == 0:
                raise InputError(
                    f"Layer '{self.name}' (TextVectorization): adapt() got no data (an empty "
                    "array or list); pass at least one string."
                )
            # The strings are used as they are (no per-element pass as in the generic path).
            self.reset_state()
            size = batch_size or arr.shape[0]
            for i, begin in enumerate(range(0, arr.shape[0], size)):
                if steps is not None and i >= steps:
                    break
                self.update_state(arr[begin : begin + size])
            self.finalize_state()
            self._is_adapted = True
        elif isinstance(data, torch.Tensor):
            self._string_array(data)  # raises: strings only
        else:
            super().adapt(self._lookup_layer._adapt_elements(data, steps), batch_size, None)

    def update_state(self, batch: Any) -> None:
        lookup = self._lookup_layer
        if lookup._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' (TextVectorization): it was given a fixed "
                "vocabulary with the `vocabulary` argument."
            )
        arr = self._string_array(batch)
        if self._split is not None:
            docs = [arr.item()] if arr.ndim == 0 else self._documents(arr)
            tf_idf = lookup.output_mode == "tf_idf"
            for i in range(0, len(docs), _CHUNK):
                chunk = docs[i : i + _CHUNK]
                fast = self._fast_tokens(chunk)
                if fast is None:
                    lookup._count(self._tokenize(chunk))
                    continue
                packed, long_counts, long_docs = fast.counts(tf_idf)
                lookup._add_counts(long_counts, long_docs, len(chunk))
                self._packed_counts.append(packed)
                if sum(len(p[0]) for p in self._packed_counts) > _MERGE_AT:
                    self._packed_counts = [_merge_counts(self._packed_counts)]
            return
        if self._ngrams is not None:
            rows, _ = self._unsplit_rows(arr if arr.ndim != 1 else arr.reshape(1, -1))
            lookup._count(rows)
            return
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)  # a 1-D batch is one document, as Keras
        flat = self._standardized(arr.reshape(-1).tolist())
        width = int(np.prod(arr.shape[1:]))
        lookup._count([flat[i : i + width] for i in range(0, len(flat), width)])

    def finalize_state(self) -> None:
        lookup = self._lookup_layer
        if self._packed_counts:
            u0, u1, counts, doc_counts = _merge_counts(self._packed_counts)
            self._packed_counts = []
            tokens = [_unpack(a, b) for a, b in zip(u0.tolist(), u1.tolist())]
            lookup._add_counts(
                dict(zip(tokens, counts.tolist())),
                None if doc_counts is None else dict(zip(tokens, doc_counts.tolist())),
                0,
            )
        lookup.finalize_state()

    def reset_state(self) -> None:
        self._packed_counts = []
        self._lookup_layer.reset_state()

    # --- call ------------------------------------------------------------------------------------
    def forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, (list, tuple, str, bytes)):
            inputs = self._string_array(inputs)
        return super().forward(inputs, *args, **kwargs)

    def call(self, inputs: Any) -> torch.Tensor:
        lookup = self._lookup_layer
        if self._output_mode != "int":
            lookup._depth()  # fails early, as Keras, when the depth is not known yet
        arr = self._string_array(inputs)
        if self._split is None and self._ngrams is None:
            return self._call_unsplit(arr)
        if self._split is None:
            tokens, lead = self._unsplit_rows(arr)
            lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
            ids = lookup._lookup_flat(list(chain.from_iterable(tokens)), True)
        else:
            docs = [arr.item()] if arr.ndim == 0 else self._documents(arr)
            lead = () if arr.ndim == 0 else (len(docs),)
            ids, lengths = self._token_ids(docs)
        if self._output_mode == "int":
            out = self._pad(ids, lengths)
        else:
            out = self._encode_ragged(ids, lengths)
        return out.reshape(*lead, *out.shape[1:])

    def _call_unsplit(self, arr: np.ndarray) -> torch.Tensor:
        """``split=None``: each string is one token; the output has the input's shape."""
        lookup = self._lookup_layer
        std = self._standardized(arr.reshape(-1).tolist())
        ids = torch.from_numpy(lookup._lookup_flat(std, bytes_keys=True).reshape(arr.shape))
        if self._output_mode != "int":
            return lookup._encode(ids)
        length = self._output_sequence_length
        if length is not None and ids.ndim > 0:
            ids = ids[..., :length]
            if ids.shape[-1] < length:
                ids = torch.nn.functional.pad(ids, (0, length - ids.shape[-1]))
        return ids

    def _positions(self, lengths: np.ndarray) -> np.ndarray:
        starts = np.cumsum(lengths) - lengths
        return np.arange(int(lengths.sum())) - np.repeat(starts, lengths)

    def _pad(self, ids: np.ndarray, lengths: np.ndarray) -> torch.Tensor:
        """Token indices of each document, padded with 0 / truncated to the output width."""
        n = len(lengths)
        longest = int(lengths.max()) if n else 0
        width = (
            self._output_sequence_length if self._output_sequence_length is not None else longest
        )
        out = np.zeros((n, width), dtype=np.int64)
        if n and width and ids.size:
            if longest <= width:
                out[np.arange(width) < lengths[:, None]] = ids
            else:
                pos = self._positions(lengths)
                rows = np.repeat(np.arange(n), lengths)
                keep = pos < width
                out[rows[keep], pos[keep]] = ids[keep]
        return torch.from_numpy(out)

    def _encode_ragged(self, ids: np.ndarray, lengths: np.ndarray) -> torch.Tensor:
        """one_hot / multi_hot / count / tf_idf of each document's tokens.

        Only the nonzero entries are written (NumPy, into a zeroed array), so the
        cost follows the number of tokens, not the size of the dense output.
        """
        lookup = self._lookup_layer
        depth = lookup._depth()
        n = len(lengths)
        rows = np.repeat(np.arange(n), lengths)
        keep = ids >= 0  # mask tokens ("") are dropped, as Keras
        if self._output_mode == "one_hot":
            longest = int(lengths.max()) if n else 0
            hot = np.zeros((n, longest, depth), dtype=np.int64)
            hot[rows[keep], self._positions(lengths)[keep], ids[keep]] = 1
            return torch.from_numpy(hot)
        cells = np.sort(rows[keep] * depth + ids[keep])  # flat (document, index) of each token
        first = np.ones(len(cells), dtype=bool)
        first[1:] = cells[1:] != cells[:-1]
        where = np.flatnonzero(first)
        cells_u = cells[where]
        if self._output_mode == "tf_idf":
            idf = lookup.idf_weights
            if idf is None:
                raise RuntimeError(
                    f"Layer '{self.name}' (TextVectorization): output_mode='tf_idf' needs idf "
                    "weights: call adapt() or set_vocabulary(vocabulary, idf_weights)."
                )
            counts = np.diff(np.append(where, len(cells))).astype(np.float32)
            out = np.zeros((n, depth), dtype=np.float32)
            # count (float32) times idf (float32): the product Keras computes
            out.reshape(-1)[cells_u] = counts * idf.cpu().numpy()[cells_u % depth]
        else:
            out = np.zeros((n, depth), dtype=np.int64)
            if self._output_mode == "multi_hot":
                out.reshape(-1)[cells_u] = 1
            else:
                out.reshape(-1)[cells_u] = np.diff(np.append(where, len(cells)))
        return torch.from_numpy(out)

    def compute_output_shape(self, input_shape: Any) -> Any:
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = (*input_shape, 1)
        else:
            input_shape = (*input_shape, None)
        return self._lookup_layer.compute_output_shape(input_shape)

    # --- saving ----------------------------------------------------------------------------------
    def get_assets(self) -> dict[str, Any]:
        """The vocabulary (special tokens included) and the idf weights, JSON-able."""
        return self._lookup_layer._vocabulary_assets()

    def set_assets(self, assets: dict[str, Any]) -> None:
        self._lookup_layer.set_assets(assets)
        self._is_adapted = self._lookup_layer.is_adapted

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        lookup = self._lookup_layer
        config.update(
            {
                "max_tokens": lookup.max_tokens,
                "standardize": self._standardize,
                "split": self._split,
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": lookup.sparse,
                "ragged": self._ragged,
                "vocabulary": _listify(lookup.input_vocabulary),
                "idf_weights": _listify(lookup.input_idf_weights),
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
            }
        )
        return config

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, output_mode={self._output_mode!r}, "
            f"vocabulary_size={self.vocabulary_size()}"
        )
