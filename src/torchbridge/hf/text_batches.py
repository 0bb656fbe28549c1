"""Texts in memory → batches for ``fit``: :func:`text_dataset`, and the pieces that
:mod:`torchbridge.hf.row_batches` and :mod:`torchbridge.hf.prepare` share.

* :func:`text_dataset` — texts (+ labels) in memory → a ``torchbridge.data``
  pipeline of ``(x, y)`` batches (``x`` alone without labels): tokenized once
  with one batched tokenizer call, then ``shuffle`` → ``padded_batch`` (each
  batch padded to its longest text) or ``bucket_by_sequence_length`` (texts of
  similar length batched together, so far less padding).
* :func:`hf_dataset_kind` — recognises ``datasets`` objects without importing
  ``datasets``; :func:`quantile_boundaries` — bucket boundaries that split a
  length distribution into groups of about equal size; label checks and padding.

The public names are re-exported by :mod:`torchbridge.hf.data` (see its docstring
for the padding values and shuffling rules).
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import Dataset
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator
from torchbridge.errors import InputError
from torchbridge.hf.tokenization import (
    as_texts,
    check_tokenizer,
    encode,
    pad_values,
)

__all__ = [
    "IGNORE_INDEX",
    "MODEL_INPUT_COLUMNS",
    "check_label_range",
    "forward_inputs",
    "hf_dataset_kind",
    "labels_to_tensor",
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
    accepted = forward_inputs(model) if model is not None else None
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


def forward_inputs(model: Any) -> set[str] | None:
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
