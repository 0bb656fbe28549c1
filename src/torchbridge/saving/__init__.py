"""Saving and loading: safetensors weights and checkpoints; never pickle."""

from torchbridge.saving.atomic import atomic_path
from torchbridge.saving.serialization import (
    custom_object_scope,
    deserialize,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
    serialize,
)
from torchbridge.saving.weights import load_weights, save_weights

__all__ = [
    "atomic_path",
    "save_weights",
    "load_weights",
    "register_serializable",
    "register_keras_serializable",
    "custom_object_scope",
    "get_registered_name",
    "get_registered_object",
    "serialize",
    "deserialize",
    "load_model",
]


def __getattr__(name: str) -> object:
    if name == "load_model":  # Keras's keras.saving.load_model (lives in models: import order)
        from torchbridge.models.loading import load_model

        return load_model
    raise AttributeError(f"module 'torchbridge.saving' has no attribute {name!r}")
