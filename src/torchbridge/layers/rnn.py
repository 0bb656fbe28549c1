"""``RNN``: Keras's generic recurrent layer — a cell run over the time axis.

``RNN(cell)`` takes any Keras-style cell (a layer with ``state_size``, an
optional ``output_size`` and ``get_initial_state(batch_size)``, and
``call(inputs, states) -> (output, new_states)``); a list of cells becomes a
``StackedRNNCells``. Everything about running a *sequence* lives here and is
shared with the built-in ``SimpleRNN`` / ``LSTM`` / ``GRU`` (``_rnn_base``),
which only replace how the steps are computed (:meth:`RNN._run`):

* ``initial_state=`` (flat or nested like ``state_size``), else the cell's
  initial state; ``stateful`` states kept between calls (``states``,
  ``reset_state()``);
* masks as Keras's loop applies them (:func:`run_steps`): a masked step keeps
  the previous states, its output is the previous output (zeros with
  ``zero_output_for_mask``);
* ``go_backwards``, ``return_sequences``, ``return_state`` (``(output,
  *states)``), output shapes and masks, and the config (the cell nested as
  Keras nests it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer
from torchbridge.layers.rnn_cells import deserialize_cell, serialize_cell
from torchbridge.layers.stacked_rnn_cells import (
    StackedRNNCells,
    call_cell,
    cell_output_size,
    check_cell,
    initial_cell_state,
)
from torchbridge.utils import nest

__all__ = ["RNN", "run_steps"]

# step(t, states) -> (output at t, new states)
StepFn = Callable[[int, Any], tuple[torch.Tensor, Any]]


def _expand(keep: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A (batch,) mask shaped to broadcast over ``like`` (batch first)."""
    return keep.view(keep.shape[0], *([1] * (like.ndim - 1)))


def run_steps(
    step: StepFn,
    steps: int,
    states: Any,
    mask: torch.Tensor | None,
    *,
    zero_output_for_mask: bool,
    return_sequences: bool,
) -> tuple[torch.Tensor | None, torch.Tensor, Any]:
    """Keras's recurrent loop: ``(sequence or None, last output, final states)``.

    At a masked step every state keeps its previous value and the output is
    the previous step's output (zeros before the first unmasked step), or
    zeros with ``zero_output_for_mask``. States keep the structure of
    ``states`` whatever containers the step returns.
    """
    structure = states
    flat = nest.flatten(states)
    previous: torch.Tensor | None = None
    outputs: list[torch.Tensor] = []
    output: Any = None
    for t in range(steps):
        output, new_states = step(t, states)
        new_flat = nest.flatten(new_states)
        if len(new_flat) != len(flat):
            raise InputError(
                f"The RNN cell returned {len(new_flat)} state tensor(s) but was given "
                f"{len(flat)}: return one new state per state in `state_size`."
            )
        if mask is not None:
            keep = mask[:, t]
            new_flat = [torch.where(_expand(keep, n), n, s) for n, s in zip(new_flat, flat)]
            if previous is None or zero_output_for_mask:
                previous = torch.zeros_like(output)
            output = torch.where(_expand(keep, output), output, previous)
            previous = output
        flat = new_flat
        states = nest.pack_sequence_as(structure, flat)
        if return_sequences:
            outputs.append(output)
    seq = torch.stack(outputs, 1) if return_sequences else None
    return seq, output, states


