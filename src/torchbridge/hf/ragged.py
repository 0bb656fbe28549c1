"""Ragged data for :class:`~torchbridge.hf.HFModel`: predictions whose batches differ in
length, and rows of token lists (e.g. multiple-choice) padded per batch.

* **Predictions.** ``predict`` of token-level outputs (NER, masked LM) gives one
  ``(batch, length, ...)`` array per batch, each batch padded to its own longest
  sequence. When all batches agree, the result is one array, as before. When they
  do not, Keras (whose TensorFlow backend returns a ``tf.RaggedTensor`` there) keeps
  each example's row as it came out; torchbridge gives the same rows as a list of
  per-example NumPy arrays (``padding_value=None``, the default), or one array padded
  to the longest batch with ``padding_value`` (``predict(x, padding_value=-100.0)``,
  the value ``transformers.Trainer`` pads logits with).
* **Rows.** ``fit`` / ``evaluate`` take ``x`` as a dict of columns of Python lists
  (the tokenizer's output without ``padding=True``) or a list of row dicts; each
  batch is padded to its longest row (``input_ids`` with the model's
  ``pad_token_id``, ``labels`` with -100, other keys with 0) — at any depth, so
  multiple-choice rows ``(num_choices, tokens)`` of different lengths work.
  ``collate_fn=`` (a ``transformers`` data collator or any function from a list
  of row dicts to a dict of tensors) replaces that padding; its ``labels`` become
  ``y``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from torchbridge import tree
from torchbridge.errors import InputError

__all__ = [
    "BatchOutput",
    "concat_predictions",
    "is_row_data",
    "rows_loader",
    "PadRows",
]

IGNORE_INDEX = -100


class BatchOutput:
    """One predict batch's outputs, already on the CPU; kept whole by the engine so
    :func:`concat_predictions` can join batches of different lengths."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _join(parts: list[np.ndarray], padding_value: float | None) -> Any:
    if all(p.shape[1:] == parts[0].shape[1:] for p in parts):
        return np.concatenate(parts)
    if padding_value is None:
        return [row for part in parts for row in part]
    ndim = parts[0].ndim
    if any(p.ndim != ndim for p in parts):
        raise InputError("The predict batches have different ranks; they cannot be padded.")
    shape = [sum(p.shape[0] for p in parts)] + [
        max(p.shape[d] for p in parts) for d in range(1, ndim)
    ]
    dtype = np.result_type(*parts, np.asarray(padding_value))
    out = np.full(shape, padding_value, dtype=dtype)
    start = 0
    for p in parts:
        out[(slice(start, start + p.shape[0]), *(slice(0, s) for s in p.shape[1:]))] = p
        start += p.shape[0]
    return out


def concat_predictions(batches: Any, padding_value: float | None) -> Any:
    """The engine's list of :class:`BatchOutput` → NumPy (see the module docstring)."""
    if not isinstance(batches, list) or not batches or not isinstance(batches[0], BatchOutput):
        return batches
    values = [b.value for b in batches]

    def join(*parts: Any) -> Any:
        if isinstance(parts[0], Tensor):
            return _join([p.numpy() for p in parts], padding_value)
        return list(parts)

    return tree.map_structure(join, *values)


# --- rows padded per batch ---------------------------------------------------------------------
def _is_ragged_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and isinstance(value[0], (list, tuple))


def is_row_data(x: Any) -> bool:
    """``x`` is rows of Python token lists (not tensors / arrays)."""
    if isinstance(x, Mapping):
        return any(_is_ragged_list(v) for v in x.values())
    return isinstance(x, (list, tuple)) and bool(x) and all(isinstance(r, Mapping) for r in x)


def _shape(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple, np.ndarray, Tensor)):
        return []
    inner = [_shape(v) for v in value]
    depth = max((len(s) for s in inner), default=0)
    return [len(value)] + [
        max((s[d] for s in inner if len(s) > d), default=0) for d in range(depth)
    ]


