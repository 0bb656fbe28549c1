"""``torchbridge convert HF_TF_DIR OUT_DIR``: a TF-era Hugging Face folder made a PyTorch one.

:func:`convert_tf_folder` converts the TF weights (``tf_model.h5`` ...) with
:func:`torchbridge.hf.tf_checkpoint.load_tf_checkpoint` (the model class from
``config.json``'s ``architectures``), writes ``OUT_DIR`` in one atomic step
(``config.json``, ``model.safetensors``, the tokenizer and generation files
copied) and checks parity: the folder written is loaded back with plain
transformers and compared with the converted model on seeded random token ids,
and, where the source folder keeps TensorFlow's own outputs in
``tf_reference.npz`` (``input_ids``, ``attention_mask``, ``logits`` or
``last_hidden_state``), the PyTorch outputs are compared with those. The
:class:`FolderReport` prints the per-tensor mapping and one parity line per check.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from torchbridge.errors import ConvertError, TorchbridgeError
from torchbridge.hf.tf_checkpoint import (
    TF_WEIGHTS_NAME,
    ConversionReport,
    has_only_tf_weights,
    load_tf_checkpoint,
)

__all__ = ["REFERENCE_NAME", "FolderReport", "ParityCheck", "convert_tf_folder"]

#: TensorFlow's outputs kept next to a checkpoint (the test fixtures write it).
REFERENCE_NAME = "tf_reference.npz"
_COPIED = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "generation_config.json",
)
_BATCH, _LENGTH = 2, 8
_REFERENCE_LIMIT = 64 * 2**20  # bytes of tf_reference.npz read


@dataclass
class ParityCheck:
    """One comparison of outputs: what against what, on which inputs, how far apart."""

    what: str
    inputs: str
    max_abs_diff: float


@dataclass
class FolderReport:
    """What :func:`convert_tf_folder` did (``format()`` is what the command prints)."""

    src: str
    dst: str
    conversion: ConversionReport
    atol: float
    seed: int
    copied: list[str] = field(default_factory=list)
    checks: list[ParityCheck] = field(default_factory=list)

    @property
    def max_abs_diff(self) -> float | None:
        """The largest difference over all checks (None: nothing compared)."""
        return max((c.max_abs_diff for c in self.checks), default=None)

    @property
    def passed(self) -> bool:
        """Whether every parity check held (``max |diff| <= atol``)."""
        worst = self.max_abs_diff
        return worst is not None and worst <= self.atol

    def format(self) -> str:
        lines = [
            f"source: {self.src} (Hugging Face TensorFlow checkpoint, "
            f"{os.path.basename(self.conversion.source)})",
            f"output: {self.dst} (Hugging Face PyTorch folder: config.json, model.safetensors"
            + (f", {', '.join(self.copied)}" if self.copied else "")
            + ")",
            self.conversion.format(),
        ]
        for c in self.checks:
            verdict = "OK" if c.max_abs_diff <= self.atol else "FAILED"
            lines.append(
                f"parity: {c.what}, {c.inputs}: max |diff| = {c.max_abs_diff:.3e} "
                f"(atol {self.atol:g}) {verdict}"
            )
        return "\n".join(lines)


def _outputs(model: nn.Module, ids: np.ndarray, mask: np.ndarray) -> tuple[str, np.ndarray]:
    with torch.no_grad():
        out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
    for key in ("logits", "last_hidden_state"):
        value = getattr(out, key, None)
        if isinstance(value, torch.Tensor):
            return key, value.float().numpy()
    return "output", np.asarray(out[0].float().numpy())


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("inf")
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return float(np.nan_to_num(d, nan=np.inf).max()) if d.size else 0.0


def _reference(src: str) -> dict[str, np.ndarray] | None:
    path = os.path.join(src, REFERENCE_NAME)
    if not os.path.isfile(path) or os.path.getsize(path) > _REFERENCE_LIMIT:
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: np.asarray(data[k]) for k in data.files}
    except (OSError, ValueError) as e:
        raise ConvertError(f"{path!r} is not a readable reference file ({e}).") from None


def _model_class(src: str) -> str:
    try:
        with open(os.path.join(src, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        raise ConvertError(
            f"{src!r}: config.json is missing or not valid JSON ({e}); a Hugging Face "
            "checkpoint folder needs the config.json its model was saved with."
        ) from None
    names = config.get("architectures") if isinstance(config, dict) else None
    if isinstance(names, list) and names and isinstance(names[0], str):
        return names[0].removeprefix("TF")
    return "AutoModel"


def _check_paths(src: str, dst: str, overwrite: bool) -> None:
    if not has_only_tf_weights(src):
        raise ConvertError(
            f"{src!r} is a directory without a TensorFlow checkpoint to convert (it needs "
            f"{TF_WEIGHTS_NAME}, its shards or a TF-format model.safetensors, and no PyTorch "
            "weights). A folder with PyTorch weights loads with transformers as it is."
        )
    if os.path.abspath(src) == os.path.abspath(dst):
        raise ConvertError(f"{dst!r} is the source folder; write the output to another folder.")
    if os.path.lexists(dst):
        if not os.path.isdir(dst) or os.path.islink(dst):
            raise ConvertError(f"{dst!r} exists and is not a folder; pass an output folder.")
        if os.listdir(dst) and not overwrite:
            raise ConvertError(
                f"{dst!r} already exists; pass --overwrite (overwrite=True) to replace it."
            )


def convert_tf_folder(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    overwrite: bool = False,
    seed: int = 0,
    atol: float = 1e-5,
) -> FolderReport:
    """Convert the TF checkpoint folder ``src`` into the PyTorch folder ``dst``.

    Raises :class:`ConvertError` (naming the folder and the problem) for a folder
    without ``tf_model.h5``, a damaged checkpoint or an existing ``dst`` without
    ``overwrite``. The report's ``passed`` says whether the parity checks held.
    """
    from torchbridge.hf._imports import require_transformers
    from torchbridge.saving.atomic import atomic_dir

    src_path, dst_path = os.fspath(src), os.fspath(dst)
    _check_paths(src_path, dst_path, overwrite)
    class_name = _model_class(src_path)
    try:
        model, conversion = load_tf_checkpoint(src_path, class_name)
    except (TorchbridgeError, ImportError) as e:
        raise ConvertError(f"{src_path!r} could not be converted: {e}") from None
    copied: list[str] = []
    with atomic_dir(dst_path) as tmp:
        module: Any = model
        module.save_pretrained(tmp, safe_serialization=True)
        for name in _COPIED:
            source = os.path.join(src_path, name)
            if os.path.isfile(source) and not os.path.exists(os.path.join(tmp, name)):
                shutil.copyfile(source, os.path.join(tmp, name))
                copied.append(name)
    report = FolderReport(src_path, dst_path, conversion, atol, seed, copied)
    transformers = require_transformers("torchbridge convert")
    reloaded = getattr(transformers, type(model).__name__).from_pretrained(dst_path).eval()
    vocab = int(getattr(model.config, "vocab_size", 0) or 2)
    ids = np.random.default_rng(seed).integers(0, vocab, size=(_BATCH, _LENGTH))
    mask = np.ones_like(ids)
    key, ours = _outputs(model, ids, mask)
    report.checks.append(
        ParityCheck(
            f"{dst_path} (reloaded) vs the converted model, {key}",
            f"random token ids {ids.shape}, seed {seed}",
            _diff(ours, _outputs(reloaded, ids, mask)[1]),
        )
    )
    ref = _reference(src_path)
    if ref is not None and "input_ids" in ref:
        ids = ref["input_ids"].astype(np.int64)
        mask = ref.get("attention_mask", np.ones_like(ids)).astype(np.int64)
        key, ours = _outputs(reloaded, ids, mask)
        if key in ref:
            report.checks.append(
                ParityCheck(
                    f"PyTorch vs TensorFlow's {key} in {REFERENCE_NAME}",
                    f"token ids {ids.shape}",
                    _diff(ours, ref[key]),
                )
            )
    return report
