"""scikit-learn access for the wrappers: its base classes (or stand-ins when it is absent),
the version-proof ``validate_data``, target typing and the 1-D/2-D target reshaper.

scikit-learn is imported here, at the top of the wrappers package only; ``import
torchbridge`` never reaches this module (``torchbridge.wrappers`` is loaded on first use).
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    sklearn = None

    class BaseEstimator:  # type: ignore[no-redef]
        """Stand-in so the classes can be defined; constructing one raises."""

    class ClassifierMixin:  # type: ignore[no-redef]
        pass

    class RegressorMixin:  # type: ignore[no-redef]
        pass

    class TransformerMixin:  # type: ignore[no-redef]
        pass


__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "RegressorMixin",
    "TransformerMixin",
    "TargetReshaper",
    "require_sklearn",
    "routing_enabled",
    "target_type",
    "validate_data",
]


def require_sklearn(owner: str) -> None:
    """Raise a clear ImportError naming the extra when scikit-learn is missing."""
    if sklearn is None:
        raise ImportError(
            f"{owner} needs scikit-learn. Install it with `pip install scikit-learn` "
            "(or `pip install torchbridge[sklearn]`)."
        )


def validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's input validation (``validate_data`` from 1.6, the method before)."""
    try:
        from sklearn.utils.validation import validate_data as _validate
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return _validate(estimator, *args, **kwargs)


def target_type(y: Any) -> str:
    """scikit-learn's ``type_of_target``, raising on an unknown label type."""
    from sklearn.utils.multiclass import type_of_target

    kind = str(type_of_target(y))
    if kind == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return kind


def routing_enabled() -> bool:
    """Whether scikit-learn's metadata routing is switched on."""
    if sklearn is None:
        return False
    return bool(sklearn.get_config().get("enable_metadata_routing", False))


class TargetReshaper(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Makes 1-D targets 2-D (for encoders that need columns) and squeezes them back."""

    def fit(self, y: np.ndarray) -> TargetReshaper:
        self.ndim_ = y.ndim
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y: np.ndarray) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y
