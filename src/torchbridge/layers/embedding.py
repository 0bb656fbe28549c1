"""Embedding: Keras's ``embeddings`` matrix ``(input_dim, output_dim)``, ``mask_zero``."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from torchbridge import initializers, regularizers
from torchbridge.errors import InputError
from torchbridge.layers.core import _reject_unsupported
from torchbridge.layers.layer import KerasWeight, Layer

__all__ = ["Embedding"]


class Embedding(Layer):
    """Keras's ``Embedding`` (``uniform(-0.05, 0.05)`` init; ``mask_zero`` masks index 0).

    The weights do not depend on the input shape, so the layer is built at
    creation. ``input_length`` (removed in Keras 3) is accepted with a warning.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        activity_regularizer: Any = None,
        mask_zero: bool = False,
        input_length: int | None = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        _reject_unsupported(
            owner,
            lora_rank=lora_rank,
            lora_alpha=lora_alpha,
            quantization_config=quantization_config,
        )
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{owner}: `{arg}` must be a positive int, got {value!r}.")
        if input_length is not None:
            warnings.warn(
                f"{owner}: `input_length` is deprecated (removed in Keras 3) and ignored.",
                DeprecationWarning,
                stacklevel=2,
            )
        self._declare_weight_options(embeddings=(embeddings_regularizer, embeddings_constraint))
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = embeddings_initializer
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings = nn.Parameter(
            initializers.get(embeddings_initializer)((input_dim, output_dim)).float()
        )
        self.built = True
        self._finalize_weights()  # built at creation: attach the declared options now

    def _keras_weights(self) -> list[KerasWeight]:
        return [KerasWeight(self.embeddings)]

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(inputs)
        idx = inputs if not inputs.is_floating_point() else inputs.to(torch.int64)
        idx = idx.long()
        if idx.device.type != "cpu" and not _tracing():
            # On an accelerator an out-of-range index is a device-side assert that ends the
            # process: check first (one sync). On the CPU torch raises and we explain.
            self._check_range(idx)
        try:
            return F.embedding(idx, self.embeddings)
        except IndexError:
            self._check_range(idx)
            raise

    def _check_range(self, idx: torch.Tensor) -> None:
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.input_dim):
            raise InputError(
                f"Layer '{self.name}' (Embedding): indices must be in [0, {self.input_dim}), "
                f"got values in [{int(idx.min())}, {int(idx.max())}]."
            )

    def compute_mask(self, inputs: torch.Tensor, mask: Any = None) -> torch.Tensor | None:
        """``inputs != 0`` when ``mask_zero``, else ``None`` (Keras's rule)."""
        if not self.mask_zero:
            return None
        return torch.as_tensor(inputs) != 0

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                **self._weight_options_config(),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "mask_zero": self.mask_zero,
            }
        )
        return config


def _tracing() -> bool:
    """Inside torch.export / torch.compile / TorchScript tracing (no data-dependent checks)."""
    return torch.compiler.is_compiling() or torch.jit.is_tracing()
