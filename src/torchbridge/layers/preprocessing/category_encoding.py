"""CategoryEncoding: Keras's one-hot / multi-hot / count encoding of integer features."""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer
from torchbridge.layers.preprocessing._encoding import (
    check_indices,
    encode_categorical,
    resolve_dtype,
)

__all__ = ["CategoryEncoding"]

_MODES = ("count", "one_hot", "multi_hot")


class CategoryEncoding(Layer):
    """Keras's ``CategoryEncoding`` for integers in ``[0, num_tokens)``.

    ``"one_hot"`` adds an axis of size ``num_tokens`` (replacing a trailing
    axis of size 1); ``"multi_hot"`` and ``"count"`` replace the last (sample)
    axis by it — a rank-1 input is one sample. ``count_weights`` (same shape as
    the inputs) weight the counts in ``"count"`` mode. Output dtype: float32.
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        if output_mode == "binary":  # Keras's deprecated name
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise ValueError(
                f"{owner}: `output_mode` must be one of {_MODES}; received "
                f"output_mode={output_mode!r}."
            )
        if num_tokens is None:
            raise ValueError(
                f"{owner}: `num_tokens` must be set; if the number of tokens is not known in "
                "advance, use IntegerLookup instead."
            )
        if isinstance(num_tokens, bool) or int(num_tokens) < 1:
            raise ValueError(f"{owner}: `num_tokens` must be >= 1; received {num_tokens!r}.")
        if sparse:
            raise ValueError(
                f"{owner}: `sparse=True` is not supported on torch (Keras's torch backend "
                "rejects it too); use the dense output."
            )
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self._out_dtype = resolve_dtype(self._dtype_arg, torch.float32)
        self.built = True

    def call(self, inputs: Any, count_weights: Any = None) -> torch.Tensor:
        if count_weights is not None and self.output_mode != "count":
            raise InputError(
                f"Layer '{self.name}' (CategoryEncoding): `count_weights` are only used when "
                f"output_mode is 'count'; this layer's output_mode is {self.output_mode!r}."
            )
        x = torch.as_tensor(inputs)
        check_indices(
            x,
            self.num_tokens,
            what=(
                f"Layer '{self.name}' (CategoryEncoding, num_tokens={self.num_tokens}): input "
                "values"
            ),
        )
        weights = None
        if count_weights is not None:
            weights = torch.as_tensor(count_weights, device=x.device)
            if not weights.is_floating_point():
                weights = weights.to(self._out_dtype)
            if tuple(weights.shape) != tuple(x.shape):
                raise InputError(
                    f"Layer '{self.name}' (CategoryEncoding): `count_weights` must have the "
                    f"shape of the inputs {tuple(x.shape)}; received shape "
                    f"{tuple(weights.shape)}."
                )
        return encode_categorical(
            x, self.output_mode, self.num_tokens, count_weights=weights, dtype=self._out_dtype
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        if not shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, self.num_tokens)
        return (*shape[:-1], self.num_tokens)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config
