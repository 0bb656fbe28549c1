"""Raw rows → what a :class:`~torchbridge.hf.TextClassifier` trains on and predicts from.

* :func:`read_rows` — texts or sentence pairs, and their labels, from a list of texts, a
  list of ``(text, text_pair)`` tuples or ``{"text", "text_pair"}`` dicts, or a dict of
  columns (``text``; ``sentence1`` / ``sentence2`` as GLUE's MRPC; ``text`` /
  ``text_pair``; ``question1`` / ``question2``) with the labels in ``label`` / ``labels``.
* :func:`encode_labels` — the labels of one problem type as the model's loss wants them:
  class ids (int64) for ``single_label_classification``; multi-hot rows (float32, from
  lists of label names or 0/1 rows) for ``multi_label_classification``; float32 targets
  for ``regression``. A bad row raises :class:`~torchbridge.errors.InputError` naming the
  row, the field and the fix, before any training step.
* :func:`keras_data` / :func:`rows_dataset` — what the classifier hands to its model's
  ``fit`` / ``evaluate``: rows become a :func:`torchbridge.hf.text_dataset` pipeline
  (Keras's ``class_weight`` as per-sample weights, :class:`AddSampleWeight`); a
  ``datasets.Dataset`` goes through :func:`torchbridge.hf.prepare_dataset` (single-label)
  or is read into memory (multi-label, regression); tokenized pipelines pass as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from torchbridge.errors import InputError

__all__ = [
    "PAIR_COLUMNS",
    "PROBLEM_TYPES",
    "AddSampleWeight",
    "Rows",
    "as_text_list",
    "encode_labels",
    "keras_data",
    "read_rows",
    "rows_dataset",
]

SINGLE, MULTI, REGRESSION = (
    "single_label_classification",
    "multi_label_classification",
    "regression",
)
#: ``config.problem_type`` values (as transformers' sequence-classification heads read them).
PROBLEM_TYPES = (SINGLE, MULTI, REGRESSION)
#: Column names of sentence pairs, first match wins.
PAIR_COLUMNS = (("sentence1", "sentence2"), ("text", "text_pair"), ("question1", "question2"))
_LABEL_COLUMNS = ("label", "labels")


@dataclass
class Rows:
    """Texts, the second texts of pairs (or None) and the raw labels (or None)."""

    texts: list[str]
    pairs: list[str] | None
    labels: Any

    def __len__(self) -> int:
        return len(self.texts)

    def split(self, at: int) -> tuple[Rows, Rows]:
        def cut(v: Any, s: slice) -> Any:
            return None if v is None else v[s]

        head, tail = slice(None, at), slice(at, None)
        return (
            Rows(self.texts[head], cut(self.pairs, head), cut(self.labels, head)),
            Rows(self.texts[tail], cut(self.pairs, tail), cut(self.labels, tail)),
        )


def as_text_list(texts: Any, what: str, field: str = "text") -> list[str]:
    """A list of ``str`` (bytes decoded); anything else an error naming the row."""
    if texts is None:
        raise InputError(
            f"{what} got no texts: pass a list (or NumPy array) of strings, e.g. "
            f"{what}(['first text', 'second text'], ...)."
        )
    if isinstance(texts, np.ndarray):
        if texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        if texts.ndim != 1:
            raise InputError(f"{what} takes a 1-D array of texts, got shape {texts.shape}.")
        texts = texts.tolist()
    elif isinstance(texts, Tensor):
        raise InputError(
            f"{what} takes raw texts (a list of str), got a tensor. For tokenized data pass "
            "a torchbridge.data.Dataset of (x_dict, y) batches, or use clf.model directly."
        )
    out: list[str] = []
    for i, t in enumerate(texts):
        if isinstance(t, str):
            out.append(t)
        elif isinstance(t, bytes):
            out.append(t.decode("utf-8"))
        else:
            raise InputError(
                f"Text {i} (field {field!r}) is {type(t).__name__} ({t!r:.40}), not a string. "
                f"Remove or fill the missing texts (e.g. replace None with '') before calling "
                f"{what}."
            )
    if not out:
        raise InputError(f"{what} got an empty list of texts.")
    return out


def _pair_item(item: Any, i: int, what: str) -> tuple[Any, Any] | None:
    """``(text, text_pair)`` of one row given as a dict or a 2-tuple; None for a plain text."""
    if isinstance(item, Mapping):
        if "text" not in item or "text_pair" not in item:
            raise InputError(
                f"{what}: row {i} is a dict with keys {list(item)}; a sentence pair is "
                "{'text': first, 'text_pair': second} (as transformers.pipeline takes it)."
            )
        return item["text"], item["text_pair"]
    if isinstance(item, (tuple, list)):
        if len(item) != 2:
            raise InputError(
                f"{what}: row {i} has {len(item)} texts; a sentence pair is (text, text_pair)."
            )
        return item[0], item[1]
    return None


def _texts_or_pairs(x: Any, what: str) -> tuple[list[str], list[str] | None]:
    if isinstance(x, (np.ndarray, Tensor)) or x is None:
        return as_text_list(x, what), None
    items = list(x)
    if not items:
        raise InputError(f"{what} got an empty list of texts.")
    pairs = [_pair_item(item, i, what) for i, item in enumerate(items)]
    if all(p is None for p in pairs):
        return as_text_list(items, what), None
    if any(p is None for p in pairs):
        i = pairs.index(None)
        raise InputError(
            f"{what}: row {i} is one text but other rows are sentence pairs; give every row "
            "as (text, text_pair) or every row as one text."
        )
    firsts = as_text_list([p[0] for p in pairs if p is not None], what, "text")
    seconds = as_text_list([p[1] for p in pairs if p is not None], what, "text_pair")
    return firsts, seconds


def read_rows(x: Any, y: Any, what: str) -> Rows:
    """Texts / pairs of ``x`` and the labels (``y``, or ``x``'s label column)."""
    if isinstance(x, Mapping):
        first = next(iter(x.values()), None)
        if isinstance(first, str):  # one {"text", "text_pair"} row
            texts, pairs = _texts_or_pairs([x], what)
            return Rows(texts, pairs, y)
        columns = list(x)
        found = next(((a, b) for a, b in PAIR_COLUMNS if a in x and b in x), None)
        second: list[str] | None = None
        if found is not None:
            texts = as_text_list(x[found[0]], what, found[0])
            second = as_text_list(x[found[1]], what, found[1])
        elif "text" in x:
            texts = as_text_list(x["text"], what, "text")
        else:
            raise InputError(
                f"{what}: x has the fields {columns}; put the texts under 'text' (sentence "
                "pairs under 'sentence1' / 'sentence2' or 'text' / 'text_pair')."
            )
        label_col = next((c for c in _LABEL_COLUMNS if c in x), None)
        if label_col is not None:
            if y is not None:
                raise InputError(
                    f"{what}: x has a {label_col!r} field and y is given too; pass the labels "
                    "one way."
                )
            y = x[label_col]
        if second is not None and len(second) != len(texts):
            raise InputError(
                f"{what}: {len(texts)} first texts but {len(second)} second texts; give both "
                "texts of every pair."
            )
        return Rows(texts, second, y)
    texts, pairs = _texts_or_pairs(x, what)
    return Rows(texts, pairs, y)


# --- labels ------------------------------------------------------------------------------
def _is_name(v: Any) -> bool:
    return isinstance(v, (str, bytes, np.str_))


def _name(v: Any) -> str:
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def class_ids(labels: Any, label_names: Sequence[str], what: str) -> Any:
    """Class ids (int64) from class ids or label names; other values are checked."""
    if labels is None or isinstance(labels, Tensor):
        return labels
    values = labels.tolist() if isinstance(labels, np.ndarray) else list(labels)
    if values and all(_is_name(v) for v in values):
        lookup = {n: i for i, n in enumerate(label_names)}
        ids = []
        for i, v in enumerate(values):
            name = _name(v)
            if name not in lookup:
                raise InputError(
                    f"{what}[{i}] is {name!r}, which is not one of the label names "
                    f"{list(label_names)}. Fix the label, or create the classifier with "
                    "label_names= listing every class."
                )
            ids.append(lookup[name])
        return np.asarray(ids, dtype=np.int64)
    if any(_is_name(v) for v in values):
        raise InputError(
            f"{what} mixes label names and numbers; give all of them as names "
            f"{list(label_names)} or all as class ids 0..{len(label_names) - 1}."
        )
    if any(v is None for v in values):
        i = values.index(None)
        raise InputError(f"{what}[{i}] is None: every text needs a label.")
    if any(isinstance(v, (list, tuple)) for v in values):
        i = next(i for i, v in enumerate(values) if isinstance(v, (list, tuple)))
        raise InputError(
            f"Row {i}, field {what!r} is a list ({values[i]!r:.40}) but the classifier is "
            "single-label (one class per text). For several labels per text create it with "
            "problem_type='multi_label_classification'."
        )
    return labels


def multi_hot(labels: Any, label_names: Sequence[str], what: str) -> np.ndarray:
    """Rows of label names (any number each) or 0/1 rows → float32 ``(n, num_labels)``."""
    if isinstance(labels, Tensor):
        labels = labels.detach().cpu().numpy()
    rows = list(labels)
    k = len(label_names)
    lookup = {n: i for i, n in enumerate(label_names)}
    out = np.zeros((len(rows), k), dtype=np.float32)
    for i, row in enumerate(rows):
        if _is_name(row):
            row = [row]
        if row is None or not isinstance(row, (list, tuple, set, np.ndarray)):
            raise InputError(
                f"Row {i}, field {what!r}: expected the row's label names (a list, may be "
                f"empty) or a 0/1 row of {k} values, got {type(row).__name__} ({row!r:.40})."
            )
        values = list(row)
        if not values:  # a text with none of the labels
            continue
        if all(_is_name(v) for v in values):
            for v in values:
                name = _name(v)
                if name not in lookup:
                    raise InputError(
                        f"Row {i}, field {what!r}: {name!r} is not one of the label names "
                        f"{list(label_names)}. Fix the row, or create the classifier with "
                        "label_names= listing every label."
                    )
                out[i, lookup[name]] = 1.0
            continue
        if any(_is_name(v) for v in values):
            raise InputError(
                f"Row {i}, field {what!r} mixes label names and numbers; give the names of "
                f"the row's labels or a 0/1 row of {k} values."
            )
        if len(values) != k:
            raise InputError(
                f"Row {i}, field {what!r} has {len(values)} values but there are {k} labels "
                f"{list(label_names)}: give one 0/1 value per label, or the row's label names."
            )
        arr = np.asarray(values, dtype=np.float64)
        if not np.all((arr >= 0.0) & (arr <= 1.0)):
            raise InputError(
                f"Row {i}, field {what!r} holds {values!r:.60}; multi-label targets are 0/1 "
                "(or probabilities in [0, 1])."
            )
        out[i] = arr
    return out


def regression_targets(labels: Any, num_labels: int, what: str) -> np.ndarray:
    """Numbers → float32 ``(n,)`` (one output) or ``(n, num_labels)``; each row checked."""
    if isinstance(labels, Tensor):
        labels = labels.detach().cpu().numpy()
    rows = list(labels)
    out = np.zeros((len(rows), num_labels), dtype=np.float32)
    for i, row in enumerate(rows):
        values = list(row) if isinstance(row, (list, tuple, np.ndarray)) else [row]
        if len(values) != num_labels or not all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            for v in values
        ):
            expected = "a number" if num_labels == 1 else f"{num_labels} numbers"
            raise InputError(
                f"Row {i}, field {what!r} is {row!r:.40}; a regression target is {expected} "
                "(float). Convert the targets with float(), or use problem_type="
                "'single_label_classification' for class labels."
            )
        if not all(math.isfinite(float(v)) for v in values):
            raise InputError(f"Row {i}, field {what!r} is {row!r:.40}, not a finite number.")
        out[i] = values
    return out[:, 0] if num_labels == 1 else out


def encode_labels(labels: Any, problem_type: str, label_names: Sequence[str], what: str) -> Any:
    """The labels as the model's loss for ``problem_type`` wants them (None stays None)."""
    if labels is None:
        return None
    if problem_type == MULTI:
        return multi_hot(labels, label_names, what)
    if problem_type == REGRESSION:
        return regression_targets(labels, len(label_names), what)
    return class_ids(labels, label_names, what)


class AddSampleWeight:
    """``(x, y)`` batches → ``(x, y, weight[y])``: Keras's ``class_weight`` for a pipeline."""

    def __init__(self, weights: Tensor) -> None:
        self.weights = weights

    def __call__(self, x: Any, y: Tensor, *rest: Any) -> Any:
        labels = y.argmax(-1) if y.ndim > 1 else y
        return x, y, self.weights[labels.long()]


# --- rows → the model's fit / evaluate data ----------------------------------------------
def rows_dataset(
    clf: Any,
    rows: Rows,
    batch_size: int,
    shuffle: bool,
    seed: int | None,
    bucket: bool,
    class_weight: Mapping[int, float] | None,
    what: str,
) -> Any:
    """``rows`` → a ``torchbridge.data.Dataset`` of tokenized, padded ``(x, y)`` batches."""
    from torchbridge.hf.data import text_dataset

    y = clf.encode_labels(rows.labels, "labels" if what != "validation_data" else "y_val")
    if y is not None and len(y) != len(rows):
        raise InputError(
            f"{what} got {len(rows)} texts but {len(y)} labels; give one label per text."
        )
    single = clf.problem_type == SINGLE
    ds = text_dataset(
        rows.texts,
        y,
        tokenizer=clf.tokenizer,
        batch_size=batch_size,
        max_length=clf.max_length,
        truncation=clf.truncation,
        shuffle=shuffle,
        seed=seed,
        bucket=bucket,
        text_pairs=rows.pairs,
        num_labels=clf.num_labels if single else None,
        model=clf.model,
    )
    if class_weight is not None:
        if y is None:
            raise InputError("class_weight needs labels.")
        if not single:
            raise InputError(
                "class_weight weights the classes of single-label classification; this "
                f"classifier's problem_type is {clf.problem_type!r}. Compile a weighted "
                "Keras loss instead."
            )
        size = max(clf.num_labels, max(int(k) for k in class_weight) + 1)
        weights = torch.ones(size)
        for k, w in class_weight.items():
            weights[int(k)] = float(w)
        ds = ds.map(AddSampleWeight(weights))
    return ds


