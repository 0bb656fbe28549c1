"""Answer spans for :class:`torchbridge.hf.QuestionAnswerer`: question/context pairs → token
windows with start/end labels, and start/end logits → answers in the context.

* **Windows** (:func:`encode_windows`): the question and the context are tokenized as a
  pair, truncating only the context (``truncation="only_second"``) into windows of
  ``max_length`` tokens that overlap by ``stride`` tokens (``return_overflowing_tokens``),
  with the offset mapping — the Hugging Face question-answering guide's preprocessing.
* **Labels** (:func:`answer_positions`), the guide's rules: the context of a window is
  the run of tokens whose ``sequence_ids`` is 1; when the answer's characters are not
  all inside it (or the question has no answer) the labels are ``(0, 0)`` — the
  ``[CLS]`` position; otherwise the start is the last context token starting at or
  before the answer's first character and the end the first context token ending at or
  after its last one.
* **Decoding** (:func:`window_answers`), as ``transformers``' question-answering
  pipeline does it: per window, logits of tokens outside the context (but ``[CLS]``)
  and of padding are set to -10000, start and end are soft-maxed, a span's score is
  ``p(start) * p(end)`` for ``start <= end < start + max_answer_len``; the null score is
  ``p_start[0] * p_end[0]`` (its minimum over the windows), then position 0 is zeroed;
  spans are mapped to characters through the words they touch (``align_to_words``;
  then ``2 * top_k + 10`` spans per window are looked at), and spans giving the same
  text (ignoring case), in one window or several, become one answer whose score is
  their sum.
* :func:`window_logits`: the forward pass over windows, batched by similar length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError

__all__ = ["answer_positions", "encode_windows", "window_answers", "window_logits"]

_MASKED = -10000.0


def encode_windows(
    tokenizer: Any,
    questions: Sequence[str],
    contexts: Sequence[str],
    max_length: int,
    stride: int,
) -> Any:
    """The pairs tokenized into overlapping windows (a ``BatchEncoding`` with
    ``offset_mapping`` and ``overflow_to_sample_mapping``)."""
    if not getattr(tokenizer, "is_fast", False):
        raise InputError(
            "QuestionAnswerer needs a fast tokenizer (offset mappings): load it with "
            "AutoTokenizer.from_pretrained(path, use_fast=True)."
        )
    asked = tokenizer(list(questions), add_special_tokens=False)["input_ids"]
    specials = tokenizer.num_special_tokens_to_add(pair=True)
    for i, ids in enumerate(asked):
        room = max_length - len(ids) - specials
        if room <= stride:
            raise InputError(
                f"Row {i}, field 'question': the question is {len(ids)} tokens, which leaves "
                f"{max(room, 0)} of max_length={max_length} tokens for the context, not more "
                f"than stride={stride}. Shorten the question, or raise max_length / lower "
                "stride (from_pretrained(..., max_length=..., stride=...))."
            )
    return tokenizer(
        list(questions),
        list(contexts),
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        # Segment ids even when the tokenizer's model_input_names leave them out (the
        # pipeline asks for them too): BERT-style models need them to tell the context.
        return_token_type_ids=True,
    )


def _context_bounds(sequence_ids: Sequence[int | None]) -> tuple[int, int]:
    """First and last token of the context (sequence 1) in a window."""
    idx = 0
    while sequence_ids[idx] != 1:
        idx += 1
    first = idx
    while idx < len(sequence_ids) and sequence_ids[idx] == 1:
        idx += 1
    return first, idx - 1


def answer_positions(
    enc: Any, char_spans: Sequence[tuple[int, int] | None]
) -> tuple[list[int], list[int]]:
    """Start and end token of each window's answer (``(0, 0)`` when it has none);
    ``char_spans[row]``: the answer's ``(first char, end char)`` in row's context, or None."""
    starts, ends = [], []
    rows = enc["overflow_to_sample_mapping"]
    for window, offsets in enumerate(enc["offset_mapping"]):
        span = char_spans[rows[window]]
        if span is None:
            starts.append(0)
            ends.append(0)
            continue
        start_char, end_char = span
        sequence_ids = enc.sequence_ids(window)
        if 1 not in sequence_ids:  # a context that tokenizes to nothing
            starts.append(0)
            ends.append(0)
            continue
        first, last = _context_bounds(sequence_ids)
        if offsets[first][0] > start_char or offsets[last][1] < end_char:
            starts.append(0)
            ends.append(0)
            continue
        idx = first
        while idx <= last and offsets[idx][0] <= start_char:
            idx += 1
        starts.append(idx - 1)
        idx = last
        while idx >= first and offsets[idx][1] >= end_char:
            idx -= 1
        ends.append(idx + 1)
    return starts, ends


def window_logits(
    model: Any,
    windows: Sequence[dict[str, Sequence[int]]],
    batch_size: int,
    pad_id: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Start and end logits of each window (eval mode; batched by similar length and
    right-padded: ``input_ids`` with ``pad_id``, other inputs with 0)."""
    module = model.module
    device = model.device
    order = np.argsort([len(w["input_ids"]) for w in windows], kind="stable")
    out: list[tuple[np.ndarray, np.ndarray]] = [(np.empty(0), np.empty(0))] * len(windows)
    was_training = module.training
    module.eval()
    try:
        with torch.inference_mode():
            for begin in range(0, len(windows), batch_size):
                rows = order[begin : begin + batch_size]
                longest = max(len(windows[i]["input_ids"]) for i in rows)
                batch = {}
                for key in windows[rows[0]]:
                    fill = pad_id if key == "input_ids" else 0
                    arr = torch.full((len(rows), longest), fill, dtype=torch.long)
                    for j, i in enumerate(rows):
                        values = windows[i][key]
                        arr[j, : len(values)] = torch.as_tensor(values)
                    batch[key] = arr.to(device)
                result = module(**batch, return_dict=True)
                start = result.start_logits.float().cpu().numpy()
                end = result.end_logits.float().cpu().numpy()
                for j, i in enumerate(rows):
                    n = len(windows[i]["input_ids"])
                    out[i] = (start[j, :n], end[j, :n])
    finally:
        module.train(was_training)
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _top_spans(
    start: np.ndarray, end: np.ndarray, keep: np.ndarray, top_k: int, max_answer_len: int
) -> list[tuple[int, int, float]]:
    """The ``top_k`` best (start, end, score) with ``start <= end < start + max_answer_len``,
    both on kept positions."""
    scores = np.tril(np.triu(np.outer(start, end)), max_answer_len - 1)
    flat = scores.ravel()
    if top_k == 1:
        best = np.array([int(np.argmax(flat))])
    elif flat.size < top_k:
        best = np.argsort(-flat)
    else:
        part = np.argpartition(-flat, top_k)[:top_k]
        best = part[np.argsort(-flat[part])]
    starts, ends = np.unravel_index(best, scores.shape)
    # The pipeline's test also lets position 0 through (its index arrays include the row 0).
    allowed = np.flatnonzero(keep)
    if allowed.size:
        allowed = np.union1d(allowed, [0])
    good = np.isin(starts, allowed) & np.isin(ends, allowed)
    return [
        (int(s), int(e), float(scores[s, e])) for s, e in zip(starts[good], ends[good], strict=True)
    ]


