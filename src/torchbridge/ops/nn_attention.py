"""``keras.ops.nn.dot_product_attention`` on torch.

Inputs are ``(batch, seq, heads, head_dim)`` as in Keras. Grouped-query attention
(fewer key/value heads dividing the query heads) repeats each key/value head for its
group. Numerics follow Keras: logits in at least float32, scaled by
``scale`` (default ``1/sqrt(head_dim)``), plus ``bias``; positions where ``mask`` (or the
causal band, ``is_causal``) is False get a large negative logit (so a fully masked row
averages all values rather than giving NaN); the softmax runs in at least float32 and the
probabilities are cast back to the inputs' dtype before weighting the values.

Without mask or bias, float32 inputs go through torch's fused
``scaled_dot_product_attention`` (same maths). ``flash_attention=True`` asks for that
fused kernel with any mask (a bias is then refused); Keras's TensorFlow backend refuses
``flash_attention=True`` altogether. ``attn_logits_soft_cap`` is refused, as Keras does
outside JAX on TPU.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.ops._convert import to_tensor, to_tensors

__all__ = ["dot_product_attention"]

_Tensor = torch.Tensor


def _large_negative(dtype: torch.dtype) -> float:
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


def _shapes(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> str:
    return (
        f"query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
        f"value.shape={tuple(value.shape)}"
    )


def _combined_mask(
    mask: Any, is_causal: bool, t: int, s: int, device: torch.device
) -> torch.Tensor | None:
    """The boolean ``(.., T, S)`` mask of allowed positions (``None``: all allowed)."""
    combined = None
    if mask is not None:
        combined = to_tensor(mask, device=device).to(device=device, dtype=torch.bool)
    if is_causal:
        band = torch.ones((t, s), dtype=torch.bool, device=device).tril()
        combined = band if combined is None else combined & band
    return combined


def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    scale: Any = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: Any = None,
) -> torch.Tensor:
    """``softmax(query @ key^T * scale + bias, masked) @ value`` per head."""
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention: attn_logits_soft_cap is only supported by Keras's JAX "
            "backend on TPU; pass attn_logits_soft_cap=None."
        )
    query, key, value = to_tensors(query, key, value)
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4:
        raise ValueError(
            "dot_product_attention only supports 4D inputs (batch, seq, heads, head_dim). "
            f"Received: {_shapes(query, key, value)}."
        )
    if not query.is_floating_point():
        raise TypeError(
            "dot_product_attention needs float inputs; got "
            f"{str(query.dtype).removeprefix('torch.')}. Cast query, key and value to a float dtype."
        )
    heads, kv_heads = query.shape[2], key.shape[2]
    if heads != kv_heads:
        if kv_heads == 0 or heads % kv_heads != 0:
            raise ValueError(
                "dot_product_attention: the query heads must be a multiple of the key/value "
                f"heads (grouped-query attention). Received: {_shapes(query, key, value)}."
            )
        groups = heads // kv_heads
        key = key.repeat_interleave(groups, dim=2)
        value = value.repeat_interleave(groups, dim=2)
    if scale is None:  # Keras computes it in float32, and a Python scale becomes float32
        scale = float(torch.rsqrt(torch.tensor(float(key.shape[-1]), dtype=torch.float32)))
    elif isinstance(scale, (int, float)):
        scale = float(torch.tensor(scale, dtype=torch.float32))
    t, s = query.shape[1], key.shape[1]
    dtype = query.dtype
    if flash_attention:
        if bias is not None:
            raise ValueError(
                "dot_product_attention: flash_attention=True does not take a `bias`; pass "
                "flash_attention=None to use the bias."
            )
        allowed = _combined_mask(mask, is_causal, t, s, query.device)
        out = F.scaled_dot_product_attention(
            query.transpose(1, 2),
            key.transpose(1, 2),
            value.transpose(1, 2),
            attn_mask=allowed,
            scale=float(scale),
        )
        return out.transpose(1, 2)
    if bias is None and mask is None and dtype == torch.float32:
        out = F.scaled_dot_product_attention(
            query.transpose(1, 2),
            key.transpose(1, 2),
            value.transpose(1, 2),
            is_causal=is_causal,  # torch's causal band is Keras's: top-left aligned
            scale=float(scale),
        )
        return out.transpose(1, 2)
    logits_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    logits = torch.einsum("btnh,bsnh->bnts", query, key).to(logits_dtype)
    logits = logits * torch.as_tensor(scale, dtype=logits_dtype)
    if bias is not None:
        logits = logits + to_tensor(bias, dtype, query.device).to(logits_dtype)
    allowed = _combined_mask(mask, is_causal, t, s, query.device)
    if allowed is not None:
        fill = torch.tensor(_large_negative(logits_dtype), dtype=logits_dtype, device=query.device)
        logits = torch.where(allowed, logits, fill)
    probs = torch.softmax(logits, dim=-1).to(dtype)
    return torch.einsum("bnts,bsnh->btnh", probs, value)
