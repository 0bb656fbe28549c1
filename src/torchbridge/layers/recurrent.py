"""Keras's recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU``.

Constructor arguments, defaults, ``get_config`` keys and ``get_weights``
layouts follow Keras 3 (``kernel (input_dim, k*units)``, ``recurrent_kernel
(units, k*units)``; LSTM gates i,f,c,o; GRU gates z,r,h with a ``(2, 3*units)``
bias when ``reset_after=True``). The shared machinery (masks, dropout,
states, fused torch kernels vs. the per-step loop) is in ``_rnn_base``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import _VF
from torch.nn import functional as F

from torchbridge import activations, initializers
from torchbridge.layers._rnn_base import (
    DropoutMask,
    FusedKernel,
    RNNBase,
    activation_name,
)
from torchbridge.layers.rnn_cells import (
    gru_update,
    lstm_update,
    simple_rnn_update,
    weight_options,
)

__all__ = ["SimpleRNN", "LSTM", "GRU"]


def _is(fn: Any, builtin: str) -> bool:
    return fn is activations.get(builtin)


class SimpleRNN(RNNBase):
    """Keras's ``SimpleRNN``: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Runs torch's fused ``rnn_tanh`` / ``rnn_relu`` kernel for ``activation``
    ``"tanh"`` / ``"relu"`` (unless recurrent dropout is active in training),
    otherwise a per-timestep loop. As in Keras 3.15, ``activity_regularizer``
    is accepted but not applied (and ``None`` in the config).
    """

    has_seed_in_config: ClassVar[bool] = False

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
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        zero_output_for_mask: bool = False,
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
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            use_cudnn=kwargs.pop("use_cudnn", "auto"),
            options=weight_options(
                kernel_regularizer,
                recurrent_regularizer,
                bias_regularizer,
                kernel_constraint,
                recurrent_constraint,
                bias_constraint,
            ),
            # Keras 3.15's SimpleRNN accepts `activity_regularizer` but never hands it to
            # its base layer: no activity loss, None in the config. Same here.
            **kwargs,
        )
        self._build_declared()

    def _fused_kernel(self) -> FusedKernel | None:
        if _is(self.activation, "tanh"):
            fn = _VF.rnn_tanh  # type: ignore[attr-defined]
        elif _is(self.activation, "relu"):
            fn = _VF.rnn_relu  # type: ignore[attr-defined]
        else:
            return None
        assert self.kernel is not None and self.recurrent_kernel is not None
        if self.bias is None:
            return fn, [self.kernel, self.recurrent_kernel], False
        return (
            fn,
            [self.kernel, self.recurrent_kernel, self.bias, torch.zeros_like(self.bias)],
            True,
        )

    def _step(
        self, x_t: torch.Tensor, states: list[torch.Tensor], rec_mask: DropoutMask
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h = simple_rnn_update(x_t, self._recurrent_projection(states[0], rec_mask), self.activation)
        return h, [h]


class LSTM(RNNBase):
    """Keras's ``LSTM`` (gates i, f, c, o; one bias; ``unit_forget_bias``).

    With the default activations (``tanh`` / ``sigmoid``) it runs torch's fused
    LSTM kernel (cuDNN on a GPU) — masks included — unless recurrent dropout
    is active in training; otherwise a per-timestep loop. ``use_cudnn=False``
    forces the loop.
    """

    gate_count: ClassVar[int] = 4
    state_count: ClassVar[int] = 2

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
        unroll: bool = False,
        use_cudnn: Any = "auto",
        zero_output_for_mask: bool = False,
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
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            use_cudnn=use_cudnn,
            options=weight_options(
                kernel_regularizer,
                recurrent_regularizer,
                bias_regularizer,
                kernel_constraint,
                recurrent_constraint,
                bias_constraint,
            ),
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.unit_forget_bias = bool(unit_forget_bias)
        self.recurrent_activation_name = activation_name(recurrent_activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self._build_declared()

    def _initial_bias(self) -> torch.Tensor:
        init = initializers.get(self.bias_initializer)
        u = self.units
        if not self.unit_forget_bias:
            return init((4 * u,))
        return torch.cat([init((u,)), torch.ones(u), init((2 * u,))])

    def _fused_kernel(self) -> FusedKernel | None:
        if not (_is(self.activation, "tanh") and _is(self.recurrent_activation, "sigmoid")):
            return None
        assert self.kernel is not None and self.recurrent_kernel is not None
        fn = _VF.lstm  # type: ignore[attr-defined]
        if self.bias is None:
            return fn, [self.kernel, self.recurrent_kernel], False
        return (
            fn,
            [self.kernel, self.recurrent_kernel, self.bias, torch.zeros_like(self.bias)],
            True,
        )

    def _step(
        self, x_t: torch.Tensor, states: list[torch.Tensor], rec_mask: DropoutMask
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        z = x_t + self._recurrent_projection(states[0], rec_mask)
        h, c = lstm_update(z, states[1], self.activation, self.recurrent_activation)
        return h, [h, c]

    def _cell_config(self) -> dict[str, Any]:
        config = super()._cell_config()
        config = {
            "units": config.pop("units"),
            "activation": config.pop("activation"),
            "recurrent_activation": self.recurrent_activation_name,
            **config,
            "unit_forget_bias": self.unit_forget_bias,
        }
        return config


class GRU(RNNBase):
    """Keras's ``GRU`` (gates z, r, h; ``reset_after=True`` by default, Keras 3).

    ``reset_after=True`` with the default activations runs torch's fused GRU
    kernel (torch's GRU is the reset-after variant; its gate order is r, z, n,
    so the weights are stored with the first two gate blocks swapped).
    ``reset_after=False`` (Keras 2's original GRU) and other activations run
    the per-timestep loop.
    """

    gate_count: ClassVar[int] = 3
    state_count: ClassVar[int] = 1
    gate_order: ClassVar[tuple[int, ...] | None] = (1, 0, 2)

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
        unroll: bool = False,
        reset_after: bool = True,
        use_cudnn: Any = "auto",
        zero_output_for_mask: bool = False,
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
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            use_cudnn=use_cudnn,
            options=weight_options(
                kernel_regularizer,
                recurrent_regularizer,
                bias_regularizer,
                kernel_constraint,
                recurrent_constraint,
                bias_constraint,
            ),
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.reset_after = bool(reset_after)
        self.recurrent_activation_name = activation_name(recurrent_activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self._build_declared()

    def _initial_bias(self) -> torch.Tensor:
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        return initializers.get(self.bias_initializer)(shape)

    def _input_bias(self) -> torch.Tensor | None:
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _fused_kernel(self) -> FusedKernel | None:
        if not (
            self.reset_after
            and _is(self.activation, "tanh")
            and _is(self.recurrent_activation, "sigmoid")
        ):
            return None
        assert self.kernel is not None and self.recurrent_kernel is not None
        fn = _VF.gru  # type: ignore[attr-defined]
        if self.bias is None:
            return fn, [self.kernel, self.recurrent_kernel], False
        return fn, [self.kernel, self.recurrent_kernel, self.bias[0], self.bias[1]], True

    def _step(
        self, x_t: torch.Tensor, states: list[torch.Tensor], rec_mask: DropoutMask
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        # torch gate order: r, z, n (Keras's z, r, h).
        assert self.recurrent_kernel is not None
        h = states[0]
        x_r, x_z, x_n = x_t.chunk(3, -1)
        act, gate = self.activation, self.recurrent_activation
        if self.reset_after:
            rec = self._recurrent_projection(h, rec_mask)
            if self.bias is not None:
                rec = rec + self.bias[1]
            h_r, h_z, h_n = rec.chunk(3, -1)
            h = gru_update(x_z, x_r, x_n, h_z, h_r, lambda r: r * h_n, h, act, gate)
            return h, [h]
        w_r, w_z, w_n = self.recurrent_kernel.chunk(3, 0)
        if rec_mask is None:
            masked = [h, h, h]
        elif isinstance(rec_mask, torch.Tensor):
            masked = [h * rec_mask] * 3
        else:
            masked = [h * m for m in rec_mask]
        h = gru_update(
            x_z, x_r, x_n, F.linear(masked[1], w_z), F.linear(masked[0], w_r),
            lambda r: F.linear(r * masked[2], w_n), h, act, gate,
        )  # fmt: skip
        return h, [h]

    def _cell_config(self) -> dict[str, Any]:
        config = super()._cell_config()
        return {
            "units": config.pop("units"),
            "activation": config.pop("activation"),
            "recurrent_activation": self.recurrent_activation_name,
            **config,
        }

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        seed = config.pop("seed")
        return {**config, "reset_after": self.reset_after, "seed": seed}
