"""Keras metrics on PyTorch tensors (``keras.metrics``).

Every metric is a :class:`Metric` with ``update_state`` / ``result`` /
``reset_state``; state tensors follow the inputs' device and updates never
synchronise with the host. Look metrics up with :func:`get` (Keras names and
aliases) and resolve ``"accuracy"`` against the data with :func:`resolve_metric`.

Modules: ``metric`` (base), ``reduction_metrics`` (Mean, Sum, MeanMetricWrapper),
``accuracy_metrics``, ``confusion_metrics`` (counts, Precision, Recall),
``auc_metrics``, ``f_score_metrics``, ``regression_metrics``,
``probabilistic_metrics``, ``hinge_metrics``, ``iou_metrics`` (IoU family),
``r2_score``, ``correlation_metrics`` (Pearson, concordance), ``at_thresholds``
(SensitivityAtSpecificity and relatives), ``lookup`` (get), ``serialization``
(serialize, deserialize) and ``resolution`` (resolve_metric). The snake-case
metric functions Keras exports here (``mean_squared_error`` ...) are the
:mod:`torchbridge.losses` functions.
"""

from __future__ import annotations

from torchbridge.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from torchbridge.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from torchbridge.metrics.at_thresholds import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from torchbridge.metrics.auc_metrics import AUC
from torchbridge.metrics.confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from torchbridge.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from torchbridge.metrics.f_score_metrics import F1Score, FBetaScore
from torchbridge.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from torchbridge.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from torchbridge.metrics.lookup import get
from torchbridge.metrics.metric import Metric
from torchbridge.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from torchbridge.metrics.r2_score import R2Score
from torchbridge.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from torchbridge.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)
from torchbridge.metrics.resolution import resolve_metric
from torchbridge.metrics.serialization import deserialize, serialize

__all__ = [
    # base and reductions
    "Metric",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    # accuracy
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    # confusion matrix
    "AUC",
    "Precision",
    "Recall",
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "F1Score",
    "FBetaScore",
    # regression
    "MeanSquaredError",
    "MeanAbsoluteError",
    "RootMeanSquaredError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "LogCoshError",
    "CosineSimilarity",
    "R2Score",
    "PearsonCorrelation",
    "ConcordanceCorrelation",
    "pearson_correlation",
    "concordance_correlation",
    # segmentation
    "IoU",
    "MeanIoU",
    "BinaryIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    # a rate at a constraint on another
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    # probabilistic and hinge
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    # the loss functions Keras re-exports as metric functions
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    # lookup
    "get",
    "resolve_metric",
    "serialize",
    "deserialize",
]
