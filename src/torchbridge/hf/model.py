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
* ``predict`` returns the logits as NumPy; batches of different sequence lengths
  give a list of per-example arrays, or one array padded with ``padding_value``
  (:mod:`torchbridge.hf.ragged`). Encoder-decoder models predict teacher-forced on
  the labels; :meth:`HFModel.generate` writes new text.
* ``x`` may be rows of token lists (padded per batch), and ``fit(collate_fn=...)``
  takes a ``transformers`` data collator.
* ``model.save("m.keras")`` / ``ModelCheckpoint`` files load with ``load_model``
  (:mod:`torchbridge.hf.keras_file`). :func:`torchbridge.hf.from_pretrained` lives
  in :mod:`torchbridge.hf.pretrained`.

Bad input is caught before the forward pass with an error that names the fix
(:mod:`torchbridge.hf.input_checks`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from torchbridge import tree
from torchbridge.errors import InputError
from torchbridge.hf._imports import is_pretrained_model
from torchbridge.hf.input_checks import COMMON_KWARGS, IGNORE_INDEX, InputChecks, describe
from torchbridge.hf.keras_file import build_hf_module, hf_model_config
from torchbridge.hf.peft_support import base_model_of
from torchbridge.hf.ragged import BatchOutput, concat_predictions, is_row_data, rows_loader
from torchbridge.models.model import Model
from torchbridge.models.wrap_registry import register_wrapper
from torchbridge.models.wrapped import WrappedModel
from torchbridge.saving.object_registration import register_keras_serializable
from torchbridge.training.data_adapter import unpack_x_y_sample_weight

__all__ = ["HFModel", "TASKS", "WRAPPER_NAME", "infer_task", "wrap"]

WRAPPER_NAME = "huggingface_transformers"  # HFModel's entry in models.wrap_registry

# task → the transformers Auto class that builds its model.
TASKS: dict[str, str] = {
    "sequence-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "question-answering": "AutoModelForQuestionAnswering",
    "causal-lm": "AutoModelForCausalLM",
    "masked-lm": "AutoModelForMaskedLM",
    "seq2seq-lm": "AutoModelForSeq2SeqLM",
    "multiple-choice": "AutoModelForMultipleChoice",
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
# Label entries Hugging Face models take (ignored positions are -100 everywhere).
_QA_LABELS = ("start_positions", "end_positions")
# Tasks whose labels are one class id per token (-100: not scored).
_TOKEN_LEVEL = ("token-classification", "causal-lm", "masked-lm", "seq2seq-lm")
# Keras's fit arguments after batch_size, in order.
_FIT_ARGS = ("epochs", "verbose", "callbacks", "validation_split", "validation_data", "shuffle")


def infer_task(module: nn.Module) -> str | None:
    """The task of a transformers model from its class (``None`` for a bare encoder); a
    ``peft.PeftModel``'s is its base model's."""
    module = base_model_of(module)
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
    if name.endswith("ForMultipleChoice"):
        return "multiple-choice"
    if getattr(config, "is_encoder_decoder", False) and (
        name.endswith("ForConditionalGeneration") or name.endswith("LMHeadModel")
    ):
        return "seq2seq-lm"
    if name.endswith("ForCausalLM") or name.endswith("LMHeadModel"):
        return "causal-lm"
    return None


def _mask_ignored(y: Tensor, y_pred: Any) -> Tensor:
    """Positions labelled -100 do not count in the metrics (as in the model's own loss):
    Keras's way, a mask riding on the predictions (``y_pred._keras_mask``), which every
    metric honours — ``weighted_metrics`` multiply it with the sample weights."""
    keep = y != IGNORE_INDEX
    if isinstance(y_pred, Tensor) and y_pred.ndim == keep.ndim + 1:
        y_pred._keras_mask = keep  # type: ignore[attr-defined]
    return torch.where(keep, y, torch.zeros_like(y))


def _transformers_kwargs() -> frozenset[str]:
    try:
        from transformers.utils.generic import TransformersKwargs
    except ImportError:  # older transformers: the forward names its arguments
        return frozenset()
    return frozenset(getattr(TransformersKwargs, "__annotations__", {}))


@register_keras_serializable(package="torchbridge.hf")
class HFModel(InputChecks, WrappedModel):
    """Keras's training API around a ``transformers.PreTrainedModel`` (kept under ``.module``)."""

    def __init__(self, module: nn.Module, name: str | None = None) -> None:
        if not is_pretrained_model(base_model_of(module)):
            raise TypeError(
                f"HFModel wraps a transformers.PreTrainedModel, got {type(module).__name__}. "
                "For any other torch module use torchbridge.Model.wrap(module)."
            )
        super().__init__(module, name=name)
        self.task: str | None = infer_task(module)
        # A peft.PeftModel forwards its keyword arguments to the base model: the inputs are
        # the base model's.
        params = inspect.signature(base_model_of(module).forward).parameters
        named = [
            n
            for n, p in params.items()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and n != "self"
        ]
        var_kw = [p for p in params.values() if p.kind is p.VAR_KEYWORD]
        self._forward_inputs: list[str] = named
        # The keys x may hold; None: anything (a custom forward taking **kwargs).
        allowed = frozenset(named) | COMMON_KWARGS
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
        self._ragged_predict = False  # predict_step hands whole batches to concat_predictions

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
            f"model(**x)), got {describe(x)}. Give x as e.g. dict(tokenizer(texts, "
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
                if y is None:
                    y = x[label_keys[0]] if len(label_keys) == 1 else None
                x = {k: v for k, v in x.items() if k not in in_x}
            if self.task == "seq2seq-lm" and "decoder_input_ids" not in x:
                if not isinstance(y, Tensor):
                    raise InputError(
                        f"predict of {type(self.module).__name__} (an encoder-decoder) needs "
                        "what the decoder reads: give the target token ids as y (or 'labels' "
                        "in x) for teacher-forced logits, or decoder_input_ids in x. To write "
                        "new text, call model.generate(x, max_new_tokens=...)."
                    )
                x = {**x, "decoder_input_ids": self._decoder_inputs(y)}
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
            f"pass y as a list [{', '.join(keys)}] or a dict, got {describe(y)}."
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
        if self.task in _TOKEN_LEVEL and isinstance(y, Tensor) and not y.is_floating_point():
            y = _mask_ignored(y, y_pred)
            if isinstance(sample_weight, Tensor) and 0 < sample_weight.ndim < y.ndim:
                # one weight per example → per token, to combine with the mask
                extra = (1,) * (y.ndim - sample_weight.ndim)
                sample_weight = sample_weight.reshape(*sample_weight.shape, *extra).expand_as(y)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def train_step(self, data: Any) -> Mapping[str, Any]:
        return super().train_step(self._prepare(data, "train"))

    def test_step(self, data: Any) -> Mapping[str, Any]:
        return super().test_step(self._prepare(data, "test"))

    def predict_step(self, data: Any) -> Any:
        out = super().predict_step(self._prepare(data, "predict"))
        if not self._ragged_predict:
            return out
        # Kept whole (on the CPU) so predict can join batches of different lengths.
        return BatchOutput(
            tree.map_structure(lambda t: t.detach().cpu() if isinstance(t, Tensor) else t, out)
        )

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
        *,
        padding_value: float | None = None,
    ) -> Any:
        """The logits as NumPy (for question answering ``[start_logits, end_logits]``).

        torchbridge extension: when batches differ in sequence length (token-level
        outputs), the result is a list of per-example arrays (Keras's ragged rows), or
        one array padded with ``padding_value`` (see :mod:`torchbridge.hf.ragged`).
        ``x`` may also be rows of token lists, padded per batch.
        """
        self._checked.discard("predict")
        if is_row_data(x):
            x = rows_loader(x, None, batch_size, False, None, self._pad_token_id())
        self._ragged_predict = True
        try:
            out = super().predict(x, batch_size, verbose, steps, callbacks)
        finally:
            self._ragged_predict = False
        return concat_predictions(out, padding_value)

    def fit(  # type: ignore[override]
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        *args: Any,
        collate_fn: Callable[[list[dict[str, Any]]], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit``. torchbridge extension: ``x`` may be rows of token lists (a dict
        of columns of Python lists, or a list of row dicts), padded per batch, and the
        keyword-only ``collate_fn`` (e.g. a ``transformers`` data collator) builds each
        batch from the row dicts instead (see :mod:`torchbridge.hf.ragged`)."""
        if collate_fn is not None or is_row_data(x):
            kwargs.update(zip(_FIT_ARGS, args, strict=False))  # Keras's order after batch_size
            args = ()
            shuffle = kwargs.pop("shuffle", True)
            x = self._rows_data(x, y, batch_size, shuffle is True, collate_fn)
            y, batch_size = None, None
            val = kwargs.get("validation_data")
            if isinstance(val, (tuple, list)) and val and is_row_data(val[0]):
                kwargs["validation_data"] = rows_loader(
                    val[0], val[1] if len(val) > 1 else None, None, False, collate_fn,
                    self._pad_token_id(),
                )  # fmt: skip
        return super().fit(x, y, batch_size, *args, **kwargs)

    def evaluate(  # type: ignore[override]
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        *args: Any,
        collate_fn: Callable[[list[dict[str, Any]]], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``evaluate``; rows of token lists and ``collate_fn`` as in :meth:`fit`."""
        if collate_fn is not None or is_row_data(x):
            x = self._rows_data(x, y, batch_size, False, collate_fn)
            y, batch_size = None, None
        return super().evaluate(x, y, batch_size, *args, **kwargs)

    def _rows_data(
        self, x: Any, y: Any, batch_size: int | None, shuffle: bool, collate_fn: Any
    ) -> Any:
        """Rows → batches: a ``datasets.Dataset`` through ``prepare_dataset`` (Arrow reads,
        its label column becomes y), other rows through :func:`rows_loader`."""
        from torchbridge.hf.text_batches import hf_dataset_kind

        if hf_dataset_kind(x) is not None:
            from torchbridge.hf.prepare import prepare_dataset

            if y is not None:
                raise InputError(
                    "When x is a datasets.Dataset, the labels come from its 'label' / "
                    "'labels' column; do not pass y."
                )
            return prepare_dataset(
                x, batch_size=batch_size or 32, shuffle=shuffle, collate_fn=collate_fn, model=self
            )
        return rows_loader(x, y, batch_size, shuffle, collate_fn, self._pad_token_id())

    def _pad_token_id(self) -> int | None:
        pad = getattr(self.config, "pad_token_id", None)
        return pad if isinstance(pad, int) else None

    # --- generation and Keras files ---------------------------------------------------------------
    def generate(self, inputs: Any = None, **kwargs: Any) -> Any:
        """``PreTrainedModel.generate`` with the model's generation config: ``inputs`` is a
        dict of tensors / arrays (the tokenizer's output) or the ``input_ids``; the other
        keyword arguments (``max_new_tokens``, ``num_beams``, ``do_sample``,
        ``generation_config`` ...) pass through. Runs in eval mode without gradients on
        the model's device; returns what ``generate`` returns (token ids as a tensor)."""
        module: Any = self.module
        if (
            not callable(getattr(module, "generate", None))
            or not getattr(module, "can_generate", lambda: False)()
        ):
            raise InputError(
                f"{type(module).__name__} cannot generate text: load a model with a language "
                "modeling head (task='causal-lm' or 'seq2seq-lm')."
            )
        device = self.device
        if inputs is None:
            batch: dict[str, Any] = {}
        elif isinstance(inputs, Mapping):
            batch = dict(inputs)
        else:
            batch = {self.main_input_name: inputs}
        batch = {
            k: (
                torch.as_tensor(v).to(device)
                if not isinstance(v, (str, bool)) and v is not None
                else v
            )
            for k, v in batch.items()
        }
        kwargs = {k: (v.to(device) if isinstance(v, Tensor) else v) for k, v in kwargs.items()}
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                return module.generate(**batch, **kwargs)
        finally:
            module.train(was_training)

    def get_config(self) -> dict[str, Any]:
        """The ``transformers`` architecture and config (:mod:`torchbridge.hf.keras_file`)."""
        return hf_model_config(self.module, self.name)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], custom_objects: Any = None) -> HFModel:
        """A new :class:`HFModel` of the architecture ``config`` names (random weights)."""
        return cls(build_hf_module(config), name=config.get("name"))

    def extra_repr(self) -> str:
        task = f", task={self.task!r}" if self.task else ""
        return f"wrapping {type(self.module).__name__}{task}"


# Model.wrap(transformers_model) builds an HFModel; the engine's lazy entry for the
# "transformers" package imports this module when such a model is wrapped first.
def _is_hf_model(module: nn.Module) -> bool:
    """A ``transformers`` model, bare or inside a ``peft.PeftModel``."""
    return is_pretrained_model(base_model_of(module))


register_wrapper(WRAPPER_NAME, _is_hf_model, HFModel)


def wrap(model: nn.Module, name: str | None = None) -> Model:
    """``Model.wrap`` for a ``transformers.PreTrainedModel``: an :class:`HFModel`."""
    if isinstance(model, Model):
        return model
    if not is_pretrained_model(base_model_of(model)):
        raise TypeError(
            f"torchbridge.hf.wrap takes a transformers.PreTrainedModel, got "
            f"{type(model).__name__}; use torchbridge.Model.wrap(module) for other modules."
        )
    return HFModel(model, name=name)


def __getattr__(name: str) -> Any:
    """``torchbridge.hf.model.from_pretrained`` (it lives in :mod:`torchbridge.hf.pretrained`)."""
    if name == "from_pretrained":
        from torchbridge.hf.pretrained import from_pretrained

        return from_pretrained
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