def keras_data(
    clf: Any,
    x: Any,
    y: Any,
    what: str,
    batch_size: int | None,
    shuffle: bool = False,
    seed: int | None = None,
    bucket: bool = False,
    class_weight: Mapping[int, float] | None = None,
) -> Any:
    """The ``x`` handed to the model's fit / evaluate (rows become a pipeline)."""
    from torch.utils.data import DataLoader

    from torchbridge.data.dataset import Dataset
    from torchbridge.hf.text_batches import hf_dataset_kind

    bs = 32 if batch_size is None else batch_size
    if isinstance(x, (Dataset, DataLoader)):
        if y is not None or class_weight is not None:
            raise InputError(
                f"When {what}'s x is a {type(x).__name__} of tokenized batches, its elements "
                "carry the labels: do not pass y or class_weight."
            )
        return x
    if hf_dataset_kind(x) is not None:
        if y is not None:
            raise InputError(
                f"When {what}'s x is a datasets.{type(x).__name__}, the labels come from its "
                "'label' column; do not pass y."
            )
        return _hf_data(clf, x, what, bs, shuffle, seed, bucket, class_weight)
    if isinstance(x, Rows):
        rows = x
    else:
        if x is None:
            raise InputError(f"{what}() needs texts: {what}(texts, labels, ...).")
        rows = read_rows(x, y, what)
    if rows.labels is None:
        raise InputError(
            f"{what} got texts but no labels: pass {what}(texts, labels) with "
            f"{label_hint(clf)} per text."
        )
    return rows_dataset(clf, rows, bs, shuffle, seed, bucket, class_weight, what)


