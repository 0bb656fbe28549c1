"""Tokenization inside ``torchbridge.data`` pipelines: :class:`Tokenize`, and the helpers it shares.

``Tokenize(tokenizer, max_length=128, truncation=True)`` is a picklable
callable for ``Dataset.map``. What it returns depends on the element:

* ``"some text"`` → ``{"input_ids", "attention_mask"[, "token_type_ids"]}``
  as 1-D int64 tensors, **not padded** — batch them with ``padded_batch`` /
  ``bucket_by_sequence_length`` (or let :func:`torchbridge.hf.text_dataset`
  do it);
* a **batch** of strings (the NumPy string array ``.batch(n)`` makes, or a
  list of ``str``) → the same keys as 2-D tensors padded to the longest text
  of the batch, with **one tokenizer call per batch** (the fast ``tokenizers``
  backend encodes the batch in Rust without the GIL). This is the quickest
  pipeline: ``ds.batch(32).map(Tokenize(tok))`` — tokenization and dynamic
  padding in one step, equal to ``tokenizer(texts, padding=True)``;
* ``(text, label)`` / ``(text, label, sample_weight)`` → ``(encoding, label
  [, sample_weight])``: the other components pass through (``pair=True``:
  ``(text, text_pair, ...)`` for sentence-pair tasks);
* a dict (a row of ``Dataset.from_hf``) → ``(encoding, row[label_column])``,
  or the encoding alone when the row has no label; other columns are dropped.
  The text is ``row[text_column]`` (``None``: the only text column, or
  ``"text"``); ``text_pair_column`` adds the second text.

Truncation: ``truncation=True`` cuts to ``max_length`` (``None``: the
tokenizer's ``model_max_length``). With ``truncation=False`` a text longer
than that limit is an :class:`~torchbridge.errors.InputError` naming the fix
(inside ``map`` it arrives as ``PipelineFunctionError`` chained to it).

``transformers`` is imported by nobody here: the tokenizer object is passed
in, and any Hugging Face tokenizer (fast or slow) works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError

__all__ = ["Tokenize"]

# Above this a tokenizer's model_max_length means "no limit" (transformers uses 1e30).
_NO_LIMIT = 10**9
# Text columns picked without being named, in this order of preference.
_TEXT_NAMES = ("text", "sentence", "content", "document")


def check_tokenizer(tokenizer: Any, what: str = "Tokenize") -> None:
    """A Hugging Face tokenizer: callable on a list of texts, with ``pad_token_id``."""
    if tokenizer is None or not callable(tokenizer) or not hasattr(tokenizer, "pad_token_id"):
        raise InputError(
            f"{what} needs a Hugging Face tokenizer, got {type(tokenizer).__name__}. Load one "
            "with transformers.AutoTokenizer.from_pretrained(path) (the fast `tokenizers` "
            "backend is the quick one)."
        )


def length_limit(tokenizer: Any, max_length: int | None) -> tuple[int | None, str]:
    """The longest sequence allowed and where that limit comes from (for messages)."""
    if max_length is not None:
        if int(max_length) < 1:
            raise InputError(f"max_length must be a positive integer, got {max_length}.")
        return int(max_length), f"max_length={int(max_length)}"
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < _NO_LIMIT:
        return limit, f"the tokenizer's model_max_length ({limit})"
    return None, "no limit"


def pad_token_id(tokenizer: Any) -> int:
    pad = getattr(tokenizer, "pad_token_id", None)
    if pad is None:
        raise InputError(
            f"{type(tokenizer).__name__} has no padding token, so batches cannot be padded. "
            "Set one before building the dataset, e.g. tokenizer.pad_token = "
            "tokenizer.eos_token (decoder models such as GPT-2 ship without one)."
        )
    return int(pad)


def pad_values(tokenizer: Any, keys: Sequence[str]) -> dict[str, int]:
    """The padding value of each tokenizer output (ids: the pad token; masks: 0)."""
    values: dict[str, int] = {}
    for key in keys:
        if key == "input_ids":
            values[key] = pad_token_id(tokenizer)
        elif key == "token_type_ids":
            values[key] = int(getattr(tokenizer, "pad_token_type_id", 0) or 0)
        elif key == "special_tokens_mask":
            values[key] = 1  # a padded position counts as special, as tokenizer.pad does
        else:
            values[key] = 0
    return values


def as_texts(values: Any, what: str) -> list[str]:
    """A list of ``str`` (bytes decoded as UTF-8); anything else is an error naming the index."""
    if isinstance(values, (str, bytes)):
        raise InputError(f"{what} must be a list of texts, got a single {type(values).__name__}.")
    if isinstance(values, np.ndarray):
        values = values.reshape(-1).tolist() if values.ndim <= 1 else None
        if values is None:
            raise InputError(f"{what} must be a 1-D array of texts.")
    out: list[str] = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, bytes):
            out.append(v.decode("utf-8"))
        else:
            raise InputError(
                f"{what}[{i}] is {type(v).__name__} ({v!r:.40}), not a text. Remove or fill "
                "the missing entries (e.g. replace None with '') before tokenizing."
            )
    return out


def _too_long(
    lengths: Sequence[int], limit: int, source: str, row_ids: Sequence[Any] | None = None
) -> InputError:
    i = next(i for i, n in enumerate(lengths) if n > limit)
    where = f"Text {i}" if row_ids is None else f"The text of row {row_ids[i]}"
    return InputError(
        f"{where} is {lengths[i]} tokens long, longer than {source}, and truncation is off. "
        "Pass truncation=True to cut texts to max_length, raise max_length (up to what the "
        "model's position embeddings allow), or shorten the text."
    )


def encode(
    tokenizer: Any,
    texts: list[str],
    pairs: list[str] | None = None,
    *,
    max_length: int | None = None,
    truncation: bool = True,
    add_special_tokens: bool = True,
    row_ids: Sequence[Any] | None = None,
) -> dict[str, list[list[int]]]:
    """Tokenize a list of texts in one call, unpadded: ``{key: [ids of text 0, ...]}``.

    Truncates to the limit when ``truncation`` is on; otherwise checks that every
    text fits it (``row_ids`` name the texts' rows in the error message).
    """
    limit, source = length_limit(tokenizer, max_length)
    cut = bool(truncation) and limit is not None
    kwargs: dict[str, Any] = {"add_special_tokens": add_special_tokens, "padding": False}
    if cut:
        kwargs.update(truncation=True, max_length=limit)
    else:
        kwargs["truncation"] = False
    if pairs is not None:
        kwargs["text_pair"] = pairs
    enc = tokenizer(texts, **kwargs)
    columns = {k: v for k, v in dict(enc).items() if isinstance(v, list)}
    if not cut and limit is not None:
        lengths = [len(ids) for ids in columns["input_ids"]]
        if lengths and max(lengths) > limit:
            raise _too_long(lengths, limit, source, row_ids)
    return columns


class Tokenize:
    """A ``Dataset.map`` function that tokenizes texts (see the module docstring for the forms).

    Args:
        tokenizer: a Hugging Face tokenizer (``AutoTokenizer.from_pretrained(...)``).
        max_length: cut (or, without truncation, check) sequences at this many
            tokens; ``None``: the tokenizer's ``model_max_length``.
        truncation: cut longer sequences (``False``: raise for them).
        text_column / text_pair_column: for dict elements, the columns holding
            the text (and the second text of a pair).
        label_column: for dict elements, the column that becomes ``y``
            (``"label"`` falls back to ``"labels"``; ``None``: no ``y``).
        pair: positional elements are ``(text, text_pair, ...)``.
        pad_to_multiple_of: for batches, round the padded length up.
        add_special_tokens: add ``[CLS]``/``[SEP]`` (or the model's own).
    """

    def __init__(
        self,
        tokenizer: Any,
        max_length: int | None = None,
        truncation: bool = True,
        text_column: str | None = None,
        text_pair_column: str | None = None,
        label_column: str | None = "label",
        pair: bool = False,
        pad_to_multiple_of: int | None = None,
        add_special_tokens: bool = True,
    ) -> None:
        check_tokenizer(tokenizer)
        length_limit(tokenizer, max_length)  # validates max_length
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.truncation = bool(truncation)
        self.text_column = text_column
        self.text_pair_column = text_pair_column
        self.label_column = label_column
        self.pair = bool(pair)
        self.pad_to_multiple_of = pad_to_multiple_of
        self.add_special_tokens = bool(add_special_tokens)

    def __repr__(self) -> str:
        return (
            f"Tokenize({type(self.tokenizer).__name__}, max_length={self.max_length}, "
            f"truncation={self.truncation})"
        )

    def __call__(self, *element: Any) -> Any:
        if len(element) == 1 and isinstance(element[0], Mapping):
            return self._row(element[0])
        n_text = 2 if self.pair else 1
        if len(element) < n_text:
            raise InputError(
                "Tokenize(pair=True) needs (text, text_pair, ...) elements, got one component."
            )
        encoding = self.encode(element[0], element[1] if self.pair else None)
        rest = element[n_text:]
        return (encoding, *rest) if rest else encoding

    # --- one text or a batch of texts ------------------------------------------------------
    def encode(self, text: Any, text_pair: Any = None) -> dict[str, torch.Tensor]:
        """Tokenize one text (1-D tensors, unpadded) or a batch (2-D, padded to the longest)."""
        if isinstance(text, (str, bytes)):
            texts = as_texts([text], "text")
            pairs = None if text_pair is None else as_texts([text_pair], "text_pair")
            columns = encode(
                self.tokenizer,
                texts,
                pairs,
                max_length=self.max_length,
                truncation=self.truncation,
                add_special_tokens=self.add_special_tokens,
            )
            return {k: torch.tensor(v[0], dtype=torch.int64) for k, v in columns.items()}
        if isinstance(text, torch.Tensor):
            raise InputError(
                "Tokenize got a tensor where a text was expected: map Tokenize over the raw "
                "strings (before any numeric preprocessing)."
            )
        return self.encode_batch(text, text_pair)

    def encode_batch(self, texts: Any, text_pairs: Any = None) -> dict[str, torch.Tensor]:
        """A batch of texts in one tokenizer call, padded to the longest (int64 tensors)."""
        batch = as_texts(texts, "texts")
        pairs = None if text_pairs is None else as_texts(text_pairs, "text_pairs")
        if pairs is not None and len(pairs) != len(batch):
            raise InputError(f"Got {len(batch)} texts but {len(pairs)} text pairs.")
        limit, source = length_limit(self.tokenizer, self.max_length)
        cut = self.truncation and limit is not None
        pad_token_id(self.tokenizer)
        kwargs: dict[str, Any] = {
            "padding": "longest",
            "return_tensors": "pt",
            "add_special_tokens": self.add_special_tokens,
            "truncation": cut,
        }
        if cut:
            kwargs["max_length"] = limit
        if self.pad_to_multiple_of:
            kwargs["pad_to_multiple_of"] = int(self.pad_to_multiple_of)
        if pairs is not None:
            kwargs["text_pair"] = pairs
        enc = {k: v for k, v in dict(self.tokenizer(batch, **kwargs)).items()}
        ids = enc["input_ids"]
        if not cut and limit is not None and ids.ndim == 2 and ids.shape[1] > limit:
            mask = enc.get("attention_mask")
            lengths = mask.sum(1).tolist() if mask is not None else [int(ids.shape[1])] * len(batch)
            raise _too_long(lengths, limit, source)
        return {k: v.long() if v.dtype != torch.int64 else v for k, v in enc.items()}

    # --- dict rows ---------------------------------------------------------------------------
    def _row(self, row: Mapping[str, Any]) -> Any:
        column = resolve_text_column(row, self.text_column, "Tokenize")
        pair = None
        if self.text_pair_column is not None:
            pair = row.get(self.text_pair_column)
            if pair is None:
                raise missing_column("text_pair_column", self.text_pair_column, list(row))
        encoding = self.encode(_scalar_text(row[column]), _scalar_text(pair))
        label = resolve_label_column(
            list(row), self.label_column, required=self.label_column != "label"
        )
        return encoding if label is None else (encoding, row[label])


def _scalar_text(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.str_):
        return str(value)
    return value


def missing_column(argument: str, name: str, columns: Sequence[str]) -> InputError:
    return InputError(
        f"{argument}={name!r} is not a column of the data; its columns are {list(columns)}. "
        f"Set {argument}= to one of them."
    )


def _is_text(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "OUS"
    return isinstance(value, (list, tuple)) and bool(value) and isinstance(value[0], str)


def resolve_text_column(
    row: Mapping[str, Any], text_column: str | None, what: str, text_columns: Any = None
) -> str:
    """The column holding the text: ``text_column``, the only text column, or ``"text"``.

    ``text_columns`` lists the text columns when known from a schema; otherwise
    they are found from the values of ``row``.
    """
    columns = list(row)
    if text_column is not None:
        if text_column not in row:
            raise missing_column("text_column", text_column, columns)
        return text_column
    found = (
        list(text_columns)
        if text_columns is not None
        else [k for k, v in row.items() if _is_text(v)]
    )
    if len(found) == 1:
        return found[0]
    for name in _TEXT_NAMES:
        if name in found:
            return name
    if not found:
        raise InputError(
            f"{what}: no text column to tokenize; the columns are {columns}. Set "
            "text_column= to the column holding the text."
        )
    raise InputError(
        f"{what}: several text columns {found}; set text_column= to the one to tokenize "
        "(and text_pair_column= for the second text of a pair)."
    )


def resolve_label_column(
    columns: Sequence[str], label_column: str | None, *, required: bool
) -> str | None:
    """``label_column`` if present; ``"label"`` falls back to ``"labels"``; else None/error."""
    if label_column is None:
        return None
    if label_column in columns:
        return label_column
    if label_column == "label" and "labels" in columns:
        return "labels"
    if required:
        raise InputError(
            f"label_column={label_column!r} is not a column of the data; its columns are "
            f"{list(columns)}. Set label_column= to the column holding the labels (or "
            "label_column=None for data without labels)."
        )
    return None
