"""Entity-level precision / recall / F1 over IOB-tagged sequences (the ``seqeval`` rules).

:func:`entity_spans` reads the entities of tag sequences the way ``seqeval``'s
default (conlleval-compatible) mode does: ``B-``/``S-`` start an entity, so does an
``I-``/``E-`` after ``O`` or after another type, and an entity ends where the next
tag does not continue it; sequences are read one after another as if separated by
``O``. :func:`entity_scores` counts exact span matches per type and overall
(micro average), as ``seqeval.metrics.classification_report`` and
``precision_score`` / ``recall_score`` / ``f1_score`` do (0 where undefined), plus
token accuracy. No dependency: the ``seqeval`` package is only the tests' oracle.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["entity_scores", "entity_spans"]


def _split(tag: str) -> tuple[str, str]:
    """``"B-PER"`` → ``("B", "PER")``; ``"O"`` → ``("O", "")``; a bare ``"PER"`` → ``("PER"[0], "ER")``
    as seqeval reads it (the first character is the prefix)."""
    if tag in ("O", ""):
        return "O", ""
    prefix, rest = tag[0], tag[1:]
    kind = rest.split("-", 1)[-1] or "_"
    return prefix, kind


def _ends(prev: str, prev_kind: str, tag: str, kind: str) -> bool:
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev not in ("O", ".") and prev_kind != kind


def _starts(prev: str, prev_kind: str, tag: str, kind: str) -> bool:
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_kind != kind


def entity_spans(sequences: Sequence[Sequence[str]]) -> list[tuple[str, int, int]]:
    """``(type, first, last)`` of every entity; positions count across all sequences."""
    tags: list[str] = []
    for seq in sequences:
        tags.extend(seq)
        tags.append("O")
    spans = []
    prev, prev_kind, begin = "O", "", 0
    for i, tag in enumerate([*tags, "O"]):
        cur, kind = _split(tag)
        if _ends(prev, prev_kind, cur, kind):
            spans.append((prev_kind, begin, i - 1))
        if _starts(prev, prev_kind, cur, kind):
            begin = i
        prev, prev_kind = cur, kind
    return spans


def _prf(correct: int, predicted: int, true: int) -> dict[str, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "number": float(true)}


def entity_scores(
    y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]
) -> dict[str, dict[str, float] | float]:
    """``{"PER": {"precision", "recall", "f1", "number"}, ..., "overall_precision",
    "overall_recall", "overall_f1", "overall_accuracy"}`` (the layout of the
    ``evaluate`` library's ``seqeval`` metric)."""
    if len(y_true) != len(y_pred) or any(
        len(t) != len(p) for t, p in zip(y_true, y_pred, strict=False)
    ):
        raise ValueError("y_true and y_pred must hold sequences of the same lengths.")
    true = set(entity_spans(y_true))
    pred = set(entity_spans(y_pred))
    out: dict[str, dict[str, float] | float] = {}
    for kind in sorted({k for k, _, _ in true | pred}):
        t = {s for s in true if s[0] == kind}
        p = {s for s in pred if s[0] == kind}
        if t:
            out[kind] = _prf(len(t & p), len(p), len(t))
    overall = _prf(len(true & pred), len(pred), len(true))
    out["overall_precision"] = overall["precision"]
    out["overall_recall"] = overall["recall"]
    out["overall_f1"] = overall["f1"]
    tokens = sum(len(t) for t in y_true)
    right = sum(
        a == b for t, p in zip(y_true, y_pred, strict=True) for a, b in zip(t, p, strict=True)
    )
    out["overall_accuracy"] = right / tokens if tokens else 0.0
    return out