def _char_span(encoding: Any, s: int, e: int, align_to_words: bool) -> tuple[int, int]:
    if align_to_words:
        try:
            first = encoding.word_to_chars(encoding.token_to_word(s), sequence_index=1)[0]
            last = encoding.word_to_chars(encoding.token_to_word(e), sequence_index=1)[1]
            return int(first), int(last)
        except Exception:  # a token without a word: fall back to its offsets
            pass
    return int(encoding.offsets[s][0]), int(encoding.offsets[e][1])


def window_answers(
    context: str,
    windows: Sequence[tuple[Any, np.ndarray, np.ndarray, np.ndarray]],
    *,
    top_k: int = 1,
    handle_impossible_answer: bool = False,
    max_answer_len: int = 15,
    align_to_words: bool = True,
) -> dict[str, Any] | list[dict[str, Any]]:
    """One question's answers from its windows ``(encoding, p_mask, start, end)``
    (``p_mask``: 1 where no answer may start or end) — the pipeline's output: a dict for
    one answer, else a list, best first."""
    answers: list[dict[str, Any]] = []
    null_score = 1000000.0
    # Aligning to words can map several spans to one answer: look at more candidates.
    candidates = top_k * 2 + 10 if align_to_words else top_k
    for encoding, p_mask, start_logits, end_logits in windows:
        keep = 1 - np.asarray(p_mask, dtype=np.int64)
        start = _softmax(np.where(keep == 0, _MASKED, start_logits))
        end = _softmax(np.where(keep == 0, _MASKED, end_logits))
        if handle_impossible_answer:
            null_score = min(null_score, float(start[0] * end[0]))
        start[0] = end[0] = 0.0
        for s, e, score in _top_spans(start, end, keep, candidates, max_answer_len):
            first, last = _char_span(encoding, s, e, align_to_words)
            text = context[first:last]
            same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
            if same is not None:  # the same text from another span or window: scores add up
                same["score"] += score
            else:
                answers.append({"score": score, "start": first, "end": last, "answer": text})
    if handle_impossible_answer:
        answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]
    return answers[0] if len(answers) == 1 else answers
