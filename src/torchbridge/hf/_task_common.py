"""Pieces the language-model task classes share (:mod:`torchbridge.hf.causal_lm`,
:mod:`torchbridge.hf.masked_lm`, :mod:`torchbridge.hf.seq2seq_lm`): reading raw text rows
(lists, dicts of columns, ``datasets.Dataset``) with errors naming the row and the field,
loading a checkpoint for a task with a clear error for the wrong architecture, the default
optimizer, the ``torchbridge.json`` settings file, ``group_texts`` chunking and exact
mean token losses (for perplexity).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError, NotCompiledError, SavedFormatError
from torchbridge.hf.model import HFModel
from torchbridge.hf.pretrained import from_pretrained as _model_from_pretrained
from torchbridge.hf.text_batches import hf_dataset_kind

__all__ = [
    "METADATA_FILE",
    "batched_rows",
    "default_optimizer",
    "group_texts",
    "load_task_model",
    "mean_token_loss",
    "pad_batch",
    "perplexity",
    "read_meta",
    "require_compiled",
    "text_column",
    "write_meta",
]

METADATA_FILE = "torchbridge.json"
IGNORE_INDEX = -100


def read_meta(source: str, fmt: str, version: int) -> dict[str, Any]:
    """The settings :func:`write_meta` stored in ``source`` (``{}`` when there are none)."""
    path = os.path.join(source, METADATA_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format") != fmt:
        return {}
    if int(meta.get("version", 0)) > version:
        raise SavedFormatError(
            f"{source!r} was saved by a newer torchbridge (format version {meta['version']}); "
            "upgrade torchbridge to load it."
        )
    return dict(meta)


def write_meta(path: str, fmt: str, version: int, settings: Mapping[str, Any]) -> None:
    with open(os.path.join(path, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump({"format": fmt, "version": version, **settings}, f, indent=1)


def load_task_model(
    source: str,
    task: str,
    owner: str,
    *,
    lora: Mapping[str, Any] | None = None,
    peft_config: Any = None,
    **kwargs: Any,
) -> HFModel:
    """``hf.from_pretrained(source, task=task)``; a checkpoint whose architecture has no
    such head raises :class:`InputError` naming the architecture and the fix. ``lora`` /
    ``peft_config`` add a ``peft`` adapter (:mod:`torchbridge.hf.peft_support`); a folder
    holding an adapter loads it."""
    try:
        return _model_from_pretrained(
            source, task=task, lora=lora, peft_config=peft_config, **kwargs
        )
    except (ValueError, KeyError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(
            f"{owner}.from_pretrained({source!r}): this checkpoint's architecture has no "
            f"{task} model ({exc}). Use a checkpoint made for {task} "
            f"({_EXAMPLES.get(task, 'see the transformers task guide')})."
        ) from exc


_EXAMPLES = {
    "causal-lm": "a decoder-only model such as GPT-2, Llama, Qwen",
    "masked-lm": "an encoder such as BERT, RoBERTa, DistilBERT",
    "seq2seq-lm": "an encoder-decoder such as T5, BART, Marian",
    "multiple-choice": "an encoder such as BERT, RoBERTa, DeBERTa; a new head is added",
    "question-answering": "an encoder such as BERT, RoBERTa, DistilBERT; a new head is added",
}


def default_optimizer(learning_rate: float) -> Any:
    """``AdamW(learning_rate, weight_decay=0.01)`` without decay on biases and norms."""
    from torchbridge.optimizers import AdamW

    return AdamW(learning_rate=learning_rate, weight_decay=0.01, exclude_bias_and_norm=True)


def compile_task_model(
    model: HFModel, optimizer: Any, loss: Any, metrics: Any, learning_rate: float, **kwargs: Any
) -> None:
    """``Model.compile`` with the task models' defaults: ``AdamW(learning_rate,
    weight_decay=0.01)`` without decay on biases and norms, the model's own loss."""
    model.compile(
        optimizer=default_optimizer(learning_rate) if optimizer is None else optimizer,
        loss=loss,
        metrics=list(metrics) if metrics is not None else None,
        **kwargs,
    )


