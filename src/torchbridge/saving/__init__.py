"""Saving and loading (``keras.saving``): safetensors weights, whole-model files, and the
registry of custom objects; never pickle."""

from torchbridge.saving.atomic import atomic_path
from torchbridge.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from torchbridge.saving.serialization import (
    deserialize,
    deserialize_keras_object,
    register_serializable,
    serialize,
    serialize_keras_object,
)
from torchbridge.saving.weights import load_weights, save_weights

__all__ = [
    "CustomObjectScope",
    "atomic_path",
    "custom_object_scope",
    "deserialize",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "register_serializable",
    "save_model",
    "save_weights",
    "serialize",
    "serialize_keras_object",
]


def __getattr__(name: str) -> object:
    # keras.saving.load_model / save_model live in models (import order: models sit below)
    if name == "load_model":
        from torchbridge.models.loading import load_model

        return load_model
    if name == "save_model":
        from torchbridge.models.loading import save_model

        return save_model
    raise AttributeError(f"module 'torchbridge.saving' has no attribute {name!r}")
