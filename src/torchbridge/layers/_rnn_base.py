"""``RNNBase``: what Keras's ``SimpleRNN``, ``LSTM`` and ``GRU`` share beyond ``RNN``.

The sequence machinery (initial and stateful states, masks, ``go_backwards``,
``return_*``, shapes, config) is ``RNN``'s (``rnn.py``); the gate maths is
the cells' (``rnn_cells.py``). What lives here is how the built-in layers
compute their steps fast:

* **Weights.** Stored in torch's layouts and gate order — ``kernel`` is
  ``(gates * units, input_dim)``, ``recurrent_kernel`` ``(gates * units,
  units)`` — so torch's fused RNN kernels take them as they are;
  ``get_weights`` / ``set_weights`` convert to and from Keras's ``(input_dim,
  gates * units)`` layouts and gate order, and so do the ``kernel`` /
  ``recurrent`` / ``bias`` regularizers and constraints (they see Keras's layout).
* **Two ways to run.** A fused torch kernel (``torch._VF.lstm`` / ``gru`` /
  ``rnn_tanh`` / ``rnn_relu``, cuDNN on a GPU) whenever the configuration
  allows it, else ``RNN``'s step loop with the input projection of all
  timesteps done at once. Both give Keras's numbers.
* **Masks in the fused kernel.** Any mask pattern (left/right padding,
  holes): the unmasked steps of each row are moved to the front, run as a
  packed sequence, and the outputs are put back where Keras's loop has them.
* **Dropout as Keras's cells draw it.** One mask per sequence, shared by all
  timesteps; with ``recurrent_dropout`` one mask per gate (Keras's
  ``implementation=1``), which runs the loop.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from torchbridge import activations, initializers, regularizers
from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import check_rank
from torchbridge.layers.layer import KerasWeight
from torchbridge.layers.rnn import RNN, run_steps
from torchbridge.layers.rnn_cells import (
    DropoutMask,
    activation_name,
    draw_dropout_mask,
    weight_options_config,
)

__all__ = ["RNNBase", "FusedKernel", "DropoutMask", "activation_name"]

# (torch._VF function, its parameter list, has_biases)
FusedKernel = tuple[Callable[..., Any], list[torch.Tensor], bool]


@contextlib.contextmanager
def _quiet_weight_copy(active: bool) -> Iterator[None]:
    """cuDNN warns when the weights are not one flat buffer; it copies them, which is cheap."""
    if not active:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not part of single contiguous chunk")
        yield


class RNNBase(RNN):
    """Shared base of ``SimpleRNN``, ``LSTM`` and ``GRU`` (Keras's ``RNN`` + its cell).

    Subclasses set ``gate_count`` / ``state_count`` / ``gate_order`` and
    implement ``_step`` (one timestep of the loop, with the cells' maths)
    and ``_fused_kernel``.
    """

    _cell_required: ClassVar[bool] = False
    gate_count: ClassVar[int] = 1
    state_count: ClassVar[int] = 1
    # gate_order[j] = the Keras gate block stored as torch gate block j (None: same order).
    gate_order: ClassVar[tuple[int, ...] | None] = None
    has_seed_in_config: ClassVar[bool] = True

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
        return_sequences: bool,
        return_state: bool,
        go_backwards: bool,
        stateful: bool,
        unroll: bool,
        zero_output_for_mask: bool,
        use_cudnn: Any,
        options: dict[str, tuple[Any, Any]],
        **kwargs: Any,
    ) -> None:
        kwargs.pop("implementation", None)  # Keras's legacy switch; the maths is the same
        super().__init__(
            None,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
        owner = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"{owner}: `units` must be a positive integer. Received: units={units!r}"
            )
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"{owner}: `use_cudnn` must be one of 'auto', True, False. "
                f"Received: use_cudnn={use_cudnn!r}"
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
        self._generator: torch.Generator | None = None
        if seed is not None:
            self._generator = torch.Generator().manual_seed(int(seed))
        self.use_cudnn = use_cudnn
        self.kernel: nn.Parameter | None
        self.recurrent_kernel: nn.Parameter | None
        self.bias: nn.Parameter | None
        self.register_parameter("kernel", None)
        self.register_parameter("recurrent_kernel", None)
        self.register_parameter("bias", None)

    # --- the cell protocol (the layer is its own cell) -------------------------------------
    @property
    def state_size(self) -> list[Any]:
        return [self.units] * self.state_count

    def _output_size(self) -> Any:
        return self.units

    def get_initial_state(self, batch_size: int) -> list[Any]:
        device = self.kernel.device if self.kernel is not None else None
        return [torch.zeros(batch_size, self.units, device=device)] * self.state_count

    # --- weights ---------------------------------------------------------------------------
    def _gate_index(self) -> torch.Tensor | None:
        if self.gate_order is None:
            return None
        u = self.units
        return torch.cat([torch.arange(g * u, (g + 1) * u) for g in self.gate_order])

    def _kernel_from_keras(self, k: torch.Tensor) -> torch.Tensor:
        """Keras ``(in, gates*units)`` in Keras gate order → torch ``(gates*units, in)``."""
        t = k.t()
        idx = self._gate_index()
        return (t if idx is None else t[idx]).contiguous()

    def _kernel_to_keras(self, t: torch.Tensor) -> torch.Tensor:
        idx = self._gate_index()
        if idx is not None:
            t = t[torch.argsort(idx)]
        return t.t()

    def _bias_from_keras(self, b: torch.Tensor) -> torch.Tensor:
        idx = self._gate_index()
        return (b if idx is None else b[..., idx]).contiguous()

    def _bias_to_keras(self, t: torch.Tensor) -> torch.Tensor:
        idx = self._gate_index()
        return t if idx is None else t[..., torch.argsort(idx)]

    def _initial_bias(self) -> torch.Tensor:
        """The bias in Keras's layout at initialisation (subclasses may override)."""
        return initializers.get(self.bias_initializer)((self.gate_count * self.units,))

    def _maybe_build(self, inputs: Any) -> None:
        inputs = self._as_tensor(inputs)
        if isinstance(inputs, torch.Tensor):
            self._check_inputs(inputs)
        super()._maybe_build(inputs)

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        self._check_shape(sequences_shape, rank=3)
        input_dim = sequences_shape[-1]
        if input_dim is None:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): the last axis of the input must "
                f"be known; received shape {sequences_shape}."
            )
        width = self.gate_count * self.units
        kernel = initializers.get(self.kernel_initializer)((input_dim, width)).float()
        recurrent = initializers.get(self.recurrent_initializer)((self.units, width)).float()
        self.kernel = nn.Parameter(self._kernel_from_keras(kernel))
        self.recurrent_kernel = nn.Parameter(self._kernel_from_keras(recurrent))
        if self.use_bias:
            self.bias = nn.Parameter(self._bias_from_keras(self._initial_bias().float()))

    def _keras_weights(self) -> list[KerasWeight]:
        if self.kernel is None or self.recurrent_kernel is None:
            return []
        out = [
            KerasWeight(self.kernel, self._kernel_to_keras, self._kernel_from_keras, name="kernel"),
            KerasWeight(
                self.recurrent_kernel,
                self._kernel_to_keras,
                self._kernel_from_keras,
                name="recurrent_kernel",
            ),
        ]
        if self.bias is not None:
            out.append(
                KerasWeight(self.bias, self._bias_to_keras, self._bias_from_keras, name="bias")
            )
        return out

    # --- what subclasses implement ------------------------------------------------------------
    def _input_bias(self) -> torch.Tensor | None:
        return self.bias

    def _fused_kernel(self) -> FusedKernel | None:
        """The torch fused kernel for this configuration, or ``None`` (use the loop)."""
        return None

    def _step(
        self, x_t: torch.Tensor, states: list[torch.Tensor], rec_mask: DropoutMask
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One timestep: ``x_t`` is the input projection (kernel and input bias applied)."""
        raise NotImplementedError

    # --- calling -----------------------------------------------------------------------------------
    def _check_inputs(self, inputs: torch.Tensor) -> None:
        check_rank(self, inputs, 3, "inputs of shape (batch, timesteps, features)")
        if self.kernel is not None and inputs.shape[-1] != self.kernel.shape[1]:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) was built for inputs of shape "
                f"(None, None, {self.kernel.shape[1]}), but received an input of shape "
                f"{tuple(inputs.shape)}."
            )
        super()._check_inputs(inputs)

    def _compute_dtype(self) -> torch.dtype:
        assert self.kernel is not None
        return self.kernel.dtype

    def _run(
        self, x: torch.Tensor, states: list[Any], mask: torch.Tensor | None, training: bool
    ) -> tuple[torch.Tensor | None, torch.Tensor, Any]:
        per_gate = self.recurrent_dropout != 0.0 and self.gate_count > 1
        count = self.gate_count if per_gate else None
        in_mask: DropoutMask = None
        rec_mask: DropoutMask = None
        if training and 0.0 < self.dropout < 1.0:
            in_mask = draw_dropout_mask(x[:, 0], self.dropout, count, self._generator)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            rec_mask = draw_dropout_mask(states[0], self.recurrent_dropout, count, self._generator)

        fused = None
        if rec_mask is None and self.use_cudnn is not False:
            fused = self._fused_kernel()
        if fused is None and self.use_cudnn is True:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): use_cudnn=True was specified, "
                "but this configuration has no fused kernel. Pass use_cudnn='auto'."
            )
        if fused is not None:
            if isinstance(in_mask, torch.Tensor):
                x = x * in_mask.unsqueeze(1)
            return self._run_fused(fused, x, states, mask)
        projected = self._input_projection(x, in_mask)
        return run_steps(
            lambda t, s: self._step(projected[:, t], s, rec_mask),
            projected.shape[1],
            states,
            mask,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
        )

    def _input_projection(self, x: torch.Tensor, in_mask: DropoutMask) -> torch.Tensor:
        """``x @ kernel + input bias`` for all timesteps at once, dropout applied."""
        assert self.kernel is not None
        bias = self._input_bias()
        if in_mask is None:
            return F.linear(x, self.kernel, bias)
        if isinstance(in_mask, torch.Tensor):
            return F.linear(x * in_mask.unsqueeze(1), self.kernel, bias)
        weights = self.kernel.chunk(self.gate_count, 0)
        biases: Sequence[torch.Tensor | None] = (
            bias.chunk(self.gate_count, -1) if bias is not None else [None] * self.gate_count
        )
        return torch.cat(
            [F.linear(x * m.unsqueeze(1), w, b) for m, w, b in zip(in_mask, weights, biases)], -1
        )

    def _recurrent_projection(self, h: torch.Tensor, rec_mask: DropoutMask) -> torch.Tensor:
        """``h @ recurrent_kernel`` for one timestep, recurrent dropout applied."""
        assert self.recurrent_kernel is not None
        if rec_mask is None:
            return F.linear(h, self.recurrent_kernel)
        if isinstance(rec_mask, torch.Tensor):
            return F.linear(h * rec_mask, self.recurrent_kernel)
        weights = self.recurrent_kernel.chunk(self.gate_count, 0)
        return torch.cat([F.linear(h * m, w) for m, w in zip(rec_mask, weights)], -1)

    def _call_fused(
        self,
        fused: FusedKernel,
        data: torch.Tensor,
        batch_sizes: torch.Tensor | None,
        states: list[torch.Tensor],
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        fn, params, has_biases = fused
        hx: Any
        if self.state_count == 2:
            hx = tuple(s.unsqueeze(0) for s in states)
        else:
            hx = states[0].unsqueeze(0)
        # cuDNN's `train` flag only keeps what backward needs; tie it to autograd.
        train = torch.is_grad_enabled()
        with _quiet_weight_copy(data.is_cuda):
            if batch_sizes is None:
                res = fn(data, hx, params, has_biases, 1, 0.0, train, False, True)
            else:
                res = fn(data, batch_sizes, hx, params, has_biases, 1, 0.0, train, False)
        return res[0], [r.squeeze(0) for r in res[1:]]

    def _run_fused(
        self,
        fused: FusedKernel,
        x: torch.Tensor,
        states: list[torch.Tensor],
        mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor | None, torch.Tensor, list[torch.Tensor]]:
        if mask is None:
            out, finals = self._call_fused(fused, x, None, states)
            return (out if self.return_sequences else None), finals[0], finals

        # Keras skips masked steps: move each row's unmasked steps to the front (stable),
        # run them as a packed sequence, then put every output where Keras has it.
        steps = x.shape[1]
        counts = mask.cumsum(1)  # unmasked steps seen so far, per timestep
        lengths = counts[:, -1]
        order = torch.sort((~mask).to(torch.uint8), dim=1, stable=True).indices
        compact = x.gather(1, order.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        packed = pack_padded_sequence(
            compact, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        assert packed.sorted_indices is not None and packed.unsorted_indices is not None
        sorted_states = [s.index_select(0, packed.sorted_indices) for s in states]
        data, finals = self._call_fused(fused, packed.data, packed.batch_sizes, sorted_states)
        seen = (lengths > 0).unsqueeze(-1)  # rows with no unmasked step keep their state
        finals = [
            torch.where(seen, f.index_select(0, packed.unsorted_indices), s)
            for f, s in zip(finals, states)
        ]
        if not self.return_sequences:
            keep = mask[:, -1:] if self.zero_output_for_mask else seen
            return None, torch.where(keep, finals[0], torch.zeros_like(finals[0])), finals
        padded, _ = pad_packed_sequence(
            PackedSequence(
                data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
            ),
            batch_first=True,
            total_length=steps,
        )
        # Output at step t = output after the counts[t]-th unmasked step.
        source = (counts - 1).clamp(min=0)
        seq = padded.gather(1, source.unsqueeze(-1).expand(-1, -1, padded.shape[-1]))
        keep_seq = mask if self.zero_output_for_mask else counts > 0
        seq = torch.where(keep_seq.unsqueeze(-1), seq, torch.zeros_like(seq))
        return seq, seq[:, -1], finals

    # --- config ------------------------------------------------------------------------------------
    def _cell_config(self) -> dict[str, Any]:
        """The cell's part of ``get_config`` (subclasses insert their own keys)."""
        return {
            "units": self.units,
            "activation": self.activation_name,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }

    def get_config(self) -> dict[str, Any]:
        config = {
            **self._sequence_config(),
            **self._cell_config(),
            **weight_options_config(self),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }
        if self.has_seed_in_config:
            config["seed"] = self.seed
        return config

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"
