"""``StackedRNNCells``: several RNN cells run as one cell (Keras's stacked RNN).

At each timestep the first cell reads the step input, each next cell reads
the previous cell's output; the states are one entry per cell (a cell's own
list when it has several, e.g. an LSTM's ``[h, c]``). ``RNN([cell, cell])``
wraps its list in one of these, as Keras does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from torchbridge.layers.layer import Layer
from torchbridge.layers.rnn_cells import deserialize_cell, serialize_cell
from torchbridge.utils import nest

__all__ = [
    "StackedRNNCells",
    "call_cell",
    "cell_output_size",
    "check_cell",
    "initial_cell_state",
    "zero_states",
]


def check_cell(cell: Any, owner: str) -> None:
    """Keras's duck-typed cell contract, as a clear error when it is not met."""
    if not callable(getattr(cell, "call", None)):
        raise ValueError(
            f"{owner}: a cell must have a `call(inputs, states)` method. Received: cell={cell!r}"
        )
    if getattr(cell, "state_size", None) is None:
        raise ValueError(
            f"{owner}: a cell must have a `state_size` attribute (an integer, or a list of "
            f"integers: one per state tensor). Received: cell={cell!r}"
        )
    if not isinstance(cell, nn.Module):
        raise ValueError(
            f"{owner}: a cell must be a layer (subclass keras.layers.Layer). Received: {cell!r}"
        )


def cell_output_size(cell: Any) -> Any:
    """``cell.output_size``, else the size of its first state (Keras's rule)."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def zero_states(state_size: Any, batch_size: int, like: torch.Tensor | None = None) -> Any:
    """Zeros for every size in ``state_size`` (an int, or nested lists of ints)."""
    if isinstance(state_size, (list, tuple)):
        return [zero_states(s, batch_size, like) for s in state_size]
    if like is not None:
        return like.new_zeros((batch_size, int(state_size)))
    return torch.zeros((batch_size, int(state_size)))


def call_cell(cell: Any, inputs: Any, states: Any, training: Any) -> tuple[Any, Any]:
    """One step of ``cell``; ``training`` reaches it when its ``call`` takes one (a Layer
    drops it otherwise)."""
    if isinstance(cell, Layer):
        return cell(inputs, states, training=training)  # type: ignore[no-any-return]
    return cell(inputs, states)  # type: ignore[no-any-return]


def initial_cell_state(cell: Any, batch_size: int) -> Any:
    """``cell.get_initial_state(batch_size)`` when the cell has one, else zeros."""
    fn = getattr(cell, "get_initial_state", None)
    if fn is not None:
        return fn(batch_size=batch_size)
    state_size = cell.state_size
    if isinstance(state_size, int):
        return zero_states(state_size, batch_size)
    return zero_states(list(state_size), batch_size)


class StackedRNNCells(Layer):
    """Keras's ``StackedRNNCells(cells)``: a list of cells behaving as a single cell."""

    def __init__(self, cells: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells: `cells` must hold at least one cell.")
        for cell in cells:
            check_cell(cell, "StackedRNNCells")
        self.cells = nn.ModuleList(cells)

    @property
    def state_size(self) -> list[Any]:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> Any:
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        return [initial_cell_state(cell, int(batch_size or 1)) for cell in self.cells]

    def build(self, input_shape: Any) -> None:
        batch = nest.flatten(input_shape)[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build_from_shape(tuple(input_shape))
            input_shape = (batch, cell_output_size(cell))

    def call(self, inputs: Any, states: Any, training: bool = False) -> Any:
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = nest.is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            inputs, cell_states = call_cell(cell, inputs, cell_states, training)
            if not nest.is_nested(cell_states):
                cell_states = [cell_states]
            if len(cell_states) == 1 and not was_list:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        if len(new_states) == 1:
            return inputs, new_states[0]
        return inputs, new_states

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cells": [serialize_cell(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StackedRNNCells:
        config = dict(config)
        cells = [deserialize_cell(c) for c in config.pop("cells")]
        return cls(cells, **config)
