"""Keras's image preprocessing and augmentation layers (one family per module)."""

from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from torchbridge.layers.preprocessing.image.color import RandomBrightness, RandomContrast
from torchbridge.layers.preprocessing.image.geometric import (
    RandomFlip,
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
)
from torchbridge.layers.preprocessing.image.pipeline import Pipeline
from torchbridge.layers.preprocessing.image.resizing_cropping import (
    CenterCrop,
    RandomCrop,
    Resizing,
)

__all__ = [
    "BaseImagePreprocessingLayer",
    "CenterCrop",
    "Pipeline",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
]
