"""``CompileMetrics``: the ``metrics=`` of ``compile`` as one entry of ``model.metrics``.

Keras 3 lists a model's metrics as ``[loss tracker, compile_metrics, ...]``:
every compiled metric sits behind one ``Metric`` named ``"compile_metrics"``
whose ``update_state(y, y_pred, sample_weight)`` feeds them all (building them
on first use, when the outputs are known) and whose ``result()`` is a dict.
That is what a custom ``train_step`` written as in Keras's guides relies on:
``for m in self.metrics: m.update_state(loss if m.name == "loss" else (y, y_pred))``.
The per-output work is done by
:class:`~torchbridge.training.compile_state.CompiledMetrics`.
"""

from __future__ import annotations

from typing import Any

import torch

from torchbridge.metrics import Metric
from torchbridge.training.compile_state import CompiledMetrics

__all__ = ["CompileMetrics"]


class CompileMetrics(Metric):
    """All compiled metrics as one ``Metric`` (Keras's ``CompileMetrics``)."""

    def __init__(self, compiled: CompiledMetrics, loss: Any = None) -> None:
        super().__init__(name="compile_metrics")
        self.compiled = compiled
        self._loss = loss  # the compiled loss: "accuracy" resolves against it

    @property
    def built(self) -> bool:
        return self.compiled.built

    @property
    def metrics(self) -> list[Any]:
        """The individual metrics (empty until built on the first batch)."""
        return self.compiled.metrics() if self.compiled.built else []

    @property
    def variables(self) -> list[torch.Tensor]:
        return [v for m in self.metrics for v in m.variables]

    def build(self, y_true: Any, y_pred: Any) -> None:
        self.compiled.build(y_true, y_pred, self._loss)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.compiled.built:
            self.build(y_true, y_pred)
        self.compiled.update_state(y_true, y_pred, sample_weight)

    def result(self) -> dict[str, Any]:  # type: ignore[override]
        return {m.name: m.result() for m in self.metrics}

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}
