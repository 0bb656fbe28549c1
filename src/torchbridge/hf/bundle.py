"""``TextClassifier``: a tokenizer + a sequence-classification model + label names, as one object.

The text-model bundle of ``torchbridge.hf``::

    clf = torchbridge.hf.TextClassifier.from_pretrained(path, label_names=["ham", "spam"])
    clf.compile(metrics=["accuracy"])              # AdamW(5e-5); the model's own loss
    clf.fit(texts, labels, epochs=2, validation_split=0.1)   # raw texts, int or str labels
    clf.evaluate(test_texts, test_labels)
    clf.predict(["I love deep learning!"])         # [{"label": "ham", "score": 0.98}]
    clf.save("spam_model")                         # plain transformers loads this directory
    clf = torchbridge.hf.TextClassifier.load("spam_model")

* ``compile / fit / evaluate`` take raw texts and labels: the texts are
  tokenized once (one batched call of the fast tokenizer), cut at
  ``max_length`` and padded per batch to the longest text of the batch
  (:func:`torchbridge.hf.text_dataset`); ``bucket=True`` batches texts of
  similar length together. Labels are class ids or label names (mapped
  through ``label_names``). They run :class:`~torchbridge.hf.HFModel`'s
  Keras loop, so callbacks, metrics, ``class_weight`` and
  ``validation_split`` / ``validation_data`` work as in Keras. A
  ``torchbridge.data.Dataset`` / ``DataLoader`` of tokenized batches or a
  Hugging Face ``datasets.Dataset`` is accepted as well.
* ``predict(texts)`` answers like ``transformers.pipeline("text-classification")``:
  one ``{"label", "score"}`` per text (``top_k=None``: every label, best
  first), computed in batches of texts of similar length, in eval mode under
  ``torch.inference_mode``. ``predict_proba`` / ``predict_logits`` give the
  NumPy arrays.
* ``save(directory)`` writes what ``AutoModelForSequenceClassification``
  and ``AutoTokenizer.from_pretrained(directory)`` load as they are
  (``config.json`` with ``id2label`` / ``label2id``, ``model.safetensors``,
  the tokenizer files, whose ``model_max_length`` is the bundle's
  ``max_length``) plus ``torchbridge.json`` (format version, ``max_length``,
  truncation, label names). ``TextClassifier.load`` reads it back (a plain
  Hugging Face directory loads too); predictions are identical.

``transformers`` is imported only when a method needs it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from torchbridge.errors import InputError, NotCompiledError, SavedFormatError
from torchbridge.hf._imports import is_pretrained_model, require_transformers
from torchbridge.hf.data import hf_dataset_kind
from torchbridge.hf.model import HFModel
from torchbridge.hf.pretrained import from_pretrained as _model_from_pretrained

__all__ = ["TextClassifier", "METADATA_FILE", "FORMAT_VERSION"]

#: The file ``save`` adds next to the Hugging Face files.
METADATA_FILE = "torchbridge.json"
#: Version of what ``save`` writes; ``load`` refuses newer ones.
FORMAT_VERSION = 1
_FORMAT = "torchbridge.hf.TextClassifier"
_NO_LIMIT = 10**9  # a tokenizer's model_max_length above this means "no limit"
_DEFAULT_MAX_LENGTH = 512
_FUNCTIONS = ("softmax", "sigmoid", "none")


# --- small helpers ------------------------------------------------------------------------
def _as_text_list(texts: Any, what: str) -> list[str]:
    if texts is None:
        raise InputError(
            f"{what} got no texts: pass a list (or NumPy array) of strings, e.g. "
            f"{what}(['first text', 'second text'], ...)."
        )
    if isinstance(texts, np.ndarray):
        if texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        if texts.ndim != 1:
            raise InputError(f"{what} takes a 1-D array of texts, got shape {texts.shape}.")
        texts = texts.tolist()
    elif isinstance(texts, Tensor):
        raise InputError(
            f"{what} takes raw texts (a list of str), got a tensor. For tokenized data pass "
            "a torchbridge.data.Dataset of (x_dict, y) batches, or use clf.model directly."
        )
    out: list[str] = []
    for i, t in enumerate(texts):
        if isinstance(t, str):
            out.append(t)
        elif isinstance(t, bytes):
            out.append(t.decode("utf-8"))
        else:
            raise InputError(
                f"Text {i} is {type(t).__name__} ({t!r:.40}), not a string. Remove or fill the "
                "missing texts (e.g. replace None with '') before calling "
                f"{what}."
            )
    if not out:
        raise InputError(f"{what} got an empty list of texts.")
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class _AddSampleWeight:
    """``(x, y)`` batches → ``(x, y, weight[y])``: Keras's ``class_weight`` for a pipeline."""

    def __init__(self, weights: Tensor) -> None:
        self.weights = weights

    def __call__(self, x: Any, y: Tensor, *rest: Any) -> Any:
        labels = y.argmax(-1) if y.ndim > 1 else y
        return x, y, self.weights[labels.long()]


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
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        label_names: Sequence[str] | None = None,
        max_length: int | None = None,
        truncation: bool = True,
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
        **kwargs: Any,
    ) -> TextClassifier:
        """A pretrained checkpoint (a local directory, or a cached Hub name) with a classifier head.

        A bare encoder (e.g. a sentence-transformers MiniLM) gets a new,
        randomly initialised head with ``len(label_names)`` (or
        ``num_labels``) outputs. Other keyword arguments go to
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
        model = _model_from_pretrained(
            path,
            task="sequence-classification",
            num_labels=num_labels,
            id2label=label_names,
            **kwargs,
        )
        if tokenizer is None:
            tokenizer = transformers.AutoTokenizer.from_pretrained(os.fspath(path))
        return cls(model, tokenizer, label_names, max_length=max_length, truncation=truncation)

    @classmethod
    def load(cls, directory: str | os.PathLike[str], **kwargs: Any) -> TextClassifier:
        """Read a directory written by :meth:`save` (or any Hugging Face classifier directory).

        ``kwargs`` go to ``AutoModelForSequenceClassification.from_pretrained``
        (``dtype=``, ``device_map=`` ...).
        """
        transformers = require_transformers("TextClassifier.load")
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise InputError(
                f"TextClassifier.load: {directory!r} is not a directory. Pass the directory "
                "written by TextClassifier.save(directory)."
            )
        meta: dict[str, Any] = {}
        meta_path = os.path.join(directory, METADATA_FILE)
        if os.path.exists(meta_path):
            try:
                with open(meta_path, encoding="utf-8") as f:
                    meta = json.load(f)
            except (ValueError, RecursionError) as e:
                raise SavedFormatError(
                    f"{meta_path} is not valid JSON ({type(e).__name__}: {e}); the bundle was "
                    "not loaded. Save the bundle again, or remove the file to load the directory "
                    "as a plain Hugging Face model."
                ) from None
            if not isinstance(meta, dict):
                meta = {"format": type(meta).__name__}
            version = meta.get("format_version")
            if meta.get("format") != _FORMAT or not isinstance(version, int):
                raise SavedFormatError(
                    f"{meta_path} is not a torchbridge TextClassifier metadata file (format "
                    f"{meta.get('format')!r}). Remove it to load the directory as a plain "
                    "Hugging Face model."
                )
            if version > FORMAT_VERSION:
                raise SavedFormatError(
                    f"{directory!r} was saved in TextClassifier format {version}; this "
                    f"torchbridge reads up to {FORMAT_VERSION}. Upgrade torchbridge."
                )
        model = _model_from_pretrained(directory, task="sequence-classification", **kwargs)
        tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
        return cls(
            model,
            tokenizer,
            meta.get("label_names"),
            max_length=meta.get("max_length"),
            truncation=meta.get("truncation", True),
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

    # --- properties ------------------------------------------------------------------------
    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    @property
    def label2id(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.label_names)}

    @property
    def config(self) -> Any:
        return self.model.config

    def __repr__(self) -> str:
        return (
            f"TextClassifier({type(self.model.module).__name__}, labels={self.label_names}, "
            f"max_length={self.max_length})"
        )

    # --- data ---------------------------------------------------------------------------------
    def labels_to_ids(self, labels: Any, what: str = "labels") -> Any:
        """Class ids (int64) from class ids or label names; other values are checked."""
        if labels is None:
            return None
        if isinstance(labels, Tensor):
            return labels
        values = labels.tolist() if isinstance(labels, np.ndarray) else list(labels)
        if values and all(isinstance(v, (str, bytes, np.str_)) for v in values):
            lookup = self.label2id
            ids = []
            for i, v in enumerate(values):
                name = v.decode("utf-8") if isinstance(v, bytes) else str(v)
                if name not in lookup:
                    raise InputError(
                        f"{what}[{i}] is {name!r}, which is not one of the label names "
                        f"{self.label_names}. Fix the label, or create the classifier with "
                        "label_names= listing every class."
                    )
                ids.append(lookup[name])
            return np.asarray(ids, dtype=np.int64)
        if any(isinstance(v, (str, bytes, np.str_)) for v in values):
            raise InputError(
                f"{what} mixes label names and numbers; give all of them as names "
                f"{self.label_names} or all as class ids 0..{self.num_labels - 1}."
            )
        if any(v is None for v in values):
            i = values.index(None)
            raise InputError(f"{what}[{i}] is None: every text needs a label.")
        return labels

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
        """Texts (+ labels) → a ``torchbridge.data.Dataset`` of tokenized, padded batches."""
        from torchbridge.hf.data import text_dataset

        texts = _as_text_list(texts, what)
        y = self.labels_to_ids(labels, "labels" if what != "validation_data" else "y_val")
        if y is not None and len(y) != len(texts):
            raise InputError(
                f"{what} got {len(texts)} texts but {len(y)} labels; give one label per text."
            )
        ds = text_dataset(
            texts,
            y,
            tokenizer=self.tokenizer,
            batch_size=batch_size,
            max_length=self.max_length,
            truncation=self.truncation,
            shuffle=shuffle,
            seed=seed,
            bucket=bucket,
            num_labels=self.num_labels if self.num_labels > 1 else None,
            model=self.model,
        )
        if class_weight is not None:
            if y is None:
                raise InputError("class_weight needs labels.")
            size = max(self.num_labels, max(int(k) for k in class_weight) + 1)
            weights = torch.ones(size)
            for k, w in class_weight.items():
                weights[int(k)] = float(w)
            ds = ds.map(_AddSampleWeight(weights))
        return ds

    def _data(
        self,
        x: Any,
        y: Any,
        what: str,
        batch_size: int | None,
        shuffle: bool = False,
        seed: int | None = None,
        bucket: bool = False,
        class_weight: Mapping[int, float] | None = None,
    ) -> Any:
        """The ``x`` handed to the model's fit/evaluate (texts become a pipeline)."""
        from torchbridge.data.dataset import Dataset

        bs = 32 if batch_size is None else batch_size
        if isinstance(x, (Dataset, DataLoader)):
            if y is not None or class_weight is not None:
                raise InputError(
                    f"When {what}'s x is a {type(x).__name__} of tokenized batches, its elements "
                    "carry the labels: do not pass y or class_weight."
                )
            return x
        if hf_dataset_kind(x) is not None:
            from torchbridge.hf.data import prepare_dataset

            if y is not None:
                raise InputError(
                    f"When {what}'s x is a datasets.{type(x).__name__}, the labels come from its "
                    "'label' column; do not pass y."
                )
            return prepare_dataset(
                x,
                self.tokenizer,
                batch_size=bs,
                shuffle=shuffle,
                bucket=bucket,
                model=self.model,
                max_length=self.max_length,
                truncation=self.truncation,
                num_labels=self.num_labels,
                seed=seed,
                class_weight=class_weight,
            )
        if y is None:
            raise InputError(
                f"{what} got texts but no labels: pass {what}(texts, labels) with one class id "
                f"(0..{self.num_labels - 1}) or label name {self.label_names} per text."
            )
        return self.text_dataset(x, y, bs, shuffle, seed, bucket, class_weight, what)

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
        on biases and normalisation weights, as the Hugging Face Trainer). ``loss=None``: the model's own loss
        (cross-entropy over ``num_labels``); a Keras loss applies to the logits
        (e.g. ``SparseCategoricalCrossentropy(from_logits=True)``, needed for
        ``class_weight``). Other arguments (``device=``, ``jit_compile=`` ...)
        go to ``Model.compile``.
        """
        if optimizer is None:
            from torchbridge.optimizers import AdamW

            optimizer = AdamW(learning_rate=5e-5, weight_decay=0.01, exclude_bias_and_norm=True)
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
        """Keras's ``fit`` on raw texts ``x`` and labels ``y`` (class ids or label names).

        ``batch_size`` defaults to 32. ``validation_split`` holds out the last
        fraction of the texts (before shuffling, as Keras); ``validation_data``
        is ``(texts, labels)`` or a dataset. ``bucket=True`` batches texts of
        similar token length together (less padding: faster). ``seed`` fixes
        the shuffling order (default: drawn from torch's generator, so
        ``torch.manual_seed`` makes runs repeatable). Returns the ``History``.
        """
        self._require_compiled("fit")
        if x is None:
            raise InputError("fit() needs texts: fit(texts, labels, ...).")
        if validation_split and validation_data is None:
            if not 0.0 < validation_split < 1.0:
                raise InputError(f"validation_split must be in (0, 1), got {validation_split}.")
            if not isinstance(x, (list, tuple, np.ndarray)):
                raise InputError(
                    "validation_split needs texts and labels in memory; for a dataset pass "
                    "validation_data=... instead."
                )
            texts = _as_text_list(x, "fit")
            if y is None:
                raise InputError(
                    "fit got texts but no labels: pass fit(texts, labels) with one class id "
                    f"or label name {self.label_names} per text."
                )
            labels = y.tolist() if isinstance(y, np.ndarray) else list(y)
            if len(labels) != len(texts):
                raise InputError(
                    f"fit got {len(texts)} texts but {len(labels)} labels; give one label per text."
                )
            split_at = int(np.floor(len(texts) * (1.0 - validation_split)))
            if split_at in (0, len(texts)):
                raise InputError(
                    f"fit got {len(texts)} texts, not enough to split off "
                    f"validation_split={validation_split}. Provide more data or pass "
                    "validation_data=."
                )
            x, y = texts[:split_at], labels[:split_at]
            validation_data = (texts[split_at:], labels[split_at:])
        train = self._data(x, y, "fit", batch_size, shuffle, seed, bucket, class_weight)
        val = None
        if validation_data is not None:
            vx, vy = self._split_pair(validation_data)
            val = self._data(
                vx, vy, "validation_data", validation_batch_size or batch_size, bucket=bucket
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
        """Keras's ``evaluate`` on raw texts and labels: the loss and compiled metrics."""
        self._require_compiled("evaluate")
        data = self._data(x, y, "evaluate", batch_size, bucket=bucket)
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
        """The raw logits, ``(len(texts), num_labels)`` float32, in the order of ``texts``."""
        from torchbridge.hf.tokenization import encode, pad_values

        batch = _as_text_list([texts] if isinstance(texts, str) else texts, "predict")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}.")
        columns = encode(
            self.tokenizer, batch, max_length=self.max_length, truncation=self.truncation
        )
        accepted = set(self.model._forward_inputs)
        keys = [k for k in columns if k in accepted]
        pads = pad_values(self.tokenizer, keys)
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        ids = columns["input_ids"]
        order = np.argsort([len(r) for r in ids], kind="stable")  # similar lengths together
        module: nn.Module = self.model.module
        device = self.model.device
        out = np.empty((len(batch), self.num_labels), dtype=np.float32)
        was_training = module.training
        module.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(batch), batch_size):
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
                    logits = self.model.call_inputs(inputs)
                    out[rows] = logits.float().cpu().numpy()
        finally:
            module.train(was_training)
        return out

    def _function(self, function_to_apply: str | None) -> str:
        if function_to_apply is None:
            config = self.config
            problem = getattr(config, "problem_type", None)
            if problem == "regression":
                return "none"
            if problem == "multi_label_classification" or self.num_labels == 1:
                return "sigmoid"
            return "softmax"
        name = str(function_to_apply).lower()
        if name not in _FUNCTIONS:
            raise InputError(
                f"function_to_apply={function_to_apply!r} is not one of {list(_FUNCTIONS)}."
            )
        return name

    def predict_proba(
        self, texts: Any, batch_size: int = 32, function_to_apply: str | None = None
    ) -> np.ndarray:
        """Scores of every label, ``(len(texts), num_labels)``: softmax of the logits (sigmoid
        for one label or multi-label models, as the Hugging Face pipeline)."""
        logits = self.predict_logits(texts, batch_size)
        fn = self._function(function_to_apply)
        if fn == "softmax":
            return _softmax(logits)
        if fn == "sigmoid":
            return _sigmoid(logits)
        return logits

    def predict(
        self,
        texts: Any,
        batch_size: int = 32,
        top_k: int | None = 1,
        function_to_apply: str | None = None,
    ) -> list[Any]:
        """Labels and scores for raw texts, as ``pipeline("text-classification")`` gives them.

        ``top_k=1``: one ``{"label": name, "score": p}`` per text. ``top_k=None``
        (every label) or ``top_k=k``: a list of such dicts per text, best first
        (for a single string: that list). ``function_to_apply``: ``"softmax"``,
        ``"sigmoid"`` or ``"none"`` (default: as the pipeline decides).
        """
        single = isinstance(texts, str)
        if top_k is not None and (
            isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1
        ):
            raise InputError(f"top_k must be a positive integer or None, got {top_k!r}.")
        scores = self.predict_proba(texts, batch_size, function_to_apply)
        names = self.label_names
        if top_k == 1:
            best = scores.argmax(-1)
            return [{"label": names[int(b)], "score": float(s[b])} for b, s in zip(best, scores)]
        results = []
        for s in scores:
            ranked = np.argsort(-s, kind="stable")
            if top_k is not None:
                ranked = ranked[:top_k]
            results.append([{"label": names[int(i)], "score": float(s[i])} for i in ranked])
        return results[0] if single else results

    __call__ = predict

    # --- saving -----------------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the bundle: Hugging Face's files (model, config, tokenizer) + ``torchbridge.json``.

        Crash-safe: the bundle is written into a fresh folder beside ``directory``
        and swapped in as a whole (:func:`torchbridge.saving.atomic.atomic_dir`),
        so ``directory`` holds the complete old bundle or the complete new one,
        and nothing is written through a symlink planted in it. An existing
        ``directory`` is replaced entirely, so it must be empty or a previous
        bundle (it has ``config.json`` or ``torchbridge.json``).
        """
        from torchbridge.saving.atomic import atomic_dir  # saving is a floor above

        target = os.fspath(directory)
        if os.path.isdir(target) and not os.path.islink(target):
            entries = os.listdir(target)
            if entries and not {"config.json", METADATA_FILE} & set(entries):
                raise InputError(
                    f"TextClassifier.save: {target!r} is a non-empty folder that is not a saved "
                    "bundle; save replaces the whole folder. Choose a new or empty folder."
                )
        with atomic_dir(target) as tmp:
            self._write_bundle(tmp)

    def _write_bundle(self, directory: str) -> None:
        config = self.config
        config.id2label = dict(enumerate(self.label_names))
        config.label2id = {n: i for i, n in enumerate(self.label_names)}
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        # AutoTokenizer then cuts where the bundle cuts (pipeline(..., truncation=True)).
        tok_config = os.path.join(directory, "tokenizer_config.json")
        if os.path.exists(tok_config):
            with open(tok_config, encoding="utf-8") as f:
                data = json.load(f)
            data["model_max_length"] = self.max_length
            with open(tok_config, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, ensure_ascii=False)
                f.write("\n")
        from torchbridge import __version__

        meta = {
            "format": _FORMAT,
            "format_version": FORMAT_VERSION,
            "task": "sequence-classification",
            "label_names": list(self.label_names),
            "max_length": self.max_length,
            "truncation": self.truncation,
            "torchbridge_version": __version__,
        }
        with open(os.path.join(directory, METADATA_FILE), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2, ensure_ascii=False)
            f.write("\n")

    def summary(self, **kwargs: Any) -> None:
        """The wrapped model's summary table."""
        self.model.summary(**kwargs)
