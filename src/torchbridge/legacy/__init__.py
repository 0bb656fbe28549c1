"""``keras.legacy``: Keras's home of tf.keras 2 compatibility helpers (``keras.legacy.saving``)."""

__all__ = ["saving"]

from torchbridge.legacy import saving
