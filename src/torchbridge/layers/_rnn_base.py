"""``RNNBase``: the machinery Keras's ``SimpleRNN``, ``LSTM`` and ``GRU`` share.

What lives here (the subclasses in ``recurrent.py`` add only their gate maths):

* **Weights.** Stored in torch's layouts and gate order — ``kernel`` is
  ``(gates * units, input_dim)``, ``recurrent_kernel`` ``(gates * units,
  units)`` — so torch's fused RNN kernels take them as they are;
  ``get_weights`` / ``set_weights`` convert to and from Keras's ``(input_dim,
  gates * units)`` layouts and gate order.
* **Two ways to run.** A fused torch kernel (``torch._VF.lstm`` / ``gru`` /
  ``rnn_tanh`` / ``rnn_relu``, cuDNN on a GPU) whenever the configuration
  allows it, else a plain per-timestep loop. Both give Keras's numbers.
* **Masks as Keras's generic RNN loop handles them.** A masked timestep keeps
  the previous state; its output is the previous step's output (zeros before
  the first unmasked step), or zeros with ``zero_output_for_mask=True``. The
  fused path supports any mask pattern (left/right padding, holes): the
  unmasked steps of each row are moved to the front, run as a packed
  sequence, and the outputs are put back where Keras has them.
* **Dropout as Keras's cells draw it.** One mask per sequence, shared by all
  timesteps; with ``recurrent_dropout`` one mask per gate (Keras's
  ``implementation=1``), which runs the loop.
* ``initial_state=``, ``return_sequences``, ``return_state``,
  ``go_backwards``, ``stateful`` (states kept between calls, ``reset_state()``).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from torchbridge import activations, initializers
from torchbridge.errors import InputError
from torchbridge.layers._conv_utils import check_rank, reject_unsupported
from torchbridge.layers.layer import KerasWeight, Layer

__all__ = ["RNNBase", "FusedKernel", "DropoutMask", "config_value", "activation_name"]

# (torch._VF function, its parameter list, has_biases)
FusedKernel = tuple[Callable[..., Any], list[torch.Tensor], bool]
# A dropout mask: one (batch, features) tensor, or one per gate.
DropoutMask = torch.Tensor | list[torch.Tensor] | None


def config_value(identifier: Any) -> Any:
    """A config-friendly form of an initializer argument (names stay names)."""
    if isinstance(identifier, (str, dict)) or identifier is None:
        return identifier
    return getattr(identifier, "__name__", repr(identifier))


def activation_name(identifier: Any) -> str:
    if identifier is None:
        return "linear"
    if isinstance(identifier, str):
        return identifier
    return activations.serialize(identifier)


@contextlib.contextmanager
def _quiet_weight_copy(active: bool) -> Iterator[None]:
    """cuDNN warns when the weights are not one flat buffer; it copies them, which is cheap."""
    if not active:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not part of single contiguous chunk")
        yield


class RNNBase(Layer):
    """Shared base of ``SimpleRNN``, ``LSTM`` and ``GRU`` (Keras's ``RNN`` + cell).

    Subclasses set ``gate_count`` / ``state_count`` / ``gate_order`` and
    implement ``_step`` (one timestep of the loop) and ``_fused_kernel``.
    """

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
        unsupported: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        kwargs.pop("implementation", None)  # Keras's legacy switch; the maths is the same
        super().__init__(**kwargs)
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
        reject_unsupported(owner, **unsupported)
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
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted for compatibility; torch needs no unrolling
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.use_cudnn = use_cudnn
        self.supports_masking = True
        self.states: list[torch.Tensor] | None = None
        self.kernel: nn.Parameter | None
        self.recurrent_kernel: nn.Parameter | None
        self.bias: nn.Parameter | None
        self.register_parameter("kernel", None)
        self.register_parameter("recurrent_kernel", None)
        self.register_parameter("bias", None)

    def _build_declared(self) -> None:
        """Build now when ``input_shape=`` was given (subclasses call it last in ``__init__``)."""
        if self._declared_input_shape is not None:
            self.build_from_shape((None, *self._declared_input_shape))

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
        if isinstance(inputs, torch.Tensor):
            self._check_inputs(inputs)
        super()._maybe_build(inputs)

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) != 3:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of shape "
                f"(batch, timesteps, features) (rank 3), but received shape {input_shape}."
            )
        input_dim = input_shape[-1]
        if input_dim is None:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): the last axis of the input must "
                f"be known; received shape {input_shape}."
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
            KerasWeight(self.kernel, self._kernel_to_keras, self._kernel_from_keras),
            KerasWeight(self.recurrent_kernel, self._kernel_to_keras, self._kernel_from_keras),
        ]
        if self.bias is not None:
            out.append(KerasWeight(self.bias, self._bias_to_keras, self._bias_from_keras))
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
        if inputs.shape[1] == 0:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) needs at least one timestep; "
                f"received an input of shape {tuple(inputs.shape)}."
            )

    def call(
        self,
        inputs: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(np.asarray(inputs))
        self._check_inputs(inputs)
        assert self.kernel is not None
        x = inputs
        if x.dtype != self.kernel.dtype and not torch.is_autocast_enabled(x.device.type):
            x = x.to(self.kernel.dtype)
        states = self._initial_states(x, initial_state)
        mask = self._prepare_mask(mask, x)
        if self.go_backwards:  # Keras: reverse the time axis and keep outputs in that order
            x = x.flip(1)
            mask = None if mask is None else mask.flip(1)

        training = bool(training)
        per_gate = self.recurrent_dropout != 0.0 and self.gate_count > 1
        count = self.gate_count if per_gate else None
        in_mask: DropoutMask = None
        rec_mask: DropoutMask = None
        if training and 0.0 < self.dropout < 1.0:
            in_mask = self._dropout_mask(x[:, 0], self.dropout, count)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            rec_mask = self._dropout_mask(states[0], self.recurrent_dropout, count)

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
            seq, last, states = self._run_fused(fused, x, states, mask)
        else:
            projected = self._input_projection(x, in_mask)
            seq, last, states = self._run_loop(projected, states, mask, rec_mask)

        if self.stateful:
            self.states = [s.detach() for s in states]
        output = seq if self.return_sequences else last
        if self.return_state:
            return (output, *states)
        return output

    def _initial_states(self, x: torch.Tensor, initial_state: Any) -> list[torch.Tensor]:
        batch = x.shape[0]
        if initial_state is None:
            if self.stateful and self.states is not None:
                if self.states[0].shape[0] != batch:
                    raise InputError(
                        f"Layer '{self.name}' ({type(self).__name__}) is stateful with batch "
                        f"size {self.states[0].shape[0]}, but received an input of shape "
                        f"{tuple(x.shape)}. Call reset_state() or keep the batch size fixed."
                    )
                return [s.to(device=x.device, dtype=x.dtype) for s in self.states]
            zeros = x.new_zeros(batch, self.units)
            return [zeros] * self.state_count
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(given) != self.state_count:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) expects {self.state_count} "
                f"initial state tensor(s), got {len(given)}."
            )
        out = []
        for s in given:
            t = s if isinstance(s, torch.Tensor) else torch.as_tensor(np.asarray(s))
            t = t.to(device=x.device, dtype=x.dtype)
            if tuple(t.shape) != (batch, self.units):
                raise InputError(
                    f"Layer '{self.name}' ({type(self).__name__}): an initial state must have "
                    f"shape {(batch, self.units)}, but received {tuple(t.shape)}."
                )
            out.append(t.contiguous())
        return out

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

    def _dropout_mask(
        self, like: torch.Tensor, rate: float, count: int | None
    ) -> torch.Tensor | list[torch.Tensor]:
        def one() -> torch.Tensor:
            if self._generator is not None:
                keep = torch.rand(tuple(like.shape), generator=self._generator) >= rate
                keep_t = keep.to(device=like.device, dtype=like.dtype)
            else:
                keep_t = torch.empty_like(like).bernoulli_(1.0 - rate)
            return keep_t / (1.0 - rate)

        if count is None:
            return one()
        return [one() for _ in range(count)]

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

    def _run_loop(
        self,
        projected: torch.Tensor,
        states: list[torch.Tensor],
        mask: torch.Tensor | None,
        rec_mask: DropoutMask,
    ) -> tuple[torch.Tensor | None, torch.Tensor, list[torch.Tensor]]:
        zero = projected.new_zeros(projected.shape[0], self.units)
        previous = zero
        output = zero
        outputs: list[torch.Tensor] = []
        for t in range(projected.shape[1]):
            output, new_states = self._step(projected[:, t], states, rec_mask)
            if mask is not None:
                keep = mask[:, t, None]
                states = [torch.where(keep, n, s) for n, s in zip(new_states, states)]
                output = torch.where(keep, output, zero if self.zero_output_for_mask else previous)
                previous = output
            else:
                states = new_states
            if self.return_sequences:
                outputs.append(output)
        seq = torch.stack(outputs, 1) if self.return_sequences else None
        return seq, output, states

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

    # --- state -----------------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Zero the states a stateful layer carries between calls (Keras's ``reset_state``)."""
        if self.states is not None:
            self.states = [torch.zeros_like(s) for s in self.states]

    def reset_states(self) -> None:
        """Alias of ``reset_state`` (Keras 2's name)."""
        self.reset_state()

    # --- shapes, masks, config ----------------------------------------------------------------
    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        batch, steps = sequences_shape[0], sequences_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return (output, *[(batch, self.units)] * self.state_count)
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask when ``return_sequences`` else ``None``; a list with ``return_state``."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self.state_count
        return output_mask

    def _cell_config(self) -> dict[str, Any]:
        """The cell's part of ``get_config`` (subclasses insert their own keys)."""
        return {
            "units": self.units,
            "activation": self.activation_name,
            "use_bias": self.use_bias,
            "kernel_initializer": config_value(self.kernel_initializer),
            "recurrent_initializer": config_value(self.recurrent_initializer),
            "bias_initializer": config_value(self.bias_initializer),
        }

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            **self._cell_config(),
            "kernel_regularizer": None,
            "recurrent_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "recurrent_constraint": None,
            "bias_constraint": None,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }
        if self.has_seed_in_config:
            config["seed"] = self.seed
        return config

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"
