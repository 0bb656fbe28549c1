"""Hugging Face checkpoints trained with TensorFlow (``tf_model.h5``) loaded into PyTorch models.

transformers 5 no longer has its TensorFlow classes nor ``from_tf``, so a Hub
folder holding only ``tf_model.h5`` (with ``config.json`` and tokenizer files)
cannot be loaded by transformers itself. This module reads the file with h5py
and maps every TensorFlow tensor onto the PyTorch model's ``state_dict`` the way
transformers 4's PT↔TF utilities did:

* names: the top-level scope (the TF model's name) and ``:0`` are dropped,
  ``a___b`` keeps ``b``, ``layer_._3`` is ``layer.3``, ``/`` is ``.``;
  ``kernel`` / ``embeddings`` / ``gamma`` → ``weight``, ``beta`` → ``bias``;
* layouts: a 2-D ``kernel`` (Keras ``Dense``, ``(in, out)``) is transposed to
  ``nn.Linear``'s ``(out, in)``; 3-D / 4-D conv kernels are permuted; any other
  tensor (embeddings, GPT-2's ``Conv1D`` ``weight``, which is ``(in, out)`` on
  both sides) is kept as it is; a size-preserving squeeze/reshape fits the rest;
* the base-model prefix: TF names always carry it (``bert/...``); for a bare
  PyTorch encoder (whose keys lack ``bert.``) it is removed;
* tied weights (an LM head sharing the input embeddings, absent from the TF
  file) are filled from the tensor they share.

:mod:`torchbridge.hf.tf_weights` reads the files safely (``tf_model.h5``, its
shards, or a TF-format ``model.safetensors``): only hard links, plain numeric
datasets stored in the file, declared sizes bounded by the file's size, every
name and shape checked before a byte of data is read; nothing is executed.
:func:`load_tf_checkpoint` builds the model from ``config.json`` with the
transformers Auto class asked for and loads the converted weights;
:class:`ConversionReport` lists every tensor mapped, tied, missing, unexpected;
:func:`hub_tf_snapshot` fetches the files of a Hub repository that has TF weights only.
``torchbridge convert HF_TF_DIR OUT_DIR`` lives in :mod:`torchbridge.hf.tf_convert`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError, SavedFormatError
from torchbridge.hf.tf_weights import TF_WEIGHTS_NAME, find_tf_weights, read_tf_weights

__all__ = [
    "TF_WEIGHTS_NAME",
    "ConversionReport",
    "TensorMapping",
    "convert_state_dict",
    "has_only_tf_weights",
    "hub_tf_snapshot",
    "load_tf_checkpoint",
    "read_tf_weights",
    "save_safetensors",
    "tf_name_to_pt",
]

_log = logging.getLogger(__name__)


# --- names and layouts ----------------------------------------------------------------------------


def tf_name_to_pt(tf_name: str, ndim: int, prefix_to_remove: str = "") -> tuple[str, str]:
    """The PyTorch ``state_dict`` key of a TF weight and how its layout changes.

    Returns ``(key, layout)``; ``layout`` is ``"transpose"`` (a Dense kernel),
    ``"conv1d"`` / ``"conv2d"`` (conv kernels, permuted) or ``"keep"``.
    """
    name = tf_name.replace(":0", "")
    name = re.sub(r"/[^/]*___([^/]*)/", r"/\1/", name)  # "mlm___cls" → "cls"
    name = name.replace("_._", "/")  # "layer_._0" → "layer/0"
    parts = [p for p in name.split("/") if p]
    if len(parts) > 1:
        parts = parts[1:]  # the TF model's own scope
    last = parts[-1]
    if last == "kernel":
        layout = {3: "conv1d", 4: "conv2d"}.get(ndim, "transpose")
    elif last in ("pointwise_kernel", "depthwise_kernel") or any(
        p in ("emb_projs", "out_projs") for p in parts
    ):
        layout = "transpose"
    else:
        layout = "keep"
    if last in ("kernel", "embeddings", "gamma"):
        parts[-1] = "weight"
    elif last == "beta":
        parts[-1] = "bias"
    elif last in ("pointwise_kernel", "depthwise_kernel"):
        parts[-1] = last.replace("_kernel", ".weight")
    key = ".".join(parts)
    if prefix_to_remove and key.startswith(prefix_to_remove):
        key = key[len(prefix_to_remove) :]
    return key, layout


def _to_pt_layout(array: np.ndarray, layout: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """``array`` in PyTorch's layout and ``shape``; None when the sizes cannot match."""
    if layout == "conv2d":
        array = np.transpose(array, (3, 2, 0, 1))
    elif layout == "conv1d":
        array = np.transpose(array, (2, 1, 0))
    elif layout == "transpose":
        array = np.transpose(array)
    if tuple(array.shape) == shape:
        return np.ascontiguousarray(array)
    if array.size != int(np.prod(shape, dtype=np.int64)):
        return None
    return np.ascontiguousarray(array.reshape(shape))


