"""Keras's RNN cells — one timestep of a recurrent layer — and the gate maths they share.

* ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``: Keras's cells with Keras's
  constructor arguments, weights made by ``add_weight`` in Keras's layouts
  (``kernel (input_dim, gates*units)``, ``recurrent_kernel (units,
  gates*units)``, ``bias``; gate orders i,f,c,o and z,r,h) and config keys.
  ``call(inputs, states, training=False)`` returns ``(output, new_states)``.
  Wrap one in ``keras.layers.RNN`` to run a sequence.
* The gate maths (:func:`simple_rnn_update`, :func:`lstm_update`,
  :func:`gru_update`) is written once here; the built-in ``SimpleRNN`` /
  ``LSTM`` / ``GRU`` call the same functions in their per-step loop (their
  weights live in torch's fused layouts, so they project inputs themselves).
* Dropout as Keras's ``DropoutRNNCell``: one mask per sequence, drawn at the
  first step and kept until the ``RNN`` layer resets it after the call; one
  mask per gate when ``recurrent_dropout`` is set (Keras's
  ``implementation=1``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchbridge import activations, initializers
from torchbridge.layers.layer import Layer

__all__ = [
    "SimpleRNNCell",
    "LSTMCell",
    "GRUCell",
    "DropoutMask",
    "activation_name",
    "deserialize_cell",
    "draw_dropout_mask",
    "gru_update",
    "lstm_update",
    "serialize_cell",
    "simple_rnn_update",
    "weight_options",
    "weight_options_config",
]

Activation = Callable[[torch.Tensor], torch.Tensor]
# A dropout mask: one (batch, features) tensor, or one per gate.
DropoutMask = torch.Tensor | list[torch.Tensor] | None


# --- the gate maths (shared with recurrent.py) ------------------------------------------------
def simple_rnn_update(
    x: torch.Tensor, recurrent: torch.Tensor, activation: Activation
) -> torch.Tensor:
    """``h_t = activation(x_t W + b + h_{t-1} U)``; ``x`` and ``recurrent`` are the projections."""
    return activation(x + recurrent)


def lstm_update(
    z: torch.Tensor,
    c: torch.Tensor,
    activation: Activation,
    recurrent_activation: Activation,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step from ``z = x W + h U + b`` (gate blocks i, f, c, o): ``(h, c)``."""
    i, f, g, o = z.chunk(4, -1)
    c = recurrent_activation(f) * c + recurrent_activation(i) * activation(g)
    return recurrent_activation(o) * activation(c), c


def gru_update(
    x_z: torch.Tensor,
    x_r: torch.Tensor,
    x_h: torch.Tensor,
    recurrent_z: torch.Tensor,
    recurrent_r: torch.Tensor,
    recurrent_candidate: Callable[[torch.Tensor], torch.Tensor],
    h: torch.Tensor,
    activation: Activation,
    recurrent_activation: Activation,
) -> torch.Tensor:
    """One GRU step: update gate z, reset gate r, candidate; ``recurrent_candidate(r)``
    is ``r * (h U_h + b_h)`` (``reset_after=True``) or ``(r * h) U_h`` (Keras 2's GRU)."""
    z = recurrent_activation(x_z + recurrent_z)
    r = recurrent_activation(x_r + recurrent_r)
    candidate = activation(x_h + recurrent_candidate(r))
    return z * h + (1 - z) * candidate


# --- config helpers ----------------------------------------------------------------------------
def activation_name(identifier: Any) -> str:
    if identifier is None:
        return "linear"
    if isinstance(identifier, str):
        return identifier
    return activations.serialize(identifier)


def draw_dropout_mask(
    like: torch.Tensor, rate: float, count: int | None, generator: torch.Generator | None
) -> torch.Tensor | list[torch.Tensor]:
    """Keep-masks scaled by ``1 / (1 - rate)`` shaped like ``like`` (``count`` of them if given)."""

    def one() -> torch.Tensor:
        if generator is not None:
            keep = torch.rand(tuple(like.shape), generator=generator) >= rate
            keep_t = keep.to(device=like.device, dtype=like.dtype)
        else:
            keep_t = torch.empty_like(like).bernoulli_(1.0 - rate)
        return keep_t / (1.0 - rate)

    if count is None:
        return one()
    return [one() for _ in range(count)]


def _project(x: torch.Tensor, weight: torch.Tensor, mask: DropoutMask, gates: int) -> torch.Tensor:
    """``x @ weight`` (Keras layout) with a dropout mask: one, or one per gate block."""
    if mask is None:
        return x @ weight
    if isinstance(mask, torch.Tensor):
        return (x * mask) @ weight
    blocks = weight.chunk(gates, -1)
    return torch.cat([(x * m) @ w for m, w in zip(mask, blocks)], -1)


