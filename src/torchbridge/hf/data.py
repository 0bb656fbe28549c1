"""Text data for ``fit``: tokenized, dynamically padded, optionally length-bucketed batches.

* :func:`text_dataset` — texts (+ labels) in memory → a ``torchbridge.data``
  pipeline of ``(x, y)`` batches (``x`` alone without labels): tokenized once
  with one batched tokenizer call, then ``shuffle`` → ``padded_batch`` (each
  batch padded to its longest text) or ``bucket_by_sequence_length`` (texts of
  similar length batched together, so far less padding).
* :func:`prepare_dataset` — a Hugging Face ``datasets.Dataset`` (map-style)
  or ``IterableDataset`` (streaming) → the same kind of pipeline. Columns are
  read one batch at a time (``ds[indices]``, one Arrow read); a text column is
  tokenized per batch (one tokenizer call); the label column becomes ``y``;
  model input columns (``input_ids``, ``attention_mask`` ...) become the ``x``
  dict; other columns (raw text, ids) are dropped. ``collate_fn=`` takes any
  Transformers data collator (``DataCollatorWithPadding(tokenizer)``,
  ``DataCollatorForLanguageModeling`` ...) instead of torchbridge's padding.
  ``model.fit(hf_dataset)`` calls it (through :mod:`torchbridge.hf.dataset_adapter`).
* :func:`hf_dataset_kind` — recognises ``datasets`` objects without importing
  ``datasets``.
* :func:`quantile_boundaries` — bucket boundaries that split a length
  distribution into groups of about equal size.

Padding values: ``input_ids`` get the tokenizer's ``pad_token_id``;
``attention_mask`` / ``token_type_ids`` 0; ``special_tokens_mask`` 1; ragged
label sequences -100 (ignored by Hugging Face losses). Without a tokenizer,
``input_ids`` are padded with 0 only when an ``attention_mask`` hides the
padding; otherwise the error points at ``prepare_dataset(ds, tokenizer)``.
The padding side follows ``tokenizer.padding_side``.

Shuffling: map-style data is permuted once per pass (pass *k* uses seed
``(seed, k)``, so each epoch has a new, reproducible order); streaming data
goes through a ``shuffle`` buffer. Iterators are resumable like every
``torchbridge.data`` pipeline (``get_state`` / ``set_state``).

Bad input gets an :class:`~torchbridge.errors.InputError` naming the fix: a
missing text/label column (with the columns that exist and the argument to
set), texts longer than ``max_length`` / the tokenizer's ``model_max_length``
with ``truncation=False``, labels outside ``num_labels``, string labels.
"""

from __future__ import annotations

import bisect
import inspect
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator, close_iterator
from torchbridge.errors import InputError
from torchbridge.hf.tokenization import (
    as_texts,
    check_tokenizer,
    encode,
    missing_column,
    pad_token_id,
    pad_values,
    resolve_label_column,
    resolve_text_column,
)
from torchbridge.training.data_adapter import class_weight_to_sample_weight

__all__ = [
    "MODEL_INPUT_COLUMNS",
    "hf_dataset_kind",
    "prepare_dataset",
    "quantile_boundaries",
    "text_dataset",
]

# Columns that are inputs of Hugging Face models; without model= / input_columns= these
# (when present) form x and every other column except the labels is dropped.
MODEL_INPUT_COLUMNS: tuple[str, ...] = (
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "position_ids",
    "inputs_embeds",
    "decoder_input_ids",
    "decoder_attention_mask",
    "start_positions",
    "end_positions",
    "global_attention_mask",
    "bbox",
    "pixel_values",
    "pixel_mask",
    "input_values",
    "input_features",
)
IGNORE_INDEX = -100  # label value Hugging Face losses skip
_MAX_BUCKETS = 8
_PEEK_ROWS = 1000  # rows of a stream read to place bucket boundaries
_LENGTH_CHUNK = 1000  # texts per tokenizer call when measuring lengths


# --- small shared pieces -------------------------------------------------------------------
_DATASETS_KINDS = {
    "Dataset": "map",
    "IterableDataset": "iterable",
    "DatasetDict": "dict",
    "IterableDatasetDict": "dict",
}


def hf_dataset_kind(x: Any) -> str | None:
    """``"map"`` / ``"iterable"`` / ``"dict"`` for Hugging Face ``datasets`` objects, else None.

    Checked on the class hierarchy, so ``datasets`` is never imported here.
    """
    for cls in type(x).__mro__:
        if cls.__module__.startswith("datasets.") and cls.__name__ in _DATASETS_KINDS:
            return _DATASETS_KINDS[cls.__name__]
    return None


def _batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if int(batch_size) < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size}.")
    return int(batch_size)


def _draw_seed(seed: int | None) -> int:
    if seed is None:  # follows torch.manual_seed, like the rest of torchbridge
        return int(torch.randint(0, 2**62, (1,)).item())
    return int(seed)


