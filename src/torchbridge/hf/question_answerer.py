"""``QuestionAnswerer``: extractive question answering (SQuAD v1 / v2) the Keras way.

::

    qa = torchbridge.hf.QuestionAnswerer.from_pretrained(path)   # max_length=384, stride=128
    qa.compile()                          # AdamW(2e-5); the model's own start/end loss
    qa.fit(rows, epochs=2)                # SQuAD rows: question, context, answers={"text": [...],
                                          # "answer_start": [...]} (or a datasets.Dataset)
    qa.evaluate(rows)                     # loss, exact_match, f1 (the SQuAD scripts' definitions)
    qa.predict({"question": "Who?", "context": "..."})   # {"answer", "score", "start", "end"}
    qa.save("qa_model")                   # AutoModelForQuestionAnswering / from_pretrained load it

* **Long contexts** are split into windows of ``max_length`` tokens overlapping by
  ``stride`` (only the context is cut), and each window is labelled as the Hugging
  Face question-answering guide does: the answer's first and last token when the whole
  answer lies in the window, else ``(0, 0)`` (the ``[CLS]`` token). A row whose
  ``answers`` are empty is unanswerable (SQuAD v2) and labelled ``(0, 0)`` everywhere;
  training on such rows turns ``handle_impossible_answer`` on (unless it was set).
  :mod:`torchbridge.hf.qa_spans` holds the windows, labels and decoding.
* **predict** answers as ``transformers``' question-answering pipeline (transformers
  4.x; version 5 dropped it) does, with the same defaults: all windows of a question
  are scored, spans up to ``max_answer_len`` tokens, the best ``top_k`` over the
  windows, ``handle_impossible_answer`` adds the empty answer with the null score;
  ``start`` / ``end`` are character offsets into the context. The forward pass is
  batched (windows of similar length together).
* **evaluate** returns the loss on the labelled windows and the SQuAD scores of the
  predicted answers against all the gold answers of each row, in percent
  (:mod:`torchbridge.hf.squad_metrics`): ``exact_match``, ``f1`` and, when some rows are
  unanswerable, ``HasAns_*`` / ``NoAns_*``.
* **Bad input** (no rows, a missing or empty field, an answer whose text is not at its
  ``answer_start`` in the context, a question too long for ``max_length``/``stride``, a
  checkpoint without a question-answering head) raises
  :class:`~torchbridge.errors.InputError` naming the row, the field and the fix, before
  any training step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from torchbridge.errors import InputError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import (
    compile_task_model,
    load_task_model,
    read_meta,
    require_compiled,
    write_meta,
)
from torchbridge.hf.model import HFModel
from torchbridge.hf.qa_spans import answer_positions, encode_windows, window_answers, window_logits
from torchbridge.hf.squad_metrics import squad_scores
from torchbridge.hf.text_batches import forward_inputs, hf_dataset_kind

__all__ = ["QuestionAnswerer"]

FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.QuestionAnswerer"
_FIELDS = ("question", "context", "answers")


class _Rows:
    """Checked rows: questions, contexts and (when given) each row's gold answers."""

    def __init__(
        self,
        questions: list[str],
        contexts: list[str],
        answers: list[list[tuple[str, int]]] | None,
    ) -> None:
        self.questions = questions
        self.contexts = contexts
        self.answers = answers

    def __len__(self) -> int:
        return len(self.questions)

    def char_spans(self) -> list[tuple[int, int] | None]:
        """The first gold answer's characters per row (None: unanswerable), as the guide."""
        assert self.answers is not None
        return [(a[0][1], a[0][1] + len(a[0][0])) if a else None for a in self.answers]

    def slice(self, begin: int, end: int) -> _Rows:
        answers = self.answers[begin:end] if self.answers is not None else None
        return _Rows(self.questions[begin:end], self.contexts[begin:end], answers)


def _text(value: Any, row: int, field: str) -> str:
    if not isinstance(value, str):
        raise InputError(
            f"Row {row}, field {field!r}: expected a string, got {type(value).__name__}. "
            "Give one text per row."
        )
    if not value.strip():
        raise InputError(f"Row {row}, field {field!r} is empty; drop the row or fill it in.")
    return value