# --- the report ------------------------------------------------------------------------------------


@dataclass
class TensorMapping:
    """One TF tensor and the PyTorch key it became."""

    tf_name: str
    pt_name: str
    tf_shape: tuple[int, ...]
    pt_shape: tuple[int, ...]
    layout: str  # "transpose", "conv1d", "conv2d" or "keep"


@dataclass
class ConversionReport:
    """Every tensor of a TF checkpoint conversion: mapped, tied, missing, unexpected."""

    source: str
    model_class: str
    mapped: list[TensorMapping] = field(default_factory=list)
    tied: list[tuple[str, str]] = field(default_factory=list)  # (key, the key it shares)
    missing: list[str] = field(default_factory=list)  # PyTorch keys newly initialised
    unexpected: list[str] = field(default_factory=list)  # TF tensors not used
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    def format(self) -> str:
        """One line per tensor, as ``torchbridge convert`` prints it."""
        lines = [
            f"source: {self.source} (TensorFlow checkpoint) -> {self.model_class}",
            f"tensors mapped: {len(self.mapped)}, tied: {len(self.tied)}, "
            f"missing: {len(self.missing)}, unexpected: {len(self.unexpected)}"
            + (f", size mismatch: {len(self.mismatched)}" if self.mismatched else ""),
        ]
        for m in self.mapped:
            how = "" if m.layout == "keep" else f" [{m.layout}]"
            lines.append(f"  {m.tf_name} {m.tf_shape} -> {m.pt_name} {m.pt_shape}{how}")
        lines += [f"  tied: {key} = {source}" for key, source in self.tied]
        lines += [f"  missing (newly initialised): {key}" for key in self.missing]
        lines += [f"  unexpected (not used): {name}" for name in self.unexpected]
        lines += [
            f"  size mismatch (newly initialised): {key} checkpoint {a} vs model {b}"
            for key, a, b in self.mismatched
        ]
        return "\n".join(lines)


def _tied_groups(model: nn.Module) -> dict[str, list[str]]:
    """state_dict key → every key holding the same tensor (tied weights), in order."""
    groups: dict[int, list[str]] = {}
    for key, tensor in model.state_dict(keep_vars=True).items():
        groups.setdefault(id(tensor), []).append(key)
    return {key: keys for keys in groups.values() for key in keys}