class _RecurrentCell(Layer):
    """What the three Keras cells share: units, activations, initializers, dropout masks."""

    gate_count = 1

    def __init__(
        self,
        units: int,
        *,
        activation: Any,
        use_bias: bool,
        kernel_initializer: Any,
        recurrent_initializer: Any,
        bias_initializer: Any,
        dropout: float,
        recurrent_dropout: float,
        seed: int | None,
        options: dict[str, tuple[Any, Any]],
        **kwargs: Any,
    ) -> None:
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        owner = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"{owner}: `units` must be a positive integer. Received: units={units!r}"
            )
        self._declare_weight_options(**options)
        self.units = units
        self.activation_name = activation_name(activation)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        self._dropout_mask: DropoutMask = None
        self._recurrent_dropout_mask: DropoutMask = None
        self.kernel: torch.Tensor
        self.recurrent_kernel: torch.Tensor
        self.bias: torch.Tensor | None = None

    # --- dropout masks, as Keras's DropoutRNNCell ----------------------------------------
    def _mask_count(self) -> int | None:
        return self.gate_count if self.implementation == 1 and self.gate_count > 1 else None

    def get_dropout_mask(self, step_input: torch.Tensor) -> DropoutMask:
        """The input-dropout mask of the running sequence (drawn on first use)."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = draw_dropout_mask(
                step_input, self.dropout, self._mask_count(), self._generator
            )
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input: torch.Tensor) -> DropoutMask:
        """The recurrent-dropout mask of the running sequence (drawn on first use)."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = draw_dropout_mask(
                step_input, self.recurrent_dropout, self._mask_count(), self._generator
            )
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    def _masks(self, inputs: torch.Tensor, h: torch.Tensor, training: Any) -> tuple[Any, Any]:
        if not training:
            return None, None
        in_mask = self.get_dropout_mask(inputs) if 0.0 < self.dropout < 1.0 else None
        rec_mask = (
            self.get_recurrent_dropout_mask(h) if 0.0 < self.recurrent_dropout < 1.0 else None
        )
        return in_mask, rec_mask

    # --- weights ----------------------------------------------------------------------------
    def _initial_bias(self) -> torch.Tensor:
        return initializers.get(self.bias_initializer)((self.gate_count * self.units,))

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        width = self.gate_count * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width), initializer=self.kernel_initializer, name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
        )
        if self.use_bias:
            bias = self._initial_bias().float()
            self.bias = self.add_weight(shape=tuple(bias.shape), initializer=bias, name="bias")

    def _input_part(
        self, inputs: torch.Tensor, mask: DropoutMask, bias: torch.Tensor | None
    ) -> torch.Tensor:
        x = _project(inputs, self.kernel, mask, self.gate_count)
        return x if bias is None else x + bias

    # --- the RNN cell protocol -----------------------------------------------------------
    @property
    def state_size(self) -> Any:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def get_initial_state(self, batch_size: int | None = None) -> list[torch.Tensor]:
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        device = self.kernel.device if self.built else None
        return [torch.zeros(int(batch_size or 1), d, device=device) for d in sizes]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation_name,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **weight_options_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"


def weight_options(
    kernel_regularizer: Any,
    recurrent_regularizer: Any,
    bias_regularizer: Any,
    kernel_constraint: Any,
    recurrent_constraint: Any,
    bias_constraint: Any,
) -> dict[str, tuple[Any, Any]]:
    """Keras's six recurrent weight options as ``_declare_weight_options`` takes them."""
    return {
        "kernel": (kernel_regularizer, kernel_constraint),
        "recurrent_kernel": (recurrent_regularizer, recurrent_constraint),
        "bias": (bias_regularizer, bias_constraint),
    }


def weight_options_config(layer: Layer) -> dict[str, Any]:
    """The six options under Keras's config keys (``recurrent_regularizer`` ...)."""
    config = layer._weight_options_config()
    return {
        f"{prefix}_{kind}": config.get(f"{weight}_{kind}")
        for kind in ("regularizer", "constraint")
        for weight, prefix in (
            ("kernel", "kernel"),
            ("recurrent_kernel", "recurrent"),
            ("bias", "bias"),
        )
    }


class SimpleRNNCell(_RecurrentCell):
    """Keras's ``SimpleRNNCell``: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``."""

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            options=weight_options(
                kernel_regularizer=kernel_regularizer,
                recurrent_regularizer=recurrent_regularizer,
                bias_regularizer=bias_regularizer,
                kernel_constraint=kernel_constraint,
                recurrent_constraint=recurrent_constraint,
                bias_constraint=bias_constraint,
            ),
            **kwargs,
        )

    def call(self, sequence: torch.Tensor, states: Any, training: bool = False) -> Any:
        nested = isinstance(states, (list, tuple))
        h = states[0] if nested else states
        in_mask, rec_mask = self._masks(sequence, h, training)
        x = self._input_part(sequence, in_mask, self.bias)
        output = simple_rnn_update(
            x, _project(h, self.recurrent_kernel, rec_mask, 1), self.activation
        )
        return output, ([output] if nested else output)


