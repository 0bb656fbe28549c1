"""Parameter-efficient fine-tuning (``peft``) for Hugging Face models and the task models.

::

    clf = hf.TokenClassifier.from_pretrained(path, label_names=tags, lora=dict(r=8))
    lm = hf.CausalLM.from_pretrained(path, peft_config=peft.PrefixTuningConfig(...))
    model = hf.wrap(peft.get_peft_model(base, config))     # a PeftModel fits unchanged
    lm.save("adapter")          # adapter_config.json + adapter weights + the task's files
    lm.merge_and_save("merged") # the adapter merged into the weights: a plain transformers folder

* :func:`apply_peft` wraps a ``transformers`` model with ``peft``: ``lora=dict(r=8, ...)``
  builds a ``peft.LoraConfig`` with the task's ``TaskType`` (which keeps a new
  classification head trainable and saved) and ``target_modules`` from peft's own
  per-architecture table, or ``"all-linear"`` for an architecture it does not list;
  ``peft_config=`` takes any ``PeftConfig`` (LoRA, prefix tuning, IA3 ...) as it is.
  Only the adapter's parameters keep ``requires_grad``, so only they train.
* :func:`load_adapter_model` loads a folder written by ``PeftModel.save_pretrained``
  (the base model named in its ``adapter_config.json``, then the adapter, trainable).
* :func:`merge_and_save` merges a LoRA-style adapter into a copy of the base model and
  saves the task model with it (the task model keeps its adapter).

``peft`` is an optional dependency, imported only when one of these is used.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from typing import Any

from torch import nn

from torchbridge.errors import InputError
from torchbridge.hf._imports import require

__all__ = [
    "ADAPTER_CONFIG",
    "apply_peft",
    "base_model_of",
    "is_adapter_folder",
    "is_peft_model",
    "load_adapter_model",
    "merge_and_save",
    "merged_module",
]

ADAPTER_CONFIG = "adapter_config.json"
# torchbridge task names → peft TaskType names (None: peft's plain PeftModel).
_TASK_TYPES: dict[str | None, str | None] = {
    "sequence-classification": "SEQ_CLS",
    "token-classification": "TOKEN_CLS",
    "question-answering": "QUESTION_ANS",
    "causal-lm": "CAUSAL_LM",
    "seq2seq-lm": "SEQ_2_SEQ_LM",
    "feature-extraction": "FEATURE_EXTRACTION",
    "masked-lm": None,
    "multiple-choice": None,
    None: None,
}


def _peft(feature: str) -> Any:
    try:
        return require("peft", feature)
    except ImportError as exc:
        raise ImportError(
            f"{feature} needs the optional package 'peft', which is not installed: pip install peft"
        ) from exc


def is_peft_model(module: Any) -> bool:
    """True for a ``peft.PeftModel`` (checked without importing peft)."""
    return any(
        cls.__name__ == "PeftModel" and cls.__module__.startswith("peft.")
        for cls in type(module).__mro__
    )


def base_model_of(module: Any) -> Any:
    """The ``transformers`` model inside a ``PeftModel`` (``module`` itself otherwise)."""
    if is_peft_model(module):
        return module.get_base_model()
    return module


def _task_type(task_type: Any, model: nn.Module) -> Any:
    """``task_type`` (a torchbridge task name, a peft ``TaskType`` or its name, or ``...``:
    inferred from the model's class) → a peft ``TaskType`` or ``None``."""
    peft = _peft("torchbridge.hf.apply_peft")
    if task_type is ...:
        from torchbridge.hf.model import infer_task

        task_type = infer_task(model)
    if task_type is None or isinstance(task_type, peft.TaskType):
        return task_type
    if isinstance(task_type, str):
        if task_type in _TASK_TYPES:
            name = _TASK_TYPES[task_type]
            return None if name is None else peft.TaskType(name)
        if task_type.upper() in peft.TaskType.__members__:
            return peft.TaskType(task_type.upper())
    raise InputError(
        f"task_type={task_type!r} is not a task: give a torchbridge task name "
        f"({[k for k in _TASK_TYPES if k]}) or a peft.TaskType."
    )


def _lora_config(lora: Mapping[str, Any], task_type: Any, model: nn.Module) -> Any:
    peft = _peft("lora=")
    options = dict(lora)
    if task_type is not None:
        options.setdefault("task_type", task_type)
    elif isinstance(getattr(model, "classifier", None), nn.Module):
        # No peft task type keeps the head (multiple choice, image classification): a new
        # head must train and be saved with the adapter.
        options.setdefault("modules_to_save", ["classifier"])
    if options.get("target_modules") is None:
        from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as table

        model_type = getattr(getattr(model, "config", None), "model_type", None)
        if model_type not in table:  # peft has no entry for it: every linear layer but the head
            options["target_modules"] = "all-linear"
    if "fan_in_fan_out" not in options and any(
        type(m).__name__ == "Conv1D" and type(m).__module__.startswith("transformers.")
        for m in model.modules()
    ):  # GPT-2's attention and MLP layers store their weights transposed
        options["fan_in_fan_out"] = True
    try:
        return peft.LoraConfig(**options)
    except TypeError as exc:
        raise InputError(
            f"lora={dict(lora)!r}: {exc}. Give peft.LoraConfig's arguments (r, lora_alpha, "
            "lora_dropout, target_modules, modules_to_save ...)."
        ) from exc


def apply_peft(
    pretrained_model: nn.Module,
    *,
    lora: Mapping[str, Any] | None = None,
    peft_config: Any = None,
    task_type: Any = ...,
) -> nn.Module:
    """``peft.get_peft_model`` of ``pretrained_model`` with ``lora`` (``LoraConfig``'s
    arguments as a dict) or ``peft_config`` (any ``PeftConfig``). ``task_type``: a
    torchbridge task name or a peft ``TaskType``; by default inferred from the model."""
    if lora is not None and peft_config is not None:
        raise InputError(
            "Pass lora= or peft_config=, not both (lora=dict(...) builds a LoraConfig)."
        )
    if lora is None and peft_config is None:
        raise InputError("apply_peft needs lora=dict(r=8, ...) or peft_config=a peft config.")
    if is_peft_model(pretrained_model):
        raise InputError(
            f"{type(pretrained_model).__name__} already has a peft adapter: wrap it as it is "
            "(hf.wrap(model)) or start from the base model."
        )
    peft = _peft("torchbridge.hf.apply_peft")
    kind = _task_type(task_type, pretrained_model)
    if lora is not None:
        if not isinstance(lora, Mapping):
            raise InputError(
                f"lora must be a dict of peft.LoraConfig arguments (e.g. dict(r=8)), got "
                f"{type(lora).__name__}; pass a config object as peft_config=."
            )
        config = _lora_config(lora, kind, pretrained_model)
    else:
        if not isinstance(peft_config, peft.PeftConfig):
            raise InputError(
                f"peft_config must be a peft config (peft.LoraConfig, PrefixTuningConfig ...), "
                f"got {type(peft_config).__name__}; for LoRA arguments as a dict use lora=."
            )
        config = peft_config
        if config.task_type is None and kind is not None:
            config = copy.copy(config)
            config.task_type = kind
    try:
        return peft.get_peft_model(pretrained_model, config)
    except ValueError as exc:
        raise InputError(
            f"peft could not add the adapter to {type(pretrained_model).__name__}: {exc} "
            "Name the layers to adapt with target_modules=[...] (or 'all-linear')."
        ) from exc


def is_adapter_folder(source: str) -> bool:
    """A local folder holding a peft adapter (``adapter_config.json``)."""
    return os.path.isfile(os.path.join(source, ADAPTER_CONFIG))


def load_adapter_model(source: str, auto_cls: Any, options: Mapping[str, Any]) -> nn.Module:
    """The base model named in ``source``'s ``adapter_config.json`` (built by ``auto_cls``
    with ``options``) with the adapter loaded, trainable. A task model's label names saved
    in its ``torchbridge.json`` size the base model's head when ``options`` do not."""
    peft = _peft("loading a peft adapter folder")
    with open(os.path.join(source, ADAPTER_CONFIG), encoding="utf-8") as f:
        base_path = json.load(f).get("base_model_name_or_path")
    if not base_path:
        raise InputError(
            f"{source!r} holds a peft adapter whose adapter_config.json names no base model "
            "(base_model_name_or_path): set it to the base checkpoint's folder or Hub name."
        )
    options = dict(options)
    meta_path = os.path.join(source, "torchbridge.json")
    if "num_labels" not in options and os.path.isfile(meta_path):
        with open(meta_path, encoding="utf-8") as f:
            names = json.load(f).get("label_names")
        if isinstance(names, list) and names:
            options["id2label"] = {i: str(n) for i, n in enumerate(names)}
            options["label2id"] = {str(n): i for i, n in enumerate(names)}
            options["num_labels"] = len(names)
            options.setdefault("ignore_mismatched_sizes", True)
    try:
        base = auto_cls.from_pretrained(base_path, **options)
    except OSError as exc:
        raise InputError(
            f"{source!r} is a peft adapter for the base model {base_path!r}, which could not be "
            f"loaded ({exc}). Make the base checkpoint available there, or edit "
            "base_model_name_or_path in its adapter_config.json."
        ) from exc
    # get_peft_model + the saved weights rather than PeftModel.from_pretrained(is_trainable=True),
    # which refuses prompt-learning adapters (prefix tuning) and so could not train them on.
    config = peft.PeftConfig.from_pretrained(source)
    config.inference_mode = False
    model = peft.get_peft_model(base, config)
    peft.set_peft_model_state_dict(model, peft.load_peft_weights(source, device="cpu"))
    return model


def merged_module(module: Any) -> nn.Module:
    """A copy of the ``transformers`` model with ``module``'s adapter merged into its weights
    (``merge_and_unload``); ``module`` keeps its adapter."""
    if not is_peft_model(module):
        raise InputError(
            f"{type(module).__name__} has no peft adapter to merge: load it with lora= or "
            "peft_config=, or save it with save()."
        )
    config = module.peft_config.get(module.active_adapter)
    if getattr(config, "is_prompt_learning", False) or not hasattr(module, "merge_and_unload"):
        raise InputError(
            f"A {type(config).__name__} adapter cannot be merged into the weights (prompt "
            "learning adds virtual tokens): use save(), which writes the adapter that "
            "peft.PeftModel.from_pretrained loads."
        )
    twin: Any = copy.deepcopy(module)
    merged: nn.Module = twin.merge_and_unload()
    merged.train(module.training)
    return merged


def merge_and_save(task_model: Any, directory: str | os.PathLike[str]) -> None:
    """Save ``task_model`` (a torchbridge task model, or an :class:`HFModel`) with its adapter
    merged into the weights: the folder its ``save`` writes, holding a plain ``transformers``
    model (``pipeline(...)`` and the Auto classes load it without peft)."""
    from torchbridge.hf.model import HFModel

    if isinstance(task_model, HFModel):
        HFModel(merged_module(task_model.module)).save_pretrained(directory)
        return
    inner = getattr(task_model, "model", None)
    if not isinstance(inner, HFModel) or not callable(getattr(task_model, "save", None)):
        raise InputError(
            f"merge_and_save takes a torchbridge task model or an HFModel, got "
            f"{type(task_model).__name__}."
        )
    flat = HFModel(merged_module(inner.module), name=inner.name)
    task_model.model = flat
    try:
        task_model.save(directory)
    finally:
        task_model.model = inner
