"""``PreprocessingLayer``: the ``adapt`` contract shared by Keras's stateful preprocessing layers.

``adapt(data)`` resets the layer's state, feeds every batch of ``data`` to
``update_state`` and ends with ``finalize_state`` — Keras's protocol. ``data``
may be what a Keras user passes: a list of strings or numbers (one batch), a
NumPy array, a torch tensor, a ``torchbridge.data.Dataset`` or any other
iterable of batches (a dataset of single strings is grouped into batches).
Batches reach ``update_state`` as NumPy arrays of ``str`` (object dtype) for
text and as torch tensors for numbers.

State that is not a tensor (vocabularies) is saved with the model through
``get_assets`` / ``set_assets`` (JSON-able dicts); numeric state lives in
buffers, so it travels in the safetensors weights like any other tensor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer

__all__ = ["PreprocessingLayer", "iter_adapt_batches", "to_batch"]

_GROUP = 4096  # single strings/numbers from a dataset are grouped into batches of this size


def _is_text(x: Any) -> bool:
    if isinstance(x, (str, bytes)):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "OUS"
    return False


def _decode(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def to_batch(x: Any) -> Any:
    """One batch as a NumPy ``str`` array (text) or a torch tensor (numbers)."""
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (list, tuple)):
        flat = x
        while isinstance(flat, (list, tuple)) and flat:
            flat = flat[0]
        if _is_text(flat):
            arr = np.empty(len(x), dtype=object)
            arr[:] = [_decode(v) if not isinstance(v, (list, tuple)) else v for v in x]
            if arr.size and isinstance(arr[0], (list, tuple)):
                arr = np.array(x, dtype=object)
                return np.vectorize(_decode, otypes=[object])(arr)
            return arr
        return torch.as_tensor(np.asarray(x))
    if isinstance(x, (str, bytes)):
        return np.array([_decode(x)], dtype=object)
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "SU":
            return np.vectorize(_decode, otypes=[object])(x) if x.size else x.astype(object)
        if x.dtype.kind == "O":
            return np.vectorize(_decode, otypes=[object])(x) if x.size else x
        return torch.from_numpy(np.ascontiguousarray(x))
    if np.isscalar(x):
        return torch.as_tensor(np.asarray([x]))
    raise InputError(
        f"adapt() cannot read a batch of type {type(x).__name__}; pass lists, NumPy arrays, "
        "torch tensors or a torchbridge Dataset of them."
    )


def iter_adapt_batches(
    data: Any, batch_size: int | None = None, steps: int | None = None
) -> Iterator[Any]:
    """Batches of ``data`` for ``update_state`` (see the module docstring)."""
    if isinstance(data, (np.ndarray, torch.Tensor, list, tuple, str, bytes)):
        whole = to_batch(data)
        n = len(whole) if getattr(whole, "ndim", 1) > 0 else 1
        size = batch_size or max(n, 1)
        for i, start in enumerate(range(0, n, size)):
            if steps is not None and i >= steps:
                return
            yield whole[start : start + size]
        return
    if isinstance(data, dict):
        raise InputError("adapt() takes one feature, not a dict; adapt one layer per feature.")
    if not isinstance(data, Iterable):
        raise InputError(
            f"adapt() cannot read data of type {type(data).__name__}; pass a list, a NumPy "
            "array, a torch tensor or a torchbridge Dataset."
        )
    pending: list[Any] = []
    count = 0
    for element in data:
        if isinstance(element, tuple) and len(element) in (2, 3):
            raise InputError(
                "adapt() got (x, y) pairs: adapt on the features only, e.g. "
                "`layer.adapt(ds.map(lambda x, y: x))`."
            )
        scalar = isinstance(element, (str, bytes)) or (
            getattr(element, "ndim", None) == 0 or np.isscalar(element)
        )
        if scalar:
            pending.append(element.item() if hasattr(element, "item") else element)
            if len(pending) >= (batch_size or _GROUP):
                yield to_batch(pending)
                pending = []
                count += 1
        else:
            yield to_batch(element)
            count += 1
        if steps is not None and count >= steps:
            return
    if pending:
        yield to_batch(pending)


class PreprocessingLayer(Layer):
    """Base of the preprocessing layers that learn state with ``adapt``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._is_adapted = False

    @property
    def is_adapted(self) -> bool:
        return self._is_adapted

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Compute the layer's state from ``data`` (Keras's ``adapt``)."""
        self.reset_state()
        seen = 0
        for batch in iter_adapt_batches(data, batch_size, steps):
            if len(batch) == 0:
                continue
            self.update_state(batch)
            seen += 1
        if seen == 0:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): adapt() got no data (an empty "
                "array or dataset); pass at least one sample."
            )
        self.finalize_state()
        self._is_adapted = True

    def update_state(self, batch: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be adapted.")

    def finalize_state(self) -> None:
        """Turn the accumulated statistics into the layer's state."""

    def reset_state(self) -> None:
        """Forget what previous ``adapt`` calls accumulated."""

    def get_assets(self) -> dict[str, Any]:
        """Non-tensor state (e.g. a vocabulary) as a JSON-able dict, saved with the model."""
        return {}

    def set_assets(self, assets: dict[str, Any]) -> None:
        """Restore what ``get_assets`` returned."""