class RNN(Layer):
    """Keras's ``RNN(cell, return_sequences=False, return_state=False, go_backwards=False,
    stateful=False, unroll=False, zero_output_for_mask=False)``.

    ``unroll`` is accepted and recorded; torch runs the same loop either way.
    """

    # The built-in layers hold their own weights and pass no cell.
    _cell_required: ClassVar[bool] = True

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if cell is not None or self._cell_required:
            check_cell(cell, type(self).__name__)
            state_size = cell.state_size
            if not isinstance(state_size, (int, list, tuple)):
                raise ValueError(
                    f"{type(self).__name__}: the cell's `state_size` must be an integer or a "
                    f"list of integers (one per state). Received: {state_size!r}"
                )
        super().__init__(**kwargs)
        self.cell: nn.Module | None = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted for compatibility; torch needs no unrolling
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states: Any = None
        if cell is not None:
            self._build_declared()

    def _build_declared(self) -> None:
        """Build now when ``input_shape=`` was given (subclasses call it last in ``__init__``)."""
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

    # --- the cell protocol, seen from the layer ------------------------------------------
    @property
    def state_size(self) -> list[Any]:
        """One entry per state (Keras's list form of the cell's ``state_size``)."""
        assert self.cell is not None
        size: Any = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    def _output_size(self) -> Any:
        return cell_output_size(self.cell)

    def get_initial_state(self, batch_size: int) -> list[Any]:
        """The states a call starts from when none are given (the cell's, else zeros)."""
        state = initial_cell_state(self.cell, batch_size)
        return list(state) if nest.is_nested(state) else [state]

    # --- building ------------------------------------------------------------------------------
    def _maybe_build(self, inputs: Any) -> None:
        super()._maybe_build(self._as_tensor(inputs))

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        self._check_shape(sequences_shape)
        step_shape = (sequences_shape[0], *sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build_from_shape(step_shape)

    def _check_shape(self, shape: Any, rank: int | None = None) -> None:
        owner = f"Layer '{self.name}' ({type(self).__name__})"
        if isinstance(shape, list):
            raise InputError(
                f"{owner} takes one tensor of shape (batch, timesteps, features), but received "
                f"a list of {len(shape)} inputs. Pass the initial states as "
                "initial_state=[...] instead of in the inputs."
            )
        if not isinstance(shape, tuple) or len(shape) < 3 or (rank and len(shape) != rank):
            what = f"rank {rank}" if rank else "rank >= 3"
            raise InputError(
                f"{owner} expects inputs of shape (batch, timesteps, features) ({what}), "
                f"but received shape {shape}."
            )

    # --- calling -----------------------------------------------------------------------------------
    def _as_tensor(self, inputs: Any) -> Any:
        if isinstance(inputs, np.ndarray) or (
            isinstance(inputs, (int, float)) and not isinstance(inputs, bool)
        ):
            return torch.as_tensor(inputs)
        return inputs

    def _compute_dtype(self) -> torch.dtype:
        """The dtype the steps run in: the cell's weights' (float32 without weights)."""
        for p in self.parameters():
            if p.is_floating_point():
                return p.dtype
        return torch.float32

    def _check_inputs(self, inputs: torch.Tensor) -> None:
        self._check_shape(tuple(inputs.shape))
        if inputs.shape[1] == 0:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) needs at least one timestep; "
                f"received an input of shape {tuple(inputs.shape)}."
            )

    def call(
        self,
        sequences: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        x = self._as_tensor(sequences)
        if not isinstance(x, torch.Tensor):
            self._check_shape(x if isinstance(x, list) else None)
        self._check_inputs(x)
        dtype = self._compute_dtype()
        if x.dtype != dtype and not (
            x.is_floating_point() and torch.is_autocast_enabled(x.device.type)
        ):
            x = x.to(dtype)
        states = self._initial_states(x, initial_state)
        step_mask = self._prepare_mask(mask, x)
        if self.go_backwards:  # Keras: reverse the time axis and keep outputs in that order
            x = x.flip(1)
            step_mask = None if step_mask is None else step_mask.flip(1)
        seq, last, states = self._run(x, states, step_mask, bool(training))
        if self.stateful:
            self.states = nest.map_structure(lambda s: s.detach(), states)
        output = seq if self.return_sequences else last
        if self.return_state:
            # as Keras's functional outputs (compute_output_shape): nested like `state_size`
            return (output, *nest.pack_sequence_as(self.state_size, nest.flatten(states)))
        return output

    def _run(
        self, x: torch.Tensor, states: list[Any], mask: torch.Tensor | None, training: bool
    ) -> tuple[torch.Tensor | None, torch.Tensor, Any]:
        """The steps of one call: ``(sequence or None, last output, final states)``."""
        cell = self.cell
        _reset_dropout_masks(cell)  # one dropout mask per sequence, as Keras's cells draw
        try:
            return run_steps(
                lambda t, s: call_cell(cell, x[:, t], tuple(s), training),
                x.shape[1],
                states,
                mask,
                zero_output_for_mask=self.zero_output_for_mask,
                return_sequences=self.return_sequences,
            )
        finally:
            _reset_dropout_masks(cell)

    def _initial_states(self, x: torch.Tensor, initial_state: Any) -> list[Any]:
        batch = x.shape[0]

        def place(s: Any) -> torch.Tensor:
            t = s if isinstance(s, torch.Tensor) else torch.as_tensor(np.asarray(s))
            return t.to(device=x.device, dtype=x.dtype)

        if initial_state is None:
            if self.stateful and self.states is not None:
                first = nest.flatten(self.states)[0]
                if first.shape[0] != batch:
                    raise InputError(
                        f"Layer '{self.name}' ({type(self).__name__}) is stateful with batch "
                        f"size {first.shape[0]}, but received an input of shape "
                        f"{tuple(x.shape)}. Keep the batch size fixed (pass batch_size= to "
                        "fit/predict and to keras.Input)."
                    )
                return list(nest.map_structure(place, self.states))
            return list(nest.map_structure(place, self.get_initial_state(batch)))
        given = initial_state if nest.is_nested(initial_state) else [initial_state]
        flat_given = nest.flatten(list(given))
        sizes = self.state_size
        flat_sizes = nest.flatten(sizes)
        if len(flat_given) != len(flat_sizes):
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) expects {len(flat_sizes)} "
                f"initial state tensor(s), got {len(flat_given)}."
            )
        out = []
        for s, size in zip(flat_given, flat_sizes):
            t = place(s)
            if isinstance(size, int) and tuple(t.shape) != (batch, size):
                raise InputError(
                    f"Layer '{self.name}' ({type(self).__name__}): an initial state must have "
                    f"shape {(batch, size)}, but received {tuple(t.shape)}."
                )
            out.append(t.contiguous())
        # Keras keeps the structure it is given; a flat list for nested states is packed.
        structure = list(given) if len(given) == len(sizes) else sizes
        return list(nest.pack_sequence_as(structure, out))

    def _prepare_mask(self, mask: Any, x: torch.Tensor) -> torch.Tensor | None:
        if isinstance(mask, (list, tuple)):  # Keras: the mask of the sequences comes first
            mask = mask[0] if mask else None
        if mask is None:
            return None
        m = mask if isinstance(mask, torch.Tensor) else torch.as_tensor(np.asarray(mask))
        m = m.to(x.device)
        if m.dtype != torch.bool:
            m = m != 0
        if tuple(m.shape) != tuple(x.shape[:2]):
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): the mask must have shape "
                f"(batch, timesteps) = {tuple(x.shape[:2])}, but received {tuple(m.shape)}."
            )
        if bool(m.all()):
            return None
        return m

    # --- state -----------------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Zero the states a stateful layer carries between calls (Keras's ``reset_state``)."""
        if self.states is not None:
            self.states = nest.map_structure(torch.zeros_like, self.states)

    def reset_states(self) -> None:
        """Alias of ``reset_state`` (Keras 2's name)."""
        self.reset_state()

    # --- shapes, masks, config ----------------------------------------------------------------
    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        batch, steps = sequences_shape[0], sequences_shape[1]
        states: list[Any] = []
        for size in self.state_size:
            if isinstance(size, int):
                states.append((batch, size))
            else:
                states.append([(batch, s) for s in size])
        size = self._output_size()
        output = (batch, steps, size) if self.return_sequences else (batch, size)
        if self.return_state:
            return (output, *states)
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask when ``return_sequences`` else ``None``; a list with ``return_state``."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def _sequence_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self) -> dict[str, Any]:
        return {**self._sequence_config(), "cell": serialize_cell(self.cell)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNN:
        config = dict(config)
        if "cell" in config:
            config["cell"] = deserialize_cell(config["cell"])
        return super().from_config(config)  # type: ignore[return-value]

    def extra_repr(self) -> str:
        return f"name={self.name!r}, cell={type(self.cell).__name__}"


def _reset_dropout_masks(cell: Any) -> None:
    modules = cell.modules() if isinstance(cell, nn.Module) else [cell]
    for module in modules:
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            fn = getattr(module, reset, None)
            if callable(fn):
                fn()