def quantile_boundaries(lengths: Sequence[int] | np.ndarray, num_buckets: int) -> list[int]:
    """Boundaries that split ``lengths`` into ``num_buckets`` groups of about equal size.

    For ``bucket_by_sequence_length``: bucket *i* holds the lengths in
    ``[boundaries[i-1], boundaries[i])``. Repeated cut points are merged, so
    fewer buckets come back when many texts share a length.
    """
    arr = np.sort(np.asarray(lengths, dtype=np.int64).reshape(-1))
    if arr.size == 0 or num_buckets <= 1:
        return []
    cuts = {int(arr[(k * arr.size) // num_buckets]) for k in range(1, int(num_buckets))}
    return sorted(c for c in cuts if c > int(arr[0]))


def _default_num_buckets(n: int, batch_size: int) -> int:
    # Each bucket should fill several batches: every bucket adds one partial batch per pass.
    return max(1, min(_MAX_BUCKETS, n // (4 * batch_size)))


def _bucket_batches(lengths: np.ndarray, boundaries: Sequence[int], batch_size: int) -> int:
    """Batches per pass of tf.data-style bucketing (a pure function of the lengths)."""
    bucket = np.searchsorted(np.asarray(boundaries, dtype=np.int64), lengths, side="right")
    counts = np.bincount(bucket, minlength=len(boundaries) + 1)
    return int(sum(math.ceil(int(c) / batch_size) for c in counts))


def _boundaries(
    lengths: np.ndarray, given: Sequence[int] | None, num_buckets: int | None, batch_size: int
) -> list[int]:
    if given is not None:
        out = [int(b) for b in given]
        if any(b <= a for a, b in itertools.pairwise(out)) or any(b < 1 for b in out):
            raise InputError(
                f"bucket_boundaries must be increasing positive lengths, got {list(given)}."
            )
        return out
    k = num_buckets if num_buckets is not None else _default_num_buckets(len(lengths), batch_size)
    return quantile_boundaries(lengths, k)


class _WithCardinality(UnaryDataset):
    """Its input, with a cardinality known from outside (tf's ``assert_cardinality``)."""

    def __init__(self, input_dataset: Dataset, cardinality: int) -> None:
        super().__init__(input_dataset)
        self._n = int(cardinality)

    def _iterator(self) -> Any:
        return self._input._iterator()

    def _cardinality(self) -> int:
        return self._n


class _BuildIterator(UnaryIterator):
    def __init__(self, upstream: Any, fn: Callable[[Any], Any]) -> None:
        super().__init__(upstream)
        self._fn = fn

    def __next__(self) -> Any:
        return self._fn(next(self._up))


class _BuildBatches(UnaryDataset):
    """Index batches / row lists → model batches with ``fn``.

    Like ``map``, but the data errors of our own batch builder (an
    :class:`InputError` naming a column and the fix) reach the user as they are,
    not wrapped in ``PipelineFunctionError``.
    """

    def __init__(self, input_dataset: Dataset, fn: Callable[[Any], Any]) -> None:
        super().__init__(input_dataset)
        self._fn = fn

    def _iterator(self) -> _BuildIterator:
        return _BuildIterator(self._input._iterator(), self._fn)


def labels_to_tensor(values: Any, what: str, padding_side: str = "right") -> torch.Tensor:
    """Labels as a tensor: class ids int64, floats float32; ragged sequences padded with -100."""
    if isinstance(values, torch.Tensor):
        t = values
    else:
        seq = list(values) if not isinstance(values, np.ndarray) else values
        first = seq[0] if len(seq) else None
        if isinstance(first, (list, tuple, np.ndarray, torch.Tensor)) and not _equal_lengths(seq):
            return _pad(seq, IGNORE_INDEX, padding_side, None, what)
        arr = np.asarray(seq)
        if arr.dtype.kind in "OUS":
            raise InputError(
                f"{what} holds {type(first).__name__} values ({first!r:.30}); labels must be "
                "class ids (or numbers). Map them to ids first, e.g. [label2id[v] for v in "
                "labels] with the model's config.label2id, or ds.class_encode_column(column) "
                "for a datasets.Dataset."
            )
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.dtype == torch.bool or t.is_floating_point():
        return t.float()
    return t.long()


def check_label_range(y: Any, num_labels: int | None, what: str) -> None:
    """Class ids in ``[0, num_labels)`` (or -100, ignored); one-hot width ``num_labels``."""
    if num_labels is None or not isinstance(y, torch.Tensor) or y.numel() == 0:
        return
    if y.is_floating_point():
        if y.ndim >= 2 and y.shape[-1] != num_labels:
            raise InputError(
                f"{what} has rows of {y.shape[-1]} values but num_labels={num_labels}. Give "
                f"one value per class, or set num_labels={y.shape[-1]}."
            )
        return
    bad = ((y < 0) | (y >= num_labels)) & (y != IGNORE_INDEX)
    if bool(bad.any()):
        value = int(y[bad][0])
        raise InputError(
            f"{what} has the label {value}, outside the classes 0..{num_labels - 1} of "
            f"num_labels={num_labels}. Map the labels to ids 0..{num_labels - 1}, or set "
            "num_labels to the real number of classes (and build the model with that "
            "config.num_labels)."
        )


def _equal_lengths(rows: Any) -> bool:
    if not len(rows):
        return True
    n = len(rows[0])
    return all(len(r) == n for r in rows)


def _pad(
    rows: Any,
    value: int,
    side: str,
    multiple: int | None,
    what: str,
) -> torch.Tensor:
    """Pad 1-D sequences (lists / arrays / tensors) into one (n, longest) tensor."""
    lengths = [len(r) for r in rows]
    longest = max(lengths) if lengths else 0
    if multiple:
        longest = -(-longest // multiple) * multiple
    sample = next((r for r in rows if len(r)), [0])
    kind = np.asarray(sample).dtype.kind
    dtype = np.float32 if kind == "f" else (np.bool_ if kind == "b" else np.int64)
    out: np.ndarray = np.full((len(rows), longest), value, dtype=dtype)
    try:
        for i, (r, n) in enumerate(zip(rows, lengths)):
            if n:
                if side == "left":
                    out[i, longest - n :] = r
                else:
                    out[i, :n] = r
    except (ValueError, TypeError) as e:
        raise InputError(
            f"{what} holds nested sequences of different lengths that torchbridge cannot "
            "pad; pass collate_fn= (e.g. a transformers data collator) to "
            "torchbridge.hf.prepare_dataset."
        ) from e
    return torch.from_numpy(out)


def _sequence_tensor(values: Any) -> torch.Tensor:
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(arr))


# --- text_dataset ----------------------------------------------------------------------------
class _SequenceLength:
    """``element_length_func`` for ``(x, y)`` / ``x`` elements: the length of ``x[key]``."""

    def __init__(self, key: str = "input_ids") -> None:
        self.key = key

    def __call__(self, x: Mapping[str, torch.Tensor], *rest: Any) -> int:
        return int(x[self.key].shape[-1])


class _FlipX:
    """Reverse every sequence of ``x`` (``x`` was built reversed): right padding → left."""

    def __call__(self, x: Mapping[str, torch.Tensor], *rest: Any) -> Any:
        flipped = {k: v.flip(-1) if v.ndim >= 2 else v for k, v in x.items()}
        return (flipped, *rest) if rest else flipped


def text_dataset(
    texts: Sequence[str] | np.ndarray,
    labels: Any = None,
    *,
    tokenizer: Any,
    batch_size: int = 32,
    max_length: int | None = None,
    truncation: bool = True,
    shuffle: bool = False,
    seed: int | None = None,
    bucket: bool = False,
    bucket_boundaries: Sequence[int] | None = None,
    num_buckets: int | None = None,
    text_pairs: Sequence[str] | np.ndarray | None = None,
    num_labels: int | None = None,
    model: Any = None,
) -> Dataset:
    """Texts (and labels) → a ``torchbridge.data.Dataset`` of tokenized, padded batches.

    Each batch is ``(x, y)`` (``x`` alone when ``labels`` is None) where ``x``
    is the tokenizer's dict (``input_ids``, ``attention_mask`` [,
    ``token_type_ids``]) of int64 tensors padded to the longest text *of that
    batch* — the same tensors as ``tokenizer(batch_texts, padding=True)``.
    All texts are tokenized once, up front, in one batched call.

    Args:
        texts: a list / NumPy array of ``str``.
        labels: one label per text: class ids (int64 ``y``) or numbers /
            one-hot rows (float32 ``y``).
        tokenizer: a Hugging Face tokenizer.
        max_length / truncation: cut texts at ``max_length`` tokens (``None``:
            the tokenizer's ``model_max_length``); ``truncation=False`` makes a
            longer text an error instead.
        shuffle / seed: a new order every pass (epoch), reproducible with ``seed``.
        bucket: group texts of similar length (``bucket_by_sequence_length``);
            ``bucket_boundaries`` (default: quantiles of the token lengths, in
            ``num_buckets`` groups) set the groups. Every text still comes
            exactly once per pass; batches of a bucket may be smaller.
        text_pairs: second texts, for sentence-pair tasks.
        num_labels: check that class ids lie in ``[0, num_labels)``.
        model: keep only the tokenizer outputs ``model.forward`` takes (DistilBERT
            takes no ``token_type_ids``), as ``prepare_dataset(model=...)`` does.
    """
    check_tokenizer(tokenizer, "text_dataset")
    bs = _batch_size(batch_size)
    batch_texts = as_texts(texts, "texts")
    n = len(batch_texts)
    if n == 0:
        raise InputError("text_dataset got no texts.")
    pairs = None if text_pairs is None else as_texts(text_pairs, "text_pairs")
    if pairs is not None and len(pairs) != n:
        raise InputError(f"text_dataset got {n} texts but {len(pairs)} text_pairs.")
    y = None
    if labels is not None:
        y = labels_to_tensor(labels, "labels")
        if y.ndim == 0 or y.shape[0] != n:
            raise InputError(
                f"text_dataset got {n} texts but {1 if y.ndim == 0 else y.shape[0]} labels; "
                "give one label per text."
            )
        check_label_range(y, num_labels, "labels")
    columns = encode(tokenizer, batch_texts, pairs, max_length=max_length, truncation=truncation)
    accepted = _forward_inputs(model) if model is not None else None
    keys = [k for k in columns if accepted is None or k in accepted or k == "input_ids"]
    pads = pad_values(tokenizer, keys)
    left = getattr(tokenizer, "padding_side", "right") == "left"
    step = -1 if left else 1  # left padding: build reversed, pad on the right, flip back
    elements: list[Any] = [
        {k: torch.tensor(columns[k][i][::step], dtype=torch.int64) for k in keys} for i in range(n)
    ]
    if y is not None:
        elements = [(e, y[i]) for i, e in enumerate(elements)]
    ds = Dataset.from_torch(elements)
    if shuffle:
        ds = ds.shuffle(n, seed=_draw_seed(seed))
    padding: Any = (pads, 0) if y is not None else pads
    if bucket:
        lengths = np.fromiter((len(ids) for ids in columns["input_ids"]), np.int64, n)
        edges = _boundaries(lengths, bucket_boundaries, num_buckets, bs)
        ds = _WithCardinality(
            ds.bucket_by_sequence_length(
                _SequenceLength(), edges, [bs] * (len(edges) + 1), padding_values=padding
            ),
            _bucket_batches(lengths, edges, bs),
        )
    else:
        ds = ds.padded_batch(bs, padding_values=padding)
    if left:
        ds = ds.map(_FlipX())
    return ds


# --- prepare_dataset: a Hugging Face dataset → batches -----------------------------------------
class _BatchBuilder:
    """Columns of one batch (``{name: [value per row]}``) → ``(x, y[, sample_weight])``."""

    def __init__(
        self,
        *,
        tokenizer: Any,
        text_column: str | None,
        text_pair_column: str | None,
        label_column: str | None,
        data_columns: list[str],
        token_keys: list[str],
        collate_fn: Callable[[list[dict[str, Any]]], Any] | None,
        num_labels: int | None,
        class_weight: Mapping[int, float] | None,
        max_length: int | None,
        truncation: bool,
        pad_to_multiple_of: int | None,
    ) -> None:
        self.tokenizer = tokenizer
        self.text_column = text_column
        self.text_pair_column = text_pair_column
        self.label_column = label_column
        self.data_columns = data_columns
        self.token_keys = token_keys
        self.collate_fn = collate_fn
        self.num_labels = num_labels
        self.class_weight = dict(class_weight) if class_weight is not None else None
        self.max_length = max_length
        self.truncation = truncation
        self.multiple = int(pad_to_multiple_of) if pad_to_multiple_of else None
        self.side = getattr(tokenizer, "padding_side", "right") if tokenizer else "right"

    @property
    def needed_columns(self) -> list[str]:
        cols = [self.text_column, self.text_pair_column, self.label_column, *self.data_columns]
        return list(dict.fromkeys(c for c in cols if c is not None))

    def encode_texts(
        self, columns: Mapping[str, Sequence[Any]], row_ids: Sequence[Any] | None = None
    ) -> dict[str, list[list[int]]]:
        assert self.text_column is not None
        texts = as_texts(columns[self.text_column], f"column {self.text_column!r}")
        pairs = None
        if self.text_pair_column is not None:
            pairs = as_texts(columns[self.text_pair_column], f"column {self.text_pair_column!r}")
        return encode(
            self.tokenizer,
            texts,
            pairs,
            max_length=self.max_length,
            truncation=self.truncation,
            row_ids=row_ids,
        )

    def __call__(
        self, columns: Mapping[str, Sequence[Any]], row_ids: Sequence[Any] | None = None
    ) -> Any:
        """``row_ids`` (the rows' indices / stream positions) only name rows in errors."""
        features: dict[str, Sequence[Any]] = {}
        if self.text_column is not None:
            encoded = self.encode_texts(columns, row_ids)
            for k in self.token_keys:
                if k in encoded:
                    features[k] = encoded[k]
        for k in self.data_columns:
            features[k] = columns[k]
        labels = columns[self.label_column] if self.label_column is not None else None
        n = len(next(iter(columns.values())))
        if self.collate_fn is not None:
            x, y = self._collate(features, labels, n)
        else:
            x = {k: self._tensor(k, v, features) for k, v in features.items()}
            y = None
            if labels is not None:
                y = labels_to_tensor(labels, f"column {self.label_column!r}", self.side)
        if y is not None:
            check_label_range(y, self.num_labels, f"column {self.label_column or 'labels'!r}")
            if self.class_weight is not None:
                return x, y, class_weight_to_sample_weight(y, self.class_weight)
            return x, y
        return x

    def _collate(
        self, features: Mapping[str, Sequence[Any]], labels: Sequence[Any] | None, n: int
    ) -> tuple[dict[str, Any], Any]:
        assert self.collate_fn is not None
        rows: list[dict[str, Any]] = [{k: v[i] for k, v in features.items()} for i in range(n)]
        if labels is not None:
            for row, label in zip(rows, labels):
                row["labels"] = label  # the key every transformers collator understands
        out = {k: _as_batch_tensor(v) for k, v in dict(self.collate_fn(rows)).items()}
        y = out.pop("labels", None)
        if y is None:
            y = out.pop("label", None)
        return out, y

    def _tensor(self, key: str, values: Sequence[Any], features: Mapping[str, Any]) -> Any:
        first = values[0]
        if isinstance(first, (str, bytes)):
            raise InputError(
                f"Column {key!r} holds text; tokenize it: pass tokenizer= and text_column="
                f"{key!r} to torchbridge.hf.prepare_dataset."
            )
        if not isinstance(first, (list, tuple, np.ndarray, torch.Tensor)):
            return _sequence_tensor(values)
        if _equal_lengths(values) and not self.multiple:
            return _sequence_tensor(values)
        return _pad(values, self._pad_value(key, features), self.side, self.multiple, key)

    def _pad_value(self, key: str, features: Mapping[str, Any]) -> int:
        if key in ("input_ids", "decoder_input_ids"):
            if self.tokenizer is not None:
                return pad_token_id(self.tokenizer)
            mask = "attention_mask" if key == "input_ids" else "decoder_attention_mask"
            if mask in features:
                return 0  # the mask hides the padded positions, whatever id they hold
            raise InputError(
                f"Column {key!r} has sequences of different lengths and no {mask!r} to mask "
                "the padding, so the padding id matters and is unknown. Use "
                "torchbridge.hf.prepare_dataset(ds, tokenizer) (pads with "
                "tokenizer.pad_token_id), or pass collate_fn=DataCollatorWithPadding(tokenizer)."
            )
        if self.tokenizer is not None and key in ("token_type_ids", "special_tokens_mask"):
            return pad_values(self.tokenizer, [key])[key]
        if key in ("attention_mask", "decoder_attention_mask", "token_type_ids", "position_ids"):
            return 0
        if key == "special_tokens_mask":
            return 1
        raise InputError(
            f"Column {key!r} has sequences of different lengths and torchbridge does not know "
            "its padding value. Pad it in the dataset, or pass collate_fn= (a function from a "
            "list of row dicts to a dict of tensors, e.g. a transformers data collator) to "
            "torchbridge.hf.prepare_dataset."
        )


def _as_batch_tensor(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype == torch.float64 else value
    if isinstance(value, (np.ndarray, list)):
        return _sequence_tensor(value)
    return value


class _ReadIndices:
    """A 1-D tensor of row indices → the batch built from those rows."""

    def __init__(self, dataset: Any, builder: _BatchBuilder) -> None:
        self.dataset = dataset
        self.builder = builder

    def __call__(self, indices: Any) -> Any:
        ids = [int(i) for i in indices.tolist()]
        return self.builder(self.dataset[ids], ids)


class _CollateRows:
    """A list of row dicts (from a stream) → the batch."""

    def __init__(self, builder: _BatchBuilder) -> None:
        self.builder = builder

    def __call__(self, rows: list[Mapping[str, Any]]) -> Any:
        names = self.builder.needed_columns
        for row in rows[:1]:
            missing = [c for c in names if c not in row]
            if missing:
                raise InputError(
                    f"Rows of the stream lack the columns {missing}; they have {list(row)}."
                )
        return self.builder({c: [row[c] for row in rows] for c in names})


class _IndexIterator:
    def __init__(self, owner: _IndexOrder, iteration: int) -> None:
        self._owner = owner
        self._iteration = iteration
        self._position = 0
        self._order = owner.order(iteration)

    def __iter__(self) -> _IndexIterator:
        return self

    def __next__(self) -> int:
        i = self._position
        if i >= len(self._order):
            raise StopIteration
        self._position = i + 1
        return int(self._order[i])

    def get_state(self) -> dict[str, Any]:
        return {"iteration": self._iteration, "position": self._position}

    def set_state(self, state: dict[str, Any]) -> None:
        self._iteration = int(state["iteration"])
        self._position = int(state["position"])
        self._order = self._owner.order(self._iteration)
        self._owner.iterations = self._iteration + 1  # later passes continue after it


class _IndexOrder(Dataset):
    """Row indices ``0..n-1``; shuffled, pass *k* is the permutation seeded ``(seed, k)``."""

    def __init__(self, n: int, shuffle: bool, seed: int) -> None:
        self._n = int(n)
        self._shuffle = bool(shuffle)
        self._seed = int(seed)
        self.iterations = 0

    def order(self, iteration: int) -> np.ndarray:
        if not self._shuffle:
            return np.arange(self._n)
        return np.random.Generator(np.random.PCG64([self._seed, iteration])).permutation(self._n)

    def _iterator(self) -> _IndexIterator:
        iteration = self.iterations
        self.iterations += 1
        return _IndexIterator(self, iteration)

    def _cardinality(self) -> int:
        return self._n


class _IndexLength:
    """``element_length_func`` of the index stream: the precomputed length of row ``i``."""

    def __init__(self, lengths: np.ndarray) -> None:
        self.lengths = lengths

    def __call__(self, index: int) -> int:
        return int(self.lengths[int(index)])


class _RowIterator:
    """Rows of a stream as plain dicts; the state is the count consumed (replayed on restore)."""

    def __init__(self, dataset: Any) -> None:
        self._ds = dataset
        self._it = iter(dataset)
        self._count = 0

    def __iter__(self) -> _RowIterator:
        return self

    def __next__(self) -> dict[str, Any]:
        row = next(self._it)
        self._count += 1
        return dict(row)

    def get_state(self) -> dict[str, Any]:
        return {"consumed": self._count}

    def set_state(self, state: dict[str, Any]) -> None:
        self.close()
        self._it = iter(self._ds)
        self._count = 0
        for _ in itertools.islice(self._it, int(state["consumed"])):
            self._count += 1

    def close(self) -> None:
        close_iterator(self._it)


class _RowStream(Dataset):
    def __init__(self, dataset: Any) -> None:
        self._ds = dataset

    def _iterator(self) -> _RowIterator:
        return _RowIterator(self._ds)

    def _cardinality(self) -> int:
        return UNKNOWN


class _RowBatchIterator(UnaryIterator):
    _fields = ("_buckets", "_done")

    def __init__(
        self,
        upstream: Any,
        size: int,
        length_fn: Callable[[Any], int] | None,
        boundaries: list[int],
    ) -> None:
        super().__init__(upstream)
        self._size = size
        self._length_fn = length_fn
        self._boundaries = boundaries
        self._buckets: dict[int, list[Any]] = {}
        self._done = False

    def __next__(self) -> list[Any]:
        if self._length_fn is None:
            rows = list(itertools.islice(self._up, self._size))
            if not rows:
                raise StopIteration
            return rows
        while not self._done:  # tf.data's bucketing: emit a bucket when it is full
            try:
                row = next(self._up)
            except StopIteration:
                self._done = True
                break
            bucket = bisect.bisect_right(self._boundaries, self._length_fn(row))
            waiting = self._buckets.setdefault(bucket, [])
            waiting.append(row)
            if len(waiting) == self._size:
                return self._buckets.pop(bucket)
        if self._buckets:
            return self._buckets.pop(min(self._buckets))
        raise StopIteration

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["_buckets"] = {k: list(v) for k, v in self._buckets.items()}
        return state


class _RowBatches(UnaryDataset):
    """Rows of a stream grouped into lists of ``size`` (by length bucket when bucketing)."""

    def __init__(
        self,
        rows: Dataset,
        size: int,
        length_fn: Callable[[Any], int] | None = None,
        boundaries: list[int] | None = None,
    ) -> None:
        super().__init__(rows)
        self._size = size
        self._length_fn = length_fn
        self._boundaries = list(boundaries or [])

    def _iterator(self) -> _RowBatchIterator:
        return _RowBatchIterator(
            self._input._iterator(), self._size, self._length_fn, self._boundaries
        )

    def _cardinality(self) -> int:
        return UNKNOWN


class _RowLength:
    """Token length of a stream row: its ``input_ids``, or its text tokenized."""

    def __init__(self, builder: _BatchBuilder) -> None:
        self.builder = builder

    def __call__(self, row: Mapping[str, Any]) -> int:
        b = self.builder
        if b.text_column is not None:
            cols = {c: [row[c]] for c in (b.text_column, b.text_pair_column) if c is not None}
            return len(b.encode_texts(cols)["input_ids"][0])
        return len(row["input_ids"])


def _forward_inputs(model: Any) -> set[str] | None:
    module = getattr(model, "module", model)
    forward = getattr(module, "forward", None)
    if forward is None:
        return None
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        return None
    named = {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)} - {
        "self",
        "labels",
        "label",
        "return_dict",
        "output_attentions",
        "output_hidden_states",
    }
    return named or None


def _is_text_value(value: Any) -> bool:
    return isinstance(value, (str, bytes))


def _string_columns(dataset: Any, first_row: Mapping[str, Any]) -> list[str]:
    features = getattr(dataset, "features", None)
    found = []
    for name, value in first_row.items():
        dtype = (
            getattr(features.get(name), "dtype", None) if isinstance(features, Mapping) else None
        )
        if dtype in ("string", "large_string") or (dtype is None and _is_text_value(value)):
            found.append(name)
    return found


def _first_row(dataset: Any, streaming: bool) -> dict[str, Any]:
    try:
        row = next(iter(dataset)) if streaming else dataset[0]
    except (StopIteration, IndexError):
        raise InputError("prepare_dataset got an empty dataset.") from None
    return dict(row)


def _token_keys(tokenizer: Any, model_inputs: set[str] | None) -> list[str]:
    keys = list(encode(tokenizer, ["x"], max_length=None, truncation=False))
    if model_inputs is not None:
        keys = [k for k in keys if k in model_inputs]
    return keys


def _map_lengths(dataset: Any, builder: _BatchBuilder) -> np.ndarray:
    """Token length of every row of a map-style dataset (for bucketing)."""
    n = len(dataset)
    if builder.text_column is not None:
        out = np.empty(n, dtype=np.int64)
        for start in range(0, n, _LENGTH_CHUNK):
            rows = dataset[start : start + _LENGTH_CHUNK]
            rows_ids = range(start, start + len(rows[builder.text_column]))
            ids = builder.encode_texts(rows, rows_ids)["input_ids"]
            out[start : start + len(ids)] = [len(r) for r in ids]
        return out
    try:  # one Arrow kernel over the column
        import pyarrow.compute as pc

        column = dataset.with_format("arrow")["input_ids"]
        return np.asarray(pc.list_value_length(column).to_numpy(zero_copy_only=False), np.int64)
    except Exception:
        return np.fromiter((len(r) for r in dataset["input_ids"]), np.int64, n)


def prepare_dataset(
    dataset: Any,
    tokenizer: Any = None,
    batch_size: int = 32,
    shuffle: bool = False,
    collate_fn: Callable[[list[dict[str, Any]]], Any] | None = None,
    bucket: bool = False,
    label_column: str | None = "label",
    text_column: str | None = None,
    *,
    text_pair_column: str | None = None,
    input_columns: Sequence[str] | None = None,
    model: Any = None,
    max_length: int | None = None,
    truncation: bool = True,
    num_labels: int | None = None,
    seed: int | None = None,
    bucket_boundaries: Sequence[int] | None = None,
    num_buckets: int | None = None,
    shuffle_buffer_size: int = 10_000,
    pad_to_multiple_of: int | None = None,
    class_weight: Mapping[int, float] | None = None,
) -> Dataset:
    """A Hugging Face ``datasets.Dataset`` / ``IterableDataset`` → batches for ``fit``.

    Returns a ``torchbridge.data.Dataset`` of ``(x, y)`` batches (``x`` alone
    without labels; ``(x, y, sample_weight)`` with ``class_weight``): hand it
    to ``fit`` / ``evaluate`` / ``predict``, or to ``DataLoader(ds,
    batch_size=None, num_workers=...)`` for worker processes.

    Args:
        dataset: a map-style ``datasets.Dataset`` or a streaming ``IterableDataset``.
        tokenizer: tokenizes ``text_column`` per batch and supplies the padding
            id. Needed when the data is not tokenized yet.
        batch_size, shuffle, seed: batching and a new order every pass
            (streaming data: a ``shuffle_buffer_size`` buffer).
        collate_fn: a transformers data collator (or any function from a list
            of row dicts to a dict of tensors) replacing torchbridge's padding;
            its ``labels`` become ``y``.
        bucket, bucket_boundaries, num_buckets: batch rows of similar token
            length together (default boundaries: length quantiles; for a
            stream, of its first 1,000 rows).
        label_column: the column that becomes ``y`` (``"label"`` falls back to
            ``"labels"``; ``None``: no labels).
        text_column, text_pair_column: the text to tokenize (default: the
            only text column, or ``"text"``) and the second text of pairs.
        input_columns: the columns (or tokenizer outputs) that form ``x``;
            default: those ``model.forward`` takes when ``model`` is given,
            else the usual model inputs (``input_ids``, ``attention_mask`` ...)
            present, else every numeric column.
        max_length, truncation: as for the tokenizer (``truncation=False``
            makes too-long texts an error).
        num_labels: check that class ids lie in ``[0, num_labels)``.
        pad_to_multiple_of: round padded lengths up (tensor cores like multiples of 8).
        class_weight: ``{class: weight}`` → per-sample weights as a third component.
    """
    kind = hf_dataset_kind(dataset)
    if kind == "dict":
        raise InputError(
            f"prepare_dataset got a {type(dataset).__name__} with splits {list(dataset)}; pass "
            "one split, e.g. ds['train']."
        )
    streaming = kind == "iterable" or (
        kind is None and not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"))
    )
    if kind is None and not hasattr(dataset, "__iter__"):
        raise InputError(
            "prepare_dataset takes a Hugging Face datasets.Dataset or IterableDataset, got "
            f"{type(dataset).__name__}."
        )
    if tokenizer is not None:
        check_tokenizer(tokenizer, "prepare_dataset")
    bs = _batch_size(batch_size)
    ds = dataset
    if hasattr(ds, "with_format"):
        ds = ds.with_format(None)  # rows as Python lists/numbers, whatever the user's format
    first = _first_row(ds, streaming)
    columns = list(first)
    strings = _string_columns(ds, first)
    label = resolve_label_column(
        columns, label_column, required=label_column != "label" or num_labels is not None
    )
    # The text to tokenize.
    text = None
    if text_column is not None or (
        tokenizer is not None and "input_ids" not in columns and input_columns is None
    ):
        text = resolve_text_column(first, text_column, "prepare_dataset", text_columns=strings)
        if tokenizer is None:
            raise InputError(
                f"text_column={text!r} needs a tokenizer: pass tokenizer=AutoTokenizer."
                "from_pretrained(...) to prepare_dataset."
            )
    if text_pair_column is not None:
        if text_pair_column not in columns:
            raise missing_column("text_pair_column", text_pair_column, columns)
        if text is None:
            raise InputError("text_pair_column= needs a text_column= (and a tokenizer=).")
    # The columns of x.
    model_inputs = _forward_inputs(model) if model is not None else None
    token_keys = _token_keys(tokenizer, model_inputs) if text is not None else []
    skip = {label, text, text_pair_column}
    # (A text that is tokenized here replaces any token columns already in the dataset.)
    numeric = [c for c in columns if c not in strings and c not in skip and c not in token_keys]
    if input_columns is not None:
        wanted = list(input_columns)
        unknown = [c for c in wanted if c not in numeric and c not in token_keys]
        if unknown:
            have = sorted(set(numeric) | set(token_keys))
            raise InputError(
                f"input_columns {unknown} are neither numeric columns of the dataset nor "
                f"tokenizer outputs; available: {have}. Fix input_columns=."
            )
        token_keys = [k for k in token_keys if k in wanted]
        data_columns = [c for c in wanted if c not in token_keys]
    elif model_inputs is not None:
        data_columns = [c for c in numeric if c in model_inputs]
    else:
        known = [c for c in numeric if c in MODEL_INPUT_COLUMNS]
        data_columns = known if (known or token_keys) else numeric
    if collate_fn is not None and "special_tokens_mask" in numeric:
        data_columns.append("special_tokens_mask")  # DataCollatorForLanguageModeling uses it
    if not token_keys and not data_columns:
        if strings and tokenizer is None:
            raise InputError(
                f"The dataset is not tokenized: its columns are {columns} (text: {strings}). "
                "Pass tokenizer= (and text_column=) to torchbridge.hf.prepare_dataset, or "
                "tokenize it first: ds.map(lambda b: tokenizer(b['text'], truncation=True), "
                "batched=True)."
            )
        raise InputError(
            f"No model input columns in the dataset (columns: {columns}). Set "
            "input_columns= to the columns that form x."
        )
    builder = _BatchBuilder(
        tokenizer=tokenizer,
        text_column=text,
        text_pair_column=text_pair_column,
        label_column=label,
        data_columns=data_columns,
        token_keys=token_keys,
        collate_fn=collate_fn,
        num_labels=num_labels,
        class_weight=class_weight,
        max_length=max_length,
        truncation=truncation,
        pad_to_multiple_of=pad_to_multiple_of,
    )
    if bucket and text is None and "input_ids" not in data_columns:
        raise InputError(
            "bucket=True groups rows by their number of tokens, but x has no 'input_ids' "
            "and there is no text_column to tokenize."
        )
    data_seed = _draw_seed(seed)
    if streaming:
        return _streaming_pipeline(
            ds, builder, bs, shuffle, data_seed, bucket, bucket_boundaries, num_buckets,
            shuffle_buffer_size,
        )  # fmt: skip
    if hasattr(ds, "select_columns"):
        ds = ds.select_columns(builder.needed_columns)  # reads only what a batch needs
    n = len(ds)
    if label is not None and num_labels is not None and collate_fn is None:
        _check_label_column(ds, label, num_labels)
    order = _IndexOrder(n, shuffle, data_seed)
    reader = _ReadIndices(ds, builder)
    if not bucket:
        return _BuildBatches(order.batch(bs), reader)
    lengths = _map_lengths(ds, builder)
    edges = _boundaries(lengths, bucket_boundaries, num_buckets, bs)
    batches = order.bucket_by_sequence_length(
        _IndexLength(lengths), edges, [bs] * (len(edges) + 1), no_padding=True
    )
    return _WithCardinality(_BuildBatches(batches, reader), _bucket_batches(lengths, edges, bs))


def _check_label_column(ds: Any, label: str, num_labels: int) -> None:
    """Check every label of a map-style dataset before training starts."""
    try:
        values = ds.with_format("numpy")[label]
    except Exception:
        return
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        check_label_range(
            torch.from_numpy(values.astype(np.int64)), num_labels, f"column {label!r}"
        )


def _streaming_pipeline(
    ds: Any,
    builder: _BatchBuilder,
    batch_size: int,
    shuffle: bool,
    seed: int,
    bucket: bool,
    bucket_boundaries: Sequence[int] | None,
    num_buckets: int | None,
    buffer_size: int,
) -> Dataset:
    rows: Dataset = _RowStream(ds)
    if shuffle:
        rows = rows.shuffle(int(buffer_size), seed=seed)
    length_fn = None
    edges: list[int] = []
    if bucket:
        length_fn = _RowLength(builder)
        if bucket_boundaries is not None:
            edges = _boundaries(np.zeros(0, np.int64), bucket_boundaries, None, batch_size)
        else:
            sample = [length_fn(dict(r)) for r in itertools.islice(iter(ds), _PEEK_ROWS)]
            edges = _boundaries(np.asarray(sample, np.int64), None, num_buckets, batch_size)
    return _BuildBatches(_RowBatches(rows, batch_size, length_fn, edges), _CollateRows(builder))
