"""Keras preprocessing layers: state learned with ``adapt`` and saved with the model."""

from torchbridge.layers.preprocessing.audio import MelSpectrogram, STFTSpectrogram
from torchbridge.layers.preprocessing.base import PreprocessingLayer
from torchbridge.layers.preprocessing.category_encoding import CategoryEncoding
from torchbridge.layers.preprocessing.discretization import Discretization
from torchbridge.layers.preprocessing.hashed_crossing import HashedCrossing
from torchbridge.layers.preprocessing.hashing import Hashing
from torchbridge.layers.preprocessing.image import (
    AutoContrast,
    CenterCrop,
    Equalization,
    Pipeline,
    RandomBrightness,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomRotation,
    RandomSaturation,
    RandomSharpness,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Resizing,
    Solarization,
)
from torchbridge.layers.preprocessing.integer_lookup import IntegerLookup
from torchbridge.layers.preprocessing.normalization import Normalization
from torchbridge.layers.preprocessing.string_lookup import StringLookup
from torchbridge.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Equalization",
    "HashedCrossing",
    "Hashing",
    "IntegerLookup",
    "MelSpectrogram",
    "Normalization",
    "Pipeline",
    "PreprocessingLayer",
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
    "STFTSpectrogram",
    "Solarization",
    "StringLookup",
    "TextVectorization",
]
