"""``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer``: the
scikit-learn estimator kinds on :class:`~torchbridge.wrappers.base.SKLBase`.

The classifier one-hot encodes its labels (``classes_`` holds them, sorted) so the model
trains with a categorical loss, and maps the model's outputs back to labels;
``decision_function`` returns the raw outputs. The transformer's ``transform`` is the
model's output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torchbridge.wrappers._sklearn import (
    ClassifierMixin,
    RegressorMixin,
    TargetReshaper,
    TransformerMixin,
    target_type,
)
from torchbridge.wrappers.base import SKLBase

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


class SKLearnClassifier(ClassifierMixin, SKLBase):  # type: ignore[misc]
    """A compiled torchbridge model as a scikit-learn classifier.

    Labels are one-hot encoded for training (``classes_``: the sorted labels); the model
    should output one column per class (softmax/sigmoid). See :class:`SKLBase` for the
    arguments.
    """

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's raw outputs (probabilities or logits, as the model gives them)."""
        return self._raw_predict(X)

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        kind = target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Only binary and multiclass target types are supported. Target type: {kind}"
            )
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False)
            ).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return np.asarray(self._target_encoder.transform(y))

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"poor_score": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):  # type: ignore[misc]
    """A compiled torchbridge model as a scikit-learn regressor (targets passed as given;
    1-D targets are trained as one column and predicted back as 1-D)."""

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"poor_score": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):  # type: ignore[misc]
    """A compiled torchbridge model as a scikit-learn transformer: ``fit`` trains it on
    ``X``, ``y``; ``transform(X)`` is the model's output (e.g. an embedding)."""

    def transform(self, X: Any) -> np.ndarray:
        """The model's output for ``X``."""
        return self._raw_predict(X)

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"preserves_dtype": []}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
