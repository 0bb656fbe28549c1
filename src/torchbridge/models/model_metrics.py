"""Keras's metrics side of ``Model``: ``metrics``, ``metrics_names``, ``reset_metrics``.

Keras 3 lists a compiled model's metrics as ``[loss tracker ("loss"),
compile_metrics (every compile(metrics=...) behind one entry), per-output
losses]``, then the ``Metric`` objects a subclass set as attributes — the
list a custom ``train_step`` loops over. The tf.keras names
``compiled_loss`` / ``compiled_metrics`` still work, with Keras's
deprecation warnings.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from torchbridge.metrics import Metric
from torchbridge.training.logs import metric_results

__all__ = ["ModelMetricsMixin"]


class ModelMetricsMixin:
    """``metrics`` and friends for ``Model`` (state kept by ``Model.compile``)."""

    compiled: Any
    _metrics_cache: Any
    _loss_tracker: Any
    _compile_metrics_entry: Any
    _compiled_loss: Any

    @property
    def metrics(self) -> list[Any]:
        """Keras's order: the loss tracker (``"loss"``), the compiled metrics as one
        ``"compile_metrics"`` entry, per-output losses, then ``Metric`` objects set as
        attributes of the model."""
        if self._metrics_cache is not None:
            return self._metrics_cache  # type: ignore[no-any-return]
        out: list[Any] = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics_entry is not None:
                out.append(self._compile_metrics_entry)
            if self._compiled_loss is not None:
                out.extend(self._compiled_loss.metrics())
        own = (self._loss_tracker, self._compile_metrics_entry)
        out += [v for v in self.__dict__.values() if isinstance(v, Metric) and v not in own]
        if self._compiled_loss is None or self._compiled_loss.built:
            self._metrics_cache = out  # complete: per-output losses are built lazily
        return out

    @property
    def metrics_names(self) -> list[str]:
        """The names of :attr:`metrics`."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset every metric in :attr:`metrics`."""
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict[str, Any]:
        """The metrics' current results, flattened (``compile_metrics`` unpacked)."""
        return metric_results(self.metrics)

    # Keras 3 keeps these two tf.keras names on its TensorFlow backend, with a warning.
    @property
    def compiled_metrics(self) -> Any:
        """Deprecated (tf.keras): ``compiled_metrics.update_state(y, y_pred, sample_weight)``."""
        model = self

        class _DeprecatedCompiledMetrics:
            def update_state(self, y: Any, y_pred: Any, sample_weight: Any = None) -> None:
                warnings.warn(
                    "`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n"
                    "for metric in self.metrics:\n    metric.update_state(y, y_pred)",
                    stacklevel=2,
                )
                if model._compile_metrics_entry is not None:
                    model._compile_metrics_entry.update_state(y, y_pred, sample_weight)

        return _DeprecatedCompiledMetrics()

    def compiled_loss(
        self, y: Any, y_pred: Any, sample_weight: Any = None, regularization_losses: Any = None
    ) -> torch.Tensor:
        """Deprecated (tf.keras): ``compute_loss(y=y, y_pred=y_pred, sample_weight=...)``
        (which already adds ``model.losses``; ``regularization_losses`` is ignored)."""
        warnings.warn(
            "`model.compiled_loss()` is deprecated. Instead, use "
            "`model.compute_loss(x, y, y_pred, sample_weight, training)`.",
            stacklevel=2,
        )
        return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)  # type: ignore[attr-defined, no-any-return]
