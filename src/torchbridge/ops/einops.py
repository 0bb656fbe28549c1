"""``keras.ops.rearrange`` on torch: einops-style axis rearrangement
(keras/src/ops/einops.py).

A pattern such as ``"b (h h1) w c -> b h (w h1 c)"`` names the input axes
(parenthesised groups split an axis into several, with their lengths given as
keyword arguments or, for one of them, inferred), and the output lists the same
names in a new order and grouping. The work is one reshape, one permute and
one reshape; a parsed pattern is cached, so repeated calls only do shape
arithmetic.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import torch

from torchbridge.ops._convert import to_tensor

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\(([^()]*)\)|([^\s()]+)|(\S)")


def _groups(side: str, pattern: str) -> tuple[tuple[str, ...], ...]:
    groups: list[tuple[str, ...]] = []
    for grouped, name, stray in _TOKEN.findall(side):
        if stray:
            raise ValueError(f"`rearrange`: unbalanced parentheses in pattern {pattern!r}.")
        names = tuple(grouped.split()) if name == "" else (name,)
        for n in names:
            if not n.isidentifier():
                raise ValueError(
                    f"`rearrange`: axis names must be identifiers; received {n!r} in "
                    f"pattern {pattern!r}."
                )
        groups.append(names)
    return tuple(groups)


@functools.lru_cache(maxsize=256)
def _parse(pattern: str) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    sides = pattern.split("->")
    if len(sides) != 2:
        raise ValueError(
            f"`rearrange`: the pattern must have the form 'input axes -> output axes'; "
            f"received {pattern!r}."
        )
    inputs, outputs = _groups(sides[0], pattern), _groups(sides[1], pattern)
    flat_in = [n for g in inputs for n in g]
    flat_out = [n for g in outputs for n in g]
    for names, side in ((flat_in, "input"), (flat_out, "output")):
        if len(set(names)) != len(names):
            raise ValueError(f"`rearrange`: an axis repeats on the {side} side of {pattern!r}.")
    if set(flat_in) != set(flat_out):
        raise ValueError(
            f"`rearrange`: the input and output sides of {pattern!r} must name the same axes; "
            f"only in the input: {sorted(set(flat_in) - set(flat_out))}, only in the output: "
            f"{sorted(set(flat_out) - set(flat_in))}."
        )
    return inputs, outputs


_Plan = tuple[list[int] | None, list[int] | None, list[int] | None]
_PLANS: dict[tuple[Any, ...], _Plan] = {}


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> torch.Tensor:
    """``tensor`` with its axes split, reordered and merged as ``pattern`` says
    (einops notation; e.g. ``"b h w c -> b c h w"``, ``"b (h h1) w c -> b h w (c h1)"``
    with ``h1=2``)."""
    x = tensor if type(tensor) is torch.Tensor else to_tensor(tensor)
    key = (pattern, x.shape, *axes_lengths.items())
    plan = _PLANS.get(key)
    if plan is None:
        plan = _plan(pattern, tuple(x.shape), axes_lengths)
        if len(_PLANS) > 1024:
            _PLANS.clear()
        _PLANS[key] = plan
    split, perm, merged = plan
    if split is not None:
        x = x.reshape(split)
    if perm is not None:
        x = x.permute(perm)
    return x if merged is None else x.reshape(merged)


def _plan(pattern: str, shape: tuple[int, ...], axes_lengths: dict[str, int]) -> _Plan:
    """(the split shape, the permutation, the merged shape), each None when not needed."""
    inputs, outputs = _parse(pattern)
    if len(inputs) != len(shape):
        raise ValueError(
            f"`rearrange`: pattern {pattern!r} names {len(inputs)} input axes, but the input "
            f"has shape {shape} (rank {len(shape)})."
        )
    sizes: dict[str, int] = {}
    for group, dim in zip(inputs, shape):
        if len(group) == 1:
            sizes[group[0]] = dim
            continue
        unknown = [n for n in group if n not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(
                f"`rearrange`: cannot infer the lengths of {unknown} in pattern {pattern!r}; "
                "give all but one of a group's lengths as keyword arguments."
            )
        known = 1
        for n in group:
            if n in axes_lengths:
                known *= int(axes_lengths[n])
                sizes[n] = int(axes_lengths[n])
        if unknown:
            if known == 0 or dim % known:
                raise ValueError(
                    f"`rearrange`: axis of length {dim} cannot be split into {group} with "
                    f"lengths { ({n: axes_lengths[n] for n in group if n in axes_lengths}) }."
                )
            sizes[unknown[0]] = dim // known
        elif known != dim:
            raise ValueError(
                f"`rearrange`: the lengths of {group} multiply to {known}, but that axis of "
                f"the input has length {dim}."
            )
    order = [n for g in inputs for n in g]
    split = [sizes[n] for n in order] if any(len(g) != 1 for g in inputs) else None
    perm: list[int] | None = [order.index(n) for g in outputs for n in g]
    if perm == list(range(len(order))):
        perm = None
    merged = None
    if any(len(g) != 1 for g in outputs):
        merged = []
        for g in outputs:
            size = 1
            for n in g:
                size *= sizes[n]
            merged.append(size)
    return split, perm, merged