def convert_state_dict(
    tf_weights: dict[str, np.ndarray],
    model: nn.Module,
    source: str = TF_WEIGHTS_NAME,
    ignore_mismatched_sizes: bool = False,
    allow_narrowing: bool = False,
    consume: bool = False,
) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """Map TF tensors onto ``model``'s ``state_dict`` (``model`` may live on the meta device).

    A tensor whose size does not fit its key raises
    :class:`~torchbridge.errors.SavedFormatError` naming both, unless
    ``ignore_mismatched_sizes`` (then that key is left to its initialisation).
    Floats narrower than the model's are widened to its dtype; wider ones (a float64
    checkpoint into a float32 model) raise unless ``allow_narrowing`` (then they are
    kept as they are, for ``from_pretrained(dtype=...)`` to cast). ``consume=True``
    empties ``tf_weights`` as it goes, so a transposed copy never coexists with its
    source for long (peak memory about twice the checkpoint, not three times).
    """
    targets = model.state_dict(keep_vars=True)
    prefix = str(getattr(model, "base_model_prefix", "") or "")
    remove = ""
    if prefix and not any(k.startswith(prefix) for k in targets):
        remove = prefix + "."  # a bare encoder: its keys lack "bert." that TF names carry
    by_key: dict[str, tuple[str, str]] = {}
    for tf_name, array in tf_weights.items():
        key, layout = tf_name_to_pt(tf_name, array.ndim, remove)
        by_key.setdefault(key, (tf_name, layout))
    report = ConversionReport(source=source, model_class=type(model).__name__)
    groups = _tied_groups(model)
    state: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    done: dict[str, str] = {}  # first key of a tied group → the key loaded
    for key, target in targets.items():
        group = groups[key]
        if group[0] in done:  # tied to a tensor loaded already (an LM head and its embeddings)
            report.tied.append((key, done[group[0]]))
            continue
        found = next((k for k in [key, *group] if k in by_key), None)
        if found is None:
            report.missing.append(key)
            continue
        tf_name, layout = by_key[found]
        array = tf_weights[tf_name]
        if consume:
            tf_weights[tf_name] = np.empty(0, array.dtype)  # the name stays, for the report
        shape = tuple(int(d) for d in target.shape)
        converted = _to_pt_layout(array, layout, shape)
        if converted is None:
            if ignore_mismatched_sizes:
                report.mismatched.append((key, tuple(array.shape), shape))
                used.add(tf_name)
                continue
            raise SavedFormatError(
                f"{source!r}: the tensor {tf_name!r} has shape {tuple(array.shape)} but "
                f"{type(model).__name__}'s {key!r} is {shape}. The checkpoint belongs to "
                "another configuration (check config.json); to start a new head of another "
                "size pass ignore_mismatched_sizes=True."
            )
        tensor = torch.from_numpy(converted)
        if target.is_floating_point() and tensor.is_floating_point():
            if tensor.element_size() > target.element_size() and not allow_narrowing:
                raise SavedFormatError(
                    f"{source!r}: the tensor {tf_name!r} is {array.dtype}, wider than "
                    f"{type(model).__name__}'s {str(target.dtype).replace('torch.', '')} "
                    "weights; it is not narrowed silently. Pass dtype=torch.float32 to "
                    "narrow it explicitly (or dtype=torch.float64 to keep the precision)."
                )
            if tensor.element_size() <= target.element_size():
                tensor = tensor.to(target.dtype)
        state[key] = tensor
        used.add(tf_name)
        done[group[0]] = key
        report.mapped.append(
            TensorMapping(tf_name, key, tuple(int(d) for d in array.shape), shape, layout)
        )
    report.unexpected = [n for n in tf_weights if n not in used]
    return state, report


# --- building the PyTorch model ----------------------------------------------------------------


def has_only_tf_weights(directory: str | os.PathLike[str]) -> bool:
    """Whether ``directory`` is a local folder whose only weights are TensorFlow's
    (``tf_model.h5``, sharded or not, or a TF-format ``model.safetensors``)."""
    return find_tf_weights(directory) is not None


# What a Hub repository with TF weights needs locally: config, weights, tokenizer files.
_HUB_FILES = [
    "config.json",
    "generation_config.json",
    "tf_model.h5",
    "tf_model.h5.index.json",
    "tf_model-*.h5",
    "tokenizer*",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.*",
    "merges.txt",
    "*.model",
]
_HUB_OPTIONS = ("revision", "cache_dir", "token", "local_files_only", "force_download")


def hub_tf_snapshot(repo_id: str, options: Mapping[str, Any]) -> str | None:
    """The local snapshot of the Hub repository ``repo_id`` when its only weights are TF's.

    Called after transformers found no PyTorch weights for ``repo_id``: downloads (or,
    offline, finds in the cache) ``config.json``, ``tf_model.h5`` and the tokenizer
    files, honouring ``revision`` / ``cache_dir`` / ``token`` / ``local_files_only``
    from ``options``. None when that fails or the repository has no TF weights.
    """
    if os.path.exists(repo_id) or repo_id.count("/") > 1:
        return None
    try:
        import huggingface_hub
    except ImportError:
        return None
    hub_options = {k: options[k] for k in _HUB_OPTIONS if k in options}
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        hub_options.setdefault("local_files_only", True)
    try:
        folder = huggingface_hub.snapshot_download(
            repo_id, allow_patterns=_HUB_FILES, **hub_options
        )
    except Exception:  # any failure here: the caller reports transformers' own error
        return None
    folder = os.fspath(folder) if isinstance(folder, (str, os.PathLike)) else ""
    return folder if folder and has_only_tf_weights(folder) else None


