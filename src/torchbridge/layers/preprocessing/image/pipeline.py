"""Keras's ``Pipeline``: a plain layer that applies a list of layers in order.

Unlike ``Sequential`` it is not a model; like Keras's image layers it trains
on a direct call (``call(inputs, training=True)``), so ``ds.map(pipeline)``
augments. Masks flow from one layer to the next.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from torchbridge.layers.layer import Layer, get_mask
from torchbridge.layers.preprocessing.image.base import TrainingByDefault

__all__ = ["Pipeline"]


class Pipeline(TrainingByDefault, Layer):
    """Keras's ``Pipeline(layers, name=None)``."""

    def __init__(self, layers: list[Any], name: str | None = None) -> None:
        super().__init__(name=name)
        self._pipeline_layers = nn.ModuleList(layers)

    @property
    def layers(self) -> list[Any]:
        return list(self._pipeline_layers)

    def build(self, input_shape: Any) -> None:
        self.built = True  # each inner layer builds on its first call

    def call(self, inputs: Any, training: bool = True, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs: dict[str, Any] = {"training": training}
            if mask is not None:
                kwargs["mask"] = mask
            outputs = layer(inputs, **kwargs)
            mask = get_mask(outputs) if not isinstance(outputs, dict) else None
            inputs = outputs
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)  # type: ignore[operator]
        return input_shape

    def get_config(self) -> dict[str, Any]:
        from torchbridge.saving.serialization import serialize_keras_object

        return {
            "layers": [serialize_keras_object(layer) for layer in self._pipeline_layers],
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pipeline:
        from torchbridge.saving.serialization import deserialize_keras_object

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        return cls(
            layers=[deserialize_keras_object(layer) for layer in layers],
            name=config.get("name"),
        )
