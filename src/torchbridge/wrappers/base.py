"""``SKLBase``: what the three scikit-learn wrappers share — building the model (a
function of ``X`` and ``y``, or a compiled model that is cloned), fitting it, predicting,
tags, cloning and metadata-routing requests. Classifier / regressor / transformer
specifics live in :mod:`torchbridge.wrappers.estimators`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from torchbridge.wrappers._sklearn import (
    BaseEstimator,
    TargetReshaper,
    require_sklearn,
    routing_enabled,
    target_type,
    validate_data,
)

__all__ = ["SKLBase", "check_compiled"]


def check_compiled(model: Any) -> None:
    """The wrapped model must come compiled, with a loss and an optimizer."""
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(
            "Given model needs to be compiled, and have a loss and an optimizer: call "
            "model.compile(optimizer=..., loss=...) in the function that builds it."
        )


class SKLBase(BaseEstimator):  # type: ignore[misc]
    """A torchbridge model as a scikit-learn estimator.

    Args:
        model: a compiled ``Model`` (cloned with ``clone_model`` before each fit unless
            ``warm_start``), or a callable ``model(X=..., y=..., **model_kwargs)``
            returning a compiled ``Model``.
        warm_start: reuse the fitted model (and its weights) on the next ``fit``.
        model_kwargs: extra keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``Model.fit``; those given to :meth:`fit`
            take precedence.

    Attributes: ``model_`` (the fitted model), ``history_`` (``Model.fit``'s History).
    """

    def __init__(
        self,
        model: Any,
        warm_start: bool = False,
        model_kwargs: dict[str, Any] | None = None,
        fit_kwargs: dict[str, Any] | None = None,
    ) -> None:
        require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    # --- scikit-learn protocol ------------------------------------------------------
    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self) -> SKLBase:
        """An unfitted copy: a model function is shared, a model instance deep-copied."""
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(
            model=model,
            warm_start=self.warm_start,
            model_kwargs=self.model_kwargs,
            fit_kwargs=self.fit_kwargs,
        )

    @property
    def epoch_(self) -> int:
        """Epochs trained by the last fit (0 before fitting)."""
        history = getattr(self, "history_", None)
        return len(getattr(history, "epoch", None) or [])

    def set_fit_request(self, **kwargs: Any) -> SKLBase:
        """Request metadata (e.g. ``sample_weight=True``) when routing is enabled."""
        if not routing_enabled():
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You can "
                "enable it using sklearn.set_config(enable_metadata_routing=True)."
            )
        from sklearn.utils.metadata_routing import MetadataRequest

        self._metadata_request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            self._metadata_request.score.add_request(param=param, alias=alias)
        return self

    # --- model --------------------------------------------------------------------------
    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Any:
        from torchbridge.models import Model, clone_model

        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            if self.warm_start:
                return self.model
            return clone_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X: Any, y: Any, **kwargs: Any) -> SKLBase:
        """Build (or reuse) the model and ``Model.fit`` it on ``X``, ``y``; ``kwargs`` go
        to ``Model.fit`` (over ``fit_kwargs``)."""
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        check_compiled(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def _raw_predict(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        out = self.model_.predict(X)
        if isinstance(out, (list, tuple)) and len(out) == 1:
            out = out[0]  # a model built with outputs=[y] predicts y, as in Keras
        return np.asarray(out)

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions, mapped back to the target's form."""
        return self._reverse_process_target(self._raw_predict(X))

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        target_type(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return np.asarray(self._target_encoder.transform(y))

    def _reverse_process_target(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(self._target_encoder.inverse_transform(y))
