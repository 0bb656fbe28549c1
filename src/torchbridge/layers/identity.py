"""Keras's ``Identity`` layer: returns its input unchanged (masks pass through)."""

from __future__ import annotations

from typing import Any

from torchbridge.layers.layer import Layer

__all__ = ["Identity"]


class Identity(Layer):
    """Keras's ``Identity``: a placeholder layer whose output is its input."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True  # built at creation, as in Keras

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape
