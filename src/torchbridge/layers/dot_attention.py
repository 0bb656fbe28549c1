"""Keras 3's dot-product (Luong) ``Attention`` and additive (Bahdanau)
``AdditiveAttention`` over ``[query, value(, key)]``: scores, masks, dropout and
weights as Keras (MultiHeadAttention is in ``attention.py``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from torchbridge import initializers
from torchbridge.errors import InputError
from torchbridge.layers.core import Dropout
from torchbridge.layers.layer import KerasWeight, Layer, set_mask

__all__ = ["AdditiveAttention", "Attention"]


class Attention(Layer):
    """Keras's ``Attention``: dot-product (Luong) attention over ``[query, value(, key)]``.

    ``score_mode="dot"`` scores ``query @ key^T`` (times a learned ``scale`` with
    ``use_scale=True``); ``"concat"`` scores ``sum(tanh(scale * (q + k)))`` times a
    learned ``concat_score_weight``. The value mask (``inputs[1]._keras_mask`` or
    ``mask=[query_mask, value_mask]``) takes ``1e9`` off the masked keys' scores
    before the softmax; ``use_causal_mask`` hides later keys; masked query steps
    output zeros, and the output carries the query's mask.
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{type(self).__name__}: `score_mode` must be 'dot' or 'concat'. "
                f"Received: score_mode={score_mode!r}"
            )
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(
                f"{type(self).__name__}: `dropout` must be between 0 and 1. "
                f"Received: dropout={dropout!r}"
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.supports_masking = True
        self._dropout_layer = Dropout(self.dropout, seed=seed, name="dropout")
        self.scale: nn.Parameter | None
        self.concat_score_weight: nn.Parameter | None
        self.register_parameter("scale", None)
        self.register_parameter("concat_score_weight", None)

    def _split(self, inputs: Any) -> tuple[Any, Any, Any]:
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            got = f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple)) else "one"
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) must be called on a list "
                f"[query, value] or [query, value, key], but received {got} input(s)."
            )
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        return query, value, key

    def build(self, input_shape: Any) -> None:
        self._split(input_shape)
        if self.use_scale:
            self.scale = nn.Parameter(torch.ones(()))
        if self.score_mode == "concat":
            self.concat_score_weight = nn.Parameter(torch.ones(()))

    def _keras_weights(self) -> list[KerasWeight]:
        return [KerasWeight(p) for p in (self.scale, self.concat_score_weight) if p is not None]

    def _scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        if self.score_mode == "dot":
            scores = query @ key.transpose(-2, -1)
            return scores * self.scale if self.scale is not None else scores
        assert self.concat_score_weight is not None
        pair = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            pair = self.scale * pair
        return self.concat_score_weight * torch.tanh(pair).sum(dim=-1)

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: bool | None = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        query, value, key = (
            t if isinstance(t, torch.Tensor) else torch.as_tensor(t) for t in self._split(inputs)
        )
        if query.shape[-1] != key.shape[-1]:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): query and key must have the "
                f"same feature size, but received query shape {tuple(query.shape)} and key "
                f"shape {tuple(key.shape)}."
            )
        if mask is not None and not isinstance(mask, (list, tuple)):
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): `mask` must be a list "
                "[query_mask, value_mask]."
            )
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask and len(mask) > 1 else None
        scores = self._scores(query, key)
        keep = None if v_mask is None else torch.as_tensor(v_mask, device=scores.device)
        if keep is not None:
            keep = keep.to(torch.bool).unsqueeze(-2)
        if use_causal_mask:
            causal = torch.ones(
                scores.shape[-2], scores.shape[-1], dtype=torch.bool, device=scores.device
            ).tril()
            keep = causal if keep is None else keep & causal
        if keep is not None:
            # Keras subtracts a large number from the masked scores (it does not replace them).
            big = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            scores = torch.where(keep, scores, scores - big)
        weights = torch.softmax(scores, dim=-1)
        dropped = self._dropout_layer.call(weights, training=bool(training))
        out = dropped @ value
        if q_mask is not None:
            q_keep = torch.as_tensor(q_mask, device=out.device).to(torch.bool).unsqueeze(-1)
            out = torch.where(q_keep, out, out.new_zeros(()))
            set_mask(out, q_mask)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The query's mask (``mask[0]``), if any."""
        if not mask:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape: Any) -> Any:
        query_shape, value_shape, _ = self._split(input_shape)
        return (*tuple(query_shape)[:-1], tuple(value_shape)[-1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Keras's ``AdditiveAttention`` (Bahdanau): scores ``sum(scale * tanh(q + k))``.

    ``use_scale=True`` (the default) learns ``scale`` of shape ``(dim,)``
    (glorot_uniform); masks, causal masking and dropout work as in ``Attention``.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        query_shape, _, _ = self._split(input_shape)
        dim = tuple(query_shape)[-1]
        if dim is None:
            raise InputError(
                f"Layer '{self.name}' (AdditiveAttention): the query's feature size must be "
                f"known, but received query shape {tuple(query_shape)}."
            )
        if self.use_scale:
            self.scale = nn.Parameter(initializers.get("glorot_uniform")((int(dim),)).float())

    def _scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        pair = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        return (pair * self.scale if self.scale is not None else pair).sum(dim=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config
