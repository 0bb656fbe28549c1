"""Rematerialization (gradient checkpointing) the Keras way: ``keras.remat(f)`` and
``keras.RematScope``.

``remat(f)`` returns ``f`` wrapped in ``torch.utils.checkpoint.checkpoint`` (non-reentrant,
RNG state preserved, so a recomputed dropout draws the same mask): the forward pass keeps
only ``f``'s inputs, and backward recomputes ``f``'s intermediates — less memory for more
compute. ``RematScope(mode=...)`` is a context manager: layers *created* inside it take its
mode (Keras reads the scope at layer construction, not at call time):

* ``"full"`` — the whole ``call`` of every such layer is rematerialized;
* ``"activations"`` — only the ``activation`` function of layers that have one;
* ``"larger_than"`` — layers whose output holds more than ``output_size_threshold``
  elements (summed over outputs, batch dimension included);
* ``"list_of_layers"`` — the layers named in ``layer_names``;
* ``None`` — none (an inner scope can switch rematerialization off).

The layer side lives in :mod:`torchbridge.layers.layer_remat`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.utils.checkpoint

__all__ = ["RematMode", "RematScope", "get_current_remat_mode", "remat"]

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_stack: list[RematScope] = []


class RematMode(NamedTuple):
    mode: str | None
    output_size_threshold: int
    layer_names: list[str]


class RematScope:
    """Rematerialize the layers created inside this ``with`` block (see the module doc)."""

    def __init__(
        self,
        mode: str | None = "full",
        output_size_threshold: int = 1024,
        layer_names: list[str] | None = None,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])
        self._pop_on_exit = False

    def __enter__(self) -> RematScope:
        _stack.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pop_on_exit:
            _stack.pop()
            self._pop_on_exit = False


def get_current_remat_mode() -> RematMode | None:
    """The innermost open scope's settings, or ``None`` outside every scope."""
    if not _stack:
        return None
    scope = _stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` rematerialized: its intermediates are recomputed during backward."""

    def rematerialized(*args: Any, **kwargs: Any) -> Any:
        if not torch.is_grad_enabled():  # nothing to save memory on: plain call
            return f(*args, **kwargs)
        return torch.utils.checkpoint.checkpoint(f, *args, use_reentrant=False, **kwargs)

    rematerialized.__wrapped__ = f  # type: ignore[attr-defined]
    return rematerialized