def load_tf_checkpoint(
    directory: str | os.PathLike[str],
    auto_class: str = "AutoModel",
    save_converted: bool = False,
    **kwargs: Any,
) -> tuple[nn.Module, ConversionReport]:
    """Build the PyTorch model of a TF checkpoint folder and load its converted weights.

    ``auto_class``: the transformers Auto class (``"AutoModelForSequenceClassification"``
    ...) or model class (``"BertForMaskedLM"``) to build. ``kwargs`` that are config
    fields (``num_labels``, ``id2label`` ...) update ``config.json``'s config; the others go to the model's ``from_pretrained``
    (``ignore_mismatched_sizes=True``, ``dtype=``; a float64 checkpoint needs an
    explicit ``dtype=``: it is never narrowed silently). ``save_converted=True`` writes
    ``model.safetensors`` into ``directory`` (atomically) so later loads need no
    conversion (refused when the TF weights are themselves ``model.safetensors``).
    """
    from torchbridge.hf._imports import require_transformers

    transformers = require_transformers("torchbridge.hf (TensorFlow checkpoints)")
    path = os.fspath(directory)
    weights_file = find_tf_weights(path)
    if weights_file is None:
        raise InputError(
            f"{path!r} has no TensorFlow checkpoint to convert: it needs {TF_WEIGHTS_NAME} "
            "(or its shards, or a TF-format model.safetensors) and no PyTorch weights."
        )
    if save_converted and os.path.basename(weights_file).startswith("model.safetensors"):
        raise InputError(
            f"{weights_file!r} holds TensorFlow weights under PyTorch's file name; "
            "save_converted=True would overwrite it. Write a separate PyTorch folder with "
            f"`torchbridge convert {path} OUT_DIR` instead."
        )
    ignore = bool(kwargs.get("ignore_mismatched_sizes", False))
    dtype = kwargs.get("dtype", kwargs.get("torch_dtype"))
    try:
        config, model_kwargs = transformers.AutoConfig.from_pretrained(
            path, return_unused_kwargs=True, **kwargs
        )
    except (OSError, ValueError) as e:
        raise InputError(
            f"{path!r}: could not read config.json next to the TF weights ({e}); a "
            "TensorFlow checkpoint folder needs the config.json its model was saved with."
        ) from None
    model_cls = getattr(transformers, auto_class, None)
    if model_cls is None or not hasattr(model_cls, "from_pretrained"):
        raise InputError(
            f"transformers has no model class {auto_class!r}; pass an Auto class name "
            "(e.g. 'AutoModelForSequenceClassification') or a model class name."
        )
    _log.warning(
        "%s has TensorFlow weights only (%s): converting them to PyTorch for %s.",
        path,
        os.path.basename(weights_file),
        auto_class,
    )
    with torch.device("meta"):  # names and shapes only, no memory
        skeleton = (
            model_cls.from_config(config) if auto_class.startswith("Auto") else model_cls(config)
        )
    state, report = convert_state_dict(
        read_tf_weights(weights_file),
        skeleton,
        weights_file,
        ignore_mismatched_sizes=ignore,
        allow_narrowing=dtype is not None,
        consume=True,
    )
    if report.missing or report.unexpected:
        _log.warning(
            "%s: %d PyTorch tensors are not in the TensorFlow checkpoint (newly initialised: "
            "%s); %d TensorFlow tensors were not used (%s).",
            weights_file,
            len(report.missing),
            report.missing[:8],
            len(report.unexpected),
            report.unexpected[:8],
        )
    model_kwargs.pop("ignore_mismatched_sizes", None)
    model = type(skeleton).from_pretrained(
        None,
        config=config,
        state_dict=state,
        ignore_mismatched_sizes=ignore,
        **({"dtype": dtype} if dtype is not None else {}),
        **model_kwargs,
    )
    model.eval()
    if save_converted:
        save_safetensors(model, path)
    return model, report


def save_safetensors(model: nn.Module, directory: str) -> str:
    """Write ``model.safetensors`` (transformers' layout, tied weights once) atomically."""
    from torchbridge.saving.atomic import atomic_path

    target = os.path.join(directory, "model.safetensors")
    with atomic_path(target) as tmp:
        module: Any = model
        module.save_pretrained(tmp + ".d", safe_serialization=True, max_shard_size="1000GB")
        try:
            os.replace(os.path.join(tmp + ".d", "model.safetensors"), tmp)
        finally:
            shutil.rmtree(tmp + ".d", ignore_errors=True)
    _log.warning("%s: wrote the converted PyTorch weights to %s.", directory, target)
    return target
