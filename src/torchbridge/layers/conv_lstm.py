"""Convolutional LSTMs: ConvLSTM1D/2D/3D and their cell.

``ConvLSTMCell`` is Keras's cell: the four LSTM gates (i, f, c, o) come from a
convolution of the step input (``strides``, ``padding``, ``dilation_rate``)
plus a stride-1 ``"same"`` convolution of the previous hidden state. Its
weights keep Keras's names and layouts: ``kernel``
``(*kernel_size, in_channels, 4 * filters)``, ``recurrent_kernel``
``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 * filters,)``
(``unit_forget_bias`` starts the forget block at one). The layers run the cell
with the shared RNN machinery (``rnn.RNN``: masks, ``go_backwards``,
``return_sequences``, ``return_state``, ``stateful``, initial states).
Inputs are ``(batch, time, *spatial, channels)`` (``channels_first``:
``(batch, time, channels, *spatial)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge import activations, backend, initializers, regularizers
from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import normalize_tuple, output_length, same_pads
from torchbridge.layers.layer import Layer
from torchbridge.layers.rnn import RNN, run_steps
from torchbridge.layers.rnn_cells import (
    activation_name,
    draw_dropout_mask,
    weight_options,
    weight_options_config,
)

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "ConvLSTMCell"]

_CONV: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _pad_same(
    x: torch.Tensor, kernel: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...]
) -> torch.Tensor:
    """TensorFlow's SAME padding of a channels-first ``x`` (extra pad after)."""
    flat: list[int] = []
    for size, k, s, d in reversed(list(zip(x.shape[2:], kernel, strides, dilation))):
        flat.extend(same_pads(int(size), k, s, d))
    return F.pad(x, flat) if any(flat) else x


