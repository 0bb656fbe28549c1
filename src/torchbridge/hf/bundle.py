"""``TextClassifier``: a tokenizer + a sequence-classification model + label names, as one object.

The text-model bundle of ``torchbridge.hf``::

    clf = torchbridge.hf.TextClassifier.from_pretrained(path, label_names=["ham", "spam"])
    clf.compile(metrics=["accuracy"])              # AdamW(5e-5); the model's own loss
    clf.fit(texts, labels, epochs=2, validation_split=0.1)   # raw texts, int or str labels
    clf.evaluate(test_texts, test_labels)
    clf.predict(["I love deep learning!"])         # [{"label": "ham", "score": 0.98}]
    clf.save("spam_model")                         # plain transformers loads this directory
    clf = torchbridge.hf.TextClassifier.load("spam_model")

* **Problem types**, as transformers' ``config.problem_type``:
  ``single_label_classification`` (one class per text; the default),
  ``multi_label_classification`` (any number of labels per text: rows of label names
  or 0/1 rows; sigmoid + binary cross-entropy; default metrics ``binary_accuracy``,
  ``f1_micro``, ``f1_macro`` at threshold 0.5; ``predict`` gives the labels scoring
  at least ``threshold``) and ``regression`` (``num_labels=1``: float targets, mean
  squared error, metrics ``mae`` / ``rmse``; ``predict`` gives the value as the
  pipeline does, ``{"label": "LABEL_0", "score": value}``).
* **Sentence pairs**: rows ``(text, text_pair)`` or ``{"text", "text_pair"}`` dicts, or
  columns ``sentence1`` / ``sentence2`` (GLUE's MRPC) are tokenized as pairs
  (``token_type_ids`` where the tokenizer makes them), in ``fit`` and ``predict``.
* ``compile / fit / evaluate`` take raw texts and labels: the texts are
  tokenized once (one batched call of the fast tokenizer), cut at
  ``max_length`` and padded per batch to the longest text of the batch
  (:func:`torchbridge.hf.text_dataset`); ``bucket=True`` batches texts of
  similar length together. They run :class:`~torchbridge.hf.HFModel`'s
  Keras loop, so callbacks, metrics, ``class_weight`` and
  ``validation_split`` / ``validation_data`` work as in Keras. A
  ``torchbridge.data.Dataset`` / ``DataLoader`` of tokenized batches or a
  Hugging Face ``datasets.Dataset`` is accepted as well.
* ``predict(texts)`` answers like ``transformers.pipeline("text-classification")``
  (:mod:`torchbridge.hf.bundle_predict`). ``predict_proba`` / ``predict_logits`` give
  the NumPy arrays.
* ``save(directory)`` writes what ``AutoModelForSequenceClassification``, ``AutoTokenizer``
  and ``pipeline("text-classification", model=directory)`` load as they are, plus
  ``torchbridge.json``; ``TextClassifier.load`` reads it back
  (:mod:`torchbridge.hf.bundle_io`). Rows and labels are read by
  :mod:`torchbridge.hf.bundle_data`, default metrics come from
  :mod:`torchbridge.hf.bundle_metrics`.

``transformers`` is imported only when a method needs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from torchbridge.errors import InputError, NotCompiledError
from torchbridge.hf._imports import is_pretrained_model, require_transformers
from torchbridge.hf.bundle_data import (
    MULTI,
    PROBLEM_TYPES,
    REGRESSION,
    SINGLE,
    Rows,
    class_ids,
    encode_labels,
    keras_data,
    label_hint,
    read_rows,
    rows_dataset,
)
from torchbridge.hf.bundle_io import (
    FORMAT_VERSION,
    METADATA_FILE,
    read_bundle_meta,
    save_bundle,
)
from torchbridge.hf.bundle_metrics import default_metrics
from torchbridge.hf.bundle_predict import (
    answers,
    apply_function,
    check_top_k,
    choose_function,
    forward_logits,
)
from torchbridge.hf.model import HFModel
from torchbridge.hf.pretrained import from_pretrained as _model_from_pretrained

__all__ = ["TextClassifier", "METADATA_FILE", "FORMAT_VERSION"]

_NO_LIMIT = 10**9  # a tokenizer's model_max_length above this means "no limit"
_DEFAULT_MAX_LENGTH = 512
_DEFAULT = "default"


class TextClassifier:
    """A tokenizer, a sequence-classification model and label names, trained and used on raw text.

    Args:
        model: a ``transformers`` ``...ForSequenceClassification`` model, or
            the :class:`~torchbridge.hf.HFModel` wrapping one.
        tokenizer: its tokenizer (``AutoTokenizer.from_pretrained(path)``).
        label_names: one name per class (index = class id); set as the
            config's ``id2label`` / ``label2id``. Default: the config's
            ``id2label``.
        max_length: texts are cut at this many tokens. Default: the smaller
            of the tokenizer's ``model_max_length`` and the model's position
            embeddings.
        truncation: ``False`` makes a text longer than ``max_length`` an error
            instead of cutting it.
        problem_type: ``"single_label_classification"``,
            ``"multi_label_classification"`` or ``"regression"``, set as
            ``config.problem_type``. Default: the config's, else regression for
            one output and single-label classification for more (transformers' rule).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        label_names: Sequence[str] | None = None,
        max_length: int | None = None,
        truncation: bool = True,
        problem_type: str | None = None,
    ) -> None:
        if isinstance(model, HFModel):
            wrapped = model
        elif is_pretrained_model(model):
            wrapped = HFModel(model)
        else:
            raise InputError(
                f"TextClassifier takes a transformers sequence-classification model, got "
                f"{type(model).__name__}. Load one with TextClassifier.from_pretrained(path, "
                "label_names=[...]) or transformers.AutoModelForSequenceClassification."
            )
        if wrapped.task != "sequence-classification":
            raise InputError(
                f"TextClassifier needs a sequence-classification model, got "
                f"{type(wrapped.module).__name__} (task {wrapped.task!r}). Load the checkpoint "
                "with TextClassifier.from_pretrained(path, label_names=[...]), which adds a "
                "classification head to a bare encoder."
            )
        if tokenizer is None or not callable(tokenizer) or not hasattr(tokenizer, "pad_token_id"):
            raise InputError(
                f"TextClassifier needs a Hugging Face tokenizer, got {type(tokenizer).__name__}. "
                "Load the model's own with transformers.AutoTokenizer.from_pretrained(path)."
            )
        self.model: HFModel = wrapped
        self.tokenizer = tokenizer
        self._check_vocabulary()
        self.truncation = bool(truncation)
        self.max_length = self._resolve_max_length(max_length)
        self._set_label_names(label_names)
        self._set_problem_type(problem_type)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike[str],
        label_names: Sequence[str] | None = None,
        num_labels: int | None = None,
        max_length: int | None = None,
        truncation: bool = True,
        tokenizer: Any = None,
        *,
        problem_type: str | None = None,
        **kwargs: Any,
    ) -> TextClassifier:
        """A pretrained checkpoint (a local directory, or a cached Hub name) with a classifier head.

        A bare encoder (e.g. a sentence-transformers MiniLM) gets a new,
        randomly initialised head with ``len(label_names)`` (or
        ``num_labels``) outputs. ``problem_type="regression"`` without labels
        gives one output. Other keyword arguments go to
        ``AutoModelForSequenceClassification.from_pretrained``
        (``ignore_mismatched_sizes=True`` to replace a head of another size).
        """
        transformers = require_transformers("TextClassifier.from_pretrained")
        if label_names is not None:
            label_names = [str(n) for n in label_names]
            if num_labels is not None and num_labels != len(label_names):
                raise InputError(
                    f"num_labels={num_labels} but label_names has {len(label_names)} names: "
                    "give one name per class (or leave num_labels out)."
                )
        if problem_type is not None:
            _check_problem_type(problem_type)
            kwargs["problem_type"] = problem_type
            if problem_type == REGRESSION and label_names is None and num_labels is None:
                num_labels = 1
        model = _model_from_pretrained(
            path,
            task="sequence-classification",
            num_labels=num_labels,
            id2label=label_names,
            **kwargs,
        )
        if tokenizer is None:
            tokenizer = transformers.AutoTokenizer.from_pretrained(os.fspath(path))
        return cls(
            model,
            tokenizer,
            label_names,
            max_length=max_length,
            truncation=truncation,
            problem_type=problem_type,
        )

    @classmethod
    def load(cls, directory: str | os.PathLike[str], **kwargs: Any) -> TextClassifier:
        """Read a directory written by :meth:`save` (or any Hugging Face classifier directory).

        ``kwargs`` go to ``AutoModelForSequenceClassification.from_pretrained``
        (``dtype=``, ``device_map=`` ...).
        """
        transformers = require_transformers("TextClassifier.load")
        directory = os.fspath(directory)
        meta = read_bundle_meta(directory)
        model = _model_from_pretrained(directory, task="sequence-classification", **kwargs)
        tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
        return cls(
            model,
            tokenizer,
            meta.get("label_names"),
            max_length=meta.get("max_length"),
            truncation=meta.get("truncation", True),
            problem_type=meta.get("problem_type"),
        )

    def _check_vocabulary(self) -> None:
        module: Any = self.model.module
        try:
            rows = int(module.get_input_embeddings().num_embeddings)
        except (AttributeError, NotImplementedError):
            return
        size = len(self.tokenizer)
        if size > rows:
            raise InputError(
                f"The tokenizer has {size} tokens but {type(module).__name__}'s embedding table "
                f"has {rows} rows: its vocabulary does not fit the model. Use the tokenizer "
                "saved with the model, or grow the embeddings first: "
                "model.resize_token_embeddings(len(tokenizer))."
            )

    def _resolve_max_length(self, max_length: int | None) -> int:
        model_limit = self.model._length_limit
        if max_length is None:
            tok_limit = getattr(self.tokenizer, "model_max_length", None)
            candidates = [
                v for v in (tok_limit, model_limit) if isinstance(v, int) and 0 < v < _NO_LIMIT
            ]
            return min(candidates) if candidates else _DEFAULT_MAX_LENGTH
        if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)):
            raise InputError(f"max_length must be a positive integer, got {max_length!r}.")
        max_length = int(max_length)
        if max_length < 1:
            raise InputError(f"max_length must be a positive integer, got {max_length}.")
        if model_limit is not None and max_length > model_limit:
            raise InputError(
                f"max_length={max_length} is more than {type(self.model.module).__name__} "
                f"takes ({model_limit} positions, config.max_position_embeddings). Use "
                f"max_length={model_limit} or less."
            )
        return max_length

    def _set_label_names(self, label_names: Sequence[str] | None) -> None:
        config = self.model.config
        num_labels = int(config.num_labels)
        if label_names is None:
            id2label = getattr(config, "id2label", None) or {}
            names = [str(id2label.get(i, id2label.get(str(i), i))) for i in range(num_labels)]
        else:
            if isinstance(label_names, str):
                raise InputError("label_names must be a list of names, not one string.")
            names = [str(n) for n in label_names]
            if len(names) != num_labels:
                raise InputError(
                    f"label_names has {len(names)} names but the model classifies into "
                    f"{num_labels} classes (config.num_labels). Give one name per class, or "
                    f"build the model with num_labels={len(names)}: TextClassifier."
                    "from_pretrained(path, label_names=...)."
                )
        if len(set(names)) != len(names):
            raise InputError(f"label_names must be distinct, got {names}.")
        self.label_names: list[str] = names
        config.id2label = dict(enumerate(names))
        config.label2id = {n: i for i, n in enumerate(names)}

    def _set_problem_type(self, problem_type: str | None) -> None:
        config = self.model.config
        if problem_type is None:
            problem_type = getattr(config, "problem_type", None) or (
                REGRESSION if self.num_labels == 1 else SINGLE
            )
        _check_problem_type(problem_type)
        if problem_type == SINGLE and self.num_labels < 2:
            raise InputError(
                "single_label_classification needs at least 2 classes, the model has "
                f"{self.num_labels} output. Give label_names for every class, or use "
                "problem_type='regression' for a number per text."
            )
        config.problem_type = problem_type

    # --- properties ------------------------------------------------------------------------
    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    @property
    def problem_type(self) -> str:
        """``config.problem_type``: single-label, multi-label classification or regression."""
        return str(self.model.config.problem_type)

    @property
    def label2id(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.label_names)}

    @property
    def config(self) -> Any:
        return self.model.config

    def __repr__(self) -> str:
        return (
            f"TextClassifier({type(self.model.module).__name__}, labels={self.label_names}, "
            f"problem_type={self.problem_type!r}, max_length={self.max_length})"
        )

    # --- data ---------------------------------------------------------------------------------
    def labels_to_ids(self, labels: Any, what: str = "labels") -> Any:
        """Class ids (int64) from class ids or label names; other values are checked."""
        return class_ids(labels, self.label_names, what)

    def encode_labels(self, labels: Any, what: str = "labels") -> Any:
        """The labels as the model's loss wants them: class ids (single-label), multi-hot
        float rows (multi-label, from label-name lists or 0/1 rows) or float targets
        (regression)."""
        return encode_labels(labels, self.problem_type, self.label_names, what)

    def text_dataset(
        self,
        texts: Any,
        labels: Any = None,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | None = None,
        bucket: bool = False,
        class_weight: Mapping[int, float] | None = None,
        what: str = "fit",
    ) -> Any:
        """Texts or sentence pairs (+ labels) → a ``torchbridge.data.Dataset`` of tokenized,
        padded batches. ``texts`` takes every form :meth:`fit` takes."""
        rows = texts if isinstance(texts, Rows) else read_rows(texts, labels, what)
        return rows_dataset(self, rows, batch_size, shuffle, seed, bucket, class_weight, what)

    # --- the Keras API ---------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = None,
        loss: Any = None,
        metrics: Any = None,
        **kwargs: Any,
    ) -> None:
        """``Model.compile`` on the wrapped model.

        ``optimizer=None``: ``AdamW(learning_rate=5e-5, weight_decay=0.01,
        exclude_bias_and_norm=True)``, the usual fine-tuning choice (no decay
        on biases and normalisation weights, as the Hugging Face Trainer). ``loss=None``:
        the model's own loss for its ``problem_type`` (cross-entropy, binary
        cross-entropy on the sigmoid, or mean squared error); a Keras loss applies to
        the logits (e.g. ``SparseCategoricalCrossentropy(from_logits=True)``, needed for
        ``class_weight``). ``metrics=None``: none for single-label classification,
        ``binary_accuracy`` / ``f1_micro`` / ``f1_macro`` for multi-label, ``mae`` /
        ``rmse`` for regression (:mod:`torchbridge.hf.bundle_metrics`). Other arguments
        (``device=``, ``jit_compile=`` ...) go to ``Model.compile``.
        """
        if optimizer is None:
            from torchbridge.hf._task_common import default_optimizer

            optimizer = default_optimizer(5e-5)
        if metrics is None:
            metrics = default_metrics(self.problem_type)
        self.model.compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

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
        class_weight: Mapping[int, float] | None = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | Iterable[int] = 1,
        *,
        bucket: bool = False,
        seed: int | None = None,
    ) -> Any:
        """Keras's ``fit`` on raw texts (or sentence pairs) ``x`` and labels ``y``.

        ``x``: texts, ``(text, text_pair)`` rows, or a dict of columns (``text`` or
        ``sentence1`` / ``sentence2``, labels in ``label``). ``y``: class ids or label
        names (single-label), lists of label names or 0/1 rows (multi-label), numbers
        (regression). ``batch_size`` defaults to 32. ``validation_split`` holds out the
        last fraction of the rows (before shuffling, as Keras); ``validation_data`` is
        ``(texts, labels)`` or a dataset. ``bucket=True`` batches texts of similar token
        length together (less padding: faster). ``seed`` fixes the shuffling order
        (default: drawn from torch's generator, so ``torch.manual_seed`` makes runs
        repeatable). Returns the ``History``.
        """
        self._require_compiled("fit")
        if x is None:
            raise InputError("fit() needs texts: fit(texts, labels, ...).")
        if validation_split and validation_data is None:
            if not 0.0 < validation_split < 1.0:
                raise InputError(f"validation_split must be in (0, 1), got {validation_split}.")
            if not isinstance(x, (list, tuple, np.ndarray, Mapping)):
                raise InputError(
                    "validation_split needs texts and labels in memory; for a dataset pass "
                    "validation_data=... instead."
                )
            rows = read_rows(x, y, "fit")
            if rows.labels is None:
                raise InputError(
                    f"fit got texts but no labels: pass fit(texts, labels) with "
                    f"{label_hint(self)} per text."
                )
            rows.labels = list(rows.labels)
            if len(rows.labels) != len(rows):
                raise InputError(
                    f"fit got {len(rows)} texts but {len(rows.labels)} labels; give one label "
                    "per text."
                )
            split_at = int(np.floor(len(rows) * (1.0 - validation_split)))
            if split_at in (0, len(rows)):
                raise InputError(
                    f"fit got {len(rows)} texts, not enough to split off "
                    f"validation_split={validation_split}. Provide more data or pass "
                    "validation_data=."
                )
            x, validation_data = rows.split(split_at)
            y = None
        train = keras_data(self, x, y, "fit", batch_size, shuffle, seed, bucket, class_weight)
        val = None
        if validation_data is not None:
            vx, vy = self._split_pair(validation_data)
            val = keras_data(
                self, vx, vy, "validation_data", validation_batch_size or batch_size, bucket=bucket
            )
        return self.model.fit(
            train,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=val,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_freq=validation_freq,
        )

    @staticmethod
    def _split_pair(data: Any) -> tuple[Any, Any]:
        if isinstance(data, tuple):
            if len(data) == 2:
                return data[0], data[1]
            raise InputError(
                "validation_data must be (texts, labels) or a dataset of tokenized batches, got "
                f"a tuple of {len(data)} items (sample weights are not supported here)."
            )
        return data, None

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
        *,
        bucket: bool = False,
    ) -> Any:
        """Keras's ``evaluate`` on raw texts (or pairs) and labels: the loss and compiled metrics."""
        self._require_compiled("evaluate")
        data = keras_data(self, x, y, "evaluate", batch_size, bucket=bucket)
        return self.model.evaluate(
            data, verbose=verbose, steps=steps, callbacks=callbacks, return_dict=return_dict
        )

    def _require_compiled(self, what: str) -> None:
        if not self.model.compiled:
            raise NotCompiledError(
                f"Call compile() before {what}(): e.g. clf.compile(metrics=['accuracy']) "
                "(AdamW with learning rate 5e-5 and the model's own loss)."
            )

    # --- prediction ---------------------------------------------------------------------------------
    def predict_logits(self, texts: Any, batch_size: int = 32) -> np.ndarray:
        """The raw logits, ``(len(texts), num_labels)`` float32, in the order of ``texts``
        (texts, ``(text, text_pair)`` rows or ``{"text", "text_pair"}`` dicts)."""
        rows, _ = self._predict_rows(texts)
        return forward_logits(self, rows.texts, rows.pairs, batch_size)

    @staticmethod
    def _predict_rows(texts: Any) -> tuple[Rows, bool]:
        single = isinstance(texts, str) or (
            isinstance(texts, Mapping) and isinstance(next(iter(texts.values()), None), str)
        )
        return read_rows([texts] if single else texts, None, "predict"), single

    def _function(self, function_to_apply: str | None) -> str:
        return choose_function(self.config, self.num_labels, function_to_apply)

    def predict_proba(
        self, texts: Any, batch_size: int = 32, function_to_apply: str | None = None
    ) -> np.ndarray:
        """Scores of every label, ``(len(texts), num_labels)``: softmax of the logits (sigmoid
        for one label or multi-label models, none for regression, as the Hugging Face
        pipeline)."""
        logits = self.predict_logits(texts, batch_size)
        return apply_function(logits, self._function(function_to_apply))

    def predict(
        self,
        texts: Any,
        batch_size: int = 32,
        top_k: Any = _DEFAULT,
        function_to_apply: str | None = None,
        threshold: float | None = None,
    ) -> list[Any]:
        """Labels and scores for raw texts or sentence pairs, as
        ``pipeline("text-classification")`` gives them.

        ``top_k=1`` (the default, except for multi-label): one ``{"label": name,
        "score": p}`` per text. ``top_k=None`` (every label) or ``top_k=k``: a list of
        such dicts per text, best first (for a single string or pair dict: that list).
        Multi-label classifiers answer by default with the labels scoring at least
        ``threshold`` (0.5), best first. ``function_to_apply``: ``"softmax"``,
        ``"sigmoid"`` or ``"none"`` (default: as the pipeline decides from the problem type).
        """
        if top_k == _DEFAULT:
            if self.problem_type == MULTI and function_to_apply is None:
                top_k = None
                threshold = 0.5 if threshold is None else threshold
            else:
                top_k = 1
        check_top_k(top_k)
        rows, single = self._predict_rows(texts)
        logits = forward_logits(self, rows.texts, rows.pairs, batch_size)
        scores = apply_function(logits, self._function(function_to_apply))
        return answers(scores, self.label_names, top_k, threshold, single)

    __call__ = predict

    # --- saving -----------------------------------------------------------------------------------------
    def merge_and_save(self, directory: str | os.PathLike[str]) -> None:
        """:meth:`save` with the ``peft`` adapter (``lora=`` / ``peft_config=`` of
        :meth:`from_pretrained`) merged into a copy of the weights: a plain ``transformers``
        folder; this model keeps its adapter (:mod:`torchbridge.hf.peft_support`)."""
        from torchbridge.hf.peft_support import merge_and_save

        merge_and_save(self, directory)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the bundle: Hugging Face's files (model, config, tokenizer) + ``torchbridge.json``.

        Crash-safe: the bundle is written into a fresh folder beside ``directory``
        and swapped in as a whole (:func:`torchbridge.saving.atomic.atomic_dir`),
        so ``directory`` holds the complete old bundle or the complete new one,
        and nothing is written through a symlink planted in it. An existing
        ``directory`` is replaced entirely, so it must be empty or a previous
        bundle (it has ``config.json`` or ``torchbridge.json``).
        """
        save_bundle(self, directory)

    def summary(self, **kwargs: Any) -> None:
        """The wrapped model's summary table."""
        self.model.summary(**kwargs)


def _check_problem_type(problem_type: Any) -> None:
    if problem_type not in PROBLEM_TYPES:
        raise InputError(
            f"problem_type={problem_type!r} is not one of {list(PROBLEM_TYPES)} (transformers' "
            "config.problem_type)."
        )
