"""``Seq2SeqLM``: text-to-text (translation, summarization ...) with encoder-decoder models
(T5, BART, Marian ...) the Keras way.

::

    s2s = torchbridge.hf.Seq2SeqLM.from_pretrained(path, prefix="translate English to French: ")
    s2s.compile()                                  # AdamW(2e-5); the model's own loss; accuracy
    s2s.fit(sources, targets, epochs=3)            # raw texts (or a datasets.Dataset with
                                                   # "source" / "target" columns)
    s2s.evaluate(sources, targets, num_beams=4)    # loss, accuracy, BLEU, chrF, ROUGE
    s2s.predict(["hello"], max_new_tokens=40)      # [{"generated_text": ...}] per text
    s2s.save("s2s")                                # AutoModelForSeq2SeqLM / AutoTokenizer load it

* **Preprocessing.** Each source gets the task ``prefix`` (T5's
  ``"summarize: "`` ...) and is truncated to ``max_source_length``; targets are
  tokenized as targets (``tokenizer(text_target=...)``) and truncated to
  ``max_target_length``; batches are padded per batch (labels with -100); the
  model builds its decoder inputs from the labels.
* **predict / evaluate generate**: ``generate`` with the model's generation config;
  ``max_new_tokens`` (default ``max_target_length``), ``num_beams``,
  ``do_sample``, ``top_k``, ``temperature``, ``generation_config`` ... pass
  through. ``predict`` gives the shape the text2text pipelines of transformers 4
  gave (transformers 5 removed them).
* **Scores** (``evaluate``) on the generated texts against the targets: ``bleu``
  and ``chrf`` (``sacrebleu.corpus_bleu`` / ``corpus_chrf``, 0–100) and
  ``rouge1`` / ``rouge2`` / ``rougeL`` / ``rougeLsum`` (``rouge_score``, the mean
  F-measure over the examples, 0–1), with the loss and the compiled metrics
  (teacher-forced).
* **Bad input** (no rows, sources and targets of different counts, a row that
  is not a string or is empty, a missing column, a checkpoint without an
  encoder-decoder LM head) raises :class:`~torchbridge.errors.InputError`
  before any training step.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from torchbridge.errors import InputError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import (
    compile_task_model,
    load_task_model,
    read_meta,
    require_compiled,
    split_off_validation,
    text_column,
    write_meta,
)
from torchbridge.hf.model import HFModel
from torchbridge.hf.text_batches import forward_inputs, hf_dataset_kind

__all__ = ["Seq2SeqLM", "text_scores"]

FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.Seq2SeqLM"
_METRICS = ("bleu", "chrf", "rouge")
_ROUGE = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def text_scores(
    predictions: Sequence[str], references: Sequence[str], metrics: Sequence[str] = _METRICS
) -> dict[str, float]:
    """BLEU / chrF (sacrebleu, corpus level, 0–100) and ROUGE (rouge-score, the mean
    F-measure over the pairs, 0–1) of ``predictions`` against one reference each."""
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown:
        raise InputError(f"Unknown text metrics {unknown}; choose from {list(_METRICS)}.")
    if len(predictions) != len(references):
        raise InputError(
            f"{len(predictions)} predictions but {len(references)} references; give one "
            "reference per prediction."
        )
    scores: dict[str, float] = {}
    if "bleu" in metrics or "chrf" in metrics:
        try:
            import sacrebleu
        except ImportError as exc:
            raise ImportError(
                "BLEU and chrF need sacrebleu: pip install sacrebleu (or leave them out: "
                "evaluate(..., text_metrics=['rouge']))."
            ) from exc
        if "bleu" in metrics:
            scores["bleu"] = float(
                sacrebleu.corpus_bleu(list(predictions), [list(references)]).score
            )
        if "chrf" in metrics:
            scores["chrf"] = float(
                sacrebleu.corpus_chrf(list(predictions), [list(references)]).score
            )
    if "rouge" in metrics:
        try:
            from rouge_score import rouge_scorer
        except ImportError as exc:
            raise ImportError(
                "ROUGE needs rouge-score: pip install rouge-score (or leave it out: "
                "evaluate(..., text_metrics=['bleu', 'chrf']))."
            ) from exc
        scorer = rouge_scorer.RougeScorer(list(_ROUGE))
        sums = dict.fromkeys(_ROUGE, 0.0)
        for pred, ref in zip(predictions, references, strict=True):
            for key, value in scorer.score(ref, pred).items():
                sums[key] += value.fmeasure
        for key in _ROUGE:
            scores[key] = sums[key] / max(len(predictions), 1)
    return scores


class Seq2SeqLM:
    """A tokenizer + an encoder-decoder language model (see the module docstring)."""

    def __init__(
        self,
        model: HFModel,
        tokenizer: Any,
        prefix: str = "",
        max_source_length: int = 512,
        max_target_length: int = 128,
        source_column: str = "source",
        target_column: str = "target",
    ) -> None:
        if model.task != "seq2seq-lm":
            raise InputError(
                f"Seq2SeqLM needs an encoder-decoder language model; "
                f"{type(model.module).__name__} is a {model.task or 'bare'} model. Load a "
                "T5 / BART / Marian checkpoint, or use CausalLM for decoder-only models."
            )
        self.model = model
        self.tokenizer = tokenizer
        self.prefix = prefix
        self.max_source_length = int(max_source_length)
        self.max_target_length = int(max_target_length)
        self.source_column = source_column
        self.target_column = target_column
        self._inputs = forward_inputs(model)

    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        prefix: str | None = None,
        max_source_length: int | None = None,
        max_target_length: int | None = None,
        source_column: str | None = None,
        target_column: str | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> Seq2SeqLM:
        """An encoder-decoder checkpoint (a folder or Hub name) and its tokenizer; ``kwargs``
        go to ``AutoModelForSeq2SeqLM.from_pretrained``. A folder written by :meth:`save`
        restores its settings too.

        ``lora=dict(r=8, ...)`` or ``peft_config=`` (any ``peft`` config) add a ``peft``
        adapter: only it trains, :meth:`save` writes it and :meth:`merge_and_save` merges it;
        a folder holding an adapter loads it (:mod:`torchbridge.hf.peft_support`)."""
        source = os.fspath(checkpoint)
        meta = read_meta(source, _FORMAT, FORMAT_VERSION)
        model = load_task_model(source, "seq2seq-lm", "Seq2SeqLM", **kwargs)
        if tokenizer is None:
            transformers = require_transformers("Seq2SeqLM.from_pretrained")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        return cls(
            model,
            tokenizer,
            prefix if prefix is not None else meta.get("prefix", ""),
            max_source_length or meta.get("max_source_length", 512),
            max_target_length or meta.get("max_target_length", 128),
            source_column or meta.get("source_column", "source"),
            target_column or meta.get("target_column", "target"),
        )

    # --- rows → token columns ------------------------------------------------------------------
    def _pairs(
        self, x: Any, y: Any, what: str, need_targets: bool
    ) -> tuple[list[str], list[str] | None]:
        if hf_dataset_kind(x) is not None or isinstance(x, dict):
            if y is not None:
                raise InputError(
                    f"{what}: x holds the columns, so the targets come from its "
                    f"{self.target_column!r} column; do not pass y."
                )
            sources = text_column(x, self.source_column, what)
            targets = text_column(x, self.target_column, what, required=need_targets)
        else:
            sources = text_column(x, self.source_column, what)
            targets = text_column(y, self.target_column, what) if y is not None else None
        assert sources is not None
        if targets is None:
            if need_targets:
                raise InputError(
                    f"{what} needs targets: {what}(sources, targets), or a dataset with a "
                    f"{self.target_column!r} column."
                )
            return sources, None
        if len(targets) != len(sources):
            raise InputError(
                f"{what} got {len(sources)} sources but {len(targets)} targets; give one "
                "target per source."
            )
        return sources, targets

    def encode(
        self, sources: Sequence[str], targets: Sequence[str] | None = None
    ) -> dict[str, list[Any]]:
        """Sources (with the prefix) → ``input_ids`` / ``attention_mask`` rows; targets →
        ``labels`` rows."""
        enc = self.tokenizer(
            [self.prefix + s for s in sources], max_length=self.max_source_length, truncation=True
        )
        keys = [k for k in enc if self._inputs is None or k in self._inputs or k == "input_ids"]
        columns: dict[str, list[Any]] = {k: list(enc[k]) for k in keys}
        if targets is not None:
            labels = self.tokenizer(
                text_target=list(targets), max_length=self.max_target_length, truncation=True
            )
            columns["labels"] = list(labels["input_ids"])
        return columns

    # --- the Keras API -----------------------------------------------------------------------------
    def compile(
        self, optimizer: Any = None, loss: Any = None, metrics: Any = ("accuracy",), **kwargs: Any
    ) -> None:
        """``Model.compile``; defaults: ``AdamW(2e-5, weight_decay=0.01)`` (no decay on biases
        and norms), the model's own loss, teacher-forced token accuracy."""
        compile_task_model(self.model, optimizer, loss, metrics, 2e-5, **kwargs)

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit`` on source texts ``x`` and target texts ``y`` (or a dataset with
        both columns). Every row is checked before the first step."""
        require_compiled(self.model, "s2s", "fit")
        sources, targets = self._pairs(x, y, "fit", need_targets=True)
        columns = self.encode(sources, targets)
        if validation_split:
            columns, held_out = split_off_validation(columns, validation_split, "rows")
            validation_data = (held_out,)
        elif validation_data is not None:
            vx, vy = (
                validation_data if isinstance(validation_data, tuple) else (validation_data, None)
            )
            validation_data = (self.encode(*self._pairs(vx, vy, "validation_data", True)),)
        return self.model.fit(
            columns,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        text_metrics: Sequence[str] = _METRICS,
        **generate_kwargs: Any,
    ) -> dict[str, float]:
        """The loss and compiled metrics (teacher-forced), then BLEU / chrF / ROUGE of the
        generated texts (``generate_kwargs`` pass to ``generate``)."""
        require_compiled(self.model, "s2s", "evaluate")
        sources, targets = self._pairs(x, y, "evaluate", need_targets=True)
        assert targets is not None
        columns = self.encode(sources, targets)
        logs = dict(
            self.model.evaluate(columns, batch_size=batch_size, verbose=verbose, return_dict=True)
        )
        predictions = self.generate(sources, batch_size=batch_size or 32, **generate_kwargs)
        logs.update(text_scores(predictions, targets, text_metrics))
        return logs

    # --- generation ----------------------------------------------------------------------------------
    def generate(
        self, inputs: str | Sequence[str], batch_size: int = 32, **kwargs: Any
    ) -> list[str]:
        """The generated text of each input (the prefix is added); ``kwargs`` go to the
        model's ``generate`` (``max_new_tokens`` defaults to ``max_target_length``)."""
        sources, _ = self._pairs(inputs, None, "predict", need_targets=False)
        if "max_new_tokens" not in kwargs and "max_length" not in kwargs:
            kwargs["max_new_tokens"] = self.max_target_length
        out: list[str] = []
        for start in range(0, len(sources), batch_size):
            enc = self.encode(sources[start : start + batch_size])
            batch = self.tokenizer.pad(enc, return_tensors="pt")
            ids = self.model.generate(dict(batch), **kwargs)
            sequences = ids.sequences if hasattr(ids, "sequences") else ids
            out.extend(self.tokenizer.batch_decode(sequences, skip_special_tokens=True))
        return out

    def predict(self, inputs: str | Sequence[str], batch_size: int = 32, **kwargs: Any) -> Any:
        """As the text2text pipelines of transformers 4: for a str ``[{"generated_text": ...}]``
        (one dict per sequence with ``num_return_sequences``); for a list, one dict per
        input (one list per input when several sequences are returned)."""
        texts = self.generate(inputs, batch_size=batch_size, **kwargs)
        per = int(kwargs.get("num_return_sequences", 1) or 1)
        groups = [
            [{"generated_text": t} for t in texts[i : i + per]] for i in range(0, len(texts), per)
        ]
        if isinstance(inputs, str):
            return groups[0]
        return [g[0] for g in groups] if per == 1 else groups

    # --- saving ----------------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=``) merged into a
        copy of the weights: a plain ``transformers`` folder; this model keeps its adapter."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A folder ``AutoModelForSeq2SeqLM`` / ``AutoTokenizer`` and :meth:`from_pretrained`
        load (the prefix and lengths in ``torchbridge.json``)."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        write_meta(
            path,
            _FORMAT,
            FORMAT_VERSION,
            {
                "prefix": self.prefix,
                "max_source_length": self.max_source_length,
                "max_target_length": self.max_target_length,
                "source_column": self.source_column,
                "target_column": self.target_column,
            },
        )