def _answers(value: Any, row: int, context: str) -> list[tuple[str, int]]:
    """A row's gold answers as (text, answer_start), each checked against the context."""
    if not isinstance(value, Mapping) or "text" not in value or "answer_start" not in value:
        raise InputError(
            f"Row {row}, field 'answers': expected a dict {{'text': [...], 'answer_start': "
            f"[...]}} (SQuAD format), got {value!r}. Give the answer texts and their character "
            "offsets in the context ([] and [] for an unanswerable question)."
        )
    texts, starts = value["text"], value["answer_start"]
    if isinstance(texts, str):
        texts = [texts]
    if isinstance(starts, (int, np.integer)):
        starts = [starts]
    texts, starts = list(texts), list(starts)
    if len(texts) != len(starts):
        raise InputError(
            f"Row {row}, field 'answers': {len(texts)} texts but {len(starts)} answer_start "
            "values; give one answer_start per answer text."
        )
    out = []
    for text, start in zip(texts, starts, strict=True):
        if not isinstance(text, str) or not text:
            raise InputError(
                f"Row {row}, field 'answers': answer text {text!r} is not a non-empty string; "
                "an unanswerable question has answers {'text': [], 'answer_start': []}."
            )
        if isinstance(start, bool) or not isinstance(start, (int, np.integer)):
            raise InputError(
                f"Row {row}, field 'answers': answer_start {start!r} is not an integer "
                "character offset into the context."
            )
        start = int(start)
        if context[start : start + len(text)] != text:
            found = context.find(text)
            where = (
                f"it occurs at character {found}: set answer_start={found}"
                if found >= 0
                else "it does not occur in the context at all: fix the answer text or the context"
            )
            raise InputError(
                f"Row {row}, field 'answers': answer {text!r} is not at answer_start={start} "
                f"of the context (the context there reads "
                f"{context[start : start + len(text)]!r}); {where}."
            )
        out.append((text, start))
    return out


def _read_rows(x: Any, what: str, need_answers: bool) -> _Rows:
    """SQuAD-style rows from a ``datasets.Dataset``, a dict of columns, one row dict or a
    list of row dicts."""
    if hf_dataset_kind(x) is not None:
        names = list(getattr(x, "column_names", []) or [])
        x = {k: list(x[k]) for k in _FIELDS if k in names}
        if not x:
            raise InputError(
                f"{what}: the dataset has none of the columns {list(_FIELDS)} (it has {names}); "
                "rename them: ds.rename_column(name, 'question') ..."
            )
    if isinstance(x, Mapping):
        if isinstance(x.get("question"), str):
            x = [x]  # one row
        else:
            columns = {k: list(x[k]) for k in _FIELDS if k in x and x[k] is not None}
            n = max((len(v) for v in columns.values()), default=0)
            for k, v in columns.items():
                if len(v) != n:
                    raise InputError(
                        f"{what}: field {k!r} has {len(v)} rows but another has {n}; give "
                        "one entry per row in every field."
                    )
            x = [{k: v[i] for k, v in columns.items()} for i in range(n)]
    if x is None or isinstance(x, str) or not isinstance(x, Sequence):
        raise InputError(
            f"{what} takes SQuAD-style rows: a list of dicts with 'question', 'context'"
            f"{' and answers' if need_answers else ''}, a dict of such columns or a "
            f"datasets.Dataset; got {type(x).__name__}."
        )
    if len(x) == 0:
        raise InputError(f"{what} got no rows: pass at least one question with its context.")
    questions, contexts = [], []
    answers: list[list[tuple[str, int]]] | None = [] if need_answers else None
    for i, row in enumerate(x):
        if not isinstance(row, Mapping):
            raise InputError(
                f"Row {i}: expected a dict with 'question' and 'context', got {type(row).__name__}."
            )
        wanted = _FIELDS if need_answers else _FIELDS[:2]
        missing = [k for k in wanted if k not in row]
        if missing:
            raise InputError(
                f"Row {i} has no field {missing[0]!r} (fields: {list(row)}). Every row needs "
                f"{list(wanted)}; rename the field or add it."
            )
        questions.append(_text(row["question"], i, "question"))
        contexts.append(_text(row["context"], i, "context"))
        if answers is not None:
            answers.append(_answers(row["answers"], i, contexts[-1]))
    return _Rows(questions, contexts, answers)


