"""Batches read from a Hugging Face dataset's rows, for :func:`torchbridge.hf.prepare_dataset`.

* ``_BatchBuilder`` — row dicts / column batches → ``(x, y[, sample_weight])``
  tensors: tokenizes a text column per batch, pads token columns (or hands
  the rows to a ``collate_fn``), turns the label column into ``y``.
* Map-style data: ``_IndexOrder`` (a new permutation each pass) →
  ``_ReadIndices`` (one Arrow read per batch). Streaming data: ``_RowStream`` →
  ``_RowBatches`` (resumable ``get_state`` / ``set_state``).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import UNKNOWN, Dataset
from torchbridge.data.ops._unary import UnaryDataset, UnaryIterator, close_iterator
from torchbridge.errors import InputError
from torchbridge.hf.text_batches import (
    _equal_lengths,
    _pad,
    _sequence_tensor,
    check_label_range,
    labels_to_tensor,
)
from torchbridge.hf.tokenization import (
    as_texts,
    encode,
    pad_token_id,
    pad_values,
)
from torchbridge.training.data_adapter import class_weight_to_sample_weight

__all__: list[str] = []  # internal to torchbridge.hf.prepare


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
