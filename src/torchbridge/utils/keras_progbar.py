"""``keras.utils.Progbar``: the progress bar of :mod:`torchbridge.utils.progbar` with Keras's
public signature and its running averages.

Keras's bar averages every metric over the steps it has seen (weighted by how many steps
each update covers) unless the metric is named in ``stateful_metrics``, or, with
``stateless_metrics``, only those named are averaged. The engine's own bar (which is handed
values that are already running aggregates) is :class:`torchbridge.utils.progbar.Progbar`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from torchbridge.utils import progbar as _engine_progbar

__all__ = ["Progbar"]


class Progbar(_engine_progbar.Progbar):
    """A progress bar: ``update(current, values)`` / ``add(n, values)`` (Keras's API)."""

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. "
                "`stateful_metrics` is used to make metrics stateless by default (with an "
                "exclusion list), while `stateless_metrics` is used to make metrics stateful "
                "by default (with an exclusion list)."
            )
        super().__init__(
            target, width=width, verbose=verbose, interval=interval, unit_name=unit_name
        )
        self.stateful_metrics: set[str] | None = None
        self.stateless_metrics: set[str] | None = None
        if stateless_metrics is not None:
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
        self._seen_so_far = 0
        self._values: dict[str, list[Any]] = {}  # name -> [weighted sum, steps] (Keras's layout)

    def _averaged(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in (self.stateless_metrics or set())

    def update(
        self,
        current: int,
        values: Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Move the bar to step ``current`` with ``values``: ``[(name, value), ...]``."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        base = max(current - self._seen_so_far, 1)
        for name, value in values or ():
            if hasattr(value, "detach"):  # a torch tensor (possibly on a device, with grad)
                value = value.detach().cpu().numpy()
            if not self._averaged(name) or finalize:
                self._values[name] = [value, 1]  # the last value, as Keras shows at the end
            elif name in self._values:
                self._values[name][0] += value * base
                self._values[name][1] += base
            else:
                self._values[name] = [value * base, base]
        self._seen_so_far = current
        if self.verbose == 1 and not finalize and not self.due():
            return
        shown = [
            (name, np.mean(total / max(1, count))) for name, (total, count) in self._values.items()
        ]
        super().update(current, shown, finalize=finalize)

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advance the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)
