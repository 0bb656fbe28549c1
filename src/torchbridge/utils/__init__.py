"""Leaf helpers shared by every other package (nested structures, devices, name registries),
and Keras's public ``keras.utils`` functions: ``set_random_seed``, ``to_categorical``,
``normalize``, and ``keras.utils``'s aliases of the serialization registry
(``register_keras_serializable``, ``get_custom_objects``, ``custom_object_scope`` ...,
resolved lazily from :mod:`torchbridge.saving`, a higher floor)."""

from typing import Any

from torchbridge.utils.keras_utils import normalize, set_random_seed, to_categorical

#: ``keras.utils.<name>`` is ``keras.saving.<name>`` for these.
_SAVING_ALIASES = (
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
)

__all__ = ["normalize", "set_random_seed", "to_categorical", *_SAVING_ALIASES]


def __getattr__(name: str) -> Any:
    if name in _SAVING_ALIASES:
        import torchbridge.saving

        return getattr(torchbridge.saving, name)
    raise AttributeError(f"module 'torchbridge.utils' has no attribute {name!r}")
