"""GroupQueryAttention: Keras's grouped-query attention (class ``GroupedQueryAttention``).

``num_query_heads`` query heads share ``num_key_value_heads`` key/value heads
(each key/value head serves ``num_query_heads // num_key_value_heads``
consecutive query heads). The computation, masks and the two Keras code paths
(fused / explicit scores) are MultiHeadAttention's; only the projections'
shapes and the constructor differ. Weights, in Keras's order and layout:
``query`` kernel ``(dim, num_query_heads, head_dim)``, ``key`` / ``value``
kernels ``(dim, num_key_value_heads, head_dim)``, ``gate`` (``use_gate``,
after ``key``) like ``query``, ``attention_output`` kernel
``(num_query_heads, head_dim, dim)``; biases drop the input axis.
"""

from __future__ import annotations

from typing import Any

from torchbridge.errors import InputError
from torchbridge.layers.attention import MultiHeadAttention

__all__ = ["GroupQueryAttention", "GroupedQueryAttention"]


class GroupedQueryAttention(MultiHeadAttention):
    """Keras's ``GroupQueryAttention`` (inputs ``(batch, time, features)``).

    Call it as ``gqa(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)``;
    the scores have shape ``(batch, num_query_heads, T, S)``. As in Keras, the class
    is ``GroupedQueryAttention`` (so configs, default names and .weights.h5 groups
    match) and the projections are ``_query_dense`` ... ``_output_dense``.
    """

    _DENSE_PREFIX = "_"

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
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
        for arg, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"GroupQueryAttention: `{arg}` must be a positive integer. "
                    f"Received: {arg}={value!r}"
                )
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "GroupQueryAttention: `num_query_heads` must be divisible by "
                f"`num_key_value_heads`. Received: num_query_heads={num_query_heads}, "
                f"num_key_value_heads={num_key_value_heads}"
            )
        super().__init__(
            num_query_heads,
            head_dim,
            None,
            dropout=dropout,
            use_bias=use_bias,
            sliding_window=sliding_window,
            flash_attention=flash_attention,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            use_gate=use_gate,
            seed=seed,
            **kwargs,
        )
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads

    def _kv_heads(self) -> int:
        return self.num_key_value_heads

    def build(  # type: ignore[override]
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> None:
        shapes = [query_shape, value_shape, key_shape]
        if value_shape is None and query_shape and isinstance(query_shape[0], (list, tuple)):
            shapes = [*query_shape, None, None][:3]
        for what, shape in zip(("query", "value", "key"), shapes):
            if shape is not None and len(tuple(shape)) != 3:
                raise InputError(
                    f"Layer '{self.name}' (GroupQueryAttention) expects a {what} of shape "
                    f"(batch, time, features), but received {what} shape {tuple(shape)}."
                )
        super().build(query_shape, value_shape, key_shape)

    def compute_output_shape(  # type: ignore[override]
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> tuple[int | None, ...]:
        value = query_shape if value_shape is None else value_shape
        if tuple(query_shape)[-1] != tuple(value)[-1]:
            raise InputError(
                "GroupQueryAttention: the last dimension of `query_shape` and `value_shape` "
                f"must be equal, but are {tuple(query_shape)[-1]}, {tuple(value)[-1]}."
            )
        return super().compute_output_shape(query_shape, value_shape, key_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            config.pop(key)
        config.update(
            {
                "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
            }
        )
        return config

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, head_dim={self.head_dim}, "
            f"num_query_heads={self.num_query_heads}, "
            f"num_key_value_heads={self.num_key_value_heads}"
        )


# Keras's public name for the class.
GroupQueryAttention = GroupedQueryAttention
