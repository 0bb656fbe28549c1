"""What :meth:`TextClassifier.predict <torchbridge.hf.TextClassifier.predict>` computes:
logits in batches, scores and ``pipeline("text-classification")``-shaped answers.

* :func:`forward_logits` — texts (or sentence pairs) tokenized in one call, batched by
  similar length, padded per batch, run in eval mode under ``torch.inference_mode``.
* :func:`choose_function` — ``softmax`` / ``sigmoid`` / ``none`` as the pipeline picks it
  from ``config.problem_type`` and ``num_labels``; :func:`apply_function` applies it.
* :func:`answers` — ``{"label", "score"}`` dicts: the best label (``top_k=1``, the
  pipeline's default form), the ``top_k`` best (``None``: every label, best first), or
  the labels whose score reaches ``threshold`` (multi-label answers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError

__all__ = ["FUNCTIONS", "answers", "apply_function", "choose_function", "forward_logits"]

FUNCTIONS = ("softmax", "sigmoid", "none")


def forward_logits(
    clf: Any, texts: list[str], pairs: list[str] | None, batch_size: int
) -> np.ndarray:
    """``(len(texts), num_labels)`` float32 logits of ``clf``'s model, in the order of ``texts``."""
    from torchbridge.hf.tokenization import encode, pad_values

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}.")
    columns = encode(
        clf.tokenizer, texts, pairs, max_length=clf.max_length, truncation=clf.truncation
    )
    accepted = set(clf.model._forward_inputs)
    keys = [k for k in columns if k in accepted]
    pads = pad_values(clf.tokenizer, keys)
    left = getattr(clf.tokenizer, "padding_side", "right") == "left"
    ids = columns["input_ids"]
    order = np.argsort([len(r) for r in ids], kind="stable")  # similar lengths together
    module: nn.Module = clf.model.module
    device = clf.model.device
    out = np.empty((len(texts), clf.num_labels), dtype=np.float32)
    was_training = module.training
    module.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                longest = max(len(ids[i]) for i in rows)
                inputs = {}
                for k in keys:
                    arr = np.full((len(rows), longest), pads[k], dtype=np.int64)
                    for j, i in enumerate(rows):
                        seq = columns[k][i]
                        if left:
                            arr[j, longest - len(seq) :] = seq
                        else:
                            arr[j, : len(seq)] = seq
                    inputs[k] = torch.from_numpy(arr).to(device)
                logits = clf.model.call_inputs(inputs)
                out[rows] = logits.float().cpu().numpy()
    finally:
        module.train(was_training)
    return out


def choose_function(config: Any, num_labels: int, function_to_apply: str | None) -> str:
    """The pipeline's choice: regression → none; multi-label or one label → sigmoid; else softmax."""
    if function_to_apply is None:
        problem = getattr(config, "problem_type", None)
        if problem == "regression":
            return "none"
        if problem == "multi_label_classification" or num_labels == 1:
            return "sigmoid"
        return "softmax"
    name = str(function_to_apply).lower()
    if name not in FUNCTIONS:
        raise InputError(
            f"function_to_apply={function_to_apply!r} is not one of {list(FUNCTIONS)}."
        )
    return name


def apply_function(logits: np.ndarray, function: str) -> np.ndarray:
    if function == "softmax":
        z = logits - logits.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=-1, keepdims=True))
    if function == "sigmoid":
        return np.asarray(1.0 / (1.0 + np.exp(-logits)))
    return logits


def check_top_k(top_k: Any) -> None:
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise InputError(f"top_k must be a positive integer or None, got {top_k!r}.")


def answers(
    scores: np.ndarray,
    names: list[str],
    top_k: int | None,
    threshold: float | None,
    single: bool,
) -> list[Any]:
    """Per text: ``{"label", "score"}`` (``top_k=1`` without ``threshold``) or a list of them,
    best first (``top_k`` best; with ``threshold``, only those scoring at least it)."""
    if top_k == 1 and threshold is None:
        best = scores.argmax(-1)
        return [{"label": names[int(b)], "score": float(s[b])} for b, s in zip(best, scores)]
    results = []
    for s in scores:
        ranked = np.argsort(-s, kind="stable")
        if threshold is not None:
            ranked = ranked[s[ranked] >= threshold]
        if top_k is not None:
            ranked = ranked[:top_k]
        results.append([{"label": names[int(i)], "score": float(s[i])} for i in ranked])
    return results[0] if single else results
