"""``torchbridge.hf.from_pretrained``: a checkpoint → an :class:`~torchbridge.hf.HFModel`
built by the task's ``AutoModelFor...`` class (or any Auto / model class given as ``task``),
with TensorFlow-only checkpoints converted on the fly, and a ``peft`` adapter added
(``lora=`` / ``peft_config=``) or loaded (a folder holding ``adapter_config.json``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from torchbridge.errors import InputError, UnknownNameError
from torchbridge.hf._imports import require_transformers
from torchbridge.hf.input_checks import CLASSIFICATION
from torchbridge.hf.model import _TASK_ALIASES, TASKS, HFModel

__all__ = ["from_pretrained"]


def _resolve_task(task: Any) -> tuple[str | None, Any]:
    """``task`` (a name, or any ``transformers`` Auto / model class) → (task name or
    ``None``, the class whose ``from_pretrained`` builds the model)."""
    transformers = require_transformers("torchbridge.hf.from_pretrained")
    if isinstance(task, type):
        if not callable(getattr(task, "from_pretrained", None)):
            raise InputError(
                f"task={task.__name__} has no from_pretrained(): pass a task name "
                f"({list(TASKS)}) or a transformers class such as AutoModelForMultipleChoice."
            )
        by_class = {auto: key for key, auto in TASKS.items()}
        return by_class.get(task.__name__), task
    if not isinstance(task, str):
        raise InputError(
            f"task must be a task name ({list(TASKS)}) or a transformers Auto class, got "
            f"{type(task).__name__}."
        )
    key = task.lower().replace("_", "-")
    key = _TASK_ALIASES.get(key, key)
    if key not in TASKS:
        raise UnknownNameError("task", task, list(TASKS) + list(_TASK_ALIASES))
    return key, getattr(transformers, TASKS[key])


def from_pretrained(
    path_or_name: str | os.PathLike[str],
    task: Any = "sequence-classification",
    num_labels: int | None = None,
    id2label: Mapping[int, str] | Sequence[str] | None = None,
    label2id: Mapping[str, int] | None = None,
    name: str | None = None,
    save_converted: bool = False,
    lora: Mapping[str, Any] | None = None,
    peft_config: Any = None,
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

    ``lora=dict(r=8, ...)`` (``peft.LoraConfig``'s arguments) or ``peft_config=`` (any
    ``peft`` config: LoRA, prefix tuning ...) wraps the model with ``peft``
    (:func:`torchbridge.hf.peft_support.apply_peft`): only the adapter trains. A local
    folder holding a ``peft`` adapter (``adapter_config.json``, as ``save`` writes for a
    model with an adapter) loads its base model and the adapter, trainable.
    """
    key, auto_cls = _resolve_task(task)
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
        if key is not None and key not in CLASSIFICATION:
            raise InputError(
                f"num_labels / id2label apply to classification tasks {list(CLASSIFICATION)}, "
                f"not {key!r}."
            )
        options["num_labels"] = int(num_labels)
    if id2label is not None:
        options["id2label"] = id2label
    if label2id is not None:
        options["label2id"] = {str(k): int(v) for k, v in label2id.items()}
    options.update(kwargs)
    source = os.fspath(path_or_name)
    module = _load_module(source, key, auto_cls, save_converted, options)
    if lora is not None or peft_config is not None:
        from torchbridge.hf.peft_support import apply_peft

        module = apply_peft(
            module, lora=lora, peft_config=peft_config, task_type=... if key is None else key
        )
    return HFModel(module, name=name)


def _load_module(
    source: str, key: str | None, auto_cls: Any, save_converted: bool, options: dict[str, Any]
) -> Any:
    auto_name = auto_cls.__name__
    from torchbridge.hf import peft_support, tf_checkpoint

    if peft_support.is_adapter_folder(source):
        return peft_support.load_adapter_model(source, auto_cls, options)
    if tf_checkpoint.has_only_tf_weights(source):
        module, _ = tf_checkpoint.load_tf_checkpoint(
            source, auto_name, save_converted=save_converted, **options
        )
        return module
    try:
        return auto_cls.from_pretrained(source, **options)
    except OSError as exc:
        snapshot = tf_checkpoint.hub_tf_snapshot(source, options)  # a TF-only Hub repository
        if snapshot is not None:
            if save_converted:
                raise InputError(
                    f"save_converted=True writes into a local folder, and {source!r} is a Hub "
                    f"repository. Convert its snapshot instead: torchbridge convert {snapshot} "
                    "OUT_DIR."
                ) from None
            module, _ = tf_checkpoint.load_tf_checkpoint(snapshot, auto_name, **options)
            return module
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        hint = (
            " HF_HUB_OFFLINE is set, so only local directories and models already in the "
            "Hugging Face cache can be loaded."
            if offline
            else ""
        )
        raise InputError(
            f"Could not load a {key or auto_name} model from {source!r}: {exc}.{hint} Pass the path of a "
            "directory holding config.json and the weights (e.g. one written by "
            "save_pretrained)."
        ) from exc