class ConvLSTMCell(Layer):
    """Keras's ``ConvLSTMCell(rank, filters, kernel_size, ...)``: one convolutional LSTM step
    on ``(batch, *spatial, channels)`` (channels_last) inputs; states ``[h, c]``."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        super().__init__(**kwargs)
        owner = type(self).__name__
        if rank not in (1, 2, 3):
            raise ValueError(f"{owner}: rank {rank} convolutions are not implemented (1, 2, 3).")
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{owner}: `filters` must be a positive int, got {filters!r}.")
        self.rank = rank
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = normalize_tuple(strides, rank, "strides", owner)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` is not compatible with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: `padding` must be 'valid' or 'same', got {padding!r}.")
        fmt = data_format or backend.image_data_format()
        if fmt not in ("channels_last", "channels_first"):
            raise ValueError(f"{owner}: unknown data_format {data_format!r}.")
        self.data_format = fmt
        self.activation_name = activation_name(activation)
        self.activation = activations.get(activation)
        self.recurrent_activation_name = activation_name(recurrent_activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.unit_forget_bias = bool(unit_forget_bias)
        self._declare_weight_options(
            **weight_options(
                kernel_regularizer,
                recurrent_regularizer,
                bias_regularizer,
                kernel_constraint,
                recurrent_constraint,
                bias_constraint,
            )
        )
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        self._dropout_mask: torch.Tensor | None = None
        self._recurrent_dropout_mask: torch.Tensor | None = None
        self.state_size = -1  # as Keras: the states' shape follows the input's
        self.spatial_dims: tuple[int, ...] = ()
        self.input_dim = 0
        self.bias: torch.Tensor | None = None

    # --- weights -------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        spatial = shape[1:-1] if last else shape[2:]
        channels = shape[-1] if last else shape[1]
        if len(shape) != self.rank + 2 or None in spatial:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): ConvLSTM layers need step "
                f"inputs of rank {self.rank + 2} with static spatial dimensions; received "
                f"input_shape={shape}."
            )
        if channels is None:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): the channel dimension of the "
                f"inputs must be defined; received input_shape={shape}."
            )
        self.spatial_dims = tuple(int(d) for d in spatial)
        self.input_dim = int(channels)
        f4 = 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.input_dim, f4),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, f4),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
        )
        if self.use_bias:
            init = initializers.get(self.bias_initializer)
            if self.unit_forget_bias:
                bias = torch.cat(
                    [
                        init((self.filters,)).float(),
                        torch.ones(self.filters),
                        init((2 * self.filters,)).float(),
                    ]
                )
            else:
                bias = init((f4,)).float()
            self.bias = self.add_weight(shape=(f4,), initializer=bias, name="bias")

    def _torch_kernel(self, kernel: torch.Tensor) -> torch.Tensor:
        """Keras ``(*k, in, out)`` → torch ``(out, in, *k)``."""
        r = self.rank
        return kernel.permute(r + 1, r, *range(r))

    # --- dropout masks (one per sequence, as Keras's DropoutRNNCell) ---------------------
    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    def _mask(self, like: torch.Tensor, rate: float, attr: str) -> torch.Tensor:
        if getattr(self, attr) is None:
            mask = draw_dropout_mask(like, rate, None, self._generator)
            assert isinstance(mask, torch.Tensor)
            setattr(self, attr, mask)
        return getattr(self, attr)  # type: ignore[no-any-return]

    # --- the step --------------------------------------------------------------------------
    def input_dropout_mask(self, step_input: torch.Tensor, training: bool) -> torch.Tensor | None:
        """The input-dropout mask of the running sequence (``None`` outside training)."""
        if training and 0.0 < self.dropout < 1.0:
            return self._mask(step_input, self.dropout, "_dropout_mask")
        return None

    def input_part(self, inputs: torch.Tensor) -> torch.Tensor:
        """The gates' input convolution plus bias, channels-first ``(n, 4 * filters, ...)``;
        ``inputs`` may hold many steps at once (batch and time flattened together)."""
        x = inputs.movedim(-1, 1) if self.data_format == "channels_last" else inputs
        if self.padding == "same":
            x = _pad_same(x, self.kernel_size, self.strides, self.dilation_rate)
        return _CONV[self.rank](
            x,
            self._torch_kernel(self.kernel).to(x.dtype),
            self.bias,
            stride=self.strides,
            dilation=self.dilation_rate,
        )

    def recurrent_part(
        self, z: torch.Tensor, states: Any, training: bool, recurrent_kernel: torch.Tensor
    ) -> Any:
        """One step from the input part ``z`` and ``[h, c]``; ``recurrent_kernel`` in
        torch's layout (see ``_torch_kernel``)."""
        h, c = states[0], states[1]
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h = h * self._mask(h, self.recurrent_dropout, "_recurrent_dropout_mask")
        last = self.data_format == "channels_last"
        hf = h.movedim(-1, 1) if last else h
        ones = (1,) * self.rank
        hf = _pad_same(hf, self.kernel_size, ones, ones)
        z = z + _CONV[self.rank](hf, recurrent_kernel.to(hf.dtype))
        zi, zf, zc, zo = z.chunk(4, dim=1)
        i = self.recurrent_activation(zi)
        f = self.recurrent_activation(zf)
        c_cf = c.movedim(-1, 1) if last else c
        c_new = f * c_cf + i * self.activation(zc)
        o = self.recurrent_activation(zo)
        h_new = o * self.activation(c_new)
        if last:
            h_new, c_new = h_new.movedim(1, -1), c_new.movedim(1, -1)
        return h_new, [h_new, c_new]

    def call(self, inputs: torch.Tensor, states: Any, training: bool = False) -> Any:
        mask = self.input_dropout_mask(inputs, training)
        z = self.input_part(inputs if mask is None else inputs * mask)
        return self.recurrent_part(z, states, training, self._torch_kernel(self.recurrent_kernel))

    def state_shape(self) -> tuple[int, ...]:
        """The per-sample shape of ``h`` and ``c``."""
        spatial = tuple(
            output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(
                self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate
            )
        )
        if self.data_format == "channels_last":
            return (*spatial, self.filters)
        return (self.filters, *spatial)

    def get_initial_state(self, batch_size: int | None = None) -> list[torch.Tensor]:
        device = self.kernel.device if self.built else None
        shape = (int(batch_size or 1), *self.state_shape())
        return [torch.zeros(shape, device=device), torch.zeros(shape, device=device)]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": self.activation_name,
            "recurrent_activation": self.recurrent_activation_name,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            **weight_options_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class _ConvLSTM(RNN):
    """ConvLSTM1D/2D/3D: a ``ConvLSTMCell`` run over the time axis."""

    rank: int = 2

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = ConvLSTMCell(
            self.rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    @property
    def state_size(self) -> list[Any]:
        return [-1, -1]  # h and c, shaped like the output (see ConvLSTMCell.state_shape)

    def _run(
        self, x: torch.Tensor, states: list[Any], mask: torch.Tensor | None, training: bool
    ) -> tuple[torch.Tensor | None, torch.Tensor, Any]:
        """As ``RNN._run``, with the input convolution of every step done at once
        (it does not depend on the states; Keras's one input-dropout mask per sequence
        is applied to all steps) — only the recurrent convolution runs per step."""
        cell = self.cell
        assert isinstance(cell, ConvLSTMCell)
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
        try:
            batch, steps = x.shape[0], x.shape[1]
            drop = cell.input_dropout_mask(x[:, 0], training)
            xs = x if drop is None else x * drop.unsqueeze(1)
            z = cell.input_part(xs.reshape(batch * steps, *x.shape[2:]))
            z = z.reshape(batch, steps, *z.shape[1:])
            rk = cell._torch_kernel(cell.recurrent_kernel)
            return run_steps(
                lambda t, s: cell.recurrent_part(z[:, t], s, training, rk),
                steps,
                states,
                mask,
                zero_output_for_mask=self.zero_output_for_mask,
                return_sequences=self.return_sequences,
            )
        finally:
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()

    def _check_shape(self, shape: Any, rank: int | None = None) -> None:
        super()._check_shape(shape, self.rank + 3)

    def _initial_states(self, x: torch.Tensor, initial_state: Any) -> list[Any]:
        if initial_state is None:
            return super()._initial_states(x, None)
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else []
        assert isinstance(self.cell, ConvLSTMCell)
        expected = (x.shape[0], *self.cell.state_shape())
        out = []
        for s in given:
            t = torch.as_tensor(s).to(device=x.device, dtype=x.dtype)
            if tuple(t.shape) != expected:
                break
            out.append(t)
        if len(out) != 2 or len(given) != 2:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) expects initial_state=[h, c], "
                f"two tensors of shape {expected}."
            )
        return out

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        shape = tuple(sequences_shape)
        assert isinstance(self.cell, ConvLSTMCell)
        cell = self.cell
        last = cell.data_format == "channels_last"
        spatial = shape[2:-1] if last else shape[3:]
        out_spatial = tuple(
            None if n is None else output_length(n, k, s, d, cell.padding)
            for n, k, s, d in zip(spatial, cell.kernel_size, cell.strides, cell.dilation_rate)
        )
        state = (*out_spatial, cell.filters) if last else (cell.filters, *out_spatial)
        batch = shape[0]
        output = (batch, shape[1], *state) if self.return_sequences else (batch, *state)
        if self.return_state:
            return (output, (batch, *state), (batch, *state))
        return output

    def get_config(self) -> dict[str, Any]:
        assert isinstance(self.cell, ConvLSTMCell)
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config = self._sequence_config()
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        return cls(**config)

    def extra_repr(self) -> str:
        assert isinstance(self.cell, ConvLSTMCell)
        return (
            f"name={self.name!r}, filters={self.cell.filters}, kernel_size={self.cell.kernel_size}"
        )


class ConvLSTM1D(_ConvLSTM):
    """Keras's ``ConvLSTM1D``: inputs ``(batch, time, steps, channels)``."""

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """Keras's ``ConvLSTM2D``: inputs ``(batch, time, rows, cols, channels)``."""

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """Keras's ``ConvLSTM3D``: inputs ``(batch, time, d1, d2, d3, channels)``."""

    rank = 3
