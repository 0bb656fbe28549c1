"""sentence-transformers folders for :class:`~torchbridge.hf.SentenceEncoder`: reading one
(``modules.json``, ``sentence_bert_config.json``, ``1_Pooling/config.json``, a ``Normalize``
module), pooling token vectors the way its ``Pooling`` module does, and writing one that
``sentence_transformers.SentenceTransformer(folder)`` loads.

Supported modules: ``Transformer`` (the encoder), ``Pooling`` (modes ``cls``, ``max``,
``mean``, ``mean_sqrt_len_tokens``, ``lasttoken``; several modes are concatenated in
that order, as sentence-transformers does) and ``Normalize``. A folder with any other
module (``Dense``, ``Router`` ...) raises :class:`~torchbridge.errors.InputError` naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from torchbridge.errors import InputError

__all__ = [
    "POOLING_MODES",
    "SentenceFolder",
    "pool",
    "read_folder",
    "write_folder",
]

# The modes sentence-transformers' Pooling supports here, in its concatenation order.
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len_tokens", "lasttoken")
_LEGACY_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


class SentenceFolder:
    """What a sentence-transformers folder says: where the encoder lives, its pooling,
    whether it normalizes, its ``max_seq_length`` and ``do_lower_case``."""

    def __init__(
        self,
        encoder_path: str,
        pooling: tuple[str, ...],
        normalize: bool,
        max_length: int | None,
        lowercase: bool,
    ) -> None:
        self.encoder_path = encoder_path
        self.pooling = pooling
        self.normalize = normalize
        self.max_length = max_length
        self.lowercase = lowercase


def check_pooling(pooling: str | Sequence[str]) -> tuple[str, ...]:
    """``"mean"`` / ``["cls", "mean"]`` → the modes in sentence-transformers' order."""
    modes = (pooling,) if isinstance(pooling, str) else tuple(pooling)
    unknown = [m for m in modes if m not in POOLING_MODES]
    if unknown or not modes:
        raise InputError(
            f"pooling {list(unknown) or modes} is not supported; use one or more of "
            f"{list(POOLING_MODES)}."
        )
    return tuple(m for m in POOLING_MODES if m in modes)


def _pooling_modes(config: Mapping[str, Any], where: str) -> tuple[str, ...]:
    if "pooling_mode" in config:
        modes = config["pooling_mode"]
    else:
        modes = [mode for key, mode in _LEGACY_KEYS.items() if config.get(key)]
    try:
        return check_pooling(modes)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_folder(source: str) -> SentenceFolder | None:
    """The settings of a sentence-transformers folder (``None`` for a plain checkpoint)."""
    modules_path = os.path.join(source, "modules.json")
    if not os.path.isfile(modules_path):
        return None
    encoder_path: str | None = None
    pooling: tuple[str, ...] = ("mean",)
    normalize = False
    for module in _read_json(modules_path):
        kind = str(module.get("type", ""))
        path = os.path.join(source, str(module.get("path", "")))
        short = kind.rsplit(".", 1)[-1]
        if kind == _TRANSFORMER or (short == "Transformer" and encoder_path is None):
            encoder_path = path
        elif kind == _POOLING or short == "Pooling":
            config_path = os.path.join(path, "config.json")
            if os.path.isfile(config_path):
                pooling = _pooling_modes(_read_json(config_path), config_path)
        elif kind == _NORMALIZE or short == "Normalize":
            normalize = True
        else:
            raise InputError(
                f"{modules_path} lists a {kind!r} module, which SentenceEncoder does not "
                "support (it reads Transformer, Pooling and Normalize). Use "
                "sentence_transformers.SentenceTransformer for this model."
            )
    if encoder_path is None:
        raise InputError(f"{modules_path} lists no Transformer module: it holds no encoder.")
    max_length, lowercase = None, False
    st_config = os.path.join(encoder_path, "sentence_bert_config.json")
    if os.path.isfile(st_config):
        config = _read_json(st_config)
        max_length = config.get("max_seq_length")
        lowercase = bool(config.get("do_lower_case", False))
    return SentenceFolder(encoder_path, pooling, normalize, max_length, lowercase)


def pool(hidden: Tensor, mask: Tensor, modes: Sequence[str]) -> Tensor:
    """Token vectors ``(batch, tokens, dim)`` and the attention mask → one vector per text,
    as sentence-transformers' ``Pooling`` computes each mode (modes concatenated)."""
    out = []
    for mode in modes:
        if mode == "cls":
            first = mask.to(torch.int).argmax(dim=1)
            out.append(hidden[torch.arange(hidden.shape[0], device=hidden.device), first])
        elif mode == "max":
            out.append(hidden.masked_fill(mask.unsqueeze(-1) == 0, float("-inf")).max(dim=1).values)
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            total = (hidden * weights).sum(dim=1)
            count = torch.clamp(weights.sum(dim=1), min=1e-9)
            out.append(total / (count if mode == "mean" else count.sqrt()))
        elif mode == "lasttoken":
            length = hidden.shape[1]
            values, indices = mask.flip(1).max(1)
            indices = torch.where(values == 0, length - 1, indices)
            last = length - indices - 1
            masked = hidden * mask.unsqueeze(-1).to(hidden.dtype)
            out.append(masked[torch.arange(hidden.shape[0], device=hidden.device), last])
        else:  # pragma: no cover - check_pooling refuses the rest
            raise InputError(f"Unknown pooling mode {mode!r}.")
    return torch.cat(out, dim=-1)


def write_folder(
    path: str,
    dimension: int,
    pooling: Sequence[str],
    normalize: bool,
    max_length: int | None,
    lowercase: bool,
) -> None:
    """The sentence-transformers files around an encoder saved at ``path`` (its
    ``config.json``, weights and tokenizer are written by the caller)."""
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": _TRANSFORMER},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": _POOLING},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": _NORMALIZE})
        os.makedirs(os.path.join(path, "2_Normalize"), exist_ok=True)
    with open(os.path.join(path, "modules.json"), "w", encoding="utf-8") as f:
        json.dump(modules, f, indent=2)
    with open(os.path.join(path, "sentence_bert_config.json"), "w", encoding="utf-8") as f:
        json.dump({"max_seq_length": max_length, "do_lower_case": lowercase}, f, indent=2)
    os.makedirs(os.path.join(path, "1_Pooling"), exist_ok=True)
    config: dict[str, Any] = {"word_embedding_dimension": int(dimension)}
    for key, mode in _LEGACY_KEYS.items():
        config[key] = mode in pooling
    config["include_prompt"] = True
    with open(os.path.join(path, "1_Pooling", "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    import transformers

    info = {
        "__version__": {"transformers": transformers.__version__, "pytorch": torch.__version__},
        "prompts": {},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    with open(os.path.join(path, "config_sentence_transformers.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
