"""Masking: Keras's ``Masking(mask_value=0.0)`` layer.

A timestep is kept when *any* of its features differs from ``mask_value``
(the last axis is the feature axis); kept steps pass through unchanged,
masked steps are zeroed, and the boolean ``(batch, time)`` mask rides on the
output (``output._keras_mask``) for downstream layers, losses and metrics.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch

from torchbridge.layers.layer import Layer

__all__ = ["Masking"]


class Masking(Layer):
    """Keras's ``Masking``: skip the timesteps whose features all equal ``mask_value``.

    Whatever mask the input carried is replaced by the one computed here, as in
    Keras.
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise TypeError(
                f"Masking: `mask_value` must be a number, got {type(mask_value).__name__} "
                f"{mask_value!r}."
            )
        self.mask_value: float = mask_value if isinstance(mask_value, int) else float(mask_value)
        self.supports_masking = True
        self.built = True

    def _keep(self, inputs: torch.Tensor) -> torch.Tensor:
        self.check_input_rank(inputs, 1, "inputs with a feature axis")
        return (inputs != self.mask_value).any(dim=-1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(inputs)
        # forward() attaches compute_mask(inputs) to the result.
        return torch.where(self._keep(inputs).unsqueeze(-1), inputs, inputs.new_zeros(()))

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor:
        """``any(inputs != mask_value, axis=-1)`` (the incoming mask is not used)."""
        return self._keep(torch.as_tensor(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
