"""Keras 3's MultiHeadAttention: semantics, weights and masks (the dot-product /
additive ``Attention`` and ``AdditiveAttention`` are in ``dot_attention.py``).

MultiHeadAttention's weights keep Keras's ``EinsumDense`` layouts and order, so
``set_weights(keras_mha.get_weights())`` works unchanged:

* ``query`` / ``key`` / ``value``: kernel ``(dim, num_heads, key_dim)`` (value:
  ``value_dim``), bias ``(num_heads, key_dim)``;
* ``gate`` (``use_gate=True``, between key and value): like ``value``, sigmoid;
* ``attention_output``: kernel ``(num_heads, value_dim, *output_shape)``, bias
  ``output_shape`` (default: the query's feature size).

Masks follow Keras 3. For MultiHeadAttention, the masks riding on ``query`` /
``value`` / ``key`` (``x._keras_mask``, e.g. from ``Embedding(mask_zero=True)``)
— or passed as ``query_mask`` / ``value_mask`` / ``key_mask`` — are combined with
``attention_mask``, ``use_causal_mask`` and ``sliding_window`` into one
``(batch, T, S)`` boolean mask (True = attend), and the output carries the
query's mask. Keras has two code paths, mirrored here because they differ on
rows where every key is masked:

* the fused path (no dropout, no returned scores, ``(batch, time, features)``
  inputs) uses ``scaled_dot_product_attention``; a fully masked row attends
  uniformly to every key, as Keras's masked logits do;
* otherwise scores are computed explicitly (any ``attention_axes``), masked
  to ``-1e9`` before the softmax and zeroed after it, so a fully masked row
  gives zero attention.
"""

from __future__ import annotations

import contextlib
import math
import string
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from torchbridge import constraints, initializers, regularizers
from torchbridge.errors import InputError
from torchbridge.layers.core import Dropout
from torchbridge.layers.layer import KerasWeight, Layer, get_mask, set_mask, to_shape
from torchbridge.layers.layer_losses import enter_call, exit_call

__all__ = ["MultiHeadAttention"]

_LARGE_NEGATIVE = -1e9  # Keras's masked-softmax fill (float16: -3e4)


@contextlib.contextmanager
def _call_scope(layer: Layer) -> Iterator[None]:
    """A call as ``Layer.forward`` makes one (for layers that override ``forward``)."""
    enter_call(layer)
    try:
        yield
    finally:
        exit_call()