class LSTMCell(_RecurrentCell):
    """Keras's ``LSTMCell`` (gates i, f, c, o; ``unit_forget_bias``); states ``[h, c]``."""

    gate_count = 4

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            options=weight_options(
                kernel_regularizer=kernel_regularizer,
                recurrent_regularizer=recurrent_regularizer,
                bias_regularizer=bias_regularizer,
                kernel_constraint=kernel_constraint,
                recurrent_constraint=recurrent_constraint,
                bias_constraint=bias_constraint,
            ),
            **kwargs,
        )
        self.recurrent_activation_name = activation_name(recurrent_activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self) -> Any:
        return [self.units, self.units]

    def _initial_bias(self) -> torch.Tensor:
        init = initializers.get(self.bias_initializer)
        u = self.units
        if not self.unit_forget_bias:
            return init((4 * u,))
        return torch.cat([init((u,)), torch.ones(u), init((2 * u,))])

    def call(self, inputs: torch.Tensor, states: Any, training: bool = False) -> Any:
        h, c = states[0], states[1]
        in_mask, rec_mask = self._masks(inputs, h, training)
        z = self._input_part(inputs, in_mask, self.bias)
        z = z + _project(h, self.recurrent_kernel, rec_mask, 4)
        h, c = lstm_update(z, c, self.activation, self.recurrent_activation)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": self.recurrent_activation_name,
            "unit_forget_bias": self.unit_forget_bias,
        }


class GRUCell(_RecurrentCell):
    """Keras's ``GRUCell`` (gates z, r, h; ``reset_after=True``: bias of shape ``(2, 3*units)``)."""

    gate_count = 3

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            options=weight_options(
                kernel_regularizer=kernel_regularizer,
                recurrent_regularizer=recurrent_regularizer,
                bias_regularizer=bias_regularizer,
                kernel_constraint=kernel_constraint,
                recurrent_constraint=recurrent_constraint,
                bias_constraint=bias_constraint,
            ),
            **kwargs,
        )
        self.recurrent_activation_name = activation_name(recurrent_activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _initial_bias(self) -> torch.Tensor:
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        return initializers.get(self.bias_initializer)(shape)

    def call(self, inputs: torch.Tensor, states: Any, training: bool = False) -> Any:
        nested = isinstance(states, (list, tuple))
        h = states[0] if nested else states
        in_mask, rec_mask = self._masks(inputs, h, training)
        input_bias = recurrent_bias = None
        if self.bias is not None:
            input_bias, recurrent_bias = (
                (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
            )
        x_z, x_r, x_h = self._input_part(inputs, in_mask, input_bias).chunk(3, -1)
        u = self.units
        kernel = self.recurrent_kernel
        if self.reset_after:
            rec = _project(h, kernel, rec_mask, 3)
            if recurrent_bias is not None:
                rec = rec + recurrent_bias
            rec_z, rec_r, rec_h = rec.chunk(3, -1)
            h = gru_update(
                x_z, x_r, x_h, rec_z, rec_r, lambda r: r * rec_h, h,
                self.activation, self.recurrent_activation,
            )  # fmt: skip
        else:
            if rec_mask is None:
                h_z = h_r = h_h = h
            elif isinstance(rec_mask, torch.Tensor):
                h_z = h_r = h_h = h * rec_mask
            else:
                h_z, h_r, h_h = (h * m for m in rec_mask)
            h = gru_update(
                x_z, x_r, x_h, h_z @ kernel[:, :u], h_r @ kernel[:, u : 2 * u],
                lambda r: (r * h_h) @ kernel[:, 2 * u :], h,
                self.activation, self.recurrent_activation,
            )  # fmt: skip
        return h, ([h] if nested else h)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": self.recurrent_activation_name,
            "reset_after": self.reset_after,
        }


# --- cells inside configs (RNN, StackedRNNCells) ---------------------------------------------
def serialize_cell(cell: Any) -> dict[str, Any]:
    """A cell's nested config as Keras writes it, with ``build_config`` once built."""
    from torchbridge.saving import serialization  # saving sits above layers: import lazily

    config = serialization.serialize(cell)
    shape = getattr(cell, "_build_input_shape", None)
    if getattr(cell, "built", False) and shape is not None:
        config["build_config"] = {"input_shape": list(shape)}
    return config


def deserialize_cell(config: dict[str, Any]) -> Any:
    """The inverse of :func:`serialize_cell` (a fresh cell, built when the config says so)."""
    import copy

    from torchbridge.saving import serialization

    cell = serialization.deserialize(copy.deepcopy(config))
    shape = (config.get("build_config") or {}).get("input_shape")
    if isinstance(shape, (list, tuple)) and isinstance(cell, Layer) and not cell.built:
        cell.build_from_shape(tuple(shape))
    return cell
