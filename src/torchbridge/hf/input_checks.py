"""The bad-input checks of :class:`~torchbridge.hf.HFModel`, as a mixin it inherits.

Bad input is caught before the forward pass with an error that names the fix:
missing or unknown input keys, token ids beyond the embedding table, labels
outside ``num_labels``, sequences longer than the position embeddings. Checks
that need a value from the device run on the first batch of each epoch /
evaluation / prediction only; shape checks run on every batch (no host sync).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from torchbridge.errors import InputError

__all__ = ["COMMON_KWARGS", "IGNORE_INDEX", "InputChecks", "describe"]

CLASSIFICATION = ("sequence-classification", "token-classification")
LANGUAGE_MODELING = ("causal-lm", "masked-lm", "seq2seq-lm")
IGNORE_INDEX = -100  # label value Hugging Face losses skip
# Keyword arguments every transformers model accepts besides its named ones.
COMMON_KWARGS = frozenset(
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


def describe(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


class InputChecks:
    """The checks; :class:`~torchbridge.hf.HFModel` sets the attributes they read."""

    module: nn.Module
    task: str | None
    main_input_name: str
    _forward_inputs: list[str]
    _allowed_inputs: frozenset[str] | None
    _extra_kwargs: dict[str, Any]
    _checked: set[str]
    _length_limit: int | None

    @property
    def config(self) -> Any:
        """The wrapped model's ``transformers`` config."""
        return getattr(self.module, "config", None)

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
                if k in self._extra_kwargs or k in COMMON_KWARGS:
                    continue
                if not isinstance(v, Tensor) and v is not None:
                    raise InputError(
                        f"x[{k!r}] is {describe(v)}, not a tensor. Tokenize text first and "
                        "pass tensors (return_tensors='pt' or NumPy arrays)."
                    )
            ids = x.get(main)
            if main == "input_ids" and isinstance(ids, Tensor) and ids.numel():
                self._check_token_ids(ids)
        self._check_length(x)

    def _check_token_ids(self, ids: Tensor) -> None:
        if ids.is_floating_point():
            raise InputError(
                f"input_ids is {describe(ids)}; token ids are integers. Pass the tokenizer's "
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
        if task in CLASSIFICATION:
            bound = int(getattr(self.config, "num_labels", 0) or 0)
            what = f"num_labels={bound}"
        elif task in LANGUAGE_MODELING:
            bound = int(getattr(self.config, "vocab_size", 0) or 0)
            what = f"vocab_size={bound}"
        else:
            return
        if not isinstance(y, Tensor) or not bound or not y.numel():
            return
        if y.is_floating_point():
            if own_loss and task == "sequence-classification" and bound > 1 and y.ndim == 1:
                raise InputError(
                    f"The labels are {describe(y)}, but the model classifies into {bound} "
                    "classes: its own loss takes integer class ids (y.astype('int64')), or "
                    f"float multi-label targets of shape (batch, {bound})."
                )
            return
        if task == "sequence-classification" and bound == 1:
            return  # regression
        valid = y[y != IGNORE_INDEX]
        if not valid.numel():
            return
        lo, hi = (int(v) for v in torch.stack([valid.min(), valid.max()]).tolist())
        if lo >= 0 and hi < bound:
            return
        if task in CLASSIFICATION:
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
            f"(valid labels 0..{bound - 1}, and {IGNORE_INDEX} for ignored positions). {fix}"
        )