def _hf_data(
    clf: Any,
    x: Any,
    what: str,
    bs: int,
    shuffle: bool,
    seed: int | None,
    bucket: bool,
    class_weight: Mapping[int, float] | None,
) -> Any:
    """A ``datasets.Dataset``: streamed through ``prepare_dataset`` (single-label), or read
    into memory (multi-label and regression targets need converting)."""
    from torchbridge.hf.text_batches import hf_dataset_kind

    columns = list(getattr(x, "column_names", None) or [])
    pair = next(((a, b) for a, b in PAIR_COLUMNS if a in columns and b in columns), None)
    if clf.problem_type != SINGLE:
        if hf_dataset_kind(x) != "map":
            raise InputError(
                f"{what}: a {clf.problem_type} TextClassifier reads a map-style "
                "datasets.Dataset; for a stream pass a torchbridge.data.Dataset of "
                "tokenized batches."
            )
        keep = [c for c in (*(pair or ()), "text", *_LABEL_COLUMNS) if c in columns]
        rows = read_rows({c: list(x[c]) for c in keep}, None, what)
        return rows_dataset(clf, rows, bs, shuffle, seed, bucket, class_weight, what)
    from torchbridge.hf.data import prepare_dataset

    return prepare_dataset(
        x,
        clf.tokenizer,
        batch_size=bs,
        shuffle=shuffle,
        bucket=bucket,
        model=clf.model,
        max_length=clf.max_length,
        truncation=clf.truncation,
        num_labels=clf.num_labels,
        seed=seed,
        class_weight=class_weight,
        text_column=pair[0] if pair else None,
        text_pair_column=pair[1] if pair else None,
    )


def label_hint(clf: Any) -> str:
    """What one label looks like for ``clf``'s problem type (for error messages)."""
    if clf.problem_type == MULTI:
        return f"a list of label names from {clf.label_names} (or a 0/1 row)"
    if clf.problem_type == REGRESSION:
        return "one number"
    return f"one class id (0..{clf.num_labels - 1}) or label name {clf.label_names}"
