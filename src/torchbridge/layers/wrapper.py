"""Keras's ``Wrapper``: the base class of layers that hold one inner layer.

The inner layer is ``self.layer`` (a submodule, so its weights are the
wrapper's); ``build`` builds it; ``get_config`` nests its serialized config
under ``"layer"`` (with its ``build_config`` once built) and ``from_config``
rebuilds it, as in Keras.
"""

from __future__ import annotations

from typing import Any

from torchbridge.layers.layer import Layer

__all__ = ["Wrapper"]


class Wrapper(Layer):
    """Keras's ``Wrapper(layer)``; subclasses define ``call``."""

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__}: `layer` must be a torchbridge layer instance, got "
                f"{layer!r}. Wrap a torch.nn.Module in layers.TorchModuleWrapper first."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built:
            self.layer.build_from_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        from torchbridge.saving import serialization

        return {**super().get_config(), "layer": serialization.serialize_keras_object(self.layer)}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Any:
        from torchbridge.saving import serialization

        config = dict(config)
        layer = serialization.deserialize_keras_object(
            config.pop("layer"), custom_objects=custom_objects
        )
        batch_shape = config.pop("batch_input_shape", None)
        if batch_shape is not None:
            config["input_shape"] = tuple(batch_shape[1:])
        return cls(layer, **config)
