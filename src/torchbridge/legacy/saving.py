"""``keras.legacy.saving``: tf.keras 2's serialize/deserialize_keras_object."""

from torchbridge.saving.legacy_serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
