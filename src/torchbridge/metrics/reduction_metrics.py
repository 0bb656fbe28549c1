"""Metrics that reduce values: ``Sum``, ``Mean`` and ``MeanMetricWrapper``.

``MeanMetricWrapper`` turns any ``fn(y_true, y_pred, **kwargs)`` returning
per-sample values into a running (weighted) mean; most built-in metrics
(accuracies, regression errors, loss metrics) are one.

Sample weights follow Keras: the weights and the values are aligned by rank,
values with more axes than the weights are averaged down to the weights' rank,
the weights are broadcast to the values, and the weighted mean is
``sum(v * w) / sum(w)``.

Masks follow Keras 3: ``MeanMetricWrapper`` multiplies the sample weights by
the mask riding on the predictions (``y_pred._keras_mask``; weights 1 where
none were given), so masked entries do not count; ``Sum`` and ``Mean`` apply a
mask carried by the values themselves only when sample weights are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from torchbridge.metrics._utils import (
    DTypeLike,
    divide_no_nan,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)
from torchbridge.metrics.metric import Metric

__all__ = ["Sum", "Mean", "MeanMetricWrapper", "reduce_to_samplewise_values"]

_Reduce = Callable[..., Tensor]


def reduce_to_samplewise_values(
    values: Tensor, sample_weight: Tensor | None, reduce_fn: _Reduce
) -> tuple[Tensor, Tensor | None]:
    """Weight ``values`` and reduce them (and the weights) to one value per sample.

    Returns ``(values, sample_weight)`` where ``values`` has at most one axis and
    ``sample_weight`` (if given) has been reduced the same way.
    """
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, dim=tuple(range(weight_ndim, values.ndim)))
        try:
            sample_weight = sample_weight.broadcast_to(values.shape)
        except RuntimeError:
            raise ValueError(
                f"sample_weight of shape {tuple(sample_weight.shape)} cannot be broadcast to "
                f"the metric values of shape {tuple(values.shape)}. Give one weight per sample "
                "(shape (batch,)) or weights shaped like the values."
            ) from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, dim=tuple(range(1, values.ndim)))
    return values, sample_weight


def _apply_values_mask(weights: Tensor, mask: Any) -> Tensor:
    """Weights times the mask the values carried (Keras applies it only when weighted)."""
    if mask is None:
        return weights
    float_mask = to_tensor(mask, weights.dtype, weights.device)
    float_mask, weights = squeeze_or_expand_to_same_rank(float_mask, weights)
    return weights * float_mask


class Sum(Metric):
    """The (weighted) sum of the given values.

    Args:
        name: name of the metric instance.
        dtype: dtype of the state and the result.
    """

    def __init__(self, name: str = "sum", dtype: DTypeLike = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        mask = getattr(values, "_keras_mask", None) if sample_weight is not None else None
        values = self._input(values, self._torch_dtype)
        if sample_weight is None:
            self.total.add_(values.sum())
            return
        weights = _apply_values_mask(self._input(sample_weight, self._torch_dtype), mask)
        values, _ = reduce_to_samplewise_values(values, weights, torch.sum)
        self.total.add_(values.sum())

    def result(self) -> Tensor:
        return self.total.clone()


class Mean(Metric):
    """The (weighted) mean of the given values.

    Values with several axes count as one sample per row (the extra axes are
    averaged first), as in Keras.

    Args:
        name: name of the metric instance.
        dtype: dtype of the state and the result.
    """

    def __init__(self, name: str | None = "mean", dtype: DTypeLike = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")
        # Unweighted row counts are known on the host: they are kept here and folded
        # into ``count`` when it is read, saving one kernel per update.
        self._pending_rows = 0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        mask = getattr(values, "_keras_mask", None) if sample_weight is not None else None
        values = self._input(values, self._torch_dtype)
        if sample_weight is None:
            # Hot path (every training step): one reduction and one in-place add.
            if values.ndim == 0:
                self.total.add_(values)
                self._pending_rows += 1
                return
            self._pending_rows += values.shape[0]
            per_row = math.prod(values.shape[1:])
            if per_row == 1:
                self.total.add_(values.sum())
            else:
                # Averaging each row first (Keras) is the same as scaling the sum.
                self.total.add_(values.sum(), alpha=1.0 / per_row)
            return
        weights = _apply_values_mask(self._input(sample_weight, self._torch_dtype), mask)
        values, reduced = reduce_to_samplewise_values(values, weights, torch.mean)
        self.total.add_(values.sum())
        assert reduced is not None
        self.count.add_(reduced.sum())

    def _flush_rows(self) -> None:
        if self._pending_rows:
            self.count.add_(self._pending_rows)
            self._pending_rows = 0

    @property
    def variables(self) -> list[Tensor]:
        self._flush_rows()
        return super().variables

    def result(self) -> Tensor:
        self._flush_rows()
        return divide_no_nan(self.total, self.count)

    def reset_state(self) -> None:
        super().reset_state()
        self._pending_rows = 0


class MeanMetricWrapper(Mean):
    """The running mean of a function ``fn(y_true, y_pred, **kwargs)``.

    ``fn`` returns one value per sample (or per element); ``result()`` is the
    (weighted) mean of everything seen since the last reset.

    Args:
        fn: the function to average, e.g. a loss function.
        name: name of the metric instance.
        dtype: dtype of the state and the result.
        **kwargs: keyword arguments passed to ``fn`` on every call.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        dtype: DTypeLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        # Loss functions that drop some values (ignore_class) say which through
        # ``fn.loss_mask``. As in Keras, the mask only zeroes *sample weights*: without
        # weights, masked values count as 0 in the mean.
        self._mask_fn: Callable[..., Tensor | None] | None = getattr(fn, "loss_mask", None)
        if getattr(fn, "__module__", "").startswith("torchbridge.losses"):
            self._direction = "down"

    # Keras's signature: (y_true, y_pred) although Mean takes (values,).
    def update_state(  # type: ignore[override]
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> None:
        # Keras 3: a mask riding on the predictions (``y_pred._keras_mask``) becomes
        # (part of) the sample weights, so masked entries do not count in the mean.
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = self._input(y_pred)
        y_true = self._input(y_true)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if in_mask is not None:
            sample_weight = self._masked_weights(sample_weight, self._input(in_mask))
        if self._mask_fn is not None and sample_weight is not None:
            mask = self._mask_fn(y_true, y_pred, values, **self._fn_kwargs)
            if mask is not None:
                sample_weight = self._masked_weights(sample_weight, mask)
        super().update_state(values, sample_weight=sample_weight)

    def _masked_weights(self, sample_weight: Any, mask: Tensor) -> Tensor:
        """Zero the weights of masked-out values (Keras's ``apply_mask``, reduction "sum")."""
        float_mask = mask.to(self._torch_dtype)
        if sample_weight is None:
            return float_mask
        weights = self._input(sample_weight, self._torch_dtype)
        float_mask, weights = squeeze_or_expand_to_same_rank(float_mask, weights)
        return weights * float_mask

    def get_config(self) -> dict[str, Any]:
        fn = self._fn
        fn_name = getattr(fn, "__name__", None)
        return {**super().get_config(), "fn": fn_name or fn, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        config = dict(config)
        fn = config.get("fn")
        if isinstance(fn, str):
            from torchbridge.metrics.lookup import get_function

            config["fn"] = get_function(fn)
        return cls(**config)
