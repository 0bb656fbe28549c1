"""Session state of ``keras.backend``: unique ids, ``clear_session``, ``is_keras_tensor``."""

from __future__ import annotations

import gc
from collections import defaultdict
from typing import Any

__all__ = ["clear_session", "get_uid", "is_keras_tensor"]

_uids: defaultdict[str, int] = defaultdict(int)


def get_uid(prefix: str = "") -> int:
    """The next id for ``prefix``: 1, 2, 3 ... (reset by :func:`clear_session`)."""
    _uids[prefix] += 1
    return _uids[prefix]


def clear_session(free_memory: bool = True) -> None:
    """Forget generated names and ids (layer names start again at ``dense``, ``dense_1``...).

    With ``free_memory``, also run the garbage collector and release cached
    accelerator memory.
    """
    _uids.clear()
    # Name counters live in the floors above; they are reset without importing them
    # at module level (this package is the ground floor).
    from torchbridge.layers import layer as _layer
    from torchbridge.metrics import _utils as _metric_utils

    _layer._NAME_COUNTS.clear()
    _metric_utils.reset_auto_names()
    if free_memory:
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic ``KerasTensor`` (a functional-API placeholder)."""
    from torchbridge.layers.symbolic import KerasTensor

    return isinstance(x, KerasTensor)
