"""``HFModel``: any ``transformers.PreTrainedModel`` under ``compile / fit / evaluate / predict``.

``Model.wrap(pretrained_model)`` (or :func:`wrap`, or :func:`from_pretrained`)
returns an :class:`HFModel`: importing this module registers ``HFModel`` in
:mod:`torchbridge.models.wrap_registry` (whose lazy entry for ``transformers``
imports it on the first such ``Model.wrap``). The Hugging Face module is kept as is under
``.module``: its class, its ``forward``, its ``state_dict`` keys (so
``save_weights`` files load into plain ``transformers``).

How a batch is used:

* ``x`` is a dict of tensors (``input_ids``, ``attention_mask``,
  ``token_type_ids`` ...) passed as ``module(**x)``; a bare tensor is the
  model's ``main_input_name``.
* Labels come as Keras's ``y`` or inside ``x`` (``labels``; for question
  answering ``start_positions`` / ``end_positions``), as in Hugging Face.
* **No compiled loss** (``compile(optimizer=..., loss=None)``): the model's own
  loss is trained — the labels go into ``module(**x, labels=...)``.
* **A compiled Keras loss**: it applies to the logits (``y_pred``; for question
  answering the two outputs ``[start_logits, end_logits]``), with
  ``class_weight`` / ``sample_weight`` as for any model; labels found in ``x``
  are taken out of it and become ``y``. A causal LM's logits at position *t*
  predict token *t + 1*: the logits and labels are shifted by one before the
  loss and the metrics see them (the model's own loss does the same).
* Compiled metrics always see the logits and are updated batch by batch.
* ``predict`` returns the logits as NumPy.

Bad input is caught before the forward pass with an error that names the fix:
missing or unknown input keys, token ids beyond the embedding table, labels
outside ``num_labels``, sequences longer than the position embeddings. Checks
that need a value from the device run on the first batch of each epoch /
evaluation / prediction only; shape checks run on every batch (no host sync).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from torchbridge.errors import InputError, UnknownNameError
from torchbridge.hf._imports import is_pretrained_model, require_transformers
from torchbridge.models.model import Model
from torchbridge.models.wrap_registry import register_wrapper
from torchbridge.models.wrapped import WrappedModel
from torchbridge.training.data_adapter import unpack_x_y_sample_weight

__all__ = ["HFModel", "TASKS", "WRAPPER_NAME", "from_pretrained", "wrap", "infer_task"]

WRAPPER_NAME = "huggingface_transformers"  # HFModel's entry in models.wrap_registry

# task → the transformers Auto class that builds its model.
TASKS: dict[str, str] = {
    "sequence-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "question-answering": "AutoModelForQuestionAnswering",
    "causal-lm": "AutoModelForCausalLM",
    "masked-lm": "AutoModelForMaskedLM",
    "seq2seq-lm": "AutoModelForSeq2SeqLM",
}
# Hugging Face pipeline names for the same tasks.
_TASK_ALIASES = {
    "text-classification": "sequence-classification",
    "sentiment-analysis": "sequence-classification",
    "ner": "token-classification",
    "text-generation": "causal-lm",
    "fill-mask": "masked-lm",
    "text2text-generation": "seq2seq-lm",
    "summarization": "seq2seq-lm",
    "translation": "seq2seq-lm",
}
_CLASSIFICATION = ("sequence-classification", "token-classification")
_LANGUAGE_MODELING = ("causal-lm", "masked-lm", "seq2seq-lm")
# Label entries Hugging Face models take (ignored positions are -100 everywhere).
_QA_LABELS = ("start_positions", "end_positions")
_IGNORE_INDEX = -100
# Keyword arguments every transformers model accepts besides its named ones.
_COMMON_KWARGS = frozenset(
    {"return_dict", "output_attentions", "output_hidden_states", "num_items_in_batch"}
)
# Models whose learned positions start after the padding index (RoBERTa's offset of 2).
_PADDING_OFFSET_MODELS = frozenset(
    {
        "roberta",
        "xlm-roberta",
        "xlm-roberta-xl",
        "camembert",
        "roberta-prelayernorm",
        "data2vec-text",
        "mpnet",
        "longformer",
        "ibert",
        "xmod",
    }
)


def infer_task(module: nn.Module) -> str | None:
    """The task of a transformers model from its class (``None`` for a bare encoder)."""
    name = type(module).__name__
    config = getattr(module, "config", None)
    if name.endswith("ForSequenceClassification"):
        return "sequence-classification"
    if name.endswith("ForTokenClassification"):
        return "token-classification"
    if name.endswith("ForQuestionAnswering"):
        return "question-answering"
    if name.endswith("ForMaskedLM"):
        return "masked-lm"
    if getattr(config, "is_encoder_decoder", False) and (
        name.endswith("ForConditionalGeneration") or name.endswith("LMHeadModel")
    ):
        return "seq2seq-lm"
    if name.endswith("ForCausalLM") or name.endswith("LMHeadModel"):
        return "causal-lm"
    return None


def _transformers_kwargs() -> frozenset[str]:
    try:
        from transformers.utils.generic import TransformersKwargs
    except ImportError:  # older transformers: the forward names its arguments
        return frozenset()
    return frozenset(getattr(TransformersKwargs, "__annotations__", {}))


def _describe(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


class HFModel(WrappedModel):
    """Keras's training API around a ``transformers.PreTrainedModel`` (kept under ``.module``)."""

    def __init__(self, module: nn.Module, name: str | None = None) -> None:
        if not is_pretrained_model(module):
            raise TypeError(
                f"HFModel wraps a transformers.PreTrainedModel, got {type(module).__name__}. "
                "For any other torch module use torchbridge.Model.wrap(module)."
            )
        super().__init__(module, name=name)
        self.task: str | None = infer_task(module)
        params = inspect.signature(module.forward).parameters
        named = [
            n
            for n, p in params.items()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and n != "self"
        ]
        var_kw = [p for p in params.values() if p.kind is p.VAR_KEYWORD]
        self._forward_inputs: list[str] = named
        # The keys x may hold; None: anything (a custom forward taking **kwargs).
        allowed = frozenset(named) | _COMMON_KWARGS
        conventional = True
        if var_kw:
            conventional = "TransformersKwargs" in str(var_kw[0].annotation) or type(
                module
            ).__module__.startswith("transformers.")
            allowed |= _transformers_kwargs()
        self._allowed_inputs: frozenset[str] | None = allowed if conventional else None
        if all(k in named for k in _QA_LABELS):
            self._label_keys: tuple[str, ...] = _QA_LABELS
        elif "labels" in named:
            self._label_keys = ("labels",)
        else:
            self._label_keys = ()
        self.main_input_name: str = getattr(module, "main_input_name", "input_ids")
        # Arguments added to every forward: no key/value cache while training; a
        # ModelOutput even when the config says return_dict=False.
        extra: dict[str, Any] = {}
        if "use_cache" in named:
            extra["use_cache"] = False
        if getattr(getattr(module, "config", None), "return_dict", True) is False:
            extra["return_dict"] = True
        self._extra_kwargs = extra
        if self.task == "question-answering":
            # Per-output names for losses/metrics: "start_logits_loss", "end_logits_accuracy".
            self.output_names = ["start_logits", "end_logits"]
        self._length_limit = self._max_length()
        self._model_loss: Tensor | None = None
        self._checked: set[str] = set()  # step kinds whose first batch passed the value checks

    # --- Hugging Face passthroughs -------------------------------------------------------
    @property
    def config(self) -> Any:
        """The wrapped model's ``transformers`` config."""
        return self.module.config

    def resize_token_embeddings(self, new_num_tokens: int | None = None, **kwargs: Any) -> Any:
        """``PreTrainedModel.resize_token_embeddings`` (call it before ``compile``)."""
        module: Any = self.module
        return module.resize_token_embeddings(new_num_tokens, **kwargs)

    def save_pretrained(self, save_directory: str | os.PathLike[str], **kwargs: Any) -> None:
        """``PreTrainedModel.save_pretrained``: a directory plain ``transformers`` loads."""
        module: Any = self.module
        module.save_pretrained(save_directory, **kwargs)

    # --- the forward pass ----------------------------------------------------------------
    def call_inputs(self, x: Any) -> Any:
        if not isinstance(x, Mapping):
            x = self._as_dict(x)
        extra = self._extra_kwargs
        outputs = self.module(**({**extra, **x} if extra else x))
        # The model's own loss (labels were passed): compute_loss hands it to the step.
        self._model_loss = getattr(outputs, "loss", None)
        return self._logits(outputs)

    @staticmethod
    def _logits(outputs: Any) -> Any:
        if isinstance(outputs, Tensor):
            return outputs
        logits = getattr(outputs, "logits", None)
        if logits is not None:
            return logits
        start = getattr(outputs, "start_logits", None)
        if start is not None:
            return [start, outputs.end_logits]
        if isinstance(outputs, Mapping):  # another ModelOutput: its first field
            for key, value in outputs.items():
                if key != "loss":
                    return value
        if isinstance(outputs, (tuple, list)):
            return outputs[0]
        return outputs

    def _as_dict(self, x: Any) -> dict[str, Any]:
        if isinstance(x, Tensor):
            return {self.main_input_name: x}
        raise InputError(
            f"{type(self.module).__name__} takes a dict of tensors as x (passed as "
            f"model(**x)), got {_describe(x)}. Give x as e.g. dict(tokenizer(texts, "
            f"padding=True, return_tensors='pt')); the model's inputs are "
            f"{self._forward_inputs}."
        )

    # --- batches → model inputs and targets ------------------------------------------------
    def _prepare(self, data: Any, kind: str) -> Any:
        """Put the labels where the loss in use needs them; check the batch."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if not isinstance(x, Mapping):
            x = self._as_dict(x)
        label_keys = self._label_keys
        in_x = [k for k in label_keys if k in x] if label_keys else []
        if kind == "predict":
            if in_x:
                x = {k: v for k, v in x.items() if k not in in_x}
            self._check_inputs(x, kind)
            self._checked.add(kind)
            return (x,)
        own_loss = self._compiled_loss is None
        if in_x:
            if y is not None:
                raise InputError(
                    f"The batch has labels twice: in x ({in_x}) and as y. Pass them one way: "
                    "inside x (Hugging Face style) or as y (Keras style)."
                )
            if len(in_x) != len(label_keys):
                missing = [k for k in label_keys if k not in in_x]
                raise InputError(f"x has {in_x} but not {missing}: give all of {label_keys}.")
            labels = [x[k] for k in label_keys]
            y = labels[0] if len(labels) == 1 else labels
            if not own_loss:  # a compiled loss: the model must not compute its own
                x = {k: v for k, v in x.items() if k not in in_x}
        elif y is None:
            raise InputError(self._no_labels_message())
        elif own_loss:
            x = {**x, **self._labels_as_inputs(y)}
        if own_loss:
            if sample_weight is not None:
                raise InputError(
                    "sample_weight / class_weight need a compiled loss: the model's own loss "
                    "cannot weight samples. Compile a Keras loss on the logits, e.g. "
                    "compile(optimizer=..., loss=torchbridge.losses."
                    "SparseCategoricalCrossentropy(from_logits=True))."
                )
            for k in label_keys:  # torch's cross-entropy wants int64 class ids
                v = x.get(k)
                if isinstance(v, Tensor) and v.dtype in (torch.int32, torch.int16, torch.uint8):
                    x = {**x, k: v.long()}
        elif self.task == "seq2seq-lm" and "decoder_input_ids" not in x:
            x = {**x, "decoder_input_ids": self._decoder_inputs(y)}
        self._check_inputs(x, kind)
        if kind not in self._checked:
            self._check_labels(y, own_loss)
            self._checked.add(kind)
        return (x, y, sample_weight)

    def _no_labels_message(self) -> str:
        keys = " and ".join(repr(k) for k in self._label_keys)
        if self._compiled_loss is not None:
            in_x = f", or put {keys} in x" if keys else ""
            return (
                f"No labels in the batch for the compiled loss: pass y=... to fit/evaluate{in_x}."
            )
        if not keys:
            return (
                f"{type(self.module).__name__} computes no loss of its own (its forward takes "
                "no labels), and compile() was given no loss. Compile a Keras loss that "
                "applies to its outputs, or use a model with a task head "
                "(torchbridge.hf.from_pretrained(path, task=...))."
            )
        return (
            f"No labels in the batch: compile() was given no loss, so the model's own loss is "
            f"used and it needs labels. Pass y=... to fit/evaluate, or put {keys} in x — or "
            "compile a Keras loss."
        )

    def _labels_as_inputs(self, y: Any) -> dict[str, Any]:
        keys = self._label_keys
        if not keys:
            raise InputError(self._no_labels_message())
        if isinstance(y, Mapping):
            missing = [k for k in keys if k not in y]
            if missing:
                raise InputError(
                    f"y is a dict with keys {list(y)}; the model's loss needs {list(keys)}."
                )
            return {k: y[k] for k in keys}
        if len(keys) == 1:
            if isinstance(y, (list, tuple)) and len(y) == 1:
                y = y[0]
            return {keys[0]: y}
        if isinstance(y, (list, tuple)) and len(y) == len(keys):
            return dict(zip(keys, y))
        raise InputError(
            f"{type(self.module).__name__} needs {len(keys)} label tensors {list(keys)}; "
            f"pass y as a list [{', '.join(keys)}] or a dict, got {_describe(y)}."
        )

    def _decoder_inputs(self, labels: Any) -> Tensor:
        prepare = getattr(self.module, "prepare_decoder_input_ids_from_labels", None)
        if prepare is None or not isinstance(labels, Tensor):
            raise InputError(
                f"{type(self.module).__name__} needs decoder_input_ids with a compiled loss: "
                "put them in x (the labels shifted right), or compile no loss so the model "
                "builds them from its labels."
            )
        return prepare(labels=labels)

    # --- checks -------------------------------------------------------------------------------
    def _check_inputs(self, x: Mapping[str, Any], kind: str) -> None:
        main = self.main_input_name
        allowed = self._allowed_inputs
        if kind not in self._checked:
            if main not in x and "inputs_embeds" not in x:
                raise InputError(
                    f"The batch has no {main!r}: x has keys {list(x)}, and "
                    f"{type(self.module).__name__} takes {self._forward_inputs} "
                    f"(main input: {main!r}). Tokenize the text into x, e.g. "
                    "dict(tokenizer(texts, truncation=True, padding=True, return_tensors='pt'))."
                )
            if allowed is not None:
                unknown = [k for k in x if k not in allowed]
                if unknown:
                    raise InputError(
                        f"x has keys {unknown} that {type(self.module).__name__}.forward does "
                        f"not take; its inputs are {self._forward_inputs}. Drop those columns "
                        "(e.g. dataset.remove_columns(...) or select the tokenizer outputs), "
                        "and tokenize text columns first."
                    )
            for k, v in x.items():
                if k in self._extra_kwargs or k in _COMMON_KWARGS:
                    continue
                if not isinstance(v, Tensor) and v is not None:
                    raise InputError(
                        f"x[{k!r}] is {_describe(v)}, not a tensor. Tokenize text first and "
                        "pass tensors (return_tensors='pt' or NumPy arrays)."
                    )
            ids = x.get(main)
            if main == "input_ids" and isinstance(ids, Tensor) and ids.numel():
                self._check_token_ids(ids)
        self._check_length(x)

    def _check_token_ids(self, ids: Tensor) -> None:
        if ids.is_floating_point():
            raise InputError(
                f"input_ids is {_describe(ids)}; token ids are integers. Pass the tokenizer's "
                "output as it is (int64), not cast to float."
            )
        module: Any = self.module
        try:
            rows = int(module.get_input_embeddings().num_embeddings)
        except (AttributeError, NotImplementedError):
            rows = int(getattr(self.config, "vocab_size", 0) or 0)
        if not rows:
            return
        lo, hi = (int(v) for v in torch.stack([ids.min(), ids.max()]).tolist())
        if lo < 0 or hi >= rows:
            raise InputError(
                f"input_ids go from {lo} to {hi}, but {type(self.module).__name__}'s embedding "
                f"table has {rows} rows (config.vocab_size={getattr(self.config, 'vocab_size', '?')}"
                "): the tokenizer's vocabulary does not fit the model. Use the tokenizer saved "
                "with the model, or grow the embeddings to the tokenizer before compile(): "
                "model.resize_token_embeddings(len(tokenizer))."
            )

    def _max_length(self) -> int | None:
        config = self.config
        limit = getattr(config, "max_position_embeddings", None) or getattr(
            config, "n_positions", None
        )
        if not isinstance(limit, int) or limit <= 0:
            return None
        # Rotary positions have no table to run off; only learned/absolute ones do.
        if getattr(config, "rope_theta", None) is not None or getattr(
            config, "rope_parameters", None
        ):
            return None
        if getattr(config, "model_type", None) in _PADDING_OFFSET_MODELS:
            pad = getattr(config, "pad_token_id", None)
            limit -= (pad if isinstance(pad, int) else 1) + 1
        return limit

    def _check_length(self, x: Mapping[str, Any]) -> None:
        ids = x.get(self.main_input_name)
        if not isinstance(ids, Tensor) or self.main_input_name != "input_ids":
            ids = x.get("inputs_embeds")
            length = int(ids.shape[1]) if isinstance(ids, Tensor) and ids.ndim >= 2 else 0
        else:
            length = int(ids.shape[-1]) if ids.ndim else 0
        if not length:
            return
        limit = self._length_limit
        if limit is not None and length > limit:
            raise InputError(
                f"The batch has sequences of {length} tokens, but {type(self.module).__name__} "
                f"takes at most {limit} (config.max_position_embeddings). Truncate when "
                f"tokenizing: tokenizer(texts, truncation=True, max_length={limit})."
            )

    def _check_labels(self, y: Any, own_loss: bool) -> None:
        task = self.task
        if task in _CLASSIFICATION:
            bound = int(getattr(self.config, "num_labels", 0) or 0)
            what = f"num_labels={bound}"
        elif task in _LANGUAGE_MODELING:
            bound = int(getattr(self.config, "vocab_size", 0) or 0)
            what = f"vocab_size={bound}"
        else:
            return
        if not isinstance(y, Tensor) or not bound or not y.numel():
            return
        if y.is_floating_point():
            if own_loss and task == "sequence-classification" and bound > 1 and y.ndim == 1:
                raise InputError(
                    f"The labels are {_describe(y)}, but the model classifies into {bound} "
                    "classes: its own loss takes integer class ids (y.astype('int64')), or "
                    f"float multi-label targets of shape (batch, {bound})."
                )
            return
        if task == "sequence-classification" and bound == 1:
            return  # regression
        valid = y[y != _IGNORE_INDEX]
        if not valid.numel():
            return
        lo, hi = (int(v) for v in torch.stack([valid.min(), valid.max()]).tolist())
        if lo >= 0 and hi < bound:
            return
        if task in _CLASSIFICATION:
            fix = (
                f"Build the model with as many labels as the data has: torchbridge.hf."
                f"from_pretrained(path, task={task!r}, num_labels={max(hi + 1, bound)}, "
                "id2label=...) (a new head: add ignore_mismatched_sizes=True when the "
                "checkpoint already has one); or subtract 1 if the labels are 1-based."
            )
        else:
            fix = "Labels are token ids of the model's vocabulary (use the model's tokenizer)."
        raise InputError(
            f"Labels go from {lo} to {hi}, but {type(self.module).__name__} has {what} "
            f"(valid labels 0..{bound - 1}, and {_IGNORE_INDEX} for ignored positions). {fix}"
        )

    # --- Keras's step hooks ---------------------------------------------------------------------
    def _align(self, y: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
        """A causal LM's logits at position t predict token t + 1: drop the last logit and
        the first label, as the model's own loss does."""
        if self.task == "causal-lm" and isinstance(y, Tensor) and isinstance(y_pred, Tensor):
            y, y_pred = y[:, 1:], y_pred[:, :-1]
            if isinstance(sample_weight, Tensor) and sample_weight.ndim >= 2:
                sample_weight = sample_weight[:, 1:]
        return y, y_pred, sample_weight

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        if self._compiled_loss is None:
            loss, self._model_loss = self._model_loss, None
            if loss is None:
                raise InputError(self._no_labels_message())
            return loss.mean() if loss.ndim else loss
        self._model_loss = None
        y, y_pred, sample_weight = self._align(y, y_pred, sample_weight)
        return super().compute_loss(x, y, y_pred, sample_weight, training)

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> Mapping[str, Any]:
        y, y_pred, sample_weight = self._align(y, y_pred, sample_weight)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def train_step(self, data: Any) -> Mapping[str, Any]:
        return super().train_step(self._prepare(data, "train"))

    def test_step(self, data: Any) -> Mapping[str, Any]:
        return super().test_step(self._prepare(data, "test"))

    def predict_step(self, data: Any) -> Any:
        return super().predict_step(self._prepare(data, "predict"))

    def reset_metrics(self) -> None:
        # Called at the start of every epoch and evaluation: check their first batch again.
        self._checked.discard("train")
        self._checked.discard("test")
        super().reset_metrics()

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """The logits as NumPy (for question answering ``[start_logits, end_logits]``)."""
        self._checked.discard("predict")
        return super().predict(x, batch_size, verbose, steps, callbacks)

    def extra_repr(self) -> str:
        task = f", task={self.task!r}" if self.task else ""
        return f"wrapping {type(self.module).__name__}{task}"


