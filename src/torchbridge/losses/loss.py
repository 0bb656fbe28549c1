"""``Loss`` (the base class every loss derives from) and ``LossFunctionWrapper``.

``Loss.__call__(y_true, y_pred, sample_weight=None)`` converts the inputs,
runs the one-time :meth:`Loss.validate` check on the first call of each
instance, computes per-sample values with :meth:`Loss.call` and reduces them
with :func:`~torchbridge.losses.reduction.reduce_weighted_values`. As in
Keras 3, a mask attached to the predictions (``y_pred._keras_mask``, e.g. from
``Embedding(mask_zero=True)``) is combined with the loss's own mask
(``ignore_class``) and folded into the sample weights, so masked entries do not
count.

``LossFunctionWrapper`` turns any ``fn(y_true, y_pred, **kwargs)`` into a
``Loss``; every built-in loss class is one. Custom losses are either a
``Loss`` subclass overriding ``call`` or a plain function wrapped here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from torchbridge.losses._utils import (
    as_float_tensor,
    cast_like,
    get_validator,
    squeeze_or_expand_to_same_rank,
)
from torchbridge.losses.reduction import reduce_weighted_values, standardize_reduction

__all__ = ["Loss", "LossFunctionWrapper"]

DTypeLike = torch.dtype | str | None

_MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


def _to_snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _resolve_dtype(dtype: DTypeLike) -> torch.dtype | None:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    resolved = getattr(torch, str(dtype), None)
    if not isinstance(resolved, torch.dtype) or not resolved.is_floating_point:
        raise ValueError(
            f"Invalid loss dtype {dtype!r}. Pass a floating dtype such as 'float32', "
            "'float64' or torch.float32, or None to compute in y_pred's dtype."
        )
    return resolved


class Loss:
    """Base class of all losses (Keras's ``keras.losses.Loss``).

    Subclasses implement :meth:`call`, returning one loss value per sample (the
    last axis of ``y_pred`` already reduced). ``dtype=None`` computes in
    ``y_pred``'s floating dtype (the default float dtype for integer
    predictions).
    """

    #: Whether ``__call__`` casts ``y_true`` to the compute dtype (integer class
    #: ids for sparse losses stay integers).
    cast_y_true: bool = True

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: DTypeLike = None,
    ) -> None:
        self.name = name or _to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = _resolve_dtype(dtype)
        self._validated = False

    @property
    def dtype(self) -> torch.dtype | None:
        """The compute dtype; ``None`` means "y_pred's dtype"."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        # Keras 3: a mask riding on the predictions (``y_pred._keras_mask``, set by a
        # masking layer such as Embedding(mask_zero=True)) drops the masked entries.
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = as_float_tensor(y_pred, self._dtype)
        if self.cast_y_true:
            y_true = cast_like(y_true, y_pred)
        elif not isinstance(y_true, Tensor) or y_true.device != y_pred.device:
            y_true = torch.as_tensor(y_true, device=y_pred.device)
        if not self._validated:
            # Runs once per instance: the checks may synchronise with the device.
            with torch.no_grad():
                self.validate(y_true, y_pred)
            self._validated = True
        if sample_weight is None and in_mask is None and self.reduction in _MEAN_REDUCTIONS:
            fused = self.fused_mean(y_true, y_pred)
            if fused is not None:
                return fused
        values, mask = self.call_with_mask(y_true, y_pred)
        if in_mask is not None:
            in_mask = in_mask.to(device=values.device, dtype=torch.bool)
            mask = in_mask if mask is None else in_mask & mask.to(torch.bool)
        return reduce_weighted_values(
            values, sample_weight=sample_weight, mask=mask, reduction=self.reduction
        )

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        """Per-sample loss values. Subclasses must override this."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred) returning the "
            "per-sample loss values."
        )

    def call_with_mask(self, y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Tensor | None]:
        """:meth:`call`, plus a boolean mask of the values that count (``None``: all)."""
        return self.call(y_true, y_pred), None

    def fused_mean(self, y_true: Tensor, y_pred: Tensor) -> Tensor | None:
        """The unweighted mean loss in one fused kernel, or ``None`` where there is none.

        Only used when it equals ``call`` followed by the mean reduction.
        """
        return None

    def validate(self, y_true: Tensor, y_pred: Tensor) -> None:
        """One-time check of the first batch; raise LossInputError naming the fix.

        Runs on the first call of each instance only (see :meth:`reset_validation`).
        The base class checks nothing.
        """

    def reset_validation(self) -> None:
        """Make the next call run :meth:`validate` again (e.g. at the start of a new fit)."""
        self._validated = False

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A :class:`Loss` computing ``fn(y_true, y_pred, **kwargs)`` per sample."""

    def __init__(
        self,
        fn: Callable[..., Tensor],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: DTypeLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        if getattr(fn, "keeps_integer_labels", False):
            self.cast_y_true = False

    def _align(self, y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Tensor]:
        return squeeze_or_expand_to_same_rank(y_true, y_pred)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y_true, y_pred = self._align(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def call_with_mask(self, y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Tensor | None]:
        values = self.call(y_true, y_pred)
        mask_fn = getattr(self.fn, "loss_mask", None)
        if mask_fn is None:
            return values, None
        y_true, y_pred = self._align(y_true, y_pred)
        return values, mask_fn(y_true, y_pred, values, **self._fn_kwargs)

    def fused_mean(self, y_true: Tensor, y_pred: Tensor) -> Tensor | None:
        fused = getattr(self.fn, "fused_mean", None)
        if fused is None:
            return None
        y_true, y_pred = self._align(y_true, y_pred)
        result: Tensor | None = fused(y_true, y_pred, **self._fn_kwargs)
        return result

    def validate(self, y_true: Tensor, y_pred: Tensor) -> None:
        check = get_validator(self.fn)
        if check is not None:
            y_true, y_pred = self._align(y_true, y_pred)
            check(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        config = dict(config)
        fn = config.pop("fn", None)
        if isinstance(fn, str):
            from torchbridge.losses.resolve import get

            resolved = get(fn)
            if isinstance(resolved, Loss) or resolved is None:
                raise ValueError(
                    f"LossFunctionWrapper config names {fn!r}, which is not a loss function. "
                    "Pass the name of a loss function such as 'mean_squared_error'."
                )
            fn = resolved
        if fn is None:
            return cls(**config)  # type: ignore[call-arg]
        return cls(fn, **config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """Base of the built-in loss classes: their config is ``name``, ``reduction`` and the
    constructor arguments listed in ``_config_keys`` (Keras's per-class ``get_config``)."""

    _config_keys: tuple[str, ...] = ()

    def __init__(
        self,
        fn: Callable[..., Tensor],
        reduction: str | None,
        name: str | None,
        dtype: DTypeLike,
        **kwargs: Any,
    ) -> None:
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self) -> dict[str, Any]:
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)  # type: ignore[call-arg]
