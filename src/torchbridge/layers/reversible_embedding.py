"""Keras's ``ReversibleEmbedding``: an ``Embedding`` that can also project back to logits.

``layer(ids)`` embeds as ``Embedding`` does; ``layer(hidden, reverse=True)`` maps
hidden states to vocabulary logits with the transposed ``embeddings`` (tied, the
default) or with its own ``reverse_embeddings`` weight of shape ``(output_dim,
input_dim)`` (``tie_weights=False``). ``logit_soft_cap`` bounds the logits with
``cap * tanh(logits / cap)``; ``reverse_dtype`` is the dtype of that projection.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from torchbridge import initializers
from torchbridge.backend.dtypes import to_torch_dtype
from torchbridge.layers.embedding import Embedding
from torchbridge.layers.layer import KerasWeight, set_mask

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """Keras's ``ReversibleEmbedding`` (weights: ``embeddings``, then
    ``reverse_embeddings`` when untied)."""

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings: nn.Parameter | None
        self.register_parameter("reverse_embeddings", None)
        if not tie_weights:
            init = initializers.get(embeddings_initializer)
            self.reverse_embeddings = nn.Parameter(init((output_dim, input_dim)).float())
            self._finalize_weights()

    def _keras_weights(self) -> list[KerasWeight]:
        own = super()._keras_weights()
        reverse = self._parameters.get("reverse_embeddings")  # None until __init__ adds it
        if reverse is not None:
            own.append(KerasWeight(reverse))
        return own

    def call(self, inputs: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        if not reverse:
            out = super().call(inputs)
            set_mask(out, super().compute_mask(inputs))
            return out
        kernel = self.embeddings.t() if self.reverse_embeddings is None else self.reverse_embeddings
        x = inputs
        if self.reverse_dtype is not None:
            dtype = to_torch_dtype(self.reverse_dtype)
            x, kernel = x.to(dtype), kernel.to(dtype)
        else:
            kernel = kernel.to(x.dtype)
        logits = torch.matmul(x, kernel)
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None  # the forward call attaches its mask itself; the reverse call has none

    def compute_output_shape(self, input_shape: Any, reverse: bool = False) -> Any:
        shape = list(input_shape)
        if reverse:
            shape[-1] = self.input_dim
        else:
            shape.append(self.output_dim)
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        # Keras's form of these two (the Embedding base keeps a string initializer as given)
        config["embeddings_initializer"] = initializers.serialize(
            initializers.get(self.embeddings_initializer)
        )
        config["quantization_config"] = None
        return {
            **config,
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
