"""Resolving metric identifiers: ``get`` and the name registry.

``get`` accepts what Keras's ``keras.metrics.get`` accepts — ``None``, a
metric instance, a metric class, a config dict ``{"class_name", "config"}``,
a string, or a plain function — and returns a ready :class:`Metric`.

Strings are the class names, their snake-case forms (``"binary_accuracy"``,
``"auc"``, ``"precision"``, ``"r2_score"``) and Keras's aliases ``"mse" "mae"
"mape" "msle" "bce"`` (also upper case). As in Keras, other function names
(``"log_cosh"``, ``"huber"``) are not metric names: pass the function itself. An unknown string raises
:class:`~torchbridge.errors.UnknownNameError` with the closest names.
``"accuracy"``/``"acc"`` chosen from the data are handled by
:func:`~torchbridge.metrics.resolve_metric`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchbridge.metrics import (
    accuracy_metrics,
    at_thresholds,
    auc_metrics,
    confusion_metrics,
    correlation_metrics,
    f_score_metrics,
    hinge_metrics,
    iou_metrics,
    probabilistic_metrics,
    r2_score,
    reduction_metrics,
    regression_metrics,
)
from torchbridge.metrics._utils import to_snake_case
from torchbridge.metrics.metric import Metric
from torchbridge.metrics.reduction_metrics import MeanMetricWrapper
from torchbridge.utils.registry import Registry

__all__ = ["METRICS", "get", "get_function"]

#: Every built-in metric class by Keras name.
METRICS: Registry[type[Metric]] = Registry("metric")

_MODULES = (
    reduction_metrics,
    accuracy_metrics,
    auc_metrics,
    confusion_metrics,
    f_score_metrics,
    hinge_metrics,
    probabilistic_metrics,
    regression_metrics,
    iou_metrics,
    r2_score,
    correlation_metrics,
    at_thresholds,
)

for _module in _MODULES:
    for _name in _module.__all__:
        _obj = getattr(_module, _name)
        if isinstance(_obj, type) and issubclass(_obj, Metric):
            METRICS.add(_name, _obj)
            METRICS.add(to_snake_case(_name), _obj)

for _alias, _cls in {
    "bce": probabilistic_metrics.BinaryCrossentropy,
    "mse": regression_metrics.MeanSquaredError,
    "mae": regression_metrics.MeanAbsoluteError,
    "mape": regression_metrics.MeanAbsolutePercentageError,
    "msle": regression_metrics.MeanSquaredLogarithmicError,
}.items():
    METRICS.add(_alias, _cls)
    METRICS.add(_alias.upper(), _cls)

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(accuracy_metrics, name) for name in accuracy_metrics.__all__ if name[0].islower()
}
_FUNCTIONS["cosine_similarity"] = regression_metrics.cosine_similarity
_FUNCTIONS["pearson_correlation"] = correlation_metrics.pearson_correlation
_FUNCTIONS["concordance_correlation"] = correlation_metrics.concordance_correlation


def get_function(name: str) -> Callable[..., Any]:
    """A per-sample metric function by name: accuracy functions, then ``torchbridge.losses``."""
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    from torchbridge import losses

    fn = getattr(losses, name, None)
    if callable(fn) and not isinstance(fn, type):
        return fn  # type: ignore[no-any-return]
    known = [*_FUNCTIONS, *getattr(losses, "__all__", ())]
    from torchbridge.errors import UnknownNameError

    raise UnknownNameError("metric function", name, [k for k in known if k[0].islower()])


def get(identifier: Any) -> Metric | None:
    """Turn a metric identifier into a :class:`Metric` (``None`` stays ``None``).

    A :class:`Metric` is returned as is, a class or name is instantiated with
    its defaults, a dict is ``from_config``'d, and any other callable
    ``fn(y_true, y_pred)`` is wrapped in ``MeanMetricWrapper(fn, name=fn.__name__)``.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        return METRICS.get(identifier)()
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(
                "A metric config dict needs a 'class_name' key (and optionally 'config'), "
                f"e.g. {{'class_name': 'AUC', 'config': {{'curve': 'PR'}}}}. Received: "
                f"{identifier!r}"
            )
        cls = METRICS.get(identifier["class_name"])
        return cls.from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        name = getattr(identifier, "__name__", None) or to_snake_case(type(identifier).__name__)
        return MeanMetricWrapper(identifier, name=name)
    raise ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Pass a metric name "
        "(e.g. 'accuracy', 'mae', 'AUC'), a Metric instance or a function "
        "fn(y_true, y_pred) returning per-sample values."
    )
