"""Keras's image preprocessing and augmentation layers (one family per module)."""

from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from torchbridge.layers.preprocessing.image.color import RandomBrightness, RandomContrast
from torchbridge.layers.preprocessing.image.color_adjust import (
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomSaturation,
    RandomSharpness,
)
from torchbridge.layers.preprocessing.image.geometric import (
    RandomFlip,
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
)
from torchbridge.layers.preprocessing.image.histogram import (
    AutoContrast,
    Equalization,
    Solarization,
)
from torchbridge.layers.preprocessing.image.pipeline import Pipeline
from torchbridge.layers.preprocessing.image.resizing_cropping import (
    CenterCrop,
    RandomCrop,
    Resizing,
)

__all__ = [
    "AutoContrast",
    "BaseImagePreprocessingLayer",
    "CenterCrop",
    "Equalization",
    "Pipeline",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
    "Solarization",
]