class QuestionAnswerer:
    """A tokenizer + an extractive question-answering model (see the module docstring)."""

    def __init__(
        self,
        model: HFModel,
        tokenizer: Any,
        max_length: int | None = None,
        stride: int | None = None,
        handle_impossible_answer: bool | None = None,
    ) -> None:
        if model.task != "question-answering":
            raise InputError(
                f"QuestionAnswerer needs a question-answering model (start/end logits); "
                f"{type(model.module).__name__} is a {model.task or 'bare'} model. Load it with "
                "QuestionAnswerer.from_pretrained(path) (AutoModelForQuestionAnswering)."
            )
        self.model = model
        self.tokenizer = tokenizer
        limit = getattr(tokenizer, "model_max_length", None)
        if max_length is None:
            max_length = min(384, limit) if isinstance(limit, int) and limit > 0 else 384
        if stride is None:
            stride = min(max_length // 2, 128)
        if not 0 <= stride < max_length:
            raise InputError(
                f"stride={stride} must be at least 0 and below max_length={max_length} (the "
                "tokens two windows of a long context share)."
            )
        self.max_length = int(max_length)
        self.stride = int(stride)
        self.handle_impossible_answer = handle_impossible_answer
        self._inputs = forward_inputs(model)

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        max_length: int | None = None,
        stride: int | None = None,
        handle_impossible_answer: bool | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> QuestionAnswerer:
        """A checkpoint (a folder or Hub name) with a new or its own span head and its
        tokenizer; ``kwargs`` go to ``AutoModelForQuestionAnswering.from_pretrained``.
        ``max_length`` defaults to ``min(384, tokenizer.model_max_length)``, ``stride`` to
        ``min(max_length // 2, 128)`` (the pipeline's defaults). A folder written by
        :meth:`save` restores its settings too."""
        source = os.fspath(checkpoint)
        meta = read_meta(source, _FORMAT, FORMAT_VERSION)
        model = load_task_model(source, "question-answering", "QuestionAnswerer", **kwargs)
        if tokenizer is None:
            transformers = require_transformers("QuestionAnswerer.from_pretrained")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        if handle_impossible_answer is None:
            handle_impossible_answer = meta.get("handle_impossible_answer")
        return cls(
            model,
            tokenizer,
            max_length or meta.get("max_length"),
            stride if stride is not None else meta.get("stride"),
            handle_impossible_answer,
        )

    @classmethod
    def load(cls, directory: str | os.PathLike[str], **kwargs: Any) -> QuestionAnswerer:
        """Read a folder written by :meth:`save` (``from_pretrained(directory)``)."""
        if not os.path.isdir(os.fspath(directory)):
            raise InputError(
                f"QuestionAnswerer.load: {os.fspath(directory)!r} is not a directory. Pass the "
                "directory written by QuestionAnswerer.save(directory)."
            )
        return cls.from_pretrained(directory, **kwargs)

    # --- rows → windows ----------------------------------------------------------------------
    def encode(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        char_spans: Sequence[tuple[int, int] | None] | None = None,
    ) -> tuple[dict[str, list[Any]], Any]:
        """Questions and contexts → the model's input columns, one entry per window (with
        ``start_positions`` / ``end_positions`` when ``char_spans`` are given), and the
        tokenizer's ``BatchEncoding`` (offsets, ``overflow_to_sample_mapping``)."""
        enc = encode_windows(
            self.tokenizer,
            [q.strip() for q in questions],
            contexts,
            self.max_length,
            self.stride,
        )
        keys = ("input_ids", "token_type_ids", "attention_mask")
        columns: dict[str, list[Any]] = {
            k: list(enc[k])
            for k in keys
            if k in enc and (self._inputs is None or k in self._inputs or k == "input_ids")
        }
        if char_spans is not None:
            starts, ends = answer_positions(enc, char_spans)
            columns["start_positions"] = starts
            columns["end_positions"] = ends
        return columns, enc

    def _labelled(self, rows: _Rows) -> dict[str, list[Any]]:
        return self.encode(rows.questions, rows.contexts, rows.char_spans())[0]

    # --- the Keras API ---------------------------------------------------------------------------
    def compile(
        self, optimizer: Any = None, loss: Any = None, metrics: Any = None, **kwargs: Any
    ) -> None:
        """``Model.compile``; defaults: ``AdamW(2e-5, weight_decay=0.01)`` without decay on
        biases and norms, the model's own loss (mean of the start and end cross-entropy)."""
        compile_task_model(self.model, optimizer, loss, metrics, 2e-5, **kwargs)

    def fit(
        self,
        x: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit`` on SQuAD rows (every window of every row, labelled); the history.
        All rows are checked before the first step."""
        require_compiled(self.model, "qa", "fit")
        rows = _read_rows(x, "fit", need_answers=True)
        answers = rows.answers or []
        if self.handle_impossible_answer is None and any(not a for a in answers):
            self.handle_impossible_answer = True  # trained on unanswerable rows (SQuAD v2)
        if validation_split:
            n = len(rows)
            cut = n - int(n * validation_split)
            if cut <= 0 or cut >= n:
                raise InputError(
                    f"validation_split={validation_split} leaves no rows on a side ({n} rows); "
                    "give more rows or a smaller validation_split."
                )
            validation_data = (self._labelled(rows.slice(cut, n)),)
            rows = rows.slice(0, cut)
        elif validation_data is not None:
            held_out = _read_rows(validation_data, "validation_data", need_answers=True)
            validation_data = (self._labelled(held_out),)
        return self.model.fit(
            self._labelled(rows),
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(
        self, x: Any = None, batch_size: int | None = None, verbose: Any = "auto"
    ) -> dict[str, float]:
        """The loss (and compiled metrics) on the labelled windows, and the SQuAD scores
        (percent) of the predicted answers: ``exact_match``, ``f1`` [, ``HasAns_*``,
        ``NoAns_*``]."""
        require_compiled(self.model, "qa", "evaluate")
        rows = _read_rows(x, "evaluate", need_answers=True)
        assert rows.answers is not None
        logs = dict(
            self.model.evaluate(
                self._labelled(rows), batch_size=batch_size, verbose=verbose, return_dict=True
            )
        )
        answers = self._answer(rows, batch_size or 32, top_k=1)
        predicted = [a["answer"] if isinstance(a, dict) else "" for a in answers]
        golds = [[text for text, _ in a] for a in rows.answers]
        logs.update(squad_scores(predicted, golds))
        return logs

    # --- prediction --------------------------------------------------------------------------------
    def predict(
        self,
        inputs: Any = None,
        *,
        question: str | Sequence[str] | None = None,
        context: str | Sequence[str] | None = None,
        top_k: int = 1,
        handle_impossible_answer: bool | None = None,
        max_answer_len: int = 15,
        align_to_words: bool = True,
        batch_size: int = 32,
    ) -> Any:
        """Answers as ``pipeline("question-answering")`` gives them: for one row (a dict with
        ``question`` and ``context``, or ``question=`` / ``context=`` strings) a dict
        ``{"score", "start", "end", "answer"}`` (a list of ``top_k`` dicts when
        ``top_k > 1``); for several rows, one such result each.
        ``handle_impossible_answer`` defaults to the model's setting (on after training
        on unanswerable rows)."""
        if inputs is None:
            if question is None or context is None:
                raise InputError(
                    "predict needs rows: predict({'question': ..., 'context': ...}) or "
                    "predict(question=..., context=...)."
                )
            if isinstance(question, str) and isinstance(context, str):
                inputs = {"question": question, "context": context}
            else:
                qs = [question] * len(context) if isinstance(question, str) else list(question)
                cs = [context] * len(qs) if isinstance(context, str) else list(context)
                inputs = {"question": qs, "context": cs}
        single = isinstance(inputs, Mapping) and isinstance(inputs.get("question"), str)
        if top_k < 1:
            raise InputError(f"top_k must be at least 1, got {top_k}.")
        if max_answer_len < 1:
            raise InputError(f"max_answer_len must be at least 1, got {max_answer_len}.")
        rows = _read_rows(inputs, "predict", need_answers=False)
        results = self._answer(
            rows,
            batch_size,
            top_k=top_k,
            handle_impossible_answer=handle_impossible_answer,
            max_answer_len=max_answer_len,
            align_to_words=align_to_words,
        )
        return results[0] if single else results

    def _answer(
        self,
        rows: _Rows,
        batch_size: int,
        *,
        top_k: int,
        handle_impossible_answer: bool | None = None,
        max_answer_len: int = 15,
        align_to_words: bool = True,
    ) -> list[Any]:
        """Each row's answers (the pipeline's windows: the question as given, not stripped)."""
        if handle_impossible_answer is None:
            handle_impossible_answer = bool(self.handle_impossible_answer)
        enc = encode_windows(
            self.tokenizer, rows.questions, rows.contexts, self.max_length, self.stride
        )
        keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
        keys = [k for k in keys if self._inputs is None or k in self._inputs or k == "input_ids"]
        windows = [{k: enc[k][i] for k in keys} for i in range(len(enc["input_ids"]))]
        pad = self.tokenizer.pad_token_id
        logits = window_logits(self.model, windows, batch_size, int(pad or 0))
        cls_id = self.tokenizer.cls_token_id
        per_row: list[list[Any]] = [[] for _ in range(len(rows))]
        for i, row in enumerate(enc["overflow_to_sample_mapping"]):
            p_mask = np.array([s != 1 for s in enc.sequence_ids(i)], dtype=np.int64)
            if cls_id is not None:
                p_mask[np.asarray(enc["input_ids"][i]) == cls_id] = 0
            per_row[row].append((enc[i], p_mask, *logits[i]))
        return [
            window_answers(
                context,
                windows_of_row,
                top_k=top_k,
                handle_impossible_answer=handle_impossible_answer,
                max_answer_len=max_answer_len,
                align_to_words=align_to_words,
            )
            for context, windows_of_row in zip(rows.contexts, per_row, strict=True)
        ]

    # --- saving ------------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=`` of
        :meth:`from_pretrained`) merged into a copy of the weights: a plain ``transformers``
        folder; this model keeps its adapter (:mod:`torchbridge.hf.peft_support`)."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A folder ``AutoModelForQuestionAnswering``, ``pipeline("question-answering",
        model=directory)`` (transformers 4.x) and :meth:`from_pretrained` / :meth:`load` load:
        the model, the tokenizer and ``torchbridge.json``."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        write_meta(
            path,
            _FORMAT,
            FORMAT_VERSION,
            {
                "max_length": self.max_length,
                "stride": self.stride,
                "handle_impossible_answer": self.handle_impossible_answer,
            },
        )
