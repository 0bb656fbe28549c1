"""``TokenClassifier``: named-entity recognition (token classification) the Keras way.

::

    ner = torchbridge.hf.TokenClassifier.from_pretrained(path, label_names=["O", "B-PER", "I-PER"])
    ner.compile()                                   # AdamW(5e-5); the model's own loss; accuracy
    ner.fit(words, tags, epochs=3)                  # rows of words + word-level tags (or a datasets
                                                    # Dataset with "tokens" / "ner_tags")
    ner.evaluate(words, tags)                       # seqeval precision / recall / F1 per type
    ner.predict("John lives in Paris", aggregation_strategy="simple")   # as pipeline("ner")
    ner.save("ner_model")                           # pipeline("token-classification", model=...) loads it

* **Label alignment.** Words are tokenized with ``is_split_into_words=True``; a
  word's tag goes to its first sub-token (``label_alignment="first"``, the
  Hugging Face guide's default) or to all its sub-tokens (``"all"``); special
  tokens and other sub-tokens get -100 (not scored). Tags are label names or
  class ids.
* **evaluate** returns the loss, the compiled metrics (token accuracy over the
  scored positions) and the ``seqeval`` scores at word level (each word's
  prediction is its first sub-token's; words cut off by ``max_length`` count as
  ``"O"``): ``precision`` / ``recall`` / ``f1`` / ``accuracy`` overall and
  ``<TYPE>_precision`` ... per entity type (:mod:`torchbridge.hf.entity_scores`).
* **predict** batches the forward pass, then post-processes each sentence with
  ``transformers``' own ``TokenClassificationPipeline.postprocess``, so its
  answers (entities, scores, offsets, ``aggregation_strategy`` none / simple /
  first / average / max, ``ignore_labels``) are the pipeline's.
* **Bad input** (a row whose words and tags differ in length, a tag not in
  ``label_names``, no rows) raises :class:`~torchbridge.errors.InputError`
  naming the row and the field, before any training step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError, NotCompiledError, SavedFormatError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf._task_common import sequence_logits
from torchbridge.hf.entity_scores import entity_scores
from torchbridge.hf.model import HFModel
from torchbridge.hf.pretrained import from_pretrained as _model_from_pretrained
from torchbridge.hf.text_batches import forward_inputs, hf_dataset_kind

__all__ = ["TokenClassifier"]

METADATA_FILE = "torchbridge.json"
FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.TokenClassifier"
_ALIGNMENTS = ("first", "all")
_STRATEGIES = ("none", "simple", "first", "average", "max")
_IGNORE = -100


def _row_words(words: Any, row: int, field: str) -> list[str]:
    if isinstance(words, str) or not isinstance(words, (list, tuple, np.ndarray)):
        raise InputError(
            f"Row {row}, field {field!r}: expected a list of words, got "
            f"{type(words).__name__}. Split each sentence into words, e.g. sentence.split()."
        )
    out = [str(w) for w in words]
    if not out:
        raise InputError(f"Row {row}, field {field!r} has no words; drop empty rows.")
    return out


class TokenClassifier:
    """A tokenizer + a token-classification model + tag names (see the module docstring)."""

    def __init__(
        self,
        model: HFModel,
        tokenizer: Any,
        label_names: Sequence[str] | None = None,
        label_alignment: str = "first",
        max_length: int | None = None,
    ) -> None:
        if label_alignment not in _ALIGNMENTS:
            raise InputError(
                f"label_alignment must be one of {list(_ALIGNMENTS)}, got {label_alignment!r}."
            )
        if not getattr(tokenizer, "is_fast", False):
            raise InputError(
                "TokenClassifier needs a fast tokenizer (word_ids and offsets): load it with "
                "AutoTokenizer.from_pretrained(path, use_fast=True)."
            )
        self.model = model
        self.tokenizer = tokenizer
        config = model.config
        if label_names is None:
            id2label = getattr(config, "id2label", None) or {}
            label_names = [str(id2label[i]) for i in sorted(int(k) for k in id2label)]
        self.label_names = [str(n) for n in label_names]
        if len(self.label_names) != int(config.num_labels):
            raise InputError(
                f"label_names has {len(self.label_names)} names but the model has "
                f"num_labels={config.num_labels}; give one name per class."
            )
        config.id2label = dict(enumerate(self.label_names))
        config.label2id = {n: i for i, n in enumerate(self.label_names)}
        self.label_alignment = label_alignment
        limit = getattr(tokenizer, "model_max_length", None)
        self.max_length = max_length or (limit if isinstance(limit, int) and limit < 10**6 else 512)
        self._inputs = forward_inputs(model)
        self._pipe: Any = None

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike[str],
        label_names: Sequence[str] | None = None,
        label_alignment: str | None = None,
        max_length: int | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> TokenClassifier:
        """A checkpoint (a folder or Hub name) with a new or its own tagging head.

        ``label_names``: the tags (``["O", "B-PER", "I-PER", ...]``); a checkpoint whose
        head has another size gets a new head. Without it the checkpoint's ``id2label``
        is used. A folder written by :meth:`save` restores its settings too.

        ``lora=dict(r=8, ...)`` or ``peft_config=`` (any ``peft`` config) add a ``peft``
        adapter: only it trains, :meth:`save` writes it and :meth:`merge_and_save` merges it;
        a folder holding an adapter loads it (:mod:`torchbridge.hf.peft_support`)."""
        source = os.fspath(checkpoint)
        meta: dict[str, Any] = {}
        meta_path = os.path.join(source, METADATA_FILE)
        if os.path.isfile(meta_path):
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
            if meta.get("format") == _FORMAT and int(meta.get("version", 0)) > FORMAT_VERSION:
                raise SavedFormatError(
                    f"{source!r} was saved by a newer torchbridge (format version "
                    f"{meta['version']}); upgrade torchbridge to load it."
                )
        options = dict(kwargs)
        if label_names is not None:
            options.setdefault("ignore_mismatched_sizes", True)
            options["id2label"] = list(label_names)
        model = _model_from_pretrained(source, task="token-classification", **options)
        if tokenizer is None:
            transformers = require_transformers("TokenClassifier.from_pretrained")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        return cls(
            model,
            tokenizer,
            label_names,
            label_alignment or meta.get("label_alignment", "first"),
            max_length or meta.get("max_length"),
        )

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    # --- rows → token batches ----------------------------------------------------------------
    def _tag_ids(self, tags: Any, row: int, field: str) -> list[int]:
        ids = []
        for tag in tags:
            if isinstance(tag, (int, np.integer)) and not isinstance(tag, bool):
                if not 0 <= int(tag) < self.num_labels:
                    raise InputError(
                        f"Row {row}, field {field!r}: tag id {int(tag)} is outside 0.."
                        f"{self.num_labels - 1} (label_names={self.label_names})."
                    )
                ids.append(int(tag))
            elif isinstance(tag, str) and tag in self.label_names:
                ids.append(self.label_names.index(tag))
            else:
                raise InputError(
                    f"Row {row}, field {field!r}: tag {tag!r} is not in label_names "
                    f"{self.label_names}. Add it to label_names (from_pretrained(..., "
                    "label_names=[...])) or fix the row."
                )
        return ids

    def _rows(self, x: Any, y: Any, what: str) -> tuple[list[list[str]], list[list[int]] | None]:
        """Words per row and tag ids per row (checked)."""
        words_field, tags_field = "tokens", "ner_tags"
        if hf_dataset_kind(x) is not None:
            if y is not None:
                raise InputError(
                    f"When {what}'s x is a datasets.Dataset, the tags come from its "
                    f"{tags_field!r} column; do not pass y."
                )
            columns = list(getattr(x, "column_names", []) or [])
            if words_field not in columns:
                raise InputError(
                    f"The dataset has no {words_field!r} column (columns: {columns}); rename "
                    f"the words column: ds.rename_column(name, {words_field!r})."
                )
            words_col = list(x[words_field])
            y = list(x[tags_field]) if tags_field in columns else None
            x = words_col
        elif isinstance(x, Mapping):
            if y is not None:
                raise InputError(f"{what}: pass the tags in x[{tags_field!r}] or as y, not both.")
            y = x.get(tags_field)
            x = x.get(words_field)
        if x is None or (hasattr(x, "__len__") and len(x) == 0):
            raise InputError(
                f"{what} got no rows: pass a list of word lists (and one tag list per row)."
            )
        words = [_row_words(w, i, words_field) for i, w in enumerate(x)]
        if y is None:
            return words, None
        tags = list(y)
        if len(tags) != len(words):
            raise InputError(
                f"{what} got {len(words)} rows of words but {len(tags)} rows of tags; give "
                "one tag list per row."
            )
        ids = []
        for i, (w, t) in enumerate(zip(words, tags, strict=True)):
            if isinstance(t, str) or len(t) != len(w):
                n = 1 if isinstance(t, str) else len(t)
                raise InputError(
                    f"Row {i}: field {words_field!r} has {len(w)} words but field "
                    f"{tags_field!r} has {n} tags; give one tag per word."
                )
            ids.append(self._tag_ids(t, i, tags_field))
        return words, ids

    def encode(
        self, words: Sequence[Sequence[str]], tag_ids: Sequence[Sequence[int]] | None = None
    ) -> tuple[dict[str, list[Any]], list[list[int | None]]]:
        """Rows of words (+ tag ids) → token columns (``labels`` aligned, -100 elsewhere)
        and each row's ``word_ids``."""
        enc = self.tokenizer(
            [list(w) for w in words],
            is_split_into_words=True,
            truncation=True,
            max_length=self.max_length,
        )
        keys = [k for k in enc if self._inputs is None or k in self._inputs or k == "input_ids"]
        columns: dict[str, list[Any]] = {k: list(enc[k]) for k in keys}
        word_ids = [enc.word_ids(i) for i in range(len(words))]
        if tag_ids is not None:
            labels = []
            for ids, tags in zip(word_ids, tag_ids, strict=True):
                row, previous = [], None
                for w in ids:
                    if w is None or (w == previous and self.label_alignment == "first"):
                        row.append(_IGNORE)
                    else:
                        row.append(tags[w])
                    previous = w
                labels.append(row)
            columns["labels"] = labels
        return columns, word_ids

    # --- the Keras API ---------------------------------------------------------------------------
    def compile(
        self, optimizer: Any = None, loss: Any = None, metrics: Any = ("accuracy",), **kwargs: Any
    ) -> None:
        """``Model.compile``; defaults: ``AdamW(5e-5, weight_decay=0.01)`` without decay on
        biases and norms, the model's own loss, token accuracy (positions -100 skipped)."""
        if optimizer is None:
            from torchbridge.optimizers import AdamW

            optimizer = AdamW(learning_rate=5e-5, weight_decay=0.01, exclude_bias_and_norm=True)
        metrics = list(metrics) if metrics is not None else None
        self.model.compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def _require_compiled(self, what: str) -> None:
        if not self.model.compiled:
            raise NotCompiledError(f"Call compile() before {what}(): e.g. ner.compile().")

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
        """Keras's ``fit`` on rows of words ``x`` and word-level tags ``y`` (names or ids),
        or a ``datasets.Dataset`` with ``tokens`` / ``ner_tags``. Every row is checked
        before the first step."""
        self._require_compiled("fit")
        words, tags = self._rows(x, y, "fit")
        if tags is None:
            raise InputError("fit needs tags: fit(words, tags) or a dataset with 'ner_tags'.")
        columns, _ = self.encode(words, tags)
        if validation_split:
            n = len(words)
            cut = n - int(n * validation_split)
            if cut <= 0 or cut >= n:
                raise InputError(f"validation_split={validation_split} leaves no rows on a side.")
            val = {k: v[cut:] for k, v in columns.items()}
            columns = {k: v[:cut] for k, v in columns.items()}
            validation_data = (val,)
        elif validation_data is not None:
            vx, vy = (
                validation_data if isinstance(validation_data, tuple) else (validation_data, None)
            )
            vw, vt = self._rows(vx, vy, "validation_data")
            validation_data = (self.encode(vw, vt)[0],)
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
        self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto"
    ) -> dict[str, float]:
        """The loss, the compiled metrics and the seqeval scores (a dict)."""
        self._require_compiled("evaluate")
        words, tags = self._rows(x, y, "evaluate")
        if tags is None:
            raise InputError("evaluate needs tags: evaluate(words, tags).")
        columns, word_ids = self.encode(words, tags)
        logs = dict(
            self.model.evaluate(columns, batch_size=batch_size, verbose=verbose, return_dict=True)
        )
        inputs = {k: v for k, v in columns.items() if k != "labels"}
        logits = self.model.predict(inputs, batch_size=batch_size, verbose=0)
        y_true, y_pred = [], []
        for i, (row_tags, ids) in enumerate(zip(tags, word_ids, strict=True)):
            best = np.asarray(logits[i]).argmax(-1)
            pred = ["O" if "O" in self.label_names else self.label_names[0]] * len(row_tags)
            seen = set()
            for pos, w in enumerate(ids):
                if w is not None and w not in seen:
                    seen.add(w)
                    pred[w] = self.label_names[int(best[pos])]
            y_true.append([self.label_names[t] for t in row_tags])
            y_pred.append(pred)
        scores = entity_scores(y_true, y_pred)
        for key, value in scores.items():
            if isinstance(value, dict):
                for name in ("precision", "recall", "f1"):
                    logs[f"{key}_{name}"] = float(value[name])
            else:
                logs[key.removeprefix("overall_")] = float(value)
        return logs

    # --- prediction --------------------------------------------------------------------------------
    def _pipeline(self) -> Any:
        """transformers' pipeline on this model, used for its pre- and post-processing only
        (the forward pass is :meth:`_forward`)."""
        if self._pipe is None:
            require_transformers("TokenClassifier.predict")
            from transformers.pipelines.token_classification import TokenClassificationPipeline

            self._pipe = TokenClassificationPipeline(
                model=self.model.module, tokenizer=self.tokenizer, device=self.model.device
            )
        return self._pipe

    def predict(
        self,
        inputs: Any,
        aggregation_strategy: str = "none",
        batch_size: int = 32,
        ignore_labels: Sequence[str] | None = None,
    ) -> Any:
        """Entities as ``transformers.pipeline("ner")`` gives them: for a sentence (a str) or
        a word list (a list of str inside a list), a list of dicts (``entity`` / ``entity_group``,
        ``score``, ``word``, ``start``, ``end`` [, ``index``]); for a list of them, one such list each."""
        from transformers.pipelines.token_classification import AggregationStrategy

        if aggregation_strategy not in _STRATEGIES:
            raise InputError(
                f"aggregation_strategy must be one of {list(_STRATEGIES)}, got "
                f"{aggregation_strategy!r}."
            )
        single = isinstance(inputs, str)
        items = [inputs] if single else list(inputs)
        if not items:
            raise InputError("predict got no sentences.")
        pipe = self._pipeline()
        prepared = []
        for i, item in enumerate(items):
            split = not isinstance(item, str)
            if split:
                item = _row_words(item, i, "words")
            params = {"is_split_into_words": split, "delimiter": " "}
            chunks = list(pipe.preprocess(item, **params))
            prepared.append(chunks[0])
        logits = self._forward([p["input_ids"][0] for p in prepared], batch_size)
        strategy = AggregationStrategy(aggregation_strategy)
        results = []
        for p, row in zip(prepared, logits, strict=True):
            outputs = {**p, "logits": torch.from_numpy(row)[None]}
            results.append(
                pipe.postprocess(
                    [outputs], aggregation_strategy=strategy, ignore_labels=ignore_labels
                )
            )
        return results[0] if single else results

    def _forward(self, ids: list[torch.Tensor], batch_size: int) -> list[np.ndarray]:
        """Logits of each sequence (batched by similar length, right-padded, eval mode)."""
        pad = self.tokenizer.pad_token_id or 0
        return sequence_logits(self.model, ids, batch_size, pad, self._inputs)

    # --- saving ------------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=``) merged into a
        copy of the weights: a plain ``transformers`` folder; this model keeps its adapter."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """A folder ``transformers.pipeline("token-classification", model=directory)`` and
        :meth:`from_pretrained` load: the model, the tokenizer and ``torchbridge.json``."""
        path = os.fspath(directory)
        os.makedirs(path, exist_ok=True)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        meta = {
            "format": _FORMAT,
            "version": FORMAT_VERSION,
            "label_alignment": self.label_alignment,
            "max_length": self.max_length,
            "label_names": self.label_names,
        }
        with open(os.path.join(path, METADATA_FILE), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1)