def _fill(out: np.ndarray, value: Any) -> None:
    if out.ndim == 1:
        out[: len(value)] = np.asarray(value)
        return
    for i, v in enumerate(value):
        _fill(out[i], v)


class PadRows:
    """Collate row dicts into a dict of int64/float tensors padded to the batch's longest."""

    def __init__(self, pad_token_id: int | None) -> None:
        self.pad_token_id = 0 if pad_token_id is None else int(pad_token_id)

    def pad_value(self, key: str) -> int:
        if key == "input_ids":
            return self.pad_token_id
        return IGNORE_INDEX if key == "labels" else 0

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        for key in rows[0]:
            values = [r[key] for r in rows]
            shapes = [_shape(v) for v in values]
            if any(len(s) != len(shapes[0]) for s in shapes):
                raise InputError(f"Rows give {key!r} with different numbers of dimensions.")
            if len(shapes[0]) >= 2:
                counts = {s[0] for s in shapes}
                if len(counts) > 1:
                    raise InputError(
                        f"Rows of one batch have {sorted(counts)} entries in {key!r} (e.g. a "
                        "different number of choices per question); give every row the same "
                        "number of choices."
                    )
            dims = [max(s[d] for s in shapes) for d in range(len(shapes[0]))]
            sample = np.asarray(values[0] if not dims else _first_leaf(values[0]))
            dtype = np.float32 if np.issubdtype(sample.dtype, np.floating) else np.int64
            arr = np.full([len(rows), *dims], self.pad_value(key), dtype=dtype)
            if dims:
                for i, v in enumerate(values):
                    _fill(arr[i], v)
            else:
                arr[:] = values
            out[key] = torch.from_numpy(arr)
        return out


def _first_leaf(value: Any) -> Any:
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return value if not isinstance(value, (list, tuple)) else 0


def _rows(x: Any, y: Any) -> list[dict[str, Any]]:
    if isinstance(x, Mapping):
        lengths = {k: len(v) for k, v in x.items()}
        if len(set(lengths.values())) > 1:
            raise InputError(
                f"The columns of x have different numbers of rows: {lengths}. Give one entry "
                "per example in every column."
            )
        n = next(iter(lengths.values()), 0)
        rows = [{k: v[i] for k, v in x.items()} for i in range(n)]
    else:
        rows = [dict(r) for r in x]
    if not rows:
        raise InputError("x has no rows: pass at least one example.")
    if y is not None:
        labels = y.tolist() if isinstance(y, (np.ndarray, Tensor)) else list(y)
        if len(labels) != len(rows):
            raise InputError(f"x has {len(rows)} rows but y has {len(labels)} labels.")
        for r, label in zip(rows, labels, strict=True):
            if "labels" in r:
                raise InputError("The rows have labels in x and as y: pass them one way.")
            r["labels"] = label
    return rows


class _SplitLabels:
    def __init__(self, collate: Callable[[list[dict[str, Any]]], Any]) -> None:
        self.collate = collate

    def __call__(self, rows: list[dict[str, Any]]) -> Any:
        batch = dict(self.collate(rows))
        batch = {k: torch.as_tensor(v) for k, v in batch.items()}
        labels = batch.pop("labels", None)
        if labels is None:
            labels = batch.pop("label", None)
        return batch if labels is None else (batch, labels)


def rows_loader(
    x: Any,
    y: Any,
    batch_size: int | None,
    shuffle: bool,
    collate_fn: Callable[[list[dict[str, Any]]], Any] | None,
    pad_token_id: int | None,
) -> torch.utils.data.DataLoader[Any]:
    """Rows (+ labels) → a ``DataLoader`` of ``(x, y)`` batches padded per batch."""
    rows = _rows(x, y)
    collate: Callable[[list[dict[str, Any]]], Any] = (
        collate_fn if collate_fn is not None else PadRows(pad_token_id)
    )
    return torch.utils.data.DataLoader(
        rows,  # type: ignore[arg-type]
        batch_size=32 if batch_size is None else int(batch_size),
        shuffle=bool(shuffle),
        collate_fn=_SplitLabels(collate),
    )
