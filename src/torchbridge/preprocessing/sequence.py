"""``keras.preprocessing.sequence``: ``pad_sequences`` (from :mod:`torchbridge.utils`)."""

from torchbridge.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
