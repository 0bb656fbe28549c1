"""``prepare_dataset``: a Hugging Face ``datasets.Dataset`` / ``IterableDataset`` → batches.

Columns are read one batch at a time (``ds[indices]``, one Arrow read); a text
column is tokenized per batch (one tokenizer call); the label column becomes
``y``; model input columns (``input_ids``, ``attention_mask`` ...) become the
``x`` dict; other columns (raw text, ids) are dropped. ``collate_fn=`` takes any
Transformers data collator instead of torchbridge's padding. ``model.fit(hf_dataset)``
calls it (through :mod:`torchbridge.hf.dataset_adapter`). The batch reading lives
in :mod:`torchbridge.hf.row_batches`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.data.dataset import Dataset
from torchbridge.errors import InputError
from torchbridge.hf.row_batches import (
    _BatchBuilder,
    _CollateRows,
    _IndexLength,
    _IndexOrder,
    _ReadIndices,
    _RowBatches,
    _RowLength,
    _RowStream,
)
from torchbridge.hf.text_batches import (
    MODEL_INPUT_COLUMNS,
    _batch_size,
    _boundaries,
    _bucket_batches,
    _BuildBatches,
    _draw_seed,
    _WithCardinality,
    check_label_range,
    forward_inputs,
    hf_dataset_kind,
)
from torchbridge.hf.tokenization import (
    check_tokenizer,
    encode,
    missing_column,
    resolve_label_column,
    resolve_text_column,
)

__all__ = ["prepare_dataset"]

_PEEK_ROWS = 1000  # rows of a stream read to place bucket boundaries
_LENGTH_CHUNK = 1000  # texts per tokenizer call when measuring lengths


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
    model_inputs = forward_inputs(model) if model is not None else None
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
