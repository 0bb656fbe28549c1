"""Keras's losses on PyTorch tensors: the same names, arguments, defaults and values.

Functions (``mean_squared_error``, ``sparse_categorical_crossentropy`` ...)
return one loss value per sample; classes (``MeanSquaredError`` ...) add the
Keras reduction and ``sample_weight`` handling. ``get`` resolves a Keras
string identifier. Modules: ``loss`` (``Loss``, ``LossFunctionWrapper``),
``reduction``, ``regression``, ``probabilistic`` (KL, Poisson),
``crossentropy``, ``focal``, ``hinge``, ``ctc``, ``segmentation`` (Dice,
Tversky), ``circle``, ``generalized_crossentropy``, ``validation`` (first-call
checks), ``resolve`` (``get``), ``serialization`` (``serialize``,
``deserialize``).
"""

from __future__ import annotations

from torchbridge.losses.circle import Circle, circle
from torchbridge.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from torchbridge.losses.ctc import CTC, ctc
from torchbridge.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from torchbridge.losses.generalized_crossentropy import (
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from torchbridge.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from torchbridge.losses.loss import Loss, LossFunctionWrapper
from torchbridge.losses.probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from torchbridge.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from torchbridge.losses.resolve import get
from torchbridge.losses.segmentation import Dice, Tversky, dice, tversky
from torchbridge.losses.serialization import deserialize, serialize

# Keras's short aliases of the loss functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

__all__ = [
    # base classes and resolution
    "Loss",
    "LossFunctionWrapper",
    "get",
    "serialize",
    "deserialize",
    # classes
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "Huber",
    "LogCosh",
    "CosineSimilarity",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "CTC",
    "Dice",
    "Tversky",
    "Circle",
    "CategoricalGeneralizedCrossEntropy",
    # functions
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "cosine_similarity",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
    "kl_divergence",
    "poisson",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "ctc",
    "dice",
    "tversky",
    "circle",
    "categorical_generalized_cross_entropy",
    # aliases
    "mse",
    "MSE",
    "mae",
    "MAE",
    "mape",
    "MAPE",
    "msle",
    "MSLE",
    "kld",
    "KLD",
    "kullback_leibler_divergence",
    "logcosh",
    "bce",
    "BCE",
]
