"""Keras's image preprocessing and augmentation layers (one family per module)."""

from torchbridge.layers.preprocessing.image.augment_policies import AugMix, RandAugment
from torchbridge.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from torchbridge.layers.preprocessing.image.bounding_boxes import MaxNumBoundingBoxes
from torchbridge.layers.preprocessing.image.clahe import (
    ContrastLimitedAdaptiveHistogramEqualization,
)
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
from torchbridge.layers.preprocessing.image.filters import (
    RandomElasticTransform,
    RandomGaussianBlur,
    RandomPerspective,
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
from torchbridge.layers.preprocessing.image.mixing import CutMix, MixUp, RandomErasing
from torchbridge.layers.preprocessing.image.pipeline import Pipeline
from torchbridge.layers.preprocessing.image.resizing_cropping import (
    CenterCrop,
    RandomCrop,
    Resizing,
)

__all__ = [
    "AugMix",
    "AutoContrast",
    "BaseImagePreprocessingLayer",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Equalization",
    "MaxNumBoundingBoxes",
    "MixUp",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
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
