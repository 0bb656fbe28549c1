"""``add_loss`` / ``losses``: the extra loss terms of a forward pass, as Keras keeps them.

A layer (or model) adds scalar terms with ``add_loss`` while it runs; they
live until the next *outermost* call (the call that is not inside another
layer's call) clears them, as in Keras. ``losses`` returns, recursively over
sublayers, those terms plus the penalties of every regularized trainable
weight (computed when asked, so they follow the current weights). ``fit`` and
``evaluate`` add their sum to the compiled loss (``Model.compute_loss``).

The outermost call is tracked per thread (preprocessing layers may run inside
``Dataset.map`` threads). Clearing walks the called module only when some
layer holds losses, so models without ``add_loss`` pay nothing per step.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import torch
from torch import nn

from torchbridge.layers.layer_weights import mark_loss_source
from torchbridge.layers.variable import regularization_penalty

__all__ = ["LossesMixin", "enter_call", "exit_call"]

_STATE = threading.local()
# Modules whose ``_losses`` list is not empty (cleared at the next outermost call).
_HOLDERS: weakref.WeakSet[nn.Module] = weakref.WeakSet()


def enter_call(module: nn.Module) -> bool:
    """Start a call of ``module``; clears stale losses when it is the outermost call.

    Returns whether it is the outermost one (pass it to :func:`exit_call`).
    """
    depth = getattr(_STATE, "depth", 0)
    _STATE.depth = depth + 1
    if depth == 0 and _HOLDERS:
        for m in module.modules():
            if m in _HOLDERS:
                m.__dict__["_losses"] = []
                _HOLDERS.discard(m)
    return depth == 0


def exit_call() -> None:
    _STATE.depth = getattr(_STATE, "depth", 1) - 1


class LossesMixin:
    """Keras's ``add_loss`` and ``losses`` for an ``nn.Module``."""

    def add_loss(self, loss: Any) -> None:
        """Add a loss term (a tensor, or a list/tuple of tensors) to this call's losses."""
        terms = list(loss) if isinstance(loss, (list, tuple)) else [loss]
        for term in terms:
            if not isinstance(term, torch.Tensor):
                raise ValueError(
                    "`add_loss()` can only be called from inside `build()` or `call()`, on a "
                    f"tensor input. Received invalid value: {term!r}"
                )
        own = self.__dict__.setdefault("_losses", [])
        own.extend(terms)
        _HOLDERS.add(self)  # type: ignore[arg-type]
        mark_loss_source()

    def _own_losses(self) -> list[torch.Tensor]:
        return list(self.__dict__.get("_losses", ()))

    @property
    def losses(self) -> list[torch.Tensor]:
        """``add_loss`` terms of the last call (this layer and its sublayers), then the
        regularization penalties of the trainable weights."""
        module: Any = self
        out: list[torch.Tensor] = []
        for m in module.modules():
            out.extend(m.__dict__.get("_losses", ()))
        for w in module.trainable_weights:
            penalty = regularization_penalty(w)
            if penalty is not None:
                out.append(penalty)
        return out

    def _clear_losses(self) -> None:
        module: Any = self
        for m in module.modules():
            if "_losses" in m.__dict__:
                m.__dict__["_losses"] = []
            _HOLDERS.discard(m)