class _Projection(Layer):
    """Keras's ``EinsumDense`` as MultiHeadAttention uses it: a dense map that
    contracts the last ``len(in_dims)`` axes with a kernel ``(*in_dims, *out_dims)``
    and adds a bias ``out_dims``. MultiHeadAttention's regularizers and constraints
    apply to every projection, as to Keras's sublayers."""

    def __init__(
        self,
        in_dims: Sequence[int],
        out_dims: Sequence[int],
        use_bias: bool,
        kernel_initializer: Any,
        bias_initializer: Any,
        activation: str | None = None,
        kernel_options: tuple[Any, Any] = (None, None),
        bias_options: tuple[Any, Any] = (None, None),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.in_dims = tuple(int(d) for d in in_dims)
        self.out_dims = tuple(int(d) for d in out_dims)
        self.activation = activation
        self.kernel = nn.Parameter(
            initializers.get(kernel_initializer)(self.in_dims + self.out_dims).float()
        )
        self.bias: nn.Parameter | None = (
            nn.Parameter(initializers.get(bias_initializer)(self.out_dims).float())
            if use_bias
            else None
        )
        self.built = True
        self._declare_weight_options(kernel=kernel_options, bias=bias_options)

    def _keras_weights(self) -> list[KerasWeight]:
        return [KerasWeight(p) for p in (self.kernel, self.bias) if p is not None]

    def project(self, inputs: torch.Tensor) -> torch.Tensor:
        """``call`` plus the activity penalty Keras's sublayer call would add."""
        out = self.call(inputs)
        if self.activity_regularizer is not None:
            self._add_activity_losses(out)
        return out

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        n_in = len(self.in_dims)
        lead = inputs.shape[: inputs.ndim - n_in]
        flat = inputs.reshape(*lead, math.prod(self.in_dims))
        out = flat @ self.kernel.reshape(flat.shape[-1], -1)
        if self.bias is not None:
            out = out + self.bias.reshape(-1)
        out = out.reshape(*lead, *self.out_dims)
        return torch.sigmoid(out) if self.activation == "sigmoid" else out


def _attention_equations(rank: int, attn_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """Einsum equations for scores = key·query and output = scores·value.

    The projected tensors have ``rank`` axes ``(batch, ..., heads, dim)``; the
    scores are laid out as Keras lays them out: the non-attention axes (batch,
    heads, ...) in order, then the query's attention axes, then the key's.
    """
    letters = string.ascii_lowercase
    query = letters[:rank]
    key = list(query)
    for n, axis in enumerate(attn_axes):
        key[axis] = letters[rank + n]
    source = "".join(key)
    batch = [query[i] for i in range(rank - 1) if i not in attn_axes]
    scores = "".join(batch + [query[i] for i in attn_axes] + [source[i] for i in attn_axes])
    return f"{source},{query}->{scores}", f"{scores},{source}->{query}", len(scores)


class MultiHeadAttention(Layer):
    """Keras's ``MultiHeadAttention`` (batch-first; see the module docstring).

    Call it as ``mha(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)``.
    The layer builds on its first call from the query/value/key shapes.
    """

    _DENSE_PREFIX = ""  # the projections are query_dense, key_dense ... (Keras's names)

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: int | Sequence[int] | None = None,
        attention_axes: int | Sequence[int] | None = None,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        for arg, value, optional in (
            ("num_heads", num_heads, False),
            ("key_dim", key_dim, False),
            ("value_dim", value_dim, True),
        ):
            if optional and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"MultiHeadAttention: `{arg}` must be a positive integer"
                    f"{' or None' if optional else ''}. Received: {arg}={value!r}"
                )
        super().__init__(**kwargs)
        # Keras hands these to every projection sublayer (MultiHeadAttention's own
        # activity_regularizer stays None): resolved once here, shared by the projections.
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(
                f"MultiHeadAttention: `dropout` must be between 0 and 1. Received: {dropout!r}"
            )
        self.supports_masking = True
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self.output_shape: tuple[int, ...] | None = None
        if output_shape:
            dims = (output_shape,) if isinstance(output_shape, int) else output_shape
            try:
                self.output_shape = tuple(int(d) for d in dims)
            except TypeError:
                raise ValueError(
                    "MultiHeadAttention: `output_shape` must be an int, a tuple or a list. "
                    f"Received: output_shape={output_shape!r}"
                ) from None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "MultiHeadAttention: `attention_axes` must be an int, a list or a tuple. "
                f"Received: attention_axes={attention_axes!r}"
            )
        self.attention_axes: tuple[int, ...] | None = (
            tuple(int(a) for a in attention_axes) if attention_axes else None
        )
        if sliding_window is not None and (
            isinstance(sliding_window, bool)
            or not isinstance(sliding_window, int)
            or sliding_window <= 0
        ):
            raise ValueError(
                "MultiHeadAttention: `sliding_window` must be None or a positive integer. "
                f"Received: sliding_window={sliding_window!r}"
            )
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        if flash_attention and self.dropout > 0.0:
            raise ValueError(
                "MultiHeadAttention: dropout is not supported with flash_attention=True; "
                "set dropout=0.0."
            )
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.seed = seed
        self._scale = 1.0 / math.sqrt(float(key_dim))
        self._attn_axes: tuple[int, ...] = ()
        self._dot_equation = ""
        self._combine_equation = ""
        self._query_dims: tuple[int | None, ...] = ()

    # --- building ------------------------------------------------------------------------
    def build(  # type: ignore[override]
        self,
        query_shape: Any,
        value_shape: Any = None,
        key_shape: Any = None,
    ) -> None:
        """Create the projections for ``query_shape`` / ``value_shape`` / ``key_shape``.

        A single shape means self-attention; a list ``[query, value(, key)]`` of
        shapes is also accepted.
        """
        if value_shape is None:
            shapes = list(query_shape)
            if shapes and isinstance(shapes[0], (list, tuple)):
                query_shape, value_shape = shapes[0], shapes[1]
                key_shape = shapes[2] if len(shapes) > 2 else None
            else:
                value_shape = query_shape
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): all dimensions of `value` and "
                f"`key` except the last must be equal, but received value shape "
                f"{value_shape} and key shape {key_shape}."
            )
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3 or shape[-1] is None:
                raise InputError(
                    f"Layer '{self.name}' ({type(self).__name__}) expects a {what} of shape "
                    f"(batch, ..., features) with a known feature size (rank >= 3), but "
                    f"received {what} shape {shape}."
                )
        common = dict(
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_options=(self._kernel_regularizer, self._kernel_constraint),
            bias_options=(self._bias_regularizer, self._bias_constraint),
            activity_regularizer=self._activity_regularizer,
        )
        heads, kv_heads = self.num_heads, self._kv_heads()
        # Keras's attribute names (GroupQueryAttention's are private: ``_query_dense``),
        # which are also the groups of the projections in .weights.h5 files.
        p = self._DENSE_PREFIX
        setattr(
            self,
            f"{p}query_dense",
            _Projection((query_shape[-1],), (heads, self.key_dim), name="query", **common),
        )
        setattr(
            self,
            f"{p}key_dense",
            _Projection((key_shape[-1],), (kv_heads, self.key_dim), name="key", **common),
        )
        setattr(self, f"{p}gate_dense", None)
        if self.use_gate:
            gate = _Projection(
                (query_shape[-1],),
                (heads, self.value_dim),
                activation="sigmoid",
                name="gate",
                **common,
            )
            setattr(self, f"{p}gate_dense", gate)
        setattr(
            self,
            f"{p}value_dense",
            _Projection((value_shape[-1],), (kv_heads, self.value_dim), name="value", **common),
        )
        self._dropout_layer = Dropout(self.dropout, seed=self.seed, name="dropout")
        out_dims = self.output_shape or (int(query_shape[-1]),)
        setattr(
            self,
            f"{p}output_dense",
            _Projection((heads, self.value_dim), out_dims, name="attention_output", **common),
        )
        rank = len(value_shape) + 1  # the projected tensors: (batch, ..., heads, dim)
        if self.attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(a if a >= 0 else (rank - 1) + a for a in self.attention_axes)
        self._attn_axes = axes
        self._dot_equation, self._combine_equation, _ = _attention_equations(rank, axes)
        self._query_dims = (query_shape[-1], value_shape[-1], key_shape[-1])
        self.built = True

    # --- calling -------------------------------------------------------------------------
    def forward(  # type: ignore[override]
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        key: torch.Tensor | None = None,
        query_mask: torch.Tensor | None = None,
        value_mask: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Any:
        with _call_scope(self):  # an outermost call starts the activity losses afresh
            # Masks riding on the inputs fill the mask arguments left as None (Keras 3).
            if query_mask is None:
                query_mask = get_mask(query)
            if value_mask is None:
                value_mask = get_mask(value)
            if key is not None and key_mask is None:
                key_mask = get_mask(key)
            if not self.built:
                self.build(to_shape(query), to_shape(value), None if key is None else to_shape(key))
            if training is None:
                training = self.training
            result = self.call(
                query,
                value,
                key,
                query_mask=query_mask,
                value_mask=value_mask,
                key_mask=key_mask,
                attention_mask=attention_mask,
                return_attention_scores=return_attention_scores,
                training=training,
                use_causal_mask=use_causal_mask,
            )
            if query_mask is not None:
                set_mask(result[0] if return_attention_scores else result, query_mask)
            return result

    def call(  # type: ignore[override]
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        key: torch.Tensor | None = None,
        query_mask: torch.Tensor | None = None,
        value_mask: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Any:
        if self.flash_attention and return_attention_scores:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): attention scores cannot be "
                "returned with flash_attention=True."
            )
        if key is None:
            key = value
        dtype = self._dense("query").kernel.dtype
        query, value, key = (self._as_input(t, dtype) for t in (query, value, key))
        self._check_inputs(query, value, key)
        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
            and self.sliding_window is None
        )
        mask = (
            None
            if causal_only
            else self._compute_attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        )
        gate_dense = self._dense("gate")
        gate = gate_dense.project(query) if gate_dense is not None else None
        q = self._dense("query").project(query)
        k = self._dense("key").project(key)
        v = self._dense("value").project(value)
        if self._kv_heads() != self.num_heads:  # grouped-query attention: share k/v heads
            repeats = self.num_heads // self._kv_heads()
            k, v = k.repeat_interleave(repeats, dim=-2), v.repeat_interleave(repeats, dim=-2)
        out, scores = self._compute_attention(
            q, k, v, mask, bool(training), return_attention_scores, causal_only
        )
        if gate is not None:
            out = out * gate
        out = self._dense("output").project(out)
        return (out, scores) if return_attention_scores else out

    def _dense(self, role: str) -> Any:
        """The ``role`` projection (query, key, value, gate, output)."""
        return getattr(self, f"{self._DENSE_PREFIX}{role}_dense")

    def _kv_heads(self) -> int:
        """Heads of the key/value projections (GroupQueryAttention shares them)."""
        return self.num_heads

    def _as_input(self, x: Any, dtype: torch.dtype) -> torch.Tensor:
        t = x if isinstance(x, torch.Tensor) else torch.as_tensor(x)
        if t.dtype != dtype and not torch.is_autocast_enabled():
            t = t.to(dtype)
        return t

    def _check_inputs(self, query: torch.Tensor, value: torch.Tensor, key: torch.Tensor) -> None:
        for what, t, dim in zip(("query", "value", "key"), (query, value, key), self._query_dims):
            if t.ndim < 3 or t.shape[-1] != dim:
                raise InputError(
                    f"Layer '{self.name}' ({type(self).__name__}) was built for a {what} of shape "
                    f"(batch, ..., {dim}), but received a {what} of shape {tuple(t.shape)}."
                )
        if value.shape[:-1] != key.shape[:-1]:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): all dimensions of `value` and "
                f"`key` except the last must be equal, but received value shape "
                f"{tuple(value.shape)} and key shape {tuple(key.shape)}."
            )

    def _compute_attention_mask(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        query_mask: torch.Tensor | None,
        value_mask: torch.Tensor | None,
        key_mask: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        use_causal_mask: bool,
    ) -> torch.Tensor | None:
        """Keras's combined mask (True = attend), ``(batch, T, S)`` or broadcastable."""
        device = query.device
        auto: torch.Tensor | None = None

        def merge(m: torch.Tensor) -> None:
            nonlocal auto
            auto = m if auto is None else auto & m

        if query_mask is not None:
            merge(torch.as_tensor(query_mask, device=device).to(torch.bool).unsqueeze(-1))
        if value_mask is not None:
            merge(torch.as_tensor(value_mask, device=device).to(torch.bool).unsqueeze(-2))
        if key_mask is not None:
            merge(torch.as_tensor(key_mask, device=device).to(torch.bool).unsqueeze(-2))
        if use_causal_mask:
            merge(self._causal_mask(query.shape[1], value.shape[1], device))
        if self.sliding_window is not None:
            rows = torch.arange(query.shape[1], device=device).view(1, -1, 1)
            cols = torch.arange(value.shape[1], device=device).view(1, 1, -1)
            merge((rows - cols).abs() < self.sliding_window)
        if attention_mask is not None:
            attention_mask = torch.as_tensor(attention_mask, device=device).to(torch.bool)
        if auto is None:
            return attention_mask
        return auto if attention_mask is None else attention_mask & auto

    @staticmethod
    def _causal_mask(q_len: int, v_len: int, device: torch.device) -> torch.Tensor:
        """``(1, T, S)``: query step i sees key steps 0..i (top-left aligned)."""
        return torch.ones(q_len, v_len, dtype=torch.bool, device=device).tril().unsqueeze(0)

    def _expand_mask(self, mask: torch.Tensor, rank: int) -> torch.Tensor:
        """Insert the heads (and other batch-like) axes the way Keras does."""
        axis = -len(self._attn_axes) * 2 - 1
        while mask.ndim < rank:
            mask = mask.unsqueeze(axis)
        return mask

    def _compute_attention(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        mask: torch.Tensor | None,
        training: bool,
        return_scores: bool,
        causal_only: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not (self.dropout > 0.0 or return_scores or q.ndim != 4):
            return self._fused_attention(q, k, v, mask, causal_only), None
        if causal_only:
            mask = self._causal_mask(q.shape[1], v.shape[1], q.device)
        scores = torch.einsum(self._dot_equation, k, q * self._scale)
        n = len(self._attn_axes)
        if mask is not None:
            mask = self._expand_mask(mask, scores.ndim)
            fill = -3e4 if scores.dtype == torch.float16 else _LARGE_NEGATIVE
            scores = scores.masked_fill(~mask, fill)
        lead = scores.shape[: scores.ndim - n]
        probs = torch.softmax(scores.reshape(*lead, -1), dim=-1).reshape(scores.shape)
        if mask is not None:
            # Keras zeroes masked entries after the softmax: a fully masked row gives 0.
            probs = probs.masked_fill(~mask, 0.0)
        dropped = self._dropout_layer.call(probs, training=training)
        out = torch.einsum(self._combine_equation, dropped, v)
        return out, probs

    def _fused_attention(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        mask: torch.Tensor | None,
        causal: bool,
    ) -> torch.Tensor:
        """Keras's dot-product-attention path on ``(batch, time, heads, dim)`` tensors."""
        qh, kh, vh = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        if mask is None:
            out = F.scaled_dot_product_attention(qh, kh, vh, is_causal=causal, scale=self._scale)
            return out.transpose(1, 2)
        mask = self._expand_mask(mask, 4)
        # A row with no visible key: Keras's masked logits are all equal there, so it
        # attends uniformly to every key. SDPA would give NaN, so such rows are unmasked
        # for SDPA and replaced by the mean of the values afterwards.
        dead = ~mask.any(dim=-1, keepdim=True)
        out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=mask | dead, scale=self._scale)
        out = torch.where(dead, vh.mean(dim=-2, keepdim=True), out)
        return out.transpose(1, 2)

    # --- shapes, masks, config -----------------------------------------------------------
    def compute_output_shape(  # type: ignore[override]
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> tuple[int | None, ...]:
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}): all dimensions of `value` and "
                f"`key` except the last must be equal, but received value shape "
                f"{value_shape} and key shape {key_shape}."
            )
        if self.output_shape:
            return query_shape[:-1] + self.output_shape
        return query_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The query's mask (Keras's rule for the attention output)."""
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return mask

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self.output_shape,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, num_heads={self.num_heads}, key_dim={self.key_dim}, "
            f"value_dim={self.value_dim}"
        )
