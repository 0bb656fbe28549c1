"""Exact match and F1 as the official SQuAD evaluation scripts (v1.1 and v2.0) define them,
for :class:`torchbridge.hf.QuestionAnswerer`.

* An answer is **normalized** by lower-casing it, removing punctuation
  (``string.punctuation``), removing the articles *a*, *an*, *the* (whole words)
  and collapsing whitespace.
* **Exact match** of a prediction against one gold answer: 1 when the normalized
  strings are equal. **F1**: the harmonic mean of token precision and recall of the
  normalized words (a bag of words: common words counted with multiplicity); when
  either side has no words, 1 if both have none, else 0.
* A question's score is the **maximum over its gold answers**. Gold answers that
  normalize to nothing are dropped; a question left with none is unanswerable (SQuAD
  v2), and only the empty prediction scores 1 on it.
* :func:`squad_scores` averages over the questions, in percent (as the scripts and the
  ``evaluate`` library's ``squad`` / ``squad_v2`` metrics report them): ``exact_match``
  and ``f1``; with unanswerable questions in the data also ``HasAns_exact`` /
  ``HasAns_f1`` / ``HasAns_total`` and ``NoAns_exact`` / ``NoAns_f1`` / ``NoAns_total``.
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence

__all__ = ["exact_match", "f1_score", "normalize_answer", "squad_scores"]

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(gold: str, prediction: str) -> int:
    return int(normalize_answer(gold) == normalize_answer(prediction))


def f1_score(gold: str, prediction: str) -> float:
    gold_words = normalize_answer(gold).split()
    pred_words = normalize_answer(prediction).split()
    if not gold_words or not pred_words:
        return float(gold_words == pred_words)
    same = sum((collections.Counter(gold_words) & collections.Counter(pred_words)).values())
    if same == 0:
        return 0.0
    precision = same / len(pred_words)
    recall = same / len(gold_words)
    return 2 * precision * recall / (precision + recall)


def _best(golds: Sequence[str], prediction: str) -> tuple[int, float, bool]:
    """(exact, f1, answerable) of one question: the maximum over its gold answers."""
    kept = [g for g in golds if normalize_answer(g)]
    answerable = bool(kept)
    if not kept:
        kept = [""]
    return (
        max(exact_match(g, prediction) for g in kept),
        max(f1_score(g, prediction) for g in kept),
        answerable,
    )


def squad_scores(predictions: Sequence[str], golds: Sequence[Sequence[str]]) -> dict[str, float]:
    """The SQuAD scores (percent) of ``predictions`` (one answer text per question, ``""``
    for "no answer") against each question's gold answer texts (empty: unanswerable)."""
    if len(predictions) != len(golds):
        raise ValueError(f"{len(predictions)} predictions for {len(golds)} questions.")
    if not predictions:
        raise ValueError("No questions to score.")
    scored = [_best(g, p) for p, g in zip(predictions, golds, strict=True)]
    n = len(scored)
    out = {
        "exact_match": 100.0 * sum(e for e, _, _ in scored) / n,
        "f1": 100.0 * sum(f for _, f, _ in scored) / n,
    }
    has = [(e, f) for e, f, a in scored if a]
    no = [(e, f) for e, f, a in scored if not a]
    if no:
        for name, part in (("HasAns", has), ("NoAns", no)):
            out[f"{name}_total"] = float(len(part))
            if part:
                out[f"{name}_exact"] = 100.0 * sum(e for e, _ in part) / len(part)
                out[f"{name}_f1"] = 100.0 * sum(f for _, f in part) / len(part)
    return out