def split_off_validation(
    columns: dict[str, Any], validation_split: float, unit: str = "rows"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keras's ``validation_split`` on column data: the last fraction of the rows."""
    n = len(next(iter(columns.values())))
    cut = n - int(n * validation_split)
    if cut <= 0 or cut >= n:
        raise InputError(
            f"validation_split={validation_split} leaves no {unit} on a side ({n} {unit}); "
            "give more data or a smaller validation_split."
        )
    return {k: v[:cut] for k, v in columns.items()}, {k: v[cut:] for k, v in columns.items()}


def require_compiled(model: HFModel, owner: str, what: str) -> None:
    if not model.compiled:
        raise NotCompiledError(f"Call compile() before {what}(): e.g. {owner}.compile().")


def text_column(x: Any, column: str, what: str, *, required: bool = True) -> list[str] | None:
    """Rows of text from a list of str, a dict of columns or a ``datasets.Dataset``
    (its ``column``); each row checked (a str, not empty)."""
    if hf_dataset_kind(x) is not None:
        columns = list(getattr(x, "column_names", []) or [])
        if column not in columns:
            if not required:
                return None
            raise InputError(
                f"{what}: the dataset has no {column!r} column (columns: {columns}). Rename "
                f"the text column (ds.rename_column(name, {column!r})) or pass "
                f"{_column_arg(column)}=name."
            )
        x = list(x[column])
    elif isinstance(x, Mapping):
        if column not in x:
            if not required:
                return None
            raise InputError(
                f"{what}: x has no {column!r} field (fields: {list(x)}). Put the texts under "
                f"{column!r} or pass {_column_arg(column)}=name."
            )
        x = x[column]
    if x is None:
        if not required:
            return None
        raise InputError(f"{what} got no texts: pass a list of strings.")
    if isinstance(x, str):
        x = [x]
    rows = list(x)
    if not rows:
        raise InputError(f"{what} got no rows: pass at least one text in {column!r}.")
    for i, text in enumerate(rows):
        if not isinstance(text, str):
            raise InputError(
                f"Row {i}, field {column!r}: expected a string, got {type(text).__name__}. "
                "Give one text per row."
            )
        if not text.strip():
            raise InputError(f"Row {i}, field {column!r} is empty; drop empty rows.")
    return rows


def _column_arg(column: str) -> str:
    return {"text": "text_column", "source": "source_column", "target": "target_column"}.get(
        column, "column"
    )


def group_texts(
    columns: Mapping[str, Sequence[Sequence[Any]]], block_size: int
) -> dict[str, list[list[Any]]]:
    """The Hugging Face guides' ``group_texts``: every column concatenated over the rows and
    cut into blocks of ``block_size`` (the remainder dropped — unless all of it is shorter
    than one block, which is kept as one block)."""
    if block_size < 1:
        raise InputError(f"block_size must be at least 1, got {block_size}.")
    joined = {k: [t for row in v for t in row] for k, v in columns.items()}
    total = len(next(iter(joined.values()), []))
    if total >= block_size:
        total = (total // block_size) * block_size
    return {
        k: [v[i : i + block_size] for i in range(0, total, block_size)] for k, v in joined.items()
    }


def mean_token_loss(
    model: HFModel, batches: Iterable[Mapping[str, Any]], shift: bool
) -> tuple[float, int]:
    """The mean cross-entropy over every labelled token (labels != -100) of ``batches``
    (dicts of tensors holding ``labels``), and the token count. ``shift``: logits at t
    predict label t + 1 (causal LMs)."""
    module = model.module
    device = model.device
    total, count = 0.0, 0
    was_training = module.training
    module.eval()
    try:
        with torch.inference_mode():
            for batch in batches:
                inputs = {k: torch.as_tensor(v).to(device) for k, v in batch.items()}
                labels = inputs.pop("labels")
                logits = module(**inputs).logits.float()
                if shift:
                    logits, labels = logits[:, :-1], labels[:, 1:]
                keep = labels != IGNORE_INDEX
                nll = torch.nn.functional.cross_entropy(logits[keep], labels[keep], reduction="sum")
                total += float(nll)
                count += int(keep.sum())
    finally:
        module.train(was_training)
    if count == 0:
        raise InputError("No labelled tokens to score: give longer texts.")
    return total / count, count


def sequence_logits(
    model: HFModel,
    ids: list[torch.Tensor],
    batch_size: int,
    pad_id: int,
    model_inputs: set[str] | None,
) -> list[np.ndarray]:
    """Logits of each token sequence, in eval mode: batched by similar length, right-padded
    with ``pad_id`` and an attention mask (zero ``token_type_ids`` when the model takes them)."""
    module = model.module
    device = model.device
    order = np.argsort([len(r) for r in ids], kind="stable")
    out: list[np.ndarray] = [np.empty(0)] * len(ids)
    was_training = module.training
    module.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(ids), batch_size):
                rows = order[start : start + batch_size]
                longest = max(len(ids[i]) for i in rows)
                batch = torch.full((len(rows), longest), pad_id, dtype=torch.long)
                mask = torch.zeros((len(rows), longest), dtype=torch.long)
                for j, i in enumerate(rows):
                    batch[j, : len(ids[i])] = ids[i]
                    mask[j, : len(ids[i])] = 1
                x = {"input_ids": batch.to(device), "attention_mask": mask.to(device)}
                if model_inputs is None or "token_type_ids" in model_inputs:
                    x["token_type_ids"] = torch.zeros_like(x["input_ids"])
                logits = module(**x).logits.float().cpu().numpy()
                for j, i in enumerate(rows):
                    out[i] = logits[j, : len(ids[i])]
    finally:
        module.train(was_training)
    return out


def perplexity(mean_loss: float) -> float:
    return math.exp(mean_loss) if mean_loss < 700 else math.inf


def batched_rows(columns: Mapping[str, Sequence[Any]], batch_size: int) -> list[dict[str, Any]]:
    """Row-major slices of ``columns`` of ``batch_size`` rows (dicts of Python lists)."""
    n = len(next(iter(columns.values())))
    return [
        {k: list(v[s : s + batch_size]) for k, v in columns.items()}
        for s in range(0, n, batch_size)
    ]


def pad_batch(rows: Mapping[str, Sequence[Sequence[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a dict of token-list columns (labels with -100, masks with 0)."""
    out = {}
    for key, values in rows.items():
        longest = max(len(v) for v in values)
        fill = pad_id if key == "input_ids" else IGNORE_INDEX if key == "labels" else 0
        arr = np.full((len(values), longest), fill, dtype=np.int64)
        for i, v in enumerate(values):
            arr[i, : len(v)] = v
        out[key] = torch.from_numpy(arr)
    return out
