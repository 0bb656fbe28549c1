"""The ``logs`` dicts callbacks receive: Keras's conversion, done lazily for batches.

Keras hands every hook a fresh ``dict`` made by ``pythonify_logs``: keys
sorted, nested dicts flattened into the top level, tensors converted to NumPy
and then to ``float`` where they are scalars. :func:`pythonify_logs` does the
same here.

Per-batch logs are the hot path: converting them means reading the metrics
back from the device. :class:`LazyLogs` is a real ``dict`` (``isinstance(logs,
dict)``, ``logs.keys()``, ``dict(logs)``, ``json.dumps(logs)`` all work) that
runs the conversion only when something first looks inside it, so a callback
that overrides ``on_train_batch_end`` but never reads ``logs`` adds no
device→host synchronisation to the step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["LazyLogs", "pythonify_logs"]


def _pythonify_value(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.dtype in (torch.bfloat16, torch.float16):
            value = value.float()
        value = value.cpu().numpy()
    if isinstance(value, np.ndarray):
        # Keras tries float() on everything; arrays with dimensions stay arrays here
        # (NumPy deprecates float() on them).
        return float(value) if value.ndim == 0 and value.dtype.kind in "biuf" else value
    if isinstance(value, (bool, int, float, np.generic)):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def pythonify_logs(logs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A new dict: keys sorted, nested dicts merged in, scalars as Python floats."""
    out: dict[str, Any] = {}
    if not logs:
        return out
    for key, value in sorted(logs.items()):
        if isinstance(value, Mapping):
            out.update(pythonify_logs(value))
        else:
            out[key] = _pythonify_value(value)
    return out


class LazyLogs(dict):  # type: ignore[type-arg]
    """A ``dict`` filled with ``pythonify_logs(source)`` on first access."""

    __slots__ = ("_pending",)

    def __init__(self, source: Mapping[str, Any] | None) -> None:
        super().__init__()
        self._pending = source

    def _fill(self) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            dict.update(self, pythonify_logs(pending))

    # Every way of looking inside (or changing) the dict fills it first.
    def __getitem__(self, key: Any) -> Any:
        self._fill()
        return dict.__getitem__(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._fill()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._fill()
        dict.__delitem__(self, key)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[Any]:
        self._fill()
        return dict.__iter__(self)

    def __reversed__(self) -> Iterator[Any]:
        self._fill()
        return dict.__reversed__(self)

    def __len__(self) -> int:
        self._fill()
        return dict.__len__(self)

    def __eq__(self, other: object) -> bool:
        self._fill()
        if isinstance(other, LazyLogs):
            other._fill()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __or__(self, other: Any) -> Any:
        self._fill()
        return dict(self.items()) | other

    def __ror__(self, other: Any) -> Any:
        self._fill()
        return other | dict(self.items())

    def __ior__(self, other: Any) -> LazyLogs:
        self.update(other)
        return self

    def __repr__(self) -> str:
        self._fill()
        return dict.__repr__(self)

    def __reduce__(self) -> Any:
        # copy / deepcopy / pickle give a plain dict of the values.
        self._fill()
        return (dict, (dict(dict.items(self)),))

    def keys(self) -> Any:
        self._fill()
        return dict.keys(self)

    def values(self) -> Any:
        self._fill()
        return dict.values(self)

    def items(self) -> Any:
        self._fill()
        return dict.items(self)

    def get(self, key: Any, default: Any = None) -> Any:
        self._fill()
        return dict.get(self, key, default)

    def pop(self, key: Any, *default: Any) -> Any:
        self._fill()
        return dict.pop(self, key, *default)

    def popitem(self) -> Any:
        self._fill()
        return dict.popitem(self)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._fill()
        return dict.setdefault(self, key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._fill()
        dict.update(self, *args, **kwargs)

    def copy(self) -> dict[str, Any]:
        self._fill()
        return dict(dict.items(self))

    def clear(self) -> None:
        self._pending = None
        dict.clear(self)
