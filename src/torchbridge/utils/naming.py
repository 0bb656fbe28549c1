"""Keras's snake-case rule for class names (default layer names, file paths):
``Conv2D`` → ``conv2d``, ``BatchNormalization`` → ``batch_normalization``,
``LSTM`` → ``lstm``, ``ReLU`` → ``re_lu``, ``PReLU`` → ``p_re_lu``."""

from __future__ import annotations

import re

__all__ = ["snake_case"]


def snake_case(class_name: str) -> str:
    """``class_name`` in Keras's snake case (``keras.src.utils.naming.to_snake_case``)."""
    cleaned = re.sub(r"\W", "", class_name)
    # a capitalised word after any character starts a new part ...
    cleaned = re.sub(r"(?<=.)([A-Z][a-z]+)", r"_\1", cleaned)
    # ... and so does a capital right after a lower-case letter.
    cleaned = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", cleaned)
    return cleaned.lower()
