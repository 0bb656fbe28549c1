"""Keras merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot — and their functional forms (``add([a, b])`` ...), each of which
builds the layer and calls it on the list.

Each is called on a list (or tuple) of tensors, batch axis first. The
element-wise layers broadcast like Keras: shapes are aligned at the end (after
the batch axis), an axis of size 1 stretches, and a lower-rank input gains
axes right after the batch axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.nn import functional as F

from torchbridge.errors import InputError
from torchbridge.layers.layer import Layer

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]


def _shapes(inputs: Sequence[torch.Tensor]) -> list[tuple[int, ...]]:
    return [tuple(x.shape) for x in inputs]


class _Merge(Layer):
    """Base of the merging layers: checks the list of inputs, then merges."""

    _exact_inputs: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def _error(self, message: str, inputs: Sequence[Any]) -> InputError:
        shapes = [tuple(x.shape) if isinstance(x, torch.Tensor) else x for x in inputs]
        return InputError(
            f"Layer '{self.name}' ({type(self).__name__}) {message} Received input shapes {shapes}."
        )

    def _check_list(self, inputs: Any) -> list[torch.Tensor]:
        if not isinstance(inputs, (list, tuple)) or not all(
            isinstance(x, torch.Tensor) for x in inputs
        ):
            shape = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs)
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) should be called on a list of "
                f"tensors, but received {shape}."
            )
        inputs = list(inputs)
        if not inputs:
            raise InputError(
                f"Layer '{self.name}' ({type(self).__name__}) should be called on a list of at "
                "least 1 input, but received an empty list."
            )
        if self._exact_inputs is not None and len(inputs) != self._exact_inputs:
            raise self._error(f"should be called on exactly {self._exact_inputs} inputs.", inputs)
        if any(x.ndim == 0 for x in inputs):
            raise self._error("expects batched inputs (rank >= 1).", inputs)
        if len({x.shape[0] for x in inputs}) > 1:
            raise self._error("cannot merge tensors with different batch sizes.", inputs)
        return inputs


class _ElementwiseMerge(_Merge):
    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        tensors = self._check_list(inputs)
        rank = max(x.ndim for x in tensors)
        expanded = []
        for x in tensors:
            while x.ndim < rank:
                x = x.unsqueeze(1)
            expanded.append(x)
        out_shape = list(expanded[0].shape[1:])
        for x in expanded[1:]:
            for i, d in enumerate(x.shape[1:]):
                if out_shape[i] == 1:
                    out_shape[i] = d
                elif d != 1 and d != out_shape[i]:
                    raise self._error("got inputs of incompatible shapes.", tensors)
        return self._merge(expanded)

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError


class Add(_ElementwiseMerge):
    """Keras's ``Add``: the element-wise sum of the inputs."""

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_ElementwiseMerge):
    """Keras's ``Subtract``: ``inputs[0] - inputs[1]`` (exactly two inputs)."""

    _exact_inputs = 2

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return inputs[0] - inputs[1]


class Multiply(_ElementwiseMerge):
    """Keras's ``Multiply``: the element-wise product of the inputs."""

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_ElementwiseMerge):
    """Keras's ``Average``: the element-wise mean of the inputs."""

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class Maximum(_ElementwiseMerge):
    """Keras's ``Maximum``: the element-wise maximum of the inputs."""

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = torch.maximum(out, x)
        return out


class Minimum(_ElementwiseMerge):
    """Keras's ``Minimum``: the element-wise minimum of the inputs."""

    def _merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = torch.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Keras's ``Concatenate``: joins the inputs along ``axis`` (default the last)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        tensors = self._check_list(inputs)
        rank = tensors[0].ndim
        if any(x.ndim != rank for x in tensors):
            raise self._error("requires inputs of the same rank.", tensors)
        if not -rank <= self.axis < rank:
            raise self._error(f"got axis={self.axis}, outside the inputs' rank {rank}.", tensors)
        axis = self.axis % rank
        for i in range(rank):
            if i != axis and len({x.shape[i] for x in tensors}) > 1:
                raise self._error(
                    f"requires inputs with matching shapes except for the concatenation axis "
                    f"(axis={self.axis}).",
                    tensors,
                )
        return torch.cat(tensors, dim=axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Keras's ``Dot``: per-sample dot products of two inputs along ``axes``.

    ``axes`` is one axis for both inputs or a pair; the batch axis (0) cannot be
    used. With ``normalize=True`` both inputs are L2-normalised along their dot
    axis first (cosine similarity). Output: ``(batch, *rest_of_x, *rest_of_y)``,
    or ``(batch, 1)`` when both inputs are rank 2 — as in Keras.
    """

    _exact_inputs = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Dot: `axes` must be an int or a pair of ints. Received: {axes}")
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(
                    f"Dot: `axes` must be an int or a pair of ints. Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = bool(normalize)

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        x, y = self._check_list(inputs)
        if x.ndim < 2 or y.ndim < 2:
            raise self._error("requires inputs of rank >= 2.", [x, y])
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        a0 = pair[0] % x.ndim if pair[0] < 0 else pair[0]
        a1 = pair[1] % y.ndim if pair[1] < 0 else pair[1]
        if a0 == 0 or a1 == 0 or a0 >= x.ndim or a1 >= y.ndim:
            raise self._error(
                f"got axes={self.axes}, which must name a non-batch axis of each input.", [x, y]
            )
        if x.shape[a0] != y.shape[a1]:
            raise self._error(
                f"requires the dot axes to match: {x.shape[a0]} (axis {a0} of the first input) "
                f"!= {y.shape[a1]} (axis {a1} of the second).",
                [x, y],
            )
        if self.normalize:
            x = F.normalize(x, dim=a0, eps=1e-7)
            y = F.normalize(y, dim=a1, eps=1e-7)
        xm = torch.movedim(x, a0, -1)
        ym = torch.movedim(y, a1, 1)
        batch, n = x.shape[0], x.shape[a0]
        out = torch.bmm(xm.reshape(batch, -1, n), ym.reshape(batch, n, -1))
        out = out.reshape(batch, *xm.shape[1:-1], *ym.shape[2:])
        return out.unsqueeze(-1) if out.ndim == 1 else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Keras's ``add``: ``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Keras's ``subtract``: ``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Keras's ``multiply``: ``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Keras's ``average``: ``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Keras's ``maximum``: ``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Keras's ``minimum``: ``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Keras's ``concatenate``: ``Concatenate(axis=axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: int | Sequence[int] = -1, **kwargs: Any) -> Any:
    """Keras's ``dot``: ``Dot(axes=axes, **kwargs)(inputs)`` (``normalize`` via kwargs)."""
    return Dot(axes=axes, **kwargs)(inputs)