# Model.wrap(transformers_model) builds an HFModel; the engine's lazy entry for the
# "transformers" package imports this module when such a model is wrapped first.
register_wrapper(WRAPPER_NAME, is_pretrained_model, HFModel)


def wrap(model: nn.Module, name: str | None = None) -> Model:
    """``Model.wrap`` for a ``transformers.PreTrainedModel``: an :class:`HFModel`."""
    if isinstance(model, Model):
        return model
    if not is_pretrained_model(model):
        raise TypeError(
            f"torchbridge.hf.wrap takes a transformers.PreTrainedModel, got "
            f"{type(model).__name__}; use torchbridge.Model.wrap(module) for other modules."
        )
    return HFModel(model, name=name)


def _resolve_task(task: str) -> str:
    key = task.lower().replace("_", "-")
    key = _TASK_ALIASES.get(key, key)
    if key not in TASKS:
        raise UnknownNameError("task", task, list(TASKS) + list(_TASK_ALIASES))
    return key


def from_pretrained(
    path_or_name: str | os.PathLike[str],
    task: str = "sequence-classification",
    num_labels: int | None = None,
    id2label: Mapping[int, str] | Sequence[str] | None = None,
    label2id: Mapping[str, int] | None = None,
    name: str | None = None,
    save_converted: bool = False,
    **kwargs: Any,
) -> HFModel:
    """Load a pretrained model for ``task`` with its ``AutoModelFor...`` class, wrapped.

    ``task``: one of :data:`TASKS` (or a pipeline name such as
    ``"text-classification"``). ``id2label`` may be a list of label names;
    ``num_labels`` and ``label2id`` follow from it. Other keyword arguments go
    to ``from_pretrained`` (``ignore_mismatched_sizes=True``, ``dtype=``,
    ``revision=``...). ``HF_HUB_OFFLINE=1`` is honoured by ``transformers``:
    only local directories and cached models load then.

    A local folder whose only weights are a TensorFlow ``tf_model.h5`` (a checkpoint
    saved by transformers' TF classes, which transformers 5 no longer reads) is
    converted on the fly (:mod:`torchbridge.hf.tf_checkpoint`; a log line says so), and
    so is a Hub repository whose only weights are TensorFlow's;
    ``save_converted=True`` also writes ``model.safetensors`` into that folder, so
    later loads need no conversion (no effect on folders that have PyTorch weights).
    """
    transformers = require_transformers("torchbridge.hf.from_pretrained")
    key = _resolve_task(task)
    auto_cls = getattr(transformers, TASKS[key])
    if id2label is not None:
        if not isinstance(id2label, Mapping):
            id2label = dict(enumerate(id2label))
        id2label = {int(k): str(v) for k, v in id2label.items()}
        if num_labels is None:
            num_labels = len(id2label)
        elif num_labels != len(id2label):
            raise InputError(
                f"num_labels={num_labels} but id2label names {len(id2label)} labels: give "
                "one name per label (or leave num_labels out)."
            )
        if label2id is None:
            label2id = {v: k for k, v in id2label.items()}
    if label2id is not None and num_labels is None:
        num_labels = len(label2id)
    options: dict[str, Any] = {}
    if num_labels is not None:
        if key not in _CLASSIFICATION:
            raise InputError(
                f"num_labels / id2label apply to classification tasks {list(_CLASSIFICATION)}, "
                f"not {key!r}."
            )
        options["num_labels"] = int(num_labels)
    if id2label is not None:
        options["id2label"] = id2label
    if label2id is not None:
        options["label2id"] = {str(k): int(v) for k, v in label2id.items()}
    options.update(kwargs)
    source = os.fspath(path_or_name)
    from torchbridge.hf import tf_checkpoint

    if tf_checkpoint.has_only_tf_weights(source):
        module, _ = tf_checkpoint.load_tf_checkpoint(
            source, TASKS[key], save_converted=save_converted, **options
        )
        return HFModel(module, name=name)
    try:
        module = auto_cls.from_pretrained(source, **options)
    except OSError as exc:
        snapshot = tf_checkpoint.hub_tf_snapshot(source, options)  # a TF-only Hub repository
        if snapshot is not None:
            if save_converted:
                raise InputError(
                    f"save_converted=True writes into a local folder, and {source!r} is a Hub "
                    f"repository. Convert its snapshot instead: torchbridge convert {snapshot} "
                    "OUT_DIR."
                ) from None
            module, _ = tf_checkpoint.load_tf_checkpoint(snapshot, TASKS[key], **options)
            return HFModel(module, name=name)
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        hint = (
            " HF_HUB_OFFLINE is set, so only local directories and models already in the "
            "Hugging Face cache can be loaded."
            if offline
            else ""
        )
        raise InputError(
            f"Could not load a {key} model from {source!r}: {exc}.{hint} Pass the path of a "
            "directory holding config.json and the weights (e.g. one written by "
            "save_pretrained)."
        ) from exc
    return HFModel(module, name=name)
